"""Plain tables and lines describing a project, for the CLI to render."""

from __future__ import annotations

import json

from qualmine.models import Table
from qualmine.project.config import Project
from qualmine.storage.audit import read_log
from qualmine.storage.documents import (
    all_cases,
    case_documents,
    document_segments,
    document_turns,
    find_document,
    summarize_documents,
)


def documents_table(project: Project) -> Table:
    """One row per document."""
    with project.session() as conn:
        rows = tuple(
            (s.id, s.name, s.turns, s.segments, s.words, ", ".join(s.cases), s.encoding, s.source)
            for s in summarize_documents(conn)
        )
    return Table(
        "Documents",
        ("id", "name", "turns", "segments", "words", "cases", "encoding", "source"),
        rows,
        {"unit": "document", "words": "participant and interviewer speech, marks included"},
    )


def cases_table(project: Project) -> Table:
    """One row per case, with every attribute as a column."""
    with project.session() as conn:
        cases = all_cases(conn)
        docs = case_documents(conn)
    keys = sorted({k for attrs in cases.values() for k in attrs})
    rows = tuple(
        (case, *(str(attrs.get(k, "")) for k in keys), ", ".join(docs.get(case, [])))
        for case, attrs in cases.items()
    )
    return Table("Cases", ("case", *keys, "documents"), rows, {"unit": "case"})


def show_lines(project: Project, ref: str) -> list[tuple[str, str]]:
    """A document's turns as (line, style) pairs: a header per turn, then its segments."""
    with project.session() as conn:
        doc = find_document(conn, ref)
        turns = document_turns(conn, doc.id)
        segments = document_segments(conn, doc.id)
    by_turn: dict[int, list[tuple[int, int, int]]] = {}
    for seg in segments:
        by_turn.setdefault(seg.turn_idx, []).append((seg.id, seg.start, seg.end))
    lines: list[tuple[str, str]] = [(f"# {doc.name}  ({doc.source})", "bold")]
    meta = {k: v for k, v in doc.metadata.items() if k != "notice"}
    if meta:
        lines.append(("# " + json.dumps(meta, sort_keys=True, default=str), "dim"))
    for turn in turns:
        stamp = f" [{turn.timestamp}]" if turn.timestamp else ""
        case = f" case={turn.case}" if turn.case else ""
        header = f"\n[turn {turn.index}] {turn.speaker} ({turn.speaker_role}){stamp}{case}"
        lines.append((header, "bold cyan" if turn.speaker_role == "participant" else "bold"))
        for seg_id, start, end in by_turn.get(turn.index, []):
            lines.append((f"  s{seg_id}: {doc.text[start:end]}", ""))
    return lines


def log_table(project: Project, limit: int) -> Table:
    """The newest audit entries."""
    with project.session() as conn:
        entries = read_log(conn, limit=limit)
    rows = tuple(
        (
            e.id,
            e.at,
            e.coder,
            e.command,
            e.action,
            e.target,
            json.dumps(e.payload, sort_keys=True)[:120],
        )
        for e in entries
    )
    return Table(
        "Audit log",
        ("id", "at", "coder", "command", "action", "target", "detail"),
        rows,
        {"order": "newest first"},
    )
