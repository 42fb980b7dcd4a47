"""A deterministic, realistic Actions history for a fictional repository, before and after hardening.

It writes exactly what `codex-kit fetch` would store for the same payloads (the same row builders
turn GitHub-shaped runs, jobs and logs into tables), so the report runs on it unchanged, and the
tests' fake GitHub server can serve the same payloads for an offline fetch → report run.

The story: ~90 days of `invariants.yml` on `acme/ledger`. Before the cutover the Codex job is raw
codex-action: fork PRs fail on the missing key or the actor check, reruns hit stale server info,
and each Codex failure fails the run; from day 20 CI stops seeding policies, so the DB test's
"exactly one ACTIVE" assertion fails. At the cutover `codex-kit patch` lands: fork PRs skip the
Codex job, failures are caught by the preflight or the output contract and block nothing, and the
DB test asserts at most one. One stale branch keeps running the old workflow after the cutover.
Every failure's category is recorded as ground truth for the classifier's tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from kit.history import coverage
from kit.history import payloads as p
from kit.history.cache import History, HistoryCache, cache_folder
from kit.history.complete import history_rows
from kit.history.locations import SAMPLE_REPO, SAMPLE_ROOT, SAMPLE_WORKFLOW
from kit.vocabulary import (
    CODEX_ACTION,
    CONTRACT_STEP_NAME,
    KEY_ACCEPTED,
    MESSAGE_PREFIX,
    PREFLIGHT_ID,
    PREFLIGHT_OK,
    PREFLIGHT_STEP_NAME,
    PREPARE_STEP_NAME,
    contract_line,
    preflight_line,
)

REPO = SAMPLE_REPO
WORKFLOW = SAMPLE_WORKFLOW
WORKFLOW_PATH = f".github/workflows/{WORKFLOW}"
CODEX_STEP = "Codex invariants review"
SAMPLE_DIR = SAMPLE_ROOT

# Before the cutover: category -> weight among failing same-repo Codex runs.
BEFORE_MIX = {
    "server-info-missing": 4, "invalid-key": 5, "quota-exhausted": 4, "rate-limited": 4, "network-upstream": 5,
    "model-not-found": 2, "sandbox": 2, "sudo": 1, "config-error": 2, "hang-timeout": 3, "codex-exited": 2,
}  # fmt: skip
# After the cutover: what still goes wrong, now caught and explained by the kit's steps.
AFTER_MIX = {
    "invalid-key": 3, "quota-exhausted": 4, "rate-limited": 3, "network-upstream": 3, "missing-api-key": 2,
    "output-missing": 3, "hang-timeout": 1, "codex-failed": 1,
}  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    """Knobs of the story; the defaults are the shipped sample."""

    seed: int = 20260801
    start: datetime = datetime(2026, 8, 1, tzinfo=UTC)
    days: int = 90
    cutover_day: int = 45
    runs_per_day: int = 30
    seed_skipped_from_day: int = 20
    codex_failure_rate: float = 0.12
    after_server_info_failures: int = 0  # >0 makes the server-info criterion FAIL
    stale_branch_runs: int = 6


@dataclass
class Generated:
    runs: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    logs: dict[int, str] = field(default_factory=dict)
    truth: dict[int, str] = field(default_factory=dict)  # job_id -> category

    def history(self) -> History:
        rows = history_rows(self.runs, self.jobs, self.logs, WORKFLOW)
        history = History.empty()
        for name, table_rows in rows.items():
            history.upsert(name, table_rows)
        for name in ("runs", "jobs", "steps", "log_lines"):
            table = history.table(name)
            setattr(history, name, table.sort_values(list(table.columns[:1])).reset_index(drop=True))
        return history


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp(moment: datetime, offset: float) -> str:
    return (moment + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


class _Story:
    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.rng = random.Random(scenario.seed)
        self.out = Generated()
        self.repo = p.repository(REPO, 501)
        self.fork = p.repository("outsider/ledger", 502, fork=True)
        self.next_run, self.next_job = 9_100_000_000, 40_000_000_000
        self.cutover = scenario.start + timedelta(days=scenario.cutover_day, hours=10)
        self.server_info_left = scenario.after_server_info_failures

    def tell(self) -> Generated:
        for day in range(self.s.days):
            base = self.s.start + timedelta(days=day)
            moments = sorted(
                base + timedelta(minutes=self.rng.randrange(0, 24 * 60)) for _ in range(self.s.runs_per_day)
            )
            for index, moment in enumerate(moments):
                event = "schedule" if index == 0 else self._event()
                self._run(moment, event, day)
        after = self.cutover + timedelta(days=2)
        for i in range(self.s.stale_branch_runs):
            self._run(after + timedelta(hours=7 * i), "pull_request", self.s.cutover_day + 2, stale=True)
        return self.out

    def _event(self) -> str:
        roll = self.rng.random()
        if roll < 0.30:
            return "push"
        if roll < 0.42:
            return "fork"
        if roll < 0.44:
            return "workflow_dispatch"
        return "pull_request"

    # --- one run -----------------------------------------------------------------------------------
    def _run(self, moment: datetime, event: str, day: int, stale: bool = False) -> None:
        hardened = moment >= self.cutover and not stale
        from_fork = event == "fork"
        event = "pull_request" if from_fork else event
        run_id = self.next_run
        self.next_run += self.rng.randrange(3, 40)
        branch = "main" if event in ("push", "schedule", "workflow_dispatch") else f"feature/{run_id % 997}"
        if stale:
            branch = "feature/old-reports"
        run = p.workflow_run(
            run_id=run_id, run_number=len(self.out.runs) + 1, repo=self.repo,
            head_repo=self.fork if from_fork else self.repo, workflow_path=WORKFLOW_PATH, workflow_id=61_000_001,
            event=event, status="completed", conclusion="success", head_branch=branch, head_sha=f"{run_id:040x}",
            created_at=_ts(moment), updated_at=_ts(moment + timedelta(minutes=12)),
            actor="outsider" if from_fork else self.rng.choice(["ana", "ben", "chen", "dee"]),
            pull_requests=[] if from_fork or event != "pull_request" else [1000 + run_id % 800],
        )  # fmt: skip
        jobs = [self._db_job(run, moment, day, hardened)]
        jobs.append(self._codex_job(run, moment, hardened, from_fork, stale))
        rerun = not hardened and jobs[1]["conclusion"] == "failure" and self.rng.random() < 0.3
        if rerun:
            run["run_attempt"] = 2
            again = self._codex_job(run, moment + timedelta(minutes=30), False, from_fork, False, attempt=2)
            db_again = dict(jobs[0], id=self._job_id(), run_attempt=2)
            jobs += [db_again, again]
            if jobs[0]["conclusion"] == "failure":
                self.out.truth[db_again["id"]] = self.out.truth[jobs[0]["id"]]
                self.out.logs[db_again["id"]] = self.out.logs[jobs[0]["id"]]
        latest = [j for j in jobs if j["run_attempt"] == run["run_attempt"]]
        if any(j["conclusion"] in ("failure", "timed_out") for j in latest):
            run["conclusion"] = "failure"
        self.out.runs.append(run)
        self.out.jobs[run_id] = jobs

    def _job_id(self) -> int:
        self.next_job += self.rng.randrange(1, 9)
        return self.next_job

    # --- the DB test job ---------------------------------------------------------------------------------
    def _db_job(self, run: dict, moment: datetime, day: int, hardened: bool) -> dict:
        job_id = self._job_id()
        skip_seed = day >= self.s.seed_skipped_from_day
        category = None
        if skip_seed and not hardened and self.rng.random() < 0.85:
            category = "db-active-count"
        elif self.rng.random() < 0.02:
            category = "db-other"
        start, end = _ts(moment), _ts(moment + timedelta(minutes=3))
        steps = [p.step(1, "Set up job", "success", start, start), p.step(2, "Run actions/checkout@v5", "success", start, start),
                 p.step(3, "Create schema", "success", start, start),
                 p.step(4, "pytest DB tests", "failure" if category else "success", start, end),
                 p.step(5, "Complete job", "success", end, end)]  # fmt: skip
        if category:
            self.out.truth[job_id] = category
            self.out.logs[job_id] = _db_log(moment, category)
        return p.job(job_id=job_id, run=run, name="db-tests", conclusion="failure" if category else "success",
                     steps=steps, started_at=start, completed_at=end, run_attempt=1)  # fmt: skip

    # --- the Codex job ------------------------------------------------------------------------------------
    def _codex_job(self, run, moment, hardened, from_fork, stale, attempt: int = 1) -> dict:
        job_id = self._job_id()
        start, end = _ts(moment + timedelta(minutes=3)), _ts(moment + timedelta(minutes=11))
        if hardened and from_fork:
            self.out.truth[job_id] = "skipped-on-fork"
            return p.job(job_id=job_id, run=run, name="invariants-review", conclusion="skipped", steps=[],
                         started_at=start, completed_at=start, run_attempt=attempt)  # fmt: skip
        category = self._codex_category(hardened, from_fork, attempt, stale)
        if hardened:
            return self._hardened_job(run, job_id, start, end, category, attempt, moment)
        names = ["Set up job", "Run actions/checkout@v5", CODEX_STEP, "Require review output", "Upload review",
                 "Complete job"]  # fmt: skip
        codex = "success" if category is None else ("cancelled" if category == "hang-timeout" else "failure")
        steps = []
        for number, name in enumerate(names, start=1):
            after = number > 3 and category is not None and name != "Complete job"
            steps.append(p.step(number, name, "skipped" if after else (codex if name == CODEX_STEP else "success"),
                                start, end))  # fmt: skip
        conclusion = "success" if category is None else ("timed_out" if category == "hang-timeout" else "failure")
        if category:
            self.out.truth[job_id] = category
            self.out.logs[job_id] = _codex_log(moment, run["id"], category, hardened=False)
        return p.job(job_id=job_id, run=run, name="invariants-review", conclusion=conclusion, steps=steps,
                     started_at=start, completed_at=end, run_attempt=attempt)  # fmt: skip

    def _codex_category(self, hardened: bool, from_fork: bool, attempt: int, stale: bool) -> str | None:
        if stale:
            return "server-info-missing" if self.rng.random() < 0.5 else None
        if hardened:
            if self.server_info_left > 0:
                self.server_info_left -= 1
                return "server-info-missing"
            if self.rng.random() >= self.s.codex_failure_rate * 0.6:
                return None
            return self.rng.choices(list(AFTER_MIX), weights=list(AFTER_MIX.values()))[0]
        if from_fork:
            return "missing-api-key" if self.rng.random() < 0.7 else "actor-not-permitted"
        if attempt == 2:
            return "stale-server-info" if self.rng.random() < 0.6 else None
        if self.rng.random() >= self.s.codex_failure_rate:
            return None
        return self.rng.choices(list(BEFORE_MIX), weights=list(BEFORE_MIX.values()))[0]

    def _hardened_job(self, run, job_id, start, end, category, attempt, moment) -> dict:
        preflight_fails = category in ("invalid-key", "rate-limited", "network-upstream", "missing-api-key")
        codex = "skipped" if preflight_fails else "success"  # continue-on-error: a failure reports success
        contract = "success" if category else "skipped"
        names = [("Set up job", "success"), ("Run actions/checkout@v5", "success"),
                 (PREFLIGHT_STEP_NAME, "success"), (PREPARE_STEP_NAME, "success"), (CODEX_STEP, codex),
                 (CONTRACT_STEP_NAME, contract), ("Require review output", "success"),
                 ("Upload review", "success"), ("Complete job", "success")]  # fmt: skip
        steps = [p.step(n, name, c, start, end) for n, (name, c) in enumerate(names, start=1)]
        if category:
            self.out.truth[job_id] = category
            self.out.logs[job_id] = _codex_log(moment, run["id"], category, hardened=True)
        return p.job(job_id=job_id, run=run, name="invariants-review", conclusion="success", steps=steps,
                     started_at=start, completed_at=end, run_attempt=attempt)  # fmt: skip


# --- log text ---------------------------------------------------------------------------------------------
PREAMBLE = ["Current runner version: '2.330.0'", "Secret source: Actions", "Complete job name: invariants-review"]
RAW = {
    "missing-api-key": [
        "Resolved Codex home: /home/runner/.codex",
        *["Error reading server info: Error: ENOENT: no such file or directory, open '/home/runner/.codex/{run}.json'"]
        * 3,
        "Error: Failed to read server info from /home/runner/.codex/{run}.json",
    ],
    "actor-not-permitted": [
        "Checking write access for actor 'outsider' on acme/ledger",
        "##[error]Actor 'outsider' is not permitted to run this action: Actor 'outsider' must have write access to "
        "acme/ledger. Detected permission: 'read'.",
    ],
    "stale-server-info": [
        "Responses API proxy already appears to be running (found /home/runner/.codex/{run}.json).",
        "ERROR: stream disconnected before completion: error sending request for url (http://127.0.0.1:41877/v1/responses)",
        "Error: codex exited with code 1",
    ],
    "server-info-missing": ["responses-api-proxy did not write server info"],
    "invalid-key": [
        "responses-api-proxy listening on 127.0.0.1:37841",
        "ERROR: unexpected status 401 Unauthorized: Incorrect API key provided: sk-proj-****8fQk. You can find your "
        "API key at https://platform.openai.com/account/api-keys., url: http://127.0.0.1:37841/v1/responses",
        "Error: codex exited with code 1",
    ],
    "quota-exhausted": [
        "responses-api-proxy listening on 127.0.0.1:40121",
        "ERROR: Quota exceeded. Check your plan and billing details.",
        "Error: codex exited with code 1",
    ],
    "rate-limited": [
        "ERROR: Rate limit reached for gpt-5-codex in organization org-acme on tokens per min (TPM): Limit 30000, "
        "Used 29876, Requested 1432. Please try again in 2.616s.",
        "Error: codex exited with code 1",
    ],
    "network-upstream": [
        "Reconnecting... 5/5",
        "ERROR: stream disconnected before completion: error sending request for url (https://api.openai.com/v1/responses)",
        "Error: codex exited with code 1",
    ],
    "model-not-found": [
        "ERROR: unexpected status 404 Not Found: The model `gpt-9-codex` does not exist or you do not have access to it.",
        "Error: codex exited with code 1",
    ],
    "sandbox": ["bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted", "Error: codex exited with code 1"],
    "sudo": ["Unexpected: passwordless sudo not available.", "Error: Command failed: sudo -n true (exit code 1)"],
    "config-error": ["Error loading config.toml: duplicate key `model_provider`", "Error: codex exited with code 1"],
    "hang-timeout": [
        "tokens used",
        "270,199",
        "##[error]The job running on runner GitHub Actions 31 has exceeded the maximum execution time of 30 minutes.",
    ],
    "output-missing": [],
    "codex-failed": ["Error: codex exited with code 137"],
    "codex-exited": ["Error: codex exited with code 137"],
}
PREFLIGHT_REASON = {"invalid-key": "invalid-key", "rate-limited": "rate-limited", "network-upstream": "other",
                    "missing-api-key": "missing-key"}  # fmt: skip
CONTRACT_REASON = {"output-missing": "output-empty"}
HARDENED_RAW = {
    "hang-timeout": ["tokens used", "##[error]The action 'Codex invariants review' has timed out after 20 minutes."]
}


def _codex_log(moment: datetime, run_id: int, category: str, hardened: bool) -> str:
    lines = [*PREAMBLE, "##[group]Run actions/checkout@v5", "##[endgroup]"]
    if hardened:
        lines.append("##[group]Run # codex-kit preflight: is the OpenAI key there, and does OpenAI accept it?")
        reason = PREFLIGHT_REASON.get(category)
        if reason:
            lines.append(f"##[error]{preflight_line(PREFLIGHT_ID, reason)} status=401 code=none")
        else:
            lines.append(f"{MESSAGE_PREFIX} {PREFLIGHT_OK} step={PREFLIGHT_ID} - {KEY_ACCEPTED} (HTTP 200).")
        if not reason:
            lines.append(f"##[group]Run {CODEX_ACTION}@v1")
            lines += [line.format(run=run_id) for line in HARDENED_RAW.get(category, RAW.get(category, []))]
            if category != "output-missing":
                lines.append("##[error]Process completed with exit code 1.")
        lines.append(
            "##[group]Run # codex-kit output contract: say plainly why Codex left no usable output, and leave a"
        )
        why = f"preflight-{reason}" if reason else CONTRACT_REASON.get(category, "codex-failed")
        lines.append(f"##[warning]{contract_line('review', why)}")
        lines.append("codex-kit: contents of the Codex home (/home/runner/work/_temp/codex-home):")
    else:
        lines.append(f"##[group]Run {CODEX_ACTION}@v1")
        lines += [line.format(run=run_id) for line in RAW[category]]
        if category not in ("hang-timeout",):
            lines.append("##[error]Process completed with exit code 1.")
    stamped = [f"{_stamp(moment, 0.25 * i)} {line}" for i, line in enumerate(lines)]
    return "\n".join(stamped) + "\n"


def _db_log(moment: datetime, category: str) -> str:
    lines = [*PREAMBLE[:2], "##[group]Run pytest db/tests", "##[endgroup]"]
    if category == "db-active-count":
        lines += ["FAILED db/tests/test_policy.py::test_single_active_policy - AssertionError: expected exactly one "
                  "ACTIVE policy, found 0", "E   AssertionError: expected exactly one ACTIVE policy, found 0"]  # fmt: skip
    else:
        lines += ["E   psycopg.OperationalError: connection failed: server closed the connection unexpectedly"]
    lines.append("##[error]Process completed with exit code 1.")
    return "\n".join(f"{_stamp(moment, 0.5 * i)} {line}" for i, line in enumerate(lines)) + "\n"


def generate(scenario: Scenario | None = None) -> Generated:
    return _Story(scenario or Scenario()).tell()


def write_sample(root: Path = SAMPLE_DIR, scenario: Scenario | None = None) -> Path:
    """Write the sample history into the cache root `root` (the dataset layout) and return its state folder."""
    scenario = scenario or Scenario()
    folder = cache_folder(root, REPO)
    history = generate(scenario).history()
    history.state = {"etags": {}, "sample": True}
    coverage.write(history.state, WORKFLOW, [(None, pd.Timestamp(scenario.start + timedelta(days=scenario.days)))])
    HistoryCache(folder).save(history)
    return folder
