"""The taxonomy on real failures users reported (real_failures.yaml): the set's shape and the floors.

The floors are the issue's: precision >= 0.95 and recall >= 0.90 overall, unrecognised <= 5%. The
per-category table is printed by benchmarks/taxonomy_quality.py (the scoring lives there, once).
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from kit.taxonomy import UNRECOGNISED, load_taxonomy

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "taxonomy_quality.py"


@pytest.fixture(scope="module")
def quality_module():
    spec = importlib.util.spec_from_file_location("taxonomy_quality", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def entries(quality_module) -> list[dict]:
    return quality_module.load_labelled()


def test_the_labelled_set_is_big_and_varied_enough(entries: list[dict]) -> None:
    categories = Counter(entry["category"] for entry in entries)
    assert len(entries) >= 60 and len(categories) >= 12, categories
    assert len({entry["id"] for entry in entries}) == len(entries)


def test_every_entry_cites_its_thread_and_quotes_lines(entries: list[dict]) -> None:
    known = {*load_taxonomy().categories(), UNRECOGNISED}
    for entry in entries:
        assert set(entry) == {"id", "source", "category", "split", "note", "lines"}, entry["id"]
        assert entry["source"].startswith("https://github.com/"), entry["id"]
        assert entry["lines"] and all(isinstance(line, str) and line for line in entry["lines"]), entry["id"]
        assert entry["note"].strip() and "\n" not in entry["note"], entry["id"]
        assert entry["category"] in known, entry["id"]
        assert entry["split"] in ("built", "held-out"), entry["id"]


def test_precision_recall_and_unrecognised_share_meet_the_floors(quality_module, entries: list[dict]) -> None:
    quality = quality_module.score(entries)
    table = quality_module.render(quality, misses=True)
    print("\n" + table)
    assert quality.precision >= 0.95, table
    assert quality.recall >= 0.90, table
    assert quality.unrecognised_share <= 0.05, table


def test_every_verdict_on_the_set_has_an_evidence_line(quality_module, entries: list[dict]) -> None:
    for scored in quality_module.score(entries).scored:
        assert scored.line.strip(), scored.id
