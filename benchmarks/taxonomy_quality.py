"""Per-category precision and recall of the failure taxonomy on the labelled set of real failures.

Reads tests/analysis/real_failures.yaml (log lines users posted in public threads, each labelled with
the root cause the thread established), classifies each excerpt with `kit.analysis.classify.classify_log`
(the same cleaning, line filter and rules as a report) and prints a table: per category the excerpts
labelled with it (n), how many the taxonomy named so (tp), precision and recall; then the overall
micro-averaged precision and recall over named verdicts and the share left unrecognised, for the
whole set and for each split (`built`: the rules were written from these excerpts; `held-out`:
collected after the rules were written and first scored before any rule changed).

    .venv/bin/python benchmarks/taxonomy_quality.py [--taxonomy EXTRA.yaml] [--misses]

Precision counts only verdicts that name a cause (an `unrecognised` verdict is not a claim); recall
counts every excerpt whose label names a cause. tests/analysis/test_real_failures.py asserts the floors.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from kit.analysis.classify import classify_log
from kit.taxonomy import UNNAMED, UNRECOGNISED, Taxonomy, load_taxonomy

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "analysis" / "real_failures.yaml"


@dataclass(frozen=True)
class Scored:
    id: str
    truth: str
    predicted: str
    rule: str
    line: str


@dataclass(frozen=True)
class Quality:
    rows: list[dict]
    precision: float
    recall: float
    unrecognised_share: float
    scored: list[Scored]


def load_labelled(path: Path = LABELLED) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def score(entries: list[dict], taxonomy: Taxonomy | None = None) -> Quality:
    taxonomy = taxonomy or load_taxonomy()
    scored = []
    for entry in entries:
        verdict = classify_log("\n".join(entry["lines"]), taxonomy)
        scored.append(Scored(entry["id"], entry["category"], verdict.category, verdict.rule, verdict.line))
    pairs = Counter((s.truth, s.predicted) for s in scored)
    rows = []
    for category in sorted({s.truth for s in scored} | {s.predicted for s in scored}):
        tp = pairs[(category, category)]
        n = sum(v for (t, _), v in pairs.items() if t == category)
        named = sum(v for (_, p), v in pairs.items() if p == category)
        rows.append({"category": category, "n": n, "tp": tp, "predicted": named,
                     "precision": tp / named if named else float("nan"),
                     "recall": tp / n if n else float("nan")})  # fmt: skip
    claims = [s for s in scored if s.predicted not in UNNAMED]
    causes = [s for s in scored if s.truth not in UNNAMED]
    precision = sum(s.predicted == s.truth for s in claims) / len(claims) if claims else float("nan")
    recall = sum(s.predicted == s.truth for s in causes) / len(causes) if causes else float("nan")
    unrecognised = sum(s.predicted == UNRECOGNISED for s in scored) / len(scored) if scored else 0.0
    return Quality(rows, precision, recall, unrecognised, scored)


def render(quality: Quality, misses: bool = False) -> str:
    out = [f"{'category':<26}{'n':>4}{'tp':>5}{'named':>7}{'precision':>11}{'recall':>8}"]
    for row in quality.rows:
        out.append(
            f"{row['category']:<26}{row['n']:>4}{row['tp']:>5}{row['predicted']:>7}"
            f"{_fmt(row['precision']):>11}{_fmt(row['recall']):>8}"
        )
    out.append(_overall("overall", quality))
    if misses:
        for s in quality.scored:
            if s.truth != s.predicted:
                out.append(f"  miss {s.id}: labelled {s.truth}, named {s.predicted} ({s.rule or '-'}): {s.line[:120]}")
    return "\n".join(out)


def _overall(label: str, quality: Quality) -> str:
    total = len(quality.scored)
    categories = len({s.truth for s in quality.scored})
    return (
        f"{label}: {total} excerpts, {categories} categories; precision {_fmt(quality.precision)}, "
        f"recall {_fmt(quality.recall)}, unrecognised {quality.unrecognised_share:.1%}"
    )


def _fmt(value: float) -> str:
    return "-" if value != value else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", type=Path, help="a team rules file merged ahead of the shipped rules")
    parser.add_argument("--misses", action="store_true", help="list every excerpt the taxonomy got wrong")
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    args = parser.parse_args(argv)
    entries, taxonomy = load_labelled(args.labelled), load_taxonomy(args.taxonomy)
    print(render(score(entries, taxonomy), args.misses))
    for split in sorted({e.get("split", "built") for e in entries}):
        print(_overall(f"  {split}", score([e for e in entries if e.get("split", "built") == split], taxonomy)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
