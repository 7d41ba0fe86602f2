"""Topic prevalence: the share of each case's, and each attribute group's, units per topic.

A unit belongs to the case of the turn it lies in (units without a case are grouped as
``(no case)``). A group is the cases sharing one value of an attribute; its share of a
topic is (the group's units in the topic) / (all the group's units), so each row sums to
1. Without ``by``, the attributes used are those with 2 or more distinct values, each
value held by at least 2 cases: attributes unique to a case (names, dates) make groups of
one, which are the by-case table again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from qualmine.errors import QualmineError
from qualmine.models import Table
from qualmine.topics.records import Assignment
from qualmine.topics.tables import run_meta, topic_name
from qualmine.topics.view import TopicView

NO_CASE = "(no case)"


def _shares(units: Sequence[Assignment], topics: Sequence[int]) -> list[float]:
    counts = Counter(a.topic for a in units)
    return [counts[t] / len(units) if units else 0.0 for t in topics]


def prevalence_by_case(view: TopicView) -> Table:
    """One row per case: its units and the share of them in each topic."""
    topics = view.run.topics
    by_case: dict[str, list[Assignment]] = {}
    for a in view.run.assignments:
        by_case.setdefault(a.case or NO_CASE, []).append(a)
    rows = [(case, len(units), *_shares(units, topics)) for case, units in sorted(by_case.items())]
    meta = {**run_meta(view), "cells": "share of the case's units in each topic (rows sum to 1)"}
    columns = ("case", "units", *(topic_name(t) for t in topics))
    return Table("Topic prevalence by case", columns, tuple(rows), meta)


def group_attributes(cases: Mapping[str, Mapping[str, Any]], present: Sequence[str]) -> list[str]:
    """The attributes that split the ``present`` cases into groups of 2 or more cases."""
    names = sorted({k for c in present for k in cases.get(c, {})})
    chosen = []
    for name in names:
        values = Counter(str(cases[c][name]) for c in present if name in cases.get(c, {}))
        if len(values) >= 2 and min(values.values()) >= 2:
            chosen.append(name)
    return chosen


def prevalence_by_group(view: TopicView, by: Sequence[str] = ()) -> Table:
    """One row per attribute value: its cases, units and share of them in each topic.

    Raises:
        QualmineError: an attribute in ``by`` is held by no case of the run.
    """
    run = view.run
    present = sorted({a.case for a in run.assignments if a.case})
    known = {k for c in present for k in view.cases.get(c, {})}
    for name in by:
        if name not in known:
            raise QualmineError(
                f"--by {name}: no case in this run has that attribute; "
                f"known: {', '.join(sorted(known)) or 'none'}"
            )
    attributes = list(by) or group_attributes(view.cases, present)
    rows = []
    for name in attributes:
        groups: dict[str, list[Assignment]] = {}
        for a in run.assignments:
            value = view.cases.get(a.case or "", {}).get(name)
            if value is not None:
                groups.setdefault(str(value), []).append(a)
        for value, units in sorted(groups.items()):
            cases = len({a.case for a in units})
            rows.append((name, value, cases, len(units), *_shares(units, run.topics)))
    meta = {
        **run_meta(view),
        "cells": "share of the group's units in each topic (rows sum to 1)",
        "attributes": ", ".join(attributes) or "none that split the cases into groups of 2+",
    }
    columns = ("attribute", "value", "cases", "units", *(topic_name(t) for t in run.topics))
    return Table("Topic prevalence by attribute", columns, tuple(rows), meta)
