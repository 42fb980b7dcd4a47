"""A GitHub Actions workflow that runs the report on a schedule through codex-kit's own action.

The workflow has one step, `uses: OWNER/codex-kit@REF` (the action.yml at the root of this
repository), pinned to what the user names: a 40-hex commit SHA is immutable; a tag or branch can be
moved under the workflow, hence the warning. Permissions are least privilege: nothing at the
workflow level, `actions: read` and `checks: read` for the job, and a write scope only for each publishing target
turned on. The cron avoids minute 0 (GitHub delays or drops scheduled runs at the top of the hour).
Every value from an argument is validated and written as a quoted YAML scalar (cron, `with:`
values), never into a `run:` script: the action passes its inputs to shell through `env:` only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from cronsim import CronSim, CronSimError

from kit.errors import UsageError
from kit.history.locations import SAMPLE_WORKFLOW

DEFAULT_CRON = "23 6 * * 1"  # Mondays 06:23 UTC: not minute 0, which GitHub delays or drops
_ACTION = re.compile(r"(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@(?P<ref>[A-Za-z0-9_./-]+)")
_SHA = re.compile(r"[0-9a-f]{40}")
_WORKFLOW_FILE = re.compile(r"[A-Za-z0-9_.-]+\.ya?ml")

TEMPLATE = """\
# Written by `codex-kit schedule`: a scheduled Codex reliability report.
name: Codex reliability report

on:
  schedule:
    - cron: {cron}
  workflow_dispatch:

permissions: {{}}

concurrency:
  group: codex-reliability-report
  cancel-in-progress: false

jobs:
  report:
    name: Codex reliability report
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
{permissions}
    steps:
      - name: Codex reliability report
        uses: {action}
        with:
{inputs}
"""


@dataclass(frozen=True)
class Schedule:
    """What `codex-kit schedule` writes: the action to use, when, about what, and where to publish."""

    action: str  # OWNER/codex-kit@REF
    workflow: str = SAMPLE_WORKFLOW
    cron: str = DEFAULT_CRON
    issue: bool = False
    pages: bool = False
    pr: int | None = None

    def permissions(self) -> dict[str, tuple[str, str]]:
        """Least privilege: reading the Actions history, plus one write scope per target turned on (scope ->
        (access, why), the why written beside it in the workflow)."""
        granted = {
            "actions": ("read", "read the workflow's runs, jobs and logs"),
            "checks": ("read", "read the runs' jobs, steps and annotations as check runs, over GraphQL"),
        }
        if self.issue:
            granted["issues"] = ("write", "keep the tracking issue")
        if self.pages:
            granted["contents"] = ("write", "commit the dashboard to the gh-pages branch")
            granted["pages"] = ("write", "turn on GitHub Pages for gh-pages")
        if self.pr:
            granted["pull-requests"] = ("write", "keep the summary comment on the pull request")
        return granted

    def inputs(self) -> dict[str, str]:
        given = {"workflow": self.workflow}
        given |= {"issue": "true"} if self.issue else {}
        given |= {"pages": "true"} if self.pages else {}
        given |= {"pr": str(self.pr)} if self.pr else {}
        return given


def schedule_workflow(schedule: Schedule) -> str:
    """The workflow text, after every argument has been checked."""
    _check(schedule)
    return TEMPLATE.format(
        cron=json.dumps(schedule.cron),
        action=schedule.action,
        permissions="\n".join(f"      {k}: {v}  # {why}" for k, (v, why) in schedule.permissions().items()),
        inputs="\n".join(f"          {k}: {json.dumps(v)}" for k, v in schedule.inputs().items()),
    )


def action_warning(action: str) -> str | None:
    """Why a ref that is not a commit SHA is a risk (None for a SHA)."""
    match = _ACTION.fullmatch(action)
    if match and not _SHA.fullmatch(match["ref"]):
        return (
            f"--action {action}: {match['ref']!r} is a tag or branch that can be moved to other code; pin a commit "
            f"SHA ({match['repo']}@<40 hex digits>, e.g. from `git rev-parse {match['ref']}`)"
        )
    return None


def _check(schedule: Schedule) -> None:
    if not _ACTION.fullmatch(schedule.action) or ".." in schedule.action:
        raise UsageError(f"--action must be OWNER/REPO@REF (a commit SHA is best), got {schedule.action!r}")
    if not _WORKFLOW_FILE.fullmatch(schedule.workflow):
        raise UsageError(f"--workflow must be a workflow file name such as ci.yml, got {schedule.workflow!r}")
    if schedule.pr is not None and schedule.pr < 1:
        raise UsageError(f"--pr must be a pull request number, got {schedule.pr}")
    _check_cron(schedule.cron)


def _check_cron(cron: str) -> None:
    """GitHub's five-field cron, read by a cron parser; minute 0 is refused (delayed or dropped)."""
    try:
        CronSim(cron, datetime(2026, 1, 1))
    except CronSimError as err:
        raise UsageError(f"--cron {cron!r} is not a cron schedule ({err}); e.g. '23 6 * * 1'") from err
    if len(cron.split()) != 5:
        raise UsageError(f"--cron {cron!r}: GitHub takes five fields (minute hour day month weekday)")
    if cron.split()[0] in ("0", "00"):
        raise UsageError("pick a minute other than 0: GitHub delays or drops scheduled runs at the top of the hour")
