"""Small GitHub histories for the fake server: pushes, same-repo and fork PRs, reruns, failures.

Deterministic for a seed. The jobs look like the sample target's `invariants.yml` before and after
the hardening: a DB test job and a Codex job whose Codex step fails now and then.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from kit.history import payloads as p
from kit.vocabulary import (
    CONTRACT_STEP_NAME,
    PREFLIGHT_ID,
    PREFLIGHT_STEP_NAME,
    PREPARE_STEP_NAME,
    contract_line,
    preflight_line,
)
from tests.support.fake_github import FakeGitHub

REPO = "octo/app"
WORKFLOW = ".github/workflows/invariants.yml"
START = datetime(2026, 6, 1, tzinfo=UTC)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def populate(
    fake: FakeGitHub,
    count: int,
    seed: int = 1,
    first_id: int = 1000,
    hardened_after: int | None = None,
    status: str = "completed",
) -> list[int]:
    """Add `count` runs (ids from `first_id`), returning their ids."""
    rng = random.Random(seed)
    repo = p.repository(REPO, 1)
    fork = p.repository("stranger/app", 2, fork=True)
    ids = []
    for offset in range(count):
        run_id = first_id + offset
        created = START + timedelta(hours=run_id - 1000)
        event = rng.choice(["push", "push", "pull_request", "pull_request", "pull_request", "schedule"])
        from_fork = event == "pull_request" and rng.random() < 0.25
        hardened = hardened_after is not None and run_id >= hardened_after
        run = p.workflow_run(
            run_id=run_id, run_number=run_id - 999, repo=repo, head_repo=fork if from_fork else repo,
            workflow_path=WORKFLOW, workflow_id=77, event=event, status=status,
            conclusion=None if status != "completed" else "success",
            head_branch="main" if event != "pull_request" else f"b{run_id}",
            head_sha=f"{run_id:040x}", created_at=_ts(created), updated_at=_ts(created + timedelta(minutes=9)),
            pull_requests=[] if from_fork or event != "pull_request" else [run_id % 500],
        )  # fmt: skip
        jobs, logs = _jobs(rng, run, created, from_fork, hardened, run_id * 10)
        if status == "completed" and any(j["conclusion"] == "failure" for j in jobs):
            run["conclusion"] = "failure"
        fake.add_run(run, jobs if status == "completed" else [], logs)
        ids.append(run_id)
    return ids


def _jobs(rng: random.Random, run: dict, created: datetime, from_fork: bool, hardened: bool, base_id: int):
    start, end = _ts(created), _ts(created + timedelta(minutes=5))
    db_fails = rng.random() < 0.1
    db_steps = [p.step(1, "Set up job", "success", start, start),
                p.step(2, "Run actions/checkout@v5", "success", start, start),
                p.step(3, "pytest DB tests", "failure" if db_fails else "success", start, end),
                p.step(4, "Complete job", "success", end, end)]  # fmt: skip
    jobs = [p.job(job_id=base_id, run=run, name="db-tests", conclusion="failure" if db_fails else "success",
                  steps=db_steps, started_at=start, completed_at=end)]  # fmt: skip
    logs = {}
    if db_fails:
        stamp = start[:-1]
        lines = [
            f"{stamp}.0000000Z ##[group]Run pytest db/tests",
            "E   AssertionError: expected exactly one ACTIVE policy, found 0",
            f"{stamp}.1000000Z ##[error]Process completed with exit code 1.",
        ]
        logs[base_id] = "\n".join(lines) + "\n"
    codex_id = base_id + 1
    if from_fork:
        jobs.append(p.job(job_id=codex_id, run=run, name="invariants-review", conclusion="skipped", steps=[],
                          started_at=start, completed_at=start))  # fmt: skip
        return jobs, logs
    codex_fails = rng.random() < 0.2
    names = ["Set up job", "Run actions/checkout@v5"]
    if hardened:
        names += [PREFLIGHT_STEP_NAME, PREPARE_STEP_NAME]
    steps = [p.step(i + 1, n, "success", start, start) for i, n in enumerate(names)]
    # After the hardening, every third failure is one the preflight catches (no quota): Codex is skipped and
    # the kit's annotations say why; the others fail in Codex after a good preflight. Chosen by run id, so
    # the random sequence (and every other run) stays as it was.
    preflight_fails = hardened and codex_fails and run["id"] % 3 == 0
    codex_conclusion = (
        "skipped" if preflight_fails else "success" if hardened else ("failure" if codex_fails else "success")
    )
    steps.append(p.step(len(steps) + 1, "Codex invariants review", codex_conclusion, start, end))
    if hardened:
        steps.append(p.step(len(steps) + 1, CONTRACT_STEP_NAME, "success" if codex_fails else "skipped", end, end))
    steps.append(p.step(len(steps) + 1, "Complete job", "success", end, end))
    conclusion = "failure" if codex_fails and not hardened else "success"
    jobs.append(p.job(job_id=codex_id, run=run, name="invariants-review", conclusion=conclusion, steps=steps,
                      started_at=start, completed_at=end))  # fmt: skip
    if preflight_fails:
        logs[codex_id] = (
            f"{start[:-1]}.0000000Z ##[group]Run # codex-kit preflight\n"
            f"{start[:-1]}.1000000Z ##[error]{preflight_line(PREFLIGHT_ID, 'no-quota')} status=429"
            " code=insufficient_quota\n"
            f"{start[:-1]}.2000000Z ##[warning]{contract_line('review', 'preflight-no-quota')}\n"
        )
    elif codex_fails:
        tail = (f"##[warning]{contract_line('review', 'codex-failed')}" if hardened
                else "##[error]Process completed with exit code 1.")  # fmt: skip
        logs[codex_id] = (
            f"{start[:-1]}.0000000Z ##[group]Run openai/codex-action@v1\n"
            f"{start[:-1]}.1000000Z Error: Failed to read server info from /home/runner/.codex/{run['id']}.json\n"
            f"{start[:-1]}.2000000Z {tail}\n"
        )
    return jobs, logs


def rerun(fake: FakeGitHub, run_id: int) -> None:
    """A second attempt of a run that now succeeds: attempt-2 jobs are added, the run is updated."""
    run = fake.runs[run_id]
    run["run_attempt"] += 1
    run["conclusion"] = "success"
    run["updated_at"] = _ts(datetime.strptime(run["updated_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                            + timedelta(hours=1))  # fmt: skip
    extra = []
    for job in fake.jobs[run_id]:
        again = dict(job, id=job["id"] + 5, run_attempt=run["run_attempt"], conclusion="success")
        extra.append(again)
    fake.jobs[run_id] = fake.jobs[run_id] + extra


def complete(fake: FakeGitHub, run_id: int, seed: int = 9) -> None:
    """An in-progress run finishes."""
    run = fake.runs[run_id]
    run["status"], run["conclusion"] = "completed", "success"
    jobs, logs = _jobs(random.Random(seed), run, START, False, False, run_id * 10)
    fake.jobs[run_id] = jobs
    fake.logs.update(logs)
