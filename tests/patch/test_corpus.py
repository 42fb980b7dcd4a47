"""The patch on real public workflows (shared/corpus): patched or refused, never damaged.

Every file is patched in one temporary repository, as a user would run the kit; then the whole
set is checked with the real linters against the originals, so only findings the patch added
count against it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kit.patch.repo import RepoResult, patch_repo
from kit.patch.yamldoc import Document
from tests.support import lint


@pytest.fixture(scope="module")
def corpus(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, RepoResult]:
    """(original folder, patched repository, result of the first run) for every corpus workflow."""
    root = tmp_path_factory.mktemp("corpus")
    original = root / "original" / ".github" / "workflows"
    repo = root / "repo"
    folder = repo / ".github" / "workflows"
    folder.mkdir(parents=True)
    original.mkdir(parents=True)
    for source in sorted((shared_dir / "corpus" / "workflows").glob("*.y*ml")):
        shutil.copyfile(source, original / source.name)
        shutil.copyfile(source, folder / source.name)
    return original, repo, patch_repo(repo)


def job_spans(text: str) -> dict[str, str]:
    """The text of each job, from its key line to the next job's key line."""
    doc = Document.parse(text)
    jobs = Document.get(doc.root, "jobs")
    keys = [key for key, _ in jobs.value]
    spans = {}
    for index, key in enumerate(keys):
        start = doc.offset(key.start_mark.line)
        end = doc.offset(keys[index + 1].start_mark.line) if index + 1 < len(keys) else len(doc.text)
        spans[str(key.value)] = doc.text[start:end]
    return spans


def test_every_workflow_is_patched_or_refused_with_a_reason(corpus) -> None:
    original, _, result = corpus
    names = {f.path.split("/")[-1]: f for f in result.files}
    assert set(names) == {p.name for p in original.iterdir()}, "every corpus file uses codex-action"
    for name, outcome in names.items():
        assert outcome.status in ("patched", "refused"), name
        if outcome.status == "refused":
            assert outcome.error and name in outcome.error
    patched = sum(f.status == "patched" for f in result.files)
    print(f"\ncorpus: {patched} patched, {len(result.refused)} refused of {len(result.files)}")
    assert patched >= len(result.files) - 3


def test_patched_workflows_are_idempotent(corpus) -> None:
    _, repo, _ = corpus
    before = {p.name: p.read_bytes() for p in (repo / ".github" / "workflows").iterdir()}
    again = patch_repo(repo)
    assert all(f.status in ("unchanged", "refused") for f in again.files)
    assert before == {p.name: p.read_bytes() for p in (repo / ".github" / "workflows").iterdir()}


def test_non_codex_jobs_are_byte_identical(corpus) -> None:
    original, repo, result = corpus
    for outcome in result.changed:
        name = outcome.path.split("/")[-1]
        old = job_spans((original / name).read_text())
        new = job_spans((repo / outcome.path).read_text())
        assert old.keys() == new.keys(), name
        for job in old.keys() - outcome.jobs.keys():
            assert old[job] == new[job], f"{name}: job `{job}` changed"


def test_schema_status_is_never_made_worse(corpus) -> None:
    original, repo, result = corpus
    names = [f.path.split("/")[-1] for f in result.changed]
    before = lint.schema_failures([original / n for n in names])
    after = lint.schema_failures([repo / ".github" / "workflows" / n for n in names])
    print(f"\nschema: {len(names) - len(after)} of {len(names)} patched files pass; failing before and after: {after}")
    assert after <= before


def test_no_new_actionlint_findings(corpus) -> None:
    original, repo, _ = corpus
    before = lint.actionlint(sorted(original.iterdir()))
    after = lint.actionlint(sorted((repo / ".github" / "workflows").iterdir()))
    assert after - before == {}


def test_no_new_zizmor_findings(corpus) -> None:
    original, repo, _ = corpus
    before = lint.zizmor(original)
    after = lint.zizmor(repo / ".github" / "workflows")
    assert after - before == {}


def test_negatives_stay_byte_identical(shared_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    sources = sorted((shared_dir / "corpus" / "negatives").glob("*.y*ml"))
    for source in sources:
        shutil.copyfile(source, folder / source.name)
    result = patch_repo(tmp_path)
    assert [f.path for f in result.files if f.status != "refused"] == []
    for source in sources:
        assert (folder / source.name).read_bytes() == source.read_bytes()


def test_every_condition_the_patch_wrote_evaluates(corpus, tmp_path: Path) -> None:
    """The jobs' and the kit steps' conditions parse and evaluate for every kind of run (the evaluator
    is GitHub's rules; a condition it cannot read is one GitHub might not either)."""
    from kit.patch import yamlread
    from kit.patch.ghexpr import condition
    from kit.vocabulary import KIT_STEP_NAMES
    from tests.steps.harness import EVENTS, JobSim

    _, repo, result = corpus
    contexts = [JobSim(tmp_path / event, event=event).context() for event in EVENTS]
    checked = 0
    for outcome in result.changed:
        data = yamlread.load((repo / outcome.path).read_text())
        for job_id in outcome.jobs:
            job = data["jobs"][job_id]
            kit = [s for s in job["steps"] if isinstance(s, dict) and s.get("name") in KIT_STEP_NAMES]
            codex = [s for s in job["steps"] if "openai/codex-action@" in str(s.get("uses", ""))]
            for value in [job.get("if")] + [s.get("if") for s in kit + codex]:
                for ctx in contexts:
                    condition(value, ctx)
                checked += 1
    print(f"\nconditions evaluated: {checked} in {len(result.changed)} patched files")
    assert checked > len(result.changed)
