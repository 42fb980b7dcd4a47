"""A few requests at a time, their results taken in the order they were asked.

Logs live on another host than the API and each costs two round trips; with GitHub tens of
milliseconds away, downloading four at once makes the log phase about four times shorter, and
GitHub's guidance (no more than a handful of concurrent requests per token) keeps it at that. Results
are taken in order so the cache is written exactly as a one-at-a-time fetch would write it. The
threads are daemons, each with a client of its own (per-request deadlines are per client): an
interrupted fetch closes those clients and exits at once instead of waiting for a download to end.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Generic, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")
Worker = TypeVar("Worker")


class InFlight(Generic[Task, Result, Worker]):
    """Run `work(worker, task)` for each task, at most len(workers) at once, yielding (task, result) in order."""

    def __init__(self, workers: list[Worker], work: Callable[[Worker, Task], Result]) -> None:
        self.free: deque[Worker] = deque(workers)
        self.work = work
        self.lock = threading.Lock()

    def run(self, tasks: Iterable[Task], before: Callable[[Task, int], None] = lambda task, ahead: None) -> Iterator[
        tuple[Task, Result]
    ]:  # fmt: skip
        """`before(task, in_flight)` is called in this thread before each task starts (a budget check can stop
        there). A task that raises ends the run with its exception, after the ones before it were yielded."""
        waiting: deque[tuple[Task, Future[Result]]] = deque()
        pending = iter(tasks)

        def start_more() -> None:
            while self.free:
                task = next(pending, _END)
                if task is _END:
                    return
                before(task, len(waiting))
                waiting.append((task, self._start(task)))

        start_more()
        while waiting:
            task, future = waiting.popleft()
            result = future.result()
            yield task, result
            start_more()

    def _start(self, task: Task) -> Future[Result]:
        future: Future[Result] = Future()
        with self.lock:
            worker = self.free.popleft()

        def body() -> None:
            try:
                future.set_result(self.work(worker, task))
            except BaseException as error:  # handed to the caller, which raises it in its own thread
                future.set_exception(error)
            finally:
                with self.lock:
                    self.free.append(worker)

        threading.Thread(target=body, name="codex-kit log", daemon=True).start()
        return future


_END = object()
