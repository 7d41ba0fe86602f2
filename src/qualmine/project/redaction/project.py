"""Redacting a project, reversing a redaction from its key file, and vacuuming the project
file afterwards.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualmine.errors import ProjectError, QualmineError
from qualmine.project.config import Project
from qualmine.project.redaction.edits import Edit, Redactor
from qualmine.project.redaction.keys import (
    KEY_FORMAT,
    KEY_VERSION,
    check_key_path,
    read_key,
    write_key,
)
from qualmine.project.redaction.names import Registry
from qualmine.project.redaction.people import build_registry
from qualmine.project.redaction.rewriting import (
    Redacting,
    Restoring,
    Rewriter,
    Triggers,
    rewrite_database,
)
from qualmine.storage import transaction
from qualmine.storage.audit import now, record

COMMAND = "redact"


@dataclass(frozen=True, slots=True)
class RedactionReport:
    """What a redaction (or its reversal) did.

    Attributes:
        key_file: the key file written (or read).
        counts: entities by kind (participant, person, org, email, phone, url).
        replacements: how many spans were replaced (or restored).
        documents: documents whose text changed.
        originals_on_disk: files in the project folder that still hold an original name.
        approximate: fields restored by pseudonym (not by place) because they changed since.
    """

    key_file: Path
    counts: dict[str, int]
    replacements: int
    documents: int
    originals_on_disk: tuple[str, ...] = ()
    approximate: int = 0


def redact_project(
    project: Project,
    key_file: Path,
    *,
    names: Sequence[str] = (),
    orgs: Sequence[str] = (),
    actor: str = "unknown",
    ner: bool = True,
) -> RedactionReport:
    """Pseudonymise the project (see the package docstring) and write the key file."""
    key_path = check_key_path(project, key_file)
    if key_path.exists():
        raise ProjectError(
            f"{key_file}: a key file is already there; give a new path (a key is never overwritten)"
        )
    redaction_id = uuid.uuid4().hex
    with project.session() as conn:
        conn.execute("PRAGMA secure_delete = ON")
        try:
            with transaction(conn):
                registry = build_registry(conn, names, orgs, ner=ner)
                redactor = Redactor(registry)
                rewriter = Redacting(redactor)
                docs = _rewrite_all(conn, rewriter, lambda _id, text: redactor.edits(text))
                rewriter.name_rows(conn)
                conn.execute("DELETE FROM embeddings")
                record(
                    conn,
                    coder=actor,
                    command=COMMAND,
                    action="redact",
                    target="project",
                    payload={"redaction": redaction_id, "replacements": rewriter.replacements},
                )
                _check_integrity(conn)
                # The key is on disk before the change commits: no redaction without its key.
                write_key(key_path, _key(redaction_id, project, registry, rewriter))
        except BaseException:
            if key_path.exists() and _key_of(key_path) == redaction_id:
                key_path.unlink()
            raise
        _vacuum(conn)
    on_disk = originals_on_disk(project, registry)
    return RedactionReport(key_path, _counts(registry), rewriter.replacements, docs, on_disk)


def _key_of(path: Path) -> str:
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("redaction", ""))
    except (OSError, ValueError):
        return ""


def _rewrite_all(
    conn: sqlite3.Connection,
    rewriter: Rewriter,
    document_edits: Callable[[int, str], list[Edit] | None],
) -> int:
    conn.execute("PRAGMA defer_foreign_keys = ON")
    try:
        with Triggers(conn):
            docs = rewrite_database(conn, rewriter, document_edits)
    except sqlite3.IntegrityError as exc:
        raise QualmineError(
            f"the redaction would make two rows the same ({exc}); nothing was changed. "
            "Rename one of the documents or cases and run it again"
        ) from None
    return docs


def _check_integrity(conn: sqlite3.Connection) -> None:
    problems = conn.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise QualmineError(
            f"the redaction left {len(problems)} broken reference(s) (first: {problems[0]}); "
            "nothing was changed"
        )


def _vacuum(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as exc:
        raise ProjectError(
            f"the redaction is saved, but the file could not be vacuumed ({exc}): old pages "
            "may still hold names. Close other qualmine processes and run "
            "`qualmine redact --vacuum`"
        ) from None


def vacuum_project(project: Project) -> None:
    """Rewrite the project file so that no freed page keeps old text."""
    with project.session() as conn:
        conn.execute("PRAGMA secure_delete = ON")
        _vacuum(conn)


def _counts(registry: Registry) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entity in registry.entities:
        if entity.forms:
            counts[entity.kind] = counts.get(entity.kind, 0) + 1
    return counts


def _key(
    redaction_id: str, project: Project, registry: Registry, rewriter: Rewriter
) -> dict[str, Any]:
    used = [e for e in registry.entities if e.forms]
    return {
        "format": KEY_FORMAT,
        "version": KEY_VERSION,
        "redaction": redaction_id,
        "project": project.config.name,
        "created": now(),
        "pseudonyms": {e.pseudonym: e.original for e in used},
        "forms": {e.pseudonym: sorted(e.forms) for e in used},
        "fields": rewriter.fields,
    }


def originals_on_disk(project: Project, registry: Registry) -> tuple[str, ...]:
    """Files in the project folder (outside .qualmine) that still hold an original name."""
    names = [e.original for e in registry.entities if e.forms and len(e.original) >= 4]
    found = []
    for path in sorted(project.root.rglob("*")):
        if not path.is_file() or ".qualmine" in path.relative_to(project.root).parts:
            continue
        try:
            data = path.read_bytes()[:20_000_000].decode("utf-8", "ignore")
        except OSError:
            continue
        if any(n in data for n in names):
            found.append(str(path.relative_to(project.root)))
    return tuple(found)


def reverse_redaction(
    project: Project, key_file: Path, *, actor: str = "unknown"
) -> RedactionReport:
    """Put the original text back from a key file written by `redact_project`.

    Raises:
        ProjectError: the key belongs to another project or redaction, a later redaction
            must be reversed first, or a document's text changed since.
    """
    key = read_key(key_file)
    with project.session() as conn, transaction(conn):
        _check_latest(conn, key, key_file)
        rewriter = Restoring(conn, key)
        docs = _rewrite_all(conn, rewriter, rewriter.document_edits)
        record(
            conn,
            coder=actor,
            command=COMMAND,
            action="reverse",
            target="project",
            payload={"redaction": key["redaction"], "restored": rewriter.replacements},
        )
    return RedactionReport(
        key_file, {}, rewriter.replacements, docs, approximate=rewriter.approximate
    )


def _check_latest(conn: sqlite3.Connection, key: dict[str, Any], key_file: Path) -> None:
    in_force: list[str] = []
    for payload, action in conn.execute(
        "SELECT payload, action FROM audit WHERE command = ? ORDER BY id", (COMMAND,)
    ):
        rid = json.loads(payload).get("redaction")
        if action == "redact":
            in_force.append(rid)
        elif action == "reverse" and rid in in_force:
            in_force.remove(rid)
    if key.get("redaction") not in in_force:
        raise ProjectError(
            f"{key_file}: this key belongs to no redaction of this project still in force "
            "(another project's, or one already reversed); `qualmine log` lists redactions"
        )
    if in_force[-1] != key["redaction"]:
        raise ProjectError(
            f"{key_file}: a later redaction was made; reverse that one first with its own key"
        )
