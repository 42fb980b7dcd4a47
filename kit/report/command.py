"""`codex-kit report`: run the notebook, then print the verdicts and choose the exit code.

Exit codes: 0 every criterion passed or had too little data, 1 a criterion FAILed, 2 the report
could not be produced (bad input, a fetch that failed, a notebook error).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kit.report.run import ReportError, run_report


def run_report_command(args: argparse.Namespace) -> int:
    parameters = {
        "repo": args.repo or "",
        "workflow": args.workflow,
        "cache_dir": args.cache or "",
        "since": args.since,
        "until": args.until,
        "cutover": args.cutover,
        "fetch": bool(args.fetch),
        "api_url": args.api_url,
        "min_runs": args.min_runs,
        "unknown_share": args.unknown_share,
    }
    try:
        result = run_report(Path(args.out), parameters)
    except ReportError as err:
        print(f"codex-kit: {err}", file=sys.stderr)
        return 2
    report = result.report
    if not report:
        print("codex-kit: the notebook ran but wrote no verdicts", file=sys.stderr)
        return 2
    print(f"{report['repo']} {report['workflow']}: cutover {report['cutover']}")
    for verdict in report["verdicts"]:
        print(f"  {verdict['status']:<16} {verdict['title']}: {verdict['figures']}")
    print(f"report: {result.html} ({result.seconds:.1f} s); summary: {result.summary}; notebook: {result.notebook}")
    return 1 if report["any_fail"] else 0
