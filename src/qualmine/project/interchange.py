"""REFI-QDA and codebook spreadsheets in and out of a project (the XML lives in refi/).

Exports read the project and write one file. Imports read and check the whole file, map
it onto the project, and only then write: the database in one transaction, the YAML
codebook (written or merged, comments kept), and the data-loss report beside the project.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from qualmine import __version__
from qualmine.codebook import codebook_to_dict, load_codebook, validate_text
from qualmine.codebook.edits import insert_code
from qualmine.codebook.files import encode_text, read_codebook_text, write_atomic
from qualmine.codebook.writer import code_to_dict, to_yaml
from qualmine.codebook.yamltext import LayoutError, parse_source
from qualmine.errors import CodebookError, InputFileError
from qualmine.models import Code, Codebook, Coding, ParsedDocument, Segment
from qualmine.parsing import READERS, ReadOptions, normalize_text, segment_turns
from qualmine.project.codebook_sync import store_codebook
from qualmine.project.config import CONFIG_NAME, Project, read_config
from qualmine.refi import (
    ArchiveLimits,
    DocumentData,
    ImportedProject,
    Loss,
    Memo,
    MergePlan,
    ProjectData,
    codebook_bytes,
    codebook_from_refi,
    plan_merge,
    qdpx_bytes,
    read_codebook_file,
    read_qdpx_project,
)
from qualmine.refi.codebook_convert import slug
from qualmine.refi.placement import assign_case, inferred_done, merged_losses, offset_mover
from qualmine.storage import transaction
from qualmine.storage.audit import now, record
from qualmine.storage.codings import (
    add_codings,
    add_memo,
    mark_done,
    read_codings,
    read_memos,
    reanchor,
)
from qualmine.storage.documents import (
    all_cases,
    all_documents,
    content_hash,
    document_segments,
    document_turns,
    insert_document,
    set_case_attributes,
)

ORIGIN = f"qualmine {__version__}"
REPORT_PATH = Path(".qualmine") / "last-import-report.json"


@dataclass(frozen=True, slots=True)
class CodebookImport:
    """What a codebook import wrote: the file, codes added, codes kept as they were."""

    path: Path
    codes: int
    added: tuple[str, ...]
    kept: tuple[str, ...]
    merged: bool
    losses: tuple[Loss, ...]


@dataclass(frozen=True, slots=True)
class ProjectExport:
    """What a project export wrote, and what other programs will not see."""

    path: Path
    documents: int
    codings: int
    codings_in_note: int
    memos: int
    cases: int


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


def export_codebook(path: Path, fmt: str) -> bytes:
    """A YAML codebook as ``yaml`` (normalized, nested), ``qdc``, ``csv`` or ``xlsx``."""
    book = load_codebook(path)
    if fmt == "yaml":
        return to_yaml(codebook_to_dict(book)).encode("utf-8")
    return codebook_bytes(book, fmt, ORIGIN)


def import_codebook(
    source: Path, target: Path, *, merge: bool = False, overwrite: bool = False
) -> CodebookImport:
    """Write a ``.qdc``, ``.csv`` or ``.xlsx`` codebook to ``target`` as YAML.

    With ``merge`` the codes not yet in ``target`` are added to it (matched by id, then by
    name), the file's other text and comments untouched.

    Raises:
        InputFileError: unreadable source, or ``target`` exists without merge or overwrite.
        CodebookError: the result does not validate.
    """
    refi_book, skipped = read_codebook_file(source)
    raw, _, losses = codebook_from_refi(refi_book, source.stem)
    if not raw.codes:
        raise InputFileError(source, "no codes found", "is it a codebook?")
    incoming = _validated(raw, str(source))
    if target.exists() and merge:
        text, book, plan = _merged_text(target, incoming)
        added = tuple(c.id for c in plan.added)
        if added:
            write_atomic(target, text)
        return CodebookImport(target, len(book.codes), added, plan.kept, True, skipped + losses)
    if target.exists() and not overwrite:
        raise InputFileError(
            target, "the codebook already exists", "pass --merge to add the new codes, or --replace"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, to_yaml(codebook_to_dict(incoming)).encode("utf-8"))
    ids = tuple(c.id for c in incoming.codes)
    return CodebookImport(target, len(ids), ids, (), False, skipped + losses)


def _validated(book: Codebook, where: str) -> Codebook:
    """An imported codebook through the YAML validator; problems name the code, not a line
    (the YAML is made here, so its line numbers would point nowhere)."""
    report = validate_text(to_yaml(codebook_to_dict(book)), source=where)
    if report.codebook is None:
        problems = [re.sub(r"^.*?:\d+: ", f"{where}: ", e) for e in report.errors]
        raise CodebookError(where, problems)
    return report.codebook


def _merged_text(target: Path, incoming: Codebook) -> tuple[bytes, Codebook, MergePlan]:
    """The target's text with the new codes inserted under their parents, and the result."""
    plan = plan_merge(load_codebook(target), incoming)
    text, text_format = read_codebook_text(target)
    new = {c.id for c in plan.added}
    try:
        for code in (c for c in plan.added if c.parent not in new):
            block = to_yaml([_nested(code, plan.added)])
            text = insert_code(parse_source(text), code.parent, block, 0)
    except LayoutError as exc:
        raise CodebookError(target, [f"{target}:{exc.line}: {exc.message}"]) from None
    report = validate_text(text, source=str(target))
    if report.codebook is None:
        raise CodebookError(target, list(report.errors))
    return encode_text(text, text_format), report.codebook, plan


def _nested(code: Code, codes: tuple[Code, ...]) -> dict[str, Any]:
    values = code_to_dict(code)
    children = [_nested(c, codes) for c in codes if c.parent == code.id]
    return {**values, "children": children} if children else values


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
    incoming = _validated(data.codebook, f"{path.name} (imported)")
    if not path.exists():
        book = _validated(incoming, str(path))
        text = to_yaml(codebook_to_dict(incoming)).encode("utf-8")
        return book, path, text, len(book.codes), {c.id: c.id for c in book.codes}
    text, book, plan = _merged_text(path, incoming)
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
