"""`codex-kit patch --pr/--org` against the local fake GitHub: an organisation of five repositories.

Three need the hardening (the sample target with its DB tests; a repository whose Codex step sits in
a local composite action, with a CRLF + BOM workflow and a symlink the patch must refuse; one whose
`pyproject.toml` names its DB test), one has no Codex workflow, one answers 403. Every test drives
the CLI over real HTTP through ghapi. What must hold: one pull request per repository whose branch
holds, byte for byte, what `codex-kit patch` writes on a checkout of the same files; default
branches never written; a second run opens none; a dry run sends no write; a failure half-way
leaves no branch on a half-made commit and the next run completes it.
"""

from __future__ import annotations

import os
from pathlib import Path

import jsonschema
import pytest
from fastcore.xtras import obj2dict
from ghapi.all import GhApi

from kit.cli import main
from kit.patch.repo import patch_repo
from kit.publish.harden import TRAILER
from kit.publish.marker import harden_marker
from kit.vocabulary import HARDEN_BRANCH
from tests.history.test_payload_shapes import schema
from tests.support import lint
from tests.support.fake_github import FakeGitHub, Fault

TOKEN = "fake-token-for-patch-pr-tests-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "sample_target"
BRANCH_REF = f"heads/{HARDEN_BRANCH}"
HARDENED = ("acme/ledger", "acme/review", "acme/config")

ACTION = """\
name: review
description: Codex reviews the change
inputs:
  key:
    description: the OpenAI key
    required: true
runs:
  using: composite
  steps:
    - uses: openai/codex-action@v1
      with:
        openai-api-key: ${{ inputs.key }}
        prompt: Review this change.
        output-file: review.md
"""

CALLER = """\
name: review
on: [pull_request]
permissions:
  contents: read
jobs:
  review:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
        with:
          persist-credentials: false
      - uses: ./.github/actions/review
        with:
          key: ${{ secrets.OPENAI_API_KEY }}
"""

PLAIN_CI = """\
name: ci
on: [push]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
        with:
          persist-credentials: false
      - run: make test
"""

POLICY_TEST = """\
-- the policy table: exactly one ACTIVE policy
SELECT is((SELECT count(*) FROM policies WHERE status = 'ACTIVE'), 1::bigint, 'exactly one ACTIVE policy');
"""


def sample_files() -> dict[str, str]:
    return {p.relative_to(SAMPLE).as_posix(): p.read_text() for p in sorted(SAMPLE.rglob("*")) if p.is_file()}


def build_org(fake: FakeGitHub) -> dict[str, FakeGitHub]:
    """The five repositories of `acme` (the fake itself is acme/ledger)."""
    workflow = (SAMPLE / ".github/workflows/invariants.yml").read_text()
    repos = {"acme/ledger": fake}
    fake.listing.set_files(sample_files())
    repos["acme/review"] = fake.add_repo("acme/review")
    repos["acme/review"].listing.set_files(
        {
            ".github/actions/review/action.yml": ACTION,
            ".github/workflows/review.yml": CALLER,
            ".github/workflows/invariants.yaml": "\ufeff" + workflow.replace("\n", "\r\n"),
            ".github/workflows/linked.yml": "../../../elsewhere/codex.yml",
            "scripts/run.sh": "#!/bin/sh\necho hi\n",
        },
        modes={".github/workflows/linked.yml": "120000", "scripts/run.sh": "100755"},
    )
    repos["acme/config"] = fake.add_repo("acme/config", private=True)
    repos["acme/config"].listing.set_files(
        {
            ".github/workflows/invariants.yml": workflow,
            "pyproject.toml": '[tool.codex-kit]\ndb-tests = ["sql/policy_test.sql"]\n',
            "sql/policy_test.sql": POLICY_TEST,
            "README.md": "config\n",
        }
    )
    repos["acme/plain"] = fake.add_repo("acme/plain")
    repos["acme/plain"].listing.set_files({".github/workflows/ci.yml": PLAIN_CI, "README.md": "plain\n"})
    repos["acme/locked"] = fake.add_repo("acme/locked")
    repos["acme/locked"].listing.set_files({".github/workflows/invariants.yml": workflow})
    body = {"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"}
    fake.faults.append(Fault(r"^/repos/acme/locked(/|$)", status=403, body=body, times=10_000))
    return repos


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    with FakeGitHub(repo="acme/ledger", token=TOKEN) as fake:
        yield fake, build_org(fake)


def run(fake: FakeGitHub, *flags: str) -> int:
    return main(["patch", "--org", "acme", "--api-url", fake.url, *flags])


def checkout(repo: FakeGitHub, folder: Path, ref: str | None = None) -> Path:
    """The branch's files written to `folder` as `git checkout` would (modes and symlinks kept)."""
    pub = repo.publishing
    commit = pub.objects[pub.refs[f"heads/{ref or repo.listing.default_branch}"]]
    for entry in pub.objects[commit["tree"]["sha"]]["tree"]:
        path = folder / entry["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if entry["mode"] == "120000":
            os.symlink(entry["content"], path)
            continue
        path.write_bytes(entry["content"].encode())
        path.chmod(0o755 if entry["mode"] == "100755" else 0o644)
    return folder


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def branch_files(repo: FakeGitHub, tmp_path: Path, name: str) -> dict[str, bytes]:
    return files_of(checkout(repo, tmp_path / name, HARDEN_BRANCH))


def locally_patched(repo: FakeGitHub, tmp_path: Path, name: str) -> dict[str, bytes]:
    """What `codex-kit patch` writes on a checkout of the repository's default branch."""
    folder = checkout(repo, tmp_path / name)
    patch_repo(folder)
    return files_of(folder)


def writes(repos: dict[str, FakeGitHub]) -> list[tuple[str, str]]:
    return [w for repo in repos.values() for w in repo.publishing.writes]


def test_patch_pr_opens_three_pull_requests_and_a_second_run_opens_none(org, tmp_path, capsys) -> None:
    fake, repos = org
    heads = {name: repo.publishing.refs["heads/main"] for name, repo in repos.items()}
    defaults = {name: repo.listing.files() for name, repo in repos.items()}

    assert run(fake) == 2  # one repository failed; the others were delivered
    out = capsys.readouterr()
    for name in HARDENED:
        assert f"{name}: opened pull request #1" in out.out
    assert "acme/plain: nothing to patch" in out.out
    assert "acme/locked: failed:" in out.out and "forbidden (403)" in out.out
    assert "`contents: write, pull-requests: write, workflows: write` on acme/locked" in out.out
    assert "1 of 5 repositories failed: acme/locked" in out.err

    for name in HARDENED:
        repo = repos[name]
        (pull,) = repo.publishing.pulls.open.values()
        assert pull["head"] == HARDEN_BRANCH and pull["base"] == "main"
        assert harden_marker(name) in pull["body"]
        assert branch_files(repo, tmp_path, f"{name}-pr") == locally_patched(repo, tmp_path, f"{name}-local")
        on_branch = branch_files(repo, tmp_path, f"{name}-b")
        changed = {path for path, data in on_branch.items() if data.decode() != defaults[name].get(path)}
        assert changed and all(path in pull["body"] for path in changed), "every changed file is listed"
        commit = repo.publishing.objects[repo.publishing.refs[BRANCH_REF]]
        assert [p["sha"] for p in commit["parents"]] == [heads[name]]
        assert commit["message"].splitlines()[-1] == TRAILER
    review = repos["acme/review"].publishing.pulls.open[1]["body"]
    assert "patched: .github/actions/review/action.yml (composite action)" in review
    assert "refused .github/workflows/linked.yml: is a symlink to" in review
    ledger = repos["acme/ledger"].publishing.pulls.open[1]["body"]
    assert "patched: .github/workflows/invariants.yml" in ledger and "exactly one ACTIVE → at most one" in ledger
    assert repos["acme/plain"].publishing.pulls.open == {} and repos["acme/plain"].publishing.writes == []
    assert repos["acme/locked"].publishing.refs.keys() == {"heads/main"}
    for name, repo in repos.items():  # nothing is ever pushed to a default branch
        assert repo.publishing.refs["heads/main"] == heads[name] and repo.listing.files() == defaults[name]
        assert ("PATCH", f"/repos/{name}/git/refs/heads/main") not in repo.publishing.writes

    before = len(writes(repos))
    assert run(fake) == 2
    again = capsys.readouterr().out
    assert all(f"{name}: unchanged pull request #1" in again for name in HARDENED)
    assert len(writes(repos)) == before, "nothing changed: nothing written"
    assert all(len(repos[name].publishing.pulls.open) == 1 for name in HARDENED)


def test_a_change_on_the_default_branch_updates_the_pull_request_branch(org, tmp_path, capsys) -> None:
    fake, repos = org
    assert run(fake) == 2
    ledger = repos["acme/ledger"]
    first = ledger.publishing.refs[BRANCH_REF]
    files = ledger.listing.files()
    files[".github/workflows/nightly.yml"] = files[".github/workflows/invariants.yml"].replace(
        "name: Invariants", "name: Nightly"
    )
    new_head = ledger.listing.set_files(files, message="add a nightly copy")
    capsys.readouterr()

    assert run(fake) == 2
    out = capsys.readouterr().out
    assert "acme/ledger: updated pull request #1" in out
    assert "acme/review: unchanged pull request #1" in out and "acme/config: unchanged pull request #1" in out
    commit = ledger.publishing.objects[ledger.publishing.refs[BRANCH_REF]]
    assert ledger.publishing.refs[BRANCH_REF] != first and [p["sha"] for p in commit["parents"]] == [new_head]
    assert branch_files(ledger, tmp_path, "pr") == locally_patched(ledger, tmp_path, "local")
    assert len(ledger.publishing.pulls.open) == 1
    assert "patched: .github/workflows/nightly.yml" in ledger.publishing.pulls.open[1]["body"]
    assert ("PATCH", f"/repos/acme/ledger/git/refs/{BRANCH_REF}") in ledger.publishing.writes
    assert ledger.publishing.refs["heads/main"] == new_head


def test_a_dry_run_sends_no_write_and_says_what_it_would_do(org, capsys) -> None:
    fake, repos = org
    assert run(fake, "--dry-run") == 2
    out = capsys.readouterr().out
    assert writes(repos) == []
    for name in HARDENED:
        assert f"{name}: would open a pull request from {HARDEN_BRANCH}" in out
    assert "  would patch: .github/workflows/invariants.yml" in out
    assert "  would patch: .github/actions/review/action.yml (composite action)" in out
    assert "  refused .github/workflows/linked.yml: is a symlink to" in out
    assert "acme/plain: nothing to patch" in out and "acme/locked: failed:" in out

    assert run(fake) == 2  # now for real; then a dry run says it would update nothing
    capsys.readouterr()
    assert main(["patch", "--pr", "acme/ledger", "--dry-run", "--api-url", fake.url]) == 0
    assert "acme/ledger: unchanged pull request #1" in capsys.readouterr().out


def test_a_failure_half_way_leaves_no_branch_and_the_next_run_completes_it(org, tmp_path, capsys) -> None:
    fake, repos = org
    ledger = repos["acme/ledger"]
    ledger.publishing.write_faults.append(Fault(r"/git/commits$", status=502, body={"message": "Bad gateway"}))
    assert main(["patch", "--pr", "acme/ledger", "--api-url", fake.url]) == 2
    assert "acme/ledger: failed: commit to codex-kit/harden: GitHub failed (HTTP 502)" in capsys.readouterr().out
    assert BRANCH_REF not in ledger.publishing.refs and ledger.publishing.pulls.open == {}

    ledger.publishing.write_faults.append(Fault(r"/pulls$", status=502, body={"message": "Bad gateway"}))
    assert main(["patch", "--pr", "acme/ledger", "--api-url", fake.url]) == 2
    assert BRANCH_REF in ledger.publishing.refs and ledger.publishing.pulls.open == {}
    made = ledger.publishing.refs[BRANCH_REF]

    assert main(["patch", "--pr", "acme/ledger", "--api-url", fake.url]) == 0
    assert "acme/ledger: opened pull request #1" in capsys.readouterr().out
    assert ledger.publishing.refs[BRANCH_REF] == made, "the complete branch is kept, not remade"
    assert branch_files(ledger, tmp_path, "pr") == locally_patched(ledger, tmp_path, "local")


def test_a_branch_someone_else_committed_to_is_left_alone(org, capsys) -> None:
    fake, repos = org
    assert main(["patch", "--pr", "acme/config", "--api-url", fake.url]) == 0
    config = repos["acme/config"].publishing
    head = config.refs[BRANCH_REF]
    tree = config.objects[head]["tree"]["sha"]
    theirs = config.add_commit(tree, [head], "tweak the prompt by hand")
    config.refs[BRANCH_REF] = theirs
    files = repos["acme/config"].listing.files()
    repos["acme/config"].listing.set_files(files | {"README.md": "changed\n"})
    capsys.readouterr()

    assert main(["patch", "--pr", "acme/config", "--api-url", fake.url]) == 2
    out = capsys.readouterr().out
    assert "has a commit codex-kit did not make" in out
    assert config.refs[BRANCH_REF] == theirs


def test_archived_repositories_are_skipped_and_bad_arguments_are_one_line(org, capsys) -> None:
    fake, _ = org
    fake.add_repo("acme/attic", archived=True).listing.set_files(
        {".github/workflows/invariants.yml": (SAMPLE / ".github/workflows/invariants.yml").read_text()}
    )
    assert run(fake, "--dry-run") == 2
    assert "acme/attic: skipped (archived)" in capsys.readouterr().out
    assert main(["patch", "--pr", "not-a-repo", "--api-url", fake.url]) == 2
    assert "--pr must be OWNER/REPO" in capsys.readouterr().err
    assert main(["patch", "--pr", "acme/ledger", "--check"]) == 2
    assert "not with --check" in capsys.readouterr().err
    assert main(["patch", "--dry-run"]) == 2
    assert "--dry-run goes with --pr or --org" in capsys.readouterr().err


def test_the_patched_workflows_pass_actionlint(org, tmp_path) -> None:
    fake, repos = org
    assert run(fake) == 2
    for name in HARDENED:
        folder = checkout(repos[name], tmp_path / name, HARDEN_BRANCH)
        original = checkout(repos[name], tmp_path / f"{name}-orig")
        patched = sorted(p for p in (folder / ".github/workflows").glob("*.y*ml") if not p.is_symlink())
        before = sorted(p for p in (original / ".github/workflows").glob("*.y*ml") if not p.is_symlink())
        assert lint.actionlint(patched) - lint.actionlint(before) == {}, name


def test_the_fakes_pull_requests_have_githubs_shape(org, shared_dir: Path) -> None:
    """What the kit reads from a pull request (number, html_url, body, head) comes in GitHub's own shape."""
    fake, _ = org
    assert main(["patch", "--pr", "acme/ledger", "--api-url", fake.url]) == 0
    validator = jsonschema.Draft202012Validator(schema(shared_dir, "pull-request"))
    api = GhApi(gh_host=fake.url, token=TOKEN, sync=True)
    validator.validate(obj2dict(api("/repos/acme/ledger/pulls/1", "GET")))  # ghapi's AttrDict/L as plain JSON
    listed = obj2dict(api("/repos/acme/ledger/pulls", "GET", query={"state": "open", "head": f"acme:{HARDEN_BRANCH}"}))
    assert [p["number"] for p in listed] == [1]
    for pull in listed:
        validator.validate(pull)
    assert api("/repos/acme/ledger/pulls", "GET", query={"head": "acme:elsewhere"}) == []


def test_real_workflows_reach_the_branch_as_the_local_patch_writes_them(
    org, shared_dir: Path, tmp_path, capsys
) -> None:
    """Every corpus workflow (CRLF, no final newline, 4-space indents, `if: |` blocks…) in one repository."""
    fake, repos = org
    corpus = sorted((shared_dir / "corpus" / "workflows").glob("*.y*ml"))
    repo = repos["acme/config"]
    repo.listing.set_files({f".github/workflows/{p.name}": p.read_bytes().decode() for p in corpus}, "the corpus")
    local = checkout(repo, tmp_path / "local")
    expected = patch_repo(local)
    code = main(["patch", "--pr", "acme/config", "--api-url", fake.url])
    assert code == (3 if expected.refused else 0)
    assert "acme/config: opened pull request #1" in capsys.readouterr().out
    assert branch_files(repo, tmp_path, "pr") == files_of(local)
    body = repo.publishing.pulls.open[1]["body"]
    assert all(f"patched: {f.path}" in body for f in expected.changed)
    assert all(f"refused {f.error}" in body for f in expected.refused)


def test_errors_name_the_permission_and_the_token_is_in_nothing_written(org, monkeypatch, capsys) -> None:
    fake, repos = org
    assert main(["patch", "--pr", "acme/ledger", "--pr", "acme/gone", "--api-url", fake.url]) == 2
    out = capsys.readouterr().out
    assert "acme/ledger: opened pull request #1" in out
    assert "acme/gone: failed:" in out and "not found (404)" in out and "`contents: write, pull-requests: write" in out
    ledger = repos["acme/ledger"].publishing
    written = [ledger.pulls.open[1]["body"], *(o.get("message", "") for o in ledger.objects.values())]
    assert not any(TOKEN in text for text in written)

    refusal = (  # what GitHub answers a token without the workflows permission (seen in the wild, on pushes)
        "refusing to allow a GitHub App to create or update workflow `.github/workflows/x.yml` without `workflows` "
        "permission"
    )
    repos["acme/config"].publishing.write_faults.append(Fault(r"/git/refs$", status=422, body={"message": refusal}))
    assert main(["patch", "--pr", "acme/config", "--api-url", fake.url]) == 2
    assert "a classic token: the `workflow` scope); Actions' GITHUB_TOKEN cannot" in capsys.readouterr().out
    assert repos["acme/config"].publishing.refs.keys() == {"heads/main"}
    fake.add_repo("acme/empty")
    assert main(["patch", "--pr", "acme/empty", "--api-url", fake.url]) == 0
    assert "acme/empty: nothing to patch\n  note: no branch main (an empty repository?)" in capsys.readouterr().out
    assert main(["patch", "--org", "nobody", "--api-url", fake.url]) == 2
    assert "check that the organisation nobody exists" in capsys.readouterr().err
    monkeypatch.delenv("GITHUB_TOKEN")
    assert main(["patch", "--pr", "acme/ledger", "--api-url", fake.url]) == 2
    assert "set GITHUB_TOKEN or GH_TOKEN" in capsys.readouterr().err
