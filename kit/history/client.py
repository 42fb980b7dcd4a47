"""The one seam to GitHub: ghapi's synchronous client, plus what ghapi leaves to its callers.

ghapi 2.x sends the requests; this module adds conditional requests (an ETag store, a 304 is a
cache hit), pagination by the `Link` header (ghapi's `paged` never stops on wrapped listings),
rate-limit handling (wait for `retry-after` or the reset, or stop with a resumable message),
bounded retries with backoff on 5xx, timeouts and broken bodies, and messages that say exactly
what is wrong on 401/403/404. Against a server that misbehaves it bounds everything: a total
deadline per request and a cap on each body (`kit/history/limits.py`), logs streamed to a file
rather than held in memory, a page ceiling on listings, and answers of the wrong shape refused
(`kit/history/answers.py`). The token is checked before the first request and is never put in a
message.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlparse

import httpx2
from fastcore.xtras import obj2dict
from fasttransport.errors import APIError
from ghapi.all import GhApi
from ghapi.page import parse_link_hdr

from kit.errors import CacheError, GitHubError
from kit.history.answers import annotation_messages, check_job, check_run, listing_items
from kit.history.limits import ACCEPTED_ENCODINGS, AnswerRefused, LimitedTransport
from kit.history.locations import GITHUB_API_URL, split_repo
from kit.history.token import check_token

RETRYABLE = (500, 502, 503, 504)
_NAME_NOT_RESOLVED = re.compile(
    r"Name or service not known|nodename nor servname|Temporary failure in name resolution|getaddrinfo failed"
    r"|No address associated with hostname",
    re.IGNORECASE,
)


class RateLimited(GitHubError):
    """The primary rate limit is spent and the reset is further away than we may wait."""


class BudgetSpent(RateLimited):
    """This fetch has spent what it may of the hour's requests or points; the cache resumes from here."""


MARGIN_SHARE = 0.02  # of the hour's limit, left for the repository's other users of GITHUB_TOKEN


def margin(limit: int | None) -> int:
    """What a fetch leaves unspent of a budget of `limit` an hour: 20 of GITHUB_TOKEN's 1,000."""
    return math.ceil((limit or 0) * MARGIN_SHARE)


class Missing(GitHubError):
    """GitHub answered 404 or 410: the thing is not (or no longer) there."""


class Forbidden(GitHubError):
    """GitHub answered 403 without a rate limit: the token lacks a permission this request needs."""


MiB = 2**20


@dataclass
class Reply:
    status: int
    data: Any
    headers: dict[str, str]


@dataclass
class Page:
    """One page of a listing: its items, or only their ids when GitHub said 304 (unchanged)."""

    number: int
    not_modified: bool
    ids: list[int]
    items: list[dict[str, Any]]


@dataclass
class RequestStats:
    sent: int = 0
    not_modified: int = 0
    retried: int = 0
    waited: float = 0.0
    remaining: int | None = None
    reset: int | None = None
    queries: int = 0  # GraphQL queries answered
    points: int = 0  # GraphQL points they cost (`rateLimit.cost`)
    points_remaining: int | None = None
    points_reset: int | None = None
    limit: int | None = None  # the hour's REST requests, from x-ratelimit-limit
    points_limit: int | None = None
    spent: int = 0  # REST requests that counted (answered, not 304)

    def add(self, other: RequestStats) -> None:
        """Fold in what another client (a log download's) spent. Answers to concurrent requests arrive in
        any order, so within one rate-limit window the lowest `remaining` seen is the true one."""
        for name in ("sent", "not_modified", "retried", "waited", "queries", "points", "spent"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        budgets = (("remaining", "reset", "limit"), ("points_remaining", "points_reset", "points_limit"))
        for left, reset, limit in budgets:
            if getattr(other, left) is None:
                continue
            same_window = getattr(self, left) is not None and getattr(other, reset) == getattr(self, reset)
            setattr(self, left, min(getattr(self, left), getattr(other, left)) if same_window else getattr(other, left))
            for name in (reset, limit):
                if getattr(other, name) is not None:
                    setattr(self, name, getattr(other, name))


@dataclass
class GitHubClient:
    """Requests against one repository, with ETags, retries and rate-limit care."""

    repo: str
    api_url: str = GITHUB_API_URL
    token: str | None = None
    etags: dict[str, list[Any]] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.time
    max_wait: float = 900.0
    retries: int = 4
    timeout: float = 30.0  # for each socket operation
    deadline: float = 120.0  # for a whole request (a JSON answer), however slowly it trickles in
    log_deadline: float = 900.0  # for a whole log download
    max_json_bytes: int = 32 * MiB  # a page of 100 runs is about 0.5 MiB
    max_log_bytes: int = 1024 * MiB  # streamed to a file, never held in memory
    max_pages: int = 5000  # of any one listing: 500,000 runs
    stats: RequestStats = field(default_factory=RequestStats)
    budget: int | None = (
        None  # REST requests, and GraphQL points, this client may spend; None: what is left less a margin
    )

    def __post_init__(self) -> None:
        owner, name = split_repo(self.repo)
        self.owner, self.name = owner, name
        if self.token:
            check_token(self.token, "the token")  # before any request: a bad one would be echoed by httpx
        self.api = GhApi(
            owner=owner,
            repo=name,
            token=self.token or None,
            gh_host=self.api_url.rstrip("/"),
            authenticate=bool(self.token),
            sync=True,
            timeout=self.timeout,
        )
        # One persistent connection pool instead of a new client (and TLS context) per request,
        # over a transport that enforces the deadline and the body cap.
        self.limits = LimitedTransport()
        self.api.transport.client = httpx2.Client(
            timeout=self.timeout,
            follow_redirects=True,
            transport=self.limits,
            headers={"Accept-Encoding": ACCEPTED_ENCODINGS},
        )

    def sibling(self) -> GitHubClient:
        """A client of its own (connection pool, per-request deadlines, stats) for another thread; the budget
        stays with this one, which checks it before each of the sibling's requests (`check_budget`)."""
        return replace(self, etags={}, stats=RequestStats(), budget=None)

    def check_budget(self, describe: str, ahead: int = 0) -> None:
        """Raise `BudgetSpent` when one more request, besides `ahead` already under way, would pass the budget."""
        self._within_budget(describe, ahead=ahead)

    @property
    def graphql_url(self) -> str:
        """GitHub's `/graphql` beside its REST root; Enterprise serves it at /api/graphql beside /api/v3."""
        root = self.api_url.rstrip("/")
        return root.removesuffix("/v3") + "/graphql" if root.endswith("/api/v3") else root + "/graphql"

    def close(self) -> None:
        self.api.transport.close()

    # --- requests -------------------------------------------------------------------------------
    def call(
        self,
        describe: str,
        operation: Callable[..., Any],
        *args: Any,
        etag_key: str | None = None,
        keep: Callable[[Any], Any] = lambda data: None,
        budget: tuple[float, int] | None = None,
        resource: str = "core",
        **kwargs: Any,
    ) -> Reply:
        """One logical request: conditional when an ETag is known, retried and rate-limit aware.

        With `etag_key`, the reply's ETag is stored with `keep(data)` (a small summary of the body);
        a later 304 returns that summary as `data`. `budget` is (deadline, body cap) when not a JSON
        answer's. A request past its deadline or over its cap is not retried: the server that did it
        once will do it again.
        """
        headers = {}
        cached = self.etags.get(etag_key) if etag_key else None
        if cached:
            headers["If-None-Match"] = cached[0]
        seconds, cap = budget or (self.deadline, self.max_json_bytes)
        for attempt in range(self.retries + 1):
            if resource == "core":
                self._within_budget(describe)
            self.stats.sent += 1
            self.limits.start(seconds, cap)
            try:
                data = operation(*args, headers_=headers, **kwargs) if headers else operation(*args, **kwargs)
            except AnswerRefused as err:
                raise GitHubError(f"{describe}: {err}; is --api-url GitHub's API?") from err
            except APIError as err:
                self.stats.spent += resource == "core" and err.status_code is not None
                if err.status_code is None:  # no HTTP answer: the transport failed (ghapi wraps httpx's errors)
                    self._within_deadline(describe, seconds, err)
                reply = self._failed(describe, err, attempt)
                if reply is None:
                    continue
                if reply.status == 304 and cached:
                    self.stats.not_modified += 1
                    self.stats.spent -= resource == "core"
                    return Reply(304, cached[1], reply.headers)
                raise GitHubError(f"{describe}: unexpected HTTP {reply.status}") from err
            except (httpx2.HTTPError, OSError, ValueError) as err:
                self._within_deadline(describe, seconds, err)
                self._transport_fault(describe, err, attempt)
                continue
            received = {k.lower(): v for k, v in dict(self.api.recv_hdrs or {}).items()}
            self.stats.spent += resource == "core"
            self._note_limits(received)
            data = obj2dict(data) if not isinstance(data, (str, bytes)) else data
            if etag_key and received.get("etag"):
                self.etags[etag_key] = [received["etag"], keep(data)]
            return Reply(200, data, received)
        raise GitHubError(f"{describe}: gave up after {self.retries + 1} attempts")

    def _within_budget(self, describe: str, points: int = 0, ahead: int = 0) -> None:
        """Stop before a request (or a query of `points`) that would pass --budget or eat into the margin."""
        stats = self.stats
        if points:
            spent, left, limit, reset, unit = (
                stats.points,
                stats.points_remaining,
                stats.points_limit,
                stats.points_reset,
                "points",
            )
        else:
            spent, left, limit, reset, unit = stats.spent, stats.remaining, stats.limit, stats.reset, "requests"
        cost = max(points, 1) + ahead
        if self.budget is not None:
            over = spent + cost > self.budget
            said = f"--budget {self.budget} {unit}"
        else:
            over = left is not None and left - cost < margin(limit)
            said = f"the hour's {unit} less a margin of {margin(limit)} for the repository's other users"
        if over:
            when = time.strftime("%H:%M UTC", time.gmtime(reset)) if reset else "the next hour"
            raise BudgetSpent(
                f"{describe}: stopped within {said} ({stats.spent} requests and {stats.points} points spent"
                f"{f', {left} {unit} left until {when}' if left is not None else ''}). Everything fetched so far is in "
                f"the cache; run the same command again after {when} to go on"
            )

    def _within_deadline(self, describe: str, seconds: float, err: Exception) -> None:
        """A request that failed because its deadline passed is not retried: the same server will do it again."""
        if self.limits.expired():
            raise GitHubError(
                f"{describe}: no complete answer within {seconds:g} s (the deadline for one request); the server is "
                "too slow or stalls mid-answer; try again later"
            ) from err

    def _failed(self, describe: str, err: APIError, attempt: int) -> Reply | None:
        """A reply for 304; None to retry (after waiting); raises for what cannot succeed."""
        response = getattr(err, "response", None)
        headers = {k.lower(): v for k, v in dict(response.headers).items()} if response is not None else {}
        status = err.status_code
        self._note_limits(headers)
        if status == 304:
            return Reply(304, None, headers)
        if status is None:
            return self._unreachable(describe, err, attempt)
        if status in RETRYABLE:
            return self._retry(describe, f"HTTP {status}", attempt)
        message = _first_line(err.message)
        if status in (403, 429) and (
            headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers or "rate limit" in message.lower()
        ):
            self._rate_limited(describe, headers, message, attempt)
            return None
        kind = Missing if status in (404, 410) else Forbidden if status == 403 else GitHubError
        raise kind(self._explain(describe, status, message))

    def _retry(self, describe: str, what: str, attempt: int) -> None:
        if attempt >= self.retries:
            raise GitHubError(f"{describe}: GitHub kept failing ({what}) after {attempt + 1} attempts; try again later")
        self.stats.retried += 1
        self._wait(min(0.5 * 2**attempt, 8.0))
        return None

    def _unreachable(self, describe: str, err: APIError, attempt: int) -> None:
        """No HTTP answer at all. A name that does not resolve will not resolve on a retry: say so now."""
        what = (getattr(err, "message", "") or str(err)).strip()
        host = urlparse(self.api_url).netloc or self.api_url
        if _NAME_NOT_RESOLVED.search(what):
            raise GitHubError(
                f"{describe}: cannot reach {host}: its name does not resolve ({what}); check the network "
                "(offline?) or --api-url"
            )
        if attempt >= self.retries:
            raise GitHubError(f"{describe}: cannot reach {host} ({what}) after {attempt + 1} attempts")
        return self._retry(describe, what, attempt)

    def _transport_fault(self, describe: str, err: Exception, attempt: int) -> None:
        if isinstance(err, ValueError) and not isinstance(err, httpx2.HTTPError):
            what = f"an answer that is not valid JSON: {_first_line(str(err))}"
        else:
            what = f"{type(err).__name__}: {_first_line(str(err))}".strip(": ")
        self._retry(describe, what, attempt)

    def _rate_limited(self, describe: str, headers: dict[str, str], message: str, attempt: int) -> None:
        if attempt >= self.retries:
            raise RateLimited(f"{describe}: still rate-limited after {attempt + 1} attempts ({message})")
        if "retry-after" in headers:
            delay = float(headers["retry-after"])
        elif headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            delay = max(0.0, float(headers["x-ratelimit-reset"]) - self.now()) + 1
        else:
            delay = 60.0 * 2**attempt
        if delay > self.max_wait:
            reset = headers.get("x-ratelimit-reset")
            when = time.strftime("%H:%M UTC", time.gmtime(float(reset))) if reset else f"in {math.ceil(delay)} s"
            raise RateLimited(
                f"{describe}: the GitHub API rate limit is spent ({message or 'rate limited'}); it resets at {when}. "
                "Everything fetched so far is in the cache; run the same command again after the reset."
            )
        self.stats.retried += 1
        self._wait(delay)
        if headers.get("x-ratelimit-resource") == "graphql":
            self.stats.points_remaining = None  # waited for the reset: what was left is no longer known
        else:
            self.stats.remaining = None

    def _wait(self, seconds: float) -> None:
        self.stats.waited += seconds
        self.sleep(seconds)

    def _note_limits(self, headers: dict[str, str]) -> None:
        if headers.get("x-ratelimit-resource") == "graphql":  # points, a budget apart from core requests
            if "x-ratelimit-limit" in headers:
                self.stats.points_limit = int(headers["x-ratelimit-limit"])
            if "x-ratelimit-remaining" in headers:
                self.stats.points_remaining = int(headers["x-ratelimit-remaining"])
            if "x-ratelimit-reset" in headers:
                self.stats.points_reset = int(headers["x-ratelimit-reset"])
            return
        if "x-ratelimit-limit" in headers:
            self.stats.limit = int(headers["x-ratelimit-limit"])
        if "x-ratelimit-remaining" in headers:
            self.stats.remaining = int(headers["x-ratelimit-remaining"])
        if "x-ratelimit-reset" in headers:
            self.stats.reset = int(headers["x-ratelimit-reset"])

    def _explain(self, describe: str, status: int, message: str) -> str:
        said = f" (GitHub says: {message})" if message else ""
        if status == 401:
            return f"{describe}: GitHub rejected the token (401){said}; check GITHUB_TOKEN or GH_TOKEN"
        if status == 403:
            return f"{describe}: forbidden (403){said}; the token needs read access to Actions on {self.repo}"
        if status == 404:
            return (
                f"{describe}: not found (404){said}; check that {self.repo} exists and the workflow file name "
                "is right, and that the token can see the repository (private repositories need a token)"
            )
        if status == 410:
            return f"{describe}: gone (410){said}"
        return f"{describe}: HTTP {status}{said}"

    # --- endpoints ---------------------------------------------------------------------------------
    def pages(
        self,
        describe: str,
        operation: Callable[..., Any],
        key: str,
        *args: Any,
        per_page: int = 100,
        conditional: bool = False,
        **kwargs: Any,
    ) -> Iterator[Page]:
        """Each page of a wrapped listing, following `Link: rel="next"`; optionally conditional per page.

        A server that links to a page already read, or serves a page with nothing new on it, ends the
        listing. One that keeps linking to fresh pages is stopped with an error once it passes the
        pages its own `total_count` allows (one more, for items added while listing) or `max_pages`.
        """
        number, seen_pages, seen_ids, total = 1, set(), set(), 0
        while True:
            seen_pages.add(number)
            etag_key = f"{describe}|{sorted(kwargs.items())}|{number}" if conditional else None
            where = f"{describe} page {number}"
            reply = self.call(
                where,
                operation,
                *args,
                etag_key=etag_key,
                keep=lambda data, where=where: [item["id"] for item in listing_items(where, data, key)],
                per_page=per_page,
                page=number,
                **kwargs,
            )
            if reply.status == 304:
                ids = [int(i) for i in reply.data or []]
                yield Page(number, True, ids, [])
                following = number + 1 if len(ids) == per_page else None
            else:
                items = listing_items(where, reply.data, key)
                ids = [int(i["id"]) for i in items]
                count = reply.data.get("total_count")
                total = max(total, count) if isinstance(count, int) and not isinstance(count, bool) else total
                yield Page(number, False, ids, items)
                following = _next_page(where, reply.headers.get("link")) if items else None
            if following is None or following in seen_pages or (ids and seen_ids.issuperset(ids)):
                return
            self._within_pages(describe, len(seen_pages), total, per_page)
            seen_ids.update(ids)
            number = following

    def _within_pages(self, describe: str, read: int, total: int, per_page: int) -> None:
        """Raise when a listing asks for a page beyond what it said it holds, or beyond `max_pages`."""
        allowed = min(self.max_pages, math.ceil(total / per_page) + 1) if total else self.max_pages
        if read >= allowed:
            said = f"its total_count ({total}) fills {math.ceil(total / per_page)}" if total else "no total_count"
            raise GitHubError(
                f"{describe}: the server links to page {read + 1} and beyond although {said} (at most {allowed} "
                f"pages are read); stopped there; is --api-url GitHub's API?"
            )

    @staticmethod
    def runs_listing(workflow: str) -> str:
        """The name of a workflow's run listing, which prefixes its pages' ETag keys."""
        return f"runs of {workflow}"

    def workflow_runs(self, workflow: str) -> Iterator[Page]:
        """Every run of the workflow, newest first (no `created` filter: it caps a listing at 1,000)."""
        describe = self.runs_listing(workflow)
        for page in self.pages(
            describe, self.api.actions.list_workflow_runs, "workflow_runs", workflow, conditional=True
        ):
            for run in page.items:
                check_run(f"{describe} page {page.number}", run)
            yield page

    def run(self, run_id: int) -> Reply:
        """One run, conditionally: a 304 reply means it has not changed since it was stored."""
        describe = f"run {run_id}"
        reply = self.call(describe, self.api.actions.get_workflow_run, run_id, etag_key=f"run|{run_id}")
        if reply.status != 304:
            check_run(describe, reply.data)
        return reply

    def jobs(self, run_id: int) -> list[dict[str, Any]]:
        describe = f"jobs of run {run_id}"
        jobs: list[dict[str, Any]] = []
        for page in self.pages(describe, self.api.actions.list_jobs_for_workflow_run, "jobs", run_id, filter="all"):
            jobs.extend(check_job(f"{describe} page {page.number}", job) for job in page.items)
        return jobs

    def rate_limits(self) -> dict[str, dict[str, int]]:
        """Each budget (`core`, `graphql`, …) from /rate_limit, which GitHub does not count against any."""
        reply = self.call("the rate limits", self.api.rate_limit.get, resource="free")
        resources = (reply.data or {}).get("resources") if isinstance(reply.data, dict) else None
        return {k: v for k, v in (resources or {}).items() if isinstance(v, dict)}

    def graphql(
        self, describe: str, query: str, variables: dict[str, Any], points: int = 1
    ) -> tuple[Any, list[dict[str, Any]]]:
        """(data, errors) of one query POSTed to /graphql through the same ghapi client as every REST call.

        GitHub answers GraphQL errors with HTTP 200, often beside partial data: those are returned for
        the caller to judge item by item. A spent budget (the documented `RATE_LIMITED`, or the
        `RATE_LIMIT`/`graphql_rate_limit` GitHub sent in 2026) waits for the reset or stops resumably,
        as REST's does; an answer with errors and no data at all is an error.
        """
        for attempt in range(self.retries + 1):
            self._within_budget(describe, points)
            reply = self.call(describe, self._post, self.graphql_url, {"query": query, "variables": variables},
                              resource="graphql")  # fmt: skip
            answer = reply.data if isinstance(reply.data, dict) else {}
            errors = [e for e in answer.get("errors") or [] if isinstance(e, dict)]
            if any(_rate_limited(e) for e in errors):
                headers = {**reply.headers, "x-ratelimit-remaining": "0"}
                if "x-ratelimit-reset" not in headers and self.stats.points_reset:
                    headers["x-ratelimit-reset"] = str(self.stats.points_reset)
                self._rate_limited(describe, headers, "GraphQL points spent", attempt)
                continue
            data = answer.get("data")
            if not isinstance(data, dict):
                said = "; ".join(str(e.get("message", "")) for e in errors)[:300] or "no data"
                raise GitHubError(
                    f"{describe}: GitHub's GraphQL API answered no data ({said}); is --api-url GitHub's API?"
                )
            rate = data.get("rateLimit") if isinstance(data.get("rateLimit"), dict) else {}
            self.stats.queries += 1
            self.stats.points += int(rate.get("cost") or 0)
            if isinstance(rate.get("remaining"), int):
                self.stats.points_remaining = rate["remaining"]
            return data, errors
        raise GitHubError(f"{describe}: gave up after {self.retries + 1} attempts")

    def _get(self, url: str, query: dict[str, Any]) -> Any:
        """GET through ghapi; an error status raises the `APIError` its endpoint calls raise (not httpx's)."""
        try:
            return self.api(url, "GET", query=query)
        except httpx2.HTTPStatusError as err:
            raise err.api_error() from err

    def _post(self, url: str, body: dict[str, Any]) -> Any:
        """POST through ghapi; an error status raises the `APIError` its endpoint calls raise (not httpx's)."""
        try:
            return self.api(url, "POST", data=body)
        except httpx2.HTTPStatusError as err:
            raise err.api_error() from err

    def annotations(self, job_id: int) -> list[str]:
        """The messages of a job's check-run annotations, newest first, as GitHub lists them (a job keeps
        at most 50, so one page of 100 holds them all). Needs `checks: read`: a 403 raises `Forbidden`."""
        describe = f"annotations of job {job_id}"
        url = f"{self.api_url.rstrip('/')}/repos/{self.owner}/{self.name}/check-runs/{job_id}/annotations"
        reply = self.call(describe, self._get, url, {"per_page": 100})
        return annotation_messages(describe, reply.data)

    def job_log(self, job_id: int, into: BinaryIO) -> bool:
        """Stream the job's log into `into` (rewound for each attempt); False when GitHub no longer has it.

        GitHub answers 302 to a signed URL on another host, whose body can be large: it is written
        to `into` chunk by chunk (never held whole), within `max_log_bytes` and `log_deadline`.
        """
        url = f"{self.api_url.rstrip('/')}/repos/{self.owner}/{self.name}/actions/jobs/{job_id}/logs"
        try:
            self.call(f"log of job {job_id}", self._stream, url, into, budget=(self.log_deadline, self.max_log_bytes))
        except Missing:
            return False
        return True

    def _stream(self, url: str, into: BinaryIO) -> None:
        """GET `url` into `into`; an error status raises the `APIError` ghapi would have raised."""
        into.seek(0)
        into.truncate()
        with self.api.transport.client.stream("GET", url, headers=self.api.headers) as response:
            # GitHub's answer (the 302, not the signed host's) carries the rate limit: `call` reads it from here.
            self.api.transport.recv_hdrs = (response.history or [response])[0].headers
            if response.is_error:
                response.read()
                try:
                    response.raise_for_status()
                except httpx2.HTTPStatusError as err:
                    raise err.api_error() from err
            try:
                for chunk in response.iter_bytes():
                    into.write(chunk)
                into.flush()
            except OSError as err:  # the disk, not GitHub: retrying will not help
                raise CacheError(
                    f"{url}: cannot store the log while downloading it ({err.strerror or err}); the cache is as it was "
                    "before this download; free some space and fetch again"
                ) from err


def _rate_limited(error: dict[str, Any]) -> bool:
    return error.get("type") in ("RATE_LIMITED", "RATE_LIMIT") or error.get("code") == "graphql_rate_limit"


def _first_line(text: str | None) -> str:
    """The first line of a message from the server, at most 300 characters (an HTML page is not a message)."""
    lines = (text or "").strip().splitlines()
    return lines[0][:300] if lines else ""


def _next_page(describe: str, link: str | None) -> int | None:
    """The page number `Link: rel="next"` points to; a link that names no page number is an error."""
    if not link:
        return None
    following = parse_link_hdr(link).get("next")
    if not following:
        return None
    values = parse_qs(urlparse(following[0]).query).get("page") or [""]
    if not values[0].isdigit():
        raise GitHubError(f"{describe}: the `Link` header's next page has no page number; is --api-url GitHub's API?")
    return int(values[0])
