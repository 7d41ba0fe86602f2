"""Undo: reverse the acting coder's last change, as read from the audit log.

The audit log is the history. `undo_last` finds the coder's newest change that has not been
undone yet and that undo knows how to reverse, reverses it in one transaction, and records
the undo itself, with whatever it removed or restored, so that nothing is deleted silently:

- ``tag``: the coding is removed (the removed coding is kept in the undo's entry);
- ``untag``: the coding comes back, with its id when that id is still free (nothing comes
  back once its document was removed);
- a review decision (accept, reject, change, add): the coding is restored as it was before,
  and codings the decision added are removed;
- a memo (``memo`` or one written in review): the memo is removed (its text kept in the log);
- ``done``: the done-mark is removed;
- ``codings import``: the codings it added and the done-marks it set are removed (all kept
  in the undo's entry); if any of those codings has been reviewed or changed since, undo
  refuses and changes nothing;
- a transcript ``import`` that added a document: the document is removed with its turns,
  segments, auto-coder suggestions and scores (`import_undo.py`; its name, source, hash and
  the counts kept in the undo's entry); undo refuses while a person's coding, review, memo
  or done-mark is on it, or once it was imported again. The file stays where it was.

Entries undo cannot reverse (transcript imports that updated a document, case attribute
and project imports, codebook loads and revisions, auto-coder runs, codings imports logged
before they listed their codings) are passed over: undo walks back to the newest change it
can reverse. An import is the change of whoever ran it (``unknown`` when no coder was set).
An entry counts as undone once an ``undo`` entry names it (``payload.undid``), including the
undos of a review session. A change that someone else has changed since is not overwritten:
undo refuses it and says who changed it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from qualmine.errors import CodingError
from qualmine.models import Coding
from qualmine.project.codings_file import imported_state
from qualmine.project.config import Project
from qualmine.project.import_undo import undo_document_import
from qualmine.storage import transaction
from qualmine.storage.audit import AuditEntry, record
from qualmine.storage.codings import coding_by_id, delete_coding, update_coding

COMMAND = "undo"
_REVIEW_DECISIONS = ("accept", "reject", "change", "add")


@dataclass(frozen=True, slots=True)
class Undone:
    """What an undo reversed.

    Attributes:
        entry: the audit entry that was undone.
        summary: one line saying what was reversed.
        undo_id: the id of the audit entry that records the undo.
    """

    entry: AuditEntry
    summary: str
    undo_id: int


def undoable(entry: AuditEntry) -> bool:
    """Whether undo knows how to reverse this audit entry."""
    return _reverser(entry) is not None


def _reverser(
    entry: AuditEntry,
) -> Callable[[sqlite3.Connection, AuditEntry, str], tuple[str, dict[str, Any]]] | None:
    key = (entry.command, entry.action)
    if key == ("tag", "add"):
        return _undo_tag
    if key == ("untag", "delete"):
        return _undo_untag
    if entry.command == "review" and entry.action in _REVIEW_DECISIONS:
        return _undo_review
    if entry.action == "memo" or key == ("memo", "add"):
        return _undo_memo
    if key == ("done", "add"):
        return _undo_done
    if key == ("codings import", "add") and "codings" in entry.payload:
        return _undo_codings_import
    if key == ("import", "add"):
        return undo_document_import
    return None


def last_change(conn: sqlite3.Connection, coder: str) -> AuditEntry | None:
    """The coder's newest change that is not undone and that undo can reverse."""
    undone = _undone_ids(conn)
    rows = conn.execute(
        "SELECT id, at, coder, command, action, target, payload FROM audit "
        "WHERE coder = ? AND action != 'undo' ORDER BY id DESC",
        (coder,),
    )
    for row in rows:
        entry = AuditEntry(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]))
        if entry.id not in undone and undoable(entry):
            return entry
    return None


def _undone_ids(conn: sqlite3.Connection) -> set[int]:
    ids: set[int] = set()
    for (payload,) in conn.execute("SELECT payload FROM audit WHERE action = 'undo'"):
        undid = json.loads(payload).get("undid")
        if isinstance(undid, int):
            ids.add(undid)
    return ids


def undo_last(project: Project, coder: str) -> Undone | None:
    """Reverse ``coder``'s last change (see the module docstring); None if there is none.

    Raises:
        CodingError: the change was changed since by someone else; nothing is undone.
    """
    with project.session() as conn, transaction(conn):
        entry = last_change(conn, coder)
        if entry is None:
            return None
        reverse = _reverser(entry)
        assert reverse is not None
        summary, details = reverse(conn, entry, coder)
        record(
            conn,
            coder=coder,
            command=COMMAND,
            action="undo",
            target=entry.target,
            payload={"undid": entry.id, "command": entry.command, "action": entry.action} | details,
        )
        undo_id = int(conn.execute("SELECT MAX(id) FROM audit").fetchone()[0])
    return Undone(entry, summary, undo_id)


def _coding_from(data: dict[str, Any]) -> Coding:
    return Coding(**{k: v for k, v in data.items() if k in Coding.__slots__})


def _undo_tag(
    conn: sqlite3.Connection, entry: AuditEntry, coder: str
) -> tuple[str, dict[str, Any]]:
    tagged = _coding_from(entry.payload["coding"])
    current = coding_by_id(conn, tagged.id)
    if current is None or _place(current) != _place(tagged):
        return (
            f"tag of coding {tagged.id} ({tagged.code}): already removed, nothing to do",
            {"note": "the coding was already gone"},
        )
    _refuse_if_reviewed(current, coder, entry)
    delete_coding(conn, current.id)
    return (
        f"tag of coding {current.id} ({current.code}, {current.start}-{current.end}): removed",
        {"removed": asdict(current)},
    )


def _undo_untag(
    conn: sqlite3.Connection, entry: AuditEntry, coder: str
) -> tuple[str, dict[str, Any]]:
    removed = _coding_from(entry.payload["coding"])
    row = conn.execute("SELECT text FROM documents WHERE id = ?", (removed.document_id,)).fetchone()
    # A removed document's id can be given to a document imported later: the quote tells.
    if row is None or row[0][removed.start : removed.end] != removed.quote:
        return (
            f"untag of coding {removed.id} ({removed.code}): its document is no longer in the "
            "project, or no longer holds its quote there; nothing to restore",
            {"note": "the document was removed or changed"},
        )
    new_id = restore_coding(conn, removed)
    if new_id is None:
        return (
            f"untag of coding {removed.id} ({removed.code}): the same coding is back already",
            {"note": "an identical coding exists"},
        )
    return (
        f"untag of coding {removed.id} ({removed.code}, {removed.start}-{removed.end}): "
        f"restored as coding {new_id}",
        {"restored": new_id},
    )


def _place(coding: Coding) -> tuple[int, int, int, str, str]:
    """Where a coding is and what it says: a reused id with another place is another coding."""
    return (coding.document_id, coding.start, coding.end, coding.code, coding.coder)


def restore_coding(conn: sqlite3.Connection, coding: Coding) -> int | None:
    """Put a removed coding back, keeping its id if free; None if an equal one exists."""
    taken = conn.execute("SELECT 1 FROM codings WHERE id = ?", (coding.id,)).fetchone()
    values = asdict(coding)
    if taken:
        del values["id"]
    columns = ", ".join(f'"{k}"' for k in values)
    cur = conn.execute(
        f"INSERT OR IGNORE INTO codings ({columns}) VALUES ({','.join('?' * len(values))})",
        list(values.values()),
    )
    return int(cur.lastrowid or 0) if cur.rowcount else None


def _undo_review(
    conn: sqlite3.Connection, entry: AuditEntry, coder: str
) -> tuple[str, dict[str, Any]]:
    before = _coding_from(entry.payload["before"])
    removed = []
    for added_id in entry.payload.get("added", []):
        added = coding_by_id(conn, int(added_id))
        if added is not None:
            delete_coding(conn, added.id)
            removed.append(asdict(added))
    current = coding_by_id(conn, before.id)
    if current is None:
        raise CodingError(
            f"coding {before.id} no longer exists, so your {entry.action} of it "
            f"(log entry {entry.id}) cannot be undone; `qualmine log` shows what happened"
        )
    if not entry.payload.get("keep_status"):
        if current.reviewer != coder or current.status == "suggested":
            raise _changed_since(current, entry)
        update_coding(conn, before)
    return (
        f"review {entry.action} of coding {before.id} ({before.code}): back to "
        f"{before.status}" + (f", {len(removed)} added coding(s) removed" if removed else ""),
        {"restored": asdict(before), "removed": removed, "was": asdict(current)},
    )


def _undo_memo(
    conn: sqlite3.Connection, entry: AuditEntry, coder: str
) -> tuple[str, dict[str, Any]]:
    memo_id = int(entry.payload["memo"])
    row = conn.execute(
        "SELECT kind, target, coder, text, created FROM memos WHERE id = ?", (memo_id,)
    ).fetchone()
    if row is None:
        return f"memo {memo_id}: already removed, nothing to do", {"note": "memo already gone"}
    conn.execute("DELETE FROM memos WHERE id = ?", (memo_id,))
    kind, target, author, text, created = row
    removed = {"id": memo_id, "kind": kind, "target": target, "coder": author, "text": text}
    return f"memo {memo_id} on {kind} {target}: removed", {
        "removed": removed | {"created": created}
    }


def _undo_done(
    conn: sqlite3.Connection, entry: AuditEntry, coder: str
) -> tuple[str, dict[str, Any]]:
    doc_id = entry.payload.get("document_id")
    if doc_id is None:
        row = conn.execute("SELECT id FROM documents WHERE name = ?", (entry.target,)).fetchone()
        doc_id = row[0] if row else None
    cur = conn.execute(
        "DELETE FROM done WHERE document_id = ? AND coder = ? RETURNING marked", (doc_id, coder)
    )
    marked = cur.fetchone()
    if marked is None:
        return f"done on {entry.target}: not marked any more, nothing to do", {"note": "not marked"}
    return f"done on {entry.target}: unmarked", {"document_id": doc_id, "marked": marked[0]}


def _undo_codings_import(
    conn: sqlite3.Connection, entry: AuditEntry, coder: str
) -> tuple[str, dict[str, Any]]:
    removed = []
    for state in entry.payload["codings"]:
        current = coding_by_id(conn, int(state[0]))
        if current is None:
            continue
        if imported_state(current) != state:
            raise _changed_since(current, entry)
        removed.append(asdict(current))
    for data in removed:
        delete_coding(conn, int(data["id"]))
    unmarked = []
    for doc_id, mark_coder in entry.payload.get("done_marks", []):
        cur = conn.execute(
            "DELETE FROM done WHERE document_id = ? AND coder = ? RETURNING marked",
            (doc_id, mark_coder),
        )
        row = cur.fetchone()
        if row is not None:
            unmarked.append([doc_id, mark_coder, row[0]])
    return (
        f"codings import of {entry.target}: {len(removed)} coding(s) and "
        f"{len(unmarked)} done-mark(s) removed",
        {"removed": removed, "unmarked": unmarked},
    )


def _refuse_if_reviewed(current: Coding, coder: str, entry: AuditEntry) -> None:
    if current.reviewer not in (None, coder):
        raise _changed_since(current, entry)


def _changed_since(current: Coding, entry: AuditEntry) -> CodingError:
    who = current.reviewer or "someone else"
    return CodingError(
        f"coding {current.id} was changed by {who} after your {entry.command} {entry.action} "
        f"(log entry {entry.id}, {entry.at}); undo leaves their change alone. "
        f"`qualmine log` shows the history"
    )
