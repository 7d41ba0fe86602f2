"""Topics against the codebook: which codes each topic's units carry.

Only units in documents the chosen coder marked done count, so a unit without codes
means "coded, and no code applied", never "not coded yet". A unit carries a code when
one of the coder's accepted codings of that code overlaps it
(`qualmine.analysis.overlap.codes_per_unit`).

For each topic, over its units in coded documents:

- the **share** of a code is the fraction of units carrying that code (the topic x code
  matrix), and the topic's **best-matching code** is the code with the highest share
  (ties: codebook order);
- its **coverage** is the fraction of units carrying any code at all.

A topic is **emergent** when its coverage is below ``EMERGENT_RATIO`` = 0.5 times the
coverage of all modelled units in coded documents: the coder applied codes to its units
at less than half the usual rate, so the codebook, as applied, does not account for what
they say. The threshold is relative so that a coder who codes sparsely (only key
passages) does not make every topic emergent. A topic with no unit in a coded document
is ``not coded`` (nothing to judge); outliers (-1) are never labelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qualmine.topics.settings import OUTLIER

UnitKey = tuple[int, int, int]  # (document id, start, end)
EMERGENT_RATIO = 0.5


@dataclass(frozen=True, slots=True)
class TopicAlignment:
    """One topic's codes.

    Attributes:
        topic: the topic (-1: outliers).
        coded_units: the topic's units in documents the coder marked done.
        coverage: the share of those units carrying any code (0.0 when there are none).
        shares: code -> share of those units carrying it (every code given, in order).
        best_code: the best-matching code, or None when no coded unit carries a code.
        best_share: its share (0.0 when there is none).
        status: ``code`` (labelled with ``best_code``), ``emergent``, ``not coded`` or
            ``outliers``.
    """

    topic: int
    coded_units: int
    coverage: float
    shares: dict[str, float]
    best_code: str | None
    best_share: float
    status: str

    @property
    def emergent(self) -> bool:
        """Whether the codebook, as applied, does not account for the topic."""
        return self.status == "emergent"


@dataclass(frozen=True, slots=True)
class CodebookAlignment:
    """Every topic's alignment and the threshold that made topics emergent.

    Attributes:
        coverage: the share of all modelled units in coded documents that carry a code.
        threshold: ``EMERGENT_RATIO`` times ``coverage``.
        topics: one alignment per topic, outliers first.
    """

    coverage: float
    threshold: float
    topics: tuple[TopicAlignment, ...]


def align_topics(
    assignments: Mapping[UnitKey, int],
    unit_codes: Mapping[UnitKey, set[str]],
    codes: Sequence[str],
    *,
    ratio: float = EMERGENT_RATIO,
) -> CodebookAlignment:
    """Align every topic with the codes.

    Args:
        assignments: unit -> topic, for every modelled unit.
        unit_codes: unit -> codes it carries, for the units in coded documents only.
        codes: the codes to report, in codebook order.
        ratio: a topic whose coverage is below ``ratio`` times the overall coverage is
            emergent.
    """
    coded_keys = [u for u in assignments if u in unit_codes]
    overall = _coverage(coded_keys, unit_codes)
    threshold = ratio * overall
    by_topic: dict[int, list[UnitKey]] = {t: [] for t in sorted(set(assignments.values()))}
    for unit in coded_keys:
        by_topic[assignments[unit]].append(unit)
    topics = tuple(
        _align_one(topic, units, unit_codes, codes, threshold) for topic, units in by_topic.items()
    )
    return CodebookAlignment(round(overall, 6), round(threshold, 6), topics)


def _coverage(units: Sequence[UnitKey], unit_codes: Mapping[UnitKey, set[str]]) -> float:
    return sum(1 for u in units if unit_codes[u]) / len(units) if units else 0.0


def _align_one(
    topic: int,
    units: Sequence[UnitKey],
    unit_codes: Mapping[UnitKey, set[str]],
    codes: Sequence[str],
    threshold: float,
) -> TopicAlignment:
    counts = dict.fromkeys(codes, 0)
    for unit in units:
        for code in unit_codes[unit] & counts.keys():
            counts[code] += 1
    shares = {c: counts[c] / len(units) if units else 0.0 for c in codes}
    # max() keeps the first of equal counts: codebook order breaks ties.
    best = max(codes, key=lambda c: counts[c], default=None)
    if best is not None and counts[best] == 0:
        best = None
    coverage = _coverage(units, unit_codes)
    if topic == OUTLIER:
        status = "outliers"
    elif not units:
        status = "not coded"
    else:
        status = "emergent" if coverage < threshold else "code"
    best_share = shares[best] if best is not None else 0.0
    return TopicAlignment(topic, len(units), coverage, shares, best, best_share, status)
