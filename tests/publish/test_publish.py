"""Publishing against the local fake GitHub: create, update, unchanged, and an API error mid-way.

Every test drives `codex-kit publish` (or `publish_report`) over real HTTP through ghapi. What must
hold throughout: never a second tracking issue or comment, a closed issue stays closed, no commit
when the dashboard did not change, a clear one-line error that names the target and the scope it
needs, the report folder untouched, and the token nowhere in what is written or printed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from kit.cli import main
from kit.errors import GitHubError
from kit.publish.run import publish_report, raise_failures
from tests.support.fake_github import FakeGitHub, Fault

TOKEN = "fake-token-for-publish-tests-0123456789abcdef"
REPO = "acme/ledger"


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report"
    assert main(["report", "--out", str(out)]) == 0
    return out


@pytest.fixture
def report(sample_report: Path, tmp_path: Path) -> Path:
    out = tmp_path / "report"
    shutil.copytree(sample_report, out)
    return out


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    with FakeGitHub(repo=REPO, token=TOKEN) as fake:
        yield fake


def publish(github: FakeGitHub, report: Path, *flags: str) -> int:
    return main(["publish", "--out", str(report), "--api-url", github.url, *flags])


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_the_tracking_issue_is_created_once_then_updated_in_place(github, report, capsys) -> None:
    github.publishing.add_issue("Unrelated bug", "nothing to see")
    github.publishing.add_issue("A pull request", "codex-kit: mentioned in a PR", pull_request=True)
    assert publish(github, report, "--issue") == 0
    (issue,) = github.publishing.tracking_issues()
    assert "tracking issue: created #3" in capsys.readouterr().out
    assert issue["title"] == "Codex reliability: acme/ledger invariants.yml"
    assert "<!-- codex-kit:tracking-issue repo=acme/ledger workflow=invariants.yml -->" in issue["body"]
    assert (report / "summary.md").read_text().strip() in issue["body"]
    assert github.publishing.pinned == [issue["node_id"]]

    assert publish(github, report, "--issue") == 0  # same report: no write at all
    assert "tracking issue: unchanged #3" in capsys.readouterr().out
    data = json.loads((report / "report.json").read_text())
    (report / "summary.md").write_text((report / "summary.md").read_text() + "\nOne more line.\n")
    (report / "report.json").write_text(json.dumps({**data, "made_at": "later"}))
    assert publish(github, report, "--issue") == 0
    assert "tracking issue: updated #3" in capsys.readouterr().out
    (issue,) = github.publishing.tracking_issues()
    assert "One more line." in issue["body"]
    writes = [w for w in github.publishing.writes if w[0] != "GET"]
    assert writes == [("POST", f"/repos/{REPO}/issues"), ("POST", "/graphql"), ("PATCH", f"/repos/{REPO}/issues/3")]
    assert not [c for c in github.publishing.comments.values()]  # never a comment


def test_a_closed_tracking_issue_is_updated_and_stays_closed(github, report, capsys) -> None:
    assert publish(github, report, "--issue") == 0
    (issue,) = github.publishing.tracking_issues()
    issue["state"], issue["body"] = "closed", issue["body"].replace("PASS", "old")
    for n in range(150):  # the tracking issue is found past the first page of the listing too
        github.publishing.add_issue(f"issue {n}", "body")
    assert publish(github, report, "--issue") == 0
    assert "(closed: left closed)" in capsys.readouterr().out
    (issue,) = github.publishing.tracking_issues()
    assert issue["state"] == "closed" and "old" not in issue["body"]
    assert github.publishing.pinned == [issue["node_id"]]  # pinned once, when it was made


def test_an_error_mid_way_duplicates_nothing_and_leaves_the_report(github, report, capsys) -> None:
    assert publish(github, report, "--issue") == 0
    (report / "summary.md").write_text("changed summary\n")
    before = digest(report)
    github.publishing.write_faults.append(Fault(path=r"/issues/1$", status=502, times=10))
    outcome = publish_report(report, token=TOKEN, issue_tracker=True, api_url=github.url, sleep=lambda s: None)
    with pytest.raises(GitHubError) as failed:
        raise_failures(outcome)
    assert "publishing failed (tracking issue: update the tracking issue #1: GitHub kept failing (HTTP 502)" in str(
        failed.value
    )
    assert f"the report in {report} is unchanged" in str(failed.value)
    assert digest(report) == before and len(github.publishing.tracking_issues()) == 1

    github.publishing.write_faults[:] = [
        Fault(path=r"/issues/1$", status=403, body={"message": "Resource not accessible by integration"})
    ]
    assert publish(github, report, "--issue") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "forbidden (403) (GitHub says: Resource not accessible by integration)" in err
    assert "the token needs `issues: write` on acme/ledger" in err

    assert publish(github, report, "--issue") == 0  # the next run finishes the job, still with one issue
    (issue,) = github.publishing.tracking_issues()
    assert "changed summary" in issue["body"] and digest(report) == before


def test_a_create_that_fails_is_sent_once_and_found_by_the_next_run(github, report, capsys) -> None:
    github.publishing.write_faults.append(Fault(path=rf"^/repos/{REPO}/issues$", status=502, times=5))
    assert publish(github, report, "--issue") == 2
    err = capsys.readouterr().err
    assert "create the tracking issue in acme/ledger: GitHub failed (HTTP 502); not retried" in err
    assert github.publishing.writes == [("POST", f"/repos/{REPO}/issues")]
    # Say GitHub had made the issue before answering 502: the next run finds it by its marker.
    made = github.publishing.add_issue("Codex reliability: acme/ledger invariants.yml", "")
    made["body"] = "<!-- codex-kit:tracking-issue repo=acme/ledger workflow=invariants.yml -->\nold"
    github.publishing.write_faults.clear()
    assert publish(github, report, "--issue") == 0
    assert "tracking issue: updated #1" in capsys.readouterr().out
    assert len(github.publishing.tracking_issues()) == 1


def test_the_pages_site_is_committed_once_and_enabled(github, report, capsys) -> None:
    assert publish(github, report, "--pages") == 0
    out = capsys.readouterr().out
    assert "GitHub Pages: created https://acme.github.io/ledger/" in out and "the site is public" in out
    files = github.publishing.tree_files()
    assert files["index.html"] == (report / "reliability_report.html").read_text()
    assert json.loads(files["report.json"])["repo"] == REPO and files[".nojekyll"] == ""
    assert github.publishing.pages["source"] == {"branch": "gh-pages", "path": "/"}
    assert publish(github, report, "--pages") == 0
    assert "GitHub Pages: unchanged" in capsys.readouterr().out
    assert github.publishing.commits_on() == 1
    data = json.loads((report / "report.json").read_text())
    (report / "report.json").write_text(json.dumps({**data, "made_at": "later"}))
    assert publish(github, report, "--pages") == 0
    assert "GitHub Pages: updated" in capsys.readouterr().out
    assert github.publishing.commits_on() == 2
    assert [w for w in github.publishing.writes if w[1].endswith("/pages")] == [("POST", f"/repos/{REPO}/pages")]


def test_pages_from_another_branch_are_left_alone(github, report, capsys) -> None:
    github.publishing.pages = {"html_url": "https://acme.github.io/ledger/", "build_type": "workflow",
                               "source": {"branch": "main", "path": "/docs"}}  # fmt: skip
    assert publish(github, report, "--pages") == 0
    assert "Pages publishes from a workflow, not gh-pages: left as it is" in capsys.readouterr().out


def test_the_pr_comment_is_made_once_and_edited(github, report, capsys) -> None:
    pr = github.publishing.add_issue("Harden Codex", "the patch", pull_request=True)["number"]
    for n in range(3):
        github.publishing.comments[100 + n] = {"id": 100 + n, "body": f"review {n}", "_issue": pr,
                                               "html_url": f"x#{n}"}  # fmt: skip
    assert publish(github, report, "--pr", str(pr)) == 0
    assert publish(github, report, "--pr", str(pr)) == 0
    (report / "summary.md").write_text("new verdicts\n")
    assert publish(github, report, "--pr", str(pr)) == 0
    out = capsys.readouterr().out
    assert [line.split(":")[1].split()[0] for line in out.splitlines()] == ["created", "unchanged", "updated"]
    mine = [c for c in github.publishing.comments.values() if "codex-kit:pr-comment" in c["body"]]
    assert len(mine) == 1 and "new verdicts" in mine[0]["body"]


def test_one_target_failing_does_not_stop_the_others(github, report, capsys) -> None:
    github.publishing.write_faults.append(Fault(path=r"/git/trees$", status=404, times=5))
    assert publish(github, report, "--issue", "--pages") == 2
    captured = capsys.readouterr()
    assert "tracking issue: created #1" in captured.out
    assert "GitHub Pages: write the gh-pages tree: not found (404)" in captured.err
    assert "`contents: write, pages: write`" in captured.err


def test_usage_errors(github, report, tmp_path: Path, capsys, monkeypatch) -> None:
    assert publish(github, report) == 2
    assert "nothing to publish" in capsys.readouterr().err
    assert publish(github, tmp_path / "nowhere", "--issue") == 2
    assert "no report to publish" in capsys.readouterr().err
    monkeypatch.delenv("GITHUB_TOKEN")
    assert publish(github, report, "--issue") == 2
    assert "set GITHUB_TOKEN or GH_TOKEN" in capsys.readouterr().err
    assert not github.requests


def test_the_token_is_in_nothing_published(github, report, capsys) -> None:
    (report / "summary.md").write_text(f"a summary that somehow holds {TOKEN}\n")
    assert publish(github, report, "--issue", "--pages") == 0
    pr = github.publishing.add_issue("PR", "", pull_request=True)["number"]
    assert publish(github, report, "--pr", str(pr)) == 0
    printed = capsys.readouterr()
    written = [i["body"] for i in github.publishing.issues.values()]
    written += [c["body"] for c in github.publishing.comments.values()]
    written += list(github.publishing.tree_files().values())
    for text in [*written, printed.out, printed.err]:
        assert TOKEN not in text
