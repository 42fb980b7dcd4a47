"""One notebook kernel kept for many reports, each run starting from an empty namespace.

A team report runs the same notebook once per repository and workflow. Starting a kernel and
importing pandas, matplotlib and the kit in it costs about as much as a dashboard's own work, so a
report worker keeps one kernel and hands it to papermill (which runs the notebook through nbclient
exactly as it does with a kernel of its own; only the kernel's start and stop are left out). Before
each run the kernel's namespace is emptied, its figures closed and its working folder set, so a
dashboard never sees what another one left; a kernel that died is started again for the next run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from traitlets import CaselessStrEnum

from kit.errors import ReportError

# Run before each notebook: nothing of the previous run's names, figures or folder is left.
_RESET = """\
import os as _os, sys as _sys
_os.chdir({folder!r})
_ip = get_ipython()
_name = None
_ip.displayhook.flush()  # the output cache (Out, _, _1 …) lets go of what earlier cells returned
for _name in [_n for _n in _ip.user_ns if _n not in _ip.user_ns_hidden and not _n.startswith("_")]:
    del _ip.user_ns[_name]
for _name in ("last_type", "last_value", "last_traceback"):  # a failed report's frames, and its tables
    _sys.__dict__.pop(_name, None)
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
_ip.execution_count = 1  # the notebook's cells are numbered from 1, as in a kernel of its own
del _os, _sys, _ip, _name
# What is left now (modules, their caches) lives as long as the kernel: the previous report's cyclic garbage is
# collected, the rest set aside from the collector, which otherwise walks all of it (pandas, matplotlib, scipy:
# 200,000 objects) at least once a report. Only what a report makes is then collected: 0.13 s less a report.
import gc as _gc
_gc.collect()
_gc.freeze()
del _gc
"""
_START_SECONDS = 60
_RESET_SECONDS = 60
_SOCKETS_PREFIX = "codex-kit-kernel-"  # then the pid of the process that owns the kernel


# The kernel's own log stays off the user's terminal: every shutdown first interrupts the kernel, which then
# may log "KeyboardInterrupt caught in kernel" as an ERROR under codex-kit's one-line message. A cell's error
# still reaches the report (papermill raises it with its name and value).
QUIET_KERNEL = ["--IPKernelApp.log_level=CRITICAL"]


class QuietKernelManager(AsyncKernelManager):
    """The report's kernel talks over local sockets, not TCP: nothing on the network, and no
    "running over TCP without encryption" warning on every report."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)


class KeptKernel:
    """A kernel started on first use and kept until `shutdown`; papermill runs notebooks on it.

    Not shared between threads or processes: each report worker has its own.
    """

    def __init__(self, kernel_name: str = "python3") -> None:
        self.kernel_name = kernel_name
        self.runs = 0  # notebooks run on it (after the first, each one a kernel start saved)
        self.starts = 0  # kernels started: 1, unless one died
        self._km: Any = None
        self._sockets: str | None = None
        self._unanswered = True
        self._clients: list[Any] = []

    def ready(self, folder: str) -> Any:
        """The kernel manager to give papermill for a run in `folder`: alive, emptied, in that folder."""
        self._close_clients()
        if self._km is None or not run_sync(self._km.is_alive)():
            self._start()
        if self._reset(folder) is not None:
            # It died since the last run, will not answer or could not be emptied: a new one, which must do.
            self._start()
            why = self._reset(folder)
            if why is not None:
                self.shutdown()
                raise ReportError(f"a new notebook kernel ({self.kernel_name}) could not be made ready: {why}")
        self.runs += 1
        return self._km

    def finished(self) -> None:
        """After a run: close the kernel clients it opened (papermill leaves them open on a kernel it does not own)."""
        self._close_clients()

    def shutdown(self) -> None:
        self._close_clients()
        if self._km is not None:
            with contextlib.suppress(Exception):  # already gone: nothing is left to stop
                run_sync(self._km.shutdown_kernel)(now=True)
            self._km = None
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None

    def _start(self) -> None:
        if self._km is not None:
            self.shutdown()
        kept = self._clients

        class _Tracked(QuietKernelManager):
            """Remembers each client it hands out, so that a run's channels are closed after it."""

            def client(self, *args: Any, **kwargs: Any) -> Any:
                made = super().client(*args, **kwargs)
                kept.append(made)
                return made

        # Its sockets' files in a private folder, named by absolute path: papermill moves the process into each
        # report's folder, and relative names would then point the next client at sockets that are not there.
        _sweep_sockets()
        self._sockets = tempfile.mkdtemp(prefix=f"{_SOCKETS_PREFIX}{os.getpid()}-")
        km = _Tracked(kernel_name=self.kernel_name, ip=os.path.join(self._sockets, "kernel"))
        try:
            # No input history: a kept kernel numbers each report's cells from 1 again, and IPython's history
            # database refuses a line number it has seen in the session ("Session/line number was not unique")
            # with a message printed into whatever cell runs then.
            quiet = [*QUIET_KERNEL, "--HistoryManager.enabled=False"]
            run_sync(km.start_kernel)(cwd=os.getcwd(), extra_arguments=quiet)
        except Exception as err:
            self._remove_sockets()
            raise ReportError(f"cannot start the notebook kernel {self.kernel_name!r}: {err}") from err
        self._km = km
        self._unanswered = True
        self.starts += 1

    def _reset(self, folder: str) -> str | None:
        """Empty the kernel and move it into `folder`; why it could not be (None: it was)."""
        try:
            client = self._km.client()
            client.start_channels()
            if self._unanswered:  # a kernel just started; one that answered before is asked straight away
                run_sync(client.wait_for_ready)(timeout=_START_SECONDS)
                self._unanswered = False
            reply = run_sync(client.execute_interactive)(
                _RESET.format(folder=folder), store_history=False, timeout=_RESET_SECONDS, output_hook=lambda _: None
            )
        except Exception as err:  # died before replying, no answer in time, sockets gone: a new kernel is due
            return str(err) or type(err).__name__
        finally:
            self._close_clients()
        content = reply["content"]
        if content.get("status") != "ok":
            return f"{content.get('ename', 'error')}: {content.get('evalue', '')}"
        return None

    def _close_clients(self) -> None:
        while self._clients:
            client = self._clients.pop()
            with contextlib.suppress(Exception):  # a client of a dead kernel: nothing to close
                client.stop_channels()


def _sweep_sockets() -> None:
    """Remove the socket folders of kernels whose owner is gone (a report worker killed before it could)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_SOCKETS_PREFIX}*"):
        owner = folder.name[len(_SOCKETS_PREFIX) :].split("-", 1)[0]
        if not owner.isdigit() or int(owner) == os.getpid():
            continue
        try:
            os.kill(int(owner), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive, another user's
            continue
