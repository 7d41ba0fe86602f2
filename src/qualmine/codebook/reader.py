"""YAML text -> a draft codebook: every code with its lines, and every problem found on the way.

PyYAML's node tree is read directly (rather than the constructed data) so that each key and
value keeps its line, duplicate keys are caught, and ids keep the text they were written as.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from qualmine.codebook.fields import FIELD_READERS, INT_TAG, is_null, kind, read_text
from qualmine.codebook.problems import NO_ID, Collector, Problem, line_of
from qualmine.codebook.schema import (
    CHANGELOG_KEYS,
    CODE_KEYS,
    FORMAT_VERSION,
    ID_PATTERN,
    REQUIRED_CHANGELOG_KEYS,
    TOP_KEYS,
    did_you_mean,
)
from qualmine.models import ChangelogEntry, Code

Pairs = dict[str, tuple[Node, Node]]


@dataclass(frozen=True, slots=True)
class DraftCode:
    """A code as read, before the checks that need the whole codebook.

    Attributes:
        code: the code; ``parent`` comes from its ``parent`` key or from where it is nested.
        id_line: the line of its id (of the code when the id is missing).
        parent_line: the line of its ``parent`` key, 0 when it has none.
        stance_line: the line of its ``stance`` key, 0 when it has none.
        has_id: False when the id is missing (``code.id`` is then ``(no id)``).
    """

    code: Code
    id_line: int
    parent_line: int = 0
    stance_line: int = 0
    has_id: bool = True


@dataclass(frozen=True, slots=True)
class Draft:
    """A codebook file as read: top-level values and every code in file order."""

    name: str
    format_version: int
    codes: tuple[DraftCode, ...]
    changelog: tuple[ChangelogEntry, ...]
    description: str = ""


def read_draft(text: str) -> tuple[Draft | None, list[Problem]]:
    """Read codebook YAML; the draft is None when the file cannot be read as a codebook."""
    out = Collector(lines=tuple(text.splitlines()))
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        out.error(*_syntax_problem(error))
        return None, out.problems
    except yaml.YAMLError as error:
        out.error(0, f"YAML syntax error: {error}")
        return None, out.problems
    if not isinstance(root, MappingNode):
        found = "an empty file" if root is None else f"a {kind(root)}"
        out.error(
            1 if root is None else line_of(root),
            f"a codebook is a mapping with format_version, name and codes, not {found}",
        )
        return None, out.problems
    return _read_top(root, out), out.problems


def _syntax_problem(error: yaml.MarkedYAMLError) -> tuple[int, str]:
    """The line the parser stopped at, and what it expected (with where the construct began)."""
    mark = error.problem_mark or error.context_mark
    line = int(mark.line) + 1 if mark is not None else 0
    message = f"YAML syntax error: {error.problem or error.context}"
    if error.problem and error.context and error.context_mark is not None:
        message += f" ({error.context}, which starts on line {error.context_mark.line + 1})"
    if "'\\t'" in message:
        message += "; indent with spaces, not tabs"
    return line, message


def mapping_pairs(node: MappingNode, allowed: tuple[str, ...], where: str, out: Collector) -> Pairs:
    """The pairs of a mapping by key; reports duplicate, non-text and unknown keys."""
    pairs: Pairs = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            out.error(key_node, f"a key {where} must be text, not a {kind(key_node)}")
            continue
        key = str(key_node.value)
        if key in pairs:
            first = line_of(pairs[key][0])
            out.error(
                key_node,
                f"key '{key}' appears twice {where} (lines {first} and {line_of(key_node)})",
            )
        elif key not in allowed:
            out.error(key_node, f"unknown key '{key}' {where}{did_you_mean(key, allowed)}")
        else:
            pairs[key] = (key_node, value_node)
    return pairs


def _read_top(root: MappingNode, out: Collector) -> Draft:
    pairs = mapping_pairs(root, TOP_KEYS, "at the top level", out)
    for key in ("format_version", "name", "codes"):
        if key not in pairs:
            out.error(1, f"missing {key} (a codebook needs format_version, name and codes)")
    version = _read_version(pairs["format_version"][1], out) if "format_version" in pairs else 0
    codes: list[DraftCode] = []
    if "codes" in pairs:
        _read_code_list(pairs["codes"][1], None, out, codes)
    return Draft(
        name=read_text(pairs["name"][1], "name", out) if "name" in pairs else "",
        format_version=version,
        codes=tuple(codes),
        changelog=_read_changelog(pairs["changelog"][1], out) if "changelog" in pairs else (),
        description=(
            read_text(pairs["description"][1], "description", out) if "description" in pairs else ""
        ),
    )


def _read_version(node: Node, out: Collector) -> int:
    if isinstance(node, ScalarNode) and node.tag == INT_TAG and node.value == str(FORMAT_VERSION):
        return FORMAT_VERSION
    written = node.value if isinstance(node, ScalarNode) else kind(node)
    out.error(
        node,
        f"unsupported format_version '{written}' (this qualmine reads "
        f"format_version {FORMAT_VERSION})",
    )
    return 0


def _read_code_list(node: Node, parent: str | None, out: Collector, codes: list[DraftCode]) -> None:
    where = "codes" if parent is None else f"children of {parent}"
    if is_null(node):
        return
    if not isinstance(node, SequenceNode):
        out.about(parent).error(node, f"{where} must be a list of codes, not a {kind(node)}")
        return
    for item in node.value:
        if isinstance(item, MappingNode):
            _read_code(item, parent, out, codes)
        else:
            out.error(item, f"each entry of {where} must be a code (a mapping with id and name)")


def _read_code(
    node: MappingNode, nesting: str | None, out: Collector, codes: list[DraftCode]
) -> None:
    ids = [v for k, v in node.value if isinstance(k, ScalarNode) and k.value == "id"]
    code_id = read_text(ids[0], "id", out) if ids else ""
    code_out = out.about(code_id or NO_ID)
    pairs = mapping_pairs(node, CODE_KEYS, "in a code", code_out)
    if not code_id:
        code_out.error(node, "missing id (add a unique id: lower case letters, digits, _ - .)")
    elif not ID_PATTERN.fullmatch(code_id):
        code_out.error(
            ids[0], f"invalid id '{code_id}': use only lower case letters, digits, '_', '-' and '.'"
        )
    fields: dict[str, Any] = {"name": ""}
    fields.update(
        (key, FIELD_READERS[key](value, key, code_out))
        for key, (_, value) in pairs.items()
        if key in FIELD_READERS
    )
    if not fields["name"]:
        code_out.error(pairs["name"][1] if "name" in pairs else node, "missing name")
    parent, parent_line = _read_parent(pairs, nesting, code_out)
    draft = DraftCode(
        code=Code(id=code_id or NO_ID, parent=parent, line=line_of(node), **fields),
        id_line=line_of(ids[0]) if ids else line_of(node),
        parent_line=parent_line,
        stance_line=line_of(pairs["stance"][0]) if "stance" in pairs else 0,
        has_id=bool(code_id),
    )
    codes.append(draft)
    if "children" in pairs:
        _read_code_list(pairs["children"][1], code_id or NO_ID, code_out, codes)


def _read_parent(pairs: Pairs, nesting: str | None, out: Collector) -> tuple[str | None, int]:
    if "parent" not in pairs:
        return nesting, 0
    key_node, value_node = pairs["parent"]
    parent = read_text(value_node, "parent", out) or None
    if nesting is not None and parent != nesting:
        out.error(
            key_node,
            f"parent '{parent or ''}' contradicts its place among the children "
            f"of {nesting} (remove the parent key)",
        )
        return nesting, 0
    return parent, line_of(key_node)


def _read_changelog(node: Node, out: Collector) -> tuple[ChangelogEntry, ...]:
    if is_null(node):
        return ()
    if not isinstance(node, SequenceNode):
        out.error(node, f"changelog must be a list of entries, not a {kind(node)}")
        return ()
    entries = []
    for item in node.value:
        if not isinstance(item, MappingNode):
            out.error(item, "a changelog entry must be a mapping with date, coder, action, detail")
            continue
        pairs = mapping_pairs(item, CHANGELOG_KEYS, "in a changelog entry", out)
        values: dict[str, Any] = {k: read_text(v, k, out) for k, (_, v) in pairs.items()}
        missing = [key for key in REQUIRED_CHANGELOG_KEYS if not values.get(key)]
        if missing:
            out.error(item, f"changelog entry without {', '.join(missing)}")
            continue
        entries.append(ChangelogEntry(**values))
    return tuple(entries)
