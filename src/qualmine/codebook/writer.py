"""Codebook -> YAML in the documented nested form (for codebooks imported from other tools)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from qualmine.codebook.files import TextFormat, encode_text, write_atomic
from qualmine.models import ChangelogEntry, Code, Codebook

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


def dump_codebook(codebook: Codebook, path: Path) -> None:
    """Write a codebook as YAML (deterministic: the same codebook gives the same bytes)."""
    write_atomic(Path(path), encode_text(to_yaml(codebook_to_dict(codebook)), TextFormat()))
