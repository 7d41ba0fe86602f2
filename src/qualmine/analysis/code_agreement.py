"""Agreement per code on presence matrices, and the summary over codes.

A presence matrix holds, per unit and coder, 1 if the coder applied the code to the unit,
0 if not, ``None`` if the coder did not code that unit. The statistics and their
conventions (NaN where undefined, ``ValueError`` for malformed input, here also for
presence values other than 1/0/None) are those of `qualmine.analysis.agreement`.

A presence matrix (values 1, 0 or None) can also be given as pattern counts: how many units
show each row of values. `agreement_from_counts` and `matrix_agreement_from_counts` take
those, so a long matrix with few distinct rows never has to be built.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import TypeAlias

import numpy as np

from qualmine.analysis.agreement import (
    FloatArray,
    alpha_from_coincidences,
    coincidence_matrix,
    coincidences_from_counts,
    count_coders,
    fleiss_kappa,
    fleiss_kappa_from_counts,
    mean_defined,
    pairwise_cohen_kappa,
    percent_agreement,
    present_ratings,
)

Values: TypeAlias = "tuple[int | None, ...]"  # one presence value per coder
Counts: TypeAlias = "Mapping[Values, int]"  # how many units show each row of values

PRESENCE_VALUES = (0, 1)


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
        coincidences = coincidence_matrix(matrix, list(PRESENCE_VALUES))
        results.append(
            AgreementResult(
                code=code,
                unit=unit,
                n_units=sum(len(present_ratings(row)) >= 2 for row in matrix),
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
        mean_percent=mean_defined(r.percent for r in results),
        mean_cohen=mean_defined(r.cohen for r in results),
        mean_fleiss=mean_defined(r.fleiss for r in results),
        mean_alpha=mean_defined(r.alpha for r in results),
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
        cohen=mean_defined(kappas),
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
    cohen = mean_defined([_weighted_cohen(patterns, i, j) for i, j in pairs])
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


def _check_presence(code: str, matrix: Sequence[Sequence[int | None]]) -> None:
    count_coders(matrix)
    for i, row in enumerate(matrix):
        for value in row:
            if value is not None and value not in PRESENCE_VALUES:
                raise ValueError(
                    f"code {code!r}, unit {i}: presence must be 1, 0 or None, not {value!r}"
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
