"""The project's copy of its codebook: a snapshot per version, codes, orphaned codings.

The YAML file stays the source of truth. Loading it stores a snapshot of the version (once),
replaces the project's code list, and marks `orphaned` every coding whose code is gone;
such codings are kept and reported, and come back with their old status if the code does.

`sync_unless_unchanged` skips all of that (and the validation, which loads spaCy to check
token patterns) when the file's bytes, qualmine's version and the project's stored code list
are what they were after the last sync and no coding waits to be orphaned or restored; the
codebook is then read back from the project's snapshot.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from qualmine.codebook import codebook_from_dict, codebook_to_dict, content_hash, load_codebook
from qualmine.errors import ProjectError
from qualmine.fingerprints import digest, package_versions
from qualmine.models import Codebook
from qualmine.project.config import Project
from qualmine.storage import transaction
from qualmine.storage.audit import now, record
from qualmine.storage.migrations import schema_version

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


def sync_unless_unchanged(
    project: Project, recorded: str, *, actor: str = "unknown"
) -> tuple[CodebookLoad, str, bool]:
    """Sync the codebook qualmine.toml names unless nothing changed since the last sync.

    Args:
        project: the project.
        recorded: the fingerprint returned after the last sync ("" for none).
        actor: who is acting, for the audit log.

    Returns:
        What the sync did (or what the project holds, when skipped), the fingerprint to
        record, and whether the sync was skipped.
    """
    path = project_codebook_path(project)
    try:
        file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        file_hash = ""  # the sync says what is wrong with the file
    if file_hash and recorded:
        with project.session() as conn:
            kept = _stored_load(conn, path) if _in_sync(conn) else None
            if kept is not None and _fingerprint(conn, file_hash) == recorded:
                return kept, recorded, True
    load = sync_codebook(project, path, actor=actor)
    with project.session() as conn:
        # The hash read before the sync: if the file changed meanwhile, the next run syncs.
        return load, _fingerprint(conn, file_hash), False


def _fingerprint(conn: sqlite3.Connection, file_hash: str) -> str:
    return digest(
        {
            "file": file_hash,
            "schema": schema_version(),
            "versions": package_versions(("qualmine", "pyyaml", "spacy")),
            "codes": codes_digest(conn),
        }
    )


def codes_digest(conn: sqlite3.Connection) -> str:
    """A hash of the project's code list as stored: ids, names, parents, order, version."""
    rows = conn.execute(
        "SELECT id, name, parent, position, codebook_version, data FROM codes ORDER BY position, id"
    ).fetchall()
    return digest(rows)


def _in_sync(conn: sqlite3.Connection) -> bool:
    """True when no coding waits to be orphaned or restored against the stored codes."""
    waiting = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM codings WHERE status != 'orphaned' "
        "AND code NOT IN (SELECT id FROM codes)) "
        "OR EXISTS (SELECT 1 FROM codings WHERE status = 'orphaned' "
        "AND substr(pending, 1, ?) = ? AND code IN (SELECT id FROM codes))",
        (len(_ORPHAN_PREFIX), _ORPHAN_PREFIX),
    ).fetchone()[0]
    return not waiting


def _stored_load(conn: sqlite3.Connection, path: Path) -> CodebookLoad | None:
    """The codebook as last synced, from its snapshot; None unless it gives back its version."""
    row = conn.execute(
        "SELECT b.version, b.content FROM codebooks b "
        "JOIN (SELECT codebook_version FROM codes LIMIT 1) c ON c.codebook_version = b.version"
    ).fetchone()
    if row is None:
        return None
    version, content = row
    stored_hash = version.partition("-")[2]
    try:
        book = codebook_from_dict(json.loads(content), content_hash=stored_hash, path=str(path))
    except (ValueError, KeyError, TypeError):
        return None
    same = (
        book.version == version
        and content_hash(book.format_version, book.codes) == stored_hash
        and [c.id for c in book.codes] == project_codes(conn)
    )
    return CodebookLoad(book, False, (), ()) if same else None


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
