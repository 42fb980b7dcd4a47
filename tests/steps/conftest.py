"""Patched workflows whose generated steps the tests in this folder run."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from kit.patch import yamlread
from kit.patch.workflow import patch_workflow

SAMPLE = Path(__file__).resolve().parents[1] / "sample_target"
CORPUS_PICKS = (
    "getzep__zep__codex-code-review.yml",
    "0-sayed__hena-wadeena__codex.yml",
    "tiann__hapi__codex-pr-review.yml",
    "luciferous-slack-outband-webhook__slack-outband-webhook__codex-code-review.yml",
)


def load(text: str) -> dict[str, Any]:
    return yamlread.load(text)


@pytest.fixture(scope="session")
def sample_workflow() -> dict[str, Any]:
    """The sample target's invariants.yml after `codex-kit patch`."""
    text = (SAMPLE / ".github" / "workflows" / "invariants.yml").read_text()
    return load(patch_workflow(text).text)


@pytest.fixture(scope="session")
def corpus_workflows(shared_dir: Path) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """A few real workflows: name -> (original data, patched data)."""
    picked = {}
    for name in CORPUS_PICKS:
        text = (shared_dir / "corpus" / "workflows" / name).read_text()
        picked[name] = (load(text), load(patch_workflow(text).text))
    return picked


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)
