"""Undo of a transcript import that added a document: the document taken out again.

`undo_document_import` reverses an audit entry ``import``/``add`` (its target is the
document's name, its payload the source path, the content hash and, since undo could take
imports back, the new document's id). The document is found by name; when the entry names
an id it must be that one, and its text must still have the hash the import stored, so an
entry written before the id was recorded is matched by name and hash alone.

It is removed with everything that hangs on it: turns, segments, auto-coder suggestions,
auto-coder run scores and topic assignments for it, and the cases only its turns named that
have no attributes (the ones the import itself created). Cases with attributes stay: they
come from the participants file or a front matter, which imports apart from the document.
Auto-coder runs themselves stay, as do cached embeddings (vectors keyed by text, no text).
The undo entry keeps the document's name, id, source, hash and the counts of what went, not
its text or quotes: a file imported by mistake should not stay in the project through its log.

It refuses, changing nothing, when the document carries a person's work (a coding by a
person, a reviewed suggestion, a memo on it or on one of its codings, a done-mark), when it
was imported again after the entry, or when it is no longer there or its text changed
(a redaction).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from qualmine.errors import CodingError, NotFoundError
from qualmine.storage.audit import AuditEntry

_AUTO = "auto:*"
_HANGING = ("turns", "segments", "codings", "run_scores", "topic_assignments")


def undo_document_import(
    conn: sqlite3.Connection, entry: AuditEntry, coder: str
) -> tuple[str, dict[str, Any]]:
    """Remove the document an ``import``/``add`` entry added; a summary and the undo's payload.

    Raises:
        NotFoundError: the document is no longer in the project.
        CodingError: it was imported again or redacted since, or carries a person's work.
    """
    name = entry.target
    _refuse_if_imported_again(conn, entry)
    doc_id, source, digest, imported = _imported_document(conn, entry)
    work = _people_work(conn, doc_id, name)
    if work:
        raise CodingError(
            f"cannot undo the import of {name} (log entry {entry.id}): it carries people's "
            f"work ({', '.join(work)}); take that off first (`qualmine untag ID` for codings, "
            "`qualmine undo` as whoever reviewed, wrote the memo or marked it done), then undo "
            "again"
        )
    counts, cases = _remove(conn, doc_id)
    gone = f"{counts['turns']} turn(s), {counts['segments']} segment(s) and "
    gone += f"{counts['codings']} auto-coder suggestion(s)"
    if cases:
        gone += f"; case(s) {', '.join(cases)} removed with it"
    summary = (
        f"import of {name}: document removed with its {gone}. The file {source} is still "
        "on disk: `qualmine import` or `qualmine run` imports it again unless it is moved out "
        "of the transcript folders"
    )
    document = {"id": doc_id, "name": name, "source": source, "hash": digest, "imported": imported}
    return summary, {"document": document, "removed": counts, "cases": cases}


def _refuse_if_imported_again(conn: sqlite3.Connection, entry: AuditEntry) -> None:
    later = conn.execute(
        "SELECT id, at, coder FROM audit WHERE command = 'import' AND action IN ('add', 'update') "
        "AND target = ? AND id > ? ORDER BY id DESC LIMIT 1",
        (entry.target, entry.id),
    ).fetchone()
    if later is not None:
        raise CodingError(
            f"{entry.target} was imported again by {later[2]} after the import you undo "
            f"(log entry {later[0]}, {later[1]}); undo takes back only a document as it was "
            "first imported. `qualmine log` shows the history"
        )


def _imported_document(conn: sqlite3.Connection, entry: AuditEntry) -> tuple[int, str, str, str]:
    """The id, source, content hash and import time of the document the entry added."""
    row = conn.execute(
        "SELECT id, source, content_hash, imported FROM documents WHERE name = ?", (entry.target,)
    ).fetchone()
    recorded = entry.payload.get("document_id")
    if row is None or (recorded is not None and row[0] != recorded):
        raise NotFoundError(
            f"document {entry.target} is no longer in the project, so its import (log entry "
            f"{entry.id}, {entry.at}) cannot be undone; `qualmine log` shows what happened"
        )
    if row[2] != entry.payload.get("hash"):
        raise CodingError(
            f"the text of {entry.target} is no longer the text its import stored (log entry "
            f"{entry.id}); a redaction rewrote it, and undo takes back only a document as it "
            "was imported. `qualmine log` shows the history"
        )
    return int(row[0]), str(row[1]), str(row[2]), str(row[3])


def _people_work(conn: sqlite3.Connection, doc_id: int, name: str) -> list[str]:
    """What people have put on a document: their codings, reviews, memos and done-marks."""
    work = [
        f"{count} coding(s) by {who}"
        for who, count in conn.execute(
            "SELECT coder, COUNT(*) FROM codings WHERE document_id = ? AND coder NOT GLOB ? "
            "GROUP BY coder ORDER BY coder",
            (doc_id, _AUTO),
        )
    ]
    reviewed = conn.execute(
        "SELECT COUNT(*), group_concat(DISTINCT reviewer) FROM codings WHERE document_id = ? "
        "AND coder GLOB ? AND (reviewer IS NOT NULL OR status IN ('accepted', 'rejected') "
        "OR memo != '' OR pending != '')",
        (doc_id, _AUTO),
    ).fetchone()
    if reviewed[0]:
        by = f" by {reviewed[1].replace(',', ', ')}" if reviewed[1] else ""
        work.append(f"{reviewed[0]} reviewed suggestion(s){by}")
    memos = conn.execute(
        "SELECT COUNT(*), group_concat(DISTINCT coder) FROM memos WHERE (kind = 'document' "
        "AND target = ?) OR (kind = 'coding' AND target IN "
        "(SELECT CAST(id AS TEXT) FROM codings WHERE document_id = ?))",
        (name, doc_id),
    ).fetchone()
    if memos[0]:
        work.append(f"{memos[0]} memo(s) by {memos[1].replace(',', ', ')}")
    marks = [
        r[0]
        for r in conn.execute(
            "SELECT coder FROM done WHERE document_id = ? AND coder NOT GLOB ? ORDER BY coder",
            (doc_id, _AUTO),
        )
    ]
    if marks:
        work.append(f"done-mark(s) by {', '.join(marks)}")
    return work


def _remove(conn: sqlite3.Connection, doc_id: int) -> tuple[dict[str, int], list[str]]:
    """Delete the document and what hangs on it; the rows removed per table, the cases gone."""
    counts = {
        table: int(
            conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE document_id = ?", (doc_id,)
            ).fetchone()[0]
        )
        for table in _HANGING
    }
    named = [
        str(r[0])
        for r in conn.execute(
            "SELECT DISTINCT case_id FROM turns WHERE document_id = ? AND case_id IS NOT NULL "
            "ORDER BY case_id",
            (doc_id,),
        )
    ]
    # run_scores name documents without a foreign key; the rest goes by ON DELETE CASCADE.
    conn.execute("DELETE FROM run_scores WHERE document_id = ?", (doc_id,))
    conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
    cases = [
        case
        for case in named
        if conn.execute(
            "DELETE FROM cases WHERE id = ? AND attributes = '{}' "
            "AND NOT EXISTS (SELECT 1 FROM turns WHERE case_id = ?)",
            (case, case),
        ).rowcount
    ]
    return counts, cases
