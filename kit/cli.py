"""The `codex-kit` command: parse arguments, call one library function, print, choose the exit code.

Nothing here decides anything the library could: each command turns its arguments into typed
values (paths expanded and made absolute here, once), calls the library, hands the result to
`kit.console` for text, and maps a `KitError` to one line on stderr and its exit code. Exit codes:
0 done, 1 a finding (`--check` has work, a report criterion FAILed), 2 the input or environment is
wrong, 3 the patch refused a file, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from kit import __version__, console
from kit.analysis.parameters import ReportParameters
from kit.errors import EXIT_FINDING, EXIT_INTERRUPTED, EXIT_OK, EXIT_REFUSED, KitError, UsageError
from kit.history.locations import FETCH_APIS, GITHUB_API_URL, SAMPLE_ROOT, SAMPLE_WORKFLOW, default_cache_root
from kit.history.tables import CODEX_STEP_PATTERN, DB_JOB_PATTERN
from kit.history.token import scrub
from kit.report.schedule import DEFAULT_CRON
from kit.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from kit.history.team import Team


class HELP(argparse.ArgumentDefaultsHelpFormatter):
    """--help shows every default that says something (not an empty one, not a switch's False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, "", False) or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


DEFAULTS = {field.name: field.default for field in fields(ReportParameters)}


def user_path(text: str) -> Path:
    """A path as the user typed it: `~` expanded, made absolute against the current directory."""
    return Path(text).expanduser().resolve()


def _patch(args: argparse.Namespace) -> int:
    from kit.patch.repo import patch_repo

    if args.pr or args.org:
        return _patch_pulls(args)
    if args.dry_run:
        raise UsageError("--dry-run goes with --pr or --org; on a folder, --check and --diff write nothing")

    result = patch_repo(user_path(args.repo_dir or "."), write=not (args.check or args.diff), diff=args.diff)
    if args.json:
        mode = "check" if args.check else "diff" if args.diff else "write"
        print(json.dumps(console.patch_json(result, mode), indent=2))
    elif args.diff:
        sys.stdout.write("".join(f.diff for f in result.changed))
    else:
        print("\n".join(console.patch_lines(result, args.check)))
    for line in console.refusal_lines(result):
        print(f"codex-kit: {line}", file=sys.stderr)
    if result.refused:
        return EXIT_REFUSED
    return EXIT_FINDING if args.check and result.changed else EXIT_OK


def _patch_pulls(args: argparse.Namespace) -> int:
    """`patch --pr/--org`: one pull request per repository, patched through the API; no folder is touched."""
    from kit.history.token import token_from_environment
    from kit.publish.deliver import deliver_patches, raise_failures

    wrong = [flag for flag, on in (("--check", args.check), ("--diff", args.diff), ("--json", args.json)) if on]
    if wrong or args.repo_dir is not None:
        said = " and ".join(wrong) if wrong else f"a folder ({args.repo_dir})"
        raise UsageError(
            f"--pr and --org patch repositories on GitHub: not with {said}; --dry-run shows what it would do"
        )
    outcome = deliver_patches(
        args.pr or [], org=args.org, token=token_from_environment(), api_url=args.api_url, dry_run=args.dry_run
    )
    print("\n".join(console.delivery_lines(outcome)))
    raise_failures(outcome)
    return EXIT_REFUSED if outcome.refused else EXIT_OK


def _team(args: argparse.Namespace) -> Team | None:
    """The repositories a fetch or report names; None for one --repo or none (the single-repository way)."""
    from kit.history.team import Team, read_repos_file

    repos = list(args.repo or [])
    if args.repos_file:
        repos += read_repos_file(user_path(args.repos_file))
        if not repos and not args.org:
            raise UsageError(f"--repos-file {args.repos_file} names no repository")
    if not args.org and not args.repos_file and len(repos) <= 1:
        return None
    workflow = None if isinstance(args.workflow, _NotGiven) else args.workflow
    return Team(tuple(repos), args.org or None, workflow)


def _fetch(args: argparse.Namespace) -> int:
    from kit.history.fetch import estimate_history, fetch_history
    from kit.history.tables import Recognise
    from kit.history.token import token_from_environment

    team = _team(args)
    if team is None and not args.repo:
        raise UsageError("fetch needs --repo OWNER/REPO (once or more), --repos-file FILE or --org ORG")
    if team is not None:
        return _fetch_team(args, team)
    args.repo, args.workflow = args.repo[0], args.workflow or SAMPLE_WORKFLOW
    recognise = Recognise.from_patterns(args.codex_step_pattern, args.db_job_pattern)
    token = token_from_environment()
    if token is None:
        print(
            "codex-kit: no GITHUB_TOKEN or GH_TOKEN in the environment; fetching unauthenticated "
            "(public repositories only, 60 requests an hour)",
            file=sys.stderr,
        )
    root = user_path(args.cache) if args.cache else default_cache_root()
    if args.estimate:
        print(estimate_history(args.repo, args.workflow, root, token=token, api_url=args.api_url, api=args.api))
        return EXIT_OK
    taxonomy = load_taxonomy(user_path(args.taxonomy) if args.taxonomy else None)
    folder, report = fetch_history(
        args.repo, args.workflow, root, token=token, since=args.since, until=args.until, api_url=args.api_url,
        max_wait=args.max_wait, recognise=recognise, taxonomy=taxonomy, api=args.api,
        budget=args.budget,
    )  # fmt: skip
    print(f"fetched {args.repo} {args.workflow} into {folder}: {report.summary()}")
    return EXIT_OK


def _fetch_team(args: argparse.Namespace, team: Team) -> int:
    from kit.history.tables import Recognise
    from kit.history.team import discovery_cost, estimate_team, fetch_team
    from kit.history.token import token_from_environment

    recognise = Recognise.from_patterns(args.codex_step_pattern, args.db_job_pattern)
    token = token_from_environment()
    root = user_path(args.cache) if args.cache else default_cache_root()
    if team.needs_discovery():
        print(discovery_cost(team), file=sys.stderr)
    if args.estimate:
        print("\n".join(estimate_team(team, root, token=token, api_url=args.api_url, api=args.api)))
        return EXIT_OK
    taxonomy = load_taxonomy(user_path(args.taxonomy) if args.taxonomy else None)
    result = fetch_team(
        team, root, token=token, since=args.since, until=args.until, api_url=args.api_url, max_wait=args.max_wait,
        recognise=recognise, taxonomy=taxonomy, api=args.api, budget=args.budget,
        on_repo=lambda repo: print("\n".join(console.team_fetch_lines(repo)), flush=True),
    )  # fmt: skip
    print(console.team_fetch_summary(result))
    return EXIT_FINDING if result.failed else EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from kit.report.run import run_report

    team = _team(args)
    if team is not None:
        return _report_team(args, team)
    args.repo = args.repo[0] if isinstance(args.repo, list) else args.repo
    args.workflow = str(args.workflow)
    values = {name: getattr(args, name) for name in DEFAULTS if hasattr(args, name)}
    values["cache_dir"] = str(user_path(args.cache_dir)) if args.cache_dir else ""
    values["out_dir"] = str(user_path(args.out_dir))
    values["taxonomy"] = str(user_path(args.taxonomy)) if args.taxonomy else ""
    result = run_report(ReportParameters(**values))
    print("\n".join(console.verdict_lines(result.report)))
    for line in console.warning_lines(result.report):
        print(line, file=sys.stderr)
    print(f"report: {result.html} ({result.seconds:.1f} s); summary: {result.summary}; notebook: {result.notebook}")
    return EXIT_FINDING if result.report["any_fail"] else EXIT_OK


def _report_team(args: argparse.Namespace, team: Team) -> int:
    from kit.history.team import fetch_team, team_members
    from kit.history.token import token_from_environment
    from kit.report.team import run_team_report

    token = token_from_environment()
    root = user_path(args.cache_dir) if args.cache_dir else default_cache_root()
    if args.fetch:
        taxonomy = load_taxonomy(user_path(args.taxonomy) if args.taxonomy else None)
        fetched = fetch_team(
            team, root, token=token, since=args.since, until=args.until, api_url=args.api_url, taxonomy=taxonomy,
            on_repo=lambda repo: print("\n".join(console.team_fetch_lines(repo)), file=sys.stderr),
        )  # fmt: skip
        print(console.team_fetch_summary(fetched), file=sys.stderr)
    values = {name: getattr(args, name) for name in DEFAULTS if hasattr(args, name)}
    values.update(repo="", workflow=DEFAULTS["workflow"], cache_dir=str(root), out_dir=str(user_path(args.out_dir)),
                  taxonomy=str(user_path(args.taxonomy)) if args.taxonomy else "")  # fmt: skip
    entries = team_members(team, root, token=token if team.org else None, api_url=args.api_url)
    if not entries:
        raise UsageError(f"no repository of {team.org} is known: run `codex-kit fetch --org {team.org}` first")
    result = run_team_report(entries, ReportParameters(**values))
    print("\n".join(console.team_report_lines(result.team)))
    print(f"team report: {result.html} ({result.dashboards} dashboards, {result.notebooks} made now and "
          f"{result.reused} reused, {result.seconds:.1f} s)")  # fmt: skip
    return EXIT_FINDING if result.team["any_fail"] else EXIT_OK


def _classify(args: argparse.Namespace) -> int:
    from kit.analysis.classify import classify_log

    taxonomy = load_taxonomy(user_path(args.taxonomy) if args.taxonomy else None)
    for name in args.logfiles:
        path = user_path(name)
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as err:
            raise UsageError(f"{path}: cannot read the log ({err.strerror or err})") from err
        verdict = classify_log(text, taxonomy, args.scope)
        print(console.classify_line(name, verdict))
    return EXIT_OK


def _schedule(args: argparse.Namespace) -> int:
    from kit.report.schedule import Schedule, action_warning, schedule_workflow
    from kit.textfile import write_atomic

    schedule = Schedule(args.action, args.workflow, args.cron, issue=args.issue, pages=args.pages, pr=args.pr)
    text = schedule_workflow(schedule)
    if args.write:
        target = user_path(args.write)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, text.encode())
        except OSError as err:
            raise UsageError(f"--write {target}: cannot write there ({err.strerror or err})") from err
        print(f"wrote {target}")
    else:
        sys.stdout.write(text)
    warning = action_warning(args.action)
    if warning:
        print(f"codex-kit: warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _publish(args: argparse.Namespace) -> int:
    from kit.history.token import token_from_environment
    from kit.publish.folder import read_report_folder
    from kit.publish.run import publish_report, raise_failures

    out_dir = user_path(args.out_dir)
    if args.github_output:
        lines = console.job_outputs(read_report_folder(out_dir))
        try:
            with user_path(args.github_output).open("a", encoding="utf-8") as outputs:
                outputs.write("".join(f"{line}\n" for line in lines))
        except OSError as err:
            raise UsageError(f"--github-output {args.github_output}: cannot write ({err.strerror or err})") from err
        if not (args.issue or args.pages or args.pr):
            return EXIT_OK
    outcome = publish_report(
        out_dir, token=token_from_environment(), repo=args.repo or "", issue_tracker=args.issue, site=args.pages,
        pr=args.pr, api_url=args.api_url,
    )  # fmt: skip
    print("\n".join(console.publish_lines(outcome)))
    raise_failures(outcome)
    return EXIT_OK


def _sample(args: argparse.Namespace) -> int:
    from kit.sample import write_sample

    folder = write_sample(user_path(args.out))
    print(f"wrote the sample history to {folder}")
    return EXIT_OK


def _add_patch(sub: argparse._SubParsersAction) -> None:
    patch = sub.add_parser(
        "patch", formatter_class=HELP, help="harden every workflow job that uses openai/codex-action, in place"
    )
    patch.add_argument("repo_dir", nargs="?", help="repository root (none: the current folder)")
    mode = patch.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file would change")
    mode.add_argument("--diff", action="store_true", help="print a unified diff; write nothing")
    patch.add_argument("--json", action="store_true", help="print a machine-readable report")
    pulls = patch.add_argument_group("as pull requests (token from env; no folder is touched)")
    pulls.add_argument(
        "--pr", action="append", metavar="OWNER/REPO", help="patch this repository through a pull request (repeatable)"
    )
    pulls.add_argument("--org", metavar="ORG", help="every repository of the organisation (archived ones skipped)")
    pulls.add_argument("--dry-run", action="store_true", help="print what --pr/--org would do; send no write")
    pulls.add_argument("--api-url", default=GITHUB_API_URL, help="GitHub API URL")
    patch.set_defaults(func=_patch)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return int(text)


def _add_fetch(sub: argparse._SubParsersAction) -> None:
    fetch = sub.add_parser(
        "fetch", formatter_class=HELP, help="pull a repository's Actions history into the local cache"
    )
    _add_team(fetch)
    fetch.add_argument(
        "--workflow", help=f"workflow file (none: {SAMPLE_WORKFLOW} for one --repo, a team's codex-action ones)"
    )
    fetch.add_argument("--since", help="only runs created on or after this date (YYYY-MM-DD)")
    fetch.add_argument("--until", help="only runs created on or before this date (YYYY-MM-DD)")
    fetch.add_argument("--cache", help="cache root (none: the user cache dir)")
    fetch.add_argument("--api-url", default=GITHUB_API_URL, help="GitHub API URL (Enterprise, tests)")
    fetch.add_argument("--max-wait", type=float, default=900.0, help="longest wait for a rate-limit reset, seconds")
    fetch.add_argument("--codex-step-pattern", default=CODEX_STEP_PATTERN, help="regex that names a Codex step")
    fetch.add_argument("--db-job-pattern", default=DB_JOB_PATTERN, help="regex that names a DB-test job or step")
    fetch.add_argument("--taxonomy", help="a team's extra rules file: their log lines are kept too")
    fetch.add_argument(
        "--api", choices=FETCH_APIS, default=FETCH_APIS[0], help="jobs by GraphQL (100 runs a query) or REST (1 a run)"
    )
    fetch.add_argument("--estimate", action="store_true", help="print what the fetch would cost, and stop")
    fetch.add_argument(
        "--budget",
        type=_positive,
        help="REST requests and GraphQL points to spend at most (none: what is left less 2%%)",
    )
    fetch.set_defaults(func=_fetch)


TEAM_FLAGS = ("repos_file", "org")  # besides --repo given more than once: the flags that make a command a team's


class _NotGiven(str):
    """A default that is ReportParameters' own, marked so that a team report knows the flag was not given."""


class _Repos(argparse.Action):
    """`--repo` given once or more, into a list; its default stays ReportParameters' (one definition)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        given = getattr(namespace, self.dest)
        setattr(namespace, self.dest, [*(given if isinstance(given, list) else []), values])


def _add_team(parser: argparse.ArgumentParser) -> None:
    """The repositories a command is about: one --repo as always, or a team of them."""
    parser.add_argument("--repo", action="append", metavar="OWNER/REPO", help="a repository (repeat for a team)")
    parser.add_argument("--repos-file", metavar="FILE", help="one OWNER/REPO a line (# comments)")
    parser.add_argument("--org", help="every repository of this organisation whose workflows use openai/codex-action")


def _add_report(sub: argparse._SubParsersAction) -> None:
    """The report's flags are ReportParameters' fields, with its defaults."""
    d = DEFAULTS
    report = sub.add_parser(
        "report", formatter_class=HELP, help="run the reliability report (no arguments: the shipped sample)"
    )
    report.add_argument(
        "--repo", action=_Repos, default=d["repo"], metavar="OWNER/REPO",
        help="a repository (repeat for a team; none: the shipped sample history)",
    )  # fmt: skip
    report.add_argument("--repos-file", metavar="FILE", help="a team: one OWNER/REPO a line (# comments)")
    report.add_argument("--org", help="a team: the organisation's repositories in the cache (with a token: all)")
    report.add_argument(
        "--workflow", default=_NotGiven(d["workflow"]), help="workflow file name (a team: each one's Codex workflows)"
    )
    report.add_argument(
        "--cache", dest="cache_dir", default=d["cache_dir"], help="cache root (none: the user cache dir)"
    )
    report.add_argument("--out", dest="out_dir", default=d["out_dir"], help="output folder")
    report.add_argument("--fetch", action="store_true", help="refresh the cache from GitHub first (token from env)")
    report.add_argument("--api-url", default=d["api_url"], help="GitHub API URL")
    report.add_argument("--since", default=d["since"], help="only runs created on or after this date")
    report.add_argument("--until", default=d["until"], help="only runs created on or before this date")
    report.add_argument("--cutover", default=d["cutover"], help="when the hardening landed: a date or a commit SHA")
    report.add_argument("--min-runs", type=int, default=d["min_runs"], help="fewer observations: NOT ENOUGH DATA")
    report.add_argument("--taxonomy", default=d["taxonomy"], help="a team's extra rules file, tried first")
    report.add_argument("--unknown-share", type=float, default=d["unknown_share"], help="largest unknown share (0-1)")
    report.add_argument(
        "--message-share", type=float, default=d["message_share"], help="smallest share with a kit message (0-1)"
    )
    report.set_defaults(func=_report)


def _add_schedule(sub: argparse._SubParsersAction) -> None:
    schedule = sub.add_parser(
        "schedule", formatter_class=HELP, help="print (or --write) a workflow that runs the report on a schedule"
    )
    schedule.add_argument(
        "--action", required=True, metavar="OWNER/REPO@REF", help="codex-kit's action, pinned (a commit SHA is best)"
    )
    schedule.add_argument("--workflow", default=SAMPLE_WORKFLOW, help="the workflow the report is about")
    schedule.add_argument("--cron", default=DEFAULT_CRON, help="cron schedule (UTC; not minute 0)")
    _add_targets(schedule)
    schedule.add_argument("--write", metavar="PATH", help="write the workflow there instead of printing it")
    schedule.set_defaults(func=_schedule)


def _add_targets(parser: argparse.ArgumentParser) -> None:
    """The publishing targets, the same flags for `publish` and for the workflow `schedule` writes."""
    parser.add_argument("--issue", action="store_true", help="keep one tracking issue per repository and workflow")
    parser.add_argument("--pages", action="store_true", help="publish the dashboard on GitHub Pages (public!)")
    parser.add_argument("--pr", type=int, metavar="N", help="keep one comment with the summary on pull request N")


def _add_publish(sub: argparse._SubParsersAction) -> None:
    publish = sub.add_parser(
        "publish", formatter_class=HELP, help="put a finished report where the team looks (token from env)"
    )
    publish.add_argument("--out", dest="out_dir", default=DEFAULTS["out_dir"], help="the report folder to publish")
    publish.add_argument("--repo", help="OWNER/REPO to publish to (none: the repository the report is about)")
    _add_targets(publish)
    publish.add_argument("--api-url", default=GITHUB_API_URL, help="GitHub API URL")
    publish.add_argument(
        "--github-output", metavar="FILE", help="append the verdicts as step outputs there ($GITHUB_OUTPUT)"
    )
    publish.set_defaults(func=_publish)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codex-kit", description="Harden advisory Codex jobs and report on them.")
    parser.add_argument("--version", action="version", version=f"codex-kit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_patch(sub)
    _add_fetch(sub)
    _add_report(sub)
    _add_schedule(sub)
    _add_publish(sub)
    classify = sub.add_parser("classify", formatter_class=HELP, help="name the failure in saved job logs")
    classify.add_argument("logfiles", nargs="+", metavar="LOGFILE", help="a job log as GitHub serves it")
    classify.add_argument("--taxonomy", help="a team's extra rules file, tried before the shipped rules")
    classify.add_argument("--scope", choices=("codex", "db"), default="codex", help="a Codex job's log or a DB test's")
    classify.set_defaults(func=_classify)
    sample = sub.add_parser(
        "sample", formatter_class=HELP, help="regenerate the shipped sample history (deterministic)"
    )
    sample.add_argument("--out", default=str(SAMPLE_ROOT), help="cache root to write into")
    sample.set_defaults(func=_sample)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KitError as err:
        print(f"codex-kit: {scrub(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("codex-kit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
