"""Merging another copy's codings, memos, done-marks, statuses and reviewers in.

Merging (`merge_project`) brings another copy's codings, memos, done-marks, statuses and
reviewers in. Documents are matched by the hash of their text and codes by id; whatever
cannot be matched is reported, never guessed. The rule for rows already here: a merge
only adds rows and never changes or deletes one, with a single exception: a suggestion
still undecided here (status ``suggested``, no reviewer) takes the decision (status and
reviewer) that the other copy made. Any other difference between the two copies of the
same coding (same document, span, code and coder) keeps this project's row and is listed
as a conflict. A merge never deletes either: a coding removed in the other copy stays
here. So merging the same copy twice changes nothing, and nobody's work is overwritten.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from qualmine.errors import ProjectError
from qualmine.models import Coding
from qualmine.project.codebook_sync import project_codes, sync_codebook
from qualmine.project.config import Project, find_project
from qualmine.storage import transaction
from qualmine.storage.audit import record
from qualmine.storage.codings import (
    add_codings,
    add_memo,
    coding_by_id,
    mark_done,
    read_codings,
    update_coding,
)

MERGE_REPORT = Path(".qualmine") / "last-merge-report.json"
CodingKey = tuple[int, int, int, str, str]  # document id, start, end, code, coder


@dataclass(frozen=True, slots=True)
class UnmatchedDocument:
    """A document of the other copy with no document of the same text here."""

    name: str
    reason: str
    codings: int
    memos: int
    done_marks: int


@dataclass(frozen=True, slots=True)
class Conflict:
    """The same coding (document, span, code, coder) in both copies, with other values."""

    document: str
    start: int
    end: int
    code: str
    coder: str
    here: str
    there: str


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What a merge brought in, found already here, and could not match.

    Attributes:
        source: the other project folder.
        documents: documents matched by the hash of their text.
        added: per kind (codings, decisions, memos, done_marks), how many came in.
        already: per kind (codings, memos, done_marks), how many were here already.
        unmatched_documents: documents of the other copy whose text is not here.
        unmatched_codes: code id -> codings (and code memos) not brought in because this
            project's codebook has no such code.
        unmatched_memos: memos left out because their target could not be matched.
        conflicts: codings in both copies with other values; this project's were kept.
        report: where the report was saved.
    """

    source: str
    documents: int
    added: dict[str, int]
    already: dict[str, int]
    unmatched_documents: tuple[UnmatchedDocument, ...] = ()
    unmatched_codes: dict[str, int] = field(default_factory=dict)
    unmatched_memos: int = 0
    conflicts: tuple[Conflict, ...] = ()
    report: Path = Path()

    @property
    def changed(self) -> bool:
        """Whether the merge wrote anything."""
        return any(self.added.values())


@dataclass(frozen=True, slots=True)
class _Copy:
    """What another project holds, as read from its project file."""

    documents: dict[int, tuple[str, str]]  # id -> (name, content hash)
    codings: tuple[Coding, ...]
    memos: tuple[tuple[str, str, str, str, str], ...]  # kind, target, coder, text, created
    done: tuple[tuple[int, str, str], ...]  # document id, coder, marked


@dataclass
class _Tally:
    """The counts a merge builds up while it runs."""

    added: dict[str, int] = field(
        default_factory=lambda: {"codings": 0, "decisions": 0, "memos": 0, "done_marks": 0}
    )
    already: dict[str, int] = field(
        default_factory=lambda: {"codings": 0, "memos": 0, "done_marks": 0}
    )
    per_document: dict[int, list[int]] = field(default_factory=dict)  # their id -> counts
    codes: dict[str, int] = field(default_factory=dict)
    memos_unmatched: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    log: dict[str, list[Any]] = field(
        default_factory=lambda: {"codings": [], "decided": [], "memos": [], "done": []}
    )

    def lost(self, document_id: int, kind: int) -> None:
        self.per_document.setdefault(document_id, [0, 0, 0])[kind] += 1


def merge_project(project: Project, other: Path, *, actor: str = "unknown") -> MergeReport:
    """Bring another copy's work into the project (see the module docstring for the rule).

    Everything is written in one transaction and logged in the audit log; a merge that
    finds nothing new writes nothing. The report is also saved as
    ``.qualmine/last-merge-report.json``.

    Raises:
        ProjectError: ``other`` is not another project folder (a ``.qdpx`` file is refused:
            import it with `qualmine project import`).
    """
    source = _other_project(project, other)
    with source.session() as conn:
        incoming = _read_copy(conn)
    codes = _current_codes(project)
    with project.session() as conn, transaction(conn):
        here = {
            r[0]: (r[1], r[2]) for r in conn.execute("SELECT content_hash, id, name FROM documents")
        }
        names = {r[0] for r in conn.execute("SELECT name FROM documents")}
        doc_map = {d: here[h][0] for d, (_, h) in incoming.documents.items() if h in here}
        tally = _Tally()
        coding_map = _merge_codings(conn, incoming, doc_map, codes, tally)
        _merge_memos(conn, incoming, doc_map, coding_map, codes, tally)
        _merge_done(conn, incoming, doc_map, tally)
        report = _report(project, source, incoming, doc_map, names, tally)
        if report.changed:
            payload = {"source": str(source.root), "added": report.added, **tally.log}
            record(
                conn,
                coder=actor,
                command="project merge",
                action="merge",
                target=str(source.root),
                payload=payload,
            )
    _save_report(report)
    return report


def _other_project(project: Project, other: Path) -> Project:
    if other.suffix.lower() == ".qdpx":
        raise ProjectError(
            f"{other}: merging from a .qdpx file is not supported yet; use "
            f"`qualmine project import {other}` (it adds only what is new), or merge the "
            "project folder it came from"
        )
    if not other.is_dir():
        raise ProjectError(f"{other}: not a folder; give the other copy's project folder")
    source = find_project(explicit=other)
    if source.root == project.root:
        raise ProjectError(f"{other}: this is the project itself; give another copy")
    return source


def _read_copy(conn: sqlite3.Connection) -> _Copy:
    documents = {
        r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, name, content_hash FROM documents")
    }
    memos = conn.execute("SELECT kind, target, coder, text, created FROM memos ORDER BY id")
    done = conn.execute("SELECT document_id, coder, marked FROM done ORDER BY document_id, coder")
    return _Copy(documents, tuple(read_codings(conn)), tuple(memos), tuple(done))


def _current_codes(project: Project) -> set[str]:
    """This project's code ids, after loading the codebook file if qualmine.toml names one."""
    if project.config.codebook and project.path(project.config.codebook).is_file():
        return {c.id for c in sync_codebook(project).codebook.codes}
    with project.session() as conn:
        return set(project_codes(conn))


def _merge_codings(
    conn: sqlite3.Connection,
    incoming: _Copy,
    doc_map: dict[int, int],
    codes: set[str],
    tally: _Tally,
) -> dict[int, int]:
    """Add missing codings; returns their coding id -> the id of the same coding here."""
    mapped: dict[int, int] = {}
    for theirs in incoming.codings:
        if theirs.document_id not in doc_map:
            tally.lost(theirs.document_id, 0)
            continue
        if theirs.code not in codes:
            tally.codes[theirs.code] = tally.codes.get(theirs.code, 0) + 1
            continue
        moved = replace(theirs, id=0, document_id=doc_map[theirs.document_id])
        mine = _same_coding(conn, moved)
        if mine is None:
            mapped[theirs.id] = add_codings(conn, [moved])[0]
            tally.added["codings"] += 1
            tally.log["codings"].append(mapped[theirs.id])
            continue
        mapped[theirs.id] = mine.id
        _settle(conn, mine, moved, incoming.documents[theirs.document_id][0], tally)
    return mapped


def _same_coding(conn: sqlite3.Connection, coding: Coding) -> Coding | None:
    row = conn.execute(
        'SELECT id FROM codings WHERE document_id=? AND start=? AND "end"=? AND code=? AND coder=?',
        (coding.document_id, coding.start, coding.end, coding.code, coding.coder),
    ).fetchone()
    return coding_by_id(conn, row[0]) if row else None


def _values(c: Coding) -> tuple[str, str | None, str, str]:
    return (c.status, c.reviewer, c.pending, c.memo)


def _settle(
    conn: sqlite3.Connection, mine: Coding, theirs: Coding, doc: str, tally: _Tally
) -> None:
    """The same coding is in both copies: already here, a decision to take, or a conflict."""
    if _values(mine) == _values(theirs) or (
        theirs.status == "suggested" and theirs.reviewer is None and mine.status != "orphaned"
    ):
        tally.already["codings"] += 1
        return
    undecided = mine.status == "suggested" and mine.reviewer is None
    if undecided and theirs.status in ("accepted", "rejected") and theirs.reviewer:
        decided = replace(
            mine,
            status=theirs.status,
            reviewer=theirs.reviewer,
            pending=theirs.pending,
            memo=mine.memo or theirs.memo,
        )
        update_coding(conn, decided)
        tally.added["decisions"] += 1
        tally.log["decided"].append({"before": asdict(mine)})
        return
    tally.already["codings"] += 1
    tally.conflicts.append(
        Conflict(doc, mine.start, mine.end, mine.code, mine.coder, _show(mine), _show(theirs))
    )


def _show(c: Coding) -> str:
    parts = [c.status]
    if c.reviewer:
        parts.append(f"reviewer {c.reviewer}")
    if c.pending:
        parts.append(f"pending: {c.pending}")
    if c.memo:
        parts.append(f"memo: {c.memo[:60]}")
    return "; ".join(parts)


def _merge_memos(
    conn: sqlite3.Connection,
    incoming: _Copy,
    doc_map: dict[int, int],
    coding_map: dict[int, int],
    codes: set[str],
    tally: _Tally,
) -> None:
    their_ids = {name: d for d, (name, _) in incoming.documents.items()}
    here_names = dict(conn.execute("SELECT id, name FROM documents").fetchall())
    for kind, target, coder, text, created in incoming.memos:
        mapped: str | None = target
        if kind == "document":
            d = their_ids.get(target)
            mapped = here_names[doc_map[d]] if d in doc_map else None
            if d is not None and mapped is None:
                tally.lost(d, 1)
                continue
        elif kind == "code" and target not in codes:
            tally.codes[target] = tally.codes.get(target, 0) + 1
            continue
        elif kind == "coding":
            found = coding_map.get(int(target)) if target.isdigit() else None
            mapped = str(found) if found is not None else None
        if mapped is None:
            tally.memos_unmatched += 1
            continue
        values = (kind, mapped, coder, text)
        if conn.execute(
            "SELECT 1 FROM memos WHERE kind=? AND target=? AND coder=? AND text=?", values
        ).fetchone():
            tally.already["memos"] += 1
            continue
        memo_id = add_memo(conn, *values)
        conn.execute("UPDATE memos SET created = ? WHERE id = ?", (created, memo_id))
        tally.added["memos"] += 1
        tally.log["memos"].append(memo_id)


def _merge_done(
    conn: sqlite3.Connection, incoming: _Copy, doc_map: dict[int, int], tally: _Tally
) -> None:
    for doc, coder, marked in incoming.done:
        if doc not in doc_map:
            tally.lost(doc, 2)
        elif mark_done(conn, doc_map[doc], coder, marked):
            tally.added["done_marks"] += 1
            tally.log["done"].append([doc_map[doc], coder])
        else:
            tally.already["done_marks"] += 1


def _report(
    project: Project,
    source: Project,
    incoming: _Copy,
    doc_map: dict[int, int],
    names_here: set[str],
    tally: _Tally,
) -> MergeReport:
    unmatched = []
    for d, (name, _) in sorted(incoming.documents.items(), key=lambda x: x[1][0]):
        if d in doc_map:
            continue
        reason = (
            f"its text differs from {name} here"
            if name in names_here
            else "no document with the same text here; import it first"
        )
        lost = tally.per_document.get(d, [0, 0, 0])
        unmatched.append(UnmatchedDocument(name, reason, *lost))
    return MergeReport(
        source=str(source.root),
        documents=len(doc_map),
        added=tally.added,
        already=tally.already,
        unmatched_documents=tuple(unmatched),
        unmatched_codes=dict(sorted(tally.codes.items())),
        unmatched_memos=tally.memos_unmatched,
        conflicts=tuple(tally.conflicts),
        report=project.root / MERGE_REPORT,
    )


def _save_report(report: MergeReport) -> None:
    data = {k: v for k, v in asdict(report).items() if k != "report"}
    report.report.parent.mkdir(parents=True, exist_ok=True)
    report.report.write_text(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
