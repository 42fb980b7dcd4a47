"""A taxonomy file cannot be wrong quietly: schema, unique ids, meaning and remedy, team rules files."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest
import yaml

from kit.analysis.classify import classify_log
from kit.errors import UsageError
from kit.taxonomy import BUILT_IN, RULES_FILE, UNNAMED, load_taxonomy, read_rules

RULE = {
    "id": "team-oom",
    "category": "out-of-memory",
    "pattern": "Killed\\s+codex",
    "meaning": "The runner killed Codex for memory.",
    "remedy": "Use a larger runner.",
}


def _write(tmp_path: Path, rules: list[dict], version: int = 1, **top) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump({"version": version, "rules": rules, **top}, sort_keys=False), encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(UsageError) as caught:
        read_rules(path)
    return str(caught.value)


@pytest.mark.parametrize("key", ["unless", "patern", "server-info"])
def test_a_misspelt_or_unknown_key_is_an_error_naming_the_file_and_the_rule(tmp_path: Path, key: str) -> None:
    path = _write(tmp_path, [{**RULE, key: "x"}])
    message = _error(path)
    assert str(path) in message and "rule team-oom" in message and repr(key) in message
    assert "requires" in message  # the keys a rule may have are listed


def test_the_shipped_file_names_no_key_the_schema_does_not_know() -> None:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    keys = {key for rule in raw["rules"] for key in rule}
    assert keys <= {"id", "category", "pattern", "meaning", "remedy", "scope", "requires", "server_info", "blames_key"}
    text = RULES_FILE.read_text(encoding="utf-8")
    assert "`unless`" not in text and "unless:" not in text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"remedy": None}, "'remedy' is a required property"),
        ({"meaning": "   "}, "does not match"),
        ({"category": "unrecognised"}, "reserved"),
        ({"category": "Out Of Memory"}, "does not match"),
        ({"scope": "nightly"}, "is not one of"),
        ({"server_info": "yes"}, "is not of type 'boolean'"),
    ],
)
def test_every_rule_has_a_category_a_meaning_and_a_remedy(tmp_path: Path, change: dict, expected: str) -> None:
    rule = {k: v for k, v in {**RULE, **change}.items() if v is not None}
    message = _error(_write(tmp_path, [rule]))
    assert "rule team-oom" in message and expected in message


def test_rule_ids_are_unique(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, [RULE, {**RULE, "pattern": "oom"}]))
    assert "rule team-oom" in message and "twice" in message


def test_a_pattern_that_does_not_compile_names_its_rule(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, [{**RULE, "pattern": "Killed ("}]))
    assert "rule team-oom" in message and "regular expression" in message


def test_top_level_problems_name_the_file(tmp_path: Path) -> None:
    assert "'version' is a required property" in _error(_missing_version(tmp_path))
    path = _write(tmp_path, [RULE], versions=2)
    assert str(path) in _error(path) and "'versions' was unexpected" in _error(path)
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n", encoding="utf-8")
    assert "not valid YAML" in _error(broken)
    assert "cannot read" in _error(tmp_path / "absent.yaml")


def _missing_version(tmp_path: Path) -> Path:
    path = tmp_path / "noversion.yaml"
    path.write_text(yaml.safe_dump({"rules": [RULE]}), encoding="utf-8")
    return path


def test_the_shipped_taxonomy_validates_and_every_category_is_explained() -> None:
    taxonomy = load_taxonomy()
    described = taxonomy.describe()
    for scope in ("codex", "db"):
        for category in taxonomy.categories(scope):
            meaning, remedy = described[category]
            assert meaning.strip() and remedy.strip(), category
    assert set(UNNAMED) <= set(BUILT_IN)
    assert len({rule.id for rule in taxonomy.rules}) == len(taxonomy.rules)


def test_team_rules_are_tried_ahead_of_the_shipped_ones(tmp_path: Path) -> None:
    team = _write(tmp_path, [{**RULE, "pattern": "Killed\\s+codex|stream disconnected"}])
    taxonomy = load_taxonomy(team)
    assert taxonomy.rules[0].id == "team-oom" and taxonomy.rules[0].source == str(team)
    assert taxonomy.extra == str(team) and taxonomy.version == load_taxonomy().version
    log = "ERROR: stream disconnected before completion: error sending request for url (x)\n"
    assert classify_log(log).category == "network-upstream"
    assert classify_log(log, taxonomy).category == "out-of-memory"
    assert "out-of-memory" in taxonomy.categories() and taxonomy.describe()["out-of-memory"][1] == RULE["remedy"]


def test_a_team_rule_line_without_an_error_word_is_still_kept(tmp_path: Path) -> None:
    """The fetch keeps only lines some rule (or the generic error pattern) could look at: the team's too."""
    taxonomy = load_taxonomy(_write(tmp_path, [RULE]))
    verdict = classify_log("2026-06-01T10:00:00.0000000Z Killed   codex --full-auto\n", taxonomy)
    assert (verdict.category, verdict.rule, verdict.line_no) == ("out-of-memory", "team-oom", 1)


def test_a_team_rule_cannot_reuse_a_shipped_id(tmp_path: Path) -> None:
    team = _write(tmp_path, [{**RULE, "id": "quota"}])
    with pytest.raises(UsageError, match=re.escape(str(team)) + r".*quota.*already a shipped rule"):
        load_taxonomy(team)


def test_the_schema_is_package_data() -> None:
    schema = resources.files("kit").joinpath("taxonomy.schema.json")
    assert schema.is_file()
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*.json" in pyproject["tool"]["setuptools"]["package-data"]["kit"]
    assert any(dep.startswith("jsonschema") for dep in pyproject["project"]["dependencies"])


def test_the_schema_reserves_exactly_the_built_in_categories() -> None:
    from kit.taxonomy import RESERVED, schema

    reserved = schema()["$defs"]["rule"]["properties"]["category"]["not"]["enum"]
    assert sorted(reserved) == sorted(RESERVED)
