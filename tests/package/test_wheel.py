"""From a wheel installed in a fresh venv with no checkout beside it, the commands work.

The wheel is built from a copy of the sources that is deleted before anything runs; the commands run
in a folder outside the checkout with no PYTHONPATH, and a probe shows `kit`, its sample and its
notebook are imported and read from the installed wheel only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import yaml

from kit import __version__
from tests.package.conftest import Installed
from tests.package.install import ROOT

SHA = "0123456789abcdef0123456789abcdef01234567"


def codex_kit(installed: Installed, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(installed.venv / "bin" / "codex-kit"), *args], cwd=cwd or installed.workdir, env=installed.env(),
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def test_the_wheel_holds_every_module_and_everything_read_at_run_time(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "kit").rglob("*.py")}
    assert modules - names == set(), "a module under kit/ is missing from the wheel: list its package in pyproject"
    sample = {f"kit/data/{p.relative_to(ROOT / 'data').as_posix()}" for p in (ROOT / "data" / "sample").rglob("*.*")}
    data = {"kit/notebooks/reliability_report.ipynb", "kit/taxonomy.yaml", "kit/taxonomy.schema.json",
            "kit/report/report.schema.json"}  # fmt: skip
    assert sample and (sample | data) - names == set()
    assert not [n for n in names if n.endswith(".data/") or "/share/" in n]  # no data-files outside the package


def test_kit_is_imported_from_the_installed_wheel_only(installed: Installed) -> None:
    probe = (
        "import json, sys, kit, kit.data, kit.notebooks\n"
        "from pathlib import Path\n"
        "from kit.history.locations import SAMPLE_ROOT\n"
        "from kit.report.run import NOTEBOOK\n"
        "shadows = [p for p in sys.path if p and Path(p, 'kit').exists()]\n"
        "print(json.dumps({'kit': kit.__file__, 'sample': str(SAMPLE_ROOT), 'notebook': str(NOTEBOOK),\n"
        "                  'shadows': shadows, 'cwd_on_path': '' in sys.path}))\n"
    )
    proc = subprocess.run([str(installed.python), "-c", probe], cwd=installed.workdir, env=installed.env(),
                          capture_output=True, text=True, check=True)  # fmt: skip
    seen = json.loads(proc.stdout)
    site = Path(seen["kit"]).parents[1]
    assert site.is_relative_to(installed.venv), seen
    assert seen["shadows"] == [str(site)], "only the venv's site-packages may hold a `kit` package"
    for key in ("sample", "notebook"):
        assert Path(seen[key]).is_relative_to(site) and Path(seen[key]).exists(), seen
        assert not Path(seen[key]).resolve().is_relative_to(ROOT), seen


def test_version(installed: Installed) -> None:
    proc = codex_kit(installed, "--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"codex-kit {__version__}"


def test_the_sample_report_from_the_wheel(installed: Installed) -> None:
    out = installed.workdir / "report"
    proc = codex_kit(installed, "report", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "acme/ledger invariants.yml" in proc.stdout and "PASS" in proc.stdout
    html = (out / "reliability_report.html").read_text(encoding="utf-8")
    assert "Codex reliability" in html and len(html) > 100_000
    assert json.loads((out / "report.json").read_text())["repo"] == "acme/ledger"


def test_patch_check_then_patch_from_the_wheel(installed: Installed) -> None:
    target = installed.workdir / "target"
    shutil.copytree(ROOT / "tests" / "sample_target", target)
    before = codex_kit(installed, "patch", "--check", str(target))
    assert before.returncode == 1 and "would patch: .github/workflows/invariants.yml" in before.stdout, before
    assert codex_kit(installed, "patch", str(target)).returncode == 0
    after = codex_kit(installed, "patch", "--check", str(target))
    assert after.returncode == 0 and "already hardened" in after.stdout


def test_schedule_from_the_wheel(installed: Installed) -> None:
    proc = codex_kit(installed, "schedule", "--action", f"acme/codex-kit@{SHA}", "--issue")
    assert proc.returncode == 0, proc.stderr
    workflow = yaml.safe_load(proc.stdout)
    steps = workflow["jobs"]["report"]["steps"]
    assert [s["uses"] for s in steps if "uses" in s] == [f"acme/codex-kit@{SHA}"]
