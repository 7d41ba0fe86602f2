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
        # Owner-only from the first byte: transcripts hold personal data. SQLite gives the
        # -wal and -shm files the database file's permissions.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    conn, version = _connect(path)
    if version > schema_version():
        conn.close()
        raise ProjectError(
            f"{path}: schema version {version} is newer than this qualmine understands "
            f"({schema_version()}); upgrade qualmine"
        )
    _migrate(conn, version)
    return conn


def _connect(path: Path) -> tuple[sqlite3.Connection, int]:
    """A configured connection and the file's schema version, waiting out a busy file.

    Setting WAL mode can meet a lock that the busy handler does not wait for (another
    process creating or checkpointing the file), so the settings are retried like BEGIN.
    """
    for attempt in range(RETRIES):
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            return conn, int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.OperationalError as exc:
            conn.close()
            if not _busy(exc):
                raise _not_a_project(path, exc) from exc
            time.sleep(0.05 * 2**attempt)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise _not_a_project(path, exc) from exc
    raise ProjectError(
        f"{path}: the project database stayed locked by another qualmine process; try again "
        "when it has finished"
    )


def _busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _not_a_project(path: Path, exc: Exception) -> ProjectError:
    return ProjectError(
        f"{path}: not a qualmine project database ({exc}); restore it from a backup "
        "or run `qualmine init` in a new folder"
    )


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
            # Another process opening the file at the same time may have applied it first.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                continue
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
            if not _busy(exc):
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
