"""What an answer from the API must look like before a row is made of it.

The row builders in `kit/history/tables.py` read GitHub's payloads as GitHub documents them. A
server that is not GitHub (a wrong --api-url, a proxy's HTML page, a broken Enterprise) can send
anything; every listing, run and job is checked here first, so what it sent becomes one error
naming the request and the field, never a traceback or a row of garbage. The checks are the
fields the rows use, with the types GitHub's schemas give them; nothing else is judged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kit.errors import GitHubError

_TIME = "an ISO 8601 time"
_INT, _TEXT, _OBJECT, _LIST = "an integer", "a string", "an object", "a list"
_NULL = "null"

RUN_FIELDS: dict[str, tuple[str, ...]] = {
    "id": (_INT,),
    "run_number": (_INT, _NULL),
    "run_attempt": (_INT, _NULL),
    "name": (_TEXT, _NULL),
    "event": (_TEXT, _NULL),
    "status": (_TEXT, _NULL),
    "conclusion": (_TEXT, _NULL),
    "head_branch": (_TEXT, _NULL),
    "head_sha": (_TEXT, _NULL),
    "html_url": (_TEXT, _NULL),
    "created_at": (_TIME,),
    "updated_at": (_TIME, _NULL),
    "run_started_at": (_TIME, _NULL),
    "repository": (_OBJECT, _NULL),
    "head_repository": (_OBJECT, _NULL),
    "actor": (_OBJECT, _NULL),
    "pull_requests": (_LIST, _NULL),
}
JOB_FIELDS: dict[str, tuple[str, ...]] = {
    "id": (_INT,),
    "run_id": (_INT,),
    "run_attempt": (_INT, _NULL),
    "name": (_TEXT, _NULL),
    "status": (_TEXT, _NULL),
    "conclusion": (_TEXT, _NULL),
    "started_at": (_TIME, _NULL),
    "completed_at": (_TIME, _NULL),
    "html_url": (_TEXT, _NULL),
    "steps": (_LIST, _NULL),
}
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "number": (_INT, _NULL),
    "name": (_TEXT, _NULL),
    "status": (_TEXT, _NULL),
    "conclusion": (_TEXT, _NULL),
    "started_at": (_TIME, _NULL),
    "completed_at": (_TIME, _NULL),
}
_NOT_GITHUB = "is --api-url GitHub's API?"


def listing_items(describe: str, data: Any, key: str) -> list[dict[str, Any]]:
    """The items of a `{key: [...]}` listing, each an object with an integer `id`."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise GitHubError(f"{describe}: the answer is not a `{key}` listing (got {_kind(data)}); {_NOT_GITHUB}")
    for position, item in enumerate(items):
        if not isinstance(item, dict) or _kind(item.get("id")) != _INT:
            raise GitHubError(
                f"{describe}: the answer is not a `{key}` listing (item {position + 1} is {_kind(item)}"
                f"{' without an integer id' if isinstance(item, dict) else ''}); {_NOT_GITHUB}"
            )
    return items


def check_run(describe: str, run: Any) -> dict[str, Any]:
    """`run` when it has the fields of a workflow run that the runs table reads."""
    return _check(describe, "workflow run", run, RUN_FIELDS)


def check_job(describe: str, job: Any) -> dict[str, Any]:
    """`job` when it has the fields of a job (and its steps) that the jobs and steps tables read."""
    _check(describe, "job", job, JOB_FIELDS)
    for step in job.get("steps") or []:
        _check(f"{describe}: job {job['id']}", "step", step, STEP_FIELDS)
    return job


def annotation_messages(describe: str, data: Any) -> list[str]:
    """The `message` of each annotation in a check run's annotation listing (a bare JSON array)."""
    if not isinstance(data, list):
        raise GitHubError(f"{describe}: the answer is not a list of annotations (got {_kind(data)}); {_NOT_GITHUB}")
    messages = []
    for position, item in enumerate(data):
        message = item.get("message") if isinstance(item, dict) else None
        if not isinstance(message, str):
            raise GitHubError(
                f"{describe}: annotation {position + 1} has no string `message` (got {_kind(item)}); {_NOT_GITHUB}"
            )
        messages.append(message)
    return messages


def _check(describe: str, what: str, item: Any, fields: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise GitHubError(f"{describe}: the answer is not a {what} (got {_kind(item)}); {_NOT_GITHUB}")
    for name, allowed in fields.items():
        kind = _kind(item.get(name))
        if kind == _TEXT and _TIME in allowed and _is_time(item[name]):
            continue
        if kind not in allowed:
            label = f"{what} {item['id']}" if _kind(item.get("id")) == _INT else what
            raise GitHubError(
                f"{describe}: {label} has `{name}` {_shown(item.get(name), kind)}, expected {' or '.join(allowed)}; "
                f"{_NOT_GITHUB}"
            )
    return item


def _kind(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "a boolean"
    return {int: _INT, str: _TEXT, dict: _OBJECT, list: _LIST}.get(type(value), type(value).__name__)


def _shown(value: Any, kind: str) -> str:
    return f"{value[:40]!r}" if isinstance(value, str) else f"missing or {kind}" if value is None else kind


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
