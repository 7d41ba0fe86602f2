"""Inter-coder agreement on code presence per unit: the tables behind `qualmine agree`.

For each code every unit gets one value per coder: 1 if a coding of the code by that coder
overlaps the unit, 0 if not, and None (missing) when the coder has not marked the unit's
document done. Missing is not "uncoded": Krippendorff's alpha leaves such values out,
Fleiss' kappa keeps only the units every coder rated, Cohen's kappa the units both rated.

Units are documents, turns, segments or characters. Character by character the presence
matrix would hold a row per character, so it is built as runs instead: stretches that every
coder rated alike, each weighted by its length. Every statistic here depends only on how many
units show each pattern of values, so `agreement_from_counts` gives from the runs exactly the
figures that `agreement_by_code` gives from the full matrix.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from qualmine.analysis.agreement import (
    AgreementResult,
    OverallAgreement,
    agreement_by_code,
    overall,
)
from qualmine.analysis.corpus import CodedCorpus, CorpusFilter, load_corpus
from qualmine.analysis.overlap import UnitKey, codes_per_unit
from qualmine.errors import QualmineError
from qualmine.models import Codebook, Table
from qualmine.project.config import Project
from qualmine.storage.codings import coders as stored_coders

LIVE_STATUSES = ("suggested", "accepted")
UNITS = ("document", "turn", "segment", "character")
TEXT_WIDTH = 100
Values = tuple[int | None, ...]
Counts = Mapping[Values, int]


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
class RatedSpan:
    """One row of a presence matrix: a unit, or a run of characters rated alike.

    Attributes:
        document_id: the document.
        start: first character, as an offset into the document's text.
        end: just past the last character.
        turn: index of the turn the span lies in; -1 for a whole document.
        values: per coder, in the order given: 1, 0, or None where missing.
        weight: how many units the row stands for: 1, or a run's length in characters.
    """

    document_id: int
    start: int
    end: int
    turn: int
    values: Values
    weight: int = 1


@dataclass(frozen=True, slots=True)
class Presence:
    """Per code, the presence matrix of the coders over the units.

    Attributes:
        unit: ``document``, ``turn``, ``segment`` or ``character``.
        coders: the coders compared, one column each.
        codes: codes some coder applied in these units, codebook order first.
        unused: codes of the codebook that no coder applied in these units.
        rows: per code, its rows in document-name and text order.
        corpus: the corpus the matrices were built from.
        rollup: whether a parent carries every unit its descendants carry.
    """

    unit: str
    coders: tuple[str, ...]
    codes: tuple[str, ...]
    unused: tuple[str, ...]
    rows: dict[str, tuple[RatedSpan, ...]]
    corpus: CodedCorpus
    rollup: bool = False


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


def agreement_from_counts(code: str, counts: Counts, *, unit: str = "segment") -> AgreementResult:
    """Agreement statistics from how many units show each pattern of values.

    Gives the same figures as `agreement_by_code` on a matrix holding each pattern as
    many times as its count, without building that matrix.

    Args:
        code: the code, carried into the result.
        counts: per pattern (one 1, 0 or None per coder), how many units show it.
        unit: what a unit is, carried into the result.
    """
    patterns = [(p, w) for p, w in counts.items() if w > 0]
    pairable, agreeing = 0, 0.0
    o = [[0.0, 0.0], [0.0, 0.0]]
    for values, weight in patterns:
        present = [v for v in values if v is not None]
        m = len(present)
        if m < 2:
            continue
        n1 = sum(present)
        n0 = m - n1
        pairable += weight
        agreeing += weight * (n1 * (n1 - 1) + n0 * (n0 - 1)) / (m * (m - 1))
        o[0][0] += weight * n0 * (n0 - 1) / (m - 1)
        o[1][1] += weight * n1 * (n1 - 1) / (m - 1)
        o[0][1] += weight * n0 * n1 / (m - 1)
        o[1][0] += weight * n0 * n1 / (m - 1)
    n_coders = len(patterns[0][0]) if patterns else 0
    kappas = [_weighted_cohen(patterns, i, j) for i, j in combinations(range(n_coders), 2)]
    return AgreementResult(
        code=code,
        unit=unit,
        n_units=pairable,
        percent=agreeing / pairable if pairable else math.nan,
        cohen=_mean_defined(kappas),
        fleiss=_weighted_fleiss(patterns, n_coders),
        alpha=_nominal_alpha(o),
        coincidences=((o[0][0], o[0][1]), (o[1][0], o[1][1])),
    )


def _weighted_cohen(patterns: Sequence[tuple[Values, int]], i: int, j: int) -> float:
    n = agree = a1 = b1 = 0
    for values, weight in patterns:
        a, b = values[i], values[j]
        if a is None or b is None:
            continue
        n += weight
        agree += weight * (a == b)
        a1 += weight * a
        b1 += weight * b
    chance = a1 * b1 + (n - a1) * (n - b1)
    if n == 0 or chance == n * n:
        return math.nan
    p_e = chance / (n * n)
    return (agree / n - p_e) / (1 - p_e)


def _weighted_fleiss(patterns: Sequence[tuple[Values, int]], k: int) -> float:
    complete = [
        (sum(v for v in values if v is not None), w) for values, w in patterns if None not in values
    ]
    total = sum(w for _, w in complete)
    ones = sum(w * n1 for n1, w in complete)
    if k < 2 or ones in (0, total * k):  # no complete unit, or a single category
        return math.nan
    observed = sum(w * (n1 * n1 + (k - n1) ** 2 - k) for n1, w in complete) / (total * k * (k - 1))
    p1 = ones / (total * k)
    expected = p1 * p1 + (1 - p1) * (1 - p1)
    return (observed - expected) / (1 - expected)


def _nominal_alpha(o: Sequence[Sequence[float]]) -> float:
    """Nominal alpha = 1 - (n - 1) * (n - sum o_cc) / (n^2 - sum n_c^2), as in agreement."""
    n_c = [o[0][0] + o[1][0], o[0][1] + o[1][1]]
    if min(n_c) <= 0:
        return math.nan
    n = n_c[0] + n_c[1]
    return 1.0 - (n - 1.0) * (n - o[0][0] - o[1][1]) / (n * n - n_c[0] ** 2 - n_c[1] ** 2)


def _mean_defined(values: Iterable[float]) -> float:
    defined = [v for v in values if not math.isnan(v)]
    return math.fsum(defined) / len(defined) if defined else math.nan


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


def agreement_of(presence: Presence) -> Agreement:
    """Agreement per code, the summary over codes, and the pooled figures."""
    per_code = tuple(code_result(c, presence.rows[c], presence.unit) for c in presence.codes)
    pooled: Counter[Values] = Counter()
    for code in presence.codes:
        pooled.update(pattern_counts(presence.rows[code]))
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


def presence_by_code(
    corpus: CodedCorpus, coders: Sequence[str], unit: str, *, rollup: bool = False
) -> Presence:
    """The presence matrices of the coders, per code, over the corpus's units.

    A coder's value is None in documents that coder did not mark done.
    """
    lineage = _lineage(corpus.codebook)
    candidates = _candidate_codes(corpus, rollup)
    if unit == "character":
        rows = _character_rows(corpus, coders, candidates, lineage if rollup else {})
    else:
        rows = _unit_rows(corpus, coders, unit, candidates, lineage if rollup else {})
    used = tuple(c for c in candidates if any(1 in r.values for r in rows[c]))
    codable = {c.id for c in corpus.codebook.codes if c.codable or rollup}
    unused = tuple(c for c in candidates if c not in used and c in codable)
    return Presence(unit, tuple(coders), used, unused, {c: rows[c] for c in used}, corpus, rollup)


def _lineage(codebook: Codebook) -> dict[str, tuple[str, ...]]:
    """Each code with its ancestors."""
    parent = {c.id: c.parent for c in codebook.codes}
    out: dict[str, tuple[str, ...]] = {}
    for code in parent:
        chain, at = [code], parent[code]
        while at is not None and at not in chain:
            chain.append(at)
            at = parent.get(at)
        out[code] = tuple(chain)
    return out


def _candidate_codes(corpus: CodedCorpus, rollup: bool) -> tuple[str, ...]:
    known = [c.id for c in corpus.codebook.codes if c.codable or rollup]
    extra = sorted({c.code for c in corpus.codings} - {c.id for c in corpus.codebook.codes})
    return (*known, *extra)


def _expand(codes: Iterable[str], lineage: Mapping[str, tuple[str, ...]]) -> set[str]:
    return {a for c in codes for a in lineage.get(c, (c,))}


def _ordered_units(corpus: CodedCorpus) -> list[tuple[UnitKey, int]]:
    keyed = [((u.document_id, u.start, u.end), u.turn_idx) for u in corpus.units]
    return sorted(keyed, key=lambda k: (corpus.documents[k[0][0]], k[0][1], k[0][2]))


def _unit_rows(
    corpus: CodedCorpus,
    coders: Sequence[str],
    unit: str,
    codes: Sequence[str],
    lineage: Mapping[str, tuple[str, ...]],
) -> dict[str, tuple[RatedSpan, ...]]:
    spans = _ordered_units(corpus)
    keys = [k for k, _ in spans]
    carried = []
    for coder in coders:
        sets = codes_per_unit(keys, (c for c in corpus.codings if c.coder == coder))
        carried.append({k: _expand(v, lineage) for k, v in sets.items()})
    if unit == "document":
        spans, carried = _whole_documents(corpus, keys, carried)
    done = [corpus.done.get(c, frozenset()) for c in coders]
    rows: dict[str, tuple[RatedSpan, ...]] = {}
    for code in codes:
        rows[code] = tuple(
            RatedSpan(
                key[0],
                key[1],
                key[2],
                turn,
                tuple(
                    int(code in sets[key]) if key[0] in d else None
                    for sets, d in zip(carried, done, strict=True)
                ),
            )
            for key, turn in spans
        )
    return rows


def _whole_documents(
    corpus: CodedCorpus, keys: Sequence[UnitKey], carried: Sequence[dict[UnitKey, set[str]]]
) -> tuple[list[tuple[UnitKey, int]], list[dict[UnitKey, set[str]]]]:
    """A document carries a code when one of its units does."""
    docs = sorted(corpus.documents, key=lambda d: corpus.documents[d])
    spans = [((d, 0, len(corpus.texts[d])), -1) for d in docs]
    merged: list[dict[UnitKey, set[str]]] = []
    for sets in carried:
        per_doc: dict[UnitKey, set[str]] = {key: set() for key, _ in spans}
        for key in keys:
            per_doc[(key[0], 0, len(corpus.texts[key[0]]))] |= sets[key]
        merged.append(per_doc)
    return spans, merged


def _character_rows(
    corpus: CodedCorpus,
    coders: Sequence[str],
    codes: Sequence[str],
    lineage: Mapping[str, tuple[str, ...]],
) -> dict[str, tuple[RatedSpan, ...]]:
    """Runs of characters rated alike, per code, over the sentences of the units."""
    spans: dict[int, set[tuple[int, int, int]]] = {d: set() for d in corpus.documents}
    for u in corpus.units:
        spans[u.document_id].update((s, e, u.turn_idx) for s, e in u.segments)
    covered: dict[tuple[str, str, int], list[tuple[int, int]]] = {}
    for c in corpus.codings:
        for code in lineage.get(c.code, (c.code,)):
            covered.setdefault((code, c.coder, c.document_id), []).append((c.start, c.end))
    docs = sorted(corpus.documents, key=lambda d: corpus.documents[d])
    rows: dict[str, tuple[RatedSpan, ...]] = {}
    for code in codes:
        out: list[RatedSpan] = []
        for doc in docs:
            coverage = [
                _merged(covered.get((code, coder, doc), []))
                if doc in corpus.done.get(coder, frozenset())
                else None
                for coder in coders
            ]
            out.extend(_runs(doc, sorted(spans[doc]), coverage))
        rows[code] = tuple(out)
    return rows


def _merged(intervals: Sequence[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Sorted, merged intervals as (starts, ends)."""
    starts: list[int] = []
    ends: list[int] = []
    for s, e in sorted(intervals):
        if ends and s <= ends[-1]:
            ends[-1] = max(ends[-1], e)
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends


def _runs(
    doc: int,
    spans: Sequence[tuple[int, int, int]],
    coverage: Sequence[tuple[list[int], list[int]] | None],
) -> Iterator[RatedSpan]:
    cuts = sorted({p for cov in coverage if cov for side in cov for p in side})
    for start, end, turn in spans:
        inner = cuts[bisect.bisect_right(cuts, start) : bisect.bisect_left(cuts, end)]
        points = [start, *inner, end]
        run_start, run_values = start, _values_at(coverage, start)
        for point in points[1:-1]:
            values = _values_at(coverage, point)
            if values != run_values:
                yield RatedSpan(doc, run_start, point, turn, run_values, point - run_start)
                run_start, run_values = point, values
        yield RatedSpan(doc, run_start, end, turn, run_values, end - run_start)


def _values_at(coverage: Sequence[tuple[list[int], list[int]] | None], at: int) -> Values:
    values: list[int | None] = []
    for cov in coverage:
        if cov is None:
            values.append(None)
            continue
        i = bisect.bisect_right(cov[0], at) - 1
        values.append(int(i >= 0 and cov[1][i] > at))
    return tuple(values)


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


def _coded(rows: Iterable[RatedSpan], n_coders: int) -> list[int]:
    counts = [0] * n_coders
    for row in rows:
        for i, value in enumerate(row.values):
            if value == 1:
                counts[i] += row.weight
    return counts


def _result_cells(result: AgreementResult) -> tuple[object, ...]:
    return (_percent(result.percent), result.cohen, result.fleiss, result.alpha)


def _stat_columns(coders: Sequence[str]) -> tuple[str, ...]:
    return ("agreement %", _cohen_label(coders), "Fleiss' kappa", "Krippendorff's alpha")


def per_code_table(agreement: Agreement, meta: dict[str, str]) -> Table:
    """One row per code: units rated twice or more, units each coder coded, statistics."""
    p = agreement.presence
    rows = tuple(
        (r.code, r.n_units, *_coded(p.rows[r.code], len(p.coders)), *_result_cells(r))
        for r in agreement.per_code
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
    detail: list[tuple[object, ...]] = []
    summary: list[tuple[object, ...]] = []
    for doc in sorted(names, key=lambda d: names[d]):
        rows = {c: [r for r in p.rows[c] if r.document_id == doc] for c in p.codes}
        results = [code_result(c, rows[c], p.unit) for c in p.codes if rows[c]]
        for r in results:
            if r.n_units:
                coded = _coded(rows[r.code], len(p.coders))
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


def disagreement_table(presence: Presence, meta: dict[str, str]) -> Table:
    """Every unit (or run of characters) where the coders who rated it disagree."""
    corpus = presence.corpus
    order = {code: i for i, code in enumerate(presence.codes)}
    found = [
        (code, row)
        for code in presence.codes
        for row in presence.rows[code]
        if 0 in row.values and 1 in row.values
    ]
    found.sort(key=lambda f: (corpus.documents[f[1].document_id], f[1].start, order[f[0]]))
    rows = tuple(
        (
            corpus.documents[row.document_id],
            _location(row),
            code,
            ", ".join(c for c, v in zip(presence.coders, row.values, strict=True) if v == 1),
            ", ".join(c for c, v in zip(presence.coders, row.values, strict=True) if v == 0),
            _excerpt(presence, code, row),
        )
        for code, row in found
    )
    columns = ("document", "location", "code", "coded by", "not coded by", "text")
    return Table("Disagreements", columns, rows, meta)


def _location(row: RatedSpan) -> str:
    if row.turn < 0:
        return "whole document"
    return f"turn {row.turn}, characters {row.start}-{row.end}"


def _excerpt(presence: Presence, code: str, row: RatedSpan) -> str:
    """The unit's text; for a whole document, the first passage a coder coded."""
    corpus = presence.corpus
    if row.turn >= 0:
        return truncate(corpus.texts[row.document_id][row.start : row.end])
    coding_coders = {c for c, v in zip(presence.coders, row.values, strict=True) if v == 1}
    lineage = _lineage(corpus.codebook) if presence.rollup else {}
    for c in corpus.codings:
        if (
            c.document_id == row.document_id
            and c.coder in coding_coders
            and code in lineage.get(c.code, (c.code,))
        ):
            return truncate(c.quote)
    return ""


def truncate(text: str, width: int = TEXT_WIDTH) -> str:
    """White space collapsed, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


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
