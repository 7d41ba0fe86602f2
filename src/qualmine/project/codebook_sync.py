"""The project's copy of its codebook: a snapshot per version, codes, orphaned codings.

The YAML file stays the source of truth. Loading it stores a snapshot of the version (once),
replaces the project's code list, and marks `orphaned` every coding whose code is gone;
such codings are kept and reported, and come back with their old status if the code does.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from qualmine.codebook import codebook_to_dict, load_codebook
from qualmine.errors import ProjectError
from qualmine.models import Codebook
from qualmine.project.config import Project
from qualmine.storage import transaction
from qualmine.storage.audit import now, record

_ORPHAN_PREFIX = "code removed from the codebook; was "


@dataclass(frozen=True, slots=True)
class CodebookLoad:
    """What loading a codebook into a project did."""

    codebook: Codebook
    new_version: bool
    orphaned: tuple[int, ...]
    restored: tuple[int, ...]


def project_codebook_path(project: Project, given: Path | None = None) -> Path:
    """The codebook file given, or the one qualmine.toml names.

    Raises:
        ProjectError: neither is set.
    """
    if given is not None:
        return given
    if not project.config.codebook:
        raise ProjectError(
            f'{project.root / "qualmine.toml"}: no codebook set; add codebook = "FILE.yaml" '
            "under [project] or pass the file"
        )
    return project.path(project.config.codebook)


def sync_codebook(
    project: Project, path: Path | None = None, *, actor: str = "unknown"
) -> CodebookLoad:
    """Load the codebook file into the project (see the module docstring)."""
    codebook = load_codebook(project_codebook_path(project, path))
    with project.session() as conn, transaction(conn):
        new = store_codebook(conn, codebook)
        orphaned, restored = _orphan_missing(conn, {c.id for c in codebook.codes})
        if new or orphaned or restored:
            record(
                conn,
                coder=actor,
                command="codebook load",
                action="load",
                target=codebook.version,
                payload={"orphaned": orphaned, "restored": restored},
            )
    return CodebookLoad(codebook, new, tuple(orphaned), tuple(restored))


def store_codebook(conn: sqlite3.Connection, codebook: Codebook) -> bool:
    """Snapshot this version (if new) and make its codes the project's; True if new."""
    exists = conn.execute(
        "SELECT 1 FROM codebooks WHERE version = ?", (codebook.version,)
    ).fetchone()
    if not exists:
        content = json.dumps(codebook_to_dict(codebook), sort_keys=True, ensure_ascii=False)
        conn.execute(
            "INSERT INTO codebooks (version, name, path, content, loaded) VALUES (?,?,?,?,?)",
            (codebook.version, codebook.name, Path(codebook.path).name, content, now()),
        )
    conn.execute("DELETE FROM codes")
    conn.executemany(
        "INSERT INTO codes (id, name, parent, position, codebook_version, data) "
        "VALUES (?,?,?,?,?,?)",
        [
            (c.id, c.name, c.parent, i, codebook.version, json.dumps({"definition": c.definition}))
            for i, c in enumerate(codebook.codes)
        ],
    )
    return not exists


def _orphan_missing(conn: sqlite3.Connection, known: set[str]) -> tuple[list[int], list[int]]:
    orphaned, restored = [], []
    rows = conn.execute("SELECT id, code, status, pending FROM codings").fetchall()
    for coding_id, code, status, pending in rows:
        if code not in known and status != "orphaned":
            conn.execute(
                "UPDATE codings SET status='orphaned', pending=? WHERE id=?",
                (_ORPHAN_PREFIX + status, coding_id),
            )
            orphaned.append(coding_id)
        elif code in known and status == "orphaned" and pending.startswith(_ORPHAN_PREFIX):
            conn.execute(
                "UPDATE codings SET status=?, pending='' WHERE id=?",
                (pending[len(_ORPHAN_PREFIX) :], coding_id),
            )
            restored.append(coding_id)
    return orphaned, restored


def project_codes(conn: sqlite3.Connection) -> list[str]:
    """The ids of the codes the project currently knows, in codebook order."""
    return [r[0] for r in conn.execute("SELECT id FROM codes ORDER BY position")]
