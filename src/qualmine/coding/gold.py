"""A person's codings as per-unit labels, for calibration, training and evaluation."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from qualmine.analysis.overlap import UnitKey, codes_per_unit
from qualmine.coding.units import Unit
from qualmine.errors import QualmineError
from qualmine.storage.codings import CodingFilter, done_documents, read_codings

LIVE_STATUSES = ("suggested", "accepted")


def unit_key(unit: Unit) -> UnitKey:
    """The (document, start, end) key of a unit."""
    return (unit.document_id, unit.start, unit.end)


def done_units(conn: sqlite3.Connection, coder: str, units: Sequence[Unit]) -> list[Unit]:
    """The units that lie in documents this coder marked done.

    Raises:
        QualmineError: the coder marked none of these documents done.
    """
    done = done_documents(conn, coder)
    kept = [u for u in units if u.document_id in done]
    if not kept:
        raise QualmineError(
            f"coder {coder!r} has marked none of these documents done; only done documents "
            f"count (`qualmine --as {coder} done DOC`)"
        )
    return kept


def labels_for(
    conn: sqlite3.Connection, coder: str, units: Sequence[Unit]
) -> dict[UnitKey, set[str]]:
    """Codes per unit from this coder's non-rejected codings (a coding overlapping a unit)."""
    doc_ids = tuple(sorted({u.document_id for u in units}))
    codings = read_codings(
        conn, CodingFilter(coders=(coder,), statuses=LIVE_STATUSES, document_ids=doc_ids)
    )
    return codes_per_unit([unit_key(u) for u in units], codings)
