"""`codex-kit patch` as a user runs it: exit codes, --check, --diff, --json, refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kit.cli import main

SAMPLE = Path(__file__).resolve().parent / "sample_target"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(SAMPLE, target)
    return target


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_check_on_unpatched_exits_1_and_writes_nothing(repo: Path, capsys) -> None:
    before = snapshot(repo)
    assert main(["patch", str(repo), "--check"]) == 1
    assert snapshot(repo) == before
    assert "would patch: .github/workflows/invariants.yml" in capsys.readouterr().out


def test_patch_then_check_exits_0(repo: Path) -> None:
    assert main(["patch", str(repo)]) == 0
    assert main(["patch", str(repo), "--check"]) == 0


def test_diff_prints_hunks_and_writes_nothing(repo: Path, capsys) -> None:
    before = snapshot(repo)
    assert main(["patch", str(repo), "--diff"]) == 0
    out = capsys.readouterr().out
    assert "+++ b/.github/workflows/invariants.yml" in out and "+      - name: Prepare Codex home" in out
    assert "+++ b/db/tests/test_policy.sql" in out
    assert snapshot(repo) == before


def test_json_report(repo: Path, capsys) -> None:
    assert main(["patch", str(repo), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mode"] == "write" and report["summary"]["patched"] == 3
    workflow = next(f for f in report["files"] if f["kind"] == "workflow")
    assert set(workflow["jobs"]) == {"invariants-review", "schema-summary"}
    assert report["db_test"]["status"] == "patched" and len(report["db_test"]["candidates"]) == 2


def test_refused_file_exits_3_others_still_patched(repo: Path, capsys) -> None:
    broken = repo / ".github" / "workflows" / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    steps: [{uses: openai/codex-action@v1}]\n")
    assert main(["patch", str(repo)]) == 3
    captured = capsys.readouterr()
    assert "refused .github/workflows/broken.yml" in captured.err and "flow-style" in captured.err
    assert "patched: .github/workflows/invariants.yml" in captured.out
    assert broken.read_text().startswith("on: push")


def test_missing_directory_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["patch", str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_repo_without_codex(tmp_path: Path, capsys) -> None:
    assert main(["patch", str(tmp_path)]) == 0
    assert "no workflow or local action uses openai/codex-action" in capsys.readouterr().out


def test_json_says_written_only_when_a_file_was_rewritten(repo: Path, capsys) -> None:
    assert main(["patch", str(repo), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["written"] is True
    assert main(["patch", str(repo), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["written"] is False
    assert main(["patch", str(repo), "--json", "--check"]) == 0
    assert json.loads(capsys.readouterr().out)["written"] is False
