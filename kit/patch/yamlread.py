"""Read YAML the way GitHub does (YAML 1.2 core schema), keeping node positions and anchor names.

PyYAML's own loaders read YAML 1.1: `on` and `yes` become booleans and `010` an octal 8. GitHub
reads YAML 1.2, so this module builds its own loader classes with 1.2 core-schema resolvers and
constructors (plus the merge-key tag, so merges are still seen); PyYAML's global loaders are never
touched. Its composer also writes each node's anchor name on the node (`node.anchor`), which
PyYAML's nodes do not keep, so the patch can refuse to edit shared nodes.

The loader is PyYAML's pure-Python one. libyaml's marks are character offsets too (the tests check
it on é, emoji and CJK text), but at the end of a file with no final newline it puts a block
collection's end on a line that does not exist, and its scanner errors drop the offending
character ("found character that cannot start any token"); the patch reports those marks and
messages to users, so it reads with the pure loader. Marks are character offsets into the `str`
being parsed: slice that `str`, never its encoded bytes.
"""

from __future__ import annotations

import re
from typing import Any

from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class CoreSchemaResolver(BaseResolver):
    """Implicit tags of the YAML 1.2 core schema, and `<<` as a merge key."""


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (_INT_TAG, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        _FLOAT_TAG,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+0123456789."),
    ),
    (MERGE_TAG, r"^(?:<<)$", ["<"]),
):
    CoreSchemaResolver.add_implicit_resolver(_tag, re.compile(_pattern), _first)


class CoreSchemaConstructor(SafeConstructor):
    """SafeConstructor with 1.2 integers: `010` is ten, `0o10` eight, `0x10` sixteen."""

    def construct_yaml_int(self, node: ScalarNode) -> int:
        value = str(self.construct_scalar(node))
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value, 10)


CoreSchemaConstructor.add_constructor(_INT_TAG, CoreSchemaConstructor.construct_yaml_int)


class AnchorComposer(Composer):
    """A composer that keeps each node's anchor name as `node.anchor` (None when it has none).

    An anchor name may be defined again further down (YAML 1.2 allows it; an alias then means the
    latest definition). PyYAML refuses that; ruamel.yaml, which the kit used before, accepted it.
    """

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if not isinstance(event, AliasEvent) and event.anchor is not None:
            self.anchors.pop(event.anchor, None)
        return super().compose_node(parent, index)

    def compose_scalar_node(self, anchor: str | None) -> Node:
        return _with_anchor(super().compose_scalar_node(anchor), anchor)

    def compose_sequence_node(self, anchor: str | None) -> Node:
        return _with_anchor(super().compose_sequence_node(anchor), anchor)

    def compose_mapping_node(self, anchor: str | None) -> Node:
        return _with_anchor(super().compose_mapping_node(anchor), anchor)


def _with_anchor(node: Node, anchor: str | None) -> Node:
    node.anchor = anchor  # type: ignore[attr-defined]
    return node


class WorkflowLoader(Reader, Scanner, Parser, AnchorComposer, CoreSchemaConstructor, CoreSchemaResolver):
    """Pure-Python loader: YAML 1.2 core schema, anchor names on nodes, character-offset marks."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        AnchorComposer.__init__(self)
        CoreSchemaConstructor.__init__(self)
        CoreSchemaResolver.__init__(self)


def compose_all(text: str) -> list[Node]:
    """Every document's node tree (anchor names kept)."""
    loader = WorkflowLoader(text)
    try:
        roots = []
        while loader.check_node():
            roots.append(loader.get_node())
        return roots
    finally:
        loader.dispose()


def load_all(text: str) -> list[Any]:
    """Every document's data, read as YAML 1.2 core schema."""
    loader = WorkflowLoader(text)
    try:
        documents = []
        while loader.check_data():
            documents.append(loader.get_data())
        return documents
    finally:
        loader.dispose()


def load(text: str) -> Any:
    """The data of a single-document text (None for an empty one)."""
    documents = load_all(text)
    return documents[0] if documents else None


def duplicate_key(node: Node, seen: set[int] | None = None) -> tuple[ScalarNode, Node, Node] | None:
    """The first repeated scalar key of any mapping in `node`: (key node, its value, the first value).

    PyYAML keeps the last value of a repeated key without a word; GitHub rejects the file.
    """
    seen = set() if seen is None else seen
    if id(node) in seen:
        return None
    seen.add(id(node))
    children: list[Node] = []
    if isinstance(node, MappingNode):
        first: dict[tuple[str, str], Node] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.tag != MERGE_TAG:
                if (key.tag, key.value) in first:
                    return key, value, first[(key.tag, key.value)]
                first[(key.tag, key.value)] = value
            children += [key, value]
    elif isinstance(node, SequenceNode):
        children = list(node.value)
    for child in children:
        found = duplicate_key(child, seen)
        if found:
            return found
    return None
