"""`safety-strategy: unprivileged-user`: the home stays where codex-action derives it, and is still clean.

codex-action starts Codex as `sudo -u <codex-user> -- codex …`; sudo drops CODEX_HOME, so Codex reads
`~<codex-user>/.codex` whatever the workflow sets. The patched form of codex-action's own
unprivileged-user example (written here in the project's words) must therefore set no CODEX_HOME,
and its prepare step, run for real with a stand-in `sudo` on PATH, must turn a stale server-info
file back into the empty, world-writable file codex-action itself leaves for the proxy.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from kit.patch import yamlread
from kit.patch.workflow import patch_workflow
from kit.vocabulary import CONTRACT_STEP_NAME, PREPARE_STEP_NAME
from tests.steps.harness import JobSim, kit_steps
from tests.support import lint

# The shape of codex-action's examples/unprivileged-user.yml: a system user made by the job, the
# checkout shared with it, then Codex run as that user with no codex-home.
UNPRIVILEGED = """\
name: Codex as a separate user
on:
  workflow_dispatch:
jobs:
  as-guest:
    runs-on: ubuntu-latest
    steps:
      - name: Make the user
        run: sudo adduser --system --home /home/helper --shell /bin/bash --group helper
      - uses: actions/checkout@v5
      - name: Share the checkout
        run: sudo chown -R runner:helper "$GITHUB_WORKSPACE"
      - name: Codex as helper
        uses: openai/codex-action@v1
        with:
          openai-api-key: ${{ secrets.OPENAI_API_KEY }}
          safety-strategy: unprivileged-user
          codex-user: helper
          prompt: Say who you are.
"""

# Stands in for sudo: `-n` and `-u USER` are accepted; `printenv HOME` as another user prints that
# user's home from FAKE_SUDO_HOMES (user=dir,...); anything else runs as is and is logged.
FAKE_SUDO = r"""#!/bin/bash
user=""
while [ $# -gt 0 ]; do
  case "$1" in
    -n) shift ;;
    -u) user="$2"; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
echo "sudo${user:+ -u $user} $*" >> "$FAKE_SUDO_LOG"
if [ -n "$user" ] && [ "$1" = "printenv" ] && [ "$2" = "HOME" ]; then
  for pair in ${FAKE_SUDO_HOMES//,/ }; do
    if [ "${pair%%=*}" = "$user" ]; then echo "${pair#*=}"; exit 0; fi
  done
  exit 1
fi
exec "$@"
"""


def patched_job(text: str, job: str) -> dict[str, Any]:
    first = patch_workflow(text)
    assert patch_workflow(first.text).text == first.text, "a second run must change nothing"
    return yamlread.load(first.text)["jobs"][job]


def sim_with_sudo(root: Path, homes: dict[str, Path]) -> JobSim:
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    sudo = bin_dir / "sudo"
    sudo.write_text(FAKE_SUDO)
    sudo.chmod(0o755)
    sim = JobSim(root)
    sim.extra_env = {
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "FAKE_SUDO_LOG": str(root / "sudo.log"),
        "FAKE_SUDO_HOMES": ",".join(f"{user}={home}" for user, home in homes.items()),
    }
    return sim


def test_no_codex_home_is_set_and_a_note_says_why() -> None:
    result = patch_workflow(UNPRIVILEGED)
    job = yamlread.load(result.text)["jobs"]["as-guest"]
    codex = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("openai/codex-action"))
    assert "CODEX_HOME" not in (codex.get("env") or {})
    assert codex["continue-on-error"] is True
    (prepare,) = kit_steps(job, PREPARE_STEP_NAME)
    assert prepare["env"]["CODEX_KIT_SAFETY_STRATEGY"] == "unprivileged-user"
    assert prepare["env"]["CODEX_KIT_CODEX_USER"] == "helper"
    assert "CODEX_KIT_HOME" not in prepare["env"]
    (notes,) = [p.notes for p in result.jobs]
    assert any("unprivileged-user" in n and "stale <run id>.json" in n for n in notes)


def test_stale_server_info_is_cleared_in_the_derived_home(workdir: Path) -> None:
    (prepare,) = kit_steps(patched_job(UNPRIVILEGED, "as-guest"), PREPARE_STEP_NAME)
    user_home = workdir / "home-helper"
    sim = sim_with_sudo(workdir, {"helper": user_home})
    codex_home = user_home / ".codex"
    codex_home.mkdir(parents=True)
    (codex_home / "config.toml").write_text('model_provider = "codex-action-responses-proxy"\n')
    stale = codex_home / f"{sim.run_id}.json"
    stale.write_text('{"port": 40001, "pid": 77}\n')
    stale.chmod(0o444)
    result = sim.run(prepare)
    assert result.returncode == 0, result.log
    assert stale.exists() and stale.read_text() == "", "stale info gone, empty file back"
    assert stat.S_IMODE(stale.stat().st_mode) == 0o666
    assert (codex_home / "config.toml").exists(), "nothing else in the user's home is touched"
    assert "sudo -u helper printenv HOME" in (workdir / "sudo.log").read_text()
    assert not (sim.runner_temp / "codex-home").exists(), "no fresh home is made"
    assert f"Codex home stays at {codex_home}" in result.stdout


def test_first_run_leaves_the_home_to_codex_action(workdir: Path) -> None:
    (prepare,) = kit_steps(patched_job(UNPRIVILEGED, "as-guest"), PREPARE_STEP_NAME)
    user_home = workdir / "home-helper"
    user_home.mkdir()
    sim = sim_with_sudo(workdir, {"helper": user_home})
    result = sim.run(prepare)
    assert result.returncode == 0, result.log
    assert not (user_home / ".codex").exists(), "codex-action creates and owns the folder itself"


def test_unknown_user_is_left_to_codex_action(workdir: Path) -> None:
    (prepare,) = kit_steps(patched_job(UNPRIVILEGED, "as-guest"), PREPARE_STEP_NAME)
    sim = sim_with_sudo(workdir, {})
    result = sim.run(prepare)
    assert result.returncode == 0, result.log
    assert "cannot find the home of codex-user 'helper'" in result.stdout


EXPRESSION = UNPRIVILEGED.replace("safety-strategy: unprivileged-user", "safety-strategy: ${{ vars.CODEX_SAFETY }}")


@pytest.mark.parametrize("strategy", ["unprivileged-user", "drop-sudo"])
def test_strategy_given_as_an_expression_is_decided_when_the_step_runs(workdir: Path, strategy: str) -> None:
    job = patched_job(EXPRESSION, "as-guest")
    (prepare,) = kit_steps(job, PREPARE_STEP_NAME)
    codex = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("openai/codex-action"))
    assert "CODEX_HOME" not in (codex.get("env") or {}), "it may be unprivileged-user: no CODEX_HOME"
    user_home = workdir / "home-helper"
    sim = sim_with_sudo(workdir, {"helper": user_home})
    sim.extra_env["CODEX_KIT_SAFETY_STRATEGY"] = strategy  # what ${{ vars.CODEX_SAFETY }} renders to
    prepare = {**prepare, "env": {k: v for k, v in prepare["env"].items() if k != "CODEX_KIT_SAFETY_STRATEGY"}}
    for home in (user_home / ".codex", sim.home / ".codex"):
        home.mkdir(parents=True)
        (home / f"{sim.run_id}.json").write_text('{"port": 1, "pid": 2}\n')
        (home / "auth.json").write_text("{}")
    result = sim.run(prepare)
    assert result.returncode == 0, result.log
    cleared, untouched = (user_home, sim.home) if strategy == "unprivileged-user" else (sim.home, user_home)
    assert (cleared / ".codex" / f"{sim.run_id}.json").exists() is (strategy == "unprivileged-user")
    assert (untouched / ".codex" / f"{sim.run_id}.json").read_text() == '{"port": 1, "pid": 2}\n'
    assert (cleared / ".codex" / "auth.json").exists(), "a derived home keeps everything but the stale file"
    if strategy == "unprivileged-user":
        assert (cleared / ".codex" / f"{sim.run_id}.json").read_text() == ""


def test_contract_names_the_derived_home(workdir: Path) -> None:
    (contract,) = kit_steps(patched_job(UNPRIVILEGED, "as-guest"), CONTRACT_STEP_NAME)
    sim = JobSim(workdir)
    sim.record("codex-preflight", "success", {"reason": "ok"})
    sim.record("codex", "failure")
    result = sim.run(contract)
    assert result.returncode == 0, result.log
    assert "reason=codex-failed" in result.stdout
    assert "the Codex home is the one codex-action derives (safety-strategy unprivileged-user)" in result.stdout


def test_patched_example_adds_no_lint_finding(tmp_path: Path) -> None:
    folders = {}
    for name, text in (("before", UNPRIVILEGED), ("after", patch_workflow(UNPRIVILEGED).text)):
        folders[name] = tmp_path / name / ".github" / "workflows"
        folders[name].mkdir(parents=True)
        (folders[name] / "unprivileged.yml").write_text(text)
    found = {name: lint.actionlint([folder / "unprivileged.yml"]) for name, folder in folders.items()}
    assert found["after"] - found["before"] == {}
    assert lint.zizmor(folders["after"]) - lint.zizmor(folders["before"]) == {}
