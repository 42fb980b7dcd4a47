"""Bounds on one HTTP request that httpx leaves open: a total deadline and a cap on the body.

httpx's timeouts are per socket operation, so a server that sends one byte a second never trips
a 30 s read timeout and can hold a fetch for ever; and httpx reads a body whole, so a broken or
hostile server can make the fetch buffer gigabytes (or a small gzip body that inflates to them).
`LimitedTransport` enforces both for the one client of `kit/history/client.py`: every socket read,
write and connect gets at most the time left before the request's deadline, and the body, after
decompression, stops at a cap. It only refuses; retrying and explaining are the client's job.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.request import getproxies_environment, proxy_bypass_environment

import httpcore2
import httpx2

from kit.errors import UsageError

ACCEPTED_ENCODINGS = "gzip, deflate"  # the ones decoded (and capped) here; no other is asked for
_POOL = {"max_connections": 100, "max_keepalive_connections": 20, "keepalive_expiry": 5.0}  # httpx's defaults
_SCHEMES = ("http", "https", "all")  # a request's scheme's proxy, else ALL_PROXY's


class AnswerRefused(Exception):
    """An answer broke a limit (too large, or encoded in a way that was not asked for)."""


@dataclass
class Budget:
    """The limits of the request in flight: a monotonic deadline and a cap on the decoded body."""

    deadline: float = math.inf
    cap: int = 32 * 2**20  # `start` sets the real one before every request

    def left(self, timeout: float | None, kind: type[Exception]) -> float | None:
        """`timeout` shortened to the time left; raises `kind` (an httpcore timeout) once it is spent."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise kind("the request's deadline has passed")
        return left if timeout is None else min(timeout, left)


class LimitedTransport(httpx2.HTTPTransport):
    """httpx's HTTP transport with a per-request deadline (set by `start`) and a body cap."""

    def __init__(self) -> None:
        super().__init__()
        self.budget = Budget()
        # httpx builds its pool without a way to pass a network backend; this one is the same pool
        # (httpx's default limits) over a backend that bounds every socket operation by the deadline.
        # httpx ignores the environment's proxies once it is given a transport: they are routed here,
        # through pools over the same backend, so a request through a proxy has the same bounds.
        backend = _DeadlineBackend(self)
        direct = httpcore2.ConnectionPool(ssl_context=httpx2.create_ssl_context(), network_backend=backend, **_POOL)
        named = getproxies_environment()  # the standard library's reading of HTTP(S)_PROXY, ALL_PROXY, NO_PROXY
        proxied = {scheme: _proxy_pool(scheme, named[scheme], backend) for scheme in _SCHEMES if named.get(scheme)}
        self._pool = _Routes(direct, proxied, named.get("no", "")) if proxied else direct

    def start(self, seconds: float, cap: int) -> None:
        """The next request (redirects included) must be complete within `seconds`, its body within `cap` bytes."""
        self.budget = Budget(time.monotonic() + seconds, cap)

    def expired(self) -> bool:
        return time.monotonic() >= self.budget.deadline

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = super().handle_request(request)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            response.close()
            raise AnswerRefused(f"the answer is encoded as {encoding!r}, which was not asked for")
        headers = httpx2.Headers(response.headers)
        if encoding != "identity":  # decoded below, so httpx must not decode it again
            del headers["content-encoding"]
            headers.pop("content-length", None)
        assert isinstance(response.stream, httpx2.SyncByteStream)
        stream = _CappedStream(response.stream, encoding, self.budget.cap)
        return httpx2.Response(response.status_code, headers=headers, stream=stream, extensions=response.extensions)


class _CappedStream(httpx2.SyncByteStream):
    """The body, decoded, cut off with `AnswerRefused` as soon as it passes `cap` bytes."""

    def __init__(self, inner: httpx2.SyncByteStream, encoding: str, cap: int) -> None:
        self.inner, self.cap, self.size = inner, cap, 0
        wbits = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}.get(encoding)
        self.decoder = zlib.decompressobj(wbits) if wbits else None

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            yield from self._decoded(chunk)
        if self.decoder is not None:
            yield self._counted(self.decoder.flush())

    def _decoded(self, chunk: bytes) -> Iterable[bytes]:
        if self.decoder is None:
            yield self._counted(chunk)
            return
        try:
            data = self.decoder.decompress(chunk, self.cap + 1 - self.size)
            yield self._counted(data)
            while self.decoder.unconsumed_tail:  # a bomb: more output than the cap allows is never made
                yield self._counted(self.decoder.decompress(self.decoder.unconsumed_tail, self.cap + 1 - self.size))
        except zlib.error as err:
            raise AnswerRefused(f"the answer's compressed body is damaged ({err})") from err

    def _counted(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.cap:
            raise AnswerRefused(f"the answer is larger than {_size(self.cap)}, the most codex-kit reads of one")
        return data

    def close(self) -> None:
        self.inner.close()


def _size(count: int) -> str:
    return f"{count / 2**20:g} MiB" if count >= 2**20 else f"{count} bytes"


class _DeadlineBackend(httpcore2.NetworkBackend):
    """httpcore's synchronous sockets, each operation bounded by the transport's current deadline."""

    def __init__(self, transport: LimitedTransport) -> None:
        self.transport, self.inner = transport, httpcore2.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        timeout = self.transport.budget.left(timeout, httpcore2.ConnectTimeout)
        stream = self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self.transport)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class _DeadlineStream(httpcore2.NetworkStream):
    def __init__(self, inner: httpcore2.NetworkStream, transport: LimitedTransport) -> None:
        self.inner, self.transport = inner, transport

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self.transport.budget.left(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self.transport.budget.left(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        timeout = self.transport.budget.left(timeout, httpcore2.ConnectTimeout)
        return _DeadlineStream(self.inner.start_tls(ssl_context, server_hostname, timeout), self.transport)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


def _proxy_pool(scheme: str, url: str, backend: httpcore2.NetworkBackend) -> httpcore2.HTTPProxy:
    """A pool through the HTTP(S) proxy the environment names for `scheme` requests (`all`: any)."""
    proxy = httpx2.Proxy(url=url if "://" in url else f"http://{url}")
    if proxy.url.scheme not in ("http", "https"):
        # Never the URL itself: it can hold the proxy's password.
        raise UsageError(
            f"the environment names a {proxy.url.scheme} proxy for {scheme} requests; codex-kit goes through HTTP "
            "and HTTPS proxies only (set HTTPS_PROXY to one, or leave it and ALL_PROXY unset)"
        )
    return httpcore2.HTTPProxy(
        proxy_url=httpcore2.URL(
            scheme=proxy.url.raw_scheme, host=proxy.url.raw_host, port=proxy.url.port, target=proxy.url.raw_path
        ),
        proxy_auth=proxy.raw_auth,
        proxy_headers=proxy.headers.raw,
        ssl_context=httpx2.create_ssl_context(),
        proxy_ssl_context=proxy.ssl_context,
        network_backend=backend,
        **_POOL,
    )


class _Routes:
    """The pool interface over the direct pool and one per proxy the environment names: a request goes
    through its scheme's proxy (else ALL_PROXY's), or directly to a host NO_PROXY names, as the standard
    library (and so requests and curl-like tools) decides it."""

    def __init__(
        self, direct: httpcore2.ConnectionPool, proxied: dict[str, httpcore2.HTTPProxy], no_proxy: str
    ) -> None:
        self.direct, self.proxied, self.no_proxy = direct, proxied, {"no": no_proxy}

    def handle_request(self, request: httpcore2.Request) -> httpcore2.Response:
        pool = self.proxied.get(request.url.scheme.decode("ascii")) or self.proxied.get("all")
        if pool is None or proxy_bypass_environment(request.url.host.decode("ascii"), self.no_proxy):
            pool = self.direct
        return pool.handle_request(request)

    def close(self) -> None:
        for pool in [self.direct, *self.proxied.values()]:
            pool.close()

    def __enter__(self) -> _Routes:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()
