"""Codebook revisions applied to the file and to the project's codings together.

The YAML file is rewritten by ``qualmine.codebook``; the codings follow in one database
transaction. If the database part fails, the file is put back as it was.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from qualmine.codebook import Revision, merge_codes, move_code, rename_code, split_code
from qualmine.errors import QualmineError
from qualmine.project.codebook_sync import project_codebook_path, store_codebook
from qualmine.project.config import Project
from qualmine.storage import transaction
from qualmine.storage.audit import record

ACTIONS = ("rename", "merge", "split", "move")


def _parse_new_codes(specs: list[str]) -> list[tuple[str, str, str]]:
    out = []
    for spec in specs:
        code_id, _, name = spec.partition("=")
        if not code_id.strip():
            raise QualmineError(f"--into {spec!r}: use ID=NAME")
        out.append((code_id.strip(), name.strip() or code_id.strip(), ""))
    return out


def _parse_assign(specs: list[str], choices: tuple[str, ...]) -> dict[int, str]:
    out: dict[int, str] = {}
    for spec in specs:
        coding, _, code = spec.partition("=")
        if not coding.strip().isdigit() or code.strip() not in choices:
            raise QualmineError(
                f"--assign {spec!r}: use CODING_ID=CODE with CODE one of {', '.join(choices)}"
            )
        out[int(coding)] = code.strip()
    return out


def _apply_file(
    path: Any, action: str, coder: str, reason: str, today: str, kwargs: dict[str, Any]
) -> Revision:
    common: dict[str, Any] = {"coder": coder, "reason": reason, "date": today}
    if action == "rename":
        return rename_code(
            path, kwargs["old_id"], kwargs["new_id"], new_name=kwargs.get("new_name"), **common
        )
    if action == "merge":
        return merge_codes(path, kwargs["source_ids"], kwargs["target_id"], **common)
    if action == "split":
        return split_code(path, kwargs["code_id"], _parse_new_codes(kwargs["new_codes"]), **common)
    if action == "move":
        return move_code(path, kwargs["code_id"], kwargs["new_parent"], **common)
    raise QualmineError(f"unknown revision {action!r}; use one of {', '.join(ACTIONS)}")


def _update_codings(
    conn: sqlite3.Connection, revision: Revision, assign: dict[int, str]
) -> list[str]:
    lines = []
    for old, new in revision.mapping.items():
        rows = conn.execute("SELECT id FROM codings WHERE code = ?", (old,)).fetchall()
        for (coding_id,) in rows:
            # A coder who already has the target on the same span keeps one coding.
            conn.execute("UPDATE OR IGNORE codings SET code = ? WHERE id = ?", (new, coding_id))
            conn.execute(
                "UPDATE codings SET status = 'rejected', pending = ? WHERE id = ? AND code = ?",
                (f"duplicate of a {new} coding after {revision.action}", coding_id, old),
            )
        lines.append(f"{len(rows)} coding(s) of {old} now carry {new}")
    for old, choices in revision.pending.items():
        rows = conn.execute("SELECT id FROM codings WHERE code = ?", (old,)).fetchall()
        decided = 0
        for (coding_id,) in rows:
            if coding_id in assign:
                conn.execute(
                    "UPDATE codings SET code = ? WHERE id = ?", (assign[coding_id], coding_id)
                )
                decided += 1
            else:
                conn.execute(
                    "UPDATE codings SET status = 'suggested', code = ?, pending = ? WHERE id = ?",
                    (choices[0], f"split of {old}: choose among {', '.join(choices)}", coding_id),
                )
        lines.append(
            f"{decided} coding(s) of {old} assigned, {len(rows) - decided} pending "
            "review (`qualmine review` walks them)"
        )
    return lines


def revise_codebook(
    project: Project, action: str, *, coder: str, reason: str, **kwargs: Any
) -> list[str]:
    """Apply a revision; returns lines describing what changed."""
    path = project_codebook_path(project)
    original = path.read_bytes()
    with project.session() as conn:
        before = conn.execute("SELECT COUNT(*) FROM codings").fetchone()[0]
        try:
            with transaction(conn):
                revision = _apply_file(
                    path, action, coder, reason, date.today().isoformat(), kwargs
                )
                choices = next(iter(revision.pending.values()), ())
                lines = _update_codings(
                    conn, revision, _parse_assign(kwargs.get("assign", []), choices)
                )
                from qualmine.codebook import load_codebook

                store_codebook(conn, load_codebook(path))
                record(
                    conn,
                    coder=coder,
                    command=f"codebook {action}",
                    action=action,
                    target=revision.entry.detail,
                    payload={
                        "reason": reason,
                        "mapping": revision.mapping,
                        "pending": {k: list(v) for k, v in revision.pending.items()},
                    },
                )
        except BaseException:
            path.write_bytes(original)
            raise
        after = conn.execute("SELECT COUNT(*) FROM codings").fetchone()[0]
    return [
        f"{action}: {revision.entry.detail} (changelog entry written)",
        *lines,
        f"codings before {before}, after {after}",
    ]
