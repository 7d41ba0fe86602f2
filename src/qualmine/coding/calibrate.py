"""Calibrating an auto-coder's thresholds against a person on chosen documents."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from qualmine.coding.calibration import calibrate_thresholds
from qualmine.coding.gold import done_units, labels_for
from qualmine.coding.units import read_units
from qualmine.project.filters import resolve_documents

if TYPE_CHECKING:
    from qualmine.coding.auto import Coder, CodeRequest


def calibrate_on_project(
    conn: sqlite3.Connection, coder: Coder, request: CodeRequest, thresholds: dict[str, float]
) -> tuple[dict[str, float], list[str]]:
    """Per-code thresholds maximising F1 against ``request.calibrate_from``.

    The calibration documents are ``--calibration-docs`` (default: the coded documents),
    limited to those the calibrating coder marked done.
    """
    person = request.calibrate_from or ""
    docs = request.calibration_docs or request.docs
    doc_ids = resolve_documents(conn, docs, request.where)
    units = done_units(conn, person, read_units(conn, request.unit, document_ids=doc_ids))
    scored = coder.score(units)
    gold = labels_for(conn, person, units)
    default = next(iter(thresholds.values()), 0.45)
    tuned = calibrate_thresholds(scored, gold, list(thresholds), default=default)
    changed = {c: t for c, t in tuned.items() if t != thresholds.get(c)}
    n_docs = len({u.document_id for u in units})
    notes = [
        f"calibrated against {person} on {len(units)} units in {n_docs} documents: "
        f"{len(changed)} of {len(tuned)} codes got their own threshold"
    ]
    notes += [f"  {code}: {value:.3f}" for code, value in sorted(changed.items())]
    return tuned, notes
