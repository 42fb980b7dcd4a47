"""The sample is in the fetch's format: serving its payloads and fetching them gives the same tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kit.history.cache import HistoryCache, cache_folder
from kit.history.client import GitHubClient
from kit.history.fetch import Fetcher
from kit.history.schema import KEYS
from kit.sample import REPO, WORKFLOW, Scenario, generate
from tests.support.fake_github import FakeGitHub


def test_fetching_the_sample_payloads_gives_the_sample_tables(tmp_path: Path) -> None:
    generated = generate(Scenario(days=8, cutover_day=4, runs_per_day=10))
    with FakeGitHub(REPO) as fake:
        for run in generated.runs:
            fake.add_run(run, generated.jobs[run["id"]], {})
        fake.logs.update(generated.logs)
        client = GitHubClient(REPO, api_url=fake.url, token="t", sleep=lambda s: None)
        Fetcher(client, HistoryCache(cache_folder(tmp_path, REPO)), WORKFLOW, progress=False).run()
    fetched = HistoryCache(cache_folder(tmp_path, REPO)).load()
    expected = generated.history()
    for name in KEYS:
        got = fetched.table(name).sort_values(KEYS[name]).reset_index(drop=True)
        want = expected.table(name).sort_values(KEYS[name]).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
