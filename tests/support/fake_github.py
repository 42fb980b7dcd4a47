"""A local fake of GitHub's REST API for Actions history, reached by ghapi over real HTTP.

It serves workflow runs, jobs (with steps and attempts) and job logs (302 to a signed URL) in the
shapes of GitHub's OpenAPI schemas, with `Link` pagination, ETags and 304s, rate-limit headers, an
optional required token, and injected faults (any status with headers and body, a stall past the
client's timeout, a truncated body) and hostile answers (a response dripped a byte at a time, a
body of any size made on the fly, a gzip bomb, an HTML page). It records every request so tests
can count them.
"""

from __future__ import annotations

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

    def __init__(self, repo: str = "octo/app", token: str | None = None, lowercase_headers: bool = False) -> None:
        self.repo = repo
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
        self.before_request: Callable[[int], None] | None = None  # called with the number of requests so far
        self.stall = 3.0
        self.drip = 0.05  # seconds between the bytes of a dripped answer
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- data -----------------------------------------------------------------------------------
    def add_run(self, run: dict[str, Any], jobs: list[dict[str, Any]], logs: dict[int, str] | None = None) -> None:
        self.runs[run["id"]] = run
        self.workflow_of[run["id"]] = run["path"].rsplit("/", 1)[-1]
        self.jobs[run["id"]] = jobs
        self.logs.update(logs or {})

    @property
    def url(self) -> str:
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

            def log_message(self, *args: object) -> None:
                return

        return Handler

    def handle(self, request: BaseHTTPRequestHandler) -> None:
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
            self._log_body(request, int(path.rsplit("/", 1)[-1]))
            return
        if self.token is not None and request.headers.get("Authorization") not in (
            f"token {self.token}",
            f"Bearer {self.token}",
        ):
            self._send(
                request, path, 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
            )
            return
        if self.remaining <= 0:
            headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(self.reset)}
            body = {
                "message": "API rate limit exceeded for user ID 1.",
                "documentation_url": "https://docs.github.com/rest",
            }
            self._send(request, path, 403, body, headers)
            return
        self._route(request, path, query)

    def _route(self, request: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
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
                        }
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
            self._send(request, path, 302, None, {"Location": f"{self.url}/_signed/logs/{job_id}?sig=x"})
        else:
            self._not_found(request, path)

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
        request.send_response(200)
        request.send_header("Content-Type", "text/plain; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _send(
        self, request, path: str, status: int, body: Any, headers: dict[str, str] | None = None, counted: bool = True
    ) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        headers = dict(headers or {})
        if status == 200 and body is not None:
            etag = f'W/"{hashlib.sha1(payload).hexdigest()}"'
            headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                status, payload, counted = 304, b"", False
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
