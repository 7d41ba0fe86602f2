"""Survey findings from respondent-level data: known aggregates, Wilson intervals."""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from qualmine.analysis.survey import compute_proportions, survey_table, wilson_interval
from qualmine.errors import InputFileError


def _generated_survey(path: Path) -> None:
    """356 respondents whose aggregates are known by construction."""
    rows = []
    # 20-35: 100 respondents, 90 trust online; 36-45: 156, 120 trust; 55+: 100, 86 trust.
    for band, n, k in (("20-35", 100, 90), ("36-45", 156, 120), ("55+", 100, 86)):
        answers = ["Strongly trust"] * (k // 2) + ["Somewhat trust"] * (k - k // 2)
        answers += ["Distrust"] * (n - k)
        rows += [{"age_band": band, "trust_online": a} for a in answers]
    rows.append({"age_band": "55+", "trust_online": ""})  # one blank answer
    random.Random(3).shuffle(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["age_band", "trust_online"])
        writer.writeheader()
        writer.writerows(rows)


def test_known_aggregates_and_their_intervals(tmp_path: Path) -> None:
    _generated_survey(tmp_path / "survey.csv")
    spec = {
        "data": "survey.csv",
        "column": "trust_online",
        "count": ["Strongly trust", "Somewhat trust"],
        "group_by": "age_band",
    }
    table = survey_table("F16", spec, tmp_path)
    rows = {r[0]: r for r in table.rows}
    assert rows["all"][1:3] == (296, 356)  # 90 + 120 + 86 of 356 answering
    assert rows["all"][6] == 1  # the blank answer is not in the denominator
    assert math.isclose(rows["all"][3], 100 * 296 / 356)
    assert rows["36-45"][1:3] == (120, 156)
    low, high = proportion_confint(296, 356, method="wilson")
    assert math.isclose(rows["all"][4], 100 * low) and math.isclose(rows["all"][5], 100 * high)
    assert "Wilson" in table.meta["interval"]


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=1, max_value=5000), st.data())
def test_wilson_matches_statsmodels(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    low, high = wilson_interval(k, n)
    ref_low, ref_high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert math.isclose(low, ref_low, abs_tol=1e-12)
    assert math.isclose(high, ref_high, abs_tol=1e-12)


def test_an_unknown_column_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"s\.csv: no column 'b'"):
        compute_proportions([{"a": "1"}], {"column": "b", "count": ["1"]}, "s.csv")
