"""The fields of the three steps the kit adds: Prepare Codex home, Codex preflight, Codex output contract.

Each builder returns the step as an ordered list of (key, value) pairs for `render.render_step`.
Every `${{ }}` value reaches the scripts through `env:` under a name from `kit.vocabulary`, which is
also the name the scripts read (`kit.patch.scripts`), so the two sides cannot drift apart. The
builders decide nothing about where or whether a step is added.
"""

from __future__ import annotations

from kit.patch import expressions as ex
from kit.patch.conditions import condition_text
from kit.patch.locate import CodexStep
from kit.patch.render import Literal, Raw, Value
from kit.patch.scripts import CONTRACT, PREFLIGHT, PREPARE
from kit.vocabulary import (
    CONTRACT_STEP_NAME,
    ENV_API_KEY,
    ENV_CHECK_KEY,
    ENV_CODEX_USER,
    ENV_FRESH,
    ENV_HAS_MESSAGE,
    ENV_HOME,
    ENV_OUTCOME,
    ENV_OUTPUT_FILE,
    ENV_OUTPUT_JSON,
    ENV_PREFLIGHT_REASON,
    ENV_SAFETY,
    ENV_STEP,
    PREFLIGHT_STEP_NAME,
    PREPARE_STEP_NAME,
)

Fields = list[tuple[str, Value]]


def home_env(codex: CodexStep) -> dict[str, str]:
    """How the kit's steps find the Codex home: its path, or (when codex-action derives it) the safety
    strategy and the user Codex runs as, from which the script finds `~<codex-user>/.codex`."""
    if not codex.derived_home:
        return {ENV_HOME: codex.home_expr}
    env = {ENV_SAFETY: codex.safety or ""}
    if codex.codex_user:
        env[ENV_CODEX_USER] = codex.codex_user
    return env


def prepare_fields(codex: CodexStep) -> Fields:
    """A clean Codex home before the Codex step (a user's own home keeps all but the stale server-info file)."""
    env = {ENV_STEP: codex.step_id, **home_env(codex)}
    if not codex.fresh_home:
        env[ENV_FRESH] = "false"
    return [
        ("name", PREPARE_STEP_NAME),
        ("continue-on-error", Raw("true")),
        ("shell", "bash"),
        ("env", env),
        ("run", Literal(PREPARE)),
    ]


def preflight_fields(codex: CodexStep, preflight_id: str) -> Fields:
    """The key check before the Codex step; it runs under the Codex step's own condition, if any."""
    fields: Fields = [("name", PREFLIGHT_STEP_NAME), ("id", preflight_id)]
    old = codex.data.get("if")
    if old is not None:
        fields.append(("if", ex.condition_scalar(ex.unwrap(condition_text(old)))))
    env = {ENV_STEP: preflight_id, ENV_API_KEY: str(codex.key_expr)}
    if codex.custom_endpoint:
        env[ENV_CHECK_KEY] = "false"
    fields += [("continue-on-error", Raw("true")), ("shell", "bash"), ("env", env), ("run", Literal(PREFLIGHT))]
    return fields


def contract_condition(codex: CodexStep, preflight_id: str | None) -> str:
    """True only when there is something to report: a failed preflight or Codex step, or no output."""
    sid = codex.step_id
    terms = [f"steps.{preflight_id}.outcome == 'failure'"] if preflight_id else []
    terms.append(f"steps.{sid}.outcome == 'failure'")
    empty = f"steps.{sid}.outputs.final-message == ''"
    output = codex.output_file
    if codex.json_output:
        terms.append(f"steps.{sid}.outcome == 'success'")
    elif output and "${{" not in output and not output.startswith(("/", "~")):
        quoted = output.replace("'", "''")
        terms.append(f"(steps.{sid}.outcome == 'success' && ({empty} || hashFiles('{quoted}') == ''))")
    else:
        terms.append(f"(steps.{sid}.outcome == 'success' && {empty})")
    return f"!cancelled() && ({' || '.join(terms)})"


def contract_fields(codex: CodexStep, preflight_id: str | None) -> Fields:
    """The output contract after the Codex step."""
    sid = codex.step_id
    env = {ENV_STEP: sid, ENV_OUTCOME: f"${{{{ steps.{sid}.outcome }}}}"}
    if preflight_id:
        env[ENV_PREFLIGHT_REASON] = f"${{{{ steps.{preflight_id}.outputs.reason }}}}"
    env[ENV_HAS_MESSAGE] = f"${{{{ steps.{sid}.outputs.final-message != '' }}}}"
    if codex.output_file:
        env[ENV_OUTPUT_FILE] = codex.output_file
        env[ENV_OUTPUT_JSON] = "true" if codex.json_output else "false"
    env.update(home_env(codex))
    return [
        ("name", CONTRACT_STEP_NAME),
        ("if", ex.condition_scalar(contract_condition(codex, preflight_id))),
        ("continue-on-error", Raw("true")),
        ("shell", "bash"),
        ("env", env),
        ("run", Literal(CONTRACT)),
    ]
