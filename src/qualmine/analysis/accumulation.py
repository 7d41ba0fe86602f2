"""Code accumulation over interviews in order, beside random orders, and saturation in both.

Saturation as in Guest, Namey and Chen (2020), "A simple method to assess and report
thematic saturation in qualitative research", PLoS ONE 15(5): e0232076. Three parameters:
the base size b (the first b interviews; the number of distinct codes they hold is the
denominator), the run length r, and the new-information threshold t. A run is r
consecutive interviews after the base; its new information is the number of codes that no
earlier interview held, divided by the base's count. The first run starts right after the
base; while a run's new information exceeds t, the run moves on by one interview. When a
run's new information is at most t, saturation is reached after the interview just before
that run (the run being the evidence that little new came after). If no run qualifies
before the interviews run out, saturation is not reached. The denominator stays the
base's count throughout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

REACH = (90, 95)


@dataclass(frozen=True, slots=True)
class Interview:
    """One interview: a document, its date (``""`` when unknown) and its codes."""

    name: str
    date: str
    codes: frozenset[str]


@dataclass(frozen=True, slots=True)
class AccumulationStep:
    """One interview in the order taken.

    Attributes:
        position: 1 for the first interview.
        document: the document's name.
        date: its date, or ``""``.
        codes: how many codes it holds.
        new: the codes no earlier interview held, sorted.
        cumulative: distinct codes so far.
        share: ``cumulative`` over the codes observed in all the interviews.
    """

    position: int
    document: str
    date: str
    codes: int
    new: tuple[str, ...]
    cumulative: int
    share: float


@dataclass(frozen=True, slots=True)
class RunCheck:
    """One run of Guest, Namey and Chen's procedure.

    Attributes:
        first: position of the run's first interview.
        last: position of its last interview.
        new: codes first seen in the run.
        ratio: ``new`` over the base's count.
        within: whether the ratio is at most the threshold.
    """

    first: int
    last: int
    new: int
    ratio: float
    within: bool


@dataclass(frozen=True, slots=True)
class GuestSaturation:
    """The outcome of Guest, Namey and Chen's procedure for one order.

    Attributes:
        base: base size b.
        run: run length r.
        threshold: new-information threshold t.
        base_codes: distinct codes in the first b interviews.
        runs: the runs checked, up to the first within the threshold.
        point: saturation reached after this many interviews, or None.
        reason: why the procedure cannot be applied, or ``""``.
    """

    base: int
    run: int
    threshold: float
    base_codes: int
    runs: tuple[RunCheck, ...]
    point: int | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RandomOrders:
    """The same interviews in many random orders.

    Attributes:
        permutations: how many orders.
        seed: the seed they were drawn with.
        mean: per position, the mean cumulative count.
        low: per position, its 2.5th percentile.
        high: per position, its 97.5th percentile.
        reach: per percent in `REACH`, the mean number of interviews to reach it.
        guest_reached: share of orders in which saturation was reached.
        guest_median: median saturation point over those orders (NaN if none).
    """

    permutations: int
    seed: int
    mean: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    reach: dict[int, float]
    guest_reached: float
    guest_median: float


@dataclass(frozen=True, slots=True)
class Saturation:
    """Code accumulation in one order, beside random orders, with saturation.

    Attributes:
        steps: one per interview, in the order taken.
        total: distinct codes observed in all the interviews.
        reach: per percent in `REACH`, interviews needed to reach it in this order.
        guest: Guest, Namey and Chen's procedure in this order.
        random: the random orders.
    """

    steps: tuple[AccumulationStep, ...]
    total: int
    reach: dict[int, int | None]
    guest: GuestSaturation
    random: RandomOrders


def accumulate(interviews: Sequence[Interview]) -> list[AccumulationStep]:
    """New and cumulative codes, interview by interview, in the order given."""
    total = len(frozenset().union(*(i.codes for i in interviews)))
    seen: set[str] = set()
    steps = []
    for position, interview in enumerate(interviews, start=1):
        new = tuple(sorted(interview.codes - seen))
        seen |= interview.codes
        share = len(seen) / total if total else math.nan
        steps.append(
            AccumulationStep(
                position,
                interview.name,
                interview.date,
                len(interview.codes),
                new,
                len(seen),
                share,
            )
        )
    return steps


def interviews_to_reach(cumulative: Sequence[int], total: int, percent: int) -> int | None:
    """The first position whose cumulative count is at least ``percent`` % of ``total``."""
    if total <= 0:
        return None
    for position, count in enumerate(cumulative, start=1):
        if count * 100 >= percent * total:
            return position
    return None


def guest_saturation(
    cumulative: Sequence[int], *, base: int = 4, run: int = 2, threshold: float = 0.05
) -> GuestSaturation:
    """Guest, Namey and Chen's base, run and threshold, from the cumulative code counts.

    Args:
        cumulative: distinct codes after each interview, in order.
        base: base size b, at least 1.
        run: run length r, at least 1.
        threshold: new-information threshold t, a proportion between 0 and 1.

    Raises:
        ValueError: base or run below 1, or threshold outside [0, 1].
    """
    if base < 1 or run < 1 or not 0 <= threshold <= 1:
        raise ValueError(f"base {base} and run {run} must be >= 1, threshold {threshold} in [0, 1]")
    n = len(cumulative)
    if n < base + run:
        reason = f"needs {base + run} interviews (base {base} + run {run}); there are {n}"
        return GuestSaturation(base, run, threshold, 0, (), None, reason)
    base_codes = cumulative[base - 1]
    if base_codes == 0:
        return GuestSaturation(base, run, threshold, 0, (), None, "the base holds no codes")
    limit = Fraction(str(threshold))
    runs = []
    for first in range(base + 1, n - run + 2):
        last = first + run - 1
        new = cumulative[last - 1] - cumulative[first - 2]
        within = Fraction(new, base_codes) <= limit
        runs.append(RunCheck(first, last, new, new / base_codes, within))
        if within:
            return GuestSaturation(base, run, threshold, base_codes, tuple(runs), first - 1)
    return GuestSaturation(base, run, threshold, base_codes, tuple(runs), None)


def random_orders(
    interviews: Sequence[Interview],
    *,
    permutations: int = 1000,
    seed: int = 0,
    base: int = 4,
    run: int = 2,
    threshold: float = 0.05,
) -> RandomOrders:
    """Accumulation over ``permutations`` random orders drawn with ``seed``.

    Raises:
        ValueError: fewer than one permutation.
    """
    if permutations < 1:
        raise ValueError(f"permutations must be at least 1; got {permutations}")
    codes = sorted(frozenset().union(*(i.codes for i in interviews)))
    n = len(interviews)
    present = np.array([[c in i.codes for c in codes] for i in interviews], dtype=bool)
    present = present.reshape(n, len(codes))
    orders = np.random.default_rng(seed).permuted(np.tile(np.arange(n), (permutations, 1)), axis=1)
    counts = np.logical_or.accumulate(present[orders], axis=1).sum(axis=2) if n else orders
    rows = [[int(v) for v in row] for row in counts]
    low, high = np.percentile(counts, [2.5, 97.5], axis=0) if n else ([], [])
    reach = {p: _mean_of([interviews_to_reach(r, len(codes), p) for r in rows]) for p in REACH}
    points = [guest_saturation(r, base=base, run=run, threshold=threshold).point for r in rows]
    reached = [p for p in points if p is not None]
    return RandomOrders(
        permutations,
        seed,
        tuple(float(v) for v in counts.mean(axis=0)) if n else (),
        tuple(float(v) for v in low),
        tuple(float(v) for v in high),
        reach,
        len(reached) / permutations,
        float(np.median(reached)) if reached else math.nan,
    )


def _mean_of(values: Sequence[int | None]) -> float:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else math.nan


def assess_saturation(
    interviews: Sequence[Interview],
    *,
    permutations: int = 1000,
    seed: int = 0,
    base: int = 4,
    run: int = 2,
    threshold: float = 0.05,
) -> Saturation:
    """Accumulation in the order given, the random orders, and saturation in both."""
    steps = accumulate(interviews)
    cumulative = [s.cumulative for s in steps]
    total = cumulative[-1] if cumulative else 0
    return Saturation(
        tuple(steps),
        total,
        {p: interviews_to_reach(cumulative, total, p) for p in REACH},
        guest_saturation(cumulative, base=base, run=run, threshold=threshold),
        random_orders(
            interviews,
            permutations=permutations,
            seed=seed,
            base=base,
            run=run,
            threshold=threshold,
        ),
    )
