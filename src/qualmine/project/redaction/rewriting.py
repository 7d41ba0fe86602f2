"""Rewriting the project file: document texts with every offset into them, every other text
column (JSON string by string), the places noted for the key file, and the triggers
dropped and recreated around it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from qualmine.errors import ProjectError
from qualmine.project.redaction.edits import Edit, Redactor, apply_edits, offset_mapper

# Columns that hold identities of the project's own coders, code ids or machine values.
KEPT_COLUMNS = frozenset(
    ("coder", "reviewer", "code", "status", "codebook_version", "content_hash", "text_hash")
    + ("speaker_role", "encoding", "command", "action", "kind", "method", "unit", "model")
    + ("created", "at", "imported", "marked", "loaded", "timestamp", "version")
)


@dataclass(frozen=True, slots=True)
class Column:
    """A text column to rewrite."""

    table: str
    name: str


def text_columns(conn: sqlite3.Connection) -> list[Column]:
    """Every column that may hold text, but coders, code ids and machine values."""
    out = []
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    for table in tables:
        info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        for _, name, kind, *_ in info:
            if (table, name) in (("documents", "text"), ("codings", "quote")):
                continue
            if name in KEPT_COLUMNS or kind.upper() not in ("TEXT", ""):
                continue
            if table == "embeddings":
                continue
            out.append(Column(table, name))
    return out


def offset_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables with a document_id, start and end: their offsets move with the text."""
    found = []
    for (table,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ):
        columns = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
        if {"document_id", "start", "end"} <= columns:
            found.append(table)
    return sorted(found)


def as_json(text: str) -> Any | None:
    """The value a JSON object or array text holds, else None."""
    if text[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def dump_like(text: str, old: Any, new: Any) -> str:
    """``new`` as JSON written the way ``text`` (the JSON of ``old``) was written."""
    for sort_keys in (True, False):
        for ascii_only in (True, False):
            if json.dumps(old, sort_keys=sort_keys, ensure_ascii=ascii_only) == text:
                return json.dumps(new, sort_keys=sort_keys, ensure_ascii=ascii_only)
    return json.dumps(new, sort_keys=True, ensure_ascii=False)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Rewriter(ABC):
    """Rewrites every text value of the project; JSON texts string by string, keys included.

    Each place is named as in the redacted project: table, primary key, column, and for
    JSON the path of keys and indexes (``dict_key`` when the string is a key itself).
    """

    #: whether JSON paths are written with the output's keys (redacting) or the input's.
    paths_from_output = True

    def __init__(self) -> None:
        self.fields: list[dict[str, Any]] = []
        self.replacements = 0

    @abstractmethod
    def string(self, where: dict[str, Any], text: str) -> str:
        """The rewritten form of one string (redacting or restoring)."""

    def value(self, where: dict[str, Any], text: str) -> str:
        """The rewritten text of one cell."""
        data = as_json(text)
        if data is None:
            return self.string(where, text)
        new = self._json(where, data, [])
        return text if new == data else dump_like(text, data, new)

    def _json(self, where: dict[str, Any], value: Any, path: list[Any]) -> Any:
        if isinstance(value, str):
            return self.string({**where, "path": path}, value)
        if isinstance(value, list):
            return [self._json(where, v, [*path, i]) for i, v in enumerate(value)]
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                new_key = self.string({**where, "path": path, "dict_key": True}, k)
                step = new_key if self.paths_from_output else k
                out[new_key] = self._json(where, v, [*path, step])
            return out
        return value

    def note(self, where: dict[str, Any], new: str, edits: Sequence[Edit]) -> None:
        """Keep the edits made at one place for the key file."""
        if edits:
            self.replacements += len(edits)
            self.fields.append({**where, "sha256": _sha(new), "edits": _key_edits(edits)})


class Redacting(Rewriter):
    """Replaces names and the like, noting every edit with its place."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def string(self, where: dict[str, Any], text: str) -> str:
        new, edits = self.redactor.redact(text)
        if not edits and where["column"] == "word" and text.islower():
            # Topic models lower-case their words: "horowitz" is the person too.
            titled, found = self.redactor.redact(text.title())
            if found:
                new, edits = titled, [Edit(0, len(text), titled, text)]
        self.note(where, new, edits)
        return new

    def name_rows(self, conn: sqlite3.Connection) -> None:
        """Name each noted place by its row's primary key as it is now (after the rewrite)."""
        for item in self.fields:
            item["key"] = row_key(conn, item["table"], item.pop("rowid"))


def row_key(conn: sqlite3.Connection, table: str, rowid: int) -> dict[str, Any]:
    """A row's primary-key values (its rowid for a table without a primary key)."""
    keys = primary_key(conn, table)
    if keys == ("rowid",):
        return {"rowid": rowid}
    quoted = ", ".join(f'"{k}"' for k in keys)
    row = conn.execute(f'SELECT {quoted} FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()
    return dict(zip(keys, row, strict=True))


def primary_key(conn: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """The primary-key columns of a table, in key order, or ("rowid",)."""
    info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    return tuple(r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]) or ("rowid",)


def _key_edits(edits: Sequence[Edit]) -> list[list[Any]]:
    """Edits in the new text's coordinates: [start, pseudonym, original]."""
    out, shift = [], 0
    for e in edits:
        out.append([e.start + shift, e.new, e.old])
        shift += len(e.new) - (e.end - e.start)
    return out


def reverse_edits(text: str, saved: Sequence[Sequence[Any]]) -> list[Edit] | None:
    """The edits that undo saved key-file edits, or None when the text does not match."""
    out = []
    for start, new, old in saved:
        if text[start : start + len(new)] != new:
            return None
        out.append(Edit(start, start + len(new), old, new))
    return out


def rewrite_database(
    conn: sqlite3.Connection,
    rewriter: Rewriter,
    document_edits: Callable[[int, str], list[Edit] | None],
) -> int:
    """Rewrite document texts (moving every offset) and every other text column in place.

    Returns how many documents changed. Call inside a transaction with triggers dropped.
    """
    changed = 0
    movers = offset_tables(conn)
    for doc_id, text in conn.execute("SELECT id, text FROM documents ORDER BY id").fetchall():
        edits = document_edits(doc_id, text)
        if not edits:
            continue
        new = apply_edits(text, edits)
        conn.execute(
            "UPDATE documents SET text = ?, content_hash = ? WHERE id = ?",
            (new, _sha(new), doc_id),
        )
        rewriter.note({"table": "documents", "rowid": doc_id, "column": "text"}, new, edits)
        _move_offsets(conn, movers, doc_id, text, new, edits, rewriter)
        changed += 1
    for column in text_columns(conn):
        _rewrite_column(conn, column, rewriter)
    return changed


def _move_offsets(
    conn: sqlite3.Connection,
    tables: Sequence[str],
    doc_id: int,
    old: str,
    new: str,
    edits: Sequence[Edit],
    rewriter: Rewriter,
) -> None:
    move = offset_mapper(edits)
    for table in tables:
        has_quote = any(r[1] == "quote" for r in conn.execute(f'PRAGMA table_info("{table}")'))
        quote = ", quote" if has_quote else ""
        rows = conn.execute(
            f'SELECT rowid, start, "end"{quote} FROM "{table}" WHERE document_id = ?',
            (doc_id,),
        ).fetchall()
        # Out of the way first, so that no moved row meets one not yet moved in a unique key.
        conn.execute(f'UPDATE "{table}" SET start = -1 - start WHERE document_id = ?', (doc_id,))
        for row in rows:
            start, end = move(row[1], False), move(row[2], True)
            params: list[Any] = [start, end]
            if has_quote:
                orphan = row[3] != old[row[1] : row[2]]
                where = {"table": table, "rowid": row[0], "column": "quote"}
                params.append(rewriter.value(where, row[3]) if orphan else new[start:end])
            sql = f'UPDATE "{table}" SET start = ?, "end" = ?' + (", quote = ?" if quote else "")
            conn.execute(sql + " WHERE rowid = ?", [*params, row[0]])


def _rewrite_column(conn: sqlite3.Connection, column: Column, rewriter: Rewriter) -> None:
    rows = conn.execute(
        f'SELECT rowid, "{column.name}" FROM "{column.table}" '
        f"WHERE typeof(\"{column.name}\") = 'text'"
    ).fetchall()
    for rowid, text in rows:
        where = {"table": column.table, "rowid": rowid, "column": column.name}
        new = rewriter.value(where, text)
        if new != text:
            conn.execute(
                f'UPDATE "{column.table}" SET "{column.name}" = ? WHERE rowid = ?', (new, rowid)
            )


class Triggers:
    """Drops the triggers for a maintenance rewrite and recreates them from their SQL."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.saved = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        ).fetchall()

    def __enter__(self) -> Triggers:
        for name, _ in self.saved:
            self.conn.execute(f'DROP TRIGGER "{name}"')
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            for _, sql in self.saved:
                self.conn.execute(sql)


class Restoring(Rewriter):
    """Puts each noted place back by position; by pseudonym where the place changed since."""

    paths_from_output = False

    def __init__(self, conn: sqlite3.Connection, key: dict[str, Any]) -> None:
        super().__init__()
        self.approximate = 0
        self.pseudonyms: dict[str, str] = key["pseudonyms"]
        self._order = sorted(self.pseudonyms, key=len, reverse=True)
        self.saved: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for item in key["fields"]:
            ident = (item["table"], _dump(item["key"]), item["column"])
            self.saved.setdefault(ident, []).append(item)
        # Rows are named by their keys before anything moves (offsets are part of some keys).
        self.keys: dict[tuple[str, int], str] = {}
        for table in sorted({t for t, _, _ in self.saved}):
            for rowid in (r[0] for r in conn.execute(f'SELECT rowid FROM "{table}"')):
                self.keys[(table, rowid)] = _dump(row_key(conn, table, rowid))

    def document_edits(self, doc_id: int, text: str) -> list[Edit] | None:
        """The edits that give a document its original text back."""
        items = self.saved.get(("documents", _dump({"id": doc_id}), "text"), [])
        if not items:
            return None
        edits = reverse_edits(text, items[0]["edits"])
        if edits is None or _sha(text) != items[0]["sha256"]:
            raise ProjectError(
                f"document {doc_id}: its text changed after the redaction, so the key cannot "
                "put it back by place; re-import the original transcript instead"
            )
        return edits

    def note(self, where: dict[str, Any], new: str, edits: Sequence[Edit]) -> None:
        self.replacements += len(edits)

    def string(self, where: dict[str, Any], text: str) -> str:
        key = self.keys.get((where["table"], where["rowid"]))
        items = self.saved.get((where["table"], key or "", where["column"]), [])
        path, is_key = where.get("path"), bool(where.get("dict_key"))
        matches = [i for i in items if i.get("path") == path and bool(i.get("dict_key")) == is_key]
        if is_key:
            matches = [i for i in matches if i["sha256"] == _sha(text)]
        if not matches:
            return text
        edits = reverse_edits(text, matches[0]["edits"])
        if edits is not None and _sha(text) == matches[0]["sha256"]:
            self.replacements += len(edits)
            return apply_edits(text, edits)
        self.approximate += 1
        for pseudonym in self._order:
            text = text.replace(pseudonym, self.pseudonyms[pseudonym])
        return text


def _dump(key: dict[str, Any]) -> str:
    return json.dumps(key, sort_keys=True)
