"""Code accumulation over successive interviews, and saturation after Guest, Namey and Chen.

An interview is a document the chosen coder(s) marked done; its codes are the codes of the
codings that overlap its units (participant speech by default). Taken in an order (document
name, interview date, or a seeded random order), each interview adds the codes not seen
before; the cumulative count is compared with the mean and the 2.5-97.5 percentile band of
the same count over many random orders of the same interviews.

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

With a codebook written before coding, the codes cannot appear "inductively"; what is
measured is how soon the interviews touch each code of a fixed list, and every report says
so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

import numpy as np

from qualmine.analysis.corpus import CodedCorpus, CorpusFilter, load_corpus
from qualmine.analysis.overlap import codes_per_unit
from qualmine.analysis.reliability import check_coders
from qualmine.errors import QualmineError
from qualmine.models import Table
from qualmine.project.config import Project
from qualmine.storage.documents import all_documents

ORDERS = ("name", "date", "random")
REACH = (90, 95)
FIXED_CODEBOOK = "code accumulation against a fixed codebook, not inductive saturation"


@dataclass(frozen=True, slots=True)
class SaturationRequest:
    """What `qualmine saturation` computes, and on which codings.

    Attributes:
        coders: whose codings (empty: the report coder, else every person).
        statuses: the coding statuses read.
        docs: ``--docs`` items.
        where: ``--where ATTRIBUTE=VALUE`` items.
        speaker_role: whose speech counts (None: everyone's).
        order: ``name``, ``date`` or ``random``.
        permutations: random orders behind the band and the means.
        seed: seed of the random orders (None: the project's seed).
        base: base size b.
        run: run length r.
        threshold: new-information threshold t, as a proportion (0.05 is 5 %).
        rollup: a code also counts as its ancestors.
    """

    coders: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("accepted",)
    docs: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    speaker_role: str | None = "participant"
    order: str = "name"
    permutations: int = 1000
    seed: int | None = None
    base: int = 4
    run: int = 2
    threshold: float = 0.05
    rollup: bool = False


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


def saturation_report(
    project: Project, request: SaturationRequest
) -> tuple[Saturation, list[Table]]:
    """Read the project, assess saturation, and build the tables of `qualmine saturation`.

    Raises:
        QualmineError: an unknown coder or order, or (``--order date``) documents without
            a date.
    """
    if request.order not in ORDERS:
        raise QualmineError(f"--order {request.order}; use one of {', '.join(ORDERS)}")
    if request.coders:
        check_coders(project, request.coders)
    corpus = load_corpus(
        project,
        CorpusFilter(
            request.coders, request.statuses, request.docs, request.where, request.speaker_role
        ),
    )
    seed = project.config.seed if request.seed is None else request.seed
    interviews = ordered_interviews(project, corpus, request.order, seed, request.rollup)
    saturation = assess_saturation(
        interviews,
        permutations=request.permutations,
        seed=seed,
        base=request.base,
        run=request.run,
        threshold=request.threshold,
    )
    return saturation, saturation_tables(saturation, _meta(corpus, request, seed))


def ordered_interviews(
    project: Project, corpus: CodedCorpus, order: str, seed: int, rollup: bool = False
) -> list[Interview]:
    """The corpus's documents as interviews, in the order asked for."""
    with project.session() as conn:
        metadata = {d.id: d.metadata for d in all_documents(conn) if d.id in corpus.documents}
    keys = [(u.document_id, u.start, u.end) for u in corpus.units]
    carried = codes_per_unit(keys, corpus.codings)
    codes: dict[int, set[str]] = {d: set() for d in corpus.documents}
    for key, found in carried.items():
        codes[key[0]] |= found
    lift = _ancestors(corpus) if rollup else (lambda code: (code,))
    interviews = [
        Interview(
            name,
            _date(corpus, doc, metadata[doc]),
            frozenset(a for c in codes[doc] for a in lift(c)),
        )
        for doc, name in sorted(corpus.documents.items(), key=lambda item: item[1])
    ]
    if order == "date":
        undated = [i.name for i in interviews if not i.date]
        if undated:
            raise QualmineError(
                f"--order date: no date for {', '.join(undated)}; add `date:` to the "
                "document's front matter or an interview_date attribute to its case"
            )
        interviews.sort(key=lambda i: (i.date, i.name))
    elif order == "random":
        positions = np.random.default_rng(seed).permutation(len(interviews))
        interviews = [interviews[int(p)] for p in positions]
    return interviews


def _ancestors(corpus: CodedCorpus) -> Callable[[str], tuple[str, ...]]:
    parent = {c.id: c.parent for c in corpus.codebook.codes}

    def lift(code: str) -> tuple[str, ...]:
        chain = [code]
        while parent.get(chain[-1]) is not None and len(chain) <= len(parent):
            chain.append(str(parent[chain[-1]]))
        return tuple(chain)

    return lift


def _date(corpus: CodedCorpus, doc: int, metadata: dict[str, object]) -> str:
    """The document's ``date``, else the first of its cases' ``interview_date``, ISO form."""
    candidates: list[object] = [metadata.get("date")]
    candidates += [corpus.cases.get(c, {}).get("interview_date") for c in corpus.doc_cases[doc]]
    for value in candidates:
        if value in (None, ""):
            continue
        text = str(value).strip()
        try:
            return datetime.fromisoformat(text).date().isoformat()
        except ValueError:
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                raise QualmineError(
                    f"document {corpus.documents[doc]}: date {text!r} is not YYYY-MM-DD"
                ) from None
    return ""


ACCUMULATION_COLUMNS = (
    "interview", "document", "date", "codes", "new", "new codes", "cumulative",
    "% of observed", "random orders mean", "random 2.5%", "random 97.5%",
)  # fmt: skip
RUN_COLUMNS = ("run", "interviews", "new codes", "base codes", "new information %", "within")


def saturation_tables(saturation: Saturation, meta: dict[str, str]) -> list[Table]:
    """The accumulation table, the summary, and the runs of Guest, Namey and Chen."""
    rand = saturation.random
    rows = tuple(
        (s.position, s.document, s.date, s.codes, len(s.new), ", ".join(s.new), s.cumulative,
         round(100 * s.share, 1), rand.mean[i], rand.low[i], rand.high[i])
        for i, s in enumerate(saturation.steps)
    )  # fmt: skip
    guest = saturation.guest
    runs = tuple(
        (k, _interviews(r.first, r.last), r.new, guest.base_codes, round(100 * r.ratio, 1),
         "yes" if r.within else "no")
        for k, r in enumerate(guest.runs, start=1)
    )  # fmt: skip
    summary_columns = ("measure", "this order", "mean over random orders")
    return [
        Table("Code accumulation", ACCUMULATION_COLUMNS, rows, meta),
        Table("Saturation summary", summary_columns, _summary_rows(saturation), meta),
        Table("Saturation runs (Guest, Namey and Chen)", RUN_COLUMNS, runs, meta),
    ]


def _summary_rows(saturation: Saturation) -> tuple[tuple[object, ...], ...]:
    g, rand = saturation.guest, saturation.random
    rows: list[tuple[object, ...]] = [
        ("interviews", len(saturation.steps), ""),
        ("codes observed", saturation.total, ""),
    ]
    for percent in REACH:
        reached = saturation.reach[percent]
        rows.append(
            (
                f"interviews until {percent}% of the observed codes",
                "not reached" if reached is None else reached,
                rand.reach[percent],
            )
        )
    label = (
        f"saturation (Guest, Namey and Chen: base {g.base}, run {g.run}, "
        f"new information <= {100 * g.threshold:g}%)"
    )
    across = f"reached in {100 * rand.guest_reached:.1f}% of orders" + (
        f"; median after interview {rand.guest_median:g}" if rand.guest_reached else ""
    )
    rows.append((label, guest_statement(g), across))
    return tuple(rows)


def guest_statement(g: GuestSaturation) -> str:
    """One sentence: where saturation was reached, or that it was not, and why."""
    if g.reason:
        return f"not assessable: {g.reason}"
    if g.point is None:
        return (
            f"not reached: no run of {g.run} interviews after the base added at most "
            f"{100 * g.threshold:g}% new codes (base: {g.base_codes} codes)"
        )
    last = g.runs[-1]
    return (
        f"reached after interview {g.point}: {_interviews(last.first, last.last)} added "
        f"{last.new} new codes, {100 * last.ratio:.1f}% of the base's {g.base_codes}"
    )


def _interviews(first: int, last: int) -> str:
    return f"interview {first}" if first == last else f"interviews {first}-{last}"


def _meta(corpus: CodedCorpus, request: SaturationRequest, seed: int) -> dict[str, str]:
    meta = corpus.describe()
    meta["note"] = FIXED_CODEBOOK
    meta["interview"] = (
        "a document marked done by the coder(s); its codes are those of the codings that "
        "overlap its units"
    )
    meta["order"] = {
        "name": "document name order",
        "date": "interview date order (the document's date, else its case's interview_date)",
        "random": f"one random order (seed {seed})",
    }[request.order]
    meta["random orders"] = (
        f"{request.permutations} random orders of the same interviews (seed {seed}): mean and "
        "2.5th-97.5th percentile band of the cumulative count"
    )
    codable = sum(1 for c in corpus.codebook.codes if c.codable or request.rollup)
    meta["share"] = (
        f"% of the codes observed in all these interviews, not of the {codable} codes of "
        "the codebook"
    )
    meta["saturation rule"] = (
        f"Guest, Namey and Chen (2020): the base is {_interviews(1, request.base)}; runs of "
        f"{request.run} interview(s) after it, moving on one interview at a time, are checked "
        "for codes no earlier interview held; saturation is reached after the interview "
        f"before the first run whose new codes are at most {100 * request.threshold:g}% of "
        "the base's count"
    )
    if request.rollup:
        meta["rollup"] = "a code also counts as every code above it"
    return meta
