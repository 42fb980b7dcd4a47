"""Find the Codex jobs of a workflow and the facts the hardening needs about each Codex step.

A Codex job is a job with a step `uses: openai/codex-action@<any ref>`. Detection reads the data
(so quoting and comments do not matter); positions come from the node tree. Anything the planner
could not edit safely in a Codex job (flow-style steps, anchors, aliases, merge keys) is refused
here, before any edit is planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import MappingNode, SequenceNode

from kit.patch import expressions as ex
from kit.patch.conditions import path_of
from kit.patch.ghexpr import ExpressionError, parse
from kit.patch.yamldoc import Document, UnsafeDocument, has_anchor
from kit.vocabulary import CODEX_ACTION, LEGACY_INPUTS, UNPRIVILEGED_USER

ACTION_STEPS = "runs.steps"  # how a composite action's steps are named where a job id would be
COMMENT_ACTIONS = (
    "actions/upload-artifact@",
    "actions/github-script@",
    "peter-evans/create-or-update-comment@",
    "marocchino/sticky-pull-request-comment@",
    "thollander/actions-comment-pull-request@",
    "mshick/add-pr-comment@",
    "mainmatter/continuous-benchmark@",
)
COMMENT_COMMANDS = ("gh pr comment", "gh pr review", "gh issue comment")


def is_codex_step(step: Any) -> bool:
    return isinstance(step, dict) and str(step.get("uses", "")).strip().startswith(f"{CODEX_ACTION}@")


def is_report_step(step: Any) -> bool:
    """Artifact uploads and PR comments: what must keep running when Codex fails."""
    if not isinstance(step, dict):
        return False
    uses = str(step.get("uses", "")).strip()
    if uses.startswith(COMMENT_ACTIONS):
        return True
    run = step.get("run")
    return isinstance(run, str) and any(command in run for command in COMMENT_COMMANDS)


@dataclass
class CodexStep:
    """One `uses: openai/codex-action` step and what the hardening needs to know about it."""

    index: int
    node: MappingNode
    data: dict[str, Any]
    step_id: str
    needs_id: bool
    key_expr: str | None
    custom_endpoint: bool
    home_expr: str
    fresh_home: bool
    output_file: str | None
    json_output: bool
    derived_home: bool = False  # codex-action derives the home (unprivileged-user): no CODEX_HOME, no wipe
    safety: str | None = None  # the `safety-strategy` input as written (None: codex-action's default)
    codex_user: str | None = None
    legacy_inputs: list[str] = field(default_factory=list)  # pre-v1 snake-case input names used

    @property
    def home_label(self) -> str:
        """The home as a reader would name it (for actions and notes)."""
        return self.home_expr or "the home codex-action derives for `codex-user`"


@dataclass
class CodexJob:
    """A job with Codex steps, a job that calls a local action running Codex (`calls`), or a composite
    action's `runs:` block (`where` is then its path in the data, and it has no job-level `if:`)."""

    job_id: str
    node: MappingNode
    data: dict[str, Any]
    steps_node: SequenceNode
    codex_steps: list[CodexStep] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # local actions (`./…`) it uses that run Codex
    where: tuple[str, ...] = ()

    @property
    def steps(self) -> list[Any]:
        return self.data["steps"]


def local_ref(uses: Any) -> str | None:
    """`./.github/actions/review/` → `.github/actions/review`; None for anything that is not a local action."""
    text = str(uses or "").strip()
    if not text.startswith("./"):
        return None
    return text[2:].strip("/") or "."


def codex_jobs(doc: Document, local_codex: frozenset[str] = frozenset()) -> list[CodexJob]:
    """Every Codex job of the workflow, with positions checked to be safe to edit: jobs with a Codex
    step, and jobs with a step that uses one of the local actions `local_codex` (which run Codex)."""
    data = doc.data
    if not isinstance(data, dict):
        raise UnsafeDocument("the file is not a workflow (its top level is not a mapping)")
    jobs = data.get("jobs")
    if jobs is None:
        return []
    if not isinstance(jobs, dict):
        raise UnsafeDocument("`jobs:` is not a mapping")
    jobs_node = Document.get(doc.root, "jobs")
    workflow_env = data.get("env") if isinstance(data.get("env"), dict) else {}
    found = []
    for job_id, job in jobs.items():
        steps = job.get("steps") if isinstance(job, dict) else None
        if not isinstance(steps, list):
            continue
        calls = [ref for s in steps if isinstance(s, dict) and (ref := local_ref(s.get("uses"))) in local_codex]
        if not calls and not any(is_codex_step(s) for s in steps):
            continue
        node = Document.get(jobs_node, str(job_id))
        found.append(_codex_job(doc, str(job_id), node, job, workflow_env))
        found[-1].calls = list(dict.fromkeys(calls))
    return found


def composite_codex(doc: Document, local_codex: frozenset[str] = frozenset()) -> CodexJob | None:
    """The `runs:` block of a composite action when its steps use codex-action (or a local action in
    `local_codex`); None for any other action. Positions are checked as for a job."""
    data = doc.data
    if not isinstance(data, dict):
        raise UnsafeDocument("the file is not an action (its top level is not a mapping)")
    runs = data.get("runs")
    if not isinstance(runs, dict) or str(runs.get("using", "")).strip() != "composite":
        return None
    steps = runs.get("steps")
    if not isinstance(steps, list):
        return None
    calls = [ref for s in steps if isinstance(s, dict) and (ref := local_ref(s.get("uses"))) in local_codex]
    if not calls and not any(is_codex_step(s) for s in steps):
        return None
    found = _codex_job(doc, ACTION_STEPS, Document.get(doc.root, "runs"), runs, {})
    found.calls, found.where = list(dict.fromkeys(calls)), ("runs",)
    return found


def _codex_job(doc: Document, job_id: str, node: Any, job: dict, workflow_env: dict) -> CodexJob:
    where = f"job `{job_id}`"
    if not isinstance(node, MappingNode) or node.flow_style:
        raise UnsafeDocument(f"{where} is written in flow style; the kit only edits block-style jobs")
    steps_node = Document.get(node, "steps")
    if not isinstance(steps_node, SequenceNode) or steps_node.flow_style:
        raise UnsafeDocument(f"{where} has flow-style `steps: [...]`; rewrite it in block style first")
    if has_anchor(node):
        raise UnsafeDocument(
            f"{where} uses YAML anchors, aliases or merge keys; an edit there would also change every "
            "place that shares the node, so the kit refuses"
        )
    for item in steps_node.value:
        if not isinstance(item, MappingNode) or item.flow_style:
            line = item.start_mark.line + 1
            raise UnsafeDocument(f"{where}: the step at line {line} is not a block mapping; rewrite it in block style")
    result = CodexJob(job_id, node, job, steps_node)
    job_env = job.get("env") if isinstance(job.get("env"), dict) else {}
    inherited_home = "CODEX_HOME" in job_env or "CODEX_HOME" in workflow_env
    indexes = [i for i, step in enumerate(job["steps"]) if is_codex_step(step)]
    taken = {str(s.get("id")) for s in job["steps"] if isinstance(s, dict) and s.get("id") is not None}
    for index in indexes:
        step = job["steps"][index]
        step_id, needs_id = _step_id(step, taken)
        result.codex_steps.append(
            _codex_step(index, steps_node.value[index], step, step_id, needs_id, len(indexes) > 1, inherited_home)
        )
    return result


def _step_id(step: dict, taken: set[str]) -> tuple[str, bool]:
    if step.get("id") is not None:
        return str(step["id"]), False
    candidate, n = "codex", 1
    while candidate in taken:
        n += 1
        candidate = f"codex-{n}"
    taken.add(candidate)
    return candidate, True


def inputs_of(step: dict) -> tuple[dict[str, Any], list[str]]:
    """The step's `with:` under codex-action's current input names, and the pre-v1 snake-case names used
    (a current name wins when both are given)."""
    raw = step.get("with") if isinstance(step.get("with"), dict) else {}
    legacy = [str(k) for k in raw if str(k) in LEGACY_INPUTS]
    inputs = {LEGACY_INPUTS[str(k)]: v for k, v in raw.items() if str(k) in LEGACY_INPUTS}
    inputs.update({str(k): v for k, v in raw.items() if str(k) not in LEGACY_INPUTS})
    return inputs, legacy


def may_be_unprivileged(safety: str | None) -> bool:
    """True when the strategy is `unprivileged-user`, or an expression that may evaluate to it."""
    return safety is not None and (safety.strip() == UNPRIVILEGED_USER or "${{" in safety)


def _text(value: Any) -> str | None:
    """A `with:`/`env:` value as text; None when absent or empty (codex-action treats '' as unset)."""
    if value is None or value == "":
        return None
    return "true" if value is True else "false" if value is False else str(value)


def _step_env_value(expression: str | None, env: dict) -> str | None:
    """`${{ env.X }}` (or `env['X']`) naming a variable of the Codex step's own `env:` is that variable's
    value: the kit's preflight is another step, where the Codex step's `env:` does not exist."""
    if expression is None or not expression.strip().startswith("${{"):
        return expression
    try:
        path = path_of(parse(ex.unwrap(expression)))
    except (ExpressionError, UnsafeDocument):
        return expression
    if path and len(path) == 2 and path[0].lower() == "env" and _text(env.get(path[1])):
        return str(env[path[1]])
    return expression


def _codex_step(
    index: int, node: MappingNode, step: dict, step_id: str, needs_id: bool, several: bool, inherited_home: bool
) -> CodexStep:
    with_, legacy = inputs_of(step)
    env = step.get("env") if isinstance(step.get("env"), dict) else {}
    key_expr = _step_env_value(_text(with_.get("openai-api-key")), env) or _text(env.get("OPENAI_API_KEY"))
    safety = _text(with_.get("safety-strategy"))
    derived = False
    if _text(with_.get("codex-home")):
        home, fresh = str(with_["codex-home"]), False
    elif _text(env.get("CODEX_HOME")):
        home, fresh = str(env["CODEX_HOME"]), False
    elif inherited_home:
        home, fresh = "${{ env.CODEX_HOME }}", False
    elif may_be_unprivileged(safety):
        home, fresh, derived = "", False, True
    else:
        home, fresh = "${{ runner.temp }}/codex-home" + (f"-{step_id}" if several else ""), True
    output = _text(with_.get("output-file"))
    output = output.strip() if output else None
    schema = bool(with_.get("output-schema") or with_.get("output-schema-file"))
    json_output = bool(output and output.lower().endswith(".json")) or (schema and output is not None)
    return CodexStep(
        index=index,
        node=node,
        data=step,
        step_id=step_id,
        needs_id=needs_id,
        key_expr=key_expr,
        custom_endpoint=bool(with_.get("responses-api-endpoint")),
        home_expr=home,
        fresh_home=fresh,
        output_file=output,
        json_output=json_output,
        derived_home=derived,
        safety=safety,
        codex_user=_text(with_.get("codex-user")),
        legacy_inputs=legacy,
    )
