"""Blind copies: a project folder for one coder, holding only that coder's work.

A blind copy (`clone_project`) is a new project folder holding the documents, cases and
codebook, and only one coder's codings, memos and done-marks: no other coder's work, and
no auto-coder suggestions unless asked for.
"""

from __future__ import annotations

import glob
import json
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualmine.errors import ProjectError
from qualmine.project.config import CONFIG_NAME, Project, init_project
from qualmine.project.identity import resolve_coder
from qualmine.project.team.config_keys import set_project_keys
from qualmine.storage import transaction
from qualmine.storage.audit import record

_SHARED_TABLES = ("documents", "cases", "turns", "segments", "codebooks", "codes")
_SIDECAR_KEYS = ("codebook", "participants", "findings")


@dataclass(frozen=True, slots=True)
class CloneReport:
    """What a blind copy holds.

    Attributes:
        folder: the new project folder.
        coder: the coder the copy is for.
        documents: documents copied.
        codings: the coder's own codings copied.
        suggestions: auto-coder codings copied (only with suggestions asked for).
        memos: the coder's memos copied.
        done_marks: done-marks copied.
        left_out: codings of other coders (and auto-coders, unless asked for) left out.
        files: files copied beside the project file, relative to the folder.
    """

    folder: Path
    coder: str
    documents: int
    codings: int
    suggestions: int
    memos: int
    done_marks: int
    left_out: int
    files: tuple[str, ...]


def clone_project(
    project: Project,
    folder: Path,
    *,
    coder: str,
    with_suggestions: bool = False,
    actor: str = "unknown",
) -> CloneReport:
    """Make a blind copy of the project in ``folder`` for ``coder`` (see the module docstring).

    Raises:
        ProjectError: ``folder`` exists and is not empty, or lies inside the project.
        QualmineError: ``coder`` is not a valid person's name.
    """
    coder = resolve_coder(coder)
    folder = folder.resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ProjectError(f"{folder}: already exists and is not empty; choose a new folder")
    if folder == project.root or project.root in folder.parents:
        raise ProjectError(f"{folder}: inside the project {project.root}; put the copy elsewhere")
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        files, keys = _copy_files(project, folder)
        keys.update({"report_coder": json.dumps(coder), "codings": "[]"})
        config = (project.root / CONFIG_NAME).read_text(encoding="utf-8")
        (folder / CONFIG_NAME).write_text(set_project_keys(config, keys), encoding="utf-8")
        copy, _ = init_project(folder)
        counts = _copy_database(project, copy, coder, with_suggestions, actor)
    except BaseException:
        if created:
            shutil.rmtree(folder)
        else:
            _empty(folder)
        raise
    return CloneReport(
        folder,
        coder,
        counts["documents"],
        counts["codings"],
        counts["suggestions"],
        counts["memos"],
        counts["done_marks"],
        counts["left_out"],
        tuple(files),
    )


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()


def _copy_files(project: Project, folder: Path) -> tuple[list[str], dict[str, str]]:
    """Copy the codebook, participants, findings and transcript files; keys to rewrite."""
    copied: list[str] = []
    keys: dict[str, str] = {}
    config = project.config
    for key in _SIDECAR_KEYS:
        value = getattr(config, key)
        source = project.path(value) if value else None
        if source is None or not source.is_file():
            continue
        relative = _inside(project.root, source) or Path(source.name)
        _copy(source, folder / relative)
        copied.append(relative.as_posix())
        if relative.as_posix() != value:
            keys[key] = json.dumps(relative.as_posix())
    skip = project.sidecar_files()
    for path in _transcript_files(project):
        inside = _inside(project.root, path)
        if inside is not None and path.resolve() not in skip and inside.as_posix() not in copied:
            _copy(path, folder / inside)
            copied.append(inside.as_posix())
    return sorted(copied), keys


def _transcript_files(project: Project) -> list[Path]:
    found: list[Path] = []
    for pattern in project.config.transcripts or ("transcripts",):
        for match in sorted(glob.glob(str(project.root / pattern), recursive=True)):
            path = Path(match)
            if path.is_dir():
                found.extend(
                    p
                    for p in sorted(path.rglob("*"))
                    if p.is_file() and not any(s.startswith(".") for s in p.relative_to(path).parts)
                )
            elif path.is_file():
                found.append(path)
    return found


def _inside(root: Path, path: Path) -> Path | None:
    try:
        relative = path.resolve().relative_to(root)
    except ValueError:
        return None
    return None if relative.parts[:1] == (".qualmine",) else relative


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def _copy_database(
    project: Project, copy: Project, coder: str, with_suggestions: bool, actor: str
) -> dict[str, int]:
    own = "coder = ?"
    auto = "(coder LIKE 'auto:%' AND (reviewer IS NULL OR reviewer = ?))"
    wanted = f"{own} OR {auto}" if with_suggestions else own
    params = (coder, coder) if with_suggestions else (coder,)
    done_wanted = "coder = ? OR coder LIKE 'auto:%'" if with_suggestions else "coder = ?"
    with project.session() as source, copy.session() as target, transaction(target):
        for table in _SHARED_TABLES:
            _copy_rows(source, target, table)
        _copy_rows(source, target, "codings", wanted, params)
        memos = _copy_rows(
            source,
            target,
            "memos",
            "coder = ? AND (kind != 'coding' OR target IN (SELECT CAST(id AS TEXT) FROM codings "
            f"WHERE {wanted}))",
            (coder, *params),
        )
        done = _copy_rows(source, target, "done", done_wanted, (coder,))
        total = source.execute("SELECT COUNT(*) FROM codings").fetchone()[0]
        counts = {
            "documents": target.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
            "codings": target.execute(
                "SELECT COUNT(*) FROM codings WHERE coder = ?", (coder,)
            ).fetchone()[0],
            "suggestions": target.execute(
                "SELECT COUNT(*) FROM codings WHERE coder != ?", (coder,)
            ).fetchone()[0],
            "memos": memos,
            "done_marks": done,
        }
        counts["left_out"] = total - counts["codings"] - counts["suggestions"]
        record(
            target,
            coder=actor,
            command="project clone",
            action="clone",
            target=str(project.root),
            payload={"for": coder, "with_suggestions": with_suggestions, **counts},
        )
    return counts


def _copy_rows(
    source: sqlite3.Connection,
    target: sqlite3.Connection,
    table: str,
    where: str = "",
    params: Sequence[Any] = (),
) -> int:
    """Copy rows (ids kept) of the columns both files have; returns how many."""
    mine = [r[1] for r in target.execute(f"PRAGMA table_info({table})")]
    theirs = {r[1] for r in source.execute(f"PRAGMA table_info({table})")}
    columns = ", ".join(f'"{c}"' for c in mine if c in theirs)
    sql = f"SELECT {columns} FROM {table}" + (f" WHERE {where}" if where else "")
    rows = source.execute(sql, list(params)).fetchall()
    marks = ",".join("?" * len(columns.split(", ")))
    target.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
    return len(rows)
