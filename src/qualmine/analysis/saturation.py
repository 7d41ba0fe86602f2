"""Code accumulation over successive interviews, and saturation after Guest, Namey and Chen.

An interview is a document the chosen coder(s) marked done; its codes are the codes of the
codings that overlap its units (participant speech by default). Taken in an order (document
name, interview date, or a seeded random order), each interview adds the codes not seen
before; the cumulative count is compared with the mean and the 2.5-97.5 percentile band of
the same count over many random orders of the same interviews.

With a codebook written before coding, the codes cannot appear "inductively"; what is
measured is how soon the interviews touch each code of a fixed list, and every report says
so.

The counting itself, and Guest, Namey and Chen's procedure, are in
`qualmine.analysis.accumulation`; this module reads the interviews from the project and
builds the tables of `qualmine saturation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from qualmine.analysis.accumulation import (
    REACH,
    GuestSaturation,
    Interview,
    Saturation,
    assess_saturation,
)
from qualmine.analysis.corpus import CodedCorpus, CorpusFilter, load_corpus
from qualmine.analysis.overlap import codes_per_unit
from qualmine.analysis.reliability import check_coders
from qualmine.errors import QualmineError
from qualmine.models import Table
from qualmine.project.config import Project
from qualmine.storage.documents import all_documents

ORDERS = ("name", "date", "random")
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
