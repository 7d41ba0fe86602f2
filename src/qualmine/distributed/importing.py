"""The import on Dask: workers read and segment the files, this process checks the names
and stores the documents as the importer does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qualmine.errors import QualmineError
from qualmine.models import ParsedDocument, Segment
from qualmine.project.config import Project
from qualmine.project.importer import ImportReport

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class _Failed:
    message: str


def _parse_file(
    project: Project, path: Path, by_speaker: dict[str, str]
) -> list[tuple[ParsedDocument, list[Segment]]] | _Failed:
    """On a worker: one file's documents, each with its segments (errors as values)."""
    from qualmine.parsing import segment_turns
    from qualmine.project.importer import _parse_all  # the importer's own per-file reading

    try:
        docs = _parse_all(project, [path], by_speaker)
        return [(doc, segment_turns(doc.text, doc.turns)) for doc in docs]
    except QualmineError as error:
        # Exceptions whose __init__ takes several arguments do not survive pickling.
        return _Failed(str(error))


def _names(parsed: list[tuple[ParsedDocument, list[Segment]]] | _Failed) -> list[str] | _Failed:
    """On a worker: the document names of a parsed file, so only names travel first."""
    return parsed if isinstance(parsed, _Failed) else [doc.name for doc, _ in parsed]


def _import(
    client: Any, project: Project, paths: Sequence[str], coder: str, progress: Progress | None
) -> ImportReport:
    from qualmine.project.importer import expand_paths, read_attributes, speaker_cases

    files, skipped = expand_paths(project, paths)
    attr_path = project.path(project.config.participants) if project.config.participants else None
    case_attrs = read_attributes(attr_path) if attr_path else {}
    parsed = client.map(
        _parse_file, [project] * len(files), files, [speaker_cases(case_attrs)] * len(files)
    )
    # Every file is read and checked before anything is written, as in a local import.
    _check_names(client.gather(client.map(_names, parsed)), files)
    conn = project.connect()
    try:
        report = _store_files(conn, client, parsed, coder, progress)
        from qualmine.storage import transaction

        with transaction(conn):
            cases = _store_case_attributes(conn, report.case_attributes, case_attrs)
    finally:
        conn.close()
    return replace(report.report, skipped=tuple(skipped), cases_with_attributes=cases)


def _check_names(names: list[list[str] | _Failed], files: Sequence[Path]) -> None:
    from qualmine.errors import InputFileError

    seen: dict[str, Path] = {}
    for path, found in zip(files, names, strict=True):
        if isinstance(found, _Failed):
            raise QualmineError(found.message)
        for name in found:
            if name in seen:
                raise InputFileError(
                    path,
                    f"document name {name!r} is also used by {seen[name]}",
                    "rename one of the files",
                )
            seen[name] = path


@dataclass(slots=True)
class _Stored:
    report: ImportReport
    case_attributes: list[dict[str, dict[str, str]]]


def _store_files(
    conn: sqlite3.Connection, client: Any, parsed: list[Any], coder: str, progress: Progress | None
) -> _Stored:
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    orphaned: list[int] = []
    moved: list[int] = []
    encodings: dict[str, str] = {}
    attributes: list[dict[str, dict[str, str]]] = []
    for number, future in enumerate(parsed):
        if progress:
            progress(number, len(parsed), "")
        docs = client.gather(future)
        future.release()  # the worker may drop the file's documents now
        for doc, segments in docs:
            outcome, lost, shifted = _store_document(conn, doc, segments, coder)
            {"added": added, "updated": updated, "unchanged": unchanged}[outcome].append(doc.name)
            orphaned.extend(lost)
            moved.extend(shifted)
            encodings[doc.name] = doc.encoding
            attributes.append(doc.case_attributes)
    if progress:
        progress(len(parsed), len(parsed), "")
    report = ImportReport(
        tuple(added), tuple(updated), tuple(unchanged), (), tuple(orphaned), tuple(moved), encodings
    )
    return _Stored(report, attributes)


def _store_document(
    conn: sqlite3.Connection, doc: ParsedDocument, segments: list[Segment], coder: str
) -> tuple[str, list[int], list[int]]:
    """Store one document as the importer does: unchanged, added, or updated and re-anchored."""
    from qualmine.project.importer import _reanchor_document
    from qualmine.storage import transaction
    from qualmine.storage.audit import now, record
    from qualmine.storage.documents import content_hash, insert_document

    row = conn.execute(
        "SELECT id, content_hash FROM documents WHERE name = ?", (doc.name,)
    ).fetchone()
    if row and row[1] == content_hash(doc.text):
        return "unchanged", [], []
    lost: list[int] = []
    shifted: list[int] = []
    with transaction(conn):
        doc_id = insert_document(
            conn, doc, segments, imported=now(), replace_id=row[0] if row else None
        )
        if row:
            lost, shifted = _reanchor_document(conn, doc_id, doc.text)
        record(
            conn,
            coder=coder,
            command="import",
            action="update" if row else "add",
            target=doc.name,
            payload={"source": doc.source, "hash": content_hash(doc.text), "document_id": doc_id},
        )
    return ("updated" if row else "added"), lost, shifted


def _store_case_attributes(
    conn: sqlite3.Connection,
    per_document: list[dict[str, dict[str, str]]],
    case_attrs: dict[str, dict[str, str]],
) -> int:
    from qualmine.storage.documents import set_case_attributes

    merged: dict[str, dict[str, str]] = {}
    for found in per_document:
        for case, attrs in found.items():
            merged.setdefault(case, {}).update(attrs)
    for case, attrs in case_attrs.items():
        merged.setdefault(case, {}).update(attrs)
    for case, attrs in sorted(merged.items()):
        set_case_attributes(conn, case, attrs)
    return len(merged)
