"""action.yml's shell steps, run with bash against the fake GitHub as a runner would run them.

Two scheduled runs in a row: the first installs codex-kit from the action's folder, fetches the
history, writes the report, the job summary, the outputs, the artifact folder, the tracking issue
and the Pages site; the second updates that issue instead of adding one. The token is searched for
in everything either run wrote or printed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.action.harness import ActionRun
from tests.package.install import copy_sources, dependency_folder, fresh_venv
from tests.support.fake_github import FakeGitHub, Fault
from tests.support.history_builder import REPO, populate

TOKEN = "fake-token-for-action-steps-0123456789abcdef"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("action")
    action_path = copy_sources(root / "codex-kit", extra=("action.yml",))
    with FakeGitHub(REPO, token=TOKEN) as github:
        populate(github, 60, hardened_after=1030)
        given = {"issue": "true", "pages": "true", "min-runs": "5", "api-url": github.url}
        first = ActionRun(root / "job", action_path, github.url, TOKEN, given)
        # The venv the install step makes sees the suite's dependencies (no download); codex-kit itself is
        # built and installed by the step, from the action's folder.
        fresh_venv(first.runner_temp / "codex-kit-venv", dependency_folder(root))
        outputs = [first.run()]
        issues_after_first = [dict(i) for i in github.publishing.tracking_issues()]
        populate(github, 10, first_id=1060, hardened_after=1030)  # a week later: more runs
        second = ActionRun(root / "job", action_path, github.url, TOKEN, given, run_id=4343)
        outputs.append(second.run())
        after_second = {"commits": github.publishing.commits_on(), "summary": second.summary.read_text(),
                        "pages_report": json.loads(github.publishing.tree_files()["report.json"]),
                        "issues": [dict(i) for i in github.publishing.tracking_issues()]}  # fmt: skip
        github.faults.append(Fault(path=r"/actions/workflows/[^/]+/runs$", status=502, times=999))  # GitHub down
        third = ActionRun(root / "job", action_path, github.url, TOKEN, given, run_id=4344)
        before_third = len(third.summary.read_text())
        outputs.append(third.run())
        github.faults.clear()
        yield {"runs": [first, second, third], "outputs": outputs, "github": github,
               "issues_after_first": issues_after_first, "after_second": after_second,
               "before_third": before_third}  # fmt: skip


def test_the_first_run_writes_the_summary_outputs_artifact_and_tracking_issue(two_runs) -> None:
    first = two_runs["runs"][0]
    failed = [(s.name, s.returncode, s.stderr[-2000:]) for s in first.log if s.ran and s.returncode]
    assert not failed
    assert [s.name for s in first.log if s.ran] == ["Install codex-kit", "Fetch the history and run the report",
                                                    "Publish where the team looks"]  # fmt: skip
    outputs = two_runs["outputs"][0]
    assert outputs["verdict"] in ("PASS", "FAIL", "NOT ENOUGH DATA")
    assert int(outputs["passed"]) + int(outputs["failed"]) + int(outputs["not-enough-data"]) == 5
    html = Path(outputs["html"])
    assert html.is_file() and html.parent == first.runner_temp / "codex-kit-report"
    upload = next(s for s in first.log if s.name == "Upload the dashboard")
    artifact = Path(upload.rendered_with["path"])
    assert {p.name for p in artifact.iterdir()} >= {"reliability_report.html", "summary.md", "report.json"}
    assert first.summary.read_text().startswith("## Codex reliability: octo/app, workflow invariants.yml")
    (issue,) = two_runs["issues_after_first"]
    assert issue["title"] == "Codex reliability: octo/app invariants.yml"
    assert "tracking issue: created #1" in first.log[-1].stdout
    assert "GitHub Pages: created" in first.log[-1].stdout


def test_the_second_run_updates_the_issue_instead_of_adding_one(two_runs) -> None:
    second = two_runs["runs"][1]
    github = two_runs["github"]
    assert not [s.name for s in second.log if s.ran and s.returncode]
    after = two_runs["after_second"]
    (issue,) = after["issues"]
    (before,) = two_runs["issues_after_first"]
    assert issue["number"] == before["number"] and issue["body"] != before["body"]
    assert "tracking issue: updated #1" in second.log[-1].stdout
    assert after["pages_report"]["period"]["runs"] == 70
    assert after["commits"] == 2
    assert after["summary"].count("## Codex reliability") == 2  # one summary per run, appended
    assert len(github.publishing.tracking_issues()) == 1, "the third run, too, updated the one issue"


def test_the_token_is_in_nothing_the_runs_wrote_or_printed(two_runs) -> None:
    github = two_runs["github"]
    texts = [issue["body"] for issue in github.publishing.issues.values()]
    texts += list(github.publishing.tree_files().values())
    for run in two_runs["runs"]:
        texts += [run.summary.read_text()] + [s.stdout + s.stderr for s in run.log]
        texts += [p.read_text() for p in run.root.glob("output-*")]
        report = run.runner_temp / "codex-kit-report"
        texts += [p.read_text(encoding="utf-8", errors="replace") for p in report.iterdir()]
        cache = run.runner_temp / "codex-kit-cache"
        texts += [p.read_bytes().decode("latin-1") for p in cache.rglob("*") if p.is_file()]
    assert len(texts) > 20
    assert not [t[:200] for t in texts if TOKEN in t]


def test_a_fetch_that_fails_still_reports_on_the_cached_history_and_says_so(two_runs) -> None:
    third = two_runs["runs"][2]
    step = next(s for s in third.log if s.name == "Fetch the history and run the report")
    assert step.ran and step.returncode == 0, step.stderr[-2000:]
    assert "::warning title=codex-kit::the fetch stopped early (exit 2)" in step.stdout
    assert two_runs["outputs"][2]["verdict"] in ("PASS", "FAIL", "NOT ENOUGH DATA")
    summary = third.summary.read_text()[two_runs["before_third"] :]
    assert summary.startswith("## Codex reliability: ")
    assert "The history is incomplete" in summary and "the last fetch stopped before it finished" in summary
