"""One wheel, built and installed into a fresh venv once per test session (it takes seconds, not minutes)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.package.install import build_wheel, clean_environment, dependency_folder, fresh_venv, install_wheel


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    python: Path
    deps: Path
    workdir: Path  # outside the checkout; commands run here

    def env(self, **extra: str) -> dict[str, str]:
        return clean_environment(self.venv, self.workdir / "home", **extra)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(root)
    deps = dependency_folder(root)
    venv = root / "venv"
    python = fresh_venv(venv, deps)
    install_wheel(python, wheel)
    workdir = root / "work"
    workdir.mkdir()
    return Installed(wheel, venv, python, deps, workdir)
