"""Readers for the values of a code's keys: each converts a YAML node and reports problems."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from qualmine.codebook.patterns import read_patterns
from qualmine.codebook.problems import Collector
from qualmine.codebook.schema import (
    COLOR_PATTERN,
    EXAMPLE_KEYS,
    RULE_SPEAKER_ROLES,
    STANCES,
    did_you_mean,
    one_of,
)
from qualmine.models import CodeExample

NULL_TAG = "tag:yaml.org,2002:null"
BOOL_TAG = "tag:yaml.org,2002:bool"
INT_TAG = "tag:yaml.org,2002:int"
_TRUE = ("true", "yes", "on")


def is_null(node: Node) -> bool:
    """True for an empty value, ``~`` or ``null``."""
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


def kind(node: Node) -> str:
    """``list``, ``mapping`` or ``text``, for messages."""
    if isinstance(node, SequenceNode):
        return "list"
    return "mapping" if isinstance(node, MappingNode) else "text"


def read_text(node: Node, key: str, out: Collector) -> str:
    """A text value (``""`` when empty) as written, whatever YAML would make of it.

    Trailing white space is dropped, so ``>`` and ``|`` blocks hash like one-line text.
    """
    if is_null(node):
        return ""
    if isinstance(node, ScalarNode):
        return str(node.value).rstrip()
    out.error(node, f"{key} must be text, not a {kind(node)}")
    return ""


def read_text_list(node: Node, key: str, out: Collector) -> tuple[str, ...]:
    """A list of texts; a single text counts as a list of one."""
    if is_null(node):
        return ()
    if isinstance(node, ScalarNode):
        return (str(node.value),)
    if not isinstance(node, SequenceNode):
        out.error(node, f"{key} must be a list of texts, not a {kind(node)}")
        return ()
    values: list[str] = []
    for item in node.value:
        if isinstance(item, ScalarNode) and not is_null(item) and item.value != "":
            values.append(str(item.value))
        else:
            out.error(item, f"each entry of {key} must be a non-empty text, not a {kind(item)}")
    return tuple(values)


def read_examples(node: Node, key: str, out: Collector) -> tuple[CodeExample, ...]:
    """``examples``: quotes, or ``{quote: ..., source: ...}`` mappings (one counts as a list)."""
    if is_null(node):
        return ()
    items = list(node.value) if isinstance(node, SequenceNode) else [node]
    examples: list[CodeExample] = []
    for item in items:
        if isinstance(item, MappingNode):
            examples.extend(_read_example(item, out))
        elif isinstance(item, ScalarNode) and not is_null(item) and item.value != "":
            examples.append(CodeExample(str(item.value)))
        else:
            out.error(item, "an example must be a quote or {quote: ..., source: ...}")
    return tuple(examples)


def _read_example(node: MappingNode, out: Collector) -> tuple[CodeExample, ...]:
    values: dict[str, str] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key not in EXAMPLE_KEYS:
            hint = did_you_mean(key, EXAMPLE_KEYS)
            out.error(key_node, f"unknown key '{key}' in an example{hint}")
            continue
        values[key] = read_text(value_node, f"example {key}", out)
    if not values.get("quote"):
        out.error(node, "an example needs a quote: {quote: ..., source: ...}")
        return ()
    return (CodeExample(values["quote"], values.get("source", "")),)


def read_color(node: Node, key: str, out: Collector) -> str:
    """``#rrggbb``; catches the unquoted ``color: #1f77b4``, which YAML reads as a comment."""
    if is_null(node):
        if re.search(r"color:\s*#", out.line_text(node)):
            out.error(
                node,
                'color is empty: quote it, as in color: "#1f77b4" '
                "(an unquoted # starts a YAML comment)",
            )
        return ""
    value = read_text(node, key, out)
    if value and not COLOR_PATTERN.fullmatch(value):
        out.error(node, f"bad color '{value}': write #rrggbb, for example \"#1f77b4\"")
        return ""
    return value


def read_codable(node: Node, key: str, out: Collector) -> bool:
    """``codable``: true or false."""
    if isinstance(node, ScalarNode) and node.tag == BOOL_TAG:
        return str(node.value).lower() in _TRUE
    out.error(node, f"codable must be true or false, not '{read_text(node, key, out)}'")
    return True


def read_speaker_role(node: Node, key: str, out: Collector) -> str:
    """``speaker_role``: participant (the default), interviewer or any."""
    value = read_text(node, key, out) or "participant"
    if value not in RULE_SPEAKER_ROLES:
        out.error(node, f"bad speaker_role '{value}': use {one_of(RULE_SPEAKER_ROLES)}")
        return "participant"
    return value


def read_stance(node: Node, key: str, out: Collector) -> str:
    """``stance``: for or against."""
    value = read_text(node, key, out)
    if value and value not in STANCES:
        out.error(node, f"bad stance '{value}': use {one_of(STANCES)}")
        return ""
    return value


def read_regex(node: Node, key: str, out: Collector) -> tuple[str, ...]:
    """``regex``: each must compile (they are matched case-insensitively)."""
    values = read_text_list(node, key, out)
    items = node.value if isinstance(node, SequenceNode) else [node]
    for item in items:
        if not isinstance(item, ScalarNode) or is_null(item):
            continue
        try:
            re.compile(str(item.value), re.IGNORECASE)
        except re.error as error:
            out.error(item, f"invalid regex '{item.value}': {error}")
    return values


Reader = Callable[[Node, str, Collector], Any]

FIELD_READERS: dict[str, Reader] = {
    "name": read_text,
    "definition": read_text,
    "full_definition": read_text,
    "include": read_text_list,
    "exclude": read_text_list,
    "examples": read_examples,
    "color": read_color,
    "codable": read_codable,
    "keywords": read_text_list,
    "patterns": read_patterns,
    "regex": read_regex,
    "exclude_keywords": read_text_list,
    "speaker_role": read_speaker_role,
    "stance": read_stance,
}
