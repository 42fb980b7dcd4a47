"""The hardening, as a named, ordered list of small transforms over one Codex job.

Each transform says in its docstring when it applies and what it edits. A transform that finds its
work already done plans nothing, which is what makes a second run a no-op. `TRANSFORMS` is the one
order they run in: job-level transforms run once per job; each run of consecutive per-step
transforms runs for every Codex step in turn, so one Codex step's edits are planned together (and
edits at one place in the file keep that order). What a condition already does is read with the
expression parser (`kit.patch.conditions`), never by substring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from yaml.nodes import ScalarNode

from kit.patch import expressions as ex
from kit.patch.conditions import has_conjunct, naive_same_repo_check, read
from kit.patch.editor import Editor
from kit.patch.ghexpr import uses_status_function
from kit.patch.kitsteps import Fields, contract_fields, preflight_fields, prepare_fields
from kit.patch.locate import CodexJob, CodexStep, is_codex_step, is_report_step
from kit.patch.outputcheck import review_script
from kit.patch.plan import Expr, JobContext, JobPlan
from kit.patch.readers import readers, runs_on_failure
from kit.patch.render import Raw
from kit.patch.scripts import CONTRACT, PREFLIGHT, PREPARE
from kit.patch.yamldoc import Document, UnsafeDocument
from kit.vocabulary import (
    CONTRACT_STEP_NAME,
    ENV_STEP,
    KIT_STEP_NAMES,
    LEGACY_INPUTS,
    PR_EVENTS,
    PREFLIGHT_ID,
    PREFLIGHT_STEP_NAME,
    PREPARE_STEP_NAME,
    UNPRIVILEGED_USER,
)

FORK_GUARD = "!github.event.pull_request || github.event.pull_request.head.repo.full_name == github.repository"


@dataclass(frozen=True)
class Transform:
    """One named hardening step; `per_codex_step` ones are called once for each Codex step."""

    name: str
    apply: Callable[..., None]
    per_codex_step: bool = False


# --- job level ------------------------------------------------------------------------------------
def note_naive_guard(ctx: JobContext) -> None:
    """When the job's `if:` compares the PR head's repository with `github.repository` without a no-PR
    escape, and the workflow has non-PR triggers, add a note: the job never runs on those. No edit."""
    old = ctx.job.data.get("if")
    if old is None or not naive_same_repo_check(old):
        return
    other = sorted(_triggers(ctx.doc.data) - {*PR_EVENTS, "workflow_call"})
    if other:
        ctx.plan.notes.append(
            f"the job's own condition compares head.repo.full_name with github.repository, which is false on "
            f"{', '.join(other)} runs, so the job never runs there; the kit's guard already skips fork PRs, "
            "so that comparison can go"
        )


def fork_guard(ctx: JobContext) -> None:
    """Unless the job's `if:` already requires `FORK_GUARD` (as an `&&` conjunct), make it
    `(old) && (FORK_GUARD)`, or add `if: FORK_GUARD` after `runs-on`."""
    old = ctx.job.data.get("if")
    if old is not None and has_conjunct(old, FORK_GUARD):
        return
    new = ctx.editor.and_condition(ctx.job.node, old, FORK_GUARD, anchor="runs-on")
    ctx.plan.if_expect = Expr(new)
    via = "".join(f"; it uses the local action `./{ref}`, which runs Codex" for ref in ctx.job.calls)
    ctx.plan.actions.append(f"fork guard on the job's `if:` (push, schedule and dispatch still run){via}")


def keep_reports_running(ctx: JobContext) -> None:
    """Artifact uploads and PR comments after the first Codex step that do not call `always()` get
    `always() && (old)` as their `if:`, so a failed Codex run still leaves its evidence."""
    if not ctx.job.codex_steps:
        return
    first = ctx.job.codex_steps[0].index
    for index, step in enumerate(ctx.job.steps):
        if index <= first or is_codex_step(step) or not is_report_step(step):
            continue
        if step.get("name") in KIT_STEP_NAMES:
            continue
        old = step.get("if")
        if old is not None and uses_status_function(read(old)):
            continue  # the user already chose when it runs (always(), !cancelled(), failure() …)
        node = ctx.job.steps_node.value[index]
        new = ctx.editor.and_condition(node, old, "always()", anchor="uses", first=True)
        ctx.plan.step(index).set["if"] = Expr(new)
        label = step.get("name") or step.get("uses") or f"step {index + 1}"
        ctx.plan.actions.append(f"`{label}` keeps running with always()")


def soften_output_checks(ctx: JobContext) -> None:
    """In `run:` scripts after a Codex step with an `output-file`, an `exit N` (and its `::error`) in the
    branch taken when an existence or emptiness test finds that file missing becomes `exit 0`
    (`::warning`): Codex is advisory. A gate on the output's content is left as is, with a note
    (`kit.patch.outputcheck` tells them apart). The kit's steps are skipped."""
    softened: dict[int, str] = {}
    notes: dict[str, None] = {}
    for codex in ctx.job.codex_steps:
        if not codex.output_file:
            continue
        for index in range(codex.index + 1, len(ctx.job.steps)):
            step = ctx.job.steps[index]
            run = step.get("run") if isinstance(step, dict) else None
            if not isinstance(run, str) or step.get("name") in KIT_STEP_NAMES:
                continue
            review = review_script(softened.get(index, run), codex.output_file)
            label = step.get("name") or f"step {index + 1}"
            for line in review.content_gates:
                notes[
                    f"step `{label}` can fail the job on the content of Codex's output (`{line}`); left as is: "
                    "only a check that the output file is missing or empty is softened"
                ] = None
            if review.text != run:
                softened[index] = review.text
    ctx.plan.notes.extend(notes)
    for index, text in sorted(softened.items()):
        ctx.editor.replace_run(ctx.job.steps_node.value[index], text)
        ctx.plan.step(index).set["run"] = text
        label = ctx.job.steps[index].get("name") or f"step {index + 1}"
        ctx.plan.actions.append(f"`{label}` warns instead of failing when Codex output is missing")


# --- per Codex step -------------------------------------------------------------------------------
def note_inputs(ctx: JobContext, codex: CodexStep) -> None:
    """Notes on how the step's inputs were read: pre-v1 snake-case names, and a Codex home codex-action
    derives for `unprivileged-user` (kept where it is) or that Codex itself never reads. No edit."""
    sid = codex.step_id
    if codex.legacy_inputs:
        names = ", ".join(f"`{n}` → `{LEGACY_INPUTS[n]}`" for n in codex.legacy_inputs)
        ctx.plan.notes.append(
            f"step `{sid}` uses pre-v1 input names ({names}); codex-action v1 reads only the current names"
        )
    if codex.derived_home:
        which = "is" if codex.safety == UNPRIVILEGED_USER else f"may be ({codex.safety})"
        ctx.plan.notes.append(
            f"step `{sid}`: safety-strategy {which} unprivileged-user, where Codex runs as `sudo -u <codex-user>` "
            "and reads ~<codex-user>/.codex whatever CODEX_HOME says: the home stays where codex-action derives "
            "it and the prepare step clears only its stale <run id>.json server-info file"
        )
    elif codex.safety == UNPRIVILEGED_USER and not codex.fresh_home:
        ctx.plan.notes.append(
            f"step `{sid}`: with safety-strategy unprivileged-user, Codex runs through sudo, which drops "
            f"CODEX_HOME: Codex reads ~<codex-user>/.codex, not {codex.home_expr}"
        )


def note_readers(ctx: JobContext, codex: CodexStep) -> None:
    """Notes on the later steps that read the Codex step's results (dot or bracket syntax): what they see
    when Codex fails, and reads that continue-on-error makes meaningless (`.conclusion`, `failure()`)."""
    sid = codex.step_id
    found = readers(ctx.job.steps, codex.index, sid, codex.output_file)
    by_step: dict[str, list[str]] = {}
    for reader in found:
        step = ctx.job.steps[reader.index]
        if step.get("name") in KIT_STEP_NAMES:
            continue
        by_step.setdefault(reader.label, []).append(reader.what)
        if reader.what == "conclusion":
            ctx.plan.notes.append(
                f"`{reader.label}` reads steps.{sid}.conclusion, which is always success under continue-on-error: "
                f"read steps.{sid}.outcome instead"
            )
    for index in range(codex.index + 1, len(ctx.job.steps)):
        step = ctx.job.steps[index]
        if isinstance(step, dict) and step.get("name") not in KIT_STEP_NAMES and runs_on_failure(step):
            label = step.get("name") or step.get("uses") or f"step {index + 1}"
            ctx.plan.notes.append(
                f"`{label}` runs on failure(), which a failed Codex step no longer causes (continue-on-error): "
                f"test steps.{sid}.outcome == 'failure' instead"
            )
    if by_step:
        listed = ", ".join(f"`{label}` ({', '.join(whats)})" for label, whats in by_step.items())
        ctx.plan.notes.append(
            f"step `{sid}`'s results are read by {listed}; when Codex fails they see an empty final-message, "
            "outcome failure, and the output contract's placeholder in the output file"
        )


def preflight(ctx: JobContext, codex: CodexStep) -> None:
    """Before the first Codex step of each API key: a `Codex preflight` step (refreshed if an older kit
    wrote it). A step that passes no key gets a note and no preflight."""
    if codex.key_expr is None:
        ctx.plan.notes.append(
            f"step `{codex.step_id}` passes no OpenAI API key (ChatGPT auth or a custom setup): no preflight"
        )
        return
    if codex.key_expr in ctx.preflights:
        ctx.gates[codex.step_id] = ctx.preflights[codex.key_expr]
        return
    preflight_id = PREFLIGHT_ID if not ctx.preflights else f"{PREFLIGHT_ID}-{codex.step_id}"
    ctx.preflights[codex.key_expr] = ctx.gates[codex.step_id] = preflight_id
    existing = next(
        (i for i, s in enumerate(ctx.job.steps) if isinstance(s, dict) and s.get("id") == preflight_id), None
    )
    if not refresh_kit_script(ctx, existing, PREFLIGHT):
        _insert_before(ctx, codex.index, preflight_fields(codex, preflight_id))
        ctx.plan.actions.append(f"{PREFLIGHT_STEP_NAME} `{preflight_id}` before step `{codex.step_id}`")


def prepare_home(ctx: JobContext, codex: CodexStep) -> None:
    """Before each Codex step: a `Prepare Codex home` step for its home (refreshed if an older kit wrote it)."""
    if not refresh_kit_script(ctx, _kit_step(ctx.job, PREPARE_STEP_NAME, codex.step_id), PREPARE):
        _insert_before(ctx, codex.index, prepare_fields(codex))
        ctx.plan.actions.append(f"{PREPARE_STEP_NAME} before step `{codex.step_id}` ({codex.home_label})")


def codex_step_id(ctx: JobContext, codex: CodexStep) -> None:
    """A Codex step without an `id:` gets one (the output contract reads its outcome by id)."""
    if not codex.needs_id:
        return
    ctx.editor.add_keys(codex.node, [("id", codex.step_id)], anchor="uses")
    ctx.plan.step(codex.index).set["id"] = codex.step_id
    ctx.plan.actions.append(f"id `{codex.step_id}` on the Codex step")


def gate_on_preflight(ctx: JobContext, codex: CodexStep) -> None:
    """A Codex step with a preflight runs only when it succeeded: `if:` added, or and-combined with the
    step's own condition unless that already requires the preflight's success."""
    preflight_id = ctx.gates.get(codex.step_id)
    if preflight_id is None:
        return
    gate = f"steps.{preflight_id}.outcome == 'success'"
    old = codex.data.get("if")
    expect = ctx.plan.step(codex.index)
    if old is None:
        ctx.editor.add_keys(codex.node, [("if", ex.condition_scalar(gate))], anchor="uses")
        expect.set["if"] = Expr(gate)
    elif not has_conjunct(old, gate):
        expect.set["if"] = Expr(ctx.editor.and_condition(codex.node, old, gate, anchor="uses"))
    else:
        return
    ctx.plan.actions.append(f"step `{codex.step_id}` runs only when `{preflight_id}` succeeded")


def continue_on_error(ctx: JobContext, codex: CodexStep) -> None:
    """`continue-on-error: true` on the Codex step (step level: job level still fails a required check);
    any other value is replaced."""
    current = codex.data.get("continue-on-error")
    if current is True:
        return
    ctx.plan.step(codex.index).set["continue-on-error"] = True
    label = f"step `{codex.step_id}`"
    if current is None:
        ctx.editor.add_keys(codex.node, [("continue-on-error", Raw("true"))], anchor="uses")
        ctx.plan.actions.append(f"continue-on-error: true on {label}")
    else:
        ctx.editor.replace_span(Document.get(codex.node, "continue-on-error"), "true")
        ctx.plan.actions.append(f"continue-on-error: {current!r} → true on {label}")


def codex_home_env(ctx: JobContext, codex: CodexStep) -> None:
    """A Codex step that gets a fresh home gets `CODEX_HOME: <home>` in its `env:` (added, extended or
    merged into a flow mapping), unless it sets CODEX_HOME already."""
    if not codex.fresh_home or "CODEX_HOME" in (codex.data.get("env") or {}):
        return
    ctx.plan.step(codex.index).env_add["CODEX_HOME"] = codex.home_expr
    ctx.plan.actions.append(f"CODEX_HOME={codex.home_expr} on step `{codex.step_id}`")
    ctx.editor.add_env(codex.node, "CODEX_HOME", codex.home_expr, where=f"step `{codex.step_id}`")


def output_contract(ctx: JobContext, codex: CodexStep) -> None:
    """After each Codex step: a `Codex output contract` step (refreshed if an older kit wrote it)."""
    if not refresh_kit_script(ctx, _kit_step(ctx.job, CONTRACT_STEP_NAME, codex.step_id), CONTRACT):
        ctx.plan.step(codex.index).after.append(
            ctx.editor.insert_step_after(
                ctx.job.steps_node, codex.index, contract_fields(codex, ctx.gates.get(codex.step_id))
            )
        )
        ctx.plan.actions.append(f"{CONTRACT_STEP_NAME} after step `{codex.step_id}`")


TRANSFORMS: tuple[Transform, ...] = (
    Transform("note naive guard", note_naive_guard),
    Transform("fork guard", fork_guard),
    Transform("note inputs", note_inputs, per_codex_step=True),
    Transform("preflight", preflight, per_codex_step=True),
    Transform("prepare Codex home", prepare_home, per_codex_step=True),
    Transform("Codex step id", codex_step_id, per_codex_step=True),
    Transform("gate on preflight", gate_on_preflight, per_codex_step=True),
    Transform("continue-on-error", continue_on_error, per_codex_step=True),
    Transform("CODEX_HOME env", codex_home_env, per_codex_step=True),
    Transform("output contract", output_contract, per_codex_step=True),
    Transform("note readers", note_readers, per_codex_step=True),
    Transform("keep reports running", keep_reports_running),
    Transform("soften output checks", soften_output_checks),
)


# Inside a composite action: the same hardening of its steps; the fork guard goes on its callers' jobs.
ACTION_TRANSFORMS: tuple[Transform, ...] = tuple(
    t for t in TRANSFORMS if t.name not in ("note naive guard", "fork guard")
)


def plan_job(editor: Editor, job: CodexJob, transforms: tuple[Transform, ...] = TRANSFORMS) -> JobPlan:
    """Run `transforms` in order over one Codex job; the edits go to `editor`."""
    ctx = JobContext(editor.doc, job, JobPlan(job.job_id, job.where), editor)
    for per_step, group in groupby(transforms, key=lambda t: t.per_codex_step):
        run = list(group)
        if not per_step:
            for transform in run:
                transform.apply(ctx)
            continue
        for codex in job.codex_steps:
            for transform in run:
                transform.apply(ctx, codex)
    return ctx.plan


# --- shared by the kit-step transforms --------------------------------------------------------------
def refresh_kit_script(ctx: JobContext, index: int | None, script: str) -> bool:
    """Refresh older kit scripts: True when the kit's step at `index` exists, after bringing its `run:`
    up to this kit version if an older kit wrote it; False when there is no such step."""
    if index is None:
        return False
    step = ctx.job.steps[index]
    if str(step.get("run", "")).rstrip("\n") == script.rstrip("\n"):
        return True
    node = ctx.job.steps_node.value[index]
    if not isinstance(Document.get(node, "run"), ScalarNode):
        raise UnsafeDocument(f"job `{ctx.job.job_id}`: the kit step `{step.get('name')}` has no `run:` script")
    ctx.editor.replace_run(node, script)
    ctx.plan.step(index).set["run"] = script
    ctx.plan.actions.append(f"refreshed the script of `{step.get('name')}` to this kit version")
    return True


def _insert_before(ctx: JobContext, index: int, fields: Fields) -> None:
    ctx.plan.step(index).before.append(ctx.editor.insert_step_before(ctx.job.steps_node, index, fields))


def _kit_step(job: CodexJob, name: str, step_id: str) -> int | None:
    """Index of the kit step `name` that serves Codex step `step_id`, if the kit added it before."""
    for index, step in enumerate(job.steps):
        if isinstance(step, dict) and step.get("name") == name:
            env = step.get("env") if isinstance(step.get("env"), dict) else {}
            if str(env.get(ENV_STEP)) == step_id:
                return index
    return None


def _triggers(data: Any) -> set[str]:
    on = data.get("on") if isinstance(data, dict) else None  # YAML 1.2: `on` is never read as true
    if isinstance(on, str):
        return {on}
    if isinstance(on, list | dict):
        return {str(t) for t in on}
    return set()
