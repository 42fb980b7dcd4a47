"""The failure taxonomy: ordered rules read from taxonomy.yaml, each with a meaning and a remedy.

Rules are data so that a reviewer can read and change them without reading code; this module only
compiles them. The classifier and the history fetch (which keeps the log lines worth classifying)
both read the same rules, which is why this module sits below both of them: it imports nothing of
codex-kit but the error type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from kit.errors import UsageError

RULES_FILE = Path(__file__).with_name("taxonomy.yaml")
NOT_FAILURES = ("skipped-on-fork",)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    pattern: re.Pattern[str]
    meaning: str
    remedy: str
    scope: str = "codex"
    requires: re.Pattern[str] | None = None
    server_info: bool = False
    blames_key: bool = False


@dataclass(frozen=True)
class Taxonomy:
    version: int
    rules: tuple[Rule, ...]

    def for_scope(self, scope: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.scope == scope)

    def categories(self, scope: str = "codex") -> list[str]:
        seen: dict[str, None] = {}
        for rule in self.for_scope(scope):
            seen.setdefault(rule.category, None)
        return [*seen, UNKNOWN]

    def describe(self) -> dict[str, tuple[str, str]]:
        """category -> (meaning, remedy) of its first rule."""
        found: dict[str, tuple[str, str]] = {}
        for rule in self.rules:
            found.setdefault(rule.category, (rule.meaning, rule.remedy))
        return found

    def signal(self) -> re.Pattern[str]:
        """Any line any rule (or a `requires`) could look at: what a fetch keeps of a log."""
        parts = [rule.pattern.pattern for rule in self.rules]
        parts += [rule.requires.pattern for rule in self.rules if rule.requires]
        return re.compile("|".join(f"(?:{p})" for p in parts))


@cache
def load_taxonomy(path: Path = RULES_FILE) -> Taxonomy:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = []
    for item in raw["rules"]:
        try:
            rules.append(
                Rule(
                    id=item["id"],
                    category=item["category"],
                    pattern=re.compile(item["pattern"]),
                    meaning=item["meaning"],
                    remedy=item["remedy"],
                    scope=item.get("scope", "codex"),
                    requires=re.compile(item["requires"]) if item.get("requires") else None,
                    server_info=bool(item.get("server_info", False)),
                    blames_key=bool(item.get("blames_key", False)),
                )
            )
        except (KeyError, re.error) as err:
            raise UsageError(f"{path}: rule {item.get('id', '?')} is malformed: {err}") from err
    return Taxonomy(int(raw["version"]), tuple(rules))
