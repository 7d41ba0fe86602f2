"""Findings computed from respondent-level survey data, with Wilson 95% intervals.

A finding's `compute` block names a CSV of survey responses (one row per respondent), the
column to read, which answers count, and an optional grouping column:

    compute: {data: survey/responses.csv, column: trust_online,
              count: [Strongly trust, Somewhat trust], group_by: age_band}

Blank answers are left out of the denominator, and the table says how many.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualmine.errors import InputFileError
from qualmine.models import Table

Z_95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Proportion:
    """k of n with its Wilson interval."""

    group: str
    k: int
    n: int
    share: float
    low: float
    high: float
    blank: int


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for k successes in n trials (NaN for n = 0)."""
    if n == 0:
        return math.nan, math.nan
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InputFileError(path, "survey data file not found", "check `compute.data`")
    text = path.read_bytes().decode("utf-8-sig", errors="strict")
    return list(csv.DictReader(io.StringIO(text)))


def compute_proportions(
    rows: list[dict[str, str]], spec: dict[str, Any], source: str = "survey data"
) -> list[Proportion]:
    """The share of respondents giving a counted answer, overall and per group."""
    column, group_by = str(spec["column"]), spec.get("group_by")
    counted = {str(v) for v in spec.get("count", [])}
    if rows and column not in rows[0]:
        raise InputFileError(source, f"no column {column!r}", f"columns: {', '.join(rows[0])}")
    if group_by and rows and group_by not in rows[0]:
        raise InputFileError(
            source, f"no grouping column {group_by!r}", f"columns: {', '.join(rows[0])}"
        )
    groups: dict[str, list[str]] = {"all": []}
    for row in rows:
        answer = (row.get(column) or "").strip()
        groups["all"].append(answer)
        if group_by:
            groups.setdefault(str(row.get(group_by, "")), []).append(answer)
    out = []
    for name in ["all", *sorted(g for g in groups if g != "all")]:
        answers = groups[name]
        given = [a for a in answers if a]
        k = sum(1 for a in given if a in counted)
        low, high = wilson_interval(k, len(given))
        share = k / len(given) if given else math.nan
        out.append(Proportion(name, k, len(given), share, low, high, len(answers) - len(given)))
    return out


def survey_table(finding_id: str, spec: dict[str, Any], base: Path) -> Table:
    """A finding's survey computation as a table (percentages with Wilson 95% intervals)."""
    path = base / str(spec["data"])
    proportions = compute_proportions(_read_rows(path), spec, str(path))
    rows = tuple(
        (p.group, p.k, p.n, 100 * p.share, 100 * p.low, 100 * p.high, p.blank) for p in proportions
    )
    meta = {
        "finding": finding_id,
        "computed from": f"{path.name}, column {spec['column']}, counting "
        + ", ".join(map(str, spec.get("count", []))),
        "interval": "Wilson score interval, 95%",
        "denominator": "respondents who answered (blank answers left out, counted in `blank`)",
    }
    return Table(
        f"Survey: {finding_id}",
        ("group", "k", "n", "%", "95% low", "95% high", "blank"),
        rows,
        meta,
    )
