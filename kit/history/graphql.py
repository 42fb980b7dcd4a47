"""Jobs, steps and annotations of up to 100 runs in one GraphQL query, within GITHUB_TOKEN's points.

The REST path asks one jobs listing per run: a first pull of N runs costs N requests, and
GITHUB_TOKEN gets 1,000 an hour. Here `nodes(ids: [run node ids])` → `checkSuite` → `checkRuns`
→ `steps`, `annotations` brings 100 runs' jobs in one round trip. GitHub charges a query the
requests needed to fill each connection at its `first:` size, a connection under N parents N
times, divided by 100: for 100 runs with `checkRuns(first: J)` that is (100 + 2·100·J)/100 points,
so J (check runs asked per run) is what sets the cost, and it is kept small (`RUN_JOBS_DEFAULT`, or
the most jobs a cached run had, at most `RUN_JOBS_MAX`); steps and annotations sizes cost nothing
extra and are asked generously. A connection that still overflows (a run with more jobs, a job
with more steps or annotations) is followed with its cursor, never dropped.

Attempts: GraphQL's check runs carry no run attempt (a re-run's jobs all sit in the one suite with
`checkType: ALL`), so a run on its first attempt is fetched here (attempt 1 for all its jobs) and a
re-run run is left to the REST jobs listing (`filter=all`), which says each job's attempt; so are
runs whose node GitHub no longer resolves or answered with an error. The check runs are turned into
the REST jobs listing's shape, so the tables are made by the same code (`kit/history/tables.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kit.history.answers import check_job

RUNS_PER_QUERY = 100  # `nodes(ids:)` takes at most 100 ids
RUN_JOBS_DEFAULT = 8
RUN_JOBS_MAX = 12  # (100 + 2·100·12)/100 = 25 points per 100 runs: 0.25 a run
STEPS_PER_JOB = 100  # more than any job has steps in practice; costs no more than 1
ANNOTATIONS_PER_JOB = 50  # GitHub keeps at most 50 annotations per job

_CHECK_RUN = """
fragment Job on CheckRun {
  id databaseId name status conclusion startedAt completedAt detailsUrl
  steps(first: $steps) { pageInfo { hasNextPage endCursor } nodes { ...Step } }
  annotations(first: $notes) { pageInfo { hasNextPage endCursor } nodes { ...Note } }
}
fragment Step on CheckStep { number name status conclusion startedAt completedAt }
fragment Note on CheckAnnotation { annotationLevel title message }
"""

RUNS_QUERY = (
    """
query Jobs($ids: [ID!]!, $jobs: Int!, $steps: Int!, $notes: Int!) {
  rateLimit { cost remaining resetAt }
  nodes(ids: $ids) {
    __typename
    ... on WorkflowRun {
      databaseId
      checkSuite {
        id
        checkRuns(first: $jobs, filterBy: {checkType: ALL}) { pageInfo { hasNextPage endCursor } nodes { ...Job } }
      }
    }
  }
}
"""
    + _CHECK_RUN
)


def run_jobs_size(jobs_per_run: Iterable[int]) -> int:
    """`first:` for each run's check runs: the most jobs a cached run had, within the cheap range."""
    most = max(jobs_per_run, default=0)
    return min(max(most, 1), RUN_JOBS_MAX) if most else RUN_JOBS_DEFAULT


def query_points(runs: int, jobs: int) -> int:
    """The documented points of one RUNS_QUERY: checkRuns once per run, steps and annotations once per job."""
    requests = runs + 2 * runs * jobs
    return max(1, int(requests / 100 + 0.5))


@dataclass
class Annotation:
    level: str
    title: str
    message: str


@dataclass
class GraphJobs:
    """What the queries brought: REST-shaped jobs per run, annotations per job, and runs left to REST."""

    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    annotations: dict[int, list[Annotation]] = field(default_factory=dict)
    unexplained: list[int] = field(default_factory=list)


class JobsQuery:
    """The jobs of a batch of first-attempt runs, via `client.graphql` (the same ghapi client as REST)."""

    def __init__(self, client: Any, jobs_size: int = RUN_JOBS_DEFAULT) -> None:
        self.client, self.jobs_size = client, jobs_size

    def variables(self, ids: list[str]) -> dict[str, Any]:
        return {"ids": ids, "jobs": self.jobs_size, "steps": STEPS_PER_JOB, "notes": ANNOTATIONS_PER_JOB}

    def fetch(self, runs: list[tuple[int, str]]) -> GraphJobs:
        """`runs` as (run id, node id), at most RUNS_PER_QUERY."""
        out = GraphJobs()
        ids = [node for _, node in runs]
        data, errors = self.client.graphql(
            f"jobs of {len(runs)} runs", RUNS_QUERY, self.variables(ids), points=query_points(len(runs), self.jobs_size)
        )
        failed = {e["path"][1] for e in errors if _path(e)[:1] == ["nodes"] and len(_path(e)) > 1}
        nodes = (data or {}).get("nodes") or [None] * len(runs)
        for index, (run_id, _) in enumerate(runs):
            node = nodes[index] if index < len(nodes) else None
            suite = (node or {}).get("checkSuite") if isinstance(node, dict) else None
            if index in failed or not suite or not isinstance(suite.get("checkRuns"), dict):
                out.unexplained.append(run_id)
                continue
            checks = self._all_check_runs(suite)
            if checks is None:
                out.unexplained.append(run_id)
                continue
            jobs = []
            for check in checks:
                job = self._job(run_id, check)
                if job is None:
                    break
                jobs.append(job)
                out.annotations[job["id"]] = [
                    Annotation(str(n.get("annotationLevel") or ""), n.get("title") or "", n.get("message") or "")
                    for n in check["annotations"]["nodes"]
                ]
            else:
                out.jobs[run_id] = jobs
                continue
            out.unexplained.append(run_id)
        return out

    def _all_check_runs(self, suite: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Every check run of the suite, following `checkRuns` past its first page (None when a page failed)."""
        connection = suite["checkRuns"]
        checks = list(connection.get("nodes") or [])
        while (connection.get("pageInfo") or {}).get("hasNextPage"):
            after = connection["pageInfo"]["endCursor"]
            query = (
                "query More($id: ID!, $after: String, $jobs: Int!, $steps: Int!, $notes: Int!) {\n"
                "  rateLimit { cost remaining resetAt }\n"
                "  node(id: $id) { ... on CheckSuite { checkRuns(first: $jobs, after: $after, "
                "filterBy: {checkType: ALL}) { pageInfo { hasNextPage endCursor } nodes { ...Job } } } }\n}\n"
                + _CHECK_RUN
            )
            variables = {**self.variables([]), "id": suite["id"], "after": after, "jobs": 100}
            variables.pop("ids")
            data, _ = self.client.graphql("more jobs of a run", query, variables, points=query_points(1, 100))
            connection = ((data or {}).get("node") or {}).get("checkRuns")
            if not isinstance(connection, dict):
                return None
            checks.extend(connection.get("nodes") or [])
        return checks

    def _job(self, run_id: int, check: Any) -> dict[str, Any] | None:
        if not isinstance(check, dict) or not isinstance(check.get("steps"), dict):
            return None
        if not isinstance(check.get("annotations"), dict):
            return None
        steps = self._rest(check, "steps", "Step")
        notes = self._rest(check, "annotations", "Note")
        if steps is None or notes is None:
            return None
        check["annotations"]["nodes"] = notes
        job = {
            "id": check.get("databaseId"),
            "run_id": run_id,
            "run_attempt": 1,
            "name": check.get("name"),
            "status": _lower(check.get("status")),
            "conclusion": _lower(check.get("conclusion")),
            "started_at": check.get("startedAt"),
            "completed_at": check.get("completedAt"),
            "html_url": check.get("detailsUrl"),
            "steps": [
                {
                    "number": s.get("number"),
                    "name": s.get("name"),
                    "status": _lower(s.get("status")),
                    "conclusion": _lower(s.get("conclusion")),
                    "started_at": s.get("startedAt"),
                    "completed_at": s.get("completedAt"),
                }
                for s in steps
            ],
        }
        return check_job(f"check run of run {run_id}", job)

    def _rest(self, check: dict[str, Any], name: str, fragment: str) -> list[dict[str, Any]] | None:
        """All of a check run's `steps` or `annotations`, following the cursor when the first page overflows."""
        connection = check[name]
        items = list(connection.get("nodes") or [])
        size = STEPS_PER_JOB if name == "steps" else ANNOTATIONS_PER_JOB
        while (connection.get("pageInfo") or {}).get("hasNextPage"):
            query = (
                "query More($id: ID!, $after: String, $size: Int!) {\n  rateLimit { cost remaining resetAt }\n"
                f"  node(id: $id) {{ ... on CheckRun {{ {name}(first: $size, after: $after) "
                f"{{ pageInfo {{ hasNextPage endCursor }} nodes {{ ...{fragment} }} }} }} }}\n}}\n"
                + _FRAGMENTS[fragment]
            )
            variables = {"id": check["id"], "after": connection["pageInfo"]["endCursor"], "size": size}
            data, _ = self.client.graphql(f"more {name} of job {check.get('databaseId')}", query, variables)
            connection = ((data or {}).get("node") or {}).get(name)
            if not isinstance(connection, dict):
                return None
            items.extend(connection.get("nodes") or [])
        return items


_FRAGMENTS = {
    "Step": "fragment Step on CheckStep { number name status conclusion startedAt completedAt }\n",
    "Note": "fragment Note on CheckAnnotation { annotationLevel title message }\n",
}


def _path(error: Any) -> list[Any]:
    return list(error.get("path") or []) if isinstance(error, dict) else []


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value
