"""A plain HTTP forward proxy on localhost, for the tests of a fetch behind a proxy (HTTP_PROXY).

It takes requests in absolute form (`GET http://host:port/path HTTP/1.1`), as a client sends them to
an HTTP proxy for an http:// URL, forwards them and relays the answer whole; it remembers each URL
and the Proxy-Authorization it was asked with. `stall=True` makes it accept and never answer.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailers",
               "transfer-encoding", "upgrade"}  # fmt: skip


class ForwardProxy:
    def __init__(self, stall: bool = False) -> None:
        self.urls: list[str] = []
        self.auth: list[str | None] = []
        self.stall = stall
        self.release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                proxy.urls.append(self.path)
                proxy.auth.append(self.headers.get("Proxy-Authorization"))
                if proxy.stall:
                    proxy.release.wait(30)
                    return
                target = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                path = target.path + (f"?{target.query}" if target.query else "")
                upstream.request(self.command, path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ForwardProxy:
        self.thread.start()
        return self

    def __exit__(self, *args: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
