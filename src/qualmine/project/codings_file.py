"""The codings CSV: one coding a row, plus rows that mark documents done.

Columns: document, start, end, quote, code, coder, status, reviewer, memo.
A row whose status is ``done`` and whose code is empty marks the document done for its
coder. With start and end left empty the quote is looked up in the document and must
occur exactly once (white space may differ). Import checks every row first and writes
nothing if any row is wrong.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualmine.errors import InputFileError
from qualmine.models import CODING_STATUSES, Coding, Document
from qualmine.parsing import decode_bytes
from qualmine.project.config import Project
from qualmine.storage import transaction
from qualmine.storage.audit import record
from qualmine.storage.codings import (
    add_codings,
    coding_by_id,
    done_marks,
    mark_done,
    read_codings,
)
from qualmine.storage.documents import all_documents

COLUMNS = ("document", "start", "end", "quote", "code", "coder", "status", "reviewer", "memo")
REQUIRED = ("document", "quote", "code", "coder")


@dataclass(frozen=True, slots=True)
class CodingsImport:
    """What a codings import did."""

    added: int
    already_present: int
    done_marks: int
    coders: tuple[str, ...]


def find_quote(text: str, quote: str) -> list[tuple[int, int]]:
    """Every span of ``text`` that reads as ``quote``, white space runs matched loosely."""
    words = quote.split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _same_words(a: str, b: str) -> bool:
    return a.split() == b.split()


def _parse_rows(
    path: Path, docs: dict[str, Document]
) -> tuple[list[Coding], list[tuple[int, str]], list[str]]:
    text, _ = decode_bytes(path.read_bytes(), str(path))
    # Old Mac line ends (CR alone) would make the csv module stop with an error.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.DictReader(io.StringIO(text))
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = reader.fieldnames  # reads the header line, so line numbers start right
        while header is not None:
            start = reader.line_num + 1  # a quoted field may span lines: name the first
            row = next(reader, None)
            if row is None:
                break
            rows.append((start, row))
    except csv.Error as exc:
        raise InputFileError(
            f"{path}:{reader.line_num}", f"not a readable CSV ({exc})", "save it as CSV in UTF-8"
        ) from None
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InputFileError(
            path,
            f"missing column(s) {', '.join(missing)}",
            f"the header must hold {', '.join(COLUMNS)}",
        )
    codings: list[Coding] = []
    done: list[tuple[int, str]] = []
    problems: list[str] = []
    for line, row in rows:
        try:
            item = _parse_row(row, docs)
        except ValueError as exc:
            problems.append(f"{path}:{line}: {exc}")
            continue
        if isinstance(item, Coding):
            codings.append(item)
        else:
            done.append(item)
    return codings, done, problems


def _parse_row(row: dict[str, str], docs: dict[str, Document]) -> Coding | tuple[int, str]:
    get = {k: (row.get(k) or "").strip() for k in COLUMNS}
    get["quote"] = row.get("quote") or ""
    doc = docs.get(get["document"])
    if doc is None:
        raise ValueError(f"no document {get['document']!r} in the project; import it first")
    if not get["coder"]:
        raise ValueError("coder is empty")
    status = get["status"] or "accepted"
    if status == "done" and not get["code"]:
        return (doc.id, get["coder"])
    if status not in CODING_STATUSES:
        raise ValueError(f"status {status!r}; use one of {', '.join(CODING_STATUSES)} or done")
    if not get["code"]:
        raise ValueError("code is empty")
    start, end = _locate(doc, get["quote"], get["start"], get["end"])
    return Coding(
        id=0,
        document_id=doc.id,
        start=start,
        end=end,
        quote=doc.text[start:end],
        code=get["code"],
        coder=get["coder"],
        status=status,
        reviewer=get["reviewer"] or None,
        memo=get["memo"],
    )


def _locate(doc: Document, quote: str, start: str, end: str) -> tuple[int, int]:
    if start or end:
        try:
            s, e = int(start), int(end)
        except ValueError:
            raise ValueError(f"start {start!r} and end {end!r} must be whole numbers") from None
        if not (0 <= s < e <= len(doc.text)) or not _same_words(doc.text[s:e], quote):
            found = doc.text[s:e][:60] if 0 <= s < e <= len(doc.text) else "(outside the text)"
            raise ValueError(
                f"quote does not match the text at {s}-{e} of {doc.name}: "
                f"the text there reads {found!r}"
            )
        return s, e
    spans = find_quote(doc.text, quote)
    if len(spans) != 1:
        where = (
            "not found"
            if not spans
            else (
                f"found {len(spans)} times (at {', '.join(str(s) for s, _ in spans[:5])}); "
                "give start and end or a longer quote"
            )
        )
        raise ValueError(f"quote {quote[:60]!r} {where} in {doc.name}")
    return spans[0]


def import_codings(project: Project, path: Path, *, actor: str = "unknown") -> CodingsImport:
    """Load a codings CSV into the project, all rows or none.

    The import is logged in the audit log when it adds a coding or a done-mark; loading a
    file whose rows are all present already changes nothing and logs nothing.

    Raises:
        InputFileError: the file is unreadable or any row is wrong (every such row listed).
    """
    if not path.is_file():
        raise InputFileError(path, "codings file not found", "check the path")
    with project.session() as conn:
        docs = {d.name: d for d in all_documents(conn)}
        codings, done, problems = _parse_rows(path, docs)
        if problems:
            raise InputFileError(
                path,
                f"{len(problems)} row(s) refused, nothing imported:\n  " + "\n  ".join(problems),
            )
        with transaction(conn):
            added = add_codings(conn, codings)
            newly_done = [[d, c] for d, c in done if mark_done(conn, d, c)]
            marked = len(newly_done)
            if added or marked:  # an import that changes nothing leaves no entry
                record(
                    conn,
                    coder=actor,
                    command="codings import",
                    action="add",
                    target=path.name,
                    # What undo needs to take the import back: the rows added and the marks set.
                    payload={
                        "added": len(added),
                        "done": marked,
                        "codings": [imported_state(_stored(conn, i)) for i in added],
                        "done_marks": newly_done,
                    },
                )
    coders = tuple(sorted({c.coder for c in codings} | {c for _, c in done}))
    return CodingsImport(len(added), len(codings) - len(added), marked, coders)


def imported_state(coding: Coding) -> list[Any]:
    """What the log keeps of an imported coding, for undo to tell whether it changed since."""
    return [coding.id, coding.start, coding.end, coding.code, coding.status, coding.reviewer]


def _stored(conn: sqlite3.Connection, coding_id: int) -> Coding:
    coding = coding_by_id(conn, coding_id)
    assert coding is not None  # added in this transaction
    return coding


def export_codings(project: Project, *, coders: Sequence[str] = ()) -> str:
    """Every coding (of these coders) and done-mark as CSV, in a stable order."""
    from qualmine.storage.codings import CodingFilter

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    with project.session() as conn:
        names = {d.id: d.name for d in all_documents(conn)}
        codings = read_codings(conn, CodingFilter(coders=tuple(coders)))
        marks = [(d, c) for d, c in done_marks(conn) if not coders or c in coders]
    rows = sorted(
        (
            names[c.document_id],
            c.start,
            c.end,
            c.quote,
            c.code,
            c.coder,
            c.status,
            c.reviewer or "",
            c.memo,
        )
        for c in codings
    )
    writer.writerows(rows)
    writer.writerows(sorted((names[d], "", "", "", "", c, "done", "", "") for d, c in marks))
    return out.getvalue()
