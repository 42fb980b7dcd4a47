"""`codex-kit schedule`: a workflow that uses codex-kit's action, pinned, with least privilege; it and
action.yml pass actionlint and zizmor (offline, pedantic persona) with zero findings."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from kit.cli import main
from kit.patch import yamlread
from kit.report.schedule import Schedule, schedule_workflow
from tests.support import lint

ROOT = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"
ACTION = f"acme/codex-kit@{SHA}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cron", "notacron"], "is not a cron schedule"),
        (["--cron", "61 * * * *"], "is not a cron schedule"),
        (["--cron", "0 6 * * *"], "minute other than 0"),
        (["--workflow", "x.yml; rm -rf /"], "must be a workflow file name"),
        (["--workflow", "../x.yml"], "must be a workflow file name"),
        (["--action", 'acme/codex-kit@v1"; curl evil | sh'], "--action must be OWNER/REPO@REF"),
        (["--action", "acme/codex-kit"], "--action must be OWNER/REPO@REF"),
        (["--pr", "0"], "--pr must be a pull request number"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_written(args, message, tmp_path: Path, capsys) -> None:
    target = tmp_path / "w.yml"
    assert main(["schedule", "--action", ACTION, *args, "--write", str(target)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not target.exists()


@pytest.mark.parametrize(
    ("flags", "scopes"),
    [
        ([], {"actions": "read", "checks": "read"}),
        (["--issue"], {"actions": "read", "checks": "read", "issues": "write"}),
        (["--pages"], {"actions": "read", "checks": "read", "contents": "write", "pages": "write"}),
        (["--pr", "12"], {"actions": "read", "checks": "read", "pull-requests": "write"}),
    ],
)
def test_permissions_are_the_least_each_choice_needs(flags, scopes, tmp_path: Path) -> None:
    target = tmp_path / "w.yml"
    assert main(["schedule", "--action", ACTION, *flags, "--write", str(target)]) == 0
    workflow = yaml.safe_load(target.read_text())
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["report"]["permissions"] == scopes


def test_the_workflow_uses_the_pinned_action_with_the_choices_as_inputs() -> None:
    text = schedule_workflow(Schedule(ACTION, "ci-checks.yml", "17 4 * * 2", issue=True, pages=True, pr=9))
    workflow = yamlread.load(text)  # YAML 1.2, as GitHub reads it (`on` is a key, not True)
    assert workflow["on"]["schedule"] == [{"cron": "17 4 * * 2"}] and "workflow_dispatch" in workflow["on"]
    assert workflow["concurrency"] == {"group": "codex-reliability-report", "cancel-in-progress": False}
    (step,) = workflow["jobs"]["report"]["steps"]
    assert step["uses"] == ACTION
    assert step["with"] == {"workflow": "ci-checks.yml", "issue": "true", "pages": "true", "pr": "9"}
    assert "run" not in step and "git+" not in text and "pip install" not in text


def test_a_mutable_ref_is_written_with_a_warning(capsys) -> None:
    assert main(["schedule", "--action", "acme/codex-kit@v1"]) == 0
    captured = capsys.readouterr()
    assert "uses: acme/codex-kit@v1" in captured.out
    assert "warning: --action acme/codex-kit@v1: 'v1' is a tag or branch" in captured.err
    assert main(["schedule", "--action", ACTION]) == 0
    assert "warning" not in capsys.readouterr().err


def zizmor_pedantic(folder: Path) -> str:
    proc = subprocess.run(
        [lint.tool("zizmor"), "--offline", "--no-progress", "--persona", "pedantic", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("flags", [[], ["--issue", "--pages", "--pr", "3"]])
def test_the_schedule_and_the_action_have_no_linter_finding(flags, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ROOT / "action.yml", repo / "action.yml")
    workflow = repo / ".github" / "workflows" / "codex-report.yml"
    assert main(["schedule", "--action", ACTION, *flags, "--write", str(workflow)]) == 0
    assert not lint.actionlint([workflow])
    assert not lint.zizmor(repo)
    assert "No findings to report" in zizmor_pedantic(repo) and "suppressed" not in zizmor_pedantic(repo)
    assert not lint.schema_failures([workflow])
    proc = subprocess.run([lint.tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions",
                           str(repo / "action.yml")], capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout


def test_action_inputs_reach_shell_only_through_env() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    for step in steps:
        assert "${{" not in step.get("run", ""), step["name"]
        if "uses" in step:
            ref = step["uses"].split("@")[1]
            assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), step["uses"]
    names = set(action["inputs"])
    assert {"repository", "workflow", "cutover", "min-runs", "unknown-share", "message-share", "token"} <= names
    assert {"issue", "pages", "pr"} <= names and action["inputs"]["token"]["default"] == "${{ github.token }}"
    assert {"verdict", "html", "passed", "failed", "not-enough-data"} <= set(action["outputs"])
