"""The generated `Prepare Codex home` steps, run with bash in a temporary runner layout."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from kit.vocabulary import PREPARE_STEP_NAME
from tests.steps.harness import JobSim, kit_steps


def prepares(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return kit_steps(workflow["jobs"][job], PREPARE_STEP_NAME)


def check_fresh_home(step: dict[str, Any], root: Path) -> Path:
    sim = JobSim(root)
    home = Path(step["env"]["CODEX_KIT_HOME"].replace("${{ runner.temp }}", str(sim.runner_temp)))
    home.mkdir(parents=True)
    stale = home / f"{sim.run_id}.json"
    stale.write_text('{"port": 41234, "pid": 99999}\n')
    stale.chmod(0o444)
    (home / "leftover.txt").write_text("from an earlier attempt")
    result = sim.run(step)
    assert result.returncode == 0, result.log
    assert not stale.exists(), "a stale server-info file must not survive"
    assert list(home.iterdir()) == [], "a fresh home is empty"
    assert os.access(home, os.W_OK)
    (home / "probe").write_text("writable")
    assert "Codex home ready" in result.stdout
    return home


def test_stale_server_info_is_gone_and_home_is_writable(sample_workflow, workdir: Path) -> None:
    (step,) = prepares(sample_workflow, "invariants-review")
    check_fresh_home(step, workdir)


def test_two_codex_steps_get_two_homes(sample_workflow, workdir: Path) -> None:
    job = sample_workflow["jobs"]["schema-summary"]
    steps = prepares(sample_workflow, "schema-summary")
    assert len(steps) == 2
    homes = [check_fresh_home(step, workdir / str(i)) for i, step in enumerate(steps)]
    assert homes[0].name != homes[1].name
    codex_homes = [s["env"]["CODEX_HOME"] for s in job["steps"] if str(s.get("uses", "")).startswith("openai/")]
    assert codex_homes == [s["env"]["CODEX_KIT_HOME"] for s in steps]


def test_user_home_keeps_its_seeded_config(corpus_workflows, workdir: Path) -> None:
    """tiann/hapi seeds config.toml into its own codex-home: only the stale server info may go."""
    _, hapi = corpus_workflows["tiann__hapi__codex-pr-review.yml"]
    job = next(name for name, job in hapi["jobs"].items() if prepares(hapi, name))
    (step,) = prepares(hapi, job)
    assert step["env"]["CODEX_KIT_FRESH"] == "false"
    sim = JobSim(workdir)
    home = sim.runner_temp / "codex-home"
    home.mkdir()
    (home / "config.toml").write_text("[model_providers.x]\nstream_max_retries = 10\n")
    (home / f"{sim.run_id}.json").write_text('{"port": 1}')
    result = sim.run(step)
    assert result.returncode == 0, result.log
    assert sorted(p.name for p in home.iterdir()) == ["config.toml"]


BROKEN = {
    "keeps the old home": lambda s: s.replace('rm -rf -- "$home"', "true"),
    "wrong file": lambda s: s.replace('rm -rf -- "$home" 2>/dev/null || sudo -n rm -rf -- "$home"', 'rm -f "$home/x"'),
}


@pytest.mark.parametrize("mutation", list(BROKEN))
def test_broken_prepare_is_caught(sample_workflow, workdir: Path, mutation: str) -> None:
    (step,) = copy.deepcopy(prepares(sample_workflow, "invariants-review"))
    step["run"] = BROKEN[mutation](step["run"])
    with pytest.raises(AssertionError):
        check_fresh_home(step, workdir)
