"""The qualmine note: the one ``Note`` that carries what REFI-QDA has no place for.

Its name is ``EXTRAS_NOTE`` and its text (an internal ``.txt`` file) is a JSON object:

``format``, ``version``
    ``"qualmine-extras"`` and ``1``.
``codebook``
    the codebook's ``name``, ``format_version`` and ``changelog``.
``documents``
    by source GUID: ``name``, ``sha256`` of the text, ``encoding``, ``metadata``,
    ``turns`` (``[index, speaker, speaker_role, start, end, timestamp, case]``) and
    ``segments`` (``[turn_index, index, start, end]``). Used only while the text's hash
    still matches.
``codings``
    by coding GUID, the fields of an exported (accepted) coding that a ``Coding`` element
    cannot hold: ``reviewer``, ``score``, ``evidence``, ``codebook_version``, ``pending``,
    and ``created`` when it is not an XML date-time.
``other_codings``
    codings that are not exported as ``Coding`` elements (suggested, rejected, orphaned,
    or of a code not in the codebook), each with its ``guid``, ``source`` (GUID),
    ``start``, ``end``, ``quote``, ``code``, ``coder``, ``status`` and the fields above
    plus ``memo``.
``done``
    ``[source GUID, coder, when marked]`` for every done-mark.
``memos``
    by note GUID, the memo's ``kind`` and ``target`` (document name, code id, coding GUID).
``coding_memos``, ``timestamp_notes``
    GUIDs of the notes that hold a coding's memo field, and each document's turn times.
``blank_attributes``
    by case, the attributes whose value is empty (a ``VariableValue`` cannot say so).
"""

from __future__ import annotations

import json
from typing import Any

EXTRAS_NOTE = "qualmine extras"
FORMAT = "qualmine-extras"
VERSION = 1


def extras_text(payload: dict[str, Any]) -> str:
    """The note's text: sorted JSON, a list of plain values on one line (diffs stay small)."""
    return _dump({"format": FORMAT, "version": VERSION, **payload}, "") + "\n"


def _dump(value: Any, indent: str, row: bool = False) -> str:
    """Indented JSON; a list inside a list (a turn, a segment) stays on one line."""
    inner = indent + " "
    if isinstance(value, dict) and value:
        items = (f"{inner}{_json(k)}: {_dump(value[k], inner)}" for k in sorted(value))
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    nested = isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
    if isinstance(value, list) and value and (nested or not row):
        lines = (inner + _dump(v, inner, row=True) for v in value)
        return "[\n" + ",\n".join(lines) + "\n" + indent + "]"
    return _json(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def read_extras(text: str | None) -> dict[str, Any] | None:
    """The payload of a qualmine note, or None when the text is not one qualmine wrote."""
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        return None
    if value.get("version") != VERSION:
        return None
    return value


def section(extras: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """A mapping section of the payload (empty when absent or malformed)."""
    value = (extras or {}).get(key)
    return value if isinstance(value, dict) else {}


def entries(extras: dict[str, Any] | None, key: str) -> list[Any]:
    """A list section of the payload (empty when absent or malformed)."""
    value = (extras or {}).get(key)
    return value if isinstance(value, list) else []
