"""Importing transcripts into a project: expand paths, parse, segment, store, re-anchor.

Every file is read and checked before anything is written, so a bad file leaves the
project as it was. Each document is then stored in its own transaction.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from qualmine.errors import InputFileError
from qualmine.models import ParsedDocument, Turn
from qualmine.parsing import READERS, decode_bytes, read_transcripts, segment_documents
from qualmine.project.config import Project
from qualmine.storage import transaction
from qualmine.storage.audit import now, record
from qualmine.storage.codings import CodingFilter, read_codings, reanchor, update_coding
from qualmine.storage.documents import (
    content_hash,
    document_segments,
    insert_document,
    set_case_attributes,
)

Progress = Callable[[int, int, str], None]
Committed = Callable[[str], None]
_SKIPPED_NAMES = ("readme",)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did.

    Attributes:
        added: names of new documents.
        updated: names of documents whose text changed and was re-imported.
        unchanged: names of documents already stored with the same content.
        skipped: (path, reason) for files a folder import passed over.
        orphaned: ids of codings that could not be re-anchored in changed documents.
        moved: ids of codings re-anchored at new offsets.
        encodings: document name -> encoding used.
        cases_with_attributes: how many cases got attributes.
    """

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    orphaned: tuple[int, ...] = ()
    moved: tuple[int, ...] = ()
    encodings: dict[str, str] = field(default_factory=dict)
    cases_with_attributes: int = 0


def expand_paths(
    project: Project, paths: Sequence[str]
) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to import from files, folders and globs, and what a folder import skipped."""
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    sidecars = project.sidecar_files()
    for given in paths:
        matches = sorted(glob.glob(given, recursive=True)) if glob.has_magic(given) else [given]
        if not matches:
            raise InputFileError(given, "no file matches this pattern", "check the path")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                found, passed = _folder_files(path, sidecars)
                files.extend(found)
                skipped.extend(passed)
            elif glob.has_magic(given):
                reason = _skip_reason(path, sidecars)
                if reason:
                    skipped.append((str(path), reason))
                else:
                    files.append(path)
            else:
                files.append(path)
    unique = list(dict.fromkeys(files))
    return unique, skipped


def _folder_files(folder: Path, sidecars: set[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    found: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or any(p.startswith(".") for p in path.relative_to(folder).parts):
            continue
        reason = _skip_reason(path, sidecars)
        if reason:
            skipped.append((str(path), reason))
        else:
            found.append(path)
    return found, skipped


def _skip_reason(path: Path, sidecars: set[Path]) -> str:
    if path.name.lower().startswith(_SKIPPED_NAMES):
        return "README file"
    if path.resolve() in sidecars:
        return "named in qualmine.toml (participants, codebook, codings or findings)"
    if path.suffix.lower() not in READERS:
        return f"not a transcript format ({path.suffix or 'no extension'})"
    return ""


def read_attributes(path: Path) -> dict[str, dict[str, str]]:
    """Case attributes from a participants CSV: the first column (or `case`) names the case.

    Raises:
        InputFileError: unreadable file, no header, or a row without a case id.
    """
    if not path.is_file():
        raise InputFileError(path, "participants file not found", "check the path in qualmine.toml")
    text, _ = decode_bytes(path.read_bytes(), str(path))
    # newline="": \r, \n and \r\n line ends read alike; strict: an open quote is an error.
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        return _attribute_rows(path, reader)
    except csv.Error as exc:
        # line_num counts the lines of the records read whole: the bad one starts after them.
        raise InputFileError(
            f"{path}:{reader.line_num + 1}",
            f"malformed CSV in the row starting here ({exc})",
            "check the quoting",
        ) from None


def _attribute_rows(path: Path, reader: csv.DictReader[str]) -> dict[str, dict[str, str]]:
    if not reader.fieldnames:
        raise InputFileError(
            path, "no header row", "the first row names the columns, e.g. case,age_band"
        )
    names = [n.strip() for n in reader.fieldnames]
    key = next((n for n in names if n.lower() in ("case", "participant", "id")), names[0])
    out: dict[str, dict[str, str]] = {}
    for row in reader:
        line = reader.line_num
        _check_row_width(path, line, row, len(names))
        clean = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        case = clean.pop(key, "")
        if not case:
            raise InputFileError(
                f"{path}:{line}", f"row has no {key!r} value", "fill it in or remove the row"
            )
        out[case] = clean
    return out


def _check_row_width(path: Path, line: int, row: dict[str | None, object], width: int) -> None:
    """Refuse a row with missing or extra columns rather than guess which value is which."""
    extra = row.get(None)
    missing = [k for k, v in row.items() if k is not None and v is None]
    if missing or extra:
        count = width + len(extra) if isinstance(extra, list) else width - len(missing)
        raise InputFileError(
            f"{path}:{line}",
            f"{count} field(s), but the header has {width}",
            "give every row a value (or an empty one) for each column",
        )


def _apply_case_metadata(doc: ParsedDocument) -> ParsedDocument:
    """Map the sole participant speaker to the case that the metadata names."""
    case = str(doc.metadata.get("case", "") or "")
    speakers = {t.speaker for t in doc.turns if t.speaker_role == "participant"}
    if not case or len(speakers) != 1:
        return doc
    turns = tuple(
        replace(t, case=case) if t.speaker_role == "participant" else t for t in doc.turns
    )
    return replace(doc, turns=turns)


_SPEAKER_COLUMNS = ("speaker", "pseudonym", "label", "name")


def _apply_speaker_cases(doc: ParsedDocument, by_speaker: dict[str, str]) -> ParsedDocument:
    """Map participant speakers to cases through the participants file's speaker column."""
    if not by_speaker:
        return doc
    turns = tuple(
        replace(t, case=by_speaker[t.speaker])
        if t.speaker_role == "participant" and t.speaker in by_speaker and t.case == t.speaker
        else t
        for t in doc.turns
    )
    return replace(doc, turns=turns)


def speaker_cases(case_attrs: dict[str, dict[str, str]]) -> dict[str, str]:
    """Speaker label -> case, from a speaker/pseudonym/label/name column of the participants."""
    out: dict[str, str] = {}
    for case, attrs in case_attrs.items():
        for column in _SPEAKER_COLUMNS:
            if attrs.get(column):
                out[attrs[column]] = case
                break
    return out


def portable_source(project: Project, path: Path) -> str:
    """Where a document came from, without the user's own folders.

    A file inside the project is named relative to it; any other file by its name only,
    so that exports and shared project files carry no absolute path of this machine.
    """
    try:
        return path.resolve().relative_to(project.root).as_posix()
    except ValueError:
        return path.name


def _parse_all(
    project: Project, files: Sequence[Path], by_speaker: dict[str, str] | None = None
) -> list[ParsedDocument]:
    docs: list[ParsedDocument] = []
    for path in files:
        roles = dict(project.config.roles)
        roles.update(project.config.document_roles.get(path.stem, {}))
        parsed = read_transcripts(path, max_chars=project.config.max_chars, roles=roles or None)
        source = portable_source(project, path)
        docs.extend(
            replace(_apply_speaker_cases(_apply_case_metadata(d), by_speaker or {}), source=source)
            for d in parsed
        )
    seen: dict[str, str] = {}
    for doc in docs:
        if doc.name in seen:
            raise InputFileError(
                doc.source,
                f"document name {doc.name!r} is also used by {seen[doc.name]}",
                "rename one of the files",
            )
        seen[doc.name] = doc.source
    return docs


def import_transcripts(
    project: Project,
    paths: Sequence[str],
    *,
    attributes: Path | None = None,
    coder: str = "unknown",
    progress: Progress | None = None,
    committed: Committed | None = None,
) -> ImportReport:
    """Import transcripts (files, folders, globs) into the project.

    ``committed`` is called with each document's name right after its transaction commits.

    Raises:
        InputFileError: a file cannot be read; nothing has been written.
    """
    files, skipped = expand_paths(project, paths)
    attr_path = attributes or (
        project.path(project.config.participants) if project.config.participants else None
    )
    case_attrs = read_attributes(attr_path) if attr_path else {}
    docs = _parse_all(project, files, speaker_cases(case_attrs))
    conn = project.connect()
    try:
        report = _store_all(conn, docs, coder, progress, committed)
        with transaction(conn):
            n = _store_attributes(conn, docs, case_attrs, coder)
    finally:
        conn.close()
    return replace(report, skipped=tuple(skipped), cases_with_attributes=n)


def _store_all(
    conn: sqlite3.Connection,
    docs: Sequence[ParsedDocument],
    coder: str,
    progress: Progress | None,
    committed: Committed | None = None,
) -> ImportReport:
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    orphaned: list[int] = []
    moved: list[int] = []
    stored: list[tuple[ParsedDocument, int | None]] = []
    for doc in docs:
        row = conn.execute(
            "SELECT id, content_hash FROM documents WHERE name = ?", (doc.name,)
        ).fetchone()
        if row and row[1] == content_hash(doc.text):
            unchanged.append(doc.name)
        else:
            stored.append((doc, row[0] if row else None))
    segmented = segment_documents((doc.text, doc.turns) for doc, _ in stored)
    for i, ((doc, old_id), segments) in enumerate(zip(stored, segmented, strict=True)):
        if progress:
            progress(len(unchanged) + i, len(docs), doc.name)
        with transaction(conn):
            doc_id = insert_document(conn, doc, segments, imported=now(), replace_id=old_id)
            if old_id is not None:
                lost, shifted = _reanchor_document(conn, doc_id, doc.text)
                orphaned.extend(lost)
                moved.extend(shifted)
            record(
                conn,
                coder=coder,
                command="import",
                action="update" if old_id is not None else "add",
                target=doc.name,
                payload={
                    "source": doc.source,
                    "hash": content_hash(doc.text),
                    "document_id": doc_id,
                },
            )
        (updated if old_id is not None else added).append(doc.name)
        if committed:
            committed(doc.name)
    if progress:
        progress(len(docs), len(docs), "")
    encodings = {d.name: d.encoding for d in docs}
    return ImportReport(
        tuple(added), tuple(updated), tuple(unchanged), (), tuple(orphaned), tuple(moved), encodings
    )


def _reanchor_document(
    conn: sqlite3.Connection, doc_id: int, text: str
) -> tuple[list[int], list[int]]:
    lost: list[int] = []
    shifted: list[int] = []
    for coding in read_codings(conn, CodingFilter(document_ids=(doc_id,))):
        if coding.status == "orphaned":
            continue
        moved = reanchor(text, coding)
        if moved == coding:
            continue
        update_coding(conn, moved)
        (lost if moved.status == "orphaned" else shifted).append(coding.id)
    return lost, shifted


def _store_attributes(
    conn: sqlite3.Connection,
    docs: Sequence[ParsedDocument],
    case_attrs: dict[str, dict[str, str]],
    coder: str = "unknown",
) -> int:
    merged: dict[str, dict[str, str]] = {}
    for doc in docs:
        for case, attrs in doc.case_attributes.items():
            merged.setdefault(case, {}).update(attrs)
    for case, attrs in case_attrs.items():
        merged.setdefault(case, {}).update(attrs)
    changed = {}
    for case, attrs in sorted(merged.items()):
        before = conn.execute("SELECT attributes FROM cases WHERE id = ?", (case,)).fetchone()
        set_case_attributes(conn, case, attrs)
        after = conn.execute("SELECT attributes FROM cases WHERE id = ?", (case,)).fetchone()
        if before is None or before[0] != after[0]:
            changed[case] = {"before": json.loads(before[0]) if before else None}
    if changed:
        record(
            conn,
            coder=coder,
            command="import",
            action="attributes",
            target=f"{len(changed)} case(s)",
            payload={"cases": changed},
        )
    return len(merged)


def participant_turns(turns: Sequence[Turn]) -> list[Turn]:
    """The participants' turns only."""
    return [t for t in turns if t.speaker_role == "participant"]


__all__ = [
    "ImportReport",
    "import_transcripts",
    "expand_paths",
    "read_attributes",
    "document_segments",
    "participant_turns",
]
