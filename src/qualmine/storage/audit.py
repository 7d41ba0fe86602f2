"""The append-only audit log: who changed what, when, with which command."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change recorded in the audit log."""

    id: int
    at: str
    coder: str
    command: str
    action: str
    target: str
    payload: dict[str, Any]


def now() -> str:
    """The current UTC time as an ISO 8601 string, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def record(
    conn: sqlite3.Connection,
    *,
    coder: str,
    command: str,
    action: str,
    target: str = "",
    payload: dict[str, Any] | None = None,
) -> None:
    """Append an entry; call inside the transaction that makes the change."""
    conn.execute(
        "INSERT INTO audit (at, coder, command, action, target, payload) VALUES (?,?,?,?,?,?)",
        (now(), coder, command, action, target, json.dumps(payload or {}, sort_keys=True)),
    )


def log_mark(conn: sqlite3.Connection) -> str:
    """A short mark that changes whenever an entry is appended (or the log is rewritten).

    Every command that changes codings, the codebook, documents, cases or stored runs adds an
    entry, so an unchanged mark means the project file holds what it held when the mark was
    taken. The times of the first and last entries tell a rebuilt project file from the old.
    """
    count, first, last = conn.execute("SELECT COUNT(*), MIN(id), MAX(id) FROM audit").fetchone()
    times = conn.execute(
        "SELECT (SELECT at FROM audit WHERE id = ?), (SELECT at FROM audit WHERE id = ?)",
        (first, last),
    ).fetchone()
    return json.dumps([count, first, last, *times])


def read_log(conn: sqlite3.Connection, *, limit: int = 50) -> list[AuditEntry]:
    """The newest entries first."""
    rows = conn.execute(
        "SELECT id, at, coder, command, action, target, payload FROM audit "
        "ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6])) for r in rows]
