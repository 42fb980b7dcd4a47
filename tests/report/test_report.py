"""The report as a user gets it: papermill runs the notebook, nbconvert writes the HTML, a browser opens it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kit.analysis.parameters import ReportParameters
from kit.cli import main
from kit.history.cache import HistoryCache, cache_folder
from kit.report import views
from kit.report.run import run_report
from kit.sample import REPO, WORKFLOW, Scenario, generate, write_sample
from tests.support import lint
from tests.support.fake_github import FakeGitHub

TOKEN = "codex-kit-test-token-report-0123456789abcdef"


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory):
    return run_report(ReportParameters(out_dir=str(tmp_path_factory.mktemp("report"))))


def test_sample_report_outputs(sample_report) -> None:
    report = sample_report.report
    assert [v["status"] for v in report["verdicts"]] == ["PASS"] * 5
    html = sample_report.html.read_text()
    assert "Codex reliability report" in html and "No Codex step fails with a server-info error" in html
    assert html.count("data:image/png") >= 4, "every chart is embedded"
    assert "from kit.report" not in html and "analyse(" not in html, "no code in the dashboard"
    assert re.search(r"<(?:script|link|img)\b[^>]*(?:src|href)=[\"']?(?:https?:)?//", html, re.I) is None, "no CDN"
    assert "<style" in html, "styles are inline"
    assert "| No Codex step fails with a server-info error | **PASS** |" in sample_report.summary.read_text()


def test_report_in_a_browser(sample_report, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on this machine; install Debian's `chromium` (bash scripts/test.sh does as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (a test extra)")
    errors: list[str] = []
    with sync_api.sync_playwright() as play:
        browser = play.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(sample_report.html.resolve().as_uri())
        page.wait_for_load_state("load")
        images = page.eval_on_selector_all("img", "els => els.map(e => [e.naturalWidth, e.naturalHeight])")
        verdicts = page.inner_text("table.verdicts")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert len(images) >= 4 and all(w > 200 and h > 100 for w, h in images), images
    assert verdicts.count("PASS") == 5
    assert errors == []


def test_failing_criterion_exits_1(tmp_path: Path, capsys) -> None:
    write_sample(tmp_path / "cache", Scenario(after_server_info_failures=3))
    code = main(["report", "--repo", REPO, "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "out")])
    assert code == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "server-info error" in out


def test_missing_cache_exits_2(tmp_path: Path, capsys) -> None:
    code = main(["report", "--repo", "octo/none", "--cache", str(tmp_path), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "no history cached for octo/none" in capsys.readouterr().err


def test_fetch_then_report_offline_and_the_token_stays_secret(tmp_path: Path, monkeypatch) -> None:
    generated = generate(Scenario(days=12, cutover_day=6, runs_per_day=8))
    with FakeGitHub(REPO, token=TOKEN) as fake:
        for run in generated.runs:
            fake.add_run(run, generated.jobs[run["id"]], {})
        fake.logs.update(generated.logs)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        out = tmp_path / "out"
        code = main(["report", "--repo", REPO, "--workflow", WORKFLOW, "--fetch", "--api-url", fake.url,
                     "--cache", str(tmp_path / "cache"), "--out", str(out), "--min-runs", "5"])  # fmt: skip
    assert code in (0, 1)
    report = json.loads((out / "report.json").read_text())
    assert report["repo"] == REPO and len(report["verdicts"]) == 5
    assert HistoryCache(cache_folder(tmp_path / "cache", REPO)).table_path("runs").exists()
    for path in [*out.rglob("*"), *(tmp_path / "cache").rglob("*")]:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("pages", [False, True])
def test_schedule_workflow_lints_clean(tmp_path: Path, pages: bool) -> None:
    target = tmp_path / ".github" / "workflows" / "codex-report.yml"
    action = "acme/codex-kit@0123456789abcdef0123456789abcdef01234567"
    assert main(["schedule", "--action", action, "--write", str(target), *(["--pages"] if pages else [])]) == 0
    assert not lint.actionlint([target])
    assert lint.schema_ok(target)
    assert "23 6 * * 1" in target.read_text()


def test_schedule_refuses_minute_zero(capsys) -> None:
    assert main(["schedule", "--action", "acme/codex-kit@v1", "--cron", "0 6 * * *"]) == 2
    assert "minute other than 0" in capsys.readouterr().err


def test_a_failed_report_leaves_the_previous_one_as_it_was(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["report", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["report", "--out", str(out), "--cutover", "deadbeef1"]) == 2
    err = capsys.readouterr().err
    assert "no run of a commit with that SHA" in err and "left as it was" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "no staging folder is left behind"


@pytest.mark.parametrize("case", ["out-is-a-file", "missing-cache", "bad-date"])
def test_input_errors_are_one_line_before_the_notebook_runs(tmp_path: Path, capsys, case: str) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    args, message = {
        "out-is-a-file": (["--out", str(afile)], "is a file"),
        "missing-cache": (["--repo", "octo/none", "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o")],
                          f"--cache {tmp_path / 'c'}"),
        "bad-date": (["--since", "last tuesday-ish", "--out", str(tmp_path / "o")], "--since/--until must be dates"),
    }[case]  # fmt: skip
    assert main(["report", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert afile.read_text() == "x" and not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "warning"),
    [
        (
            ["--workflow", "nope.yml"],
            "no runs of nope.yml in the period asked for; the cache holds runs of invariants.yml",
        ),
        (["--since", "2030-01-01"], "no runs of invariants.yml in the period asked for"),
        (["--until", "2020-01-01"], "no runs of invariants.yml in the period asked for"),
    ],
)
def test_an_empty_selection_is_not_enough_data_with_a_warning(tmp_path: Path, capsys, args, warning) -> None:
    assert main(["report", *args, "--out", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    assert warning in captured.err and "Traceback" not in captured.err
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert {v["status"] for v in report["verdicts"]} == {"NOT ENOUGH DATA"} and report["period"]["runs"] == 0


def test_cache_without_repo_is_refused(tmp_path: Path, capsys) -> None:
    assert main(["report", "--cache", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "--cache needs --repo" in capsys.readouterr().err


def test_report_json_has_numbers_and_matches_its_schema(sample_report) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(views.__file__).with_name("report.schema.json")).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    report = sample_report.report
    jsonschema.validate(report, schema)
    counts = {v["id"]: v["counts"] for v in report["verdicts"]}
    assert counts["server-info"]["attempts_before"] == 1463 and counts["server-info"]["failures_before"] == 206
    assert {c["category"] for c in report["categories"]} >= {"missing-api-key", "output-missing"}
    broken = {**report, "verdicts": [{**report["verdicts"][0], "status": "MAYBE"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_dashboard_reads_at_a_glance(sample_report) -> None:
    html = sample_report.html.read_text()
    assert "<title>Codex reliability: acme/ledger invariants.yml</title>" in html
    assert "Synthetic sample." in html and "failure taxonomy v" in html and "made 20" in html
    assert "before_failures" not in html and "fisher_p" not in html, "human column names"
    assert "##[warning]codex-kit" not in html, "evidence without the runner's prefix"
