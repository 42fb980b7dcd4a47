"""The packages read top-down: cli → console → publish → report → analysis → history, with patch beside history and the
foundations (vocabulary, errors, textfile, taxonomy) below everything. No import runs upward or
sideways, including imports inside functions, and no library module takes argparse objects."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[1] / "kit"

# Higher numbers may import lower ones; equal numbers only within the same package.
LAYERS = {"cli": 8, "console": 7, "publish": 6, "report": 5, "analysis": 4, "sample": 3, "history": 2, "patch": 2}
FOUNDATION = 0


def _package(module: str) -> str:
    """`kit.history.fetch` → `history`; `kit.errors` → `errors`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _layer(package: str) -> int:
    return LAYERS.get(package, FOUNDATION)


def _kit_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kit"):
            names = [f"{node.module}.{alias.name}" for alias in node.names] if node.module == "kit" else [node.module]
            found += [(node.lineno, name) for name in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("kit.")]
    return found


def _modules() -> list[Path]:
    return sorted(KIT.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(KIT).as_posix())
def test_imports_point_down(path: Path) -> None:
    own = _package("kit." + ".".join(path.relative_to(KIT).with_suffix("").parts))
    wrong = []
    for line, target in _kit_imports(path):
        other = _package(target)
        if other == own:
            continue
        if _layer(other) > _layer(own) or (_layer(other) == _layer(own) and _layer(own) != FOUNDATION):
            wrong.append(f"line {line}: {own} imports {target}")
    assert not wrong, wrong


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from kit.report.views import summary_markdown\n")
    assert [target for _, target in _kit_imports(module)] == ["kit.report.views"]
    assert _layer(_package("kit.report.views")) > _layer("history")


@pytest.mark.parametrize("path", [p for p in _modules() if p.name != "cli.py"], ids=lambda p: p.name)
def test_no_library_module_takes_argparse(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert "argparse" not in imported
