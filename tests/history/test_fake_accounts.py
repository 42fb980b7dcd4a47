"""The fake GitHub serves many repositories of one account on one server, as multi-repository work needs:
each answers for itself, they share one budget and one request log, an organisation lists its own, and
a repository's files are a real commit that the contents, blobs and Git Data routes all read."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx2
import jsonschema
from ghapi.all import GhApi

from tests.history.test_payload_shapes import schema
from tests.support.fake_github import FakeGitHub
from tests.support.history_builder import populate


def _api(fake: FakeGitHub) -> GhApi:
    return GhApi(gh_host=fake.url, token="t", sync=True)


def test_each_repository_answers_for_itself_within_one_budget() -> None:
    with FakeGitHub("acme/one") as fake:
        two = fake.add_repo("acme/two")
        populate(fake, 3, first_id=1000)
        populate(two, 2, first_id=2000)
        api = _api(fake)
        ones = api("/repos/acme/one/actions/workflows/invariants.yml/runs", "GET")
        twos = api("/repos/ACME/Two/actions/workflows/invariants.yml/runs", "GET")
        assert sorted(r["id"] for r in ones["workflow_runs"]) == [1000, 1001, 1002]
        assert sorted(r["id"] for r in twos["workflow_runs"]) == [2000, 2001]
        assert fake.counted() == two.counted() == 2
        assert fake.remaining == 4998


def test_an_unknown_repository_is_a_404_and_an_organisation_lists_its_own(shared_dir: Path) -> None:
    with FakeGitHub("acme/one") as fake:
        fake.add_repo("acme/two", private=True)
        fake.add_repo("other/three")
        api = _api(fake)
        listed = api("/orgs/acme/repos", "GET", query={"per_page": 100})
        assert [r["full_name"] for r in listed] == ["acme/one", "acme/two"]
        assert [r["private"] for r in listed] == [False, True]
        validator = jsonschema.Draft202012Validator(schema(shared_dir, "minimal-repository"))
        for repo in listed:
            validator.validate(repo)
        statuses = []
        for path in ("/repos/acme/nothing", "/repos/acme/nothing/actions/runs/1", "/orgs/nobody/repos"):
            try:
                api(path, "GET")
            except httpx2.HTTPStatusError as error:  # what ghapi's raw calls raise
                statuses.append(error.response.status_code)
        assert statuses == [404, 404, 404]


def test_files_are_one_commit_that_contents_blobs_and_trees_read() -> None:
    with FakeGitHub("acme/one") as fake:
        text = "name: ci\non: push\n"
        head = fake.listing.set_files({".github/workflows/ci.yml": text, "README.md": "hi\n"})
        api = _api(fake)
        folder = api("/repos/acme/one/contents/.github/workflows", "GET")
        assert [(e["name"], e["type"]) for e in folder] == [("ci.yml", "file")]
        top = api("/repos/acme/one/contents", "GET")
        assert [(e["name"], e["type"]) for e in top] == [(".github", "dir"), ("README.md", "file")]
        got = api("/repos/acme/one/contents/.github/workflows/ci.yml", "GET")
        assert base64.b64decode(got["content"]).decode() == text
        assert base64.b64decode(api(f"/repos/acme/one/git/blobs/{got['sha']}", "GET")["content"]).decode() == text
        assert api("/repos/acme/one/git/ref/heads/main", "GET")["object"]["sha"] == head
        tree_sha = api(f"/repos/acme/one/git/commits/{head}", "GET")["tree"]["sha"]
        added = {"path": "x.txt", "mode": "100644", "type": "blob", "content": "x"}
        changes = [{"path": "README.md", "sha": None}, added]
        tree = api("/repos/acme/one/git/trees", "POST", data={"base_tree": tree_sha, "tree": changes})
        assert [e["path"] for e in tree["tree"]] == [".github/workflows/ci.yml", "x.txt"]
        workflows = api("/repos/acme/one/actions/workflows", "GET")
        assert [w["path"] for w in workflows["workflows"]] == [".github/workflows/ci.yml"]
