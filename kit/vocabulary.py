"""The words the patch writes into workflows and the report reads back out of CI history.

The step names, the step-id prefixes and the warning format live here and only here: the patch
imports them to write steps, the history fetch and the classifier import them to recognise those
steps and their log lines. Changing a value here changes both sides at once; never spell these
strings anywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

PREPARE_STEP_NAME: Final = "Prepare Codex home"
PREFLIGHT_STEP_NAME: Final = "Codex preflight"
CONTRACT_STEP_NAME: Final = "Codex output contract"
KIT_STEP_NAMES: Final = (PREPARE_STEP_NAME, PREFLIGHT_STEP_NAME, CONTRACT_STEP_NAME)

PREFLIGHT_ID: Final = "codex-preflight"
CODEX_ACTION: Final = "openai/codex-action"
# A local action (`uses: ./folder`) is the folder's action file, by the first of these names it holds.
LOCAL_ACTION_FILES: Final = ("action.yml", "action.yaml")

# Environment variables the kit's own steps read. CODEX_KIT_STEP ties a kit step to the Codex
# step it serves, which is how a second run of the patch recognises work it already did.
ENV_STEP: Final = "CODEX_KIT_STEP"
ENV_HOME: Final = "CODEX_KIT_HOME"
ENV_API_KEY: Final = "CODEX_KIT_API_KEY"
ENV_BASE_URL: Final = "CODEX_KIT_OPENAI_BASE_URL"
ENV_CHECK_KEY: Final = "CODEX_KIT_CHECK_KEY"

# Every line the kit's steps print for the report starts with this prefix.
MESSAGE_PREFIX: Final = "codex-kit:"
PREFLIGHT_FAILED: Final = "preflight failed"
PREFLIGHT_OK: Final = "preflight ok"
KEY_ACCEPTED: Final = "OpenAI accepted the key"  # what a preflight that asked OpenAI adds
OUTPUT_MISSING: Final = "codex output missing"

# Reasons a preflight reports (also the value of its `reason` step output).
PREFLIGHT_REASONS: Final = {
    "ok": "the key was accepted by GET /v1/models",
    "missing-key": "the OpenAI API key is empty (secret unset, or withheld from a fork PR or Dependabot run)",
    "invalid-key": "OpenAI rejected the key as invalid (401 invalid_api_key)",
    "key-rejected": "OpenAI did not accept the key (401 without invalid_api_key)",
    "no-quota": "the key's organisation or project has no quota or credit left (429 insufficient_quota)",
    "rate-limited": "OpenAI rate-limited the key (429 rate_limit_exceeded)",
    "other": "OpenAI answered something else (see status and code)",
}

# Reasons the output contract reports. A failed preflight is reported as `preflight-<reason>`.
CONTRACT_REASONS: Final = {
    "codex-failed": "the Codex step failed after a successful preflight",
    "output-missing": "Codex succeeded but wrote no output file",
    "output-empty": "Codex succeeded but its output was empty",
    "output-invalid-json": "the JSON output file does not parse",
}

QUOTA_CODES: Final = (
    "insufficient_quota",
    "credit_balance_exhausted",
    "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded",
    "organization_usage_limit_exceeded",
)


def preflight_line(step: str, reason: str) -> str:
    """The machine-readable start of a preflight failure message (the shell writes the same)."""
    return f"{MESSAGE_PREFIX} {PREFLIGHT_FAILED} step={step} reason={reason}"


def contract_line(step: str, reason: str) -> str:
    """The machine-readable output-contract warning (the shell writes the same)."""
    return f"{MESSAGE_PREFIX} {OUTPUT_MISSING} step={step} reason={reason}"


# More variables the kit's own steps read: the prepare step's "wipe the home or only the stale
# server-info file", and what the output contract is told about the Codex step it checks.
ENV_FRESH: Final = "CODEX_KIT_FRESH"
ENV_OUTCOME: Final = "CODEX_KIT_OUTCOME"
ENV_PREFLIGHT_REASON: Final = "CODEX_KIT_PREFLIGHT_REASON"
ENV_HAS_MESSAGE: Final = "CODEX_KIT_HAS_MESSAGE"
ENV_OUTPUT_FILE: Final = "CODEX_KIT_OUTPUT_FILE"
ENV_OUTPUT_JSON: Final = "CODEX_KIT_OUTPUT_JSON"

# The events whose runs are pull requests (a fork's among them): the fork guard and the report
# both split runs on these.
PR_EVENTS: Final = ("pull_request", "pull_request_target")


@dataclass(frozen=True)
class KitMessage:
    """One of the kit's own messages, read back from a log line or an annotation."""

    what: str  # PREFLIGHT_FAILED or OUTPUT_MISSING
    step: str
    reason: str


# Every form a kit message reaches the report in: the runner's `##[warning]`/`##[error]` log line,
# the raw `::warning::` or `::warning title=…::` command, or an annotation's bare message. A step's
# script echoed at its start (`step=$step`) is not a message, hence no `$` at a field's start.
_KIT_MESSAGE = re.compile(
    r"(?:^|##\[(?:warning|error|notice)\]|::(?:warning|error|notice)(?: [^:]*)?::)\s*"
    + re.escape(MESSAGE_PREFIX)
    + rf" (?P<what>{re.escape(PREFLIGHT_FAILED)}|{re.escape(OUTPUT_MISSING)})"
    + r" step=(?P<step>[^\s$]\S*) reason=(?P<reason>[^\s$]\S*)"
)


_PREFLIGHT_OK = re.compile(
    re.escape(f"{MESSAGE_PREFIX} {PREFLIGHT_OK}") + r" step=[^\s$]\S* - " + re.escape(KEY_ACCEPTED)
)


def preflight_passed(line: str) -> bool:
    """True when `line` is the preflight saying OpenAI accepted the key (not its echoed script, and not
    the presence-only check of a step with its own endpoint, which proves nothing about validity)."""
    return bool(_PREFLIGHT_OK.search(line))


def parse_kit_message(line: str) -> KitMessage | None:
    """The kit message in `line`, in any of the forms above; None when the line holds none."""
    match = _KIT_MESSAGE.search(line.strip())
    return KitMessage(match["what"], match["step"], match["reason"]) if match else None


# What the prepare step and the output contract are told when codex-action derives the Codex home
# itself (`safety-strategy: unprivileged-user`, or a strategy given as an expression): the strategy as
# the step's input says it, and the user Codex runs as.
ENV_SAFETY: Final = "CODEX_KIT_SAFETY_STRATEGY"
ENV_CODEX_USER: Final = "CODEX_KIT_CODEX_USER"

# codex-action's inputs under the names its pre-v1 `@main` accepted, and the current name of each.
LEGACY_INPUTS: Final = {
    "openai_api_key": "openai-api-key",
    "prompt_file": "prompt-file",
    "output_file": "output-file",
    "output_schema": "output-schema",
    "output_schema_file": "output-schema-file",
    "codex_args": "codex-args",
    "codex_home": "codex-home",
    "codex_user": "codex-user",
    "codex_version": "codex-version",
    "safety_strategy": "safety-strategy",
    "working_directory": "working-directory",
    "responses_api_endpoint": "responses-api-endpoint",
    "allow_users": "allow-users",
    "allow_bots": "allow-bots",
    "allow_bot_users": "allow-bot-users",
}
UNPRIVILEGED_USER: Final = "unprivileged-user"

# The branch `codex-kit patch --pr` commits the hardening to, in every repository it patches; a pull
# request from it is the only way the kit's changes reach a default branch.
HARDEN_BRANCH: Final = "codex-kit/harden"
