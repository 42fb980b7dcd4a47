"""The token never reaches any output: not the notebook, the HTML, the Markdown, the JSON, the cache or the terminal.

Proved the hard way: a server that echoes the token back in its error messages, as a misconfigured
proxy or a hostile API would, on a report that fetches first and on a plain fetch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.cli import main
from kit.sample import REPO, WORKFLOW, Scenario, generate
from tests.support.fake_github import FakeGitHub, Fault

TOKEN = "fake-token-codexkit-SECRET-0123456789abcdefXYZ"


def _files(*folders: Path) -> list[Path]:
    return [path for folder in folders if folder.exists() for path in folder.rglob("*") if path.is_file()]


def _serve(fake: FakeGitHub) -> None:
    generated = generate(Scenario(days=6, cutover_day=3, runs_per_day=6))
    for run in generated.runs:
        fake.add_run(run, generated.jobs[run["id"]], {})
    fake.logs.update(generated.logs)


def _assert_secret(capfd: pytest.CaptureFixture[str], *folders: Path) -> str:
    out, err = capfd.readouterr()
    assert TOKEN not in out and TOKEN not in err
    for path in _files(*folders):
        assert TOKEN.encode() not in path.read_bytes(), path
    return err


ECHOES = {
    "403 naming the token": Fault(
        "/repos/", status=403, times=99, body={"message": f"token {TOKEN} lacks actions:read"}
    ),
    "500s naming the token": Fault("/repos/", status=500, times=99, body={"message": f"upstream refused {TOKEN}"}),
    "HTML naming the token": Fault("/repos/", status=502, times=99, body=f"<html>Bad gateway for {TOKEN}</html>"),
}


@pytest.mark.parametrize("echo", sorted(ECHOES))
def test_a_report_whose_fetch_fails_on_a_server_echoing_the_token(
    echo: str, tmp_path: Path, monkeypatch, capfd
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with FakeGitHub(REPO, token=TOKEN) as fake:
        _serve(fake)
        fake.stall = 0.2
        fake.faults.append(ECHOES[echo])
        cache, out = tmp_path / "cache", tmp_path / "out"
        code = main(["report", "--repo", REPO, "--workflow", WORKFLOW, "--fetch", "--api-url", fake.url,
                     "--cache", str(cache), "--out", str(out)])  # fmt: skip
        assert code == 2
        err = _assert_secret(capfd, tmp_path)
        assert "***" in err or "GitHub" in err, err
        assert not out.exists(), "a failed report writes nothing"
        assert [p for p in tmp_path.iterdir() if p.name != "cache"] == [], "no staging folder left behind"
        code = main(["fetch", "--repo", REPO, "--workflow", WORKFLOW, "--api-url", fake.url, "--cache", str(cache)])
        assert code == 2
        _assert_secret(capfd, tmp_path)


def test_a_successful_fetch_and_report_keep_the_token_out_of_every_output(tmp_path: Path, monkeypatch, capfd) -> None:
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with FakeGitHub(REPO, token=TOKEN) as fake:
        _serve(fake)
        cache, out = tmp_path / "cache", tmp_path / "out"
        code = main(["report", "--repo", REPO, "--workflow", WORKFLOW, "--fetch", "--api-url", fake.url,
                     "--cache", str(cache), "--out", str(out), "--min-runs", "5"])  # fmt: skip
    assert code in (0, 1)
    names = {path.name for path in _files(out)}
    assert {"reliability_report.ipynb", "reliability_report.html", "summary.md", "report.json"} <= names
    _assert_secret(capfd, tmp_path)
