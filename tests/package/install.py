"""Build codex-kit's wheel from a copy of its sources and install it into a fresh venv outside the checkout.

What a user gets from `pip install codex-kit` (or a wheel, pipx, `pip install git+…`) is the wheel
alone: these helpers reproduce that. The build reads a copy of only what a build needs, which is
deleted before anything runs, so no file of the checkout can stand in for a missing piece of
package data. The third-party dependencies come from the test interpreter's own site-packages
through a `.pth` line (no network, no download), with codex-kit's own files (its editable hook and
metadata), pip and setuptools left out: `kit` can only be imported from the wheel just installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("pyproject.toml", "README.md", "kit", "data", "notebooks")
NOT_DEPENDENCIES = ("__editable__", "codex_kit", "kit", "pip", "setuptools", "pkg_resources", "_distutils_hack",
                    "distutils-precedence.pth", "__pycache__")  # fmt: skip


def run(args: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False, **kwargs)
    assert proc.returncode == 0, f"{args} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def copy_sources(dest: Path, extra: tuple[str, ...] = ()) -> Path:
    """The files a build reads (and `extra` ones), copied from the checkout without caches or build leftovers."""
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in (*BUILD_INPUTS, *extra):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=ignore)
        else:
            shutil.copy2(source, dest / name)
    return dest


def build_wheel(workdir: Path) -> Path:
    """The wheel, built offline from a copy of the sources that is deleted afterwards."""
    sources = copy_sources(workdir / "src")
    dist = workdir / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", dist,
         sources], cwd=workdir)  # fmt: skip
    shutil.rmtree(sources)
    (wheel,) = dist.glob("codex_kit-*.whl")
    return wheel


def dependency_folder(workdir: Path) -> Path:
    """Links to the test interpreter's installed dependencies, minus codex-kit itself, pip and setuptools."""
    folder = workdir / "deps"
    folder.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if not entry.name.startswith(NOT_DEPENDENCIES) and not entry.name.endswith(".pth"):
            (folder / entry.name).symlink_to(entry)
    return folder


def fresh_venv(venv: Path, deps: Path, with_pip: bool = False) -> Path:
    """A new venv (its own site-packages first) that sees `deps` after it, through a `.pth` line.

    nbconvert's templates are data files its wheel puts under the venv's `share/jupyter`, not in
    site-packages: they are linked there as installing nbconvert into this venv would have put them.
    """
    run([sys.executable, "-m", "venv", *([] if with_pip else ["--without-pip"]), venv])
    templates = Path(sys.prefix, "share", "jupyter", "nbconvert")
    (venv / "share" / "jupyter").mkdir(parents=True, exist_ok=True)
    (venv / "share" / "jupyter" / "nbconvert").symlink_to(templates)
    python = venv / "bin" / "python"
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    Path(purelib, "codex_kit_test_dependencies.pth").write_text(f"{deps}\n")
    return python


def install_wheel(python: Path, wheel: Path) -> None:
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel])


def clean_environment(venv: Path, home: Path, **extra: str) -> dict[str, str]:
    """What a user's shell would have: the venv's bin first, a home of its own, no PYTHONPATH."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "MPLBACKEND": "Agg"}  # fmt: skip
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # the machine's numpy settings, as the suite has them
        if name in os.environ:
            env[name] = os.environ[name]
    return {**env, **extra}
