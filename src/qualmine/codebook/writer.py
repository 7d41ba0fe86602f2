"""Codebook -> YAML in the documented nested form (for codebooks imported from other tools).

`codebook_from_dict` reads that plain data back (a project's stored snapshot) without
validating it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from qualmine.codebook.files import TextFormat, encode_text, write_atomic
from qualmine.models import ChangelogEntry, Code, Codebook, CodeExample

YAML_WIDTH = 100


class FlowList(list[Any]):
    """A list written in flow style (``[a, b]``), as token patterns are."""


class _Dumper(yaml.SafeDumper):
    """Block sequences indented under their key, as in docs/codebook.md."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_flow_list(dumper: yaml.SafeDumper, data: FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_text(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(FlowList, _represent_flow_list)
_Dumper.add_representer(str, _represent_text)


def to_yaml(value: Any, *, width: int = YAML_WIDTH) -> str:
    """YAML text for plain data, in codebook style: block lists, flow patterns, key order kept."""
    return yaml.dump(
        value,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=width,
    )


def code_to_dict(code: Code) -> dict[str, Any]:
    """One code's keys in the documented order, leaving out empty values and defaults."""
    values: dict[str, Any] = {
        "id": code.id,
        "name": code.name,
        "stance": code.stance,
        "definition": code.definition,
        "full_definition": code.full_definition,
        "include": list(code.include),
        "exclude": list(code.exclude),
        "examples": [
            {"quote": e.quote, "source": e.source} if e.source else e.quote for e in code.examples
        ],
        "color": code.color,
        "codable": None if code.codable else False,
        "keywords": FlowList(code.keywords),
        "patterns": [FlowList(dict(token) for token in p) for p in code.patterns],
        "regex": FlowList(code.regex),
        "exclude_keywords": FlowList(code.exclude_keywords),
        "speaker_role": None if code.speaker_role == "participant" else code.speaker_role,
    }
    return {key: value for key, value in values.items() if value not in ("", [], None)}


def changelog_entry_to_dict(entry: ChangelogEntry) -> dict[str, str]:
    """A changelog entry as written in the file (``reason`` left out when empty)."""
    values = {
        "date": entry.date,
        "coder": entry.coder,
        "action": entry.action,
        "detail": entry.detail,
        "reason": entry.reason,
    }
    return {key: value for key, value in values.items() if value or key != "reason"}


def codebook_to_dict(codebook: Codebook) -> dict[str, Any]:
    """A codebook as plain data in the nested form (``children``, no ``parent`` keys)."""
    children: dict[str | None, list[Code]] = {}
    for code in codebook.codes:
        children.setdefault(code.parent, []).append(code)

    def nest(code: Code) -> dict[str, Any]:
        values = code_to_dict(code)
        if children.get(code.id):
            values["children"] = [nest(child) for child in children[code.id]]
        return values

    data: dict[str, Any] = {
        "format_version": codebook.format_version,
        "name": codebook.name,
        "codes": [nest(code) for code in children.get(None, [])],
    }
    if codebook.changelog:
        data["changelog"] = [changelog_entry_to_dict(e) for e in codebook.changelog]
    return data


def code_from_dict(values: dict[str, Any], parent: str | None = None) -> Code:
    """One code from the keys `code_to_dict` writes (``children`` ignored)."""

    def texts(key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in values.get(key, ()))

    examples = tuple(
        CodeExample(str(e["quote"]), str(e.get("source", "")))
        if isinstance(e, dict)
        else CodeExample(str(e))
        for e in values.get("examples", ())
    )
    return Code(
        id=str(values["id"]),
        name=str(values.get("name", "")),
        parent=parent,
        definition=str(values.get("definition", "")),
        full_definition=str(values.get("full_definition", "")),
        include=texts("include"),
        exclude=texts("exclude"),
        examples=examples,
        color=str(values.get("color", "")),
        keywords=texts("keywords"),
        patterns=tuple(tuple(dict(t) for t in p) for p in values.get("patterns", ())),
        regex=texts("regex"),
        exclude_keywords=texts("exclude_keywords"),
        speaker_role=str(values.get("speaker_role") or "participant"),
        stance=str(values.get("stance", "")),
        codable=values.get("codable") is not False,
    )


def codebook_from_dict(data: dict[str, Any], *, content_hash: str, path: str) -> Codebook:
    """The codebook `codebook_to_dict` made this data from: codes parents first, lines 0.

    The data is taken as already validated; ``content_hash`` is the hash it was stored under
    (the caller compares it with the codes' own hash to be sure nothing was lost).
    """
    codes: list[Code] = []

    def walk(values: dict[str, Any], parent: str | None) -> None:
        code = code_from_dict(values, parent)
        codes.append(code)
        for child in values.get("children", ()):
            walk(child, code.id)

    for top in data.get("codes", ()):
        walk(top, None)
    changelog = tuple(
        ChangelogEntry(
            str(e["date"]), str(e["coder"]), str(e["action"]), str(e["detail"]), e.get("reason", "")
        )
        for e in data.get("changelog", ())
    )
    return Codebook(
        name=str(data.get("name", "")),
        format_version=int(data["format_version"]),
        codes=tuple(codes),
        changelog=changelog,
        content_hash=content_hash,
        path=path,
    )


def dump_codebook(codebook: Codebook, path: Path) -> None:
    """Write a codebook as YAML (deterministic: the same codebook gives the same bytes)."""
    write_atomic(Path(path), encode_text(to_yaml(codebook_to_dict(codebook)), TextFormat()))
