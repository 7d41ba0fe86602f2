"""Opening the project file: pragmas, migrations, transactions with retries."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from qualmine.errors import ProjectError
from qualmine.storage.migrations import MIGRATIONS, schema_version

T = TypeVar("T")
BUSY_TIMEOUT_MS = 30_000
RETRIES = 8


def open_database(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the project database and bring its schema up to date.

    Raises:
        ProjectError: the file is not a qualmine project database, or is newer than this
            qualmine.
    """
    new = not path.exists()
    if new:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Owner-only from the first byte: transcripts hold personal data.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise ProjectError(
            f"{path}: not a qualmine project database ({exc}); restore it from a backup "
            "or run `qualmine init` in a new folder"
        ) from exc
    if version > schema_version():
        conn.close()
        raise ProjectError(
            f"{path}: schema version {version} is newer than this qualmine understands "
            f"({schema_version()}); upgrade qualmine"
        )
    _migrate(conn, version)
    return conn


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        # One script, one transaction: a failed migration leaves the file as it was.
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE, commit on success, roll back on error."""
    _begin(conn)
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _begin(conn: sqlite3.Connection) -> None:
    for attempt in range(RETRIES):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            time.sleep(0.05 * 2**attempt)
    raise ProjectError(
        "the project database stayed locked by another qualmine process; try again when "
        "it has finished"
    )


def with_retries(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` inside one transaction, retrying if the database is busy."""
    with transaction(conn):
        return work(conn)
