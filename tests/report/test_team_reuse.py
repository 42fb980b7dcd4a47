"""A team report re-makes only the dashboards whose inputs changed: the rest are carried over from the
previous team report in the same folder, by fingerprint (history, parameters, kit and taxonomy)."""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from kit.cli import main
from tests.support.fake_github import FakeGitHub
from tests.support.history_builder import populate
from tests.support.team import HISTORIES, ORG, RUNS, build_org


@dataclass
class Report:
    printed: str
    team: dict
    index: str
    summary: str
    made: dict[str, str]  # repository -> its dashboard's own report.json made_at

    def counts(self) -> tuple[int, int]:
        made, reused = re.search(r"(\d+) made now and (\d+) reused", self.printed).groups()
        return int(made), int(reused)

    def rows(self) -> dict[str, dict]:
        return {row["repo"]: row for row in self.team["repositories"]}


def _report(out: Path, cache: Path, url: str, *extra: str) -> Report:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        main(["report", "--org", ORG, "--cache", str(cache), "--api-url", url, "--out", str(out), *extra])
    team = json.loads((out / "team.json").read_text())
    made = {
        row["repo"]: json.loads((out / row["report"]).read_text())["made_at"]
        for row in team["repositories"]
        if row["report"]
    }
    return Report(printed.getvalue(), team, (out / "index.html").read_text(), (out / "summary.md").read_text(), made)


def _without_times(team: dict) -> dict:
    """team.json less what says when (the team's made_at, each dashboard's made_at) and whether it was reused."""
    rows = [{k: v for k, v in row.items() if k not in ("made_at", "reused")} for row in team["repositories"]]
    return {**{k: v for k, v in team.items() if k != "made_at"}, "repositories": rows}


@dataclass
class Sequence:
    first: Report
    again: Report
    third: Report
    changed: Report
    since: Report
    cache: Path
    out: Path
    url: str


@pytest.fixture(scope="module")
def sequence(tmp_path_factory: pytest.TempPathFactory) -> Sequence:
    """Fetch the org, report it thrice; fetch after one repository got new runs, report; then --since."""
    folder = tmp_path_factory.mktemp("reuse")
    cache, out = folder / "cache", folder / "site"
    with (
        FakeGitHub("org/alpha") as fake,
        contextlib.redirect_stderr(io.StringIO()),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        build_org(fake)
        main(["fetch", "--org", ORG, "--cache", str(cache), "--api-url", fake.url])
        first = _report(out, cache, fake.url)
        again = _report(out, cache, fake.url)
        third = _report(out, cache, fake.url)
        first_id, _ = HISTORIES["org/echo"]
        populate(fake.repos["org/echo"], 5, seed=99, first_id=first_id + RUNS, hardened_after=first_id)
        main(["fetch", "--org", ORG, "--cache", str(cache), "--api-url", fake.url])
        changed = _report(out, cache, fake.url)
        since = _report(out, cache, fake.url, "--since", "2020-01-01")
    return Sequence(first, again, third, changed, since, cache, out, fake.url)


def test_a_rerun_with_nothing_changed_renders_no_notebook_and_writes_the_same_overview(sequence: Sequence) -> None:
    assert sequence.first.counts() == (3, 0)
    assert sequence.again.counts() == (0, 3) and sequence.third.counts() == (0, 3)
    assert sequence.again.made == sequence.first.made  # each dashboard is the one made by the first report
    assert all(row["reused"] for row in sequence.again.rows().values() if row["report"])
    assert not any(row["reused"] for row in sequence.first.rows().values())
    assert _without_times(sequence.again.team) == _without_times(sequence.first.team)
    assert sequence.again.summary == sequence.first.summary
    second, third = (dict(r.team, made_at=None) for r in (sequence.again, sequence.third))
    assert json.dumps(second) == json.dumps(third)  # byte for byte but the team's made_at
    footer = re.compile(r"made \d{4}-\d\d-\d\d \d\d:\d\d UTC</p>")
    assert footer.sub("", sequence.again.index) == footer.sub("", sequence.third.index)
    assert sequence.again.index.count("reused (made ") == 3 and "made now (" in sequence.first.index


def test_a_new_fetch_of_one_repository_remakes_exactly_its_dashboard(sequence: Sequence) -> None:
    assert sequence.changed.counts() == (1, 2)
    rows = sequence.changed.rows()
    assert [repo for repo, row in rows.items() if row["report"] and not row["reused"]] == ["org/echo"]
    assert sequence.changed.made["org/echo"] != sequence.first.made["org/echo"]
    assert {r: m for r, m in sequence.changed.made.items() if r != "org/echo"} == {
        r: m for r, m in sequence.first.made.items() if r != "org/echo"
    }
    assert rows["org/echo"]["fingerprint"] != sequence.first.rows()["org/echo"]["fingerprint"]
    assert rows["org/echo"]["runs"] == sequence.first.rows()["org/echo"]["runs"] + 5


def test_a_change_of_since_remakes_every_dashboard(sequence: Sequence) -> None:
    assert sequence.since.counts() == (3, 0)
    assert all(sequence.since.made[r] != sequence.changed.made[r] for r in HISTORIES)
    before, after = sequence.changed.rows(), sequence.since.rows()
    assert all(before[r]["fingerprint"] != after[r]["fingerprint"] for r in HISTORIES)


def test_a_dashboard_missing_a_file_or_without_a_fingerprint_is_made_again(sequence: Sequence) -> None:
    """Reuse trusts only a whole dashboard whose recorded fingerprint matches (runs after the fixture's reports)."""
    team = json.loads((sequence.out / "team.json").read_text())
    rows = {row["repo"]: row for row in team["repositories"]}
    (sequence.out / rows["org/alpha"]["page"]).unlink()
    rows["org/delta"]["fingerprint"] = None  # as a team report from before fingerprints wrote it
    (sequence.out / "team.json").write_text(json.dumps(team))
    after = _report(sequence.out, sequence.cache, sequence.url, "--since", "2020-01-01")
    assert after.counts() == (2, 1)
    assert [r for r, row in after.rows().items() if row["reused"]] == ["org/echo"]
    assert (sequence.out / rows["org/alpha"]["page"]).is_file()
