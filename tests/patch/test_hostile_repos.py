"""`codex-kit patch` on repositories built to hurt it: symlinks and paths that lead outside, files
that change under it, alias bombs, deep nesting, huge and UTF-16 files.

Every case runs the CLI as a user would and asserts the exit code, the message, and that nothing
changed but the files meant to: the whole repository and a sentinel folder outside it are
snapshotted (bytes, modes, symlink targets) before and after.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from yaml import YAMLError

from kit.cli import main
from kit.patch import yamlread
from kit.patch.repo import patch_repo
from kit.patch.workflow import patch_workflow
from kit.textfile import MAX_BYTES, FileChanged, read_file, write_atomic
from kit.vocabulary import CONTRACT_STEP_NAME, PREFLIGHT_STEP_NAME
from tests.support import lint
from tests.support.tree import changed, snapshot

ROOT = Path(__file__).resolve().parents[2]

CODEX = """\
on: [push, pull_request]
jobs:
  review:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: openai/codex-action@v1
        with:
          openai-api-key: ${{ secrets.OPENAI_API_KEY }}
          prompt: Review.
          output-file: review.md
"""

ACTION = """\
name: review
runs:
  using: composite
  steps:
    - uses: openai/codex-action@v1
      with:
        openai-api-key: ${{ inputs.key }}
        prompt: Review.
"""

CALLER = """\
on: push
jobs:
  review:
    runs-on: ubuntu-latest
    steps:
      - uses: {ref}
"""

DB_TEST = """\
-- The single ACTIVE policy.
SELECT is(
    (SELECT count(*) FROM policies WHERE status = 'ACTIVE'),
    1::bigint,
    'exactly one ACTIVE policy'
);
"""

NORMAL = ".github/workflows/normal.yml"


@dataclass
class Site:
    """A repository with one ordinary Codex workflow and a DB test, and a sentinel folder beside it
    holding what an escape would damage: a Codex workflow, a Codex action and a DB test."""

    repo: Path
    outside: Path

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return path

    def link(self, rel: str, target: Path | str) -> Path:
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
        return path


@pytest.fixture
def site(tmp_path: Path) -> Site:
    outside = tmp_path / "outside"
    (outside / "github" / "workflows").mkdir(parents=True)
    (outside / "github" / "workflows" / "victim.yml").write_text(CODEX)
    (outside / "action").mkdir()
    (outside / "action" / "action.yml").write_text(ACTION)
    (outside / "victim.sql").write_text(DB_TEST)
    made = Site(tmp_path / "repo", outside)
    made.write(NORMAL, CODEX)
    made.write("db/test_policy.sql", DB_TEST)
    return made


@dataclass
class Run:
    code: int
    out: str
    err: str
    changed: set[str]


def patch(site: Site, capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    before = snapshot(site.repo, site.outside)
    code = main(["patch", str(site.repo), *args])
    captured = capsys.readouterr()
    after = snapshot(site.repo, site.outside)
    return Run(code, captured.out, captured.err, changed(before, after))


def paths(site: Site, *rels: str) -> set[str]:
    return {str(site.repo / rel) for rel in rels}


def no_traceback(run: Run) -> None:
    assert "Traceback" not in run.err and "Traceback" not in run.out


# --- 1. nothing is read or written outside the repository ---------------------------------------------
def test_a_symlinked_github_folder_is_refused_and_the_db_test_still_patched(site: Site, capsys) -> None:
    (site.repo / NORMAL).unlink()
    (site.repo / ".github" / "workflows").rmdir()
    (site.repo / ".github").rmdir()
    site.link(".github", site.outside / "github")
    run = patch(site, capsys)
    assert run.code == 3
    assert "refused .github: is a symlink" in run.err and "outside the repository" in run.err
    assert run.changed == paths(site, "db/test_policy.sql"), "the DB test is still patched, nothing else changes"
    no_traceback(run)


def test_a_symlinked_workflows_folder_is_refused_even_when_it_points_inside(site: Site, capsys) -> None:
    (site.repo / NORMAL).unlink()
    (site.repo / ".github" / "workflows").rmdir()
    site.write("ci/workflows/codex.yml", CODEX)
    site.link(".github/workflows", "../ci/workflows")
    run = patch(site, capsys)
    assert run.code == 3
    assert "refused .github/workflows: is a symlink (to ../ci/workflows, inside the repository)" in run.err
    assert run.changed == paths(site, "db/test_policy.sql")


def test_a_workflows_folder_symlinked_outside_is_never_followed(site: Site, capsys) -> None:
    (site.repo / NORMAL).unlink()
    (site.repo / ".github" / "workflows").rmdir()
    site.link(".github/workflows", site.outside / "github" / "workflows")
    run = patch(site, capsys, "--json")
    assert run.code == 3 and "outside the repository" in run.err
    assert run.changed == paths(site, "db/test_policy.sql")


@pytest.mark.parametrize("where", ["outside", "inside"])
def test_a_symlinked_workflow_is_refused_never_replaced_by_a_file(site: Site, capsys, where: str) -> None:
    if where == "outside":
        link = site.link(".github/workflows/linked.yml", site.outside / "github" / "workflows" / "victim.yml")
        reason = "refused .github/workflows/linked.yml: is a symlink to"
    else:
        site.write("ci/codex.yml", CODEX)
        link = site.link(".github/workflows/linked.yml", "../../ci/codex.yml")
        reason = "refused .github/workflows/linked.yml: is a symlink (to ../../ci/codex.yml)"
    run = patch(site, capsys)
    assert run.code == 3 and reason in run.err
    assert link.is_symlink()
    assert run.changed == paths(site, NORMAL, "db/test_policy.sql"), "the others are still patched"
    no_traceback(run)


def test_a_local_action_above_the_root_is_not_followed(site: Site, capsys) -> None:
    site.write(".github/workflows/caller.yml", CALLER.format(ref="./../outside/action"))
    run = patch(site, capsys)
    assert run.code == 3
    assert "refused ./../outside/action: used by .github/workflows/caller.yml: job `review`" in run.err
    assert "leads outside the repository" in run.err
    assert run.changed == paths(site, NORMAL, "db/test_policy.sql")


def test_a_local_action_symlinked_outside_is_not_followed(site: Site, capsys) -> None:
    site.link(".github/actions/review", site.outside / "action")
    site.write(".github/workflows/caller.yml", CALLER.format(ref="./.github/actions/review"))
    run = patch(site, capsys)
    assert run.code == 3 and "refused ./.github/actions/review" in run.err and "leads outside" in run.err
    assert run.changed == paths(site, NORMAL, "db/test_policy.sql")


def test_a_symlinked_actions_folder_is_refused(site: Site, capsys) -> None:
    (site.outside / "actions" / "review").mkdir(parents=True)
    (site.outside / "actions" / "review" / "action.yml").write_text(ACTION)
    site.link(".github/actions", site.outside / "actions")
    run = patch(site, capsys)
    assert run.code == 3 and "refused .github/actions: is a symlink" in run.err
    assert run.changed == paths(site, NORMAL, "db/test_policy.sql")


def test_a_symlinked_action_file_is_refused_not_replaced(site: Site, capsys) -> None:
    site.write("tools/review.yml", ACTION)
    site.link(".github/actions/review/action.yml", "../../../tools/review.yml")
    site.write(".github/workflows/caller.yml", CALLER.format(ref="./.github/actions/review"))
    run = patch(site, capsys)
    assert run.code == 3 and "refused .github/actions/review/action.yml: is a symlink" in run.err
    assert (site.repo / ".github/actions/review/action.yml").is_symlink()
    caller = ".github/workflows/caller.yml"
    assert run.changed == paths(site, NORMAL, caller, "db/test_policy.sql"), "its caller still gets the fork guard"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../outside/victim.sql", "`../outside/victim.sql` leads outside the repository"),
        ("ABSOLUTE", "is an absolute path; name files relative to the repository root"),
        ("db/linked.sql", "`db/linked.sql` leads outside the repository"),
        ("~/victim.sql", "`~/victim.sql` is an absolute path"),
        ("db/inside.sql", "db/inside.sql: is a symlink; the kit reads and edits only regular files"),
    ],
    ids=["dotdot", "absolute", "symlink-out", "home", "symlink-in"],
)
def test_db_tests_outside_the_repository_are_refused(site: Site, capsys, name: str, reason: str) -> None:
    site.link("db/linked.sql", site.outside / "victim.sql")
    site.link("db/inside.sql", "test_policy.sql")
    name = str(site.outside / "victim.sql") if name == "ABSOLUTE" else name
    site.write("pyproject.toml", f'[tool.codex-kit]\ndb-tests = ["{name}"]\n')
    run = patch(site, capsys)
    assert run.code == 3
    assert "refused " in run.err and "[tool.codex-kit] db-tests" in run.err and reason in run.err, run.err
    assert run.changed == paths(site, NORMAL), "the workflow is still patched; no DB test is touched"
    no_traceback(run)


def test_a_db_test_found_by_content_through_a_symlink_is_left_alone(site: Site, capsys) -> None:
    (site.repo / "db/test_policy.sql").unlink()
    site.link("db/test_policy.sql", site.outside / "victim.sql")
    run = patch(site, capsys)
    assert run.code == 0 and "no test asserting exactly one ACTIVE policy was found" in run.out
    assert run.changed == paths(site, NORMAL)


# --- 2. modes are kept; a file that changed since it was read is not overwritten ----------------------
def test_each_file_keeps_its_mode(site: Site, capsys) -> None:
    os.chmod(site.repo / NORMAL, 0o640)
    os.chmod(site.repo / "db/test_policy.sql", 0o755)
    run = patch(site, capsys)
    assert run.code == 0 and run.changed == paths(site, NORMAL, "db/test_policy.sql")
    assert (site.repo / NORMAL).stat().st_mode & 0o7777 == 0o640
    assert (site.repo / "db/test_policy.sql").stat().st_mode & 0o7777 == 0o755
    assert "Prepare Codex home" in (site.repo / NORMAL).read_text()


def test_write_atomic_keeps_the_mode_and_refuses_a_file_changed_since_it_was_read(tmp_path: Path) -> None:
    target = tmp_path / "w.yml"
    target.write_text("first\n")
    os.chmod(target, 0o600)
    _, state = read_file(target, "w.yml")
    write_atomic(target, b"second\n", expect=state, where="w.yml")
    assert target.read_bytes() == b"second\n" and target.stat().st_mode & 0o7777 == 0o600

    _, state = read_file(target, "w.yml")
    info = target.stat()
    target.write_bytes(b"SECOND\n")  # same size; the old mtime put back: only the bytes tell
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    with pytest.raises(FileChanged, match=r"w.yml: changed since the kit read it; not overwritten"):
        write_atomic(target, b"third\n", expect=state, where="w.yml")
    assert target.read_bytes() == b"SECOND\n"
    assert [p.name for p in tmp_path.iterdir()] == ["w.yml"], "no temporary file is left behind"


# A second program rewrites the workflow while the kit is about to replace it: the moment the kit
# creates its temporary file, a Python audit hook (a real event of the running interpreter, no
# function of the kit replaced) writes new content, as an editor saving the file would.
CONCURRENT_EDIT = """
import sys
from pathlib import Path
target = Path(sys.argv[1]) / ".github/workflows/normal.yml"
def edit(event, args):
    if event == "open" and str(args[0]).endswith(".codex-kit.tmp") and target.read_text().startswith("on:"):
        target.write_text("# edited meanwhile\\n" + target.read_text())
sys.addaudithook(edit)
from kit.cli import main
sys.exit(main(["patch", sys.argv[1]]))
"""


def test_a_workflow_edited_while_the_kit_runs_is_not_overwritten(site: Site) -> None:
    before = snapshot(site.repo, site.outside)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CONCURRENT_EDIT, str(site.repo)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 3, done.stderr
    assert "refused .github/workflows/normal.yml: changed since the kit read it; not overwritten" in done.stderr
    assert (site.repo / NORMAL).read_text() == "# edited meanwhile\n" + CODEX, "the other program's edit is kept"
    assert changed(before, snapshot(site.repo, site.outside)) == paths(site, NORMAL, "db/test_policy.sql")
    assert "Traceback" not in done.stderr


# --- 4. YAML is read with limits ----------------------------------------------------------------------
def alias_bomb() -> str:
    """The ten-line "billion laughs": each level aliases the one before it nine times."""
    lines = ['  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for before, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{before}"] * 9) + "]")
    return "env:\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (CODEX.replace("jobs:\n", alias_bomb() + "jobs:\n"), "its aliases stand for more than 100,000 nodes"),
        (CODEX + "  other:\n    runs-on: x\n    env:\n  " + alias_bomb().replace("\n", "\n  "), "an alias bomb"),
        (CODEX + "x: " + "[" * 100_000 + "]" * 100_000 + "\n", "nested more than 100 levels deep"),
        (CODEX + "x: " + "{a: " * 100_000 + "}" * 100_000 + "\n", "nested more than 100 levels deep"),
        (CODEX + "x: &x [*x]\n", "an alias refers to a node that contains it"),
    ],
    ids=["bomb-in-env", "bomb-outside-codex-jobs", "deep-flow-lists", "deep-flow-maps", "self-alias"],
)
def test_hostile_yaml_is_refused_quickly_and_the_others_are_patched(site: Site, capsys, text: str, reason: str) -> None:
    site.write(".github/workflows/hostile.yml", text)
    started = time.perf_counter()
    run = patch(site, capsys)
    print(f"\nrefused in {time.perf_counter() - started:.2f} s")  # a figure, not an assertion
    assert run.code == 3
    assert "refused .github/workflows/hostile.yml:" in run.err and reason in run.err
    assert run.changed == paths(site, NORMAL, "db/test_policy.sql")
    no_traceback(run)


def test_the_reader_counts_aliases_not_the_file() -> None:
    """Ordinary anchors pass: the cap is on what aliases stand for, far above any real workflow."""
    reused = "base: &base {runs-on: ubuntu-latest, timeout-minutes: 5}\n" + "".join(
        f"j{n}: *base\n" for n in range(2000)
    )
    assert len(yamlread.load(reused)) == 2001
    with pytest.raises(YAMLError, match="nested more than"):
        yamlread.load("[" * (yamlread.MAX_DEPTH + 1) + "]" * (yamlread.MAX_DEPTH + 1))
    assert yamlread.load("[" * yamlread.MAX_DEPTH + "]" * yamlread.MAX_DEPTH)


def test_a_file_over_the_size_limit_is_refused_unread(site: Site, capsys) -> None:
    padding = "# " + "x" * 1022 + "\n"
    site.write(".github/workflows/huge.yml", CODEX + padding * (MAX_BYTES // len(padding) + 1))
    run = patch(site, capsys, "--check")
    assert run.code == 3
    assert "refused .github/workflows/huge.yml: is 32.0 MB; the kit reads files up to 32.0 MB" in run.err
    assert run.changed == set()


# --- 5. UTF-16 and UTF-32 are named, not skipped -----------------------------------------------------
@pytest.mark.parametrize(
    ("encoding", "label"),
    [
        ("utf-16", "UTF-16 LE with a BOM"),
        ("utf-16-le", "UTF-16 LE, no BOM"),
        ("utf-16-be", "UTF-16 BE, no BOM"),
        ("utf-32", "UTF-32 LE with a BOM"),
        ("utf-32-be", "UTF-32 BE, no BOM"),
    ],
)
@pytest.mark.parametrize("mode", [[], ["--check"], ["--json"]], ids=["write", "check", "json"])
def test_a_wide_encoded_workflow_is_refused_not_skipped(
    site: Site, capsys, encoding: str, label: str, mode: list[str]
) -> None:
    site.write(".github/workflows/wide.yml", CODEX.encode(encoding))
    run = patch(site, capsys, *mode)
    assert run.code == 3
    assert f"refused .github/workflows/wide.yml: not UTF-8 (looks like {label})" in run.err
    assert run.changed == (set() if "--check" in mode else paths(site, NORMAL, "db/test_policy.sql"))


def test_a_wide_encoded_workflow_without_codex_is_nothing_to_the_kit(site: Site, capsys) -> None:
    site.write(".github/workflows/wide.yml", "on: push\njobs: {}\n".encode("utf-16"))
    run = patch(site, capsys)
    assert run.code == 0 and "wide.yml" not in run.out + run.err


# --- 6. a 2,000-job workflow: patched (near-linear, see benchmarks/patch_many_jobs.py) and still valid ----
MANY_JOB = """\
  review-{n}:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: openai/codex-action@v1
        with:
          openai-api-key: ${{{{ secrets.OPENAI_API_KEY }}}}
          prompt: Review part {n}.
          output-file: review-{n}.md
      - run: test -s review-{n}.md || exit 1
"""


def actionlint_findings(path: Path) -> Counter:
    """actionlint's findings on one file (its shellcheck pass off: the kit's scripts are checked with it
    elsewhere, and 8,000 shellcheck runs would only make this slow)."""
    done = subprocess.run(
        [lint.tool("actionlint"), "-shellcheck=", "-pyflakes=", "-format", "{{json .}}", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return Counter((f["kind"], f["message"]) for f in json.loads(done.stdout or "[]"))


def test_a_2000_job_workflow_is_patched_and_still_reads_and_lints(tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    original = "on: [push, pull_request]\njobs:\n" + "".join(MANY_JOB.format(n=n) for n in range(2000))
    (tmp_path / "original.yml").write_text(original)
    target = folder / "many.yml"
    target.write_text(original)
    started = time.perf_counter()
    result = patch_repo(tmp_path, diff=False)
    print(f"\n2,000 jobs patched in {time.perf_counter() - started:.1f} s ({target.stat().st_size / 1e6:.1f} MB)")
    (outcome,) = result.files
    assert outcome.status == "patched" and len(outcome.jobs) == 2000
    data = yaml.load(target.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # not the kit's reader
    for n in (0, 999, 1999):
        steps = data["jobs"][f"review-{n}"]["steps"]
        names = [step.get("name") for step in steps]
        assert names.count(PREFLIGHT_STEP_NAME) == 1 and names.count(CONTRACT_STEP_NAME) == 1
        codex = next(step for step in steps if str(step.get("uses", "")).startswith("openai/codex-action@"))
        assert codex["continue-on-error"] is True
        assert steps[-1]["run"] == f"test -s review-{n}.md || exit 0"
    assert len(data["jobs"]) == 2000
    assert actionlint_findings(target) - actionlint_findings(tmp_path / "original.yml") == Counter()


# --- 7. the OS refuses the write: a read-only folder, a full disk ------------------------------------
def cli(repo: Path, *args: str, prefix: tuple[str, ...] = (), preexec=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "kit.cli", "patch", str(repo), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=preexec,
    )


def without_permission_override() -> tuple[str, ...]:
    """Root ignores a folder's mode; the same process without the capabilities that let it (and with
    nothing else changed) meets the mode as any user would. Nothing to do for an ordinary user."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root needs util-linux's setpriv to drop the permission override")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner")


def test_a_read_only_workflows_folder_refuses_that_file_and_the_rest_goes_on(site: Site) -> None:
    prefix = without_permission_override()
    folder = site.repo / ".github" / "workflows"
    site.write(".github/workflows/second.yml", CODEX.replace("review:", "second:"))
    before = snapshot(site.repo, site.outside)
    os.chmod(folder, 0o555)
    try:
        done = cli(site.repo, prefix=prefix)
    finally:
        os.chmod(folder, 0o755)
    assert done.returncode == 3, done.stderr
    for name in ("normal.yml", "second.yml"):
        assert f"refused .github/workflows/{name}: cannot write it (Permission denied); left as it was" in done.stderr
    assert "Traceback" not in done.stderr
    after = snapshot(site.repo, site.outside)
    assert changed(before, after) == paths(site, "db/test_policy.sql"), "no temporary file, the DB test patched"


def test_a_full_disk_refuses_that_file_and_the_rest_goes_on(site: Site) -> None:
    """RLIMIT_FSIZE makes every write past 4 KB fail with EFBIG, as a full disk fails with ENOSPC: a real
    error from the kernel, raised inside the kit's own write. The small DB test still fits."""
    limit = 4096
    assert len(DB_TEST) < limit < len(patch_workflow(CODEX).text), "the patched workflow must outgrow the limit"

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    before = snapshot(site.repo, site.outside)
    done = cli(site.repo, preexec=small_files)
    assert done.returncode == 3, done.stderr
    assert "refused .github/workflows/normal.yml: cannot write it (File too large); left as it was" in done.stderr
    assert "Traceback" not in done.stderr
    assert changed(before, snapshot(site.repo, site.outside)) == paths(site, "db/test_policy.sql")
    assert (site.repo / NORMAL).read_text() == CODEX


def test_an_unreadable_workflows_folder_is_refused_and_the_rest_goes_on(site: Site) -> None:
    prefix = without_permission_override()
    folder = site.repo / ".github" / "workflows"
    before = snapshot(site.repo, site.outside)
    os.chmod(folder, 0o000)
    try:
        done = cli(site.repo, prefix=prefix)
    finally:
        os.chmod(folder, 0o755)
    assert done.returncode == 3, done.stderr
    assert "refused .github/workflows: cannot list it (Permission denied)" in done.stderr
    assert "Traceback" not in done.stderr
    assert changed(before, snapshot(site.repo, site.outside)) == paths(site, "db/test_policy.sql")


def test_a_local_action_name_the_file_system_refuses_is_not_followed(site: Site, capsys) -> None:
    site.write(".github/workflows/caller.yml", CALLER.format(ref="./" + "x" * 5000))
    run = patch(site, capsys)
    assert run.code == 0 and run.changed == paths(site, NORMAL, "db/test_policy.sql")
    no_traceback(run)
