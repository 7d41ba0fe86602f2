"""A project out as a REFI-QDA ``.qdpx`` archive, and the project data it is made from."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qualmine.codebook import load_codebook, validate_text
from qualmine.codebook.files import write_atomic
from qualmine.codebook.writer import to_yaml
from qualmine.errors import CodebookError
from qualmine.models import Codebook, Segment
from qualmine.project.config import Project
from qualmine.project.interchange.codebooks import ORIGIN
from qualmine.refi import DocumentData, Memo, ProjectData, qdpx_bytes
from qualmine.storage.codings import read_codings, read_memos
from qualmine.storage.documents import (
    all_cases,
    all_documents,
    document_segments,
    document_turns,
)


@dataclass(frozen=True, slots=True)
class ProjectExport:
    """What a project export wrote, and what other programs will not see."""

    path: Path
    documents: int
    codings: int
    codings_in_note: int
    memos: int
    cases: int


def read_project_data(project: Project) -> ProjectData:
    """The project's content with positions for ids, in a canonical order."""
    with project.session() as conn:
        documents = all_documents(conn)
        place = {d.id: i for i, d in enumerate(documents)}
        stored = sorted(
            read_codings(conn),
            key=lambda c: (place[c.document_id], c.start, c.end, c.code, c.coder),
        )
        index = {c.id: i for i, c in enumerate(stored)}
        memos = tuple(
            Memo(
                kind,
                _coding_target(t, index) if kind == "coding" else t,
                coder,
                text,
                at,
            )
            for _, kind, t, coder, text, at in read_memos(conn)
        )
        done = conn.execute("SELECT document_id, coder, marked FROM done").fetchall()
        return ProjectData(
            name=project.config.name,
            codebook=_current_codebook(project, conn),
            documents=tuple(
                _document_data(conn, d.id, d.name, d.text, d.metadata, d.encoding)
                for d in documents
            ),
            codings=tuple(replace(c, id=0, document_id=place[c.document_id]) for c in stored),
            memos=memos,
            done=tuple(sorted((place[d], coder, when) for d, coder, when in done)),
            cases={
                case: {k: str(v) for k, v in attrs.items()}
                for case, attrs in all_cases(conn).items()
            },
        )


def _coding_target(target: str, index: dict[int, int]) -> str:
    """A coding memo's target as a position; ``#id`` when that coding is gone."""
    if target.isdigit() and int(target) in index:
        return str(index[int(target)])
    return target if target.startswith("#") else f"#{target}"


def _document_data(
    conn: sqlite3.Connection,
    doc_id: int,
    name: str,
    text: str,
    metadata: dict[str, Any],
    encoding: str,
) -> DocumentData:
    segments = sorted(document_segments(conn, doc_id), key=lambda s: (s.turn_idx, s.idx))
    return DocumentData(
        name=name,
        text=text,
        turns=tuple(document_turns(conn, doc_id)),
        segments=tuple(Segment(s.turn_idx, s.idx, s.start, s.end) for s in segments),
        metadata=metadata,
        encoding=encoding,
    )


def _current_codebook(project: Project, conn: sqlite3.Connection) -> Codebook | None:
    """The codebook qualmine.toml names, else the last one loaded into the project."""
    if project.config.codebook and project.path(project.config.codebook).is_file():
        return load_codebook(project.path(project.config.codebook))
    row = conn.execute(
        "SELECT content, path FROM codebooks ORDER BY loaded DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return _validated_text(to_yaml(json.loads(row[0])), row[1])


def _validated_text(text: str, where: str) -> Codebook:
    report = validate_text(text, source=where)
    if report.codebook is None:
        raise CodebookError(where, list(report.errors))
    return report.codebook


def export_project(project: Project, output: Path) -> ProjectExport:
    """Write the project as a ``.qdpx`` archive (same project, same bytes)."""
    data = read_project_data(project)
    archive, _ = qdpx_bytes(data, ORIGIN)
    write_atomic(output, archive)
    codes = {c.id for c in data.codebook.codes} if data.codebook else set()
    shown = sum(1 for c in data.codings if c.status == "accepted" and c.code in codes)
    return ProjectExport(
        output,
        len(data.documents),
        shown,
        len(data.codings) - shown,
        len(data.memos),
        len(data.cases),
    )
