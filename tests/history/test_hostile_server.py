"""A server that misbehaves cannot make the fetch loop forever or crash it: it stops with a clear error."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from kit.errors import GitHubError
from kit.history.cache import HistoryCache
from kit.history.client import GitHubClient
from kit.history.fetch import Fetcher
from tests.support.fake_github import FakeGitHub, Fault
from tests.support.history_builder import REPO, populate

WORKFLOW = "invariants.yml"


def fetch(fake: FakeGitHub, cache: Path) -> None:
    client = GitHubClient(REPO, api_url=fake.url, token=None, sleep=lambda s: None, timeout=10.0)
    Fetcher(client, HistoryCache(cache), WORKFLOW, progress=False).run()


@pytest.mark.parametrize("body", [[{"id": 1}], {"workflow_runs": "nope"}, {"workflow_runs": [{"name": "no id"}]}, "x"])
def test_a_listing_of_the_wrong_shape_is_a_clear_error(tmp_path: Path, body) -> None:
    with FakeGitHub(REPO) as fake:
        fake.faults.append(Fault(r"/runs$", 200, body=body, times=99))
        with pytest.raises(GitHubError, match=r"runs of invariants.yml page 1: the answer is not a `workflow_runs`"):
            fetch(fake, tmp_path / "c")


@pytest.mark.parametrize("same_page", [True, False], ids=["links-back", "endless-next"])
def test_endless_pagination_stops(tmp_path: Path, same_page: bool) -> None:
    with FakeGitHub(REPO) as fake:
        populate(fake, 100)
        original = fake._page

        def endless(request, path, query, key, items):
            if key != "workflow_runs":
                return original(request, path, query, key, items)
            page = int(query.get("page", 1))
            following = 1 if same_page else page + 1
            link = f'<{fake.url}{path}?{urlencode({**query, "page": following})}>; rel="next"'
            fake._send(request, path, 200, {"total_count": 10**6, key: items[:100]}, {"Link": link})

        fake._page = endless
        fetch(fake, tmp_path / "c")
        pages = [r for r in fake.requests if r.path.endswith("/runs")]
        assert len(pages) <= 2, f"{len(pages)} listing pages asked for"
    assert len(HistoryCache(tmp_path / "c").load().runs) == 100
