"""The YAML reader: GitHub's YAML 1.2 reading, character-offset marks, anchors and repeated keys."""

from __future__ import annotations

import pytest
import yaml

from kit.patch import yamlread
from kit.patch.workflow import patch_workflow
from kit.patch.yamldoc import Document, UnsafeDocument

NON_ASCII = (
    "name: Revue 🤖 de café\n"
    "on: push\n"
    "jobs:\n"
    "  review:\n"
    "    runs-on: ubuntu-latest\n"
    "    steps:\n"
    "      - name: 检查代码 é 😀\n"
    "        run: echo '日本語 😀 é' # コメント\n"
    "      - name: Codex 🚀\n"
    "        uses: openai/codex-action@v1\n"
    "        with:\n"
    "          openai-api-key: ${{ secrets.K }}\n"
    "          prompt: Résumé ✅\n"
)


def _nodes(node: yaml.Node) -> list[yaml.Node]:
    found = [node]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found += _nodes(key) + _nodes(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += _nodes(item)
    return found


def test_marks_are_character_offsets_in_non_ascii_text() -> None:
    (root,) = yamlread.compose_all(NON_ASCII)
    lines = NON_ASCII.split("\n")
    for node in _nodes(root):
        if isinstance(node, yaml.ScalarNode) and node.style is None:
            mark = node.start_mark
            assert NON_ASCII[mark.index : mark.index + len(node.value)] == node.value
            assert lines[mark.line][mark.column :].startswith(node.value)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
def test_libyaml_marks_are_character_offsets_too() -> None:
    """Checked rather than assumed: libyaml counts characters as well (see yamlread's docstring)."""
    pure = [(n.start_mark.index, n.start_mark.column) for n in _nodes(yamlread.compose_all(NON_ASCII)[0])]
    fast = [(n.start_mark.index, n.start_mark.column) for n in _nodes(yaml.compose(NON_ASCII, Loader=yaml.CSafeLoader))]
    assert pure == fast


def test_patch_splices_at_the_right_place_after_multibyte_text() -> None:
    out = patch_workflow(NON_ASCII).text
    assert "        run: echo '日本語 😀 é' # コメント\n      - name: Codex preflight\n" in out
    assert "      - name: Codex 🚀\n        uses: openai/codex-action@v1\n        id: codex\n        if: " in out
    steps = yamlread.load(out)["jobs"]["review"]["steps"]
    assert steps[-2]["with"]["prompt"] == "Résumé ✅"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on: push", {"on": "push"}),
        ("a: yes\nb: no\nc: off\nd: On", {"a": "yes", "b": "no", "c": "off", "d": "On"}),
        ("a: 010\nb: 0o10\nc: 0x10\nd: -7", {"a": 10, "b": 8, "c": 16, "d": -7}),
        ("a: 1_000\nb: 1:30\nc: 2024-01-02", {"a": "1_000", "b": "1:30", "c": "2024-01-02"}),
        ("a: 3.10\nb: .inf\nc: 1e3", {"a": 3.1, "b": float("inf"), "c": 1000.0}),
        ("a: true\nb: False\nc: ~\nd:\ne: null", {"a": True, "b": False, "c": None, "d": None, "e": None}),
        ("x: &x {a: 1}\ny:\n  <<: *x\n  b: 2", {"x": {"a": 1}, "y": {"a": 1, "b": 2}}),
    ],
    ids=["on", "yes-no-off", "integers", "no-1.1-forms", "floats", "bool-null", "merge"],
)
def test_data_is_read_as_yaml_1_2_core_schema(text: str, expected: dict) -> None:
    assert yamlread.load(text) == expected


def test_pyyaml_global_loaders_are_untouched() -> None:
    yamlread.load("a: 1")
    assert yaml.safe_load("on: yes") == {True: True}


def test_anchor_names_are_kept_on_nodes() -> None:
    (root,) = yamlread.compose_all("a: &first [1]\nb: *first\nc: &s x\n")
    values = {key.value: value for key, value in root.value}
    assert values["a"].anchor == "first" and values["b"] is values["a"]
    assert values["c"].anchor == "s" and root.anchor is None


def test_an_anchor_may_be_defined_again_and_aliases_mean_the_latest() -> None:
    (root,) = yamlread.compose_all("a: &x 1\nb: &x 2\nc: *x\n")
    values = {key.value: value for key, value in root.value}
    assert values["c"] is values["b"]
    assert yamlread.load("a: &x 1\nb: &x 2\nc: *x\n") == {"a": 1, "b": 2, "c": 2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a:\n  b: 1\n  c: 2\n  b: 3\n",
            r'line 4, column 3: .*duplicate key "b" with value "3" \(original value: "1"\)',
        ),
        ("a:\n  - x: 1\n    x: [2]\n", r'line 3, column 5: .*duplicate key "x"'),
        ("a: 1\n---\na: 2\n", "exactly one YAML document, found 2"),
        ("%YAML 1.1\n---\na: 1\n", r"YAML 1\.1"),
        ("a:\n\tb: 1\n", r"line 2, column 1: .*found character '\\t'"),
    ],
    ids=["duplicate-scalar", "duplicate-in-list", "two-documents", "yaml-1.1", "tab"],
)
def test_refusals_carry_the_place_and_reason(text: str, message: str) -> None:
    with pytest.raises(UnsafeDocument, match=message):
        Document.parse(text)
