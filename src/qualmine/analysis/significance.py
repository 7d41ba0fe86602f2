"""Significance tests for contingency tables, and multiple-testing adjustments.

Tables are counts: rows are one variable's categories (say, participant groups), columns
another's (say, whether a code was applied). Every function here is pure; the permutation
test is deterministic for a given seed.

A p-value of NaN means "not tested" (a table with a single non-empty row or column has
nothing to test); the adjustments leave NaN in place and count only the real tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import stats

Table: TypeAlias = "Sequence[Sequence[int]] | npt.NDArray[np.int64]"
IntArray: TypeAlias = "npt.NDArray[np.int64]"
FloatArray: TypeAlias = "npt.NDArray[np.float64]"

# Cap on permuted labels held in memory at once (8 bytes each): about 16 MB.
_BATCH_CELLS = 2_000_000
# Permuted statistics this close to the observed one count as ties, not as smaller:
# the same table can sum to a chi-square a few ulps apart.
_TIE_TOLERANCE = 1e-9


def fisher_exact_2x2(
    table: Table, *, alternative: Literal["two-sided", "less", "greater"] = "two-sided"
) -> float:
    """Fisher's exact test of independence for a 2 x 2 table.

    Args:
        table: ``[[a, b], [c, d]]`` counts.
        alternative: ``"two-sided"``, or ``"greater"``/``"less"`` for an odds ratio above
            or below 1.

    Returns:
        The exact p-value (``scipy.stats.fisher_exact``).

    Raises:
        ValueError: if the table is not 2 x 2 non-negative integer counts.
    """
    counts = _count_table(table)
    if counts.shape != (2, 2):
        raise ValueError(f"fisher_exact_2x2 needs a 2 x 2 table; got shape {counts.shape}")
    _, pvalue = stats.fisher_exact(counts, alternative=alternative)
    return float(pvalue)


def permutation_test_independence(
    table: Table, *, n_permutations: int = 10000, seed: int = 0
) -> float:
    """Monte Carlo permutation test of independence for an r x c table.

    The cases behind the table are rebuilt, their column labels shuffled
    ``n_permutations`` times (keeping both margins fixed), and the chi-square statistic of
    each shuffled table compared with the observed one. Unlike the chi-square test it
    needs no large expected counts. For a 2 x 2 table ``fisher_exact_2x2`` is exact.

    Args:
        table: r x c non-negative integer counts.
        n_permutations: number of random permutations, m.
        seed: seed for ``numpy.random.default_rng``; the same seed gives the same p.

    Returns:
        (b + 1) / (m + 1), where b counts permutations with a statistic at least the
        observed one; NaN when fewer than two rows or columns hold any cases.

    Raises:
        ValueError: if the table is not non-negative integer counts, or m < 1.
    """
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be at least 1; got {n_permutations}")
    counts = _count_table(table)
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if min(counts.shape) < 2:
        return math.nan
    rows = np.repeat(np.arange(counts.shape[0]), counts.sum(axis=1))
    columns = np.concatenate([np.repeat(np.arange(counts.shape[1]), r) for r in counts])
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / counts.sum()
    threshold = _chi_square(counts[np.newaxis], expected)[0] * (1 - _TIE_TOLERANCE)
    rng = np.random.default_rng(seed)
    at_least = 0
    for size in _batch_sizes(n_permutations, columns.size):
        shuffled = rng.permuted(np.tile(columns, (size, 1)), axis=1)
        tables = _tabulate(rows, shuffled, counts.shape)
        at_least += int(np.count_nonzero(_chi_square(tables, expected) >= threshold))
    return (at_least + 1) / (n_permutations + 1)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment, controlling the family-wise error rate.

    Args:
        pvalues: raw p-values; NaN marks a hypothesis that was not tested.

    Returns:
        Adjusted p-values in the input order; NaN stays NaN and does not count as a test.

    Raises:
        ValueError: if a p-value lies outside [0, 1].
    """
    raw, tested = _checked_pvalues(pvalues)
    p = raw[tested]
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (p.size - np.arange(p.size))
    adjusted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return _place(raw, tested[order], adjusted)


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg step-up adjustment, controlling the false discovery rate.

    Args:
        pvalues: raw p-values; NaN marks a hypothesis that was not tested.

    Returns:
        Adjusted p-values (q-values) in the input order; NaN stays NaN and does not count.

    Raises:
        ValueError: if a p-value lies outside [0, 1].
    """
    raw, tested = _checked_pvalues(pvalues)
    p = raw[tested]
    order = np.argsort(p, kind="stable")
    scaled = p[order] * p.size / np.arange(1, p.size + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return _place(raw, tested[order], adjusted)


def _count_table(table: Table) -> IntArray:
    values = np.asarray(table)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"a contingency table needs rows x columns; got shape {values.shape}")
    if not np.issubdtype(values.dtype, np.number) or (values < 0).any():
        raise ValueError("a contingency table holds non-negative counts")
    counts = values.astype(np.int64)
    if not np.array_equal(counts, values):
        raise ValueError("a contingency table holds whole-number counts")
    return counts


def _chi_square(tables: IntArray, expected: FloatArray) -> FloatArray:
    """Return Pearson's chi-square for each of a stack of tables sharing margins."""
    result: FloatArray = ((tables - expected) ** 2 / expected).sum(axis=(1, 2))
    return result


def _tabulate(rows: IntArray, columns: IntArray, shape: tuple[int, ...]) -> IntArray:
    """Cross-tabulate fixed row labels against each row of ``columns``: one table per row."""
    n_rows, n_columns = shape
    size = columns.shape[0]
    cells = n_rows * n_columns
    flat = rows * n_columns + columns + (np.arange(size) * cells)[:, np.newaxis]
    result: IntArray = np.bincount(flat.ravel(), minlength=size * cells).reshape(
        size, n_rows, n_columns
    )
    return result


def _batch_sizes(total: int, n_cases: int) -> Iterator[int]:
    step = max(1, _BATCH_CELLS // max(1, n_cases))
    for start in range(0, total, step):
        yield min(step, total - start)


def _checked_pvalues(pvalues: Sequence[float]) -> tuple[FloatArray, IntArray]:
    """Return the p-values as an array and the positions of those that are not NaN."""
    raw = np.asarray(pvalues, dtype=float).reshape(-1)
    tested = np.flatnonzero(~np.isnan(raw))
    if ((raw[tested] < 0) | (raw[tested] > 1)).any():
        raise ValueError("p-values must lie between 0 and 1 (NaN marks one not tested)")
    return raw, tested


def _place(raw: FloatArray, positions: IntArray, adjusted: FloatArray) -> list[float]:
    result = np.full(raw.shape, math.nan)
    result[positions] = adjusted
    return [float(v) for v in result]
