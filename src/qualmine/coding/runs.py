"""Auto-coder runs: each run's top-10 scores per unit, and the suggestions it writes.

Scores go to the run table (never as codings) so ranking can be evaluated; only units
above the coder's thresholds become `suggested` codings. Re-running adds no duplicates.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qualmine.coding.units import Unit
from qualmine.models import Coding
from qualmine.storage import transaction
from qualmine.storage.audit import now, record
from qualmine.storage.codings import add_codings, mark_done

TOP_K = 10


@dataclass(frozen=True, slots=True)
class UnitScores:
    """One unit's scored codes, best first, with the evidence for each."""

    unit: Unit
    scores: tuple[tuple[str, float, str], ...]  # (code, score, evidence)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What an auto-coder run stored."""

    run_id: int
    coder: str
    units: int
    suggestions_added: int
    suggestions_existing: int
    documents: int


def store_run(
    conn: sqlite3.Connection,
    *,
    method: str,
    unit: str,
    scored: Sequence[UnitScores],
    thresholds: Mapping[str, float],
    params: dict[str, Any],
    codebook_version: str,
) -> RunSummary:
    """Store a run's scores and write suggestions above thresholds, in one transaction.

    Every document the run processed is marked done for the auto-coder.
    """
    coder = f"auto:{method}"
    suggestions = [
        Coding(
            0,
            s.unit.document_id,
            s.unit.start,
            s.unit.end,
            s.unit.text,
            code,
            coder,
            "suggested",
            score=round(score, 6),
            evidence=evidence,
            codebook_version=codebook_version,
        )
        for s in scored
        for code, score, evidence in s.scores
        if score >= thresholds.get(code, float("inf"))
    ]
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO runs (method, coder, unit, params, created) VALUES (?,?,?,?,?)",
            (method, coder, unit, json.dumps(params, sort_keys=True, default=str), now()),
        )
        run_id = int(cur.lastrowid or 0)
        conn.executemany(
            'INSERT INTO run_scores (run_id, document_id, start, "end", rank, code, score) '
            "VALUES (?,?,?,?,?,?,?)",
            [
                (run_id, s.unit.document_id, s.unit.start, s.unit.end, rank, code, score)
                for s in scored
                for rank, (code, score, _) in enumerate(s.scores[:TOP_K])
            ],
        )
        added = add_codings(conn, suggestions)
        documents = sorted({s.unit.document_id for s in scored})
        for doc_id in documents:
            mark_done(conn, doc_id, coder)
        record(
            conn,
            coder=coder,
            command=f"code --method {method}",
            action="run",
            target=f"run {run_id}",
            payload={"added": len(added), "units": len(scored), "codings": added},
        )
    return RunSummary(
        run_id, coder, len(scored), len(added), len(suggestions) - len(added), len(documents)
    )


def latest_run(conn: sqlite3.Connection, method: str, unit: str) -> int | None:
    """The id of the newest run of a method at a unit, if any."""
    row = conn.execute(
        "SELECT id FROM runs WHERE method = ? AND unit = ? ORDER BY id DESC LIMIT 1",
        (method, unit),
    ).fetchone()
    return int(row[0]) if row else None


def latest_run_of(conn: sqlite3.Connection, coder: str, unit: str) -> int | None:
    """The id of the newest run by an auto-coder (``auto:rules``) at a unit, if any."""
    row = conn.execute(
        "SELECT id FROM runs WHERE coder = ? AND unit = ? ORDER BY id DESC LIMIT 1",
        (coder, unit),
    ).fetchone()
    return int(row[0]) if row else None


def run_rankings(conn: sqlite3.Connection, run_id: int) -> dict[tuple[int, int, int], list[str]]:
    """For each unit (document, start, end) of a run, its codes ranked best first."""
    out: dict[tuple[int, int, int], list[str]] = {}
    rows = conn.execute(
        'SELECT document_id, start, "end", code FROM run_scores WHERE run_id = ? '
        "ORDER BY document_id, start, rank",
        (run_id,),
    )
    for doc_id, start, end, code in rows:
        out.setdefault((doc_id, start, end), []).append(code)
    return out
