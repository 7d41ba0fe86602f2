"""The findings file: a study's published figures as data (docs/findings.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qualmine.errors import InputFileError

READINGS = ("convergent", "divergent", "complementary", "silent")


@dataclass(frozen=True, slots=True)
class Finding:
    """One published figure (see docs/findings.md for every field)."""

    id: str
    statement: str
    quote: str
    value: Any
    value_kind: str
    unit: str
    n: int | None
    n_stated: bool
    codes: tuple[str, ...]
    attributes: tuple[str, ...] = ()
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    supports: str = ""
    contradicts: str = ""
    scope: str = "survey"
    note: str = ""
    reading: str = ""
    reading_reason: str = ""
    compute: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Findings:
    """A findings file."""

    title: str
    source: str
    findings: tuple[Finding, ...]
    path: str


def load_findings(path: Path) -> Findings:
    """Read and check a findings file.

    Raises:
        InputFileError: unreadable, not YAML, or a finding lacks a required field.
    """
    if not path.is_file():
        raise InputFileError(path, "findings file not found", "check the path in qualmine.toml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f"{path}:{line + 1}" if line is not None else str(path)
        raise InputFileError(
            where, f"not valid YAML ({getattr(exc, 'problem', exc)})", "fix the file"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise InputFileError(path, "no `findings:` list", "see docs/findings.md")
    study = data.get("study") or {}
    items = [_finding(path, i, item) for i, item in enumerate(data["findings"], start=1)]
    return Findings(
        str(study.get("title", "")),
        ", ".join(study.get("authors", []) or []),
        tuple(items),
        str(path),
    )


def _finding(path: Path, number: int, item: Any) -> Finding:
    if not isinstance(item, dict):
        raise InputFileError(path, f"finding {number} is not a mapping", "see docs/findings.md")
    missing = [k for k in ("id", "quote", "value", "unit") if k not in item]
    if missing:
        label = item.get("id", f"number {number}")
        raise InputFileError(
            path, f"finding {label} lacks {', '.join(missing)}", "see docs/findings.md"
        )
    denominator = item.get("denominator") or {}
    direction = item.get("direction") or {}
    reading = item.get("reading") or {}
    if isinstance(reading, str):
        reading = {"value": reading}
    if reading and reading.get("value") not in READINGS:
        raise InputFileError(
            path,
            f"finding {item['id']}: reading {reading.get('value')!r}",
            f"use one of {', '.join(READINGS)}",
        )
    return Finding(
        id=str(item["id"]),
        statement=str(item.get("statement", "")),
        quote=str(item["quote"]),
        value=item["value"],
        value_kind=str(item.get("value_kind", "")),
        unit=str(item["unit"]),
        n=denominator.get("n"),
        n_stated=bool(denominator.get("stated", False)),
        codes=tuple(item.get("codes") or ()),
        attributes=tuple(item.get("attributes") or ()),
        groups={k: tuple(str(x) for x in v) for k, v in (item.get("groups") or {}).items()},
        supports=str(direction.get("supports", "")),
        contradicts=str(direction.get("contradicts", "")),
        scope=str(item.get("scope", "survey")),
        note=str(item.get("note", "")).strip(),
        reading=str(reading.get("value", "")),
        reading_reason=str(reading.get("reason", "")),
        compute=dict(item.get("compute") or {}),
    )
