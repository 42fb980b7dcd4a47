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
messages to users, so it reads with the pure loader. The one exception is re-reading the kit's own
output to verify it (`compose_and_load_fast`, several times faster on a large file): when libyaml's
reading shows any problem, the pure reader reads it again and decides. Marks are character offsets
into the `str` being parsed: slice that `str`, never its encoded bytes.

Reading is bounded, because the files come from repositories the kit does not control: nesting
deeper than `MAX_DEPTH` (PyYAML's composer recurses, so 100k `[` would end in a RecursionError) and
aliases that together stand for more than `MAX_ALIASED_NODES` nodes (a ten-line "billion laughs"
file) are `YAMLError`s raised while composing, before anything walks the tree. The size limit is the
caller's (`kit.textfile.MAX_BYTES`), checked before the text is decoded.
"""

from __future__ import annotations

import re
from typing import Any

from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.error import YAMLError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
MAX_DEPTH = 100  # real workflows nest about ten deep; each level costs PyYAML a few stack frames
MAX_ALIASED_NODES = 100_000  # what all aliases of a document stand for, counted as if expanded


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

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        """PyYAML flattens merge keys into the node itself; flatten a copy, so the node tree stays the
        file's own (the planner refuses merge keys by finding them there)."""
        if any(key.tag == MERGE_TAG for key, _ in node.value):
            node = MappingNode(node.tag, _merged_pairs(node), node.start_mark, node.end_mark, node.flow_style)
        return super().construct_mapping(node, deep)


def _merged_pairs(node: MappingNode) -> list[tuple[Node, Node]]:
    """The mapping's pairs with its `<<` merges resolved (merged first, so its own keys win), as
    PyYAML's `flatten_mapping` orders them, without changing any node."""
    merged: list[tuple[Node, Node]] = []
    own: list[tuple[Node, Node]] = []
    for key, value in node.value:
        if key.tag != MERGE_TAG:
            own.append((key, value))
        elif isinstance(value, MappingNode):
            merged.extend(_merged_pairs(value))
        elif isinstance(value, SequenceNode) and all(isinstance(item, MappingNode) for item in value.value):
            for item in reversed(value.value):
                merged.extend(_merged_pairs(item))
        else:
            raise ConstructorError(
                "while constructing a mapping", node.start_mark, "a merge key needs a mapping", value.start_mark
            )
    return merged + own


CoreSchemaConstructor.add_constructor(_INT_TAG, CoreSchemaConstructor.construct_yaml_int)


class AnchorComposer(Composer):
    """A composer that keeps each node's anchor name as `node.anchor` (None when it has none).

    An anchor name may be defined again further down (YAML 1.2 allows it; an alias then means the
    latest definition). PyYAML refuses that; ruamel.yaml, which the kit used before, accepted it.

    It also bounds the work a hostile file can cause: each node records how many nodes it stands for
    with its aliases expanded (`node.expanded`), and a document whose aliases together stand for more
    than `MAX_ALIASED_NODES`, or that nests deeper than `MAX_DEPTH`, is refused where it happens.
    """

    def compose_document(self) -> Node:
        self.depth = 0
        self.aliased = 0
        return super().compose_document()

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            if not hasattr(node, "expanded"):
                raise ComposerError(None, None, "an alias refers to a node that contains it", event.start_mark)
            self.aliased += node.expanded
            if self.aliased > MAX_ALIASED_NODES:
                problem = f"its aliases stand for more than {MAX_ALIASED_NODES:,} nodes (an alias bomb?)"
                raise ComposerError(None, None, problem, event.start_mark)
            return node
        if event.anchor is not None:
            self.anchors.pop(event.anchor, None)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def compose_scalar_node(self, anchor: str | None) -> Node:
        return _with_anchor(super().compose_scalar_node(anchor), anchor, 1)

    def compose_sequence_node(self, anchor: str | None) -> Node:
        node = super().compose_sequence_node(anchor)
        return _with_anchor(node, anchor, 1 + sum(item.expanded for item in node.value))

    def compose_mapping_node(self, anchor: str | None) -> Node:
        node = super().compose_mapping_node(anchor)
        return _with_anchor(node, anchor, 1 + sum(key.expanded + value.expanded for key, value in node.value))


def _with_anchor(node: Node, anchor: str | None, expanded: int) -> Node:
    node.anchor = anchor  # type: ignore[attr-defined]
    node.expanded = expanded  # type: ignore[attr-defined]
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


def compose_and_load(text: str) -> list[tuple[Node, Any]]:
    """Every document's node tree and its data, from one parse (the data is built from the nodes)."""
    return _documents(WorkflowLoader(text))


def _documents(loader: Any) -> list[tuple[Node, Any]]:
    """Each document's node tree and the data built from it, the loader disposed of whatever happens."""
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            documents.append((node, loader.construct_document(node)))
        return documents
    finally:
        loader.dispose()


try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    CParser = None


def compose_and_load_fast(text: str) -> list[tuple[Node, Any]] | None:
    """`compose_and_load` through libyaml, for re-reading the kit's own output quickly (a large file
    reads several times faster); None when libyaml is absent or cannot read the text. Its nodes have
    no anchor names, its marks are character offsets too, and nothing it says is shown to a user:
    a caller that finds a problem with this reading asks the pure reader again."""
    if CParser is None:
        return None
    try:
        return _documents(_FastLoader(text))
    except YAMLError:
        return None


if CParser is not None:

    class _FastLoader(CParser, CoreSchemaConstructor, CoreSchemaResolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            CoreSchemaConstructor.__init__(self)
            CoreSchemaResolver.__init__(self)


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
