"""Inter-coder agreement: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha.

A ratings matrix is a sequence of units, each a sequence holding one value per coder. A
value is any hashable category label (``0``/``1``, code ids, strings); ``None`` (or a float
NaN) means the coder did not rate that unit. Every coder must have a slot in every unit.

Categories are nominal: labels are compared only for equality, never ordered.

A statistic that is undefined for the data given (no unit rated twice, or every rating in
one category so that chance agreement is already perfect) comes back as ``float("nan")``
instead of raising, so one degenerate code does not stop a table of many. Malformed input
(ragged rows, negative counts) raises ``ValueError``.

Agreement per code on presence matrices, and from their pattern counts, is in
`qualmine.analysis.code_agreement`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

Rating: TypeAlias = "Hashable | None"
Ratings: TypeAlias = "Sequence[Sequence[Hashable | None]]"
FloatArray: TypeAlias = "npt.NDArray[np.float64]"


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
    count_coders(ratings)
    scores = []
    for unit in ratings:
        values = present_ratings(unit)
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
    n_coders = count_coders(ratings)
    columns = [[unit[i] for unit in ratings] for i in range(n_coders)]
    kappas = [cohen_kappa(columns[i], columns[j]) for i, j in combinations(range(n_coders), 2)]
    return mean_defined(kappas)


def fleiss_kappa(ratings: Ratings) -> float:
    """Fleiss' kappa over the units that every coder rated.

    Units with any missing rating are dropped first, since Fleiss' kappa needs the same
    number of ratings per unit. For data with gaps, prefer ``krippendorff_alpha_nominal``.

    Args:
        ratings: units x coders; ``None`` marks a missing rating.

    Returns:
        Kappa, or NaN with fewer than two coders, no complete unit, or a single category.
    """
    n_coders = count_coders(ratings)
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
    count_coders(ratings)
    return alpha_from_coincidences(coincidence_matrix(ratings, _categories(ratings)))


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


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def present_ratings(unit: Sequence[Rating]) -> list[Hashable]:
    """Return the unit's ratings, leaving out the missing ones."""
    return [v for v in unit if not _is_missing(v)]


def count_coders(ratings: Ratings) -> int:
    """Return the number of coders, checking that every unit has one slot per coder."""
    widths = {len(unit) for unit in ratings}
    if len(widths) > 1:
        raise ValueError(f"every unit needs one value per coder; got rows of {sorted(widths)}")
    return widths.pop() if widths else 0


def _categories(ratings: Iterable[Sequence[Rating]]) -> list[Hashable]:
    """Return the labels used, in order of first appearance (labels need not be sortable)."""
    return list(dict.fromkeys(v for unit in ratings for v in present_ratings(unit)))


def _value_counts(ratings: Iterable[Sequence[Rating]], categories: list[Hashable]) -> FloatArray:
    """Return units x categories: how many coders gave each label to each unit."""
    index = {label: j for j, label in enumerate(categories)}
    rows = []
    for unit in ratings:
        row = [0.0] * len(categories)
        for value in present_ratings(unit):
            row[index[value]] += 1
        rows.append(row)
    return np.array(rows, dtype=float).reshape(len(rows), len(categories))


def coincidence_matrix(ratings: Ratings, categories: list[Hashable]) -> FloatArray:
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


def mean_defined(values: Iterable[float]) -> float:
    """Return the mean of the values that are not NaN, or NaN when none is."""
    defined = [v for v in values if not math.isnan(v)]
    return math.fsum(defined) / len(defined) if defined else math.nan
