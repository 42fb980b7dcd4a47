"""The 25 must-pass cases for an in-place workflow rewriter (shared/research/patch_anchors.md §8).

Each test feeds a small workflow written for the case to the real patcher and checks the text it
produces: what changed, what did not, and that the result parses and converges.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest

from kit.patch import yamlread
from kit.patch.repo import patch_repo
from kit.patch.transforms import FORK_GUARD
from kit.patch.workflow import patch_workflow
from kit.patch.yamldoc import UnsafeDocument
from kit.textfile import TextFile
from kit.vocabulary import CONTRACT_STEP_NAME, PREFLIGHT_STEP_NAME, PREPARE_STEP_NAME
from tests.support import lint


def load(text: str):
    return yamlread.load(text)


def patched(text: str) -> str:
    first = patch_workflow(text).text
    assert patch_workflow(first).text == first, "a second run must change nothing"
    return first


def wf(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


BASIC = wf(
    """
    name: Review
    on:
      pull_request:
      push:
        branches: [main]
    jobs:
      review:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: Run Codex
            id: codex
            uses: openai/codex-action@v1
            with:
              openai-api-key: ${{ secrets.OPENAI_API_KEY }}
              prompt: Review this change.
      build:
        runs-on: ubuntu-latest
        steps:
          - run: make
    """
)


def steps_of(text: str, job: str = "review") -> list[dict]:
    return load(text)["jobs"][job]["steps"]


# 1
def test_round_trip_no_op_without_codex() -> None:
    text = BASIC.replace("openai/codex-action@v1", "actions/setup-node@v4")
    result = patch_workflow(text)
    assert result.text == text and not result.changed and result.codex_jobs == []


# 2
def test_idempotent_and_second_run_reports_no_change() -> None:
    once = patch_workflow(BASIC)
    twice = patch_workflow(once.text)
    assert once.changed and not twice.changed and twice.text == once.text


# 3
@pytest.mark.parametrize(
    ("job", "dash", "key"),
    [
        ("  ", "      - ", "        "),
        ("  ", "    - ", "      "),
        ("    ", "            - ", "              "),
        ("     ", "               - ", "                 "),
        ("  ", "      -   ", "          "),
    ],
    ids=["offset-2", "indentless", "4-space", "5-space", "wide-dash"],
)
def test_inserted_steps_copy_the_sibling_layout(job: str, dash: str, key: str) -> None:
    inner = job * 2
    text = (
        f"on: push\njobs:\n{job}review:\n{inner}runs-on: ubuntu-latest\n{inner}steps:\n"
        f"{dash}uses: actions/checkout@v4\n"
        f"{dash}name: Run Codex\n{key}uses: openai/codex-action@v1\n"
        f"{key}with:\n{key}{job}prompt: hi\n{key}{job}openai-api-key: ${{{{ secrets.K }}}}\n"
    )
    out = patched(text)
    for name in (PREFLIGHT_STEP_NAME, PREPARE_STEP_NAME, CONTRACT_STEP_NAME):
        assert f"{dash}name: {name}\n" in out
    assert f"{key}continue-on-error: true\n" in out
    assert f"{key}env:\n{key}{job}CODEX_KIT_STEP: codex\n" in out, "children use the file's own step"
    names = [s.get("name") for s in steps_of(out)]
    assert names == [None, PREFLIGHT_STEP_NAME, PREPARE_STEP_NAME, "Run Codex", CONTRACT_STEP_NAME]


# 4
def test_comment_above_target_stays_attached_and_eol_comments_survive() -> None:
    text = BASIC.replace(
        "      - name: Run Codex\n",
        "      # Codex reviews the diff\n      # (advisory)\n      - name: Run Codex\n",
    ).replace("openai/codex-action@v1\n", "openai/codex-action@v1 # pinned on purpose\n")
    out = patched(text)
    assert "      # Codex reviews the diff\n      # (advisory)\n      - name: Run Codex\n" in out
    assert "uses: openai/codex-action@v1 # pinned on purpose\n" in out
    assert out.index(PREPARE_STEP_NAME) < out.index("# Codex reviews the diff")


# 5
def test_blank_lines_between_steps_and_jobs_stay() -> None:
    text = wf(
        """
        on: push
        jobs:
          review:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4

              - name: Run Codex
                uses: openai/codex-action@v1
                with:
                  openai-api-key: ${{ secrets.K }}
                  prompt: |
                    Review it.

              - name: After
                run: echo done

          other:
            runs-on: ubuntu-latest
            steps:
              - run: true
        """
    )
    out = patched(text)
    data = steps_of(out)
    assert data[3]["with"]["prompt"] == "Review it.\n", "no blank line pulled into the block scalar"
    assert "\n\n      - name: Prepare Codex home" in out and "\n\n      - name: Codex output contract" in out
    assert "run: echo done\n\n  other:\n" in out
    assert out.count("\n\n") == text.count("\n\n") + 3


# 6
def test_comment_between_jobs_stays_with_the_following_job() -> None:
    text = BASIC.replace("  build:\n", "  # the build job\n  build:\n")
    out = patched(text)
    assert "  # the build job\n  build:\n" in out
    assert out.index(CONTRACT_STEP_NAME) < out.index("# the build job")


# 7
def test_env_added_at_key_indent_when_first_key_is_on_the_dash_line() -> None:
    text = BASIC.replace(
        "      - name: Run Codex\n        id: codex\n        uses: openai/codex-action@v1\n",
        "      - uses: openai/codex-action@v1\n        id: codex\n",
    )
    out = patched(text)
    assert "      - uses: openai/codex-action@v1\n        if: " in out
    assert "        env:\n          CODEX_HOME: ${{ runner.temp }}/codex-home\n" in out
    codex = steps_of(out)[3]
    assert codex["env"] == {"CODEX_HOME": "${{ runner.temp }}/codex-home"}


# 8
HOME = "${{ runner.temp }}/codex-home"


@pytest.mark.parametrize(
    ("env_text", "expected", "env_after"),
    [
        (
            '        env:\n          # the model to use\n          MODEL: "gpt-5"  # quoted\n',
            {"MODEL": "gpt-5", "CODEX_HOME": HOME},
            '        env:\n          # the model to use\n          MODEL: "gpt-5"  # quoted\n'
            f"          CODEX_HOME: {HOME}\n",
        ),
        ("        env: {A: 1}\n", {"A": 1, "CODEX_HOME": HOME}, f'        env: {{A: 1, CODEX_HOME: "{HOME}"}}\n'),
        ("        env: {}\n", {"CODEX_HOME": HOME}, f'        env: {{ CODEX_HOME: "{HOME}" }}\n'),
        (
            "        env:\n          CODEX_HOME: /custom/home\n",
            {"CODEX_HOME": "/custom/home"},
            "        env:\n          CODEX_HOME: /custom/home\n        with:\n",
        ),
    ],
    ids=["comments-and-quotes", "flow", "empty-flow", "already-set"],
)
def test_merge_into_existing_env(env_text: str, expected: dict, env_after: str) -> None:
    text = BASIC.replace("        uses: openai/codex-action@v1\n", "        uses: openai/codex-action@v1\n" + env_text)
    out = patched(text)
    assert steps_of(out)[3]["env"] == expected
    assert env_after in out
    assert out.count("CODEX_HOME:") == 1


# 9
@pytest.mark.parametrize("current", ["false", "${{ matrix.experimental }}"])
def test_continue_on_error_literal_true_replaces_other_values(current: str) -> None:
    text = BASIC.replace("        id: codex\n", f"        id: codex\n        continue-on-error: {current}\n")
    result = patch_workflow(text)
    codex = load(result.text)["jobs"]["review"]["steps"][3]
    assert codex["continue-on-error"] is True
    assert "continue-on-error: true\n" in result.text
    assert any("→ true" in action for action in result.jobs[0].actions)
    assert "continue-on-error" not in load(result.text)["jobs"]["review"], "never at job level"


def test_reusable_workflow_jobs_are_left_alone() -> None:
    text = BASIC + "  call:\n    uses: ./.github/workflows/other.yml\n    secrets: inherit\n"
    out = patched(text)
    assert out.endswith("  call:\n    uses: ./.github/workflows/other.yml\n    secrets: inherit\n")


# 10
def test_job_guard_inserted_after_runs_on() -> None:
    out = patched(BASIC)
    assert f"    runs-on: ubuntu-latest\n    if: ${{{{ {FORK_GUARD} }}}}\n" in out
    assert load(out)["jobs"]["build"] == load(BASIC)["jobs"]["build"]


# 11
@pytest.mark.parametrize(
    ("old", "expected"),
    [
        ("github.actor != 'bot'", f"(github.actor != 'bot') && ({FORK_GUARD})"),
        ("${{ github.actor != 'bot' }}", f"(github.actor != 'bot') && ({FORK_GUARD})"),
        ("${{ always() }}", f"(always()) && ({FORK_GUARD})"),
        (
            "${{ !cancelled() && github.event_name != 'x' }}",
            f"(!cancelled() && github.event_name != 'x') && ({FORK_GUARD})",
        ),
        (
            ">-\n      github.event_name == 'push' ||\n      github.actor == 'me'",
            f"(github.event_name == 'push' || github.actor == 'me') && ({FORK_GUARD})",
        ),
    ],
    ids=["plain", "wrapped", "always", "not-cancelled", "folded"],
)
def test_combine_with_existing_job_condition(old: str, expected: str) -> None:
    text = BASIC.replace("  review:\n    runs-on", f"  review:\n    if: {old}\n    runs-on")
    out = patched(text)
    condition = load(out)["jobs"]["review"]["if"]
    assert " ".join(condition.split()) == expected
    assert "}} && ${{" not in out
    if old.startswith(">-"):
        assert "    if: >-\n      (github.event_name == 'push' ||\n" in out


# 12
def test_bang_expressions_are_wrapped_and_lint_clean(tmp_path: Path) -> None:
    out = patched(BASIC)
    assert "if: ${{ !github.event.pull_request ||" in out
    assert "if: ${{ !cancelled() &&" in out
    path = tmp_path / "wf.yml"
    path.write_text(out)
    kinds = {kind for (_, kind, _) in lint.actionlint([path])}
    assert "syntax-check" not in kinds and "expression" not in kinds


# 13 and 14 (the kit replaces only its own scripts: an older kit's script is refreshed in place)
@pytest.mark.parametrize("style", ["|", "|-", "plain"])
def test_outdated_kit_script_is_replaced_in_place(style: str) -> None:
    out = patched(BASIC)
    marker = "      - name: Prepare Codex home\n"
    start = out.index(marker)
    run_at = out.index("        run: |\n", start)
    end = out.index("\n      - ", run_at)
    old_run = {
        "|": "        run: |\n          echo old kit\n",
        "|-": "        run: |-\n          echo old kit",
        "plain": "        run: echo old kit",
    }[style]
    aged = out[:run_at] + old_run.rstrip("\n") + out[end:]
    result = patch_workflow(aged)
    assert result.text == out
    assert any("refreshed" in a for a in result.jobs[0].actions)


# 15
def test_quotes_and_number_like_strings_stay_byte_identical() -> None:
    text = wf(
        """
        name: "CI"
        'on':
          push:
        jobs:
          review:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: '3.10'
                  other: 3.10
              - name: 'Run Codex'
                uses: "openai/codex-action@v1"
                with:
                  openai-api-key: "${{ secrets.OPENAI_API_KEY }}"
                  prompt: 'yes'
        """
    )
    out = patched(text)
    for line in text.splitlines():
        assert line in out.splitlines()
    assert steps_of(out)[3]["uses"] == "openai/codex-action@v1"


# 16
@pytest.mark.parametrize("on", ["on: [push]", "on: push", "on:\n  push:\n  pull_request:"])
def test_on_key_stays_on(on: str) -> None:
    text = BASIC.replace("on:\n  pull_request:\n  push:\n    branches: [main]", on)
    out = patched(text)
    assert out.startswith(f"name: Review\n{on}\n")
    assert "on" in load(out) and True not in load(out)


def test_yaml_1_1_directive_is_refused() -> None:
    with pytest.raises(UnsafeDocument, match=r"YAML 1\.1"):
        patch_workflow("%YAML 1.1\n---\n" + BASIC)


# 17
@pytest.mark.parametrize(
    ("bom", "crlf", "final_newline"),
    [(True, False, True), (False, True, True), (False, False, False), (True, True, False)],
)
def test_bom_crlf_and_final_newline_are_kept(tmp_path: Path, bom: bool, crlf: bool, final_newline: bool) -> None:
    text = BASIC if final_newline else BASIC.rstrip("\n").replace("      - run: make", "      - run: make")
    text = text.replace("  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make", "").rstrip("\n")
    text = text + ("\n" if final_newline else "")
    raw = ("\ufeff" if bom else "") + (text.replace("\n", "\r\n") if crlf else text)
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "review.yml").write_bytes(raw.encode())
    result = patch_repo(tmp_path)
    assert [f.status for f in result.files] == ["patched"]
    data = (folder / "review.yml").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom
    body = data.decode("utf-8-sig")
    assert ("\r\n" in body) == crlf and (body.count("\n") == body.count("\r\n") if crlf else "\r" not in body)
    assert body.endswith("\n") == final_newline
    assert patch_repo(tmp_path).files[0].status == "unchanged"
    TextFile.parse(data)


# 18
def test_whole_document_offset_and_markers() -> None:
    text = "---\n" + textwrap.indent(BASIC, "  ") + "...\n"
    out = patched(text)
    assert out.startswith("---\n  name: Review\n") and out.endswith("...\n")
    assert "        - name: Prepare Codex home\n" in out
    assert load(out)["jobs"]["build"] == load(text)["jobs"]["build"]


# 19
@pytest.mark.parametrize(
    "body",
    [
        BASIC.replace("    steps:\n      - uses: actions/checkout", "    steps: &s\n      - uses: actions/checkout")
        + "  again:\n    runs-on: ubuntu-latest\n    steps: *s\n",
        BASIC.replace("  review:\n    runs-on: ubuntu-latest\n", "  review:\n    <<: *defaults\n").replace(
            "jobs:\n", "x-defaults: &defaults\n  runs-on: ubuntu-latest\njobs:\n"
        ),
    ],
    ids=["anchored-steps", "merge-key"],
)
def test_anchors_and_aliases_in_codex_jobs_are_refused(body: str) -> None:
    with pytest.raises(UnsafeDocument, match="anchors, aliases or merge keys"):
        patch_workflow(body)


def test_anchors_elsewhere_do_not_block_the_patch() -> None:
    text = BASIC.replace("        branches: [main]", "        branches: &b [main]\n    tags: *b").replace(
        "    branches: [main]", "    branches: &b [main]\n    tags: *b"
    )
    out = patched(text)
    assert "branches: &b [main]\n    tags: *b\n" in out


# 20
@pytest.mark.parametrize(
    "body",
    [
        "on: push\njobs:\n  r:\n    runs-on: x\n    steps: [{uses: openai/codex-action@v1}]\n",
        "on: push\njobs:\n  r:\n    runs-on: x\n    steps:\n      - {uses: openai/codex-action@v1, with: {a: b}}\n",
        "on: push\njobs:\n  r: {runs-on: x, steps: [{uses: openai/codex-action@v1}]}\n",
    ],
    ids=["flow-steps", "flow-step", "flow-job"],
)
def test_flow_style_is_refused_with_a_reason(body: str) -> None:
    with pytest.raises(UnsafeDocument, match=r"flow|block"):
        patch_workflow(body)


# 21
def test_only_codex_jobs_change_matrix_container_and_name_confusion() -> None:
    text = wf(
        """
        on: push
        jobs:
          lint:
            name: review
            runs-on: ubuntu-latest
            steps:
              - run: make lint
          review:
            name: Lint
            runs-on: ${{ matrix.os }}
            container: node:20
            strategy:
              matrix:
                os: [ubuntu-latest, ubuntu-22.04]
            steps:
              - uses: openai/codex-action@v1
                with:
                  prompt: hi
        """
    )
    result = patch_workflow(text)
    assert result.codex_jobs == ["review"]
    before, after = load(text)["jobs"], load(result.text)["jobs"]
    assert before["lint"] == after["lint"]
    assert result.text.startswith(text.split("  review:")[0])
    assert after["review"]["strategy"] == before["review"]["strategy"]


# 22
def test_yaml_inside_block_scalars_is_never_matched() -> None:
    text = wf(
        """
        on: push
        jobs:
          docs:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  cat <<'EOF' > example.yml
                  steps:
                    - name: Run Codex
                      uses: openai/codex-action@v1
                      if: always()
                  EOF
        """
    )
    result = patch_workflow(text)
    assert result.text == text and result.codex_jobs == []


# 23
@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            b"on: push\njobs:\n  a:\n\truns-on: x\n    steps:\n      - uses: openai/codex-action@v1\n",
            "line 4, column 1: YAML the kit cannot read safely: found character '\\t' that cannot start any token",
        ),
        (
            b"on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n"
            b"    steps:\n      - uses: openai/codex-action@v1\n",
            'line 5, column 5: YAML the kit cannot read safely: found duplicate key "runs-on" with value "y" '
            '(original value: "x")',
        ),
        (b"123 # openai/codex-action@v1\n", "the file is not a workflow (its top level is not a mapping)"),
        (b"# openai/codex-action@v1\n", "expected exactly one YAML document, found 0"),
        (
            b"on: push\njobs: [\n  uses: openai/codex-action@v1\n",
            "line 4, column 1: YAML the kit cannot read safely: expected ',' or ']', but got '<stream end>'",
        ),
        (
            b"on: push\r\njobs:\n  a:\n    steps:\n      - uses: openai/codex-action@v1\n",
            "mixes CRLF and LF line endings",
        ),
        (b"\xff\xfeon: push # openai/codex-action@v1\n", "not UTF-8 text"),
    ],
    ids=["tab-indent", "duplicate-key", "scalar-document", "comment-only", "invalid", "mixed-eol", "not-utf8"],
)
def test_unreadable_files_are_untouched_with_a_clear_error(tmp_path: Path, raw: bytes, reason: str) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    target = folder / "bad.yml"
    target.write_bytes(raw)
    (folder / "good.yml").write_text(BASIC)
    result = patch_repo(tmp_path)
    statuses = {f.path.split("/")[-1]: f for f in result.files}
    assert target.read_bytes() == raw
    assert statuses["good.yml"].status == "patched"
    bad = statuses["bad.yml"]
    assert bad.status == "refused"
    assert bad.error is not None and bad.error.startswith(".github/workflows/bad.yml") and reason in bad.error


# 24
def test_context_safety(tmp_path: Path) -> None:
    text = BASIC.replace("jobs:\n", "env:\n  GLOBAL: x\njobs:\n").replace(
        "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4",
        "    runs-on: ubuntu-latest\n    env:\n      JOB: y\n    steps:\n      - uses: actions/checkout@v4",
    )
    out = patched(text)
    data = load(out)
    assert "runner." not in str(data["env"]) and "runner." not in str(data["jobs"]["review"]["env"])
    for job in data["jobs"].values():
        assert "secrets." not in str(job.get("if", ""))
        for step in job["steps"]:
            assert "secrets." not in str(step.get("if", ""))
    path = tmp_path / "wf.yml"
    path.write_text(out)
    assert not [f for f in lint.actionlint([path]) if f[1] == "expression"]


# 25
def test_schema_actionlint_and_exact_hunks(tmp_path: Path) -> None:
    before, after = tmp_path / "before.yml", tmp_path / "after.yml"
    before.write_text(BASIC)
    result = patch_workflow(BASIC)
    after.write_text(result.text)
    assert lint.schema_ok(after)
    renamed = {("after.yml", kind, msg): n for (_, kind, msg), n in lint.actionlint([before]).items()}
    assert not (lint.actionlint([after]) - Counter(renamed))
    removed = [line for line in BASIC.splitlines() if line not in result.text.splitlines()]
    assert removed == [], "the patch only adds lines here; nothing of the original is lost"


def test_naive_same_repo_guard_is_reported() -> None:
    text = BASIC.replace(
        "  review:\n    runs-on",
        "  review:\n    if: github.event.pull_request.head.repo.full_name == github.repository\n    runs-on",
    )
    result = patch_workflow(text)
    (note,) = result.jobs[0].notes
    assert "false on push runs" in note
