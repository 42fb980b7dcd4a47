"""The fake server cannot drift from GitHub: its payloads validate against GitHub's OpenAPI schemas."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.support.fake_github import FakeGitHub
from tests.support.history_builder import REPO, populate


def schema(shared: Path, name: str) -> dict:
    return nullable_to_jsonschema(json.loads((shared / "github-api" / "schemas" / f"{name}.deref.json").read_text()))


def nullable_to_jsonschema(node):
    """OpenAPI 3.0 says `nullable: true`; JSON Schema says `type: [..., "null"]`."""
    if isinstance(node, list):
        return [nullable_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: nullable_to_jsonschema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"] if isinstance(node["type"], str) else [*node["type"], "null"]
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
        for combiner in ("anyOf", "oneOf"):
            if combiner in node:
                node[combiner] = [*node[combiner], {"type": "null"}]
    return node


@pytest.fixture(scope="module")
def fake() -> FakeGitHub:
    server = FakeGitHub(REPO)
    populate(server, 40, hardened_after=1020)
    return server


def test_runs_match_the_workflow_run_schema(shared_dir: Path, fake: FakeGitHub) -> None:
    validator = jsonschema.Draft202012Validator(schema(shared_dir, "workflow-run"))
    for run in fake.runs.values():
        validator.validate(run)


def test_jobs_match_the_job_schema(shared_dir: Path, fake: FakeGitHub) -> None:
    validator = jsonschema.Draft202012Validator(schema(shared_dir, "job"))
    jobs = [job for jobs in fake.jobs.values() for job in jobs]
    assert jobs
    for job in jobs:
        validator.validate(job)


def test_spec_examples_parse_into_rows(shared_dir: Path) -> None:
    """The official examples themselves go through the same row builders the fetch uses."""
    from kit.history.tables import Recognise, job_row, run_row, step_rows

    examples = shared_dir / "github-api" / "examples"
    run = json.loads((examples / "get-workflow-run.200.json").read_text())
    row = run_row(run, "ci.yml")
    assert row["run_id"] == run["id"] and row["is_fork_pr"] is False, "a push run is never a fork PR"
    fork = json.loads((examples / "derived" / "workflow-run.fork-pr.json").read_text())
    assert run_row(fork, "ci.yml")["is_fork_pr"] is True
    derived = json.loads((examples / "derived" / "jobs.continue-on-error-and-skipped.json").read_text())
    for job in derived["jobs"]:
        steps = step_rows(job, Recognise())
        assert job_row(job, steps, Recognise())["job_id"] == job["id"]
