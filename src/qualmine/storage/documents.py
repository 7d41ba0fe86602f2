"""Documents, turns, segments and cases: rows <-> models."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qualmine.errors import NotFoundError
from qualmine.models import Document, ParsedDocument, Segment, Turn


@dataclass(frozen=True, slots=True)
class StoredSegment:
    """A segment as stored, with its id and its turn's speaker and role."""

    id: int
    document_id: int
    turn_idx: int
    idx: int
    start: int
    end: int
    speaker_role: str
    case_id: str | None


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    """One line of the documents listing."""

    id: int
    name: str
    source: str
    turns: int
    segments: int
    words: int
    cases: tuple[str, ...]
    encoding: str


def content_hash(text: str) -> str:
    """The sha256 of a document's normalized text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def insert_document(
    conn: sqlite3.Connection,
    doc: ParsedDocument,
    segments: Sequence[Segment],
    *,
    imported: str,
    replace_id: int | None = None,
) -> int:
    """Store a parsed document with its turns and segments; returns its id.

    With ``replace_id`` the stored document of that id gets the new text, turns and
    segments in place (its codings are re-anchored by the caller).
    """
    values = (
        doc.name,
        doc.source,
        content_hash(doc.text),
        doc.text,
        json.dumps(doc.metadata, sort_keys=True, default=str),
        doc.encoding,
        imported,
    )
    if replace_id is None:
        cur = conn.execute(
            "INSERT INTO documents (name, source, content_hash, text, metadata, encoding, "
            "imported) VALUES (?,?,?,?,?,?,?)",
            values,
        )
        doc_id = int(cur.lastrowid or 0)
    else:
        doc_id = replace_id
        conn.execute(
            "UPDATE documents SET name=?, source=?, content_hash=?, text=?, metadata=?, "
            "encoding=?, imported=? WHERE id=?",
            (*values, doc_id),
        )
        conn.execute("DELETE FROM segments WHERE document_id=?", (doc_id,))
        conn.execute("DELETE FROM turns WHERE document_id=?", (doc_id,))
    for case in sorted({t.case for t in doc.turns if t.case}):
        conn.execute("INSERT OR IGNORE INTO cases (id) VALUES (?)", (case,))
    conn.executemany(
        'INSERT INTO turns (document_id, idx, speaker, speaker_role, start, "end", timestamp, '
        "case_id) VALUES (?,?,?,?,?,?,?,?)",
        [
            (doc_id, t.index, t.speaker, t.speaker_role, t.start, t.end, t.timestamp, t.case)
            for t in doc.turns
        ],
    )
    conn.executemany(
        'INSERT INTO segments (document_id, turn_idx, idx, start, "end") VALUES (?,?,?,?,?)',
        [(doc_id, s.turn_index, s.index, s.start, s.end) for s in segments],
    )
    return doc_id


def find_document(conn: sqlite3.Connection, ref: str) -> Document:
    """A document by name or numeric id.

    Raises:
        NotFoundError: no such document; the message lists close names.
    """
    row = conn.execute(
        "SELECT id, name, source, content_hash, text, metadata, encoding FROM documents "
        "WHERE name = ? OR CAST(id AS TEXT) = ? ORDER BY name = ? DESC LIMIT 1",
        (ref, ref, ref),
    ).fetchone()
    if row is None:
        names = [r[0] for r in conn.execute("SELECT name FROM documents ORDER BY name")]
        import difflib

        close = difflib.get_close_matches(ref, names, n=3)
        hint = (
            f"; did you mean {', '.join(close)}?" if close else "; `qualmine documents` lists them"
        )
        raise NotFoundError(f"no document {ref!r} in this project{hint}")
    return _document(row)


def _document(row: Sequence[Any]) -> Document:
    return Document(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6])


def all_documents(conn: sqlite3.Connection) -> list[Document]:
    """Every document, by name."""
    rows = conn.execute(
        "SELECT id, name, source, content_hash, text, metadata, encoding FROM documents "
        "ORDER BY name"
    ).fetchall()
    return [_document(r) for r in rows]


def document_by_hash(conn: sqlite3.Connection, digest: str) -> Document | None:
    """The document whose normalized text has this hash, if any."""
    row = conn.execute(
        "SELECT id, name, source, content_hash, text, metadata, encoding FROM documents "
        "WHERE content_hash = ? ORDER BY id LIMIT 1",
        (digest,),
    ).fetchone()
    return _document(row) if row else None


def document_turns(conn: sqlite3.Connection, doc_id: int) -> list[Turn]:
    """The turns of a document in order."""
    rows = conn.execute(
        'SELECT idx, speaker, speaker_role, start, "end", timestamp, case_id FROM turns '
        "WHERE document_id = ? ORDER BY idx",
        (doc_id,),
    ).fetchall()
    return [Turn(*r) for r in rows]


def document_segments(conn: sqlite3.Connection, doc_id: int | None = None) -> list[StoredSegment]:
    """Segments with their turn's role and case, of one document or of all."""
    sql = (
        'SELECT s.id, s.document_id, s.turn_idx, s.idx, s.start, s."end", t.speaker_role, '
        "t.case_id FROM segments s JOIN turns t ON t.document_id = s.document_id AND "
        "t.idx = s.turn_idx"
    )
    if doc_id is None:
        rows = conn.execute(sql + " ORDER BY s.document_id, s.start").fetchall()
    else:
        rows = conn.execute(sql + " WHERE s.document_id = ? ORDER BY s.start", (doc_id,)).fetchall()
    return [StoredSegment(*r) for r in rows]


def summarize_documents(conn: sqlite3.Connection) -> list[DocumentSummary]:
    """A summary line per document: turns, segments, words, cases."""
    out = []
    for doc in all_documents(conn):
        turns = document_turns(conn, doc.id)
        n_seg = conn.execute(
            "SELECT COUNT(*) FROM segments WHERE document_id = ?", (doc.id,)
        ).fetchone()[0]
        words = sum(len(doc.text[t.start : t.end].split()) for t in turns)
        cases = tuple(sorted({t.case for t in turns if t.case}))
        out.append(
            DocumentSummary(
                doc.id, doc.name, doc.source, len(turns), n_seg, words, cases, doc.encoding
            )
        )
    return out


def set_case_attributes(conn: sqlite3.Connection, case: str, attributes: dict[str, str]) -> None:
    """Merge attributes into a case, creating it if needed."""
    row = conn.execute("SELECT attributes FROM cases WHERE id = ?", (case,)).fetchone()
    merged = json.loads(row[0]) if row else {}
    merged.update({k: v for k, v in attributes.items() if v is not None})
    conn.execute(
        "INSERT INTO cases (id, attributes) VALUES (?, ?) "
        "ON CONFLICT(id) DO UPDATE SET attributes = excluded.attributes",
        (case, json.dumps(merged, sort_keys=True)),
    )


def all_cases(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every case with its attributes, by id."""
    rows = conn.execute("SELECT id, attributes FROM cases ORDER BY id").fetchall()
    return {r[0]: json.loads(r[1]) for r in rows}


def case_documents(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """For each case, the names of the documents it speaks in."""
    rows = conn.execute(
        "SELECT DISTINCT t.case_id, d.name FROM turns t JOIN documents d ON d.id = t.document_id "
        "WHERE t.case_id IS NOT NULL ORDER BY t.case_id, d.name"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for case, name in rows:
        out.setdefault(case, []).append(name)
    return out
