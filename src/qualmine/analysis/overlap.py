"""Which codes each unit carries: a unit carries a code when a coding of it overlaps it."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from qualmine.models import Coding

UnitKey = tuple[int, int, int]  # (document id, start, end)


def codes_per_unit(units: Sequence[UnitKey], codings: Iterable[Coding]) -> dict[UnitKey, set[str]]:
    """For each unit, the codes of the codings that overlap it (half-open spans)."""
    by_doc: dict[int, list[tuple[int, int, str]]] = {}
    for c in codings:
        by_doc.setdefault(c.document_id, []).append((c.start, c.end, c.code))
    out: dict[UnitKey, set[str]] = {u: set() for u in units}
    for spans in by_doc.values():
        spans.sort()
    starts = {doc: [s for s, _, _ in spans] for doc, spans in by_doc.items()}
    longest = {doc: max((e - s for s, e, _ in spans), default=0) for doc, spans in by_doc.items()}
    for unit in units:
        doc, u_start, u_end = unit
        if doc not in by_doc:
            continue
        spans = by_doc[doc]
        # Codings starting before u_start - longest cannot reach the unit.
        first = bisect.bisect_left(starts[doc], u_start - longest[doc])
        last = bisect.bisect_left(starts[doc], u_end)
        for s, e, code in spans[first:last]:
            if s < u_end and u_start < e:
                out[unit].add(code)
    return out
