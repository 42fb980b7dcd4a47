"""The reasons the kit's steps print are the reasons the taxonomy reads: one list, checked on both sides."""

from __future__ import annotations

import pytest

from kit.analysis.classify import match_lines
from kit.patch.scripts import CONTRACT, PREFLIGHT
from kit.taxonomy import load_taxonomy
from kit.vocabulary import CONTRACT_REASONS, PREFLIGHT_REASONS, contract_line, preflight_line

RULES = load_taxonomy().for_scope("codex")


@pytest.mark.parametrize("reason", sorted(set(PREFLIGHT_REASONS) - {"ok"}))
def test_every_preflight_reason_is_printed_and_classified(reason: str) -> None:
    assert f"fail {reason} " in PREFLIGHT, f"the preflight script never reports {reason}"
    for line in (f"##[error]{preflight_line('codex-preflight', reason)} status=401",
                 f"##[warning]{contract_line('review', f'preflight-{reason}')}"):  # fmt: skip
        match = match_lines([(1, line)], RULES)
        assert match.rule is not None and match.rule.id.startswith("kit-preflight"), line


@pytest.mark.parametrize("reason", sorted(CONTRACT_REASONS))
def test_every_contract_reason_is_printed_and_classified(reason: str) -> None:
    assert f'reason="{reason}"' in CONTRACT, f"the contract script never reports {reason}"
    match = match_lines([(1, f"##[warning]{contract_line('review', reason)}")], RULES)
    assert match.rule is not None and match.rule.id.startswith("kit-"), reason


def test_scripts_read_only_variables_the_vocabulary_defines() -> None:
    import re

    from kit import vocabulary
    from kit.patch.scripts import PREPARE

    defined = {value for name, value in vars(vocabulary).items() if name.startswith("ENV_")}
    for script in (PREPARE, PREFLIGHT, CONTRACT):
        assert not re.search(r"@[A-Z_]+@", script), "a template token was left unfilled"
        read = set(re.findall(r"\$\{(CODEX_KIT_[A-Z_]+)", script))
        assert read and read <= defined, read - defined
