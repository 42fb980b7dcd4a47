"""Every command and flag is in the README, and the report's flags, the notebook's papermill
parameters and `ReportParameters` are one set with one set of defaults."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

import pytest

from kit.analysis.parameters import ReportParameters
from kit.cli import TEAM_FLAGS, build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_subcommand_and_flag_is_documented(name: str) -> None:
    assert f"codex-kit {name}" in README
    flags = [s for a in _subcommands()[name]._actions for s in a.option_strings if s.startswith("--") and s != "--help"]
    missing = [
        flag for flag in flags if f"`{flag}" not in README and f"[{flag}" not in README and f" {flag} " not in README
    ]
    assert not missing, f"codex-kit {name}: {missing} not in README.md"


def test_report_flags_are_the_report_parameters() -> None:
    """Besides the flags that name a team (`--repos-file`, `--org`), whose repositories are each reported with them."""
    report = _subcommands()["report"]
    dests = {a.dest: a.default for a in report._actions if a.option_strings and a.dest not in ("help", *TEAM_FLAGS)}
    assert dests == {f.name: f.default for f in fields(ReportParameters)}


def test_notebook_parameters_are_the_report_parameters() -> None:
    notebook = json.loads((ROOT / "notebooks" / "reliability_report.ipynb").read_text())
    cell = next(c for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    names = [line.split("=")[0].strip() for line in "".join(cell["source"]).splitlines() if "=" in line]
    assert names == ReportParameters.names()


def test_every_test_the_readme_names_exists() -> None:
    """A promise in the README names the test that proves it; a renamed or deleted test must not leave
    the promise pointing at nothing."""
    import re

    files = set(re.findall(r"tests/[\w/]+\.py", README))
    assert files, "the README names the tests behind its promises"
    missing_files = sorted(f for f in files if not (ROOT / f).is_file())
    assert not missing_files, f"README names test files that do not exist: {missing_files}"
    defined = {
        name
        for path in (ROOT / "tests").rglob("test_*.py")
        for name in re.findall(r"^def (test_\w+)", path.read_text(), re.M)
    }
    named = set(re.findall(r"\b(test_\w+)\b(?!\.)", README))  # not a file name such as test_policy.sql
    assert len(named) > 20, named
    missing_tests = sorted(named - defined)
    assert not missing_tests, f"README names tests that do not exist: {missing_tests}"
