"""The fake GitHub's `/graphql` for Actions history: GitHub's published schema, the documented points.

Every query is parsed and validated against `../shared/github-graphql/schema.graphql` with
graphql-core (a query GitHub would refuse is refused here, with GitHub's error shape), charged with
the documented point formula before it runs, and executed by graphql-core over the same runs, jobs
and logs the REST fake serves: a run is a `WorkflowRun` node whose `checkSuite.checkRuns` are its
jobs (every attempt with `checkType: ALL`, the latest attempt's otherwise), a job's steps are
`CheckStep`s and the `::warning::`/`::error::` lines of its log are its annotations, as Actions
makes them. Faults: anything in `fake.faults` (502s and the rest), plus `graphql_faults` below.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_ast_schema,
    execute,
    parse,
    validate,
    value_from_ast_untyped,
)
from graphql.error import GraphQLError

if TYPE_CHECKING:
    from tests.support.fake_github import FakeGitHub

SCHEMA_FILE = Path(__file__).resolve().parents[2].parent / "shared" / "github-graphql" / "schema.graphql"
_ANNOTATION = re.compile(r"##\[(warning|error|notice)\](.*)")


SCHEMA_ABSENT = (
    f"{SCHEMA_FILE} is absent: the fake answers GraphQL only with GitHub's published schema beside the project"
)
ASKED_WITHOUT_SCHEMA: list[str] = []  # queries the fake could not answer; tests/conftest.py skips their tests


@cache
def github_schema() -> GraphQLSchema:
    """GitHub's schema, taken as valid as GitHub's own server takes it.

    The published file defines two fields twice and deprecates some interface fields unevenly,
    which graphql-core's schema checks refuse; queries are still validated against every type in it.
    """
    if not SCHEMA_FILE.is_file():
        pytest.skip(SCHEMA_ABSENT)
    schema = build_ast_schema(parse(SCHEMA_FILE.read_text(encoding="utf-8")), assume_valid_sdl=True)
    schema._validation_errors = []  # graphql-core's marker of a schema already checked
    return schema


def points(document, variables: dict[str, Any]) -> tuple[int, int]:
    """(points, requests): every connection costs one request per parent it sits under; points = requests/100.

    The documented formula: a connection nested under a list of N parents counts N times, `first`
    or `last` is assumed reached, `nodes(ids:)` is a list of as many parents as ids; minimum 1 point.
    """
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))

    def walk(selections: SelectionSetNode | None, parents: int) -> int:
        requests = 0
        for node in selections.selections if selections else []:
            if isinstance(node, FragmentSpreadNode):
                requests += walk(fragments[node.name.value].selection_set, parents)
            elif isinstance(node, InlineFragmentNode):
                requests += walk(node.selection_set, parents)
            elif isinstance(node, FieldNode):
                args = {a.name.value: value_from_ast_untyped(a.value, variables) for a in node.arguments or []}
                size = args.get("first") or args.get("last")
                if size:
                    requests += parents
                    requests += walk(node.selection_set, parents * int(size))
                elif node.name.value == "nodes" and isinstance(args.get("ids"), list):
                    requests += walk(node.selection_set, parents * len(args["ids"]))
                else:
                    requests += walk(node.selection_set, parents)
        return requests

    requests = walk(operation.selection_set, 1)
    return max(1, math.floor(requests / 100 + 0.5)), requests


def connection(items: list[Any], first: int | None = None, after: str | None = None, **_: Any) -> dict[str, Any]:
    """A page of a connection; cursors are opaque strings naming a position, as GitHub's are to a client."""
    start = int(after.removeprefix("cursor:")) if after else 0
    page = items[start : start + (first or 100)]
    end = start + len(page)
    return {
        "totalCount": len(items),
        "nodes": page,
        "pageInfo": {
            "hasNextPage": end < len(items),
            "endCursor": f"cursor:{end}" if page else None,  # GitHub: an empty connection's endCursor is null
            "hasPreviousPage": start > 0,
            "startCursor": f"cursor:{start}" if page else None,
        },
    }


class FakeGraphQL:
    """The history side of `/graphql` for one `FakeGitHub` (pinIssue stays with the publishing block)."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.limit = self.remaining = 5000
        self.spent: list[int] = []  # points charged per query
        self.gone: set[str] = set()  # node ids that no longer exist
        # One each, in order: "partial" (first node null, beside an `errors` entry), "rate-limited"
        # (the documented RATE_LIMITED), "rate-limit-2026" (the shape seen in 2026, no `data` key).
        self.faults: list[str] = []

    def answer(self, request, path: str, body: dict[str, Any]) -> None:
        fake = self.fake
        if not SCHEMA_FILE.is_file():  # no schema to check and run queries with: an answer with no data
            ASKED_WITHOUT_SCHEMA.append(str(body.get("query") or "")[:80])
            fake._send(request, path, 200, {"errors": [{"message": SCHEMA_ABSENT}]}, self._headers(0))
            return
        try:
            document = parse(body.get("query") or "")
        except GraphQLError as err:
            fake._send(request, path, 200, {"errors": [{"message": err.message}]}, self._headers(0))
            return
        errors = validate(github_schema(), document)
        if errors:  # GitHub answers an invalid query with 200 and the errors, charging nothing
            fake._send(request, path, 200, {"errors": [{"message": e.message} for e in errors]}, self._headers(0))
            return
        variables = body.get("variables") or {}
        cost, _ = points(document, variables)
        fault = self.faults.pop(0) if self.faults else None
        if fault in ("rate-limited", "rate-limit-2026") or cost > self.remaining:
            shape = (
                {"type": "RATE_LIMIT", "code": "graphql_rate_limit"}
                if fault == "rate-limit-2026"
                else {"type": "RATE_LIMITED"}
            )
            answer = {"errors": [{**shape, "message": "API rate limit already exceeded for user ID 1."}]}
            fake._send(request, path, 200, answer, self._headers(0))
            return
        self.remaining -= cost
        self.spent.append(cost)
        self.missing: list[dict[str, Any]] = []
        result = execute(github_schema(), document, self._root(cost), variable_values=variables)
        answer: dict[str, Any] = {"data": result.data}
        errors = [e.formatted for e in result.errors or []] + self.missing
        if errors:
            answer["errors"] = errors
        if fault == "partial" and answer["data"] and answer["data"].get("nodes"):
            answer["data"]["nodes"][0] = None
            answer.setdefault("errors", []).append(
                {"type": "SERVICE_UNAVAILABLE", "path": ["nodes", 0], "message": "Something went wrong"}
            )
        fake._send(request, path, 200, answer, self._headers(cost))

    def _headers(self, cost: int) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.fake.reset),
            "X-RateLimit-Used": str(self.limit - self.remaining),
            "X-RateLimit-Resource": "graphql",
        }

    # --- the graph --------------------------------------------------------------------------------
    def _root(self, cost: int) -> dict[str, Any]:
        reset = datetime.fromtimestamp(self.fake.reset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rate = {"cost": cost, "limit": self.limit, "remaining": self.remaining, "used": self.limit - self.remaining,
                "resetAt": reset, "nodeCount": 0}  # fmt: skip
        return {
            "rateLimit": lambda info, **_: rate,
            "nodes": lambda info, ids: [self._node(i, [*info.path.as_list(), n]) for n, i in enumerate(ids)],
            "node": lambda info, id: self._node(id, info.path.as_list()),
        }

    def _node(self, node_id: str, where: list[Any]) -> dict[str, Any] | None:
        """The node, or None beside a NOT_FOUND error, as GitHub answers an id that no longer resolves."""
        kind, _, number = node_id.partition("_")
        found = None
        if node_id in self.gone or not number.isdigit():
            found = None
        elif kind == "WFR" and self.fake.run_owner(int(number)):
            found = self._run(int(number))
        elif kind == "CS" and self.fake.run_owner(int(number)):
            found = self._suite(int(number))
        elif kind == "CR":
            found = next(
                (self._check_run(r, j) for fake in self.fake.repos.values() for r, jobs in fake.jobs.items()
                 for j in jobs if j["id"] == int(number)),
                None,
            )  # fmt: skip
        if found is None:
            message = f"Could not resolve to a node with the global id of '{node_id}'"
            self.missing.append({"type": "NOT_FOUND", "path": where, "message": message})
        return found

    def _run(self, run_id: int) -> dict[str, Any]:
        run = self.fake.run_owner(run_id).runs[run_id]
        return {"__typename": "WorkflowRun", "id": run["node_id"], "databaseId": run_id,
                "runNumber": run["run_number"], "createdAt": run["created_at"], "url": run["html_url"],
                "checkSuite": self._suite(run_id)}  # fmt: skip

    def _suite(self, run_id: int) -> dict[str, Any]:
        owner = self.fake.run_owner(run_id)
        run = owner.runs[run_id]

        def check_runs(info, filterBy: dict[str, Any] | None = None, **page: Any) -> dict[str, Any]:
            jobs = sorted(owner.jobs.get(run_id, []), key=lambda j: j["id"])
            if (filterBy or {}).get("checkType", "LATEST") != "ALL":
                jobs = [j for j in jobs if j.get("run_attempt", 1) == run.get("run_attempt", 1)]
            return connection([self._check_run(run_id, j) for j in jobs], **page)

        return {"__typename": "CheckSuite", "id": f"CS_{run_id}", "databaseId": run.get("check_suite_id"),
                "status": "COMPLETED" if run["status"] == "completed" else "IN_PROGRESS",
                "conclusion": _enum(run.get("conclusion")), "checkRuns": check_runs}  # fmt: skip

    def _check_run(self, run_id: int, job: dict[str, Any]) -> dict[str, Any]:
        steps = [
            {"number": s["number"], "name": s["name"], "status": _enum(s["status"]),
             "conclusion": _enum(s.get("conclusion")), "startedAt": s.get("started_at"),
             "completedAt": s.get("completed_at")}
            for s in job.get("steps") or []
        ]  # fmt: skip
        owner = self.fake.run_owner(run_id) or self.fake
        notes = [
            {"annotationLevel": {"error": "FAILURE"}.get(n["annotation_level"], n["annotation_level"].upper()),
             "message": n["message"], "title": n["title"], "path": n["path"], "rawDetails": n["raw_details"]}
            for n in log_annotations(owner.logs.get(job["id"], ""))
        ]  # fmt: skip
        return {
            "__typename": "CheckRun", "id": f"CR_{job['id']}", "databaseId": job["id"], "name": job["name"],
            "status": _enum(job["status"]), "conclusion": _enum(job.get("conclusion")),
            "startedAt": job.get("started_at"), "completedAt": job.get("completed_at"),
            "detailsUrl": job.get("html_url"), "permalink": job.get("html_url"), "url": job.get("html_url"),
            "steps": lambda info, **page: connection(steps, **page),
            "annotations": lambda info, **page: connection(notes, **page),
        }  # fmt: skip


def log_annotations(log: str | bytes) -> list[dict[str, Any]]:
    """The annotations Actions makes of a log's `##[warning]`/`##[error]`/`##[notice]` lines, newest first,
    in the REST shape (`check-annotation`) with the values GitHub gives them (NOTES.md, "Real API payloads")."""
    text = log.decode(errors="replace") if isinstance(log, bytes) else log
    notes = []
    for line in reversed(text.splitlines()):
        if match := _ANNOTATION.search(line):
            notes.append({"path": ".github", "start_line": 1, "end_line": 1, "start_column": None,
                          "end_column": None, "annotation_level": {"error": "failure"}.get(match[1], match[1]),
                          "title": "", "message": match[2].strip(), "raw_details": "", "blob_href": ""})  # fmt: skip
    return notes


def _enum(value: str | None) -> str | None:
    return value.upper() if value else None
