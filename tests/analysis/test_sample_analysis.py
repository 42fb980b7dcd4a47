"""The analysis on the generated sample: classification against ground truth, cutover, verdicts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from kit.analysis.criteria import FAIL, NED, PASS, analyse
from kit.analysis.parameters import ReportParameters
from kit.analysis.stats import fisher_p, wilson
from kit.errors import UsageError
from kit.history.cache import HistoryCache, cache_folder
from kit.sample import REPO, SAMPLE_DIR, Scenario, generate, write_sample


@pytest.fixture(scope="module")
def sample():
    generated = generate()
    return generated, generated.history()


def test_every_generated_failure_gets_its_category(sample) -> None:
    generated, history = sample
    failures = analyse(history).failures
    predicted = dict(zip(failures["job_id"], failures["category"], strict=True))
    truth = generated.truth
    confusion = Counter((truth.get(j), predicted.get(j)) for j in set(truth) | set(predicted))
    lines = []
    for category in sorted({c for c in truth.values()}):
        tp = confusion[(category, category)]
        fp = sum(n for (t, p), n in confusion.items() if p == category and t != category)
        fn = sum(n for (t, p), n in confusion.items() if t == category and p != category)
        lines.append(f"{category}: precision {tp / (tp + fp):.2f} recall {tp / (tp + fn):.2f} (n={tp + fn})")
    print("\n" + "\n".join(lines))
    assert predicted == truth


def test_sample_verdicts_all_pass(sample) -> None:
    _, history = sample
    analysis = analyse(history)
    assert [v.status for v in analysis.verdicts] == [PASS] * 5, analysis.verdict_table().to_string()
    assert analysis.cutover.how == "detected"
    assert (analysis.window == "excluded").sum() == Scenario().stale_branch_runs


def test_server_info_failure_after_cutover_fails_the_criterion() -> None:
    history = generate(Scenario(after_server_info_failures=3)).history()
    verdicts = {v.id: v for v in analyse(history).verdicts}
    assert verdicts["server-info"].status == FAIL
    assert len(verdicts["server-info"].evidence) == 3
    assert all(
        url.startswith("https://github.com/acme/ledger/actions/runs/") for _, url in verdicts["server-info"].evidence
    )


def test_too_little_after_the_cutover_is_not_enough_data() -> None:
    history = generate(Scenario(days=30, cutover_day=29, runs_per_day=12)).history()
    statuses = {v.id: v.status for v in analyse(history).verdicts}
    assert statuses["server-info"] == NED and statuses["actionable"] == NED
    assert PASS not in {statuses["server-info"], statuses["non-blocking"], statuses["actionable"]}


def test_no_hardening_yet_means_no_after_window() -> None:
    history = generate(Scenario(days=20, cutover_day=40)).history()
    analysis = analyse(history)
    assert analysis.cutover.at is None and {v.status for v in analysis.verdicts} == {NED}


def test_explicit_cutover_date_and_sha(sample) -> None:
    _, history = sample
    by_date = analyse(history, ReportParameters(cutover="2026-09-01"))
    assert by_date.cutover.how == "given-date"
    assert (by_date.window == "excluded").sum() > 100, "hardened runs are never counted before the change"
    sha = history.runs.sort_values("created_at").iloc[2000]["head_sha"][:12]
    assert analyse(history, ReportParameters(cutover=sha)).cutover.how == "given-sha"
    with pytest.raises(UsageError, match="neither a date"):
        analyse(history, ReportParameters(cutover="yesterday-ish"))


def test_rates_and_statistics(sample) -> None:
    _, history = sample
    rates = analyse(history).rates.set_index("category")
    assert rates.loc["stale-server-info", "after_failures"] == 0
    assert rates.loc["stale-server-info", "fisher_p"] < 0.001
    low, high = wilson(5, 100)
    assert 0.02 < low < 0.05 < high < 0.12
    assert fisher_p(10, 100, 10, 100) == pytest.approx(1.0)


def test_a_wilson_interval_holds_the_rate_it_is_about() -> None:
    """Never a lower bound of 1e-19 over a rate of 0 (a report over 463 attempts drew a negative error bar)."""
    for total in range(1, 5000):
        for hits in {0, 1, total // 2, total - 1, total}:
            low, high = wilson(hits, total)
            assert 0.0 <= low <= hits / total <= high <= 1.0, (hits, total, low, high)


def test_shipped_sample_is_what_the_generator_writes(tmp_path: Path) -> None:
    write_sample(tmp_path)
    files = sorted(p.relative_to(SAMPLE_DIR) for p in SAMPLE_DIR.rglob("*") if p.is_file() and p.name != "__init__.py")
    assert [p.as_posix() for p in files] == [
        "_dataset.json",
        "_repos/acme__ledger/state.json",
        *(f"{name}/repo=acme__ledger/part-0.parquet" for name in ("jobs", "log_lines", "runs", "steps")),
    ]
    for name in files:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name
    history = HistoryCache(cache_folder(SAMPLE_DIR, REPO)).load()
    assert history.unvouched == set(), "the manifest names the shipped tables"
    assert len(history.runs) > 2000 and isinstance(history.runs["created_at"].dtype, pd.DatetimeTZDtype)


def test_reruns_that_passed_are_marked(sample) -> None:
    _, history = sample
    failures = analyse(history).failures
    fixed = failures[failures["fixed_by_rerun"]]
    assert len(fixed) > 0
    jobs = history.jobs
    for row in fixed.itertuples():
        later = jobs[
            (jobs["run_id"] == row.run_id) & (jobs["name"] == row.job_name) & (jobs["run_attempt"] > row.run_attempt)
        ]
        assert (later["conclusion"] == "success").any()
    assert not failures[failures["latest_attempt"] & failures["fixed_by_rerun"]].shape[0]
