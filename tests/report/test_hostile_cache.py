"""A cache written by someone else: its URLs and names are shown as text, never followed or rendered as markup."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kit.analysis.parameters import ReportParameters
from kit.history.cache import HistoryCache, cache_folder
from kit.report.run import run_report
from kit.sample import REPO, Scenario, generate

HOSTILE_URLS = (
    "javascript:alert(document.cookie)",
    "https://github.com.evil.example/acme/ledger/actions/runs/1",
    "https://evil.example/?next=https://github.com/",
    'https://github.com/acme/ledger/actions/runs/2" onmouseover="alert(1)',
    "data:text/html,<script>alert(1)</script>",
    "http://github.com/acme/ledger/actions/runs/3",
)
WORKFLOW = "<img src=x onerror=alert(1)>|**bold**[x](javascript:alert(1)).yml"


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("hostile")
    history = generate(Scenario(after_server_info_failures=3)).history()
    history.runs["workflow"] = WORKFLOW
    for table in (history.runs, history.jobs):
        table["html_url"] = [HOSTILE_URLS[n % len(HOSTILE_URLS)] for n in range(len(table))]
    history.state = {"etags": {}}
    HistoryCache(cache_folder(root / "cache", REPO)).save(history)
    params = ReportParameters(repo=REPO, workflow=WORKFLOW, cache_dir=str(root / "cache"), out_dir=str(root / "out"))
    return run_report(params)


def test_no_link_leaves_github_and_no_url_is_followed(hostile_report) -> None:
    html = hostile_report.html.read_text()
    hrefs = re.findall(r"""href\s*=\s*["']?([^"'\s>]*)""", html, re.IGNORECASE)
    assert all(href.startswith("https://github.com/") or href.startswith("#") for href in hrefs), hrefs
    assert "javascript:alert" not in "".join(hrefs)
    assert 'onmouseover="alert' not in html and "<script>alert" not in html
    for verdict in hostile_report.report["verdicts"]:
        assert all(url.startswith("https://github.com/") for url in verdict["evidence"]), verdict["evidence"]
    assert any(v["status"] == "FAIL" for v in hostile_report.report["verdicts"]), "the failures are still judged"


def test_names_from_the_cache_and_the_arguments_are_escaped(hostile_report) -> None:
    html = hostile_report.html.read_text()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    summary = hostile_report.summary.read_text()
    heading = summary.splitlines()[0]
    assert heading == (
        r"## Codex reliability: acme/ledger, workflow &lt;img src=x onerror=alert(1)&gt;\|\*\*bold\*\*\[x\]"
        r"(javascript:alert(1)).yml"
    )
    assert "<img" not in summary
    assert json.loads(json.dumps(hostile_report.report))["workflow"] == WORKFLOW, "report.json keeps the value as data"


def test_a_github_enterprise_report_links_to_its_own_host(tmp_path: Path) -> None:
    history = generate(Scenario(days=10, cutover_day=5, after_server_info_failures=2)).history()
    for table in (history.runs, history.jobs):
        table["html_url"] = table["html_url"].str.replace("https://github.com/", "https://ghe.acme.example/")
    history.state = {"etags": {}}
    HistoryCache(cache_folder(tmp_path / "cache", REPO)).save(history)
    params = ReportParameters(repo=REPO, cache_dir=str(tmp_path / "cache"), out_dir=str(tmp_path / "out"),
                              api_url="https://ghe.acme.example/api/v3", min_runs=1)  # fmt: skip
    report = run_report(params)
    hrefs = [h for h in re.findall(r'href="([^"]*)"', report.html.read_text()) if not h.startswith("#")]
    assert hrefs and all(href.startswith("https://ghe.acme.example/") for href in hrefs), hrefs
