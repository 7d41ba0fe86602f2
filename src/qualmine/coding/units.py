"""Units of coding: the segments or turns an auto-coder reads and evaluation counts."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

UNIT_KINDS = ("segment", "turn")


@dataclass(frozen=True, slots=True)
class Unit:
    """A span that can carry codes.

    Attributes:
        document_id: the document.
        start: first character, into the document's text.
        end: just past the last character.
        text: ``document text[start:end]``.
        speaker_role: the role of the turn the unit lies in.
        case: the case of that turn, or None.
        turn_idx: the turn's index in its document.
        segments: for a turn, the (start, end) of its segments; for a segment, itself.
    """

    document_id: int
    start: int
    end: int
    text: str
    speaker_role: str
    case: str | None
    turn_idx: int
    segments: tuple[tuple[int, int], ...]


def read_units(
    conn: sqlite3.Connection,
    unit: str = "segment",
    *,
    document_ids: Sequence[int] = (),
    speaker_role: str | None = None,
) -> list[Unit]:
    """Units of the chosen kind, in document and text order.

    Args:
        conn: the project file.
        unit: ``segment`` or ``turn``.
        document_ids: only these documents (empty: all).
        speaker_role: only units spoken in this role (None: all).
    """
    if unit not in UNIT_KINDS:
        raise ValueError(f"unit {unit!r}; use one of {', '.join(UNIT_KINDS)}")
    docs = _texts(conn, document_ids)
    rows = conn.execute(
        'SELECT s.document_id, s.turn_idx, s.start, s."end", t.speaker_role, t.case_id, '
        't.start, t."end" FROM segments s JOIN turns t ON t.document_id = s.document_id '
        "AND t.idx = s.turn_idx ORDER BY s.document_id, s.start"
    ).fetchall()
    units: list[Unit] = []
    by_turn: dict[tuple[int, int], list[tuple[int, int]]] = {}
    turn_info: dict[tuple[int, int], tuple[str, str | None, int, int]] = {}
    for doc_id, turn_idx, start, end, role, case, t_start, t_end in rows:
        if doc_id not in docs or (speaker_role and role != speaker_role):
            continue
        if unit == "segment":
            text = docs[doc_id][start:end]
            units.append(Unit(doc_id, start, end, text, role, case, turn_idx, ((start, end),)))
        else:
            by_turn.setdefault((doc_id, turn_idx), []).append((start, end))
            turn_info[(doc_id, turn_idx)] = (role, case, t_start, t_end)
    for (doc_id, turn_idx), spans in by_turn.items():
        role, case, _, _ = turn_info[(doc_id, turn_idx)]
        start, end = spans[0][0], spans[-1][1]
        text = docs[doc_id][start:end]
        units.append(Unit(doc_id, start, end, text, role, case, turn_idx, tuple(spans)))
    return units


def _texts(conn: sqlite3.Connection, document_ids: Sequence[int]) -> dict[int, str]:
    if document_ids:
        marks = ",".join("?" * len(document_ids))
        rows = conn.execute(
            f"SELECT id, text FROM documents WHERE id IN ({marks})", list(document_ids)
        )
    else:
        rows = conn.execute("SELECT id, text FROM documents")
    return {r[0]: r[1] for r in rows}
