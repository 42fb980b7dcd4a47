"""`codex-kit classify` and `--taxonomy`: a team checks a rule on a saved log, then reports with it."""

from __future__ import annotations

import json
from pathlib import Path

from kit.cli import main

LOG = (
    "2026-10-01T10:00:00.0000000Z ##[group]Run openai/codex-action@v1\n"
    "2026-10-01T10:00:01.0000000Z \x1b[31mERROR: Quota exceeded. Check your plan and billing details.\x1b[0m\n"
    "2026-10-01T10:00:02.0000000Z ##[error]Process completed with exit code 1.\n"
)
TEAM_RULES = """\
version: 1
rules:
  - id: team-gateway-quota
    category: gateway-quota
    pattern: 'Quota exceeded\\. Check your plan'
    meaning: Our gateway's own quota ran out.
    remedy: Ask the platform team to raise the gateway quota.
"""


def test_classify_names_a_saved_log(tmp_path: Path, capsys) -> None:
    (tmp_path / "job.log").write_text(LOG)
    assert main(["classify", str(tmp_path / "job.log")]) == 0
    out = capsys.readouterr().out
    assert "quota-exhausted (rule quota; line 2): ERROR: Quota exceeded." in out


def test_team_rules_come_first(tmp_path: Path, capsys) -> None:
    (tmp_path / "job.log").write_text(LOG)
    (tmp_path / "rules.yaml").write_text(TEAM_RULES)
    assert main(["classify", str(tmp_path / "job.log"), "--taxonomy", str(tmp_path / "rules.yaml")]) == 0
    assert "gateway-quota (rule team-gateway-quota; line 2)" in capsys.readouterr().out


def test_a_misspelt_team_rule_is_one_clear_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "job.log").write_text(LOG)
    (tmp_path / "rules.yaml").write_text(TEAM_RULES.replace("pattern:", "patern:"))
    assert main(["classify", str(tmp_path / "job.log"), "--taxonomy", str(tmp_path / "rules.yaml")]) == 2
    err = capsys.readouterr().err
    assert "rules.yaml" in err and "team-gateway-quota" in err and "Traceback" not in err


def test_report_with_team_rules(tmp_path: Path, capsys) -> None:
    (tmp_path / "rules.yaml").write_text(TEAM_RULES)
    out = tmp_path / "out"
    assert main(["report", "--out", str(out), "--taxonomy", str(tmp_path / "rules.yaml")]) == 0
    report = json.loads((out / "report.json").read_text())
    categories = {c["category"] for c in report["categories"]}
    assert "gateway-quota" in categories and "quota-exhausted" not in categories
