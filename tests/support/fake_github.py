"""A local fake of GitHub's REST API for Actions history, reached by ghapi over real HTTP.

It serves workflow runs, jobs (with steps and attempts) and job logs (302 to a signed URL) in the
shapes of GitHub's OpenAPI schemas, with `Link` pagination, ETags and 304s, rate-limit headers, an
optional required token, and injected faults (any status with headers and body, a stall past the
client's timeout, a truncated body) and hostile answers (a response dripped a byte at a time, a
body of any size made on the fly, a gzip bomb, an HTML page). It records every request so tests
can count them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlparse

from kit.history import payloads
from tests.support.fake_graphql import FakeGraphQL, log_annotations


@dataclass
class Fault:
    """Answer requests whose path matches `path` this way, `times` times."""

    path: str
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    kind: str = "status"  # status | stall | truncate | drip | drip-body | huge | gzip-bomb | html
    size: int = 0  # bytes of body for huge and gzip-bomb


@dataclass
class Seen:
    path: str
    status: int
    counted: bool


class FakeGitHub:
    """Serve one repository's Actions history on a loopback port."""

    def __init__(
        self, repo: str = "octo/app", token: str | None = None, lowercase_headers: bool = False,
        host: FakeGitHub | None = None,
    ) -> None:  # fmt: skip
        self.repo = repo
        self.host = host  # None: this fake owns the server; else another repository served by `host`
        self.token = token
        self.lowercase = lowercase_headers
        self.runs: dict[int, dict[str, Any]] = {}
        self.workflow_of: dict[int, str] = {}
        self.jobs: dict[int, list[dict[str, Any]]] = {}
        self.logs: dict[int, str] = {}
        self.faults: list[Fault] = []
        self.requests: list[Seen] = []
        self.limit, self.remaining = 5000, 5000
        self.reset = int(time.time()) + 3600
        self.latency = 0.0
        self.tokens_to_log_host = 0  # signed log downloads that carried an Authorization header
        self.active = self.peak = 0  # requests being answered now, and the most at once
        self.before_request: Callable[[int], None] | None = None  # called with the number of requests so far
        self.stall = 3.0
        self.drip = 0.05  # seconds between the bytes of a dripped answer
        self.lock = threading.Lock()
        self.publishing = Publishing(self)
        self.graphql = FakeGraphQL(self)  # the history side of /graphql (tests/support/fake_graphql.py)
        self.listing = Listing(self, private=False)  # what GitHub says of the repository itself
        self.repos: dict[str, FakeGitHub] = {repo.lower(): self}  # every repository this server serves
        if host is not None:
            self.requests, self.lock, self.repos, self.faults = host.requests, host.lock, host.repos, host.faults
            return
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add_repo(self, repo: str, *, private: bool = False, archived: bool = False) -> FakeGitHub:
        """Another repository on the same server (its own runs, issues, files and pull requests), sharing
        this one's token, rate limits and request log, as the repositories of one account do."""
        root = self.host or self
        other = FakeGitHub(repo, token=root.token, lowercase_headers=root.lowercase, host=root)
        other.listing = Listing(other, private=private, archived=archived)
        root.repos[repo.lower()] = other
        return other

    def run_owner(self, run_id: int) -> FakeGitHub | None:
        """The repository a run belongs to, among all those this server serves (GraphQL ids are global)."""
        return next((fake for fake in self.repos.values() if run_id in fake.runs), None)

    # --- data -----------------------------------------------------------------------------------
    def add_run(self, run: dict[str, Any], jobs: list[dict[str, Any]], logs: dict[int, str] | None = None) -> None:
        self.runs[run["id"]] = run
        self.workflow_of[run["id"]] = run["path"].rsplit("/", 1)[-1]
        self.jobs[run["id"]] = jobs
        self.logs.update(logs or {})

    @property
    def signed_url(self) -> str:
        """Where logs are served: the same server under another host name, so another origin, as GitHub's
        signed log host is another origin than its API (a client must not send the token there)."""
        return self.url.replace("127.0.0.1", "localhost")

    @property
    def url(self) -> str:
        if self.host is not None:
            return self.host.url
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def counted(self) -> int:
        """Requests that count against the rate limit (not 304s, not log downloads from the signed host)."""
        return sum(r.counted for r in self.requests)

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- HTTP -------------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                fake.handle(self)

            def do_POST(self) -> None:  # publishing endpoints only (the block at the end)
                self.sent_body = Publishing.read_body(self)  # read first: a fault or a 401 must not leave it unread
                fake.handle(self)

            def do_PATCH(self) -> None:
                self.sent_body = Publishing.read_body(self)
                fake.handle(self)

            def log_message(self, *args: object) -> None:
                return

        return Handler

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        request.answering = True
        try:
            self._handle(request)
        finally:
            self._answered(request)

    def _answered(self, request: BaseHTTPRequestHandler) -> None:
        """The request no longer counts as being answered: called before its answer is written, since a client
        that has read an answer may send its next request before this thread has returned."""
        root = self.host or self
        with root.lock:
            if getattr(request, "answering", False):
                request.answering = False
                root.active -= 1

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        if self.before_request is not None:
            self.before_request(len(self.requests))
        if self.latency:
            time.sleep(self.latency)
        parsed = urlparse(request.path)
        path, query = parsed.path, {k: v[0] for k, v in parse_qs(parsed.query).items()}
        fault = self._fault(path)
        if fault is not None:
            self._apply(request, fault, path)
            return
        if path.startswith("/_signed/logs/"):
            job_id = int(path.rsplit("/", 1)[-1])
            owner = next((fake for fake in self.repos.values() if job_id in fake.logs), self)
            owner._log_body(request, job_id)
            return
        if self.token is not None and request.headers.get("Authorization") not in (
            f"token {self.token}",
            f"Bearer {self.token}",
        ):
            self._send(
                request, path, 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
            )
            return
        if self.remaining <= 0 and not self._history_query(request, path):  # GraphQL has its own budget
            headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(self.reset)}
            body = {
                "message": "API rate limit exceeded for user ID 1.",
                "documentation_url": "https://docs.github.com/rest",
            }
            self._send(request, path, 403, body, headers)
            return
        self._route(request, path, query)

    def _history_query(self, request: BaseHTTPRequestHandler, path: str) -> bool:
        body = getattr(request, "sent_body", {})
        return path == "/graphql" and request.command == "POST" and "pinIssue" not in str(body.get("query", ""))

    def _route(self, request: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
        if self._history_query(request, path):
            self.graphql.answer(request, path, request.sent_body)
            return
        if self.host is None and self._account_route(request, path, query):
            return
        if self.publishing.route(request, path, query):
            return
        if self.listing.route(request, path, query):
            return
        prefix = f"/repos/{self.repo}/actions"
        if path.lower().startswith(prefix.lower()):  # GitHub's owner and repository names ignore case
            path = prefix + path[len(prefix) :]
        if path == "/rate_limit":
            self._send(
                request,
                path,
                200,
                {
                    "resources": {
                        "core": {
                            "limit": self.limit,
                            "remaining": self.remaining,
                            "reset": self.reset,
                            "used": self.limit - self.remaining,
                        },
                        "graphql": {
                            "limit": self.graphql.limit,
                            "remaining": self.graphql.remaining,
                            "reset": self.reset,
                            "used": self.graphql.limit - self.graphql.remaining,
                        },
                    }
                },
                counted=False,
            )
            return
        if match := re.fullmatch(rf"{re.escape(prefix)}/workflows/([^/]+)/runs", path):
            runs = [r for r in self.runs.values() if self.workflow_of[r["id"]] == match.group(1)]
            if not runs and match.group(1) not in self.workflow_of.values():
                self._not_found(request, path)
                return
            runs.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
            self._page(request, path, query, "workflow_runs", runs)
        elif match := re.fullmatch(rf"{re.escape(prefix)}/runs/(\d+)", path):
            run = self.runs.get(int(match.group(1)))
            self._send(request, path, 200, run) if run else self._not_found(request, path)
        elif match := re.fullmatch(rf"{re.escape(prefix)}/runs/(\d+)/jobs", path):
            run_id = int(match.group(1))
            if run_id not in self.runs:
                self._not_found(request, path)
                return
            jobs = self.jobs.get(run_id, [])
            if query.get("filter", "latest") == "latest":
                latest = self.runs[run_id].get("run_attempt", 1)
                jobs = [j for j in jobs if j.get("run_attempt", 1) == latest]
            self._page(request, path, query, "jobs", jobs)
        elif match := re.fullmatch(rf"{re.escape(prefix)}/jobs/(\d+)/logs", path):
            job_id = int(match.group(1))
            if job_id not in self.logs:
                self._not_found(request, path)
                return
            self._send(request, path, 302, None, {"Location": f"{self.signed_url}/_signed/logs/{job_id}?sig=x"})
        elif match := re.fullmatch(rf"/repos/{re.escape(self.repo)}/check-runs/(\d+)/annotations", path, re.I):
            job_id = int(match.group(1))
            if not any(j["id"] == job_id for jobs in self.jobs.values() for j in jobs):
                self._not_found(request, path)
                return
            self._send(request, path, 200, log_annotations(self.logs.get(job_id, ""))[: int(query.get("per_page", 30))])
        else:
            self._not_found(request, path)

    def _account_route(self, request: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> bool:
        """Requests for another repository go to its fake; an organisation's listing is answered here."""
        if match := re.match(r"/repos/([^/]+/[^/]+)(?:/|$)", path):
            target = self.repos.get(match.group(1).lower())
            if target is None:
                self._not_found(request, path)
                return True
            if target is not self:
                target._route(request, path, query)
                return True
            return False
        if match := re.fullmatch(r"/(?:orgs|users)/([^/]+)/repos", path):
            owner = match.group(1).lower()
            mine = [f.listing.body() for f in self.repos.values() if f.repo.split("/")[0].lower() == owner]
            if not mine:
                self._not_found(request, path)
                return True
            mine.sort(key=lambda r: r["full_name"].lower())
            self.publishing._list(request, path, query, mine)
            return True
        return False

    def _page(self, request, path: str, query: dict[str, str], key: str, items: list[dict[str, Any]]) -> None:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = max(int(query.get("page", 1)), 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        headers = {}
        if last > 1:
            links = []
            base = f"{self.url}{path}"
            keep = {k: v for k, v in query.items() if k != "page"}
            if page < last:
                links.append(f'<{base}?{urlencode({**keep, "page": page + 1})}>; rel="next"')
                links.append(f'<{base}?{urlencode({**keep, "page": last})}>; rel="last"')
            if page > 1:
                links.append(f'<{base}?{urlencode({**keep, "page": 1})}>; rel="first"')
            headers["Link"] = ", ".join(links)
        self._send(request, path, 200, {"total_count": len(items), key: chunk}, headers)

    def _not_found(self, request, path: str) -> None:
        self._send(request, path, 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})

    def _log_body(self, request, job_id: int) -> None:
        log = self.logs[job_id]
        body = log if isinstance(log, bytes) else ("\ufeff" + log).encode()
        with self.lock:
            self.requests.append(Seen(f"/_signed/logs/{job_id}", 200, False))
            if request.headers.get("Authorization"):
                self.tokens_to_log_host += 1
        self._answered(request)
        request.send_response(200)
        request.send_header("Content-Type", "text/plain; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _send(
        self, request, path: str, status: int, body: Any, headers: dict[str, str] | None = None, counted: bool = True
    ) -> None:
        if self.host is not None:  # one budget and one request log for every repository of the server
            self.host._send(request, path, status, body, headers, counted)
            return
        payload = json.dumps(body).encode() if body is not None else b""
        headers = dict(headers or {})
        if status == 200 and body is not None:
            etag = f'W/"{hashlib.sha1(payload).hexdigest()}"'
            headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                status, payload, counted = 304, b"", False
        counted = counted and headers.get("X-RateLimit-Resource") != "graphql"  # points, not core requests
        with self.lock:
            if counted and status not in (304, 401) and self.remaining > 0:
                self.remaining -= 1
            elif status == 304:
                counted = False
            self.requests.append(Seen(path, status, counted and status != 401))
            headers.setdefault("X-RateLimit-Limit", str(self.limit))
            headers.setdefault("X-RateLimit-Remaining", str(self.remaining))
            headers.setdefault("X-RateLimit-Reset", str(self.reset))
            headers.setdefault("X-RateLimit-Used", str(self.limit - self.remaining))
            headers.setdefault("X-RateLimit-Resource", "core")
        self._answered(request)
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name.lower() if self.lowercase else name, value)
        if payload:
            request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def _fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and re.search(fault.path, path):
                    fault.times -= 1
                    return fault
        return None

    def _apply(self, request, fault: Fault, path: str) -> None:
        if fault.kind == "stall":
            time.sleep(self.stall)
            with self.lock:
                self.requests.append(Seen(path, 0, True))
            request.close_connection = True
            return
        if fault.kind == "truncate":
            with self.lock:
                self.requests.append(Seen(path, 200, True))
            request.send_response(200)
            request.send_header("Content-Type", "application/json; charset=utf-8")
            request.send_header("Content-Length", "5000")
            request.end_headers()
            request.wfile.write(b'{"total_count": 3, "workflow_runs": [{"id"')
            request.wfile.flush()
            request.close_connection = True
            return
        if fault.kind in self._HOSTILE:
            with self.lock:
                self.requests.append(Seen(path, fault.status, True))
            request.close_connection = True
            try:
                self._HOSTILE[fault.kind](self, request, fault)
            except OSError:  # the client gave up and closed the connection: what a hostile server sees
                return
            return
        self._send(request, path, fault.status, fault.body, fault.headers)

    # --- hostile answers: each writes a whole response itself -------------------------------------------
    def _dripped(self, request, fault: Fault) -> None:
        """Status line, headers and body, one byte every `drip` seconds: each read succeeds, the whole never ends."""
        body = json.dumps(fault.body if fault.body is not None else {"total_count": 0, "workflow_runs": []}).encode()
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        start = 0 if fault.kind == "drip" else len(head)
        request.wfile.write(head[:start])
        request.wfile.flush()
        for offset in range(start, len(head) + len(body)):
            request.wfile.write((head + body)[offset : offset + 1])
            request.wfile.flush()
            time.sleep(self.drip)

    def _huge(self, request, fault: Fault) -> None:
        """A JSON body of `size` bytes, made a megabyte at a time (the fake never holds it)."""
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(fault.size))
        request.send_header("Connection", "close")
        request.end_headers()
        request.wfile.write(b'{"workflow_runs": [')
        left = fault.size - len(b'{"workflow_runs": [')
        while left > 0:
            chunk = b" " * min(left, 2**20)
            request.wfile.write(chunk)
            left -= len(chunk)

    def _gzip_bomb(self, request, fault: Fault) -> None:
        """A small gzip body that inflates to `size` bytes of JSON-looking spaces."""
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        parts = [packer.compress(b'{"workflow_runs": [')]
        for _ in range(fault.size // 2**20):
            parts.append(packer.compress(b" " * 2**20))
        body = b"".join(parts) + packer.flush()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Encoding", "gzip")
        request.send_header("Connection", "close")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _html(self, request, fault: Fault) -> None:
        """What a captive portal or a misconfigured proxy answers: 200 with an HTML page."""
        body = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>"
        request.send_response(fault.status if fault.status != 500 else 200)
        request.send_header("Content-Type", fault.headers.get("Content-Type", "text/html; charset=utf-8"))
        request.send_header("Connection", "close")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    _HOSTILE: ClassVar[dict[str, Callable[[FakeGitHub, Any, Fault], None]]] = {
        "drip": _dripped, "drip-body": _dripped, "huge": _huge, "gzip-bomb": _gzip_bomb, "html": _html,
    }  # fmt: skip


# --- publishing: issues, comments, git data, Pages and the pinIssue mutation ------------------------------
# Everything `codex-kit publish` asks, kept apart from the Actions history above. Shapes follow GitHub's
# REST descriptions of `issue`, `issue-comment`, `git-ref`, `git-tree`, `git-commit` and `page` (the fields
# the kit reads, and the ones a client must not trip over); the issue listing holds pull requests too,
# as GitHub's does. Writes are recorded in `writes` as (method, path) so tests can count them.


def git_blob_sha(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


class Publishing:
    """The publishing side of one fake repository."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self.objects: dict[str, dict[str, Any]] = {}  # sha -> a tree or a commit as GitHub returns it
        self.refs: dict[str, str] = {}  # "heads/gh-pages" -> commit sha
        self.pages: dict[str, Any] | None = None
        self.pinned: list[str] = []  # node ids, in the order they were pinned
        self.writes: list[tuple[str, str]] = []
        self.write_faults: list[Fault] = []  # like FakeGitHub.faults, for POST and PATCH requests only
        self.blobs: dict[str, bytes] = {}  # sha -> content, for every file a tree of this repository holds
        self.clock = 0
        self.next_comment = 900_000_001
        self.pulls = Pulls(self)

    # --- data the tests add ----------------------------------------------------------------------------
    def add_issue(self, title: str, body: str, state: str = "open", pull_request: bool = False) -> dict[str, Any]:
        number = len(self.issues) + 1
        repo, api = self.fake.repo, self.fake.url
        kind = "pull" if pull_request else "issues"
        issue = {
            "id": 2_000_000 + number, "node_id": f"I_kwDOAbc{number:06d}", "number": number,
            "url": f"{api}/repos/{repo}/issues/{number}", "repository_url": f"{api}/repos/{repo}",
            "comments_url": f"{api}/repos/{repo}/issues/{number}/comments",
            "html_url": f"https://github.com/{repo}/{kind}/{number}", "title": title, "body": body, "state": state,
            "state_reason": "completed" if state == "closed" else None, "locked": False, "active_lock_reason": None,
            "user": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}, "labels": [], "assignee": None,
            "assignees": [], "milestone": None, "comments": 0, "author_association": "NONE",
            "created_at": self._now(), "updated_at": self._now(),
            "closed_at": self._now() if state == "closed" else None,
        }  # fmt: skip
        if pull_request:
            issue["pull_request"] = {"url": f"{api}/repos/{repo}/pulls/{number}", "html_url": issue["html_url"],
                                     "diff_url": issue["html_url"] + ".diff", "patch_url": issue["html_url"] + ".patch",
                                     "merged_at": None}  # fmt: skip
        self.issues[number] = issue
        return issue

    def tracking_issues(self) -> list[dict[str, Any]]:
        return [i for i in self.issues.values() if "codex-kit:" in (i["body"] or "") and "pull_request" not in i]

    def tree_files(self, ref: str = "heads/gh-pages") -> dict[str, str]:
        """path -> content of the tree the ref's commit points at."""
        commit = self.objects[self.refs[ref]]
        return {e["path"]: e["content"] for e in self.objects[commit["tree"]["sha"]]["tree"]}

    def commits_on(self, ref: str = "heads/gh-pages") -> int:
        count, sha = 0, self.refs.get(ref)
        while sha:
            count += 1
            parents = self.objects[sha]["parents"]
            sha = parents[0]["sha"] if parents else None
        return count

    # --- routing -------------------------------------------------------------------------------------------
    def route(self, request: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> bool:
        """Answer a publishing request; False leaves it to the Actions routes."""
        base = f"/repos/{self.fake.repo}"
        if path.lower().startswith(base.lower()):
            path = base + path[len(base) :]
        method = request.command
        body = getattr(request, "sent_body", {})
        if method != "GET":
            self.writes.append((method, path))
            fault = next((f for f in self.write_faults if f.times > 0 and re.search(f.path, path)), None)
            if fault is not None:
                fault.times -= 1
                self.fake._apply(request, fault, path)
                return True
        rest = path[len(base) :] if path.startswith(base + "/") else None
        if path == "/graphql" and method == "POST":
            self._graphql(request, path, body)
            return True
        if rest is None:
            return False
        for pattern, handler in (
            (r"/issues", self._issues), (r"/issues/(\d+)", self._issue), (r"/issues/(\d+)/comments", self._comments),
            (r"/issues/comments/(\d+)", self._comment), (r"/git/ref/(.+)", self._get_ref), (r"/git/refs", self._refs),
            (r"/git/refs/(.+)", self._update_ref), (r"/git/trees(?:/(\w+))?", self._tree),
            (r"/git/commits(?:/(\w+))?", self._commit), (r"/pages", self._pages),
            (r"/pulls", self.pulls.pulls), (r"/pulls/(\d+)", self.pulls.pull),
        ):  # fmt: skip
            if match := re.fullmatch(pattern, rest):
                handler(request, path, method, query, body, *match.groups())
                return True
        return False

    def _now(self) -> str:
        self.clock += 1
        return f"2026-11-01T00:{self.clock // 60 % 60:02d}:{self.clock % 60:02d}Z"

    @staticmethod
    def read_body(request: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        return json.loads(raw) if raw else {}

    def _list(self, request, path: str, query: dict[str, str], items: list[dict[str, Any]]) -> None:
        """A bare JSON array page, with a `Link` header, as GitHub's issue and comment listings are."""
        per_page = min(int(query.get("per_page", 30)), 100)
        page = max(int(query.get("page", 1)), 1)
        last = max(1, -(-len(items) // per_page))
        headers = {}
        if page < last:
            keep = {k: v for k, v in query.items() if k != "page"}
            base = f"{self.fake.url}{path}"
            headers["Link"] = (
                f'<{base}?{urlencode({**keep, "page": page + 1})}>; rel="next", '
                f'<{base}?{urlencode({**keep, "page": last})}>; rel="last"'
            )
        self.fake._send(request, path, 200, items[(page - 1) * per_page : page * per_page], headers)

    def _invalid(self, request, path: str, message: str) -> None:
        body = {"message": message, "documentation_url": "https://docs.github.com/rest", "status": "422"}
        self.fake._send(request, path, 422, body)

    # --- issues and comments ---------------------------------------------------------------------------------
    def _issues(self, request, path, method, query, body) -> None:
        if method == "POST":
            if not body.get("title"):
                self._invalid(request, path, "Validation Failed")
                return
            self.fake._send(request, path, 201, self.add_issue(body["title"], body.get("body") or ""))
            return
        items = list(self.issues.values())
        state = query.get("state", "open")
        if state != "all":
            items = [i for i in items if i["state"] == state]
        key = "updated_at" if query.get("sort") == "updated" else "created_at"
        items.sort(key=lambda i: (i[key], i["number"]), reverse=query.get("direction", "desc") == "desc")
        self._list(request, path, query, items)

    def _issue(self, request, path, method, query, body, number) -> None:
        issue = self.issues.get(int(number))
        if issue is None:
            self.fake._not_found(request, path)
            return
        if method == "PATCH":
            for key in ("title", "body", "state"):
                if key in body:
                    issue[key] = body[key]
            issue["updated_at"] = self._now()
        self.fake._send(request, path, 200, issue)

    def _comments(self, request, path, method, query, body, number) -> None:
        issue = self.issues.get(int(number))
        if issue is None:
            self.fake._not_found(request, path)
            return
        if method == "POST":
            comment_id = self.next_comment
            self.next_comment += 1
            repo, api = self.fake.repo, self.fake.url
            comment = {
                "id": comment_id, "node_id": f"IC_kwDOAbc{comment_id}",
                "url": f"{api}/repos/{repo}/issues/comments/{comment_id}",
                "html_url": f"{issue['html_url']}#issuecomment-{comment_id}", "issue_url": issue["url"],
                "body": body.get("body", ""), "user": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
                "created_at": self._now(), "updated_at": self._now(), "author_association": "NONE",
                "_issue": issue["number"],
            }  # fmt: skip
            self.comments[comment_id] = comment
            issue["comments"] += 1
            self.fake._send(request, path, 201, self._public(comment))
            return
        mine = [self._public(c) for c in self.comments.values() if c["_issue"] == issue["number"]]
        self._list(request, path, query, mine)

    def _comment(self, request, path, method, query, body, comment_id) -> None:
        comment = self.comments.get(int(comment_id))
        if comment is None:
            self.fake._not_found(request, path)
            return
        if method == "PATCH":
            comment["body"] = body.get("body", comment["body"])
            comment["updated_at"] = self._now()
        self.fake._send(request, path, 200, self._public(comment))

    @staticmethod
    def _public(comment: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in comment.items() if not k.startswith("_")}

    # --- git data ----------------------------------------------------------------------------------------------
    def _ref_body(self, name: str) -> dict[str, Any]:
        sha, url = self.refs[name], f"{self.fake.url}/repos/{self.fake.repo}/git"
        return {"ref": f"refs/{name}", "node_id": f"REF_{sha[:12]}", "url": f"{url}/refs/{name}",
                "object": {"sha": sha, "type": "commit", "url": f"{url}/commits/{sha}"}}  # fmt: skip

    def _get_ref(self, request, path, method, query, body, name) -> None:
        if method != "GET" or name not in self.refs:
            self.fake._not_found(request, path)  # GitHub answers 404 for a branch that does not exist
            return
        self.fake._send(request, path, 200, self._ref_body(name))

    def _refs(self, request, path, method, query, body) -> None:
        name = str(body.get("ref", "")).removeprefix("refs/")
        if method != "POST" or not name.startswith("heads/") or body.get("sha") not in self.objects:
            self._invalid(request, path, "Reference update failed")
            return
        if name in self.refs:
            self._invalid(request, path, "Reference already exists")
            return
        self.refs[name] = body["sha"]
        self.fake._send(request, path, 201, self._ref_body(name))

    def _update_ref(self, request, path, method, query, body, name) -> None:
        if method != "PATCH" or name not in self.refs:
            self.fake._not_found(request, path)
            return
        new = self.objects.get(body.get("sha", ""))
        if new is None or (not body.get("force") and self.refs[name] not in [p["sha"] for p in new["parents"]]):
            self._invalid(request, path, "Update is not a fast forward")
            return
        self.refs[name] = body["sha"]
        self.fake._send(request, path, 200, self._ref_body(name))

    def _tree(self, request, path, method, query, body, sha) -> None:
        if method == "GET":
            tree = self._tree_of(sha or "")
            if tree is None:
                self.fake._not_found(request, path)
                return
            self.fake._send(request, path, 200, {k: v for k, v in tree.items() if k != "tree"} | {
                "tree": self._listed(tree["tree"], bool(query.get("recursive")))})  # fmt: skip
            return
        base = self.objects.get(body.get("base_tree") or "")
        if body.get("base_tree") and (base is None or "tree" not in base):
            self._invalid(request, path, "base_tree is not a valid tree")
            return
        by_path = {e["path"]: e for e in (base or {}).get("tree", [])}
        for entry in body.get("tree", []):
            if entry.get("sha", "") is None:  # GitHub's way of deleting a path from the base tree
                by_path.pop(entry["path"], None)
                continue
            if "content" in entry:
                content = entry["content"]
                blob = git_blob_sha(content.encode())
                self.blobs[blob] = content.encode()
            elif entry.get("sha") in self.blobs:
                blob, content = entry["sha"], self.blobs[entry["sha"]].decode()
            else:
                self._invalid(request, path, "tree.sha is not a valid blob")
                return
            by_path[entry["path"]] = {"path": entry["path"], "mode": entry.get("mode", "100644"), "type": "blob",
                                      "sha": blob, "size": len(content.encode()), "content": content,
                                      "url": f"{self.fake.url}/repos/{self.fake.repo}/git/blobs/{blob}"}  # fmt: skip
        entries = sorted(by_path.values(), key=lambda e: e["path"])
        tree_sha = hashlib.sha1(json.dumps([[e["path"], e["sha"]] for e in entries]).encode()).hexdigest()
        tree = {"sha": tree_sha, "url": f"{self.fake.url}/repos/{self.fake.repo}/git/trees/{tree_sha}",
                "tree": entries, "truncated": False}  # fmt: skip
        self.objects[tree_sha] = tree
        self.fake._send(request, path, 201, {**tree, "tree": [{k: v for k, v in e.items() if k != "content"}
                                                               for e in entries]})  # fmt: skip

    def _tree_of(self, name: str) -> dict[str, Any] | None:
        """The tree a sha names: a tree's own, a commit's, or a branch's (GitHub takes all three)."""
        name = self.refs.get(f"heads/{name}", name)
        found = self.objects.get(name)
        if found is not None and "message" in found:
            found = self.objects.get(found["tree"]["sha"])
        return found if found is not None and "truncated" in found else None

    def _listed(self, entries: list[dict[str, Any]], recursive: bool) -> list[dict[str, Any]]:
        """Entries as GitHub lists them: the top level only (folders as `tree` entries), or every path with
        its folders listed before what they hold when `recursive`."""
        folders = sorted(
            {"/".join(e["path"].split("/")[:n]) for e in entries for n in range(1, e["path"].count("/") + 1)}
        )
        listed = [{k: v for k, v in e.items() if k != "content"} for e in entries]
        git = f"{self.fake.url}/repos/{self.fake.repo}/git/trees"
        for folder in folders:
            sha = hashlib.sha1(f"tree {folder}".encode()).hexdigest()
            listed.append({"path": folder, "mode": "040000", "type": "tree", "sha": sha, "url": f"{git}/{sha}"})
        listed.sort(key=lambda e: e["path"].split("/"))
        return listed if recursive else [e for e in listed if "/" not in e["path"]]

    def _commit(self, request, path, method, query, body, sha) -> None:
        if method == "GET":
            commit = self.objects.get(sha or "")
            if commit is None or "message" not in commit:
                self.fake._not_found(request, path)
                return
            self.fake._send(request, path, 200, commit)
            return
        if body.get("tree") not in self.objects or any(p not in self.objects for p in body.get("parents", [])):
            self._invalid(request, path, "Tree SHA does not exist")
            return
        sha = self.add_commit(body["tree"], body.get("parents", []), body.get("message", ""))
        self.fake._send(request, path, 201, self.objects[sha])

    def add_commit(self, tree: str, parents: list[str], message: str) -> str:
        """Store a commit object as GitHub returns it; its sha."""
        git = f"{self.fake.url}/repos/{self.fake.repo}/git"
        stamp = self._now()
        sha = hashlib.sha1(json.dumps([tree, parents, message, stamp]).encode()).hexdigest()
        person = {"name": "github-actions[bot]", "email": "41898282+github-actions[bot]@users.noreply.github.com",
                  "date": stamp}  # fmt: skip
        self.objects[sha] = {
            "sha": sha, "node_id": f"C_kwDOAbc{sha[:10]}", "url": f"{git}/commits/{sha}",
            "html_url": f"https://github.com/{self.fake.repo}/commit/{sha}", "author": person, "committer": person,
            "message": message, "tree": {"sha": tree, "url": f"{git}/trees/{tree}"},
            "parents": [{"sha": p, "url": f"{git}/commits/{p}", "html_url": f"https://github.com/{self.fake.repo}/commit/{p}"}
                        for p in parents],
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                             "verified_at": None},
        }  # fmt: skip
        return sha

    # --- Pages and GraphQL -------------------------------------------------------------------------------------------
    def _pages(self, request, path, method, query, body) -> None:
        if method == "GET":
            self.fake._send(request, path, 200, self.pages) if self.pages else self.fake._not_found(request, path)
            return
        if self.pages is not None:
            self.fake._send(request, path, 409, {"message": "GitHub Pages is already enabled.",
                                                 "documentation_url": "https://docs.github.com/rest"})  # fmt: skip
            return
        owner, name = self.fake.repo.split("/")
        source = body.get("source") or {}
        self.pages = {
            "url": f"{self.fake.url}/repos/{self.fake.repo}/pages", "status": None, "cname": None, "custom_404": False,
            "html_url": f"https://{owner}.github.io/{name}/", "build_type": body.get("build_type", "legacy"),
            "source": {"branch": source.get("branch"), "path": source.get("path", "/")}, "public": True,
            "https_enforced": True, "protected_domain_state": None, "pending_domain_unverified_at": None,
        }  # fmt: skip
        self.fake._send(request, path, 201, self.pages)

    def _graphql(self, request, path: str, body: dict[str, Any]) -> None:
        """The one mutation the kit sends: pinIssue(input: {issueId}). GraphQL errors come with HTTP 200."""
        node = (body.get("variables") or {}).get("issueId")
        known = {i["node_id"]: i for fake in self.fake.repos.values() for i in fake.publishing.issues.values()}
        if "pinIssue" not in body.get("query", "") or node not in known:
            message = f"Could not resolve to a node with the global id of '{node}'"
            answer = {
                "data": {"pinIssue": None},
                "errors": [{"type": "NOT_FOUND", "path": ["pinIssue"], "message": message}],
            }
            self.fake._send(request, path, 200, answer)
            return
        owner = next(f.publishing for f in self.fake.repos.values() if node in {
            i["node_id"] for i in f.publishing.issues.values()})  # fmt: skip
        if node not in owner.pinned:
            owner.pinned.append(node)
        self.fake._send(
            request, path, 200, {"data": {"pinIssue": {"issue": {"number": known[node]["number"], "isPinned": True}}}}
        )


# --- the repository itself: its listing entry, its files on the default branch, its workflows ----------------
# What a multi-repository fetch and `patch --pr` read: `GET /repos/{repo}` (the `minimal-repository` shape
# plus `default_branch`, `archived`, `visibility`), the organisation's listing, `contents/{path}` for files
# and folders, `git/blobs/{sha}`, and `actions/workflows`. Files live as a real git commit in the
# repository's `Publishing` objects, so the Git Data routes there see the same tree.


class Listing:
    """One repository as GitHub lists it, and its files on the default branch."""

    def __init__(self, fake: FakeGitHub, private: bool = False, archived: bool = False) -> None:
        self.fake, self.private, self.archived = fake, private, archived
        self.default_branch = "main"
        self.repo_id = 500_000 + int(hashlib.sha1(fake.repo.lower().encode()).hexdigest()[:6], 16)

    def body(self) -> dict[str, Any]:
        repo = payloads.repository(self.fake.repo, self.repo_id)  # the builder the runs' payloads use
        return repo | {
            "private": self.private, "visibility": "private" if self.private else "public",
            "default_branch": self.default_branch, "archived": self.archived, "disabled": False,
            "pushed_at": "2026-11-01T00:00:00Z", "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z", "size": 100, "language": "Python",
        }  # fmt: skip

    def set_files(self, files: dict[str, str], message: str = "initial", modes: dict[str, str] | None = None) -> str:
        """Make `files` (path -> text) the default branch's whole tree, as one commit; its sha. `modes` gives
        a path another git mode than 100644 (100755 executable, 120000 a symlink whose text is its target)."""
        pub = self.fake.publishing
        entries = []
        for path, content in sorted(files.items()):
            blob = git_blob_sha(content.encode())
            pub.blobs[blob] = content.encode()
            entries.append({"path": path, "mode": (modes or {}).get(path, "100644"), "type": "blob", "sha": blob,
                            "size": len(content.encode()), "content": content,
                            "url": f"{self.fake.url}/repos/{self.fake.repo}/git/blobs/{blob}"})  # fmt: skip
        tree_sha = hashlib.sha1(json.dumps([[e["path"], e["sha"]] for e in entries]).encode()).hexdigest()
        pub.objects[tree_sha] = {"sha": tree_sha, "url": f"{self.fake.url}/repos/{self.fake.repo}/git/trees/{tree_sha}",
                                 "tree": entries, "truncated": False}  # fmt: skip
        parent = pub.refs.get(f"heads/{self.default_branch}")
        sha = pub.add_commit(tree_sha, [parent] if parent else [], message)
        pub.refs[f"heads/{self.default_branch}"] = sha
        return sha

    def files(self, ref: str | None = None) -> dict[str, str]:
        """path -> text on the default branch (or `ref`, a branch name)."""
        pub = self.fake.publishing
        name = f"heads/{ref or self.default_branch}"
        return pub.tree_files(name) if name in pub.refs else {}

    # --- routing -------------------------------------------------------------------------------------------
    def route(self, request: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> bool:
        base = f"/repos/{self.fake.repo}"
        if path.lower() == base.lower() or path.lower().startswith(base.lower() + "/"):
            path = base + path[len(base) :]
        else:
            return False
        rest = path[len(base) :]
        if request.command != "GET":
            return False
        if rest == "":
            self.fake._send(request, path, 200, self.body())
        elif match := re.fullmatch(r"/contents(?:/(.*))?", rest):
            self._contents(request, path, query, (match.group(1) or "").strip("/"))
        elif match := re.fullmatch(r"/git/blobs/(\w+)", rest):
            content = self.fake.publishing.blobs.get(match.group(1))
            if content is None:
                self.fake._not_found(request, path)
                return True
            self.fake._send(request, path, 200, {
                "sha": match.group(1), "node_id": f"B_{match.group(1)[:10]}", "size": len(content),
                "url": f"{self.fake.url}{path}", "content": base64.encodebytes(content).decode(), "encoding": "base64",
            })  # fmt: skip
        elif rest == "/actions/workflows":
            self._workflows(request, path, query)
        else:
            return False
        return True

    def _contents(self, request, path: str, query: dict[str, str], wanted: str) -> None:
        files = self.files(query.get("ref"))
        api = f"{self.fake.url}/repos/{self.fake.repo}/contents"
        if wanted in files:
            content = files[wanted].encode()
            blob = git_blob_sha(content)
            self.fake._send(request, path, 200, {
                "type": "file", "encoding": "base64", "size": len(content), "name": wanted.rsplit("/", 1)[-1],
                "path": wanted, "content": base64.encodebytes(content).decode(), "sha": blob,
                "url": f"{api}/{wanted}", "git_url": f"{self.fake.url}/repos/{self.fake.repo}/git/blobs/{blob}",
                "html_url": f"https://github.com/{self.fake.repo}/blob/{self.default_branch}/{wanted}",
                "download_url": None, "_links": {"self": f"{api}/{wanted}"},
            })  # fmt: skip
            return
        prefix = f"{wanted}/" if wanted else ""
        children: dict[str, str] = {}
        for name in files:
            if name.startswith(prefix):
                head, _, tail = name[len(prefix) :].partition("/")
                children[head] = "dir" if tail else "file"
        if not children:
            self.fake._not_found(request, path)
            return
        listing = []
        for name, kind in sorted(children.items()):
            full = prefix + name
            sha = git_blob_sha(files[full].encode()) if kind == "file" else hashlib.sha1(full.encode()).hexdigest()
            listing.append({"type": kind, "size": len(files[full].encode()) if kind == "file" else 0, "name": name,
                            "path": full, "sha": sha, "url": f"{api}/{full}", "git_url": None, "html_url": None,
                            "download_url": None, "_links": {"self": f"{api}/{full}"}})  # fmt: skip
        self.fake._send(request, path, 200, listing)

    def _workflows(self, request, path: str, query: dict[str, str]) -> None:
        names = sorted(n for n in self.files() if re.fullmatch(r"\.github/workflows/[^/]+\.ya?ml", n))
        workflows = [{
            "id": 7000 + n, "node_id": f"W_{self.repo_id}_{n}", "name": name.rsplit("/", 1)[-1], "path": name,
            "state": "active", "created_at": "2025-01-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z",
            "url": f"{self.fake.url}/repos/{self.fake.repo}/actions/workflows/{7000 + n}",
            "html_url": f"https://github.com/{self.fake.repo}/blob/{self.default_branch}/{name}",
            "badge_url": f"https://github.com/{self.fake.repo}/workflows/{name}/badge.svg",
        } for n, name in enumerate(names)]  # fmt: skip
        self.fake._page(request, path, query, "workflows", workflows)


# --- pull requests: what `codex-kit patch --pr` opens and updates ---------------------------------------------
# Shapes follow GitHub's `pull-request` description (head and base carry the full repository); a pull
# request takes the next issue number and is listed among the issues, as GitHub's are.


class Pulls:
    """The pull requests of one fake repository."""

    def __init__(self, publishing: Publishing) -> None:
        self.publishing = publishing
        self.fake = publishing.fake
        self.open: dict[int, dict[str, Any]] = {}  # number -> {title, body, head, base, state}

    def add(self, title: str, body: str, head: str, base: str) -> dict[str, Any]:
        """A pull request from branch `head` to `base` (both of this repository), as if a person opened it."""
        number = self.publishing.add_issue(title, body, pull_request=True)["number"]
        self.open[number] = {"title": title, "body": body, "head": head, "base": base, "state": "open"}
        return self.body(number)

    def body(self, number: int) -> dict[str, Any]:
        pull, issue = self.open[number], self.publishing.issues[number]
        repo, api = self.fake.repo, self.fake.url
        base = f"{api}/repos/{repo}"
        full = self._repository()
        ends = {}
        for side in ("head", "base"):
            branch = pull[side]
            ends[side] = {"label": f"{repo.split('/')[0]}:{branch}", "ref": branch,
                          "sha": self.publishing.refs.get(f"heads/{branch}", "0" * 40), "repo": full,
                          "user": full["owner"]}  # fmt: skip
        links = {name: {"href": href} for name, href in (
            ("self", f"{base}/pulls/{number}"), ("html", issue["html_url"]), ("issue", f"{base}/issues/{number}"),
            ("comments", f"{base}/issues/{number}/comments"), ("review_comments", f"{base}/pulls/{number}/comments"),
            ("review_comment", f"{base}/pulls/comments{{/number}}"), ("commits", f"{base}/pulls/{number}/commits"),
            ("statuses", f"{base}/statuses/{ends['head']['sha']}"))}  # fmt: skip
        return {
            "url": f"{base}/pulls/{number}", "id": 3_000_000 + number, "node_id": f"PR_kwDOAbc{number:06d}",
            "html_url": issue["html_url"], "diff_url": issue["html_url"] + ".diff",
            "patch_url": issue["html_url"] + ".patch", "issue_url": f"{base}/issues/{number}",
            "commits_url": f"{base}/pulls/{number}/commits", "review_comments_url": f"{base}/pulls/{number}/comments",
            "review_comment_url": f"{base}/pulls/comments{{/number}}",
            "comments_url": f"{base}/issues/{number}/comments",
            "statuses_url": f"{base}/statuses/{ends['head']['sha']}", "number": number, "state": pull["state"],
            "locked": False, "title": pull["title"], "user": payloads.user("github-actions[bot]", 41898282, "Bot"),
            "body": pull["body"], "labels": [], "milestone": None, "active_lock_reason": None,
            "created_at": issue["created_at"], "updated_at": issue["updated_at"], "closed_at": issue["closed_at"],
            "merged_at": None, "merge_commit_sha": None, "assignee": None, "assignees": [], "requested_reviewers": [],
            "requested_teams": [], "head": ends["head"], "base": ends["base"], "_links": links,
            "author_association": "NONE", "auto_merge": None, "draft": False, "merged": False, "mergeable": None,
            "rebaseable": None, "mergeable_state": "unknown", "merged_by": None, "comments": issue["comments"],
            "review_comments": 0, "maintainer_can_modify": False, "commits": 1, "additions": 1, "deletions": 1,
            "changed_files": 1,
        }  # fmt: skip

    def _repository(self) -> dict[str, Any]:
        """The full `repository` shape a pull request's head and base carry."""
        listed = self.fake.listing.body()
        name = self.fake.repo
        return listed | {
            "clone_url": f"https://github.com/{name}.git", "git_url": f"git://github.com/{name}.git",
            "ssh_url": f"git@github.com:{name}.git", "svn_url": f"https://github.com/{name}", "mirror_url": None,
            "homepage": None, "forks": 0, "forks_count": 0, "open_issues": 0, "open_issues_count": 0,
            "stargazers_count": 0, "watchers": 0, "watchers_count": 0, "has_downloads": True, "has_issues": True,
            "has_projects": True, "has_wiki": True, "has_pages": False, "license": None,
        }  # fmt: skip

    # --- routes (from Publishing.route, which records writes and applies write faults) -------------------------
    def pulls(self, request, path, method, query, body) -> None:
        if method == "POST":
            self._create(request, path, body)
            return
        owner = self.fake.repo.split("/")[0]
        found = [n for n, p in sorted(self.open.items()) if query.get("state", "open") in ("all", p["state"])]
        if "head" in query:  # OWNER:branch
            found = [n for n in found if f"{owner}:{self.open[n]['head']}".lower() == query["head"].lower()]
        if "base" in query:
            found = [n for n in found if self.open[n]["base"] == query["base"]]
        self.publishing._list(request, path, query, [self.body(n) for n in reversed(found)])

    def _create(self, request, path, body) -> None:
        head, base = str(body.get("head", "")), str(body.get("base", ""))
        head = head.split(":", 1)[1] if ":" in head else head
        refs = self.publishing.refs
        if not body.get("title") or f"heads/{head}" not in refs or f"heads/{base}" not in refs:
            self.publishing._invalid(request, path, "Validation Failed")
            return
        if any(p["head"] == head and p["base"] == base and p["state"] == "open" for p in self.open.values()):
            self.publishing._invalid(
                request, path, f"A pull request already exists for {self.fake.repo.split('/')[0]}:{head}."
            )
            return
        if refs[f"heads/{head}"] == refs[f"heads/{base}"]:
            self.publishing._invalid(request, path, f"No commits between {base} and {head}")
            return
        self.fake._send(request, path, 201, self.add(body["title"], body.get("body") or "", head, base))

    def pull(self, request, path, method, query, body, number) -> None:
        number = int(number)
        if number not in self.open:
            self.fake._not_found(request, path)
            return
        if method == "PATCH":
            pull, issue = self.open[number], self.publishing.issues[number]
            for key in ("title", "body", "state"):
                if key in body:
                    pull[key] = issue[key] = body[key]
            issue["updated_at"] = self.publishing._now()
        self.fake._send(request, path, 200, self.body(number))
