"""The `codex-kit` command: parse arguments, call the library, print, choose the exit code.

Exit codes: 0 done (nothing left to do), 1 `--check` found work to do (or a report criterion
failed), 2 something could not be handled safely (a refused file, bad input).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from kit.history.tables import CODEX_STEP_PATTERN, DB_JOB_PATTERN
from kit.patch.repo import RepoResult, patch_repo
from kit.report.schedule import DEFAULT_INSTALL


def _patch(args: argparse.Namespace) -> int:
    write = not (args.check or args.diff)
    try:
        result = patch_repo(Path(args.repo_dir), write=write)
    except FileNotFoundError as err:
        print(f"codex-kit: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(_json_report(result, args), indent=2))
    elif args.diff:
        sys.stdout.write("".join(f.diff for f in result.changed))
    else:
        _print_summary(result, args.check)
    for refused in result.refused:
        print(f"codex-kit: refused {refused.error}", file=sys.stderr)
    if result.refused:
        return 2
    return 1 if args.check and result.changed else 0


def _json_report(result: RepoResult, args: argparse.Namespace) -> dict:
    return {
        "mode": "check" if args.check else "diff" if args.diff else "write",
        "written": result.written,
        "files": [f.to_json() for f in result.files],
        "db_test": None
        if result.db_test is None
        else {
            "status": result.db_test.status,
            "message": result.db_test.message,
            "candidates": [c.describe() for c in result.db_test.candidates],
        },
        "summary": {
            "patched": len(result.changed),
            "unchanged": sum(f.status == "unchanged" for f in result.files),
            "refused": len(result.refused),
        },
    }


def _print_summary(result: RepoResult, check: bool) -> None:
    if not any(f.kind == "workflow" for f in result.files):
        print("codex-kit: no workflow uses openai/codex-action")
    verb = "would patch" if check else "patched"
    for f in result.files:
        if f.status == "refused" or f.kind != "workflow":
            continue
        head = verb if f.status == "patched" else "already hardened"
        print(f"{head}: {f.path}")
        for job, actions in f.jobs.items():
            for action in actions:
                print(f"  [{job}] {action}")
        for note in f.notes:
            print(f"  note: {note}")
    if result.db_test is not None and result.db_test.status != "error":
        head = verb if result.db_test.status == "patched" else "DB policy test"
        print(f"{head}: {result.db_test.message}")


def _fetch(args: argparse.Namespace) -> int:
    from kit.history.command import run_fetch

    return run_fetch(args)


def _report(args: argparse.Namespace) -> int:
    from kit.report.command import run_report_command

    return run_report_command(args)


def _schedule(args: argparse.Namespace) -> int:
    from kit.report.schedule import schedule_workflow
    from kit.textfile import write_atomic

    try:
        text = schedule_workflow(args.workflow, args.cron, args.pages, args.install)
    except ValueError as err:
        print(f"codex-kit: {err}", file=sys.stderr)
        return 2
    if args.write:
        target = Path(args.write)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text.encode())
        print(f"wrote {target}")
    else:
        sys.stdout.write(text)
    return 0


def _sample(args: argparse.Namespace) -> int:
    from kit.sample import write_sample

    folder = write_sample(Path(args.out))
    print(f"wrote the sample history to {folder}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codex-kit", description="Harden advisory Codex jobs and report on them.")
    sub = parser.add_subparsers(dest="command", required=True)
    patch = sub.add_parser("patch", help="harden every workflow job that uses openai/codex-action, in place")
    patch.add_argument("repo_dir", nargs="?", default=".", help="repository root (default: .)")
    mode = patch.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file would change")
    mode.add_argument("--diff", action="store_true", help="print a unified diff; write nothing")
    patch.add_argument("--json", action="store_true", help="print a machine-readable report")
    patch.set_defaults(func=_patch)

    fetch = sub.add_parser("fetch", help="pull a repository's Actions history into the local cache")
    fetch.add_argument("--repo", required=True, help="OWNER/REPO")
    fetch.add_argument("--workflow", default="invariants.yml", help="workflow file name (default: invariants.yml)")
    fetch.add_argument("--since", help="only runs created on or after this date (YYYY-MM-DD)")
    fetch.add_argument("--until", help="only runs created on or before this date (YYYY-MM-DD)")
    fetch.add_argument("--cache", help="cache root (default: the user cache dir)")
    fetch.add_argument("--api-url", default="https://api.github.com", help="GitHub API URL (Enterprise, tests)")
    fetch.add_argument("--max-wait", type=float, default=900.0, help="longest wait for a rate-limit reset, seconds")
    fetch.add_argument("--codex-step-pattern", default=CODEX_STEP_PATTERN, help="regex that names a Codex step")
    fetch.add_argument("--db-job-pattern", default=DB_JOB_PATTERN, help="regex that names a DB-test job or step")
    fetch.set_defaults(func=_fetch)

    report = sub.add_parser("report", help="run the reliability report (no arguments: the shipped sample)")
    report.add_argument("--repo", help="OWNER/REPO (default: the shipped sample history)")
    report.add_argument("--workflow", default="invariants.yml", help="workflow file name (default: invariants.yml)")
    report.add_argument("--cache", help="cache root (default: the user cache dir)")
    report.add_argument("--out", default="report", help="output folder (default: ./report)")
    report.add_argument("--fetch", action="store_true", help="refresh the cache from GitHub first (token from env)")
    report.add_argument("--api-url", default="https://api.github.com", help="GitHub API URL")
    report.add_argument("--since", help="only runs created on or after this date")
    report.add_argument("--until", help="only runs created on or before this date")
    report.add_argument("--cutover", help="when the hardening landed: a date or a commit SHA (default: detect)")
    report.add_argument("--min-runs", type=int, default=20, help="fewer observations: NOT ENOUGH DATA")
    report.add_argument("--unknown-share", type=float, default=0.05, help="largest acceptable unknown share")
    report.set_defaults(func=_report)

    schedule = sub.add_parser("schedule", help="print (or --write) a workflow that runs the report on a schedule")
    schedule.add_argument("--workflow", default="invariants.yml", help="the workflow the report is about")
    schedule.add_argument("--cron", default="23 6 * * 1", help="cron schedule (default: Mondays 06:23 UTC)")
    schedule.add_argument("--pages", action="store_true", help="also publish the HTML to GitHub Pages (public!)")
    schedule.add_argument("--write", metavar="PATH", help="write the workflow there instead of printing it")
    schedule.add_argument(
        "--install",
        default=DEFAULT_INSTALL,
        help="where pip installs codex-kit from (default: the codex-kit repository of the same owner)",
    )
    schedule.set_defaults(func=_schedule)

    sample = sub.add_parser("sample", help="regenerate the shipped sample history (deterministic)")
    sample.add_argument("--out", default="data/sample", help="cache root to write into (default: data/sample)")
    sample.set_defaults(func=_sample)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
