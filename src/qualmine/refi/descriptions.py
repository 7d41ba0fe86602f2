"""A code's fields folded into one REFI-QDA ``Description``, and recovered from it.

The layout reads as plain text in any QDA program::

    The speaker judges information found online.

    Full definition:
    Statements that evaluate ...

    Include:
    - Explicit judgements of online sources

    Exclude:
    - Judgements of a named person (use trust.proximity)

    Examples:
    - If three people I follow all point to the same review, I take it seriously.
      Source: written for this codebook

    qualmine: {"id": "trust.online", "keywords": ["online", "forum"]}

The last line carries what has no readable place: the code's id, its auto-coding hints,
and the exact value of any field whose readable form would not read back the same.
A description without the headings (from another program) is all definition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from qualmine.models import Code, CodeExample
from qualmine.refi.xmltree import xml_text

TRAILER = "qualmine: "
FULL, INCLUDE, EXCLUDE, EXAMPLES = "Full definition:", "Include:", "Exclude:", "Examples:"
HEADINGS = (FULL, INCLUDE, EXCLUDE, EXAMPLES)
SOURCE = "Source: "
_HINTS = ("keywords", "patterns", "regex", "exclude_keywords")
_TEXT_FIELDS = ("definition", "full_definition", "include", "exclude", "examples")


@dataclass(frozen=True, slots=True)
class Described:
    """What a description gives back: the readable fields and the trailer's values."""

    definition: str = ""
    full_definition: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[CodeExample, ...] = ()
    extras: dict[str, Any] | None = None


def describe_code(code: Code, *, trailer: bool = True) -> str:
    """The description qualmine writes for a code (``trailer``: add the qualmine line)."""
    text = _readable(code)
    if not trailer:
        return text
    # Compare with what a reader of the XML gets back, characters XML cannot hold included.
    probe = read_description(xml_text(_with_trailer(text, "{}")))
    extras = _exact_fields(code, probe)
    if xml_text(code.name) != code.name:
        extras["name"] = code.name
    extras.update(code_extras(code))
    return _with_trailer(text, json.dumps(extras, ensure_ascii=False, sort_keys=True))


def _with_trailer(text: str, payload: str) -> str:
    return f"{text}\n\n{TRAILER}{payload}" if text else TRAILER + payload


def code_extras(code: Code) -> dict[str, Any]:
    """The id and the auto-coding hints of a code, leaving out defaults."""
    values: dict[str, Any] = {"id": code.id} if code.id else {}
    for key in _HINTS:
        items = getattr(code, key)
        if items:
            values[key] = [list(p) for p in items] if key == "patterns" else list(items)
    if code.speaker_role != "participant":
        values["speaker_role"] = code.speaker_role
    if code.stance:
        values["stance"] = code.stance
    return values


def _readable(code: Code) -> str:
    blocks = [code.definition] if code.definition else []
    if code.full_definition:
        blocks.append(f"{FULL}\n{code.full_definition}")
    for heading, items in ((INCLUDE, code.include), (EXCLUDE, code.exclude)):
        if items:
            blocks.append(heading + "\n" + bullets(items))
    if code.examples:
        blocks.append(EXAMPLES + "\n" + example_bullets(code.examples))
    return "\n\n".join(blocks)


def bullets(items: tuple[str, ...]) -> str:
    """Items as ``- item`` lines, later lines of an item indented by two spaces."""
    return "\n".join(_bullet(i) for i in items)


def example_bullets(examples: tuple[CodeExample, ...]) -> str:
    """Examples as bullets, each source on a ``Source:`` line under its quote."""
    return "\n".join(_example(e) for e in examples)


def read_bullets(text: str) -> tuple[str, ...]:
    """Items back from ``bullets`` (a line without a dash is an item too)."""
    return tuple(_items(text.split("\n"))) if text.strip() else ()


def read_example_bullets(text: str) -> tuple[CodeExample, ...]:
    """Examples back from ``example_bullets``."""
    return tuple(_examples(text.split("\n"))) if text.strip() else ()


def _bullet(item: str) -> str:
    return "- " + item.replace("\n", "\n  ")


def _example(example: CodeExample) -> str:
    source = f"\n  {SOURCE}{example.source}" if example.source else ""
    return _bullet(example.quote) + source


def _exact_fields(code: Code, read: Described) -> dict[str, Any]:
    """The fields whose readable form reads back differently, with their exact values."""
    exact: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = getattr(code, name)
        if getattr(read, name) != value:
            if name == "examples":
                exact[name] = [{"quote": e.quote, "source": e.source} for e in value]
            else:
                exact[name] = list(value) if isinstance(value, tuple) else value
    return exact


def read_description(text: str) -> Described:
    """Recover a code's fields from a description (see the module docstring)."""
    lines = text.split("\n")
    extras = _trailer(lines[-1]) if lines else None
    if extras is not None:
        lines = lines[:-1]
        if lines and lines[-1] == "":
            lines.pop()
    sections = _sections(lines)
    if extras is None and len(sections) == 1:
        return Described(definition=text.strip())
    read = Described(
        definition="\n".join(sections.get("", [])),
        full_definition="\n".join(sections.get(FULL, [])),
        include=tuple(_items(sections.get(INCLUDE, []))),
        exclude=tuple(_items(sections.get(EXCLUDE, []))),
        examples=tuple(_examples(sections.get(EXAMPLES, []))),
        extras=extras,
    )
    return _apply_exact(read, extras or {})


def _trailer(line: str) -> dict[str, Any] | None:
    if not line.startswith(TRAILER + "{"):
        return None
    try:
        value = json.loads(line[len(TRAILER) :])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _sections(lines: list[str]) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for index, line in enumerate(lines):
        heading = line in HEADINGS and line not in sections
        if heading and (index == 0 or lines[index - 1] == ""):
            if sections[current] and sections[current][-1] == "":
                sections[current].pop()
            current = line
            sections[current] = []
        else:
            sections[current].append(line)
    return sections


def _items(lines: list[str]) -> list[str]:
    items: list[str] = []
    for line in lines:
        if line.startswith("  ") and items:
            items[-1] += "\n" + line[2:]
        elif line.startswith("- "):
            items.append(line[2:])
        elif line.strip():
            items.append(line.strip().lstrip("-*\u2022 ").strip())
    return items


def _examples(lines: list[str]) -> list[CodeExample]:
    examples = []
    for item in _items(lines):
        quote, _, last = item.rpartition("\n")
        if quote and last.startswith(SOURCE):
            examples.append(CodeExample(quote, last[len(SOURCE) :]))
        else:
            examples.append(CodeExample(item))
    return examples


def _apply_exact(read: Described, extras: dict[str, Any]) -> Described:
    values: dict[str, Any] = {name: getattr(read, name) for name in _TEXT_FIELDS}
    for name in _TEXT_FIELDS:
        if name not in extras:
            continue
        value = extras[name]
        if name == "examples" and isinstance(value, list):
            value = tuple(
                CodeExample(str(e.get("quote", "")), str(e.get("source", "")))
                for e in value
                if isinstance(e, dict)
            )
        elif isinstance(value, list):
            value = tuple(str(v) for v in value)
        values[name] = value if not isinstance(value, dict) else values[name]
    return Described(**values, extras=read.extras)
