"""A person's coding work: tag, untag, memo, done. Every change lands in the audit log."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict

from qualmine.errors import CodingError, NotFoundError
from qualmine.models import Coding, Document
from qualmine.project.codebook_sync import project_codes, sync_codebook
from qualmine.project.codings_file import find_quote
from qualmine.project.config import Project
from qualmine.storage import transaction
from qualmine.storage.audit import record
from qualmine.storage.codings import add_codings, add_memo, coding_by_id, delete_coding, mark_done
from qualmine.storage.documents import document_segments, find_document

_RANGE = re.compile(r"^(\d+)-(\d+)$")
_SEGMENT = re.compile(r"^s?(\d+)$")
MEMO_KINDS = ("project", "document", "code", "coding")


def _known_codes(project: Project, conn: sqlite3.Connection) -> list[str]:
    codes = project_codes(conn)
    if not codes and project.config.codebook:
        sync_codebook(project)
        codes = project_codes(conn)
    return codes


def _check_code(project: Project, conn: sqlite3.Connection, code: str) -> None:
    codes = _known_codes(project, conn)
    if code not in codes:
        import difflib

        close = difflib.get_close_matches(code, codes, n=3)
        hint = (
            f"; did you mean {', '.join(close)}?"
            if close
            else "; `qualmine codebook show` lists them"
        )
        raise NotFoundError(f"no code {code!r} in the project's codebook{hint}")


def locate(
    conn: sqlite3.Connection, doc: Document, target: str | None, quote: str | None
) -> tuple[int, int]:
    """The span a tag names: a segment id (``s12``), a character range (``100-180``) or a quote."""
    if quote is not None:
        spans = find_quote(doc.text, quote)
        if len(spans) != 1:
            if not spans:
                raise CodingError(f"{doc.name}: the quote {quote[:60]!r} is not in the text")
            listing = "; ".join(
                f"{s}-{e}: {doc.text[max(0, s - 20) : e + 20]!r}" for s, e in spans[:5]
            )
            raise CodingError(
                f"{doc.name}: the quote occurs {len(spans)} times ({listing}); "
                "give a longer quote or a range START-END"
            )
        return spans[0]
    if target and (m := _RANGE.match(target)):
        start, end = int(m.group(1)), int(m.group(2))
        if not 0 <= start < end <= len(doc.text):
            raise CodingError(
                f"{doc.name}: range {target} lies outside the text (0-{len(doc.text)})"
            )
        return start, end
    if target and (m := _SEGMENT.match(target)):
        for seg in document_segments(conn, doc.id):
            if seg.id == int(m.group(1)):
                return seg.start, seg.end
        raise NotFoundError(
            f"{doc.name}: no segment {target}; `qualmine show {doc.name}` lists them"
        )
    raise CodingError(f"{target!r}: give a segment id (s12), a range (100-180) or --quote")


def tag(
    project: Project,
    doc_ref: str,
    code: str,
    *,
    coder: str,
    target: str | None = None,
    quote: str | None = None,
    memo: str = "",
) -> Coding:
    """Code a span of a document as ``coder`` (status accepted)."""
    with project.session() as conn:
        doc = find_document(conn, doc_ref)
        _check_code(project, conn, code)
        start, end = locate(conn, doc, target, quote)
        coding = Coding(
            0, doc.id, start, end, doc.text[start:end], code, coder, "accepted", memo=memo
        )
        with transaction(conn):
            added = add_codings(conn, [coding])
            if not added:
                raise CodingError(f"{doc.name} {start}-{end} already carries {code} by {coder}")
            record(
                conn,
                coder=coder,
                command="tag",
                action="add",
                target=f"coding {added[0]}",
                payload={"coding": {**asdict(coding), "id": added[0]}},
            )
            stored = coding_by_id(conn, added[0])
    assert stored is not None
    return stored


def untag(project: Project, coding_id: int, *, coder: str) -> Coding:
    """Remove one of this coder's codings (kept in the audit log, so `undo` restores it)."""
    with project.session() as conn:
        coding = coding_by_id(conn, coding_id)
        if coding is None:
            raise NotFoundError(f"no coding {coding_id}; `qualmine codings export` lists them")
        if coding.coder != coder:
            raise CodingError(
                f"coding {coding_id} belongs to {coding.coder}, not {coder}; "
                "only its coder may remove it (review can reject it)"
            )
        with transaction(conn):
            delete_coding(conn, coding_id)
            record(
                conn,
                coder=coder,
                command="untag",
                action="delete",
                target=f"coding {coding_id}",
                payload={"coding": asdict(coding)},
            )
    return coding


def memo(project: Project, kind: str, target: str, text: str, *, coder: str) -> int:
    """Write a project, document, code or coding memo; returns its id."""
    if kind not in MEMO_KINDS:
        raise CodingError(f"memo kind {kind!r}; use one of {', '.join(MEMO_KINDS)}")
    with project.session() as conn:
        if kind == "document":
            target = find_document(conn, target).name
        elif kind == "code":
            _check_code(project, conn, target)
        elif (
            kind == "coding" and coding_by_id(conn, int(target) if target.isdigit() else -1) is None
        ):
            raise NotFoundError(f"no coding {target}")
        with transaction(conn):
            memo_id = add_memo(conn, kind, target, coder, text)
            record(
                conn,
                coder=coder,
                command="memo",
                action="add",
                target=f"{kind} {target}",
                payload={"memo": memo_id, "text": text},
            )
    return memo_id


def mark_document_done(project: Project, doc_ref: str, *, coder: str) -> bool:
    """Say that ``coder`` has finished a document; False if it was already marked."""
    with project.session() as conn:
        doc = find_document(conn, doc_ref)
        with transaction(conn):
            new = mark_done(conn, doc.id, coder)
            if new:
                record(
                    conn,
                    coder=coder,
                    command="done",
                    action="add",
                    target=doc.name,
                    payload={"document_id": doc.id},
                )
    return new
