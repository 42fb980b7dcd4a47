"""Run action.yml's shell steps the way a runner runs a composite action, against the fake GitHub.

An `ActionRun` renders each step's `env:` and `if:` with the kit's expression evaluator from the
contexts a runner provides (github, inputs with their defaults, runner, steps), runs each `run:`
with `bash --noprofile --norc -eo pipefail` (what `shell: bash` means) and GitHub's files
(GITHUB_OUTPUT per step, GITHUB_STEP_SUMMARY per job), and skips the `uses:` steps, recording what
they would leave: setup-python's `python-path`, and `with:` values rendered for the test to check
(the artifact's path). The venv the install step makes sees the test interpreter's dependencies
through a `.pth` line (see tests/package/install.py); codex-kit itself is built and installed by
the step, from GITHUB_ACTION_PATH, a copy of this repository's sources and action.yml.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit.patch import yamlread
from kit.patch.ghexpr import Context, Status, condition, interpolate

ROOT = Path(__file__).resolve().parents[2]
ACTION = yamlread.load((ROOT / "action.yml").read_text(encoding="utf-8"))


@dataclass
class StepLog:
    name: str
    ran: bool
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    rendered_with: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    """One job that calls the action once, in `root` (runner.temp, workspace, home, the action's path)."""

    root: Path
    action_path: Path
    api_url: str
    token: str
    given: dict[str, str]  # the caller's `with:`
    run_id: int = 4242
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: Status = field(default_factory=Status)
    log: list[StepLog] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.runner_temp = self.root / "runner-temp"
        self.workspace = self.root / "workspace"
        self.home = self.root / "home"
        for folder in (self.runner_temp, self.workspace, self.home):
            folder.mkdir(parents=True, exist_ok=True)
        self.summary = self.root / "step-summary.md"
        self.summary.touch()

    def github(self) -> dict[str, Any]:
        return {"repository": "octo/app", "repository_owner": "octo", "token": self.token, "api_url": self.api_url,
                "run_id": str(self.run_id), "run_attempt": "1", "action_path": str(self.action_path),
                "event_name": "schedule", "workspace": str(self.workspace)}  # fmt: skip

    def context(self, inputs: dict[str, str] | None = None) -> Context:
        given = inputs if inputs is not None else self.inputs()
        values = {"github": self.github(), "runner": {"temp": str(self.runner_temp), "os": "Linux"},
                  "steps": self.steps, "inputs": given, "env": {}}  # fmt: skip
        return Context(values, self.status)

    def inputs(self) -> dict[str, str]:
        """The caller's values, else each input's default rendered as the runner does."""
        bare = self.context(inputs={})
        return {
            name: self.given.get(name, interpolate(str(spec.get("default", "")), bare))
            for name, spec in ACTION["inputs"].items()
        }

    def run(self) -> dict[str, str]:
        """Every step in order; the action's outputs as the caller would read them."""
        for step in ACTION["runs"]["steps"]:
            ctx = self.context()
            if not condition(step.get("if"), ctx):
                self.log.append(StepLog(step["name"], False))
                continue
            if "uses" in step:
                self._uses(step, ctx)
                continue
            self._run(step, ctx)
        ctx = self.context()
        return {name: interpolate(spec["value"], ctx) for name, spec in ACTION["outputs"].items()}

    def _uses(self, step: dict[str, Any], ctx: Context) -> None:
        rendered = {k: interpolate(str(v), ctx) for k, v in (step.get("with") or {}).items()}
        self.log.append(StepLog(step["name"], False, rendered_with=rendered))
        if step.get("id") == "python":
            self.steps["python"] = {"outcome": "success", "conclusion": "success",
                                    "outputs": {"python-path": sys.executable}}  # fmt: skip

    def _run(self, step: dict[str, Any], ctx: Context) -> None:
        env = {name: interpolate(str(value), ctx) for name, value in (step.get("env") or {}).items()}
        output_file = self.root / f"output-{len(self.log)}"
        output_file.write_text("")
        script = self.root / "step.sh"
        script.write_text(step["run"])
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.home), "LANG": "C.UTF-8",
                "MPLBACKEND": "Agg", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # fmt: skip
        base |= {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
        runner = {"GITHUB_OUTPUT": str(output_file), "GITHUB_STEP_SUMMARY": str(self.summary),
                  "GITHUB_ACTION_PATH": str(self.action_path), "GITHUB_WORKSPACE": str(self.workspace),
                  "GITHUB_RUN_ID": str(self.run_id), "RUNNER_TEMP": str(self.runner_temp), "CI": "true"}  # fmt: skip
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace,
            env={**base, **runner, **env}, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        outcome = "success" if proc.returncode == 0 else "failure"
        if step.get("id"):
            self.steps[str(step["id"])] = {"outcome": outcome, "conclusion": outcome, "outputs": outputs}
        if proc.returncode:
            self.status.failed = True
        self.log.append(StepLog(step["name"], True, proc.returncode, proc.stdout, proc.stderr))
