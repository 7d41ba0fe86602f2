"""Codings, done-marks and memos: rows <-> models, re-anchoring after a text changes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from qualmine.models import Coding
from qualmine.storage.audit import now

_COLUMNS = (
    'id, document_id, start, "end", quote, code, coder, status, reviewer, score, evidence, '
    "codebook_version, created, memo, pending"
)


@dataclass(frozen=True, slots=True)
class CodingFilter:
    """Which codings a command reads. Empty fields do not filter."""

    coders: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    document_ids: tuple[int, ...] = ()


def add_codings(conn: sqlite3.Connection, codings: Iterable[Coding]) -> list[int]:
    """Insert codings, skipping any already present (same span, code and coder).

    Returns the ids of the rows added. Call inside a transaction.
    """
    added = []
    for c in codings:
        cur = conn.execute(
            'INSERT OR IGNORE INTO codings (document_id, start, "end", quote, code, coder, '
            "status, reviewer, score, evidence, codebook_version, created, memo, pending) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                c.document_id,
                c.start,
                c.end,
                c.quote,
                c.code,
                c.coder,
                c.status,
                c.reviewer,
                c.score,
                c.evidence,
                c.codebook_version,
                c.created or now(),
                c.memo,
                c.pending,
            ),
        )
        if cur.rowcount:
            added.append(int(cur.lastrowid or 0))
    return added


def read_codings(conn: sqlite3.Connection, where: CodingFilter | None = None) -> list[Coding]:
    """Codings matching the filter, in document and text order."""
    where = where or CodingFilter()
    clauses: list[str] = []
    params: list[Any] = []
    for column, values in (
        ("coder", where.coders),
        ("status", where.statuses),
        ("code", where.codes),
        ("document_id", where.document_ids),
    ):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    sql = f"SELECT {_COLUMNS} FROM codings"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += ' ORDER BY document_id, start, "end", code, coder'
    return [Coding(*row) for row in conn.execute(sql, params)]


def coding_by_id(conn: sqlite3.Connection, coding_id: int) -> Coding | None:
    """One coding, or None."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM codings WHERE id = ?", (coding_id,)).fetchone()
    return Coding(*row) if row else None


def update_coding(conn: sqlite3.Connection, coding: Coding) -> None:
    """Write back every mutable field of a coding."""
    conn.execute(
        'UPDATE codings SET start=?, "end"=?, quote=?, code=?, status=?, reviewer=?, score=?, '
        "evidence=?, memo=?, pending=? WHERE id=?",
        (
            coding.start,
            coding.end,
            coding.quote,
            coding.code,
            coding.status,
            coding.reviewer,
            coding.score,
            coding.evidence,
            coding.memo,
            coding.pending,
            coding.id,
        ),
    )


def delete_coding(conn: sqlite3.Connection, coding_id: int) -> None:
    """Remove one coding (the caller records it in the audit log)."""
    conn.execute("DELETE FROM codings WHERE id = ?", (coding_id,))


def reanchor(text: str, coding: Coding) -> Coding:
    """The coding moved to where its quote stands in a changed text, or orphaned.

    The quote at its old offsets stays put; else the occurrence nearest the old start
    (the earlier one on a tie) is taken; a quote no longer in the text is orphaned.
    """
    if text[coding.start : coding.end] == coding.quote:
        return coding
    positions = []
    at = text.find(coding.quote)
    while at >= 0 and coding.quote:
        positions.append(at)
        at = text.find(coding.quote, at + 1)
    if not positions:
        return replace(coding, status="orphaned")
    best = min(positions, key=lambda p: (abs(p - coding.start), p))
    return replace(coding, start=best, end=best + len(coding.quote))


def mark_done(conn: sqlite3.Connection, document_id: int, coder: str, when: str = "") -> bool:
    """Mark a document done for a coder; False if it already was."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO done (document_id, coder, marked) VALUES (?,?,?)",
        (document_id, coder, when or now()),
    )
    return bool(cur.rowcount)


def done_documents(conn: sqlite3.Connection, coder: str) -> set[int]:
    """Ids of the documents this coder marked done."""
    rows = conn.execute("SELECT document_id FROM done WHERE coder = ?", (coder,))
    return {r[0] for r in rows}


def done_marks(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """Every (document id, coder) done-mark."""
    return [
        (r[0], r[1])
        for r in conn.execute("SELECT document_id, coder FROM done ORDER BY document_id, coder")
    ]


def coders(conn: sqlite3.Connection) -> list[str]:
    """Every coder with codings or done-marks."""
    rows = conn.execute(
        "SELECT coder FROM codings UNION SELECT coder FROM done ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def add_memo(conn: sqlite3.Connection, kind: str, target: str, coder: str, text: str) -> int:
    """Store a memo; returns its id."""
    cur = conn.execute(
        "INSERT INTO memos (kind, target, coder, text, created) VALUES (?,?,?,?,?)",
        (kind, target, coder, text, now()),
    )
    return int(cur.lastrowid or 0)


def read_memos(conn: sqlite3.Connection) -> list[tuple[int, str, str, str, str, str]]:
    """Every memo as (id, kind, target, coder, text, created)."""
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT id, kind, target, coder, text, created FROM memos ORDER BY id"
        )
    ]


def count_by_status(conn: sqlite3.Connection, document_ids: Sequence[int]) -> dict[str, int]:
    """How many codings of these documents have each status."""
    marks = ",".join("?" * len(document_ids))
    rows = conn.execute(
        f"SELECT status, COUNT(*) FROM codings WHERE document_id IN ({marks}) GROUP BY status",
        list(document_ids),
    )
    return {r[0]: r[1] for r in rows}
