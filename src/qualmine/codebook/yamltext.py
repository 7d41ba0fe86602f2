"""Codebook YAML as text plus its node tree, and splices that leave the rest as written.

Revisions edit the text at the positions PyYAML's nodes give, so comments, blank lines,
quoting and key order outside the edited spans stay byte for byte. Every function takes the
text of a valid codebook and returns new text; callers parse again between edits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from qualmine.codebook.problems import line_of
from qualmine.codebook.schema import CODE_KEYS
from qualmine.codebook.writer import FlowList, to_yaml

Pairs = dict[str, tuple[Node, Node]]
_PLAIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"


class LayoutError(Exception):
    """The file is laid out in a way a revision cannot edit in place (flow-style lists)."""

    def __init__(self, node: Node, code_id: str | None, message: str) -> None:
        """Record where the layout problem is."""
        super().__init__(message)
        self.line = line_of(node)
        self.code_id = code_id
        self.message = message


@dataclass(frozen=True, slots=True)
class CodeNode:
    """Where one code sits in the node tree."""

    id: str
    node: MappingNode
    pairs: Pairs
    container: SequenceNode
    nesting_parent: str | None


@dataclass(frozen=True, slots=True)
class Source:
    """Codebook text with its top-level pairs and its codes by id."""

    text: str
    top: Pairs
    codes: dict[str, CodeNode]

    def flat_children(self, code_id: str) -> list[str]:
        """Ids of the codes that name ``code_id`` in a ``parent`` key."""
        return [
            c.id
            for c in self.codes.values()
            if "parent" in c.pairs and c.pairs["parent"][1].value == code_id
        ]


def parse_source(text: str) -> Source:
    """Parse the text of a valid codebook."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, MappingNode):
        raise ValueError("not a codebook")  # callers parse validated text only
    top = pairs_of(root)
    codes: dict[str, CodeNode] = {}
    if "codes" in top:
        _collect(top["codes"][1], None, codes)
    return Source(text, top, codes)


def pairs_of(node: MappingNode) -> Pairs:
    """A mapping's pairs by key."""
    return {str(k.value): (k, v) for k, v in node.value}


def _collect(seq: Node, parent: str | None, codes: dict[str, CodeNode]) -> None:
    if not isinstance(seq, SequenceNode):
        return
    for item in seq.value:
        pairs = pairs_of(item)
        code_id = str(pairs["id"][1].value)
        codes.setdefault(code_id, CodeNode(code_id, item, pairs, seq, parent))
        if "children" in pairs:
            _collect(pairs["children"][1], code_id, codes)


def construct(node: Node) -> Any:
    """The plain value of a node."""
    return SafeConstructor().construct_document(node)


def scalar_text(value: str) -> str:
    """``value`` as a YAML scalar: plain when that reads back the same, else double-quoted."""
    plain = value[:1] in tuple(_PLAIN) and value == value.strip()
    plain = plain and all(ch in _PLAIN or ch in " .-/()" for ch in value)
    if plain and yaml.safe_load(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def shift(block: str, by: int) -> str:
    """Indent (or dedent) every line of a block by ``by`` columns."""
    lines = block.splitlines(keepends=True)
    if by >= 0:
        return "".join(" " * by + line if line.strip() else line for line in lines)
    return "".join(line[min(-by, len(line) - len(line.lstrip(" "))) :] for line in lines)


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _next_line(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _eol(text: str, index: int) -> int:
    """Just past the line break ending the line that holds ``index`` (``index`` if at a start)."""
    return index if index == 0 or text[index - 1] == "\n" else _next_line(text, index)


def node_end(text: str, node: Node) -> int:
    """Where a node's own text ends, before trailing comments and blank lines."""
    if isinstance(node, ScalarNode):
        if node.style in ("|", ">"):
            start = node.start_mark.index
            return _eol(text, start + len(text[start : node.end_mark.index].rstrip()))
        return int(node.end_mark.index)
    if not isinstance(node, (MappingNode, SequenceNode)) or node.flow_style:
        return int(node.end_mark.index)
    last = node.value[-1]
    if isinstance(node, MappingNode):
        return value_end(text, last[0], last[1])
    return node_end(text, last)


def value_end(text: str, key: Node, value: Node) -> int:
    """Where a pair ends; an empty value ends at its key's colon."""
    if isinstance(value, ScalarNode) and value.value == "" and value.style is None:
        return text.index(":", key.end_mark.index) + 1
    return node_end(text, value)


def item_span(text: str, item: Node) -> tuple[int, int, int]:
    """Start, end and dash column of a block sequence item, with the comments that go with it.

    Full-line comments just above the dash, at its column, and those just below the item,
    indented deeper than the dash, travel with the item.
    """
    dash = int(item.start_mark.index) - 1
    while dash >= 0 and text[dash] in " \n":
        dash -= 1
    start = _line_start(text, dash)
    column = dash - start
    while start > 0:
        above = _line_start(text, start - 1)
        line = text[above : start - 1]
        if not (line.lstrip().startswith("#") and _indent(line) == column):
            break
        start = above
    end = _eol(text, node_end(text, item))
    while end < len(text):
        line = text[end : _next_line(text, end)]
        if not (line.lstrip().startswith("#") and _indent(line) > column):
            break
        end = _next_line(text, end)
    return start, end, column


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def splice(text: str, start: int, end: int, new: str) -> str:
    """Replace ``text[start:end]``."""
    return text[:start] + new + text[end:]


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply non-overlapping replacements ``(start, end, new)``."""
    for start, end, new in sorted(edits, reverse=True):
        text = splice(text, start, end, new)
    return text


def scalar_edit(text: str, node: Node, value: str) -> tuple[int, int, str]:
    """The replacement that sets a scalar node to ``value``."""
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        return node.start_mark.index, node_end(text, node), scalar_text(value) + "\n"
    return node.start_mark.index, node.end_mark.index, scalar_text(value)


def remove_pair(text: str, mapping: MappingNode, key: str) -> str:
    """Remove a key and its value (with comments indented under it)."""
    keys = [str(k.value) for k, _ in mapping.value]
    index = keys.index(key)
    key_node, value_node = mapping.value[index]
    end = _eol(text, value_end(text, key_node, value_node))
    column = key_node.start_mark.column
    while end < len(text):
        line = text[end : _next_line(text, end)]
        if not (line.lstrip().startswith("#") and _indent(line) > column):
            break
        end = _next_line(text, end)
    start = int(key_node.start_mark.index)
    if not text[_line_start(text, start) : start].strip():
        return splice(text, _line_start(text, start), end, "")
    if index + 1 < len(keys):  # the first key, on the dash's line: the next key moves up
        return splice(text, start, mapping.value[index + 1][0].start_mark.index, "")
    raise LayoutError(key_node, None, f"cannot remove '{key}' here; put it on a line of its own")


def add_pair(text: str, code: CodeNode, key: str, value: Any) -> str:
    """Add a key and its value to a code."""
    return insert_pair_text(text, code, key, to_yaml({key: value}))


def insert_pair_text(text: str, code: CodeNode, key: str, fragment: str) -> str:
    """Insert ``fragment`` (``key: ...`` at column 0) into a code, in the documented key order."""
    if code.node.flow_style:
        raise LayoutError(
            code.node,
            code.id,
            "this code is written in flow style ({...}); write it in block style to revise it",
        )
    rank = CODE_KEYS.index(key)
    before = [
        (k, v)
        for k, v in code.node.value
        if str(k.value) in CODE_KEYS and CODE_KEYS.index(str(k.value)) < rank
    ]
    key_node, value_node = before[-1] if before else code.node.value[-1]
    at = _eol(text, value_end(text, key_node, value_node))
    return splice(text, at, at, shift(fragment, code.node.start_mark.column))


def extend_sequence(text: str, key_node: Node, seq: Node, block: str, after: Node | None) -> str:
    """Add items (``block``: YAML list text at column 0) to a block list, or fill an empty one.

    The items go after ``after`` when given, else at the end.
    """
    if isinstance(seq, SequenceNode) and not seq.flow_style and seq.value:
        column = item_span(text, seq.value[0])[2]
        at = item_span(text, after if after is not None else seq.value[-1])[1]
        return splice(text, at, at, shift(block, column))
    if (isinstance(seq, ScalarNode) and seq.tag == "tag:yaml.org,2002:null") or (
        isinstance(seq, SequenceNode) and not seq.value
    ):
        colon = text.index(":", key_node.end_mark.index)
        new = "\n" + shift(block, key_node.start_mark.column + 2).rstrip("\n")
        return splice(text, colon + 1, value_end(text, key_node, seq), new)
    raise LayoutError(
        seq,
        None,
        f"'{key_node.value}' is written in flow style ([...]); "
        "write it as a block list to revise it",
    )


def extend_flow(text: str, node: Node, items: list[Any]) -> str:
    """Add items to a flow list (``[a, b]``), or make a single value a flow list, as written."""
    added = to_yaml(FlowList(items), width=10**6).strip()[1:-1]
    if isinstance(node, SequenceNode) and node.flow_style:
        close = text.rindex("]", node.start_mark.index, node.end_mark.index)
        gap = ", " if node.value else ""
        return splice(text, close, close, gap + added)
    start, end = node.start_mark.index, node_end(text, node)
    return splice(text, start, end, f"[{text[start:end].strip()}, {added}]")
