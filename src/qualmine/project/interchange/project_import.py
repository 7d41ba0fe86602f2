"""A REFI-QDA ``.qdpx`` archive into a project, with its data-loss report.

The whole archive is read, checked and mapped onto the project before anything is
written; then the database in one transaction, the YAML codebook (written or merged,
comments kept), and the report beside the project.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from qualmine.codebook import codebook_to_dict
from qualmine.codebook.files import write_atomic
from qualmine.codebook.writer import to_yaml
from qualmine.errors import InputFileError
from qualmine.models import Codebook, Coding, ParsedDocument, Segment
from qualmine.parsing import READERS, ReadOptions, normalize_text, segment_turns
from qualmine.project.codebook_sync import store_codebook
from qualmine.project.config import CONFIG_NAME, Project, read_config
from qualmine.project.interchange.codebooks import merged_codebook_text, validated_codebook
from qualmine.refi import (
    ArchiveLimits,
    DocumentData,
    ImportedProject,
    Loss,
    Memo,
    ProjectData,
    read_qdpx_project,
)
from qualmine.refi.codebook_convert import slug
from qualmine.refi.placement import assign_case, inferred_done, merged_losses, offset_mover
from qualmine.storage import transaction
from qualmine.storage.audit import now, record
from qualmine.storage.codings import add_codings, add_memo, mark_done, reanchor
from qualmine.storage.documents import (
    all_documents,
    content_hash,
    insert_document,
    set_case_attributes,
)

REPORT_PATH = Path(".qualmine") / "last-import-report.json"


@dataclass(frozen=True, slots=True)
class ProjectImport:
    """What a project import did; ``losses`` is the data-loss report."""

    source: str
    from_qualmine: bool
    documents: tuple[str, ...]
    reused: tuple[str, ...]
    codings: int
    memos: int
    cases: int
    done_marks: int
    done_inferred: bool
    codebook: str
    codes_added: int
    losses: tuple[Loss, ...]
    report: Path


@dataclass(frozen=True, slots=True)
class _Document:
    """A document ready to store: parsed, segmented, and where an offset moves to."""

    parsed: ParsedDocument
    segments: tuple[Segment, ...]
    existing: int | None
    moves: Callable[[int], int] | None


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything an import writes, worked out before anything is written."""

    documents: dict[int, _Document]
    codings: tuple[tuple[int, Coding], ...]
    memos: tuple[Memo, ...]
    done: tuple[tuple[int, str, str], ...]
    cases: dict[str, dict[str, str]]
    codebook: Codebook | None
    codebook_path: Path | None
    codebook_text: bytes | None
    codes_added: int
    losses: tuple[Loss, ...]


def import_project(
    project: Project, source: Path, *, actor: str = "unknown", limits: ArchiveLimits | None = None
) -> ProjectImport:
    """Import a ``.qdpx`` archive into the project, saving the data-loss report.

    Raises:
        InputFileError: the archive is unsafe, damaged, or clashes with the project
            (a document of the same name with another text); nothing has been written.
        CodebookError: the codebook it holds does not validate.
    """
    imported = read_qdpx_project(source, limits)
    with project.session() as conn:
        plan = _plan(project, conn, imported, source)
        with transaction(conn):
            counts = _apply(conn, plan)
            _write_codebook(project, plan)
            record(
                conn,
                coder=actor,
                command="project import",
                action="import",
                target=source.name,
                payload=counts,
            )
    outcome = ProjectImport(
        source=source.name,
        from_qualmine=imported.from_qualmine,
        documents=tuple(d.parsed.name for d in plan.documents.values() if d.existing is None),
        reused=tuple(d.parsed.name for d in plan.documents.values() if d.existing is not None),
        codings=counts["codings"],
        memos=counts["memos"],
        cases=len(plan.cases),
        done_marks=counts["done"],
        done_inferred=imported.data.done is None,
        codebook=str(plan.codebook_path.relative_to(project.root)) if plan.codebook_path else "",
        codes_added=plan.codes_added,
        losses=plan.losses,
        report=project.root / REPORT_PATH,
    )
    _save_report(outcome)
    return outcome


def _plan(
    project: Project, conn: sqlite3.Connection, imported: ImportedProject, source: Path
) -> _Plan:
    data = imported.data
    losses = list(imported.losses)
    stored = {d.name: d for d in all_documents(conn)}
    documents: dict[int, _Document] = {}
    for index, document in enumerate(data.documents):
        made = _document(project, document, source.name, losses)
        if made is None:
            continue
        old = stored.get(made.parsed.name)
        if old is not None and old.content_hash != content_hash(made.parsed.text):
            raise InputFileError(
                source,
                f"document {made.parsed.name!r} is already in the project with another text",
                "import into a new project (qualmine init) or rename that document",
            )
        documents[index] = replace(made, existing=old.id if old else None)
    book, path, text, added, ids = _plan_codebook(project, data)
    codings = _codings(data, documents, ids, losses)
    memos = tuple(
        replace(m, target=ids.get(m.target, m.target)) if m.kind == "code" else m
        for m in data.memos
    )
    done = data.done if data.done is not None else inferred_done(codings)
    lost = merged_losses(losses)
    return _Plan(documents, codings, memos, done, data.cases, book, path, text, added, lost)


def _document(
    project: Project, document: DocumentData, source: str, losses: list[Loss]
) -> _Document | None:
    if document.turns is not None and document.segments is not None:
        parsed = ParsedDocument(
            document.name,
            document.text,
            document.turns,
            document.metadata,
            {},
            document.encoding,
            source,
        )
        return _Document(parsed, document.segments, None, None)
    normalized = normalize_text(document.text)
    roles = {**project.config.roles, **project.config.document_roles.get(document.name, {})}
    options = ReadOptions(max_chars=project.config.max_chars, roles=roles)
    try:
        parsed = READERS[".txt"](Path("source.txt"), normalized.encode("utf-8"), options)[0]
    except InputFileError as exc:
        losses.append(Loss("Text source", 1, f"not readable as a transcript ({exc.problem})"))
        return None
    turns = assign_case(parsed.turns, document.case)
    parsed = replace(
        parsed,
        name=document.name,
        source=source,
        turns=turns,
        metadata={**parsed.metadata, **document.metadata},
    )
    segments = tuple(segment_turns(parsed.text, parsed.turns))
    shift = len(normalized) - len(parsed.text)
    return _Document(
        parsed, segments, None, offset_mover(document.text, normalized, shift, normalize_text)
    )


def _codings(
    data: ProjectData, documents: dict[int, _Document], ids: dict[str, str], losses: list[Loss]
) -> tuple[tuple[int, Coding], ...]:
    out = []
    for coding in data.codings:
        document = documents.get(coding.document_id)
        if document is None:
            losses.append(Loss("Coding", 1, "its source could not be read as a transcript"))
            continue
        moved = _moved(coding, document, data.documents[coding.document_id].text)
        if moved is None:
            losses.append(
                Loss("Coding", 1, "its text was not found once line ends were normalized")
            )
            continue
        out.append((coding.document_id, replace(moved, code=ids.get(moved.code, moved.code))))
    return tuple(out)


def _moved(coding: Coding, document: _Document, raw: str) -> Coding | None:
    if document.moves is None:
        return coding
    text = document.parsed.text
    quote = normalize_text(raw[coding.start : coding.end])
    start, end = document.moves(coding.start), document.moves(coding.end)
    if 0 <= start < end <= len(text) and text[start:end] == quote:
        return replace(coding, start=start, end=end, quote=quote)
    guess = replace(coding, start=max(start, 0), end=max(end, 0), quote=quote)
    found = reanchor(text, guess)
    return None if found.status == "orphaned" or not quote.strip() else found


def _plan_codebook(
    project: Project, data: ProjectData
) -> tuple[Codebook | None, Path | None, bytes | None, int, dict[str, str]]:
    """The codebook after the import, its file, the file's new bytes, codes added, id map."""
    if data.codebook is None:
        return None, None, None, 0, {}
    named = project.config.codebook
    stem = slug(data.codebook.name) or "codebook"
    path = project.path(named) if named else _free_path(project.root / "codebooks" / f"{stem}.yaml")
    incoming = validated_codebook(data.codebook, f"{path.name} (imported)")
    if not path.exists():
        book = validated_codebook(incoming, str(path))
        text = to_yaml(codebook_to_dict(incoming)).encode("utf-8")
        return book, path, text, len(book.codes), {c.id: c.id for c in book.codes}
    text, book, plan = merged_codebook_text(path, incoming)
    return book, path, text if plan.added else None, len(plan.added), plan.ids


def _free_path(path: Path) -> Path:
    number = 1
    candidate = path
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}_{number}{path.suffix}")
    return candidate


def _apply(conn: sqlite3.Connection, plan: _Plan) -> dict[str, int]:
    doc_ids: dict[int, int] = {}
    for index, document in plan.documents.items():
        doc_ids[index] = document.existing or insert_document(
            conn, document.parsed, document.segments, imported=now()
        )
    stored = [_store_coding(conn, replace(c, document_id=doc_ids[i])) for i, c in plan.codings]
    coding_ids = [coding_id for coding_id, _ in stored]
    seen: Counter[tuple[str, ...]] = Counter()
    memos = sum(_store_memo(conn, memo, coding_ids, seen) for memo in plan.memos)
    done = sum(
        mark_done(conn, doc_ids[i], coder, when) for i, coder, when in plan.done if i in doc_ids
    )
    for case, attributes in sorted(plan.cases.items()):
        set_case_attributes(conn, case, attributes)
    if plan.codebook is not None:
        store_codebook(conn, plan.codebook)
    return {
        "documents": len(doc_ids),
        "codings": sum(new for _, new in stored),
        "memos": memos,
        "done": done,
    }


def _store_coding(conn: sqlite3.Connection, coding: Coding) -> tuple[int, bool]:
    """The coding's id, and whether it is new (the same coding may be there already)."""
    added = add_codings(conn, [coding])
    if added:
        return added[0], True
    row = conn.execute(
        'SELECT id FROM codings WHERE document_id=? AND start=? AND "end"=? AND code=? AND coder=?',
        (coding.document_id, coding.start, coding.end, coding.code, coding.coder),
    ).fetchone()
    return int(row[0]), False


def _store_memo(
    conn: sqlite3.Connection, memo: Memo, coding_ids: list[int], seen: Counter[tuple[str, ...]]
) -> bool:
    """Store a memo with its time, unless the project holds it already (a second import).

    Identical memos are counted, so that two alike in the file stay two.
    """
    target = memo.target
    if memo.kind == "coding" and target.isdigit() and int(target) < len(coding_ids):
        target = str(coding_ids[int(target)])
    values = (memo.kind, target, memo.coder, memo.text)
    seen[values] += 1
    held = conn.execute(
        "SELECT COUNT(*) FROM memos WHERE kind=? AND target=? AND coder=? AND text=?", values
    ).fetchone()[0]
    if held >= seen[values]:
        return False
    memo_id = add_memo(conn, *values)
    if memo.created:
        conn.execute("UPDATE memos SET created = ? WHERE id = ?", (memo.created, memo_id))
    return True


def _write_codebook(project: Project, plan: _Plan) -> None:
    if plan.codebook_path is None or plan.codebook_text is None:
        return
    plan.codebook_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(plan.codebook_path, plan.codebook_text)
    if not project.config.codebook:
        _name_codebook(project, plan.codebook_path.relative_to(project.root).as_posix())


def _name_codebook(project: Project, relative: str) -> None:
    """Add ``codebook = "..."`` under [project] in qualmine.toml, the rest untouched."""
    path = project.root / CONFIG_NAME
    text = path.read_text(encoding="utf-8")
    line = f"codebook = {json.dumps(relative)}\n"
    match = re.search(r"^\[project\][^\n]*\n", text, flags=re.MULTILINE)
    text = (
        text[: match.end()] + line + text[match.end() :] if match else text + f"\n[project]\n{line}"
    )
    write_atomic(path, text.encode("utf-8"))
    read_config(path)


def _save_report(outcome: ProjectImport) -> None:
    data = {k: v for k, v in asdict(outcome).items() if k != "report"}
    data["losses"] = [asdict(loss) for loss in outcome.losses]
    outcome.report.write_text(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
