"""Inter-coder agreement: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha.

A ratings matrix is a sequence of units, each a sequence holding one value per coder. A
value is any hashable category label (``0``/``1``, code ids, strings); ``None`` (or a float
NaN) means the coder did not rate that unit. Every coder must have a slot in every unit.

Categories are nominal: labels are compared only for equality, never ordered.

A presence matrix (values 1, 0 or None) can also be given as pattern counts: how many units
show each row of values. `agreement_from_counts` and `matrix_agreement_from_counts` take
those, so a long matrix with few distinct rows never has to be built.

A statistic that is undefined for the data given (no unit rated twice, or every rating in
one category so that chance agreement is already perfect) comes back as ``float("nan")``
instead of raising, so one degenerate code does not stop a table of many. Malformed input
(ragged rows, negative counts, presence values other than 1/0/None) raises ``ValueError``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

Rating: TypeAlias = "Hashable | None"
Ratings: TypeAlias = "Sequence[Sequence[Hashable | None]]"
FloatArray: TypeAlias = "npt.NDArray[np.float64]"
Values: TypeAlias = "tuple[int | None, ...]"  # one presence value per coder
Counts: TypeAlias = "Mapping[Values, int]"  # how many units show each row of values

PRESENCE_VALUES = (0, 1)


@dataclass(frozen=True, slots=True)
class FleissComponents:
    """The terms of Fleiss' kappa for one counts table (Fleiss 1971).

    Attributes:
        n_subjects: number of subjects (rows), N.
        n_raters: ratings per subject, n.
        proportions: share of all ratings in each category, p_j, in column order.
        observed: mean agreement over subjects, P̄.
        expected: agreement expected by chance, P̄e = sum of p_j squared.
        kappa: (P̄ - P̄e) / (1 - P̄e); NaN when every rating is in one category.
    """

    n_subjects: int
    n_raters: int
    proportions: tuple[float, ...]
    observed: float
    expected: float
    kappa: float


@dataclass(frozen=True, slots=True)
class AgreementResult:
    """Agreement between coders on one code.

    Attributes:
        code: the code, as keyed in the presence mapping.
        unit: what one row of the presence matrix is (``"segment"``, ``"document"``).
        n_units: units rated by at least two coders; percent and alpha use these.
        percent: percent agreement as a proportion (0.85 means 85 %).
        cohen: Cohen's kappa for two coders; with more, the mean over coder pairs.
        fleiss: Fleiss' kappa over the units every coder rated.
        alpha: Krippendorff's alpha, nominal.
        coincidences: the nominal coincidence matrix for values 0 and 1 (rows and
            columns in that order); ``overall`` adds these up to pool alpha.
    """

    code: str
    unit: str
    n_units: int
    percent: float
    cohen: float
    fleiss: float
    alpha: float
    coincidences: tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True, slots=True)
class OverallAgreement:
    """Agreement summarised over codes.

    The ``mean_*`` figures weigh every code equally and skip codes where the statistic is
    undefined. The ``pooled_*`` figures treat every code-unit pair as one unit.

    Attributes:
        n_codes: number of codes summarised.
        n_units: code-unit pairs rated by at least two coders, over all codes.
        mean_percent: mean percent agreement over codes.
        mean_cohen: mean Cohen's kappa over codes.
        mean_fleiss: mean Fleiss' kappa over codes.
        mean_alpha: mean Krippendorff's alpha over codes.
        pooled_percent: percent agreement over all code-unit pairs.
        pooled_alpha: Krippendorff's alpha over all code-unit pairs.
    """

    n_codes: int
    n_units: int
    mean_percent: float
    mean_cohen: float
    mean_fleiss: float
    mean_alpha: float
    pooled_percent: float
    pooled_alpha: float


def percent_agreement(ratings: Ratings) -> float:
    """Share of agreeing coder pairs, averaged over the units rated by two or more coders.

    A unit rated by m coders holds m(m-1)/2 coder pairs and scores the share of them that
    gave the same value. With two coders this is the plain share of units they agree on.
    With more it is Fleiss' P̄ (the mean of his P_i), taken over the coders present in each
    unit, so every unit weighs the same whatever the number of coders who rated it.

    Args:
        ratings: units x coders; ``None`` marks a missing rating.

    Returns:
        A proportion between 0 and 1, or NaN when no unit was rated by two coders.
    """
    _count_coders(ratings)
    scores = []
    for unit in ratings:
        values = _present(unit)
        m = len(values)
        if m >= 2:
            same = sum(k * (k - 1) for k in Counter(values).values())
            scores.append(same / (m * (m - 1)))
    return math.fsum(scores) / len(scores) if scores else math.nan


def cohen_kappa(a: Sequence[Rating], b: Sequence[Rating]) -> float:
    """Cohen's kappa for two coders' labels of the same units.

    Only units both coders rated count. When chance agreement is 1 (both coders gave every
    unit the same single label) kappa is 0/0 and NaN is returned, not 1.0: with no variation
    there is nothing to tell agreement from chance, and a code nobody used would otherwise
    score perfect reliability. scikit-learn's ``cohen_kappa_score`` also gives NaN here.

    Args:
        a: the first coder's label per unit, ``None`` where missing.
        b: the second coder's label per unit, ``None`` where missing.

    Returns:
        (p_o - p_e) / (1 - p_e), or NaN when no unit was rated by both or p_e is 1.

    Raises:
        ValueError: if ``a`` and ``b`` differ in length.
    """
    if len(a) != len(b):
        raise ValueError(f"cohen_kappa needs paired labels; got {len(a)} and {len(b)}")
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if not (_is_missing(x) or _is_missing(y))]
    n = len(pairs)
    count_a = Counter(x for x, _ in pairs)
    count_b = Counter(y for _, y in pairs)
    # Integer n^2 * p_e, so the degenerate case is found exactly, not by float comparison.
    chance = sum(count_a[label] * count_b[label] for label in count_a)
    if n == 0 or chance == n * n:
        return math.nan
    p_o = sum(x == y for x, y in pairs) / n
    p_e = chance / (n * n)
    return (p_o - p_e) / (1 - p_e)


def pairwise_cohen_kappa(ratings: Ratings) -> float:
    """Mean of Cohen's kappa over every pair of coders (Light's kappa).

    With two coders this is their Cohen's kappa. Pairs whose kappa is undefined (no shared
    units, or a single label between them) are left out of the mean.

    Args:
        ratings: units x coders; ``None`` marks a missing rating.

    Returns:
        The mean kappa, or NaN when no pair of coders has one.
    """
    n_coders = _count_coders(ratings)
    columns = [[unit[i] for unit in ratings] for i in range(n_coders)]
    kappas = [cohen_kappa(columns[i], columns[j]) for i, j in combinations(range(n_coders), 2)]
    return _mean_defined(kappas)


def fleiss_kappa(ratings: Ratings) -> float:
    """Fleiss' kappa over the units that every coder rated.

    Units with any missing rating are dropped first, since Fleiss' kappa needs the same
    number of ratings per unit. For data with gaps, prefer ``krippendorff_alpha_nominal``.

    Args:
        ratings: units x coders; ``None`` marks a missing rating.

    Returns:
        Kappa, or NaN with fewer than two coders, no complete unit, or a single category.
    """
    n_coders = _count_coders(ratings)
    complete = [unit for unit in ratings if not any(_is_missing(v) for v in unit)]
    if n_coders < 2 or not complete:
        return math.nan
    return fleiss_kappa_from_counts(_value_counts(complete, _categories(complete)))


def fleiss_kappa_from_counts(table: Sequence[Sequence[float]] | FloatArray) -> float:
    """Fleiss' kappa from a counts table: one row per subject, one column per category.

    Args:
        table: ``table[i][j]`` is how many raters put subject i in category j; every row
            must add up to the same number of raters, at least 2.

    Returns:
        Kappa, or NaN when every rating falls in one category.
    """
    return fleiss_components(table).kappa


def fleiss_components(table: Sequence[Sequence[float]] | FloatArray) -> FleissComponents:
    """Compute P̄, P̄e, the category proportions and kappa from a counts table.

    Args:
        table: subjects x categories counts, every row with the same total of at least 2.

    Returns:
        The terms of Fleiss' kappa.

    Raises:
        ValueError: if the table is empty, not two-dimensional, has negative counts, or
            its rows do not all add up to the same number of raters (at least 2).
    """
    counts = _fleiss_table(table)
    n_subjects = counts.shape[0]
    n_raters = float(counts[0].sum())
    proportions = counts.sum(axis=0) / (n_subjects * n_raters)
    per_subject = ((counts**2).sum(axis=1) - n_raters) / (n_raters * (n_raters - 1))
    observed = float(per_subject.mean())
    expected = float((proportions**2).sum())
    single_category = np.count_nonzero(proportions) < 2
    kappa = math.nan if single_category else (observed - expected) / (1 - expected)
    return FleissComponents(
        n_subjects=n_subjects,
        n_raters=round(n_raters),
        proportions=tuple(float(p) for p in proportions),
        observed=observed,
        expected=expected,
        kappa=kappa,
    )


def krippendorff_alpha_nominal(ratings: Ratings) -> float:
    """Krippendorff's alpha for nominal data, with missing ratings allowed.

    Built from the coincidence matrix (Krippendorff 2011): each unit rated by m >= 2 coders
    adds its m(m-1) ordered pairs of values, each weighted 1/(m-1); units with fewer than
    two ratings are not pairable and drop out. Then alpha = 1 - D_o / D_e.

    Args:
        ratings: units x coders; ``None`` marks a missing rating.

    Returns:
        Alpha, or NaN when no unit is pairable or all pairable values are one category.
    """
    _count_coders(ratings)
    return alpha_from_coincidences(_coincidence_matrix(ratings, _categories(ratings)))


def coincidences_from_counts(counts: FloatArray) -> FloatArray:
    """Krippendorff's coincidence matrix o_ck from a units x categories counts table.

    Units with fewer than two values are not pairable and drop out. The sums run in unit
    order, so a table holding the same rows gives the same matrix, bit for bit.

    Args:
        counts: ``counts[u][c]`` is how many coders gave unit u category c.
    """
    m = counts.sum(axis=1)
    counts, m = counts[m >= 2], m[m >= 2]
    weighted = counts / (m - 1)[:, np.newaxis]
    result: FloatArray = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    return result


def alpha_from_coincidences(coincidences: FloatArray) -> float:
    """Nominal alpha = 1 - (n - 1) * (n - sum o_cc) / (n^2 - sum n_c^2).

    Args:
        coincidences: a coincidence matrix, as from `coincidences_from_counts`.

    Returns:
        Alpha, or NaN when fewer than two categories occur.
    """
    n_c = coincidences.sum(axis=0)
    if np.count_nonzero(n_c > 0) < 2:
        return math.nan
    n = float(n_c.sum())
    disagreeing = n - float(np.trace(coincidences))
    by_chance = n * n - float((n_c**2).sum())
    return 1.0 - (n - 1.0) * disagreeing / by_chance


def agreement_by_code(
    presence: Mapping[str, Sequence[Sequence[int | None]]], *, unit: str = "segment"
) -> list[AgreementResult]:
    """Agreement statistics for each code from its presence matrix.

    Args:
        presence: per code, a units x coders matrix: 1 if the coder applied the code to
            the unit, 0 if not, ``None`` if the coder did not code that unit.
        unit: what a row is, carried into each result for display.

    Returns:
        One result per code, in the mapping's order.

    Raises:
        ValueError: if a matrix is ragged or holds a value other than 1, 0 or None.
    """
    results = []
    for code, matrix in presence.items():
        _check_presence(code, matrix)
        coincidences = _coincidence_matrix(matrix, list(PRESENCE_VALUES))
        results.append(
            AgreementResult(
                code=code,
                unit=unit,
                n_units=sum(len(_present(row)) >= 2 for row in matrix),
                percent=percent_agreement(matrix),
                cohen=pairwise_cohen_kappa(matrix),
                fleiss=fleiss_kappa(matrix),
                alpha=alpha_from_coincidences(coincidences),
                coincidences=(
                    (float(coincidences[0, 0]), float(coincidences[0, 1])),
                    (float(coincidences[1, 0]), float(coincidences[1, 1])),
                ),
            )
        )
    return results


def overall(results: Sequence[AgreementResult]) -> OverallAgreement:
    """Summarise per-code agreement: means over codes and figures pooled over code-unit pairs.

    Pooled alpha adds up the codes' coincidence matrices, which gives exactly the alpha of
    all the codes' presence matrices stacked into one.

    Args:
        results: per-code results from ``agreement_by_code``.

    Returns:
        The summary; figures with no defined input are NaN.
    """
    n_units = sum(r.n_units for r in results)
    weighted = [r.percent * r.n_units for r in results if r.n_units > 0]
    pooled = np.zeros((2, 2))
    for r in results:
        pooled += np.array(r.coincidences, dtype=float)
    return OverallAgreement(
        n_codes=len(results),
        n_units=n_units,
        mean_percent=_mean_defined(r.percent for r in results),
        mean_cohen=_mean_defined(r.cohen for r in results),
        mean_fleiss=_mean_defined(r.fleiss for r in results),
        mean_alpha=_mean_defined(r.alpha for r in results),
        pooled_percent=math.fsum(weighted) / n_units if n_units else math.nan,
        pooled_alpha=alpha_from_coincidences(pooled),
    )


def agreement_from_counts(code: str, counts: Counts, *, unit: str = "segment") -> AgreementResult:
    """Agreement statistics from how many units show each pattern of values.

    Gives the figures of `agreement_by_code` on a matrix holding each pattern as many
    times as its count, without building that matrix. They can differ from those in the
    last digit, as the sums go in another order; `matrix_agreement_from_counts` matches
    them bit for bit.

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


def matrix_agreement_from_counts(
    code: str,
    counts: Counts,
    n_coders: int,
    *,
    unit: str = "segment",
    table: Callable[[], FloatArray] | None = None,
) -> AgreementResult:
    """`agreement_by_code` on one code's matrix, bit for bit, from its pattern counts.

    Units, percent and Cohen's kappa come from the counts for any number of coders. So do
    Fleiss' kappa and alpha for two coders, whose sums are then of whole numbers; with
    more they add fractions in unit order, and come from ``table``.

    Args:
        code: the code, carried into the result.
        counts: per pattern (one 1, 0 or None per coder), how many units show it.
        n_coders: how many coders the patterns hold.
        unit: what a unit is, carried into the result.
        table: gives the matrix as a units x (coders giving 0, coders giving 1) table, in
            unit order; needed with three or more coders.
    """
    patterns = [(p, w) for p, w in counts.items() if w > 0]
    n_units, percent = _pairable_percent(patterns)
    pairs = combinations(range(n_coders), 2)
    cohen = _mean_defined([_weighted_cohen(patterns, i, j) for i, j in pairs])
    if n_coders == 2:
        fleiss, o = _two_coder_fleiss(patterns), _two_coder_coincidences(patterns)
    else:
        if table is None:
            raise ValueError(f"code {code!r}: {n_coders} coders need the table in unit order")
        values = table()
        complete = values[values.sum(axis=1) == n_coders]
        fleiss = fleiss_kappa_from_counts(complete) if complete.shape[0] else math.nan
        o = coincidences_from_counts(values)
    return AgreementResult(
        code=code,
        unit=unit,
        n_units=n_units,
        percent=percent,
        cohen=cohen,
        fleiss=fleiss,
        alpha=alpha_from_coincidences(o),
        coincidences=((float(o[0, 0]), float(o[0, 1])), (float(o[1, 0]), float(o[1, 1]))),
    )


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _present(unit: Sequence[Rating]) -> list[Hashable]:
    return [v for v in unit if not _is_missing(v)]


def _count_coders(ratings: Ratings) -> int:
    """Return the number of coders, checking that every unit has one slot per coder."""
    widths = {len(unit) for unit in ratings}
    if len(widths) > 1:
        raise ValueError(f"every unit needs one value per coder; got rows of {sorted(widths)}")
    return widths.pop() if widths else 0


def _categories(ratings: Iterable[Sequence[Rating]]) -> list[Hashable]:
    """Return the labels used, in order of first appearance (labels need not be sortable)."""
    return list(dict.fromkeys(v for unit in ratings for v in _present(unit)))


def _value_counts(ratings: Iterable[Sequence[Rating]], categories: list[Hashable]) -> FloatArray:
    """Return units x categories: how many coders gave each label to each unit."""
    index = {label: j for j, label in enumerate(categories)}
    rows = []
    for unit in ratings:
        row = [0.0] * len(categories)
        for value in _present(unit):
            row[index[value]] += 1
        rows.append(row)
    return np.array(rows, dtype=float).reshape(len(rows), len(categories))


def _coincidence_matrix(ratings: Ratings, categories: list[Hashable]) -> FloatArray:
    """Return Krippendorff's coincidence matrix o_ck over the pairable units."""
    return coincidences_from_counts(_value_counts(ratings, categories))


def _fleiss_table(table: Sequence[Sequence[float]] | FloatArray) -> FloatArray:
    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2 or counts.shape[0] == 0 or counts.shape[1] == 0:
        raise ValueError(f"a counts table needs subjects x categories; got shape {counts.shape}")
    if (counts < 0).any():
        raise ValueError("a counts table cannot hold negative counts")
    totals = counts.sum(axis=1)
    if not np.allclose(totals, totals[0]) or totals[0] < 2:
        raise ValueError(
            "every subject needs the same number of ratings, at least 2; "
            f"row totals run from {totals.min():g} to {totals.max():g}"
        )
    return counts


def _check_presence(code: str, matrix: Sequence[Sequence[int | None]]) -> None:
    _count_coders(matrix)
    for i, row in enumerate(matrix):
        for value in row:
            if value is not None and value not in PRESENCE_VALUES:
                raise ValueError(
                    f"code {code!r}, unit {i}: presence must be 1, 0 or None, not {value!r}"
                )


def _mean_defined(values: Iterable[float]) -> float:
    defined = [v for v in values if not math.isnan(v)]
    return math.fsum(defined) / len(defined) if defined else math.nan


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


def _pairable_percent(patterns: Sequence[tuple[Values, int]]) -> tuple[int, float]:
    """Units rated by two or more coders, and `percent_agreement` over them.

    `percent_agreement` takes the `math.fsum` of the units' scores: their exact sum,
    correctly rounded, which is what the fractions give.
    """
    units: Counter[float] = Counter()  # units per score
    for values, weight in patterns:
        present = [v for v in values if v is not None]
        m = len(present)
        if m >= 2:
            n1 = sum(present)
            units[(n1 * (n1 - 1) + (m - n1) * (m - n1 - 1)) / (m * (m - 1))] += weight
    n = sum(units.values())
    agreeing = sum((Fraction(score) * w for score, w in units.items()), Fraction(0))
    return n, float(agreeing) / n if n else math.nan


def _two_coder_fleiss(patterns: Sequence[tuple[Values, int]]) -> float:
    """Fleiss' kappa with the steps of `fleiss_components`, for two coders."""
    complete = [(values, w) for values, w in patterns if None not in values]
    n = sum(w for _, w in complete)
    ones = sum(w * sum(v for v in values if v is not None) for values, w in complete)
    if ones in (0, 2 * n):  # no complete unit, or a single category
        return math.nan
    observed = sum(w for values, w in complete if values[0] == values[1]) / n
    p0, p1 = (2 * n - ones) / (2 * n), ones / (2 * n)
    expected = p0 * p0 + p1 * p1
    return (observed - expected) / (1 - expected)


def _two_coder_coincidences(patterns: Sequence[tuple[Values, int]]) -> FloatArray:
    """The coincidence matrix for two coders: each pairable unit adds its pair both ways."""
    o = [[0, 0], [0, 0]]
    for values, weight in patterns:
        if None not in values:
            a, b = (int(v) for v in values if v is not None)
            o[a][b] += weight
            o[b][a] += weight
    return np.array(o, dtype=float)
