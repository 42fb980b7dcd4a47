"""Run the steps `codex-kit patch` writes, the way the runner would, in a temporary workspace.

A `JobSim` holds what a job run has: a workspace, `runner.temp`, a run id, secrets, the github
context of an event and the outcomes and outputs of steps so far. It renders a step's `env:` with
the expression evaluator, decides its `if:`, and runs its `run:` script with
`bash --noprofile --norc -eo pipefail` (what `shell: bash` means on a runner). `OpenAIStandIn` is
a loopback HTTP server that answers `GET /v1/models` as told and records what it was sent.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kit.patch.ghexpr import Context, Status, condition, interpolate

REPOSITORY = "octo/app"


def github_context(event: str) -> dict[str, Any]:
    """The github context of one kind of run (the six events the guard must handle)."""
    head = {"full_name": REPOSITORY, "fork": False}
    fork = {"full_name": "stranger/app", "fork": True}
    pr = {"number": 7, "draft": False, "user": {"login": "dev", "type": "User"}, "author_association": "MEMBER"}
    payloads = {
        "push": ("push", {"ref": "refs/heads/main", "head_commit": {"message": "change"}}),
        "schedule": ("schedule", {"schedule": "17 5 * * 1"}),
        "workflow_dispatch": ("workflow_dispatch", {"inputs": {}}),
        "same-repo PR": ("pull_request", {"action": "opened", "pull_request": {**pr, "head": {"repo": head}}}),
        "fork PR": ("pull_request", {"action": "opened", "pull_request": {**pr, "head": {"repo": fork}}}),
        "fork pull_request_target": (
            "pull_request_target",
            {"action": "opened", "pull_request": {**pr, "head": {"repo": fork}}},
        ),
    }
    name, payload = payloads[event]
    return {"event_name": name, "event": payload, "repository": REPOSITORY, "actor": "dev", "run_id": "4242"}


EVENTS = ("push", "schedule", "workflow_dispatch", "same-repo PR", "fork PR", "fork pull_request_target")
FORK_EVENTS = ("fork PR", "fork pull_request_target")


@dataclass
class StepRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    env: dict[str, str]

    @property
    def log(self) -> str:
        return self.stdout + self.stderr


@dataclass
class JobSim:
    """One job's run so far: enough state to render and run the kit's steps."""

    root: Path
    secrets: dict[str, str] = field(default_factory=dict)
    event: str = "push"
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: Status = field(default_factory=Status)
    extra_env: dict[str, str] = field(default_factory=dict)
    run_id: str = "4242"

    def __post_init__(self) -> None:
        self.workspace = self.root / "workspace"
        self.runner_temp = self.root / "runner-temp"
        self.home = self.root / "home"
        for folder in (self.workspace, self.runner_temp, self.home):
            folder.mkdir(parents=True, exist_ok=True)

    def context(self) -> Context:
        values = {
            "github": github_context(self.event),
            "secrets": self.secrets,
            "runner": {"temp": str(self.runner_temp), "os": "Linux"},
            "steps": self.steps,
            "env": {},
            "vars": {},
            "needs": {},
        }
        return Context(values, self.status, self.hash_files)

    def hash_files(self, patterns: list[str]) -> str:
        digest = hashlib.sha256()
        found = False
        for pattern in patterns:
            for path in sorted(self.workspace.glob(pattern)):
                if path.is_file():
                    found = True
                    digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest() if found else ""

    def should_run(self, step: dict[str, Any]) -> bool:
        return condition(step.get("if"), self.context())

    def record(self, step_id: str, outcome: str, outputs: dict[str, str] | None = None) -> None:
        """What a step (for instance the Codex step, which is not run here) left behind."""
        self.steps[step_id] = {"outcome": outcome, "conclusion": "success", "outputs": outputs or {}}

    def run(self, step: dict[str, Any]) -> StepRun:
        """Run a `run:` step; its outcome and outputs become visible to later steps."""
        ctx = self.context()
        env = {name: interpolate(str(value), ctx) for name, value in (step.get("env") or {}).items()}
        output_file = self.root / f"output-{len(self.steps)}"
        output_file.write_text("")
        script = self.root / "step.sh"
        script.write_text(step["run"])
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.home), "LANG": "C.UTF-8"}
        runner_env = {
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_RUN_ID": self.run_id,
            "GITHUB_WORKSPACE": str(self.workspace),
            "RUNNER_TEMP": str(self.runner_temp),
            "CI": "true",
        }
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env={**base, **runner_env, **self.extra_env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        if step.get("id"):
            self.record(str(step["id"]), "success" if proc.returncode == 0 else "failure", outputs)
        return StepRun(proc.returncode, proc.stdout, proc.stderr, outputs, env)


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | None


class OpenAIStandIn:
    """`GET /v1/models` on a loopback port, answering what the test sets and counting requests."""

    def __init__(self) -> None:
        self.answer = Answer(200, {"object": "list", "data": [{"id": "gpt-5", "object": "model"}]})
        self.requests: list[dict[str, str]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.requests.append({"path": self.path, "authorization": self.headers.get("Authorization", "")})
                body = json.dumps(stand_in.answer.body, indent=2).encode() if stand_in.answer.body else b""
                self.send_response(stand_in.answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> OpenAIStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def kit_steps(job: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if isinstance(s, dict) and s.get("name") == name]
