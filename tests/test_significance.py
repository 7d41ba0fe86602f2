"""Significance tests and p-value adjustments against exact values and reference code."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests

from qualmine.analysis.significance import (
    benjamini_hochberg,
    fisher_exact_2x2,
    holm,
    permutation_test_independence,
)

# Fisher's lady tasting tea: 8 cups, 4 milk-first; she picks 3 of the 4 correctly.
TEA = [[3, 1], [1, 3]]


def exact_permutation_p(table: list[list[int]]) -> float:
    """Exact p of the chi-square permutation test for a two-row table, by enumeration."""
    counts = np.array(table)
    rows, columns, total = counts.sum(axis=1), counts.sum(axis=0), int(counts.sum())
    expected = np.outer(rows, columns) / total

    def chi_square(t: np.ndarray) -> float:
        return float(((t - expected) ** 2 / expected).sum())

    observed = chi_square(counts)
    p = 0.0
    for first in itertools.product(*(range(int(c) + 1) for c in columns)):
        if sum(first) != rows[0]:
            continue
        candidate = np.array([first, columns - np.array(first)])
        if chi_square(candidate) >= observed - 1e-9:
            ways = math.prod(math.comb(int(c), k) for c, k in zip(columns, first, strict=True))
            p += ways / math.comb(total, int(rows[0]))
    return p


# --- Fisher -----------------------------------------------------------------------------------


def test_fisher_tea_tasting() -> None:
    # Exactly 34/70 two-sided and 17/70 one-sided (published as 0.4857 and 0.2429).
    assert fisher_exact_2x2(TEA) == pytest.approx(34 / 70, abs=1e-12)
    assert round(fisher_exact_2x2(TEA), 4) == 0.4857
    assert fisher_exact_2x2(TEA, alternative="greater") == pytest.approx(17 / 70, abs=1e-12)
    assert round(fisher_exact_2x2(TEA, alternative="greater"), 4) == 0.2429


def test_fisher_rejects_other_shapes() -> None:
    with pytest.raises(ValueError, match="2 x 2"):
        fisher_exact_2x2([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError, match="non-negative"):
        fisher_exact_2x2([[1, -2], [4, 5]])
    with pytest.raises(ValueError, match="whole-number"):
        fisher_exact_2x2([[1, 2.5], [4, 5]])  # type: ignore[list-item]


# --- permutation test ---------------------------------------------------------------------------


def test_permutation_p_near_exact_p_on_small_table() -> None:
    table = [[3, 1, 2, 0, 4], [1, 3, 2, 3, 1]]
    exact = exact_permutation_p(table)  # 0.18617
    # Monte Carlo standard error with 10000 permutations is about 0.004.
    assert permutation_test_independence(table) == pytest.approx(exact, abs=0.02)


def test_permutation_p_near_fisher_on_balanced_2x2() -> None:
    # With balanced margins, chi-square orders 2 x 2 tables as Fisher's test does.
    assert permutation_test_independence(TEA) == pytest.approx(34 / 70, abs=0.02)


def test_permutation_p_near_chi_square_p_on_large_table() -> None:
    table = [[30, 45, 25], [40, 30, 30]]
    asymptotic = stats.chi2_contingency(table, correction=False).pvalue
    assert permutation_test_independence(table) == pytest.approx(asymptotic, abs=0.02)


def test_permutation_p_matches_scipy_resampling_when_available() -> None:
    method = getattr(stats, "PermutationMethod", None)
    if method is None:
        pytest.skip("this scipy has no PermutationMethod")
    table = [[12, 5, 9], [4, 11, 6], [7, 8, 3]]
    try:
        reference = stats.chi2_contingency(
            table, correction=False, method=method(n_resamples=20000, rng=1)
        ).pvalue
    except TypeError:
        pytest.skip("this scipy has no resampling chi2_contingency")
    ours = permutation_test_independence(table, n_permutations=20000)
    assert ours == pytest.approx(reference, abs=0.02)


def test_permutation_is_deterministic_for_a_seed() -> None:
    table = [[3, 1, 2, 0, 4], [1, 3, 2, 3, 1]]
    first = permutation_test_independence(table, seed=7)
    assert permutation_test_independence(table, seed=7) == first
    assert permutation_test_independence(np.array(table), seed=7) == first


def test_permutation_p_bounds() -> None:
    m = 2000
    perfect = [[10, 0], [0, 10]]  # exact p = 2 / C(20, 10), about 1e-5
    assert 1 / (m + 1) <= permutation_test_independence(perfect, n_permutations=m) <= 5 / (m + 1)
    independent = [[5, 5], [5, 5]]
    assert permutation_test_independence(independent, n_permutations=m) == 1.0


def test_permutation_untestable_tables_are_nan() -> None:
    assert math.isnan(permutation_test_independence([[3, 4, 5]]))
    assert math.isnan(permutation_test_independence([[3, 0], [4, 0]]))
    assert math.isnan(permutation_test_independence([[0, 0], [0, 0]]))


def test_permutation_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="n_permutations"):
        permutation_test_independence(TEA, n_permutations=0)
    with pytest.raises(ValueError, match="non-negative"):
        permutation_test_independence([[1, -1], [2, 2]])


# --- adjustments -------------------------------------------------------------------------------


def test_adjustments_by_hand() -> None:
    raw = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted .005 .01 .03 .04 times 4 3 2 1 = .02 .03 .06 .04, then running max.
    assert holm(raw) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH: sorted times 4/rank = .02 .02 .04 .04, then running min from the top.
    assert benjamini_hochberg(raw) == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_adjustments_leave_untested_as_nan() -> None:
    raw = [0.01, math.nan, 0.04, 0.03, math.nan, 0.005]
    for adjust, expected in (
        (holm, [0.03, math.nan, 0.06, 0.06, math.nan, 0.02]),
        (benjamini_hochberg, [0.02, math.nan, 0.04, 0.04, math.nan, 0.02]),
    ):
        assert adjust(raw) == pytest.approx(expected, nan_ok=True)
    assert holm([]) == []
    assert math.isnan(benjamini_hochberg([math.nan])[0])


def test_adjustments_reject_impossible_pvalues() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        holm([0.2, 1.5])
    with pytest.raises(ValueError, match="between 0 and 1"):
        benjamini_hochberg([-0.1])


pvalue = st.one_of(st.floats(0, 1, allow_nan=False), st.sampled_from([0.0, 0.01, 0.05, 0.5, 1.0]))


@settings(max_examples=60, deadline=None)
@given(st.lists(pvalue, min_size=1, max_size=30))
def test_holm_matches_statsmodels(raw: list[float]) -> None:
    _, expected, _, _ = multipletests(raw, method="holm")
    assert holm(raw) == pytest.approx(list(expected), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(pvalue, min_size=1, max_size=30))
def test_benjamini_hochberg_matches_statsmodels(raw: list[float]) -> None:
    _, expected, _, _ = multipletests(raw, method="fdr_bh")
    assert benjamini_hochberg(raw) == pytest.approx(list(expected), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(pvalue, st.just(math.nan)), min_size=1, max_size=30))
def test_nan_is_not_counted_as_a_test(raw: list[float]) -> None:
    tested = [p for p in raw if not math.isnan(p)]
    for adjust in (holm, benjamini_hochberg):
        adjusted = adjust(raw)
        assert [math.isnan(p) for p in adjusted] == [math.isnan(p) for p in raw]
        assert [p for p in adjusted if not math.isnan(p)] == pytest.approx(adjust(tested))
