"""A GitHub Actions workflow that runs the report on a schedule and publishes it.

The cron avoids minute 0 (GitHub delays or drops scheduled runs at the top of the hour). The
report is an artifact by default, because GitHub Pages sites are public even for most private
repositories; `pages=True` adds a deploy job for teams that want a stable URL. The history cache
is kept between runs with actions/cache so each refresh only asks GitHub what changed.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from cronsim import CronSim, CronSimError

from kit.errors import UsageError
from kit.history.locations import SAMPLE_WORKFLOW

DEFAULT_CRON = "23 6 * * 1"  # Mondays 06:23 UTC: not minute 0, which GitHub delays or drops
OWNER_EXPRESSION = "${{ github.repository_owner }}"  # the one expression --install may carry
DEFAULT_INSTALL = f"git+https://github.com/{OWNER_EXPRESSION}/codex-kit"

TEMPLATE = """\
# Written by `codex-kit schedule`: a scheduled Codex reliability report.
name: Codex reliability report

on:
  schedule:
    - cron: "{cron}"
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: codex-reliability-report
  cancel-in-progress: false

jobs:
  report:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      actions: read
      contents: read
    steps:
      - uses: actions/setup-python@v6
        with:
          python-version: "3.11"
      - name: Install codex-kit
        env:
          CODEX_KIT_SOURCE: {install}
        run: python -m pip install "codex-kit @ $CODEX_KIT_SOURCE"
      - name: Restore the history cache
        uses: actions/cache@v5
        with:
          path: ${{{{ runner.temp }}}}/codex-kit-cache
          key: codex-kit-history-${{{{ github.run_id }}}}
          restore-keys: codex-kit-history-
      - name: Fetch history and run the report
        env:
          GITHUB_TOKEN: ${{{{ github.token }}}}
          CACHE_DIR: ${{{{ runner.temp }}}}/codex-kit-cache
          REPO: ${{{{ github.repository }}}}
          WORKFLOW: {workflow}
        run: |
          set +e
          codex-kit report --repo "$REPO" --workflow "$WORKFLOW" --fetch --cache "$CACHE_DIR" --out report
          status=$?
          if [ -f report/summary.md ]; then cat report/summary.md >> "$GITHUB_STEP_SUMMARY"; fi
          if [ "$status" -eq 2 ]; then exit 2; fi
          echo "codex-kit report exit status: $status (1 means a criterion failed)"
      - name: Upload the report
        if: ${{{{ !cancelled() }}}}
        uses: actions/upload-artifact@v6
        with:
          name: codex-reliability-report
          path: report/
{pages}"""

PAGES = """\
      - name: Prepare the Pages site
        run: mkdir -p site && cp report/reliability_report.html site/index.html
      - uses: actions/upload-pages-artifact@v4
        with:
          path: site

  deploy:
    needs: report
    runs-on: ubuntu-latest
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v5
"""


def schedule_workflow(workflow: str = SAMPLE_WORKFLOW, cron: str = DEFAULT_CRON, pages: bool = False,
                      install: str = DEFAULT_INSTALL) -> str:  # fmt: skip
    """The workflow text. Every value from an argument is validated and reaches the workflow only as a
    quoted `env:` value (or the cron string), never inside a `run:` script, so it cannot run as code."""
    _check_cron(cron)
    if not _WORKFLOW_FILE.fullmatch(workflow):
        raise UsageError(f"--workflow must be a workflow file name such as ci.yml, got {workflow!r}")
    if not _SOURCE.fullmatch(install.replace(OWNER_EXPRESSION, "owner")):
        raise UsageError(f"--install must be a git+https:// or https:// URL (no spaces or quotes), got {install!r}")
    return TEMPLATE.format(
        cron=cron, workflow=json.dumps(workflow), install=json.dumps(install), pages=PAGES if pages else ""
    )


_WORKFLOW_FILE = re.compile(r"[A-Za-z0-9_.-]+\.ya?ml")
_SOURCE = re.compile(r"(?:git\+)?https://[^\s'\"\\`;|&<>]+")


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
