"""The text edits behind each revision; each takes and returns the text of a codebook."""

from __future__ import annotations

from typing import Any

from yaml.nodes import ScalarNode, SequenceNode

from qualmine.codebook.writer import FlowList, to_yaml
from qualmine.codebook.yamltext import (
    LayoutError,
    Source,
    add_pair,
    apply_edits,
    extend_flow,
    extend_sequence,
    insert_pair_text,
    item_span,
    parse_source,
    remove_pair,
    scalar_edit,
    scalar_text,
    shift,
    splice,
)
from qualmine.models import Codebook

# The keys a merge carries from the merged codes to the code they merge into.
MERGED_KEYS = ("examples", "keywords", "patterns", "regex")


def rename_text(text: str, old_id: str, new_id: str, new_name: str | None) -> str:
    """Change a code's id (and the ``parent`` keys naming it), and optionally its name."""
    source = parse_source(text)
    code = source.codes[old_id]
    edits = [scalar_edit(text, code.pairs["id"][1], new_id)]
    edits += [
        scalar_edit(text, source.codes[child].pairs["parent"][1], new_id)
        for child in source.flat_children(old_id)
    ]
    if new_name is not None:
        edits.append(scalar_edit(text, code.pairs["name"][1], new_name))
    return apply_edits(text, edits)


def move_text(text: str, code_id: str, new_parent: str | None) -> str:
    """Put a code (with its children) under ``new_parent``, or at the top level."""
    code = parse_source(text).codes[code_id]
    if "parent" in code.pairs:
        value = code.pairs["parent"][1]
        if code.nesting_parent is None and new_parent is not None and value.value:
            return apply_edits(text, [scalar_edit(text, value, new_parent)])
        text = remove_pair(text, code.node, "parent")
        if code.nesting_parent is None:  # a flat code stays flat
            if new_parent is None:
                return text
            return add_pair(text, parse_source(text).codes[code_id], "parent", new_parent)
    elif code.nesting_parent is None and new_parent is not None and _writes_flat(text):
        return add_pair(text, code, "parent", new_parent)
    text, block, column = cut_code(parse_source(text), code_id)
    return insert_code(parse_source(text), new_parent, block, column)


def _writes_flat(text: str) -> bool:
    """True when the file gives parents with ``parent`` keys on top-level codes."""
    source = parse_source(text)
    return any("parent" in c.pairs for c in source.codes.values() if c.nesting_parent is None)


def cut_code(source: Source, code_id: str) -> tuple[str, str, int]:
    """Remove a code's item from its list; returns the new text, the item text and its column."""
    code, text = source.codes[code_id], source.text
    if code.container.flow_style:
        raise LayoutError(
            code.container,
            code.nesting_parent,
            "the list holding this code is in flow style ([...]); write it as a "
            "block list to revise it",
        )
    start, end, column = item_span(text, code.node)
    block = text[start:end]
    if len(code.container.value) > 1:
        return splice(text, start, end, ""), block, column
    if code.nesting_parent is not None:
        return remove_pair(text, source.codes[code.nesting_parent].node, "children"), block, column
    colon = text.index(":", source.top["codes"][0].end_mark.index)
    return splice(text, colon + 1, end, " []\n"), block, column


def insert_code(
    source: Source, parent: str | None, block: str, column: int, after: str | None = None
) -> str:
    """Insert an item (``block``, its dash at ``column``) among the children of ``parent``."""
    items = shift(block, -column)
    if parent is None:
        key_node, seq = source.top["codes"]
    elif "children" not in source.codes[parent].pairs:
        fragment = "children:\n" + shift(items, 2)
        return insert_pair_text(source.text, source.codes[parent], "children", fragment)
    else:
        key_node, seq = source.codes[parent].pairs["children"]
    anchor = source.codes[after].node if after is not None else None
    return extend_sequence(source.text, key_node, seq, items, anchor)


def split_text(text: str, code_id: str, new_codes: list[tuple[str, str, str]], keep: bool) -> str:
    """Add ``(id, name, definition)`` codes as siblings after a code; remove it unless ``keep``."""
    source = parse_source(text)
    code = source.codes[code_id]
    flat_parent = code.pairs["parent"][1].value if "parent" in code.pairs else ""
    records = []
    for new_id, name, definition in new_codes:
        record = {"id": new_id, "name": name, "parent": flat_parent, "definition": definition}
        records.append({key: value for key, value in record.items() if value})
    if code.nesting_parent is None:
        key_node = source.top["codes"][0]
    else:
        key_node = source.codes[code.nesting_parent].pairs["children"][0]
    text = extend_sequence(text, key_node, code.container, to_yaml(records), code.node)
    if not keep:
        text = cut_code(parse_source(text), code_id)[0]
    return text


def merge_text(text: str, source_ids: list[str], target_id: str, book: Codebook) -> str:
    """Move the children of the merged codes under the target, add their hints, remove them."""
    for source_id in source_ids:
        source = parse_source(text)
        nested = [c.id for c in source.codes.values() if c.nesting_parent == source_id]
        for child in nested + [c for c in source.flat_children(source_id) if c not in nested]:
            text = move_text(text, child, target_id)
    for key, items in merged_hints(book, source_ids, target_id).items():
        text = extend_field(text, target_id, key, items)
    for source_id in source_ids:
        text = cut_code(parse_source(text), source_id)[0]
    return text


def merged_hints(book: Codebook, source_ids: list[str], target_id: str) -> dict[str, list[Any]]:
    """Per key, the values the merged codes add to the target (no repeats)."""
    codes = [book.code(code_id) for code_id in [target_id, *source_ids]]
    added: dict[str, list[Any]] = {}
    for key in MERGED_KEYS:
        seen: list[Any] = []
        for code in codes:
            for value in getattr(code, key):
                same = value.quote if key == "examples" else value
                if same not in seen:
                    seen.append(same)
                    if code is not codes[0]:
                        added.setdefault(key, []).append(_yaml_value(key, value))
    return added


def _yaml_value(key: str, value: Any) -> Any:
    if key == "examples":
        return {"quote": value.quote, "source": value.source} if value.source else value.quote
    if key == "patterns":
        return FlowList(dict(token) for token in value)
    return value


def extend_field(text: str, code_id: str, key: str, items: list[Any]) -> str:
    """Append items to a list-valued key of a code, keeping the list's style."""
    code = parse_source(text).codes[code_id]
    if key not in code.pairs:
        flow = key in ("keywords", "regex")
        return add_pair(text, code, key, FlowList(items) if flow else items)
    key_node, value = code.pairs[key]
    empty = isinstance(value, ScalarNode) and value.tag == "tag:yaml.org,2002:null"
    if empty or (isinstance(value, SequenceNode) and not value.flow_style):
        return extend_sequence(text, key_node, value, to_yaml(items), None)
    return extend_flow(text, value, items)


def append_changelog_text(text: str, entry: dict[str, str]) -> str:
    """Append an entry to the changelog, adding the key at the end when there is none."""
    source = parse_source(text)
    block = "".join(
        f"{'- ' if index == 0 else '  '}{key}: {scalar_text(value)}\n"
        for index, (key, value) in enumerate(entry.items())
    )
    if "changelog" not in source.top:
        return text + ("" if text.endswith("\n") else "\n") + "changelog:\n" + shift(block, 2)
    key_node, seq = source.top["changelog"]
    return extend_sequence(text, key_node, seq, block, None)
