"""A throwaway PostgreSQL server for tests: initdb into a temp dir, a free loopback port, torn down after.

When PostgreSQL is not installed the tests that need it are skipped with a message that says how to
get it, unless CODEX_KIT_REQUIRE_PG=1 (set by .ci/run), where a missing server is a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

HOW = "install Debian's `postgresql` and the `postgresql-<major>-pgtap` of its version (bash .ci/run does)"


@dataclass(frozen=True)
class Server:
    port: int
    user: str
    bin_dir: Path

    def env(self, database: str) -> dict[str, str]:
        """libpq variables that point a client at `database` on this server."""
        return {"PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGUSER": self.user, "PGDATABASE": database}


def _bin_dir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unavailable(reason: str) -> None:
    if os.environ.get("CODEX_KIT_REQUIRE_PG") == "1":
        pytest.fail(f"PostgreSQL is required here but {reason}")
    pytest.skip(f"PostgreSQL not available ({reason}); {HOW}")


@contextmanager
def running_server() -> Iterator[Server]:
    """Start a server owned by a non-root user (initdb refuses root) and stop it afterwards."""
    base = Path(tempfile.mkdtemp(prefix="codex-kit-pg-"))
    try:
        with _server_in(base) as server:
            yield server
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def _server_in(base: Path) -> Iterator[Server]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        unavailable("initdb was not found")
    prefix: list[str] = []
    user = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root and there is no `postgres` user to run the server as")
        prefix, user = ["runuser", "-u", "postgres", "--"], "postgres"
        shutil.chown(base, "postgres")
    data, port = base / "data", _free_port()
    run = lambda *cmd: subprocess.run([*prefix, *cmd], capture_output=True, text=True, check=False)  # noqa: E731
    init = run(str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8")
    if init.returncode:
        unavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start")
    if start.returncode:
        unavailable(f"pg_ctl start failed: {start.stderr.strip()[-300:]}")
    try:
        yield Server(port, user, bin_dir)
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
