"""Numbered schema migrations for the project file.

The schema version is SQLite's ``user_version``. Migrations are applied in order on open,
each in its own transaction; a migration is never edited once released, only added to.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the foundation: documents, cases, turns, segments, codebooks, codes, codings,
    # memos, done-marks, the audit log, auto-coder runs and the embedding cache.
    """
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        text TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        encoding TEXT NOT NULL,
        imported TEXT NOT NULL
    );
    CREATE TABLE cases (
        id TEXT PRIMARY KEY,
        attributes TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        speaker TEXT NOT NULL,
        speaker_role TEXT NOT NULL CHECK (speaker_role IN ('interviewer', 'participant')),
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        timestamp TEXT,
        case_id TEXT REFERENCES cases(id),
        UNIQUE (document_id, idx)
    );
    CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        turn_idx INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        UNIQUE (document_id, turn_idx, idx)
    );
    CREATE INDEX segments_document ON segments(document_id, start);
    CREATE TABLE codebooks (
        version TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        content TEXT NOT NULL,
        loaded TEXT NOT NULL
    );
    CREATE TABLE codes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        parent TEXT,
        position INTEGER NOT NULL,
        codebook_version TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE codings (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        quote TEXT NOT NULL,
        code TEXT NOT NULL,
        coder TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('suggested', 'accepted', 'rejected', 'orphaned')),
        reviewer TEXT,
        score REAL,
        evidence TEXT NOT NULL DEFAULT '',
        codebook_version TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        memo TEXT NOT NULL DEFAULT '',
        pending TEXT NOT NULL DEFAULT '',
        UNIQUE (document_id, start, "end", code, coder)
    );
    CREATE INDEX codings_code ON codings(code, coder, status);
    CREATE INDEX codings_document ON codings(document_id, start);
    CREATE TABLE memos (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('project', 'document', 'code', 'coding')),
        target TEXT NOT NULL DEFAULT '',
        coder TEXT NOT NULL,
        text TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE done (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        coder TEXT NOT NULL,
        marked TEXT NOT NULL,
        PRIMARY KEY (document_id, coder)
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        coder TEXT NOT NULL,
        command TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        payload TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        method TEXT NOT NULL,
        coder TEXT NOT NULL,
        unit TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        created TEXT NOT NULL
    );
    CREATE TABLE run_scores (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        document_id INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        rank INTEGER NOT NULL,
        code TEXT NOT NULL,
        score REAL NOT NULL,
        PRIMARY KEY (run_id, document_id, start, rank)
    );
    CREATE TABLE embeddings (
        model TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (model, text_hash)
    );
    """,
    # 2: topic-model runs: parameters, versions and results; each unit's topic; topic words.
    """
    CREATE TABLE topic_runs (
        id INTEGER PRIMARY KEY,
        created TEXT NOT NULL,
        unit TEXT NOT NULL,
        method TEXT NOT NULL,
        seed INTEGER NOT NULL,
        encoder TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        versions TEXT NOT NULL DEFAULT '{}',
        results TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE topic_assignments (
        run_id INTEGER NOT NULL REFERENCES topic_runs(id) ON DELETE CASCADE,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        case_id TEXT,
        topic INTEGER NOT NULL,
        representative INTEGER,
        PRIMARY KEY (run_id, document_id, start)
    );
    CREATE INDEX topic_assignments_topic ON topic_assignments(run_id, topic);
    CREATE TABLE topic_words (
        run_id INTEGER NOT NULL REFERENCES topic_runs(id) ON DELETE CASCADE,
        topic INTEGER NOT NULL,
        rank INTEGER NOT NULL,
        word TEXT NOT NULL,
        weight REAL NOT NULL,
        PRIMARY KEY (run_id, topic, rank)
    );
    """,
)


def schema_version() -> int:
    """The schema version this qualmine writes."""
    return len(MIGRATIONS)
