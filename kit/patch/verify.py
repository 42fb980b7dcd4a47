"""Check a patched workflow against the plan: same data everywhere except where the plan said.

The planner records, for each edit, what the re-parsed file must contain. Applying those
expectations to the original data and comparing with the patched file's data proves that every
splice landed where intended and that nothing else moved: other jobs, other steps, `on:`, quoting
of values, block scalars. A mismatch names the first path that differs.
"""

from __future__ import annotations

import copy
from typing import Any

from kit.patch.plan import JobPlan


def expected_data(before: Any, plans: list[JobPlan]) -> Any:
    data = copy.deepcopy(before)
    for plan in plans:
        job = _container(data, plan)
        if plan.if_expect is not None:
            job["if"] = plan.if_expect
        new_steps: list[Any] = []
        for index, step in enumerate(job["steps"]):
            expect = plan.steps.get(index)
            if expect is None:
                new_steps.append(step)
                continue
            new_steps.extend(expect.before)
            step = {**step, **expect.set}
            if expect.env_add:
                step["env"] = {**(step.get("env") or {}), **expect.env_add}
            new_steps.append(step)
            new_steps.extend(expect.after)
        job["steps"] = new_steps
    return data


def first_difference(expected: Any, actual: Any, path: str = "") -> str | None:
    """The path of the first place where `actual` is not what was expected (None when equal)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(map(str, expected)) != set(map(str, actual)):
            missing = set(map(str, expected)) ^ set(map(str, actual))
            return f"{path or '/'}: keys differ ({', '.join(sorted(missing))})"
        for key in expected:
            found = first_difference(expected[key], actual.get(key), f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, found {len(actual)}"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found = first_difference(want, got, f"{path}/{index}")
            if found:
                return found
        return None
    if expected == actual and isinstance(expected, bool) == isinstance(actual, bool):
        return None
    return f"{path}: expected {_short(expected)}, found {_short(actual)}"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _container(data: Any, plan: JobPlan) -> Any:
    """The mapping that holds the planned steps: a workflow's job, or a composite action's `runs:`."""
    if plan.where:
        for key in plan.where:
            data = data[key]
        return data
    jobs = data["jobs"]
    return jobs[{str(k): k for k in jobs}[plan.job_id]]
