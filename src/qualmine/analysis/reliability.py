"""Inter-coder agreement on code presence per unit: the tables behind `qualmine agree`.

For each code every unit gets one value per coder: 1 if a coding of the code by that coder
overlaps the unit, 0 if not, and None (missing) when the coder has not marked the unit's
document done. Missing is not "uncoded": Krippendorff's alpha leaves such values out,
Fleiss' kappa keeps only the units every coder rated, Cohen's kappa the units both rated.
Units are documents, turns, segments or characters; `qualmine.analysis.presence` builds the
matrices.

Every statistic depends on how many units show each pattern of values, so the figures come
from pattern counts: `agreement_from_counts` for characters (and the pooled figures), and
for other units `agreement_by_code`'s own arithmetic done on the counts. With two coders
that arithmetic adds whole numbers only, so the counts give its figures bit for bit; with
more, Fleiss' kappa and alpha add fractions unit by unit, and those two are computed from the
code's units in order, as `agreement_by_code` computes them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from qualmine.analysis.code_agreement import (
    AgreementResult,
    Counts,
    OverallAgreement,
    Values,
    agreement_by_code,
    agreement_from_counts,
    matrix_agreement_from_counts,
    overall,
)
from qualmine.analysis.corpus import CodedCorpus, CorpusFilter, load_corpus
from qualmine.analysis.disagreements import disagreement_table
from qualmine.analysis.presence import Presence, RatedSpan, presence_by_code
from qualmine.errors import QualmineError
from qualmine.models import Table
from qualmine.project.config import Project
from qualmine.storage.codings import coders as stored_coders

LIVE_STATUSES = ("suggested", "accepted")
UNITS = ("document", "turn", "segment", "character")


@dataclass(frozen=True, slots=True)
class Selection:
    """The shared filters agreement reads with (used only when given a project).

    Attributes:
        statuses: the codings read; by default every non-rejected one.
        docs: ``--docs`` items.
        where: ``--where ATTRIBUTE=VALUE`` items.
        speaker_role: whose speech makes the units (None: everyone's).
    """

    statuses: tuple[str, ...] = LIVE_STATUSES
    docs: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    speaker_role: str | None = "participant"


@dataclass(frozen=True, slots=True)
class Agreement:
    """Agreement per code and over codes, with the presence matrices behind it.

    Attributes:
        presence: the presence matrices.
        per_code: one result per code in ``presence.codes``.
        overall: means over codes, plus pooled percent and alpha.
        pooled: every statistic over all code-unit pairs taken as one matrix.
    """

    presence: Presence
    per_code: tuple[AgreementResult, ...]
    overall: OverallAgreement
    pooled: AgreementResult


def check_coders(project: Project, coders: Sequence[str]) -> None:
    """Refuse coders the project does not know (no codings and no done-marks).

    Raises:
        QualmineError: one line naming the unknown coders and listing the known ones.
    """
    with project.session() as conn:
        known = stored_coders(conn)
    unknown = [c for c in coders if c not in known]
    if unknown:
        raise QualmineError(
            f"unknown coder(s) {', '.join(unknown)}; known coders: {', '.join(known) or 'none'}"
        )


def pattern_counts(rows: Iterable[RatedSpan]) -> Counter[Values]:
    """How many units (weights summed) show each pattern of values."""
    counts: Counter[Values] = Counter()
    for row in rows:
        counts[row.values] += row.weight
    return counts


def code_result(code: str, rows: Sequence[RatedSpan], unit: str) -> AgreementResult:
    """One code's agreement: `agreement_by_code` on its matrix, or from counts for characters."""
    if unit == "character":
        return agreement_from_counts(code, pattern_counts(rows), unit=unit)
    return agreement_by_code({code: [list(r.values) for r in rows]}, unit=unit)[0]


def _result(
    presence: Presence, index: int, counts: Counts, document: int | None = None
) -> AgreementResult:
    """What `code_result` gives on a code's rows (in one document, or all), from counts."""
    code = presence.codes[index]
    if presence.unit == "character":
        return agreement_from_counts(code, counts, unit="character")
    table = partial(presence.cells.value_table, index, document)
    return matrix_agreement_from_counts(
        code, counts, len(presence.coders), unit=presence.unit, table=table
    )


def agreement_of(presence: Presence) -> Agreement:
    """Agreement per code, the summary over codes, and the pooled figures."""
    counts = presence.cells.code_counts()
    per_code = tuple(_result(presence, i, counts[i]) for i in range(len(presence.codes)))
    pooled = presence.cells.pooled_counts()
    return Agreement(
        presence,
        per_code,
        overall(per_code),
        agreement_from_counts("(pooled)", pooled, unit=presence.unit),
    )


def agreement_on_presence(
    source: Project | CodedCorpus,
    coders: Sequence[str],
    unit: str = "segment",
    *,
    selection: Selection | None = None,
    rollup: bool = False,
) -> Agreement:
    """Agreement between coders on whether each unit carries each code.

    Args:
        source: a project, or a corpus already loaded with these coders (whose filters
            then stand: ``selection`` is not used).
        coders: two or more coders.
        unit: ``document``, ``turn``, ``segment`` or ``character``.
        selection: statuses and filters; by default every non-rejected coding of
            participant speech in every document.
        rollup: a parent code also carries the units its descendants carry.

    Raises:
        QualmineError: fewer than two coders, an unknown coder, or a coder who marked
            none of the documents done.
    """
    chosen = tuple(dict.fromkeys(coders))
    if unit not in UNITS:
        raise QualmineError(f"unit {unit!r}; use one of {', '.join(UNITS)}")
    if len(chosen) < 2:
        raise QualmineError(f"agreement needs two or more coders; got {', '.join(chosen)}")
    if isinstance(source, CodedCorpus):
        corpus = _checked_corpus(source, chosen, unit)
    else:
        check_coders(source, chosen)
        kind = unit if unit in ("document", "turn") else "segment"
        sel = selection or Selection()
        wanted = CorpusFilter(chosen, sel.statuses, sel.docs, sel.where, sel.speaker_role, kind)
        corpus = load_corpus(source, wanted)
    for coder in chosen:
        if not corpus.done.get(coder, frozenset()) & corpus.documents.keys():
            raise QualmineError(
                f"coder {coder!r} has marked none of these documents done; only done documents "
                f"count (`qualmine --as {coder} done DOC`)"
            )
    return agreement_of(presence_by_code(corpus, chosen, unit, rollup=rollup))


def _checked_corpus(corpus: CodedCorpus, coders: Sequence[str], unit: str) -> CodedCorpus:
    missing = [c for c in coders if c not in corpus.coders]
    if missing:
        raise ValueError(f"the corpus was not loaded with coder(s) {', '.join(missing)}")
    kind = "turn" if corpus.filters.unit in ("document", "turn") else "segment"
    if unit in ("turn", "segment") and kind != unit:
        raise ValueError(f"unit {unit!r} needs a corpus of {unit} units, not {kind} units")
    return corpus


def agreement_table(
    source: Project | CodedCorpus,
    coders: Sequence[str],
    unit: str = "segment",
    *,
    selection: Selection | None = None,
    rollup: bool = False,
    disagreements: bool = False,
    by: str | None = None,
) -> list[Table]:
    """The tables of `qualmine agree`: per code, overall, by document, disagreements.

    Args:
        source: a project, or a corpus loaded with these coders.
        coders: two or more coders.
        unit: ``document``, ``turn``, ``segment`` or ``character``.
        selection: statuses and filters (see `agreement_on_presence`).
        rollup: a parent code also carries the units its descendants carry.
        disagreements: add a table listing every disagreement.
        by: ``"document"`` to add the per-code and overall tables for each document.
    """
    if by not in (None, "document"):
        raise QualmineError(f"--by {by}: only --by document is supported")
    agreement = agreement_on_presence(source, coders, unit, selection=selection, rollup=rollup)
    meta = agreement_meta(agreement)
    tables = [per_code_table(agreement, meta), overall_table(agreement, meta)]
    if by == "document":
        tables += by_document_tables(agreement, meta)
    if disagreements:
        tables.append(disagreement_table(agreement.presence, meta))
    return tables


def _cohen_label(coders: Sequence[str]) -> str:
    return "Cohen's kappa" if len(coders) == 2 else "mean pairwise Cohen's kappa"


def _percent(p: float) -> float:
    return round(100.0 * p, 1)


def _coded(counts: Counts, n_coders: int) -> list[int]:
    """Per coder, the units (weights summed) where that coder's value is 1."""
    return [sum(w for values, w in counts.items() if values[i] == 1) for i in range(n_coders)]


def _result_cells(result: AgreementResult) -> tuple[object, ...]:
    return (_percent(result.percent), result.cohen, result.fleiss, result.alpha)


def _stat_columns(coders: Sequence[str]) -> tuple[str, ...]:
    return ("agreement %", _cohen_label(coders), "Fleiss' kappa", "Krippendorff's alpha")


def per_code_table(agreement: Agreement, meta: dict[str, str]) -> Table:
    """One row per code: units rated twice or more, units each coder coded, statistics."""
    p = agreement.presence
    counts = p.cells.code_counts()
    rows = tuple(
        (r.code, r.n_units, *_coded(counts[i], len(p.coders)), *_result_cells(r))
        for i, r in enumerate(agreement.per_code)
    )
    columns = ("code", "units", *(f"coded by {c}" for c in p.coders), *_stat_columns(p.coders))
    return Table("Agreement per code", columns, rows, meta)


def overall_table(agreement: Agreement, meta: dict[str, str]) -> Table:
    """The mean over codes beside the figure pooled over all code-unit pairs."""
    o, pooled = agreement.overall, agreement.pooled
    rows = (
        ("agreement %", _percent(o.mean_percent), _percent(o.pooled_percent)),
        (_cohen_label(agreement.presence.coders), o.mean_cohen, pooled.cohen),
        ("Fleiss' kappa", o.mean_fleiss, pooled.fleiss),
        ("Krippendorff's alpha", o.mean_alpha, o.pooled_alpha),
        ("codes", o.n_codes, o.n_codes),
        ("units rated by two or more coders", "", o.n_units),
    )
    columns = ("measure", "mean over codes", "pooled over code-unit pairs")
    return Table("Agreement overall", columns, rows, meta)


def by_document_tables(agreement: Agreement, meta: dict[str, str]) -> list[Table]:
    """Per document: the per-code rows, and a summary row."""
    p = agreement.presence
    names = p.corpus.documents
    counts = p.cells.document_counts()
    sizes = p.cells.document_sizes()
    detail: list[tuple[object, ...]] = []
    summary: list[tuple[object, ...]] = []
    for d, doc in enumerate(p.cells.documents):
        found = [counts.get((i, d), Counter()) for i in range(len(p.codes))] if sizes[d] else []
        results = [_result(p, i, c, d) for i, c in enumerate(found)]
        for r, c in zip(results, found, strict=True):
            if r.n_units:
                coded = _coded(c, len(p.coders))
                detail.append((names[doc], r.code, r.n_units, *coded, *_result_cells(r)))
        o = overall(results)
        summary.append(
            (names[doc], o.n_units, _percent(o.mean_percent), o.mean_cohen, o.mean_fleiss,
             o.mean_alpha, o.pooled_alpha)
        )  # fmt: skip
    coders = tuple(f"coded by {c}" for c in p.coders)
    summary_columns = (
        "document", "code-unit pairs", "mean agreement %", f"mean {_cohen_label(p.coders)}",
        "mean Fleiss' kappa", "mean Krippendorff's alpha", "pooled Krippendorff's alpha",
    )  # fmt: skip
    return [
        Table("Agreement per code by document",
              ("document", "code", "units", *coders, *_stat_columns(p.coders)),
              tuple(detail), meta),
        Table("Agreement overall by document", summary_columns, tuple(summary), meta),
    ]  # fmt: skip


def agreement_meta(agreement: Agreement) -> dict[str, str]:
    """The statements printed with every agreement table."""
    p = agreement.presence
    corpus = p.corpus
    role = corpus.filters.speaker_role or "any"
    meta = corpus.describe()
    meta["unit"] = (
        f"character (every character of the sentences of {role} speech)"
        if p.unit == "character"
        else f"{p.unit} ({role} speech)"
    )
    meta["denominator"] = (
        f"units of {len(corpus.documents)} documents marked done by "
        f"{' or '.join(p.coders)}; each statistic counts the units rated by two or more coders"
    )
    meta["missing"] = _missing_statement(p)
    live = tuple(sorted(corpus.filters.statuses)) == tuple(sorted(LIVE_STATUSES))
    meta["statuses"] = ", ".join(corpus.filters.statuses) + (
        " (every non-rejected coding of the coders named)" if live else ""
    )
    meta["presence"] = "a unit carries a code for a coder when a coding of theirs overlaps it"
    meta["statistics"] = (
        "Cohen's kappa for two coders, with more the mean over coder pairs; Fleiss' kappa over "
        "the units every coder rated; Krippendorff's alpha, nominal, missing data allowed; "
        "blank where undefined"
    )
    meta["overall"] = (
        "mean over codes (undefined values left out) beside the figure pooled over every "
        "code-unit pair"
    )
    meta["codes"] = f"{len(p.codes)} used by at least one coder" + (
        f"; used by none: {', '.join(p.unused)}" if p.unused else ""
    )
    if p.rollup:
        meta["rollup"] = "a parent code carries every unit that it or a code below it carries"
    return meta


def _missing_statement(presence: Presence) -> str:
    corpus = presence.corpus
    parts = []
    for coder in presence.coders:
        done = corpus.done.get(coder, frozenset())
        absent = sorted(corpus.documents[d] for d in corpus.documents if d not in done)
        if absent:
            parts.append(f"{coder} did not mark {', '.join(absent)} done")
    if not parts:
        return "none: every coder marked every document done"
    return "; ".join(parts) + " (those units are missing for that coder, not uncoded)"
