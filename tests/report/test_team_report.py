"""The team dashboard over an organisation of five on the fake GitHub: one overview page whose matrix
holds each repository's own verdicts (worst first), why a repository has none, hardened or not, and
each repository's dashboard in a sub-folder; self-contained, and without the token anywhere."""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from kit.analysis.criteria import analyse
from kit.analysis.parameters import ReportParameters
from kit.cli import main
from kit.history.team import Team, team_members
from kit.report import overview
from kit.report.data import load_history
from tests.support.fake_github import FakeGitHub
from tests.support.team import FORBIDDEN, HISTORIES, NO_CODEX, ORG, build_org

TOKEN = "fake-token-codexkit-TEAM-0123456789abcdefXYZ"


@dataclass
class TeamRun:
    cache: Path
    out: Path
    codes: tuple[int, int]
    printed: str
    team: dict


@pytest.fixture(scope="module")
def team_run(tmp_path_factory: pytest.TempPathFactory) -> TeamRun:
    """Fetch the org (whose 403 echoes the token) and report on it with the token set: discovery lists the org."""
    folder = tmp_path_factory.mktemp("team")
    cache, out = folder / "cache", folder / "site"
    printed = io.StringIO()
    with (
        pytest.MonkeyPatch.context() as env,
        FakeGitHub("org/alpha", token=TOKEN) as fake,
        contextlib.redirect_stdout(printed),
        contextlib.redirect_stderr(printed),
    ):
        env.setenv("GITHUB_TOKEN", TOKEN)
        build_org(fake, forbidden_message=f"token {TOKEN} lacks actions:read")
        where = ["--cache", str(cache), "--api-url", fake.url]
        fetched = main(["fetch", "--org", ORG, *where])
        reported = main(["report", "--org", ORG, *where, "--out", str(out)])
    return TeamRun(cache, out, (fetched, reported), printed.getvalue(), json.loads((out / "team.json").read_text()))


def _rows(run: TeamRun) -> dict[str, dict]:
    return {row["repo"]: row for row in run.team["repositories"]}


def test_an_org_of_five_gives_the_right_matrix(team_run: TeamRun) -> None:
    assert team_run.codes == (1, 1)  # a repository failed to fetch; a criterion FAILed
    rows = _rows(team_run)
    assert sorted(rows) == ["org/alpha", "org/bravo", FORBIDDEN, "org/delta", "org/echo"]  # the archived one is not
    assert rows[NO_CODEX]["state"] == "no-codex" and rows[NO_CODEX]["note"].startswith("no Codex workflows")
    assert rows[FORBIDDEN]["state"] == "fetch-failed" and rows[FORBIDDEN]["note"].startswith("403: not fetched")
    for repo in (NO_CODEX, FORBIDDEN):
        assert rows[repo]["verdicts"] == {} and rows[repo]["page"] is None and rows[repo]["hardened"] is None
    assert {repo: rows[repo]["hardened"] for repo in HISTORIES} == {"org/alpha": True, "org/delta": False,
                                                                     "org/echo": True}  # fmt: skip
    assert rows["org/delta"]["note"].startswith("not hardened yet")
    assert rows["org/alpha"]["cutover_at"].startswith("2026-06-02T")  # run 1030: 30 hours after the first
    expected = {
        "org/alpha": {"server-info": "FAIL", "non-blocking": "PASS", "fork-guard": "PASS", "db-active-count": "FAIL",
                      "actionable": "PASS"},
        "org/delta": dict.fromkeys(overview.CRITERIA, "NOT ENOUGH DATA"),
        "org/echo": {"server-info": "FAIL", "non-blocking": "PASS", "fork-guard": "PASS", "db-active-count": "FAIL",
                     "actionable": "PASS"},
    }  # fmt: skip
    assert {repo: rows[repo]["verdicts"] for repo in HISTORIES} == expected
    # Worst first: FAILs, then the repository without a dashboard, then NOT ENOUGH DATA, then no Codex at all.
    assert [r["repo"] for r in team_run.team["repositories"]] == [
        "org/alpha", "org/echo", FORBIDDEN, "org/delta", NO_CODEX]  # fmt: skip


def test_the_matrix_holds_the_verdicts_the_single_report_judges(team_run: TeamRun) -> None:
    rows = _rows(team_run)
    for repo in HISTORIES:
        params = ReportParameters(repo=repo, cache_dir=str(team_run.cache))
        judged = {v.id: v.status.value for v in analyse(load_history(repo, team_run.cache, params), params).verdicts}
        page = json.loads((team_run.out / rows[repo]["report"]).read_text())
        assert rows[repo]["verdicts"] == judged == {v["id"]: v["status"] for v in page["verdicts"]}


def test_each_dashboard_is_the_single_report_in_its_own_folder_rendered_once(team_run: TeamRun) -> None:
    assert "(3 dashboards, " in team_run.printed
    notebooks = sorted(p.relative_to(team_run.out).as_posix() for p in team_run.out.rglob("*.ipynb"))
    assert notebooks == [f"{r.replace('/', '__')}/invariants/reliability_report.ipynb" for r in sorted(HISTORIES)]
    for repo in HISTORIES:
        folder = team_run.out / repo.replace("/", "__") / "invariants"
        assert sorted(p.name for p in folder.iterdir()) == [
            "reliability_report.html", "reliability_report.ipynb", "report.json", "summary.md"]  # fmt: skip
    assert sorted(p.name for p in team_run.out.iterdir() if p.is_file()) == ["index.html", "summary.md", "team.json"]


def test_the_overview_is_self_contained_and_links_each_dashboard(team_run: TeamRun) -> None:
    page = (team_run.out / "index.html").read_text()
    assert "<script" not in page and "<link" not in page and "http://" not in page and "https://" not in page
    assert page.count('src="data:image/png;base64,') == 1
    links = re.findall(r'href="([^"]+)"', page)
    assert sorted(links) == [f"{r.replace('/', '__')}/invariants/reliability_report.html" for r in sorted(HISTORIES)]
    assert all((team_run.out / link).is_file() for link in links)
    assert "403: not fetched" in page and "no Codex workflows" in page
    summary = (team_run.out / "summary.md").read_text()
    assert "| org/alpha | invariants.yml | yes | **FAIL** |" in summary
    assert f"| {FORBIDDEN} | — | — | — | — | — | — | — | 403: not fetched" in summary


def test_team_json_follows_its_schema_and_adds_up_the_weekly_failures(team_run: TeamRun) -> None:
    schema = json.loads((Path(overview.__file__).with_name("team.schema.json")).read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(team_run.team)
    total = sum(r["failures"] for r in team_run.team["codex_failures_by_week"])
    per_repo = sum(
        r["failures"]
        for row in team_run.team["repositories"] if row["report"]
        for r in json.loads((team_run.out / row["report"]).read_text())["codex_failures_by_week"]
    )  # fmt: skip
    assert total == per_repo > 0
    assert team_run.team["any_fail"] is True


def test_the_token_is_in_nothing_the_team_wrote_or_printed(team_run: TeamRun) -> None:
    assert "lacks actions:read" in team_run.printed  # the server did echo it, and it was scrubbed
    assert TOKEN not in team_run.printed
    for path in [*team_run.out.rglob("*"), *team_run.cache.rglob("*")]:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_without_a_token_the_org_is_read_from_the_cache_and_the_record(team_run: TeamRun) -> None:
    entries = team_members(Team(org=ORG), team_run.cache, token=None, api_url="http://127.0.0.1:9")
    assert [(e.repo, e.outcome, e.workflows) for e in entries] == [
        ("org/alpha", "fetched", ["invariants.yml"]), (NO_CODEX, "no-codex", []), (FORBIDDEN, "failed", []),
        ("org/delta", "fetched", ["invariants.yml"]), ("org/echo", "fetched", ["invariants.yml"]),
    ]  # fmt: skip


def test_the_team_folder_is_published_whole_to_pages_and_one_issue(team_run: TeamRun, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with FakeGitHub("org/dashboards", token=TOKEN) as site:
        where = ["publish", "--out", str(team_run.out), "--api-url", site.url]
        assert main([*where, "--pages"]) == 2  # a team is published to a repository it names
        assert "holds a team report: give --repo OWNER/REPO" in capsys.readouterr().err
        assert main([*where, "--repo", "org/dashboards", "--pages", "--issue"]) == 0
        files = site.publishing.tree_files()
        assert main([*where, "--repo", "org/dashboards", "--pages", "--issue"]) == 0
        again = capsys.readouterr().out
        issues = site.publishing.tracking_issues()
        commits = site.publishing.commits_on()
    pages = [f"{r.replace('/', '__')}/invariants/{name}" for r in sorted(HISTORIES)
             for name in ("reliability_report.html", "report.json")]  # fmt: skip
    assert sorted(files) == sorted([".nojekyll", "index.html", "team.json", *pages])
    assert files["index.html"] == (team_run.out / "index.html").read_text()
    assert all(files[page] == (team_run.out / page).read_text() for page in pages)
    assert "GitHub Pages: unchanged" in again and "tracking issue: unchanged" in again and commits == 1
    assert [i["title"] for i in issues] == ["Codex reliability: org/dashboards team"]
    assert "| org/alpha | invariants.yml | yes | **FAIL** |" in issues[0]["body"]
    assert all(TOKEN not in text for text in [*files.values(), issues[0]["body"], again])


def test_a_team_folders_job_outputs_name_its_overview(team_run: TeamRun, tmp_path: Path) -> None:
    outputs = tmp_path / "github_output"
    assert main(["publish", "--out", str(team_run.out), "--github-output", str(outputs)]) == 0
    said = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert said["html"] == str(team_run.out / "index.html") and Path(said["html"]).is_file()
    assert said["verdict"] == "FAIL" and int(said["failed"]) >= 1


def test_report_fetch_fetches_the_team_first_and_says_why_a_row_has_no_dashboard(tmp_path: Path, capsys) -> None:
    with FakeGitHub("org/alpha") as fake:
        build_org(fake)
        code = main(["report", "--repo", NO_CODEX, "--repo", FORBIDDEN, "--fetch", "--cache", str(tmp_path / "c"),
                     "--api-url", fake.url, "--out", str(tmp_path / "site")])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0  # nothing FAILed: neither has a dashboard to judge
    assert f"{FORBIDDEN}: failed: the workflows of {FORBIDDEN}: forbidden (403)" in err
    assert "(0 dashboards, " in out
    team = json.loads((tmp_path / "site" / "team.json").read_text())
    assert [(r["repo"], r["state"]) for r in team["repositories"]] == [(FORBIDDEN, "fetch-failed"),
                                                                        (NO_CODEX, "no-codex")]  # fmt: skip
    assert "none in this period" not in (tmp_path / "site" / "index.html").read_text()  # the chart is an image


def test_a_team_report_never_replaces_a_folder_of_other_files(tmp_path: Path, capsys) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    code = main(["report", "--repo", "org/alpha", "--repo", "org/echo", "--cache", str(tmp_path / "c"),
                 "--out", str(out)])  # fmt: skip
    assert code == 2 and "holds files that are not a team report" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and [p.name for p in tmp_path.iterdir()] == ["docs"]
    assert main(["report", "--repo", "org/alpha", "--repo", "org/echo", "--cache", str(tmp_path / "c"),
                 "--out", str(tmp_path / "site")]) == 0  # fmt: skip
    rows = json.loads((tmp_path / "site" / "team.json").read_text())["repositories"]
    assert [(r["repo"], r["state"]) for r in rows] == [("org/alpha", "not-cached"), ("org/echo", "not-cached")]
    assert rows[0]["note"] == "no history cached: run `codex-kit fetch --repo org/alpha` first"
