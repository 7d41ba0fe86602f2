"""A CSV of transcripts (.csv): one document per row.

Columns (names ignore case): the id is ``transcript_id``, ``id``, ``name`` or ``document``
(without one, documents are named ``<file stem>-<row>``); the text is ``text``,
``transcript`` or ``content``. Each row's text is parsed as a plain-text transcript.
Other columns become document metadata (so ``case``, ``interviewer`` and the like work
as in front matter) and, when the row has one case, that case's attributes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from qualmine.errors import InputFileError
from qualmine.models import ParsedDocument
from qualmine.parsing.decoding import normalize_text
from qualmine.parsing.loading import ReadOptions, load_text
from qualmine.parsing.plaintext import parse_plain_text

ID_COLUMNS = ("transcript_id", "id", "name", "document")
TEXT_COLUMNS = ("text", "transcript", "content")
# Metadata keys that steer parsing; they are not case attributes.
_CONTROL_KEYS = frozenset(
    ("roles", "cases", "case", "attributes", "interviewer", "interviewers")
    + ("participant", "participants", "interviewee", "interviewees")
)


def read_transcript_table(path: Path, data: bytes, options: ReadOptions) -> list[ParsedDocument]:
    """Read a CSV of transcripts: one document per non-blank row.

    Raises:
        InputFileError: no text column, a malformed row, an empty text, a missing or
            repeated id; the message names the line.
    """
    source = str(path)
    text, encoding = load_text(data, source, options)
    rows = _rows(text, source, options.max_chars)
    header = [h.strip().casefold() for h in next(rows, (1, []))[1]]
    id_at = _column(header, ID_COLUMNS)
    text_at = _column(header, TEXT_COLUMNS)
    if text_at is None:
        raise InputFileError(
            source,
            f"line 1: no transcript column among: {_shown(', '.join(header)) or '(none)'}",
            "name the column text, transcript or content",
        )
    documents: list[ParsedDocument] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputFileError(
                source,
                f"line {line}: {len(row)} fields, but the header has {len(header)}",
                "check the quoting of this row",
            )
        name = row[id_at].strip() if id_at is not None else f"{path.stem}-{len(documents) + 1}"
        _check_name(name, line, seen, source)
        extra = {key: row[i] for i, key in enumerate(header) if i not in (id_at, text_at) and key}
        documents.append(_document(row[text_at], name, extra, line, source, encoding, options))
    return documents


def _rows(text: str, source: str, max_chars: int) -> Iterator[tuple[int, list[str]]]:
    """``(first line, fields)`` for each record, the header first."""
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    # The limit is process-wide; raising it to the accepted text size is harmless.
    csv.field_size_limit(max(csv.field_size_limit(), max_chars + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for row in reader:
            yield line, row
            line = reader.line_num + 1
    except csv.Error as error:
        raise InputFileError(
            source, f"line {line}: malformed CSV ({_shown(str(error))})", "check the quoting"
        ) from None


def _shown(value: str, limit: int = 80) -> str:
    """A cell value fit for a one-line message."""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _check_name(name: str, line: int, seen: dict[str, int], source: str) -> None:
    if not name:
        raise InputFileError(source, f"line {line}: the id is empty", "give every row an id")
    if name in seen:
        raise InputFileError(
            source,
            f"line {line}: id {_shown(name)!r} already used on line {seen[name]}",
            "give every row its own id",
        )
    seen[name] = line


def _document(
    body: str,
    name: str,
    extra: dict[str, str],
    line: int,
    source: str,
    encoding: str,
    options: ReadOptions,
) -> ParsedDocument:
    where = f"line {line} (id {_shown(name)}): "
    if not body.strip():
        raise InputFileError(
            source, f"{where}the transcript text is empty", "fill it in or delete the row"
        )
    document = parse_plain_text(
        normalize_text(body),
        name=name,
        source=source,
        encoding=encoding,
        options=options,
        metadata=extra,
        where=where,
    )
    attributes = {k: v for k, v in extra.items() if k not in _CONTROL_KEYS}
    cases = {t.case for t in document.turns if t.case is not None}
    if not attributes or len(cases) != 1:
        return document
    case = cases.pop()
    merged = {**attributes, **document.case_attributes.get(case, {})}
    return replace(document, case_attributes={**document.case_attributes, case: merged})
