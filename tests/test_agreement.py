"""Agreement statistics against published examples and reference implementations."""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from qualmine.analysis.agreement import (
    cohen_kappa,
    fleiss_components,
    fleiss_kappa,
    fleiss_kappa_from_counts,
    krippendorff_alpha_nominal,
    pairwise_cohen_kappa,
    percent_agreement,
)
from qualmine.analysis.code_agreement import AgreementResult, agreement_by_code, overall

NA = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the nominal example
# with missing data: observers (rows) x units (columns). Published nominal alpha = 0.743.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
    [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
]

# The Fleiss' kappa example on Wikipedia: 10 subjects, 14 raters, 5 categories.
# Published p_j = .143 .200 .279 .150 .229, P-bar = 0.378, P-bar-e = 0.213, kappa = 0.210.
WIKIPEDIA_FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Fleiss (1971), 30 patients, 6 psychiatrists each, 5 diagnoses; published kappa = 0.430.
# Ratings as in R irr's `diagnoses` data set (also statsmodels' test data), where
# kappam.fleiss gives 0.4302445.
FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4],
    [2, 2, 2, 5, 5, 5],
    [2, 3, 3, 3, 3, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3],
    [3, 3, 3, 3, 5, 5],
    [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4],
    [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4],
    [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3],
    [1, 4, 4, 4, 4, 4],
    [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5],
    [1, 1, 1, 1, 1, 2],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 4, 4, 4, 4, 4],
    [2, 2, 4, 5, 5, 5],
    [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4],
    [1, 1, 1, 1, 5, 5],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3],
    [5, 5, 5, 5, 5, 5],
]


def transpose(rows: Sequence[Sequence[Hashable | None]]) -> list[list[Hashable | None]]:
    return [list(column) for column in zip(*rows, strict=True)]


def expand_counts(table: Sequence[Sequence[int]]) -> list[list[int]]:
    """One unit per subject, listing each rater's category."""
    return [[j for j, count in enumerate(row) for _ in range(count)] for row in table]


def reliability_data(units: Sequence[Sequence[Hashable | None]]) -> np.ndarray:
    """Coders x units floats with NaN for missing, as the krippendorff package wants."""
    return np.array([[np.nan if v is None else v for v in coder] for coder in transpose(units)])


def cohen_labels() -> tuple[list[str], list[str]]:
    """Wikipedia's Cohen's kappa example: 50 items, yes/yes 20, yes/no 5, no/yes 10, no/no 15."""
    cells = [("yes", "yes", 20), ("yes", "no", 5), ("no", "yes", 10), ("no", "no", 15)]
    a = [x for x, _, n in cells for _ in range(n)]
    b = [y for _, y, n in cells for _ in range(n)]
    return a, b


# --- published examples -------------------------------------------------------------------


def test_krippendorff_2011_nominal_example() -> None:
    units = transpose(KRIPPENDORFF_2011)
    assert round(krippendorff_alpha_nominal(units), 3) == 0.743


def test_krippendorff_2011_example_matches_krippendorff_package() -> None:
    units = transpose(KRIPPENDORFF_2011)
    expected = krippendorff.alpha(
        reliability_data=reliability_data(units), level_of_measurement="nominal"
    )
    assert krippendorff_alpha_nominal(units) == pytest.approx(expected, abs=1e-12)


def test_wikipedia_fleiss_components() -> None:
    result = fleiss_components(WIKIPEDIA_FLEISS)
    assert (result.n_subjects, result.n_raters) == (10, 14)
    assert [round(p, 3) for p in result.proportions] == [0.143, 0.200, 0.279, 0.150, 0.229]
    assert round(result.observed, 3) == 0.378
    assert round(result.expected, 3) == 0.213
    assert round(result.kappa, 3) == 0.210


def test_wikipedia_fleiss_from_ratings_and_counts_agree() -> None:
    units = expand_counts(WIKIPEDIA_FLEISS)
    assert fleiss_kappa(units) == pytest.approx(fleiss_kappa_from_counts(WIKIPEDIA_FLEISS))
    # With no missing ratings, percent agreement is Fleiss' P-bar.
    assert round(percent_agreement(units), 3) == 0.378


def test_fleiss_1971_diagnoses() -> None:
    kappa = fleiss_kappa(FLEISS_1971)
    assert round(kappa, 3) == 0.430
    assert kappa == pytest.approx(0.4302445, abs=1e-7)


def test_cohen_kappa_wikipedia_example() -> None:
    a, b = cohen_labels()
    assert percent_agreement(list(zip(a, b, strict=True))) == pytest.approx(0.7)
    assert cohen_kappa(a, b) == pytest.approx(0.4)


# --- definitions and edge cases -----------------------------------------------------------


def test_percent_agreement_counts_coder_pairs_per_unit() -> None:
    # Unit 1: 3 coders, one agreeing pair of three; unit 2: two coders agree; unit 3: one
    # rating, so it drops out.
    ratings: list[list[str | None]] = [["a", "a", "b"], ["c", None, "c"], [None, None, "a"]]
    assert percent_agreement(ratings) == pytest.approx((1 / 3 + 1) / 2)


def test_undefined_statistics_are_nan() -> None:
    assert math.isnan(percent_agreement([[1, None], [None, 2]]))
    assert math.isnan(cohen_kappa([0, 0, 0], [0, 0, 0]))
    assert math.isnan(cohen_kappa([0, None], [None, 1]))
    assert math.isnan(fleiss_kappa([[1, 1], [1, 1]]))
    assert math.isnan(fleiss_kappa([[1, None], [None, 2]]))
    assert math.isnan(krippendorff_alpha_nominal([[1, 1], [1, 1], [2, None]]))
    assert math.isnan(krippendorff_alpha_nominal([]))


def test_cohen_kappa_skips_units_either_coder_missed() -> None:
    a, b = cohen_labels()
    assert cohen_kappa([*a, None, "yes"], [*b, "no", None]) == pytest.approx(0.4)


def test_missing_may_be_float_nan() -> None:
    units = transpose(KRIPPENDORFF_2011)
    with_nan = [[math.nan if v is None else v for v in unit] for unit in units]
    assert krippendorff_alpha_nominal(with_nan) == krippendorff_alpha_nominal(units)


def test_labels_need_not_be_sortable() -> None:
    ratings: list[list[Hashable]] = [["x", 1], ["x", "x"], [1, 1], [(2, 3), (2, 3)]]
    assert krippendorff_alpha_nominal(ratings) == pytest.approx(
        krippendorff_alpha_nominal([[0, 1], [0, 0], [1, 1], [2, 2]])
    )


def test_malformed_input_raises() -> None:
    with pytest.raises(ValueError, match="one value per coder"):
        percent_agreement([[1, 2], [1]])
    with pytest.raises(ValueError, match="paired"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="same number of ratings"):
        fleiss_kappa_from_counts([[2, 1], [1, 1]])
    with pytest.raises(ValueError, match="negative"):
        fleiss_kappa_from_counts([[3, -1], [1, 1]])


def test_pairwise_cohen_kappa_is_cohen_for_two_coders() -> None:
    a, b = cohen_labels()
    assert pairwise_cohen_kappa(list(zip(a, b, strict=True))) == pytest.approx(0.4)


# --- per-code agreement ---------------------------------------------------------------------

PRESENCE: dict[str, list[list[int | None]]] = {
    "cost": [[1, 1], [1, 0], [0, 0], [0, 0], [1, 1], [None, 1]],
    "trust": [[0, 1], [1, 1], [0, 0], [1, 0], [0, 0], [1, 1]],
    "unused": [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, None]],
}


def test_agreement_by_code_matches_the_single_statistics() -> None:
    results = agreement_by_code(PRESENCE, unit="turn")
    assert [r.code for r in results] == ["cost", "trust", "unused"]
    cost = results[0]
    matrix = PRESENCE["cost"]
    assert isinstance(cost, AgreementResult)
    assert (cost.unit, cost.n_units) == ("turn", 5)
    assert cost.percent == pytest.approx(percent_agreement(matrix))
    assert cost.cohen == pytest.approx(cohen_kappa(*transpose(matrix)))
    assert cost.fleiss == pytest.approx(fleiss_kappa(matrix))
    assert cost.alpha == pytest.approx(krippendorff_alpha_nominal(matrix))
    unused = results[2]
    assert unused.percent == 1.0
    assert all(math.isnan(v) for v in (unused.cohen, unused.fleiss, unused.alpha))


def test_overall_means_skip_undefined_codes_and_pool_units() -> None:
    results = agreement_by_code(PRESENCE)
    summary = overall(results)
    assert (summary.n_codes, summary.n_units) == (3, 16)
    assert summary.mean_alpha == pytest.approx((results[0].alpha + results[1].alpha) / 2)
    assert summary.mean_percent == pytest.approx(sum(r.percent for r in results) / 3)
    stacked = [row for matrix in PRESENCE.values() for row in matrix]
    assert summary.pooled_alpha == pytest.approx(krippendorff_alpha_nominal(stacked))
    assert summary.pooled_percent == pytest.approx(percent_agreement(stacked))


def test_overall_of_nothing_is_nan() -> None:
    summary = overall([])
    assert summary.n_codes == 0
    assert math.isnan(summary.mean_alpha) and math.isnan(summary.pooled_alpha)


def test_presence_values_are_checked() -> None:
    with pytest.raises(ValueError, match="'cost', unit 1"):
        agreement_by_code({"cost": [[1, 0], [2, 0]]})


# --- against reference implementations ------------------------------------------------------

labels = st.sampled_from([0, 1, 2])
Matrix = list[list[int | None]]


def matrices(n_coders: int, values: st.SearchStrategy[int | None]) -> st.SearchStrategy[Matrix]:
    row = st.lists(values, min_size=n_coders, max_size=n_coders)
    return st.lists(row, min_size=1, max_size=25)


def ratings_matrices(missing: bool = True) -> st.SearchStrategy[Matrix]:
    values = st.one_of(st.none(), labels) if missing else labels
    return st.integers(2, 5).flatmap(lambda n_coders: matrices(n_coders, values))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=40))
def test_cohen_kappa_matches_sklearn(pairs: list[tuple[int, int]]) -> None:
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cohen_kappa_score(a, b)
    ours = cohen_kappa(a, b)
    if math.isnan(expected):
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(expected, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(ratings_matrices())
def test_alpha_matches_krippendorff_package(units: Matrix) -> None:
    ours = krippendorff_alpha_nominal(units)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = krippendorff.alpha(
                reliability_data=reliability_data(units), level_of_measurement="nominal"
            )
    except ValueError:  # the package refuses a one-value domain or no pairable unit
        expected = math.nan
    if math.isnan(ours):
        assert math.isnan(expected)
    else:
        assert ours == pytest.approx(expected, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(ratings_matrices(missing=False))
def test_fleiss_matches_statsmodels(units: Matrix) -> None:
    table, _ = aggregate_raters(np.array(units))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = statsmodels_fleiss_kappa(table)
    ours = fleiss_kappa(units)
    if math.isnan(expected):
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(expected, abs=1e-9)
    assert percent_agreement(units) == pytest.approx(fleiss_components(table).observed)


@settings(max_examples=60, deadline=None)
@given(ratings_matrices())
def test_fleiss_uses_only_complete_units(units: Matrix) -> None:
    complete = [unit for unit in units if None not in unit]
    ours = fleiss_kappa(units)
    if complete:
        expected = fleiss_kappa(complete)
        assert ours == expected or (math.isnan(ours) and math.isnan(expected))
    else:
        assert math.isnan(ours)


presence_values = st.sampled_from([0, 1, None])
presence_sets = st.integers(2, 4).flatmap(
    lambda n_coders: st.lists(matrices(n_coders, presence_values), min_size=1, max_size=4)
)


@settings(max_examples=60, deadline=None)
@given(presence_sets)
def test_pooled_alpha_is_alpha_of_stacked_presence(codes: list[Matrix]) -> None:
    presence = {f"code{i}": matrix for i, matrix in enumerate(codes)}
    stacked = [row for matrix in codes for row in matrix]
    summary = overall(agreement_by_code(presence))
    expected = krippendorff_alpha_nominal(stacked)
    if math.isnan(expected):
        assert math.isnan(summary.pooled_alpha)
    else:
        assert summary.pooled_alpha == pytest.approx(expected, abs=1e-9)
    assert summary.pooled_percent == pytest.approx(percent_agreement(stacked), nan_ok=True)
