"""Pull one workflow's Actions history into the cache, asking GitHub only what can have changed.

Plan of a fetch, and why each part costs what it does:

1. List runs newest first, 100 a page, each page a conditional request. A page that is unchanged
   since the last fetch answers 304 (free against the rate limit). Listing stops at the first page
   whose runs are all known and complete, once an earlier listing has reached the bottom, or at the
   first page older than --since. --since/--until are applied here rather than with GitHub's
   `created` query, which caps any listing at 1,000 runs.
2. Re-ask, one by one (conditionally), the cached runs that were not complete and were not seen.
3. For each completed run whose jobs are not stored for its latest attempt: its jobs with steps
   (`filter=all`, every attempt). A completed run is never asked for again unless it is re-run.
   With `api="graphql"` (the CLI's default) first-attempt runs are asked 100 a GraphQL query
   (`kit/history/graphql.py`) by the node ids the listing gave (kept in the state until their jobs
   are stored); re-runs and whatever GraphQL could not answer for still take the REST listing.
4. Logs only for jobs that have a Codex step or are the DB test and did not clearly succeed. Under
   step-level `continue-on-error: true` a failed Codex step reports `success` everywhere in the
   API, so "did not clearly succeed" means: the job failed, was cancelled or timed out; or a Codex
   step's conclusion is `failure` (before the hardening); or the kit's `Codex output contract` ran
   (its conclusion is `success` only when it ran, `skipped` when all was well) — the contract runs
   exactly when the preflight failed, Codex failed, or its output was missing, empty or bad.
   A hardened job whose kit annotation decides its category (a failed preflight) needs no log at all
   (`kit/history/annotations.py`): GraphQL brought its annotations with the jobs; REST asks them
   (one small request, `checks: read`) instead of the log. The other logs are downloaded a few at a
   time (`kit/history/inflight.py`), each by a client of its own, and stored in the order asked.

The cache is saved after the listing and every few runs and logs, so a killed fetch resumes where
it stopped, and the tables it leaves are the ones an uninterrupted fetch would have written. One
fetch at a time writes a folder (a lock); before trusting the cache's progress markers, a fetch
repairs whatever a crash or a deleted table left them vouching for (`kit/history/repair.py`).
Logs are streamed to an anonymous file and read back in chunks, so only their kept lines are held.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
from tqdm import tqdm

from kit.errors import GitHubError
from kit.history import coverage
from kit.history.annotations import annotation_rows, deciding_rule, kit_messages, may_need_no_log
from kit.history.cache import History, HistoryCache, cache_folder
from kit.history.client import Forbidden, GitHubClient, Missing, RequestStats
from kit.history.estimate import estimate
from kit.history.graphql import RUNS_PER_QUERY, JobsQuery, run_jobs_size
from kit.history.inflight import InFlight
from kit.history.locations import FETCH_APIS, GITHUB_API_URL, day_window
from kit.history.migrate import migrate_root
from kit.history.repair import Repairs, repair
from kit.history.schema import LogStatus
from kit.history.tables import LogExcerpt, Recognise, job_row, run_row, step_rows
from kit.history.token import scrub
from kit.taxonomy import Taxonomy, load_taxonomy

NODE_IDS = "node_ids"  # state: run id -> GraphQL node id, for runs whose jobs are still to fetch
SAVE_EVERY = 50  # runs (or logs) between saves: a killed fetch repeats at most this many requests
LOG_DOWNLOADS = 4  # logs downloaded at once: GitHub asks for few concurrent requests per token


@dataclass
class FetchReport:
    runs_listed: int = 0
    runs_new: int = 0
    runs_refreshed: int = 0
    jobs_fetched_for: int = 0
    logs_fetched: int = 0
    logs_gone: int = 0
    logs_annotated: int = 0  # failures the kit's annotation explains: no log downloaded
    annotations_forbidden: bool = False  # the token may not read annotations (no `checks: read`)
    repairs: Repairs = field(default_factory=Repairs)
    requests: RequestStats = field(default_factory=RequestStats)

    def summary(self) -> str:
        stats = self.requests
        left = f", {stats.remaining} requests left this hour" if stats.remaining is not None else ""
        points = (
            f"; {stats.queries} GraphQL queries, {stats.points} points"
            + (f" ({stats.points_remaining} left this hour)" if stats.points_remaining is not None else "")
            if stats.queries
            else ""
        )
        fixed = self.repairs
        repaired = (
            f"; repaired the cache ({fixed.runs_to_refetch} runs' jobs and {fixed.logs_to_refetch} logs asked again, "
            f"{fixed.logs_reread} stored logs re-read)"
            if fixed
            else ""
        )
        annotated = f", {self.logs_annotated} failures read from the kit's annotations" if self.logs_annotated else ""
        forbidden = (
            "; annotations not readable (the token lacks `checks: read`), so logs were downloaded instead"
            if self.annotations_forbidden
            else ""
        )
        return (
            f"{self.runs_listed} runs listed ({self.runs_new} new, {self.runs_refreshed} re-asked), jobs of "
            f"{self.jobs_fetched_for} runs, {self.logs_fetched} logs ({self.logs_gone} no longer on GitHub)"
            f"{annotated}; "
            f"{stats.sent} requests, {stats.not_modified} answered 304{left}{points}{repaired}{forbidden}"
        )


class Fetcher:
    """One fetch of one workflow into one cache folder."""

    def __init__(
        self,
        client: GitHubClient,
        cache: HistoryCache,
        workflow: str,
        since: str | None = None,
        until: str | None = None,
        recognise: Recognise | None = None,
        progress: bool | None = None,
        on_save: Callable[[History], None] | None = None,
        taxonomy: Taxonomy | None = None,
        save_every: int = SAVE_EVERY,
        api: str = "rest",
    ) -> None:
        self.client, self.cache, self.workflow = client, cache, workflow
        self.since, self.until = day_window(since, until)  # filtered here: GitHub's `created` caps at 1,000
        self.recognise = recognise or Recognise()
        taxonomy = taxonomy or load_taxonomy()
        self.signal = taxonomy.signal()  # the lines any rule could read are kept
        self.rules = taxonomy.for_scope("codex")  # which decide whether a kit annotation makes a log unneeded
        self.annotations: dict[int, list[str]] = {}  # job id -> annotation messages GraphQL brought
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.on_save = on_save
        self.save_every = save_every
        self.api = api
        self.report = FetchReport()

    def run(self) -> FetchReport:
        self.cache.check_writable()
        try:
            with self.cache.lock():
                self._run()
        finally:
            self.client.close()
        self.report.requests = self.client.stats
        return self.report

    def _run(self) -> None:
        history = self.cache.load()
        self.report.repairs = repair(history, self.cache.folder / "logs", self.signal)
        history.state.pop("listings", None)  # markers of older kits; coverage replaces them
        self.client.etags = history.state.setdefault("etags", {})
        self.forget_partial_pages(history)
        try:
            self.list_runs(history)
            self.save(history)
            self.fetch_jobs(history)
            self.fetch_logs(history)
            history.state.pop("stopped", None)
            self.save(history)  # inside: Ctrl-C during the last save still leaves a cache that says it stopped
        except (GitHubError, KeyboardInterrupt) as stop:
            if not self.cache.fresh or len(history.runs):  # nothing fetched into nothing: leave no folder
                said = scrub(str(stop) or "interrupted")  # GitHub's message can echo the token: never stored
                history.state["stopped"] = said.replace(self.client.token, "***") if self.client.token else said
                self.save(history)  # keep what was fetched; the next fetch resumes from here
            raise

    def save(self, history: History) -> None:
        self.cache.save(history)
        if self.on_save:
            self.on_save(history)

    # --- 1 and 2: runs ---------------------------------------------------------------------------------
    def forget_partial_pages(self, history: History) -> None:
        """A listing page stored while a window filtered some of its runs out must be asked again in full.

        GitHub would answer it 304, and a 304 brings ids only: the runs left out last time would
        never reach the cache. Dropping the ETag of any page that lists an unknown run costs one
        request and keeps a windowed fetch from hiding runs from every later one.
        """
        known = set(history.runs["run_id"].astype(int))
        prefix = f"{self.client.runs_listing(self.workflow)}|"
        for key, (_, ids) in list(self.client.etags.items()):
            if key.startswith(prefix) and not known.issuperset(int(i) for i in ids or []):
                del self.client.etags[key]

    def list_runs(self, history: History) -> None:
        known = _column_by_key(history.runs, "run_id", "status")
        created = _column_by_key(history.runs, "run_id", "created_at")
        attempts = _column_by_key(history.runs, "run_id", "jobs_attempt")
        covered = coverage.read(history.state, self.workflow)
        high = self.until if self.until is not None else pd.Timestamp(self.client.now(), unit="s", tz="UTC")
        seen: set[int] = set()
        for page in self.client.workflow_runs(self.workflow):
            rows = [run_row(item, self.workflow) for item in page.items]
            moments = [pd.Timestamp(r["created_at"]) for r in rows] or [created[i] for i in page.ids if i in created]
            older = bool(moments) and self.since is not None and min(moments) < self.since
            rows = [r for r in rows if self._in_window(r["created_at"])]
            _note_nodes(history, page.items, {r["run_id"] for r in rows})
            self.report.runs_new += sum(r["run_id"] not in known for r in rows)
            self.report.runs_listed += len(page.ids)
            settled = bool(page.ids) and all(known.get(run_id) == "completed" for run_id in page.ids)
            history.upsert("runs", [{**r, "jobs_attempt": attempts.get(r["run_id"], 0)} for r in rows])
            seen.update(page.ids)
            # Stop where the cache already holds everything from this page down to --since.
            if older or (settled and moments and coverage.holds(covered, self.since, max(moments))):
                break
        coverage.write(history.state, self.workflow, [*covered, (self.since, high)])
        _forget_nodes(history)
        for run_id, status in sorted(known.items()):
            if status != "completed" and run_id not in seen:
                reply = self.client.run(run_id)
                self.report.runs_refreshed += 1
                if reply.status != 304:
                    _note_nodes(history, [reply.data], {run_id})
                    row = run_row(reply.data, self.workflow)
                    history.upsert("runs", [{**row, "jobs_attempt": attempts.get(row["run_id"], 0)}])

    def _in_window(self, created: str | None) -> bool:
        moment = pd.Timestamp(created)
        return (self.since is None or moment >= self.since) and (self.until is None or moment < self.until)

    # --- 3: jobs ------------------------------------------------------------------------------------------
    def fetch_jobs(self, history: History) -> None:
        runs = history.runs
        wanted = runs[(runs["status"] == "completed") & (runs["jobs_attempt"] < runs["run_attempt"])]
        wanted = wanted[wanted["workflow"] == self.workflow].sort_values("run_id")
        batch = _Batch()
        logs_known = _column_by_key(history.jobs, "job_id", "log_status")
        bar = self._bar(None, len(wanted), "jobs")
        try:
            by_rest = list(wanted.itertuples())
            if self.api == "graphql":
                by_rest = self._jobs_by_graphql(history, by_rest, batch, logs_known, bar)
            for run in by_rest:
                self._store_jobs(batch, int(run.run_id), int(run.run_attempt), self.client.jobs(int(run.run_id)),
                                 logs_known)  # fmt: skip
                bar.update(1)
                self._checkpoint(batch, len(batch.attempts), history)
        finally:
            bar.close()
            batch.apply(history)

    def _jobs_by_graphql(self, history: History, wanted: list[Any], batch: _Batch, logs_known, bar) -> list[Any]:
        """Fetch first-attempt runs 100 a query; the runs GraphQL cannot vouch for are returned for REST."""
        nodes = history.state.get(NODE_IDS, {})
        ready = [run for run in wanted if int(run.run_attempt) == 1 and str(int(run.run_id)) in nodes]
        taken = {int(run.run_id) for run in ready}
        left = [run for run in wanted if int(run.run_id) not in taken]
        sizes = [int(n) for n in history.jobs.groupby("run_id").size()] if not history.jobs.empty else []
        query = JobsQuery(self.client, run_jobs_size(sizes))
        for start in range(0, len(ready), RUNS_PER_QUERY):
            chunk = ready[start : start + RUNS_PER_QUERY]
            got = query.fetch([(int(run.run_id), nodes[str(int(run.run_id))]) for run in chunk])
            sizes.extend(len(jobs) for jobs in got.jobs.values())
            query.jobs_size = run_jobs_size(sizes)  # the next query asks what runs here have needed so far
            for run in chunk:
                run_id = int(run.run_id)
                if run_id in got.jobs:
                    self._store_jobs(batch, run_id, 1, got.jobs[run_id], logs_known)
                    bar.update(1)
            self.annotations.update(
                (job_id, [note.message for note in notes]) for job_id, notes in got.annotations.items() if notes
            )
            stats = self.client.stats
            bar.set_postfix(requests=stats.spent, points=stats.points, refresh=False)
            unexplained = set(got.unexplained)
            left.extend(run for run in chunk if int(run.run_id) in unexplained)
            self._checkpoint(batch, len(batch.attempts), history)
        return sorted(left, key=lambda run: int(run.run_id))

    def _store_jobs(self, batch: _Batch, run_id: int, attempt: int, jobs: list[dict[str, Any]], logs_known) -> None:
        for job in jobs:
            steps = step_rows(job, self.recognise)
            row = job_row(job, steps, self.recognise)
            row["log_status"] = _log_status(row, logs_known)
            batch.jobs.append(row)
            batch.steps.extend(steps)
        batch.attempts[run_id] = attempt
        self.report.jobs_fetched_for += 1

    # --- 4: logs ------------------------------------------------------------------------------------------
    def fetch_logs(self, history: History) -> None:
        jobs = history.jobs
        pending = jobs[jobs["log_status"] == LogStatus.PENDING].sort_values("job_id")
        steps = history.steps
        codex_steps = steps[steps["is_codex"]].groupby("job_id").size().to_dict() if not steps.empty else {}
        batch = _Batch()
        bar = self._bar(None, len(pending), "logs")
        try:
            downloads = []
            for job in pending.itertuples():
                if self._explained(job, int(codex_steps.get(int(job.job_id), 0)), batch):
                    bar.update(1)
                    self._checkpoint(batch, len(batch.log_status), history)
                else:
                    downloads.append((int(job.job_id), int(job.run_id)))
            self._download_logs(downloads, batch, history, bar)
        finally:
            bar.close()
            batch.apply(history)

    def _explained(self, job: Any, codex_steps: int, batch: _Batch) -> bool:
        """Store the kit's annotations instead of the log when they decide the job's category."""
        if not may_need_no_log(job._asdict(), codex_steps):
            return False
        job_id, run_id = int(job.job_id), int(job.run_id)
        messages = self.annotations.pop(job_id, None)
        if messages is None and not self.report.annotations_forbidden:
            try:
                messages = self.client.annotations(job_id)
            except Missing:
                messages = None
            except Forbidden:  # a token with `actions: read` only: logs say the same, at a higher price
                self.report.annotations_forbidden = True
        kept = kit_messages(messages or [])
        if deciding_rule(kept, self.rules) is None:
            return False
        batch.lines.extend(annotation_rows(job_id, run_id, kept))
        batch.log_status[job_id] = LogStatus.ANNOTATED
        self.report.logs_annotated += 1
        return True

    def _download_logs(self, downloads: list[tuple[int, int]], batch: _Batch, history: History, bar) -> None:
        if not downloads:
            return
        workers = [self.client.sibling() for _ in range(min(LOG_DOWNLOADS, len(downloads)))]
        flight = InFlight(workers, self._download)
        try:
            for (job_id, _), (lines, stats) in flight.run(downloads, self._may_start):
                self.client.stats.add(stats)
                if lines is None:
                    batch.log_status[job_id] = LogStatus.GONE
                    self.report.logs_gone += 1
                else:
                    batch.lines.extend(lines)
                    batch.log_status[job_id] = LogStatus.FETCHED
                    self.report.logs_fetched += 1
                bar.update(1)
                self._checkpoint(batch, len(batch.log_status), history)
        finally:
            for worker in workers:  # also ends downloads still under way when the fetch stops
                worker.close()

    def _may_start(self, task: tuple[int, int], in_flight: int) -> None:
        self.client.check_budget(f"log of job {task[0]}", ahead=in_flight)

    def _download(
        self, worker: GitHubClient, task: tuple[int, int]
    ) -> tuple[list[dict[str, Any]] | None, RequestStats]:
        """In a worker thread: download, store and excerpt one log; its kept lines (None: GitHub no longer has
        it). The log file is stored before its status is, so a killed fetch at worst asks for it again."""
        job_id, run_id = task
        worker.stats = RequestStats()
        with self.cache.spool() as spool:
            if not worker.job_log(job_id, spool):
                return None, worker.stats
            excerpt = LogExcerpt(job_id, run_id, self.signal)
            self.cache.save_log(job_id, _chunks(spool, excerpt))
        return excerpt.close(), worker.stats

    def _checkpoint(self, batch: _Batch, pending: int, history: History) -> None:
        """Every `save_every` items, fold the batch into the tables and save, so a killed fetch resumes."""
        if pending >= self.save_every:
            batch.apply(history)
            self.save(history)

    def _bar(self, items, total: int, what: str):  # items None: a bar updated by hand
        return tqdm(items, total=total, desc=what, unit=what[:-1], disable=not self.progress or total < 20)


def fetch_history(
    repo: str,
    workflow: str,
    cache_root: Path,
    *,
    token: str | None = None,
    since: str | None = None,
    until: str | None = None,
    api_url: str = GITHUB_API_URL,
    max_wait: float = 900.0,
    recognise: Recognise | None = None,
    progress: bool | None = None,
    taxonomy: Taxonomy | None = None,
    api: str = FETCH_APIS[0],
    budget: int | None = None,
    stats: RequestStats | None = None,
) -> tuple[Path, FetchReport]:
    """Fetch `workflow`'s history of `repo` into its folder under `cache_root`; (folder, what was done).

    `api` is how jobs are asked: "graphql" (100 runs a query, within GITHUB_TOKEN's hour) or "rest"
    (one jobs listing per run); both leave the same tables. `stats`, when given, is filled with what the
    fetch spent even when it stops with an error (a team fetch shares one budget across repositories).
    """
    migrate_root(cache_root)  # a root an older codex-kit wrote is moved (and says so) before it is used
    client = GitHubClient(
        repo, api_url=api_url, token=token, max_wait=max_wait, budget=budget, stats=stats or RequestStats()
    )
    folder = cache_folder(cache_root, repo)
    fetcher = Fetcher(
        client, HistoryCache(folder), workflow, since, until, recognise=recognise, progress=progress, taxonomy=taxonomy,
        api=api,
    )  # fmt: skip
    return folder, fetcher.run()


def estimate_history(
    repo: str, workflow: str, cache_root: Path, *, token: str | None = None, api_url: str = GITHUB_API_URL,
    api: str = FETCH_APIS[0],
) -> str:  # fmt: skip
    """What `fetch_history` would cost now, as one line; nothing is written."""
    client = GitHubClient(repo, api_url=api_url, token=token)
    try:
        return estimate(client, HistoryCache(cache_folder(cache_root, repo)), workflow, api).text()
    finally:
        client.close()


@dataclass
class _Batch:
    """Rows gathered between saves, applied to the tables in one go (row-by-row upserts are slow)."""

    jobs: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    attempts: dict[int, int] = field(default_factory=dict)
    log_status: dict[int, str] = field(default_factory=dict)

    def apply(self, history: History) -> None:
        history.upsert("jobs", self.jobs)
        history.upsert("steps", self.steps)
        history.upsert("log_lines", self.lines)
        if self.attempts:
            runs = history.runs
            runs["jobs_attempt"] = runs["run_id"].map(self.attempts).fillna(runs["jobs_attempt"]).astype("int64")
            _forget_nodes(history)
        if self.log_status:
            jobs = history.jobs
            jobs["log_status"] = jobs["job_id"].map(self.log_status).fillna(jobs["log_status"])
        self.jobs, self.steps, self.lines, self.attempts, self.log_status = [], [], [], {}, {}


def _note_nodes(history: History, items: list[dict[str, Any]], keep: set[int]) -> None:
    """Remember the GraphQL node id of each kept run until its jobs are stored (the tables do not hold it)."""
    nodes = history.state.setdefault(NODE_IDS, {})
    for item in items:
        if int(item["id"]) in keep and isinstance(item.get("node_id"), str):
            nodes[str(int(item["id"]))] = item["node_id"]
    if not nodes:
        history.state.pop(NODE_IDS, None)


def _forget_nodes(history: History) -> None:
    """Keep node ids only for runs whose jobs are still to fetch: the state stays small and settles."""
    nodes = history.state.get(NODE_IDS)
    if nodes is None:
        return
    runs = history.runs
    pending = set(runs.loc[runs["jobs_attempt"] < runs["run_attempt"], "run_id"].astype(int).astype(str))
    kept = {k: v for k, v in nodes.items() if k in pending}
    if kept:
        history.state[NODE_IDS] = kept
    else:
        history.state.pop(NODE_IDS, None)


def _chunks(spool: BinaryIO, excerpt: LogExcerpt) -> Iterator[bytes]:
    """The downloaded log, a megabyte at a time, each chunk also read by `excerpt` on its way to the cache."""
    spool.seek(0)
    while chunk := spool.read(1 << 20):
        excerpt.feed_bytes(chunk)
        yield chunk


def _column_by_key(table: pd.DataFrame, key: str, column: str) -> dict[int, Any]:
    return dict(zip(table[key].astype(int), table[column], strict=True)) if not table.empty else {}


def _log_status(row: dict[str, Any], known: dict[int, str]) -> str:
    """A log already fetched (or found gone) is never asked for again."""
    if not row["needs_log"]:
        return LogStatus.NOT_NEEDED
    previous = known.get(row["job_id"], "")
    done = (LogStatus.FETCHED, LogStatus.GONE, LogStatus.ANNOTATED)
    return LogStatus(previous) if previous in done else LogStatus.PENDING
