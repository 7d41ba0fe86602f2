"""`qualmine crosstab` and `code_crosstab` on the three-document project (see
test_frequencies for the project and its hand-counted codings).

Case attributes: Anna (US, 20-35), Ben (US, 36-45), Cara (UK, 36-45), Dan (UK, 46+).
alice's codes by case: trust.people Anna, Ben; trust.online Cara, Dan; peers all four;
mobile Anna, Ben, Dan.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from scipy import stats

from conftest import invoke
from qualmine.analysis.corpus import CorpusFilter, load_corpus
from qualmine.analysis.crosstabs import CrosstabOptions, code_crosstab, permutation_pvalues
from qualmine.analysis.significance import permutation_test_independence
from qualmine.cli import cli
from qualmine.errors import QualmineError
from qualmine.project.config import find_project
from test_frequencies import GOLDEN, build_three_documents


@pytest.fixture(scope="module")
def three_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_three_documents(tmp_path_factory.mktemp("three") / "proj", CliRunner(), seed=7)


def _crosstab(project: Path, attribute: str, **options: object) -> dict[str, tuple[object, ...]]:
    corpus = load_corpus(find_project(explicit=project), CorpusFilter(coders=("alice",)))
    table = code_crosstab(corpus, attribute, CrosstabOptions(**options))  # type: ignore[arg-type]
    return {row[0]: row[2:] for row in table.rows}


def test_two_groups_counts_and_fisher_by_hand(three_docs: Path) -> None:
    rows = _crosstab(three_docs, "country", min_group=2)
    # Groups (sorted): UK = Cara, Dan; US = Anna, Ben.
    # trust.people: UK 0 of 2, US 2 of 2. Table present/absent x group: [[0, 2], [2, 0]].
    # Margins: 2 per row, 2 per column, N = 4. Hypergeometric P(UK present = k) =
    # C(2, k) C(2, 2 - k) / C(4, 2): k = 0: 1/6, k = 1: 4/6, k = 2: 1/6. Observed k = 0
    # (1/6); two-sided p sums tables no more likely: 1/6 + 1/6 = 1/3.
    people = rows["trust.people"]
    assert people[:4] == ("0 of 2", 0.0, "2 of 2", 100.0)
    assert people[4] == pytest.approx(1 / 3)
    assert people[4] == pytest.approx(stats.fisher_exact([[0, 2], [2, 0]])[1])
    # mobile: UK 1 of 2 (Dan), US 2 of 2: [[1, 1], [2, 0]]; k = UK present in {1, 2}, each
    # C(3, k) C(1, 2 - k) / C(4, 2) = 3/6: both tables equally likely, p = 1.
    assert rows["mobile"][:4] == ("1 of 2", 50.0, "2 of 2", 100.0)
    assert rows["mobile"][4] == pytest.approx(1.0)
    # Three codes tested (trust.people 1/3, trust.online 1/3, mobile 1). Holm: sorted
    # 1/3 x 3 = 1, 1/3 x 2 = 2/3 -> running max 1, 1 x 1 = 1: every adjusted p is 1.
    assert [rows[c][5] for c in ("trust.people", "trust.online", "mobile")] == [1.0] * 3


def test_benjamini_hochberg_by_hand(three_docs: Path) -> None:
    rows = _crosstab(three_docs, "country", min_group=2, correction="bh")
    # BH: p x m / rank = 1/3 x 3/1 = 1, 1/3 x 3/2 = 1/2, 1 x 3/3 = 1; running minimum from
    # the largest: 1, 1/2, 1/2 -> trust.people and trust.online 0.5, mobile 1.
    assert rows["trust.people"][5] == pytest.approx(0.5)
    assert rows["trust.online"][5] == pytest.approx(0.5)
    assert rows["mobile"][5] == pytest.approx(1.0)


def test_codes_without_variation_are_not_tested(three_docs: Path) -> None:
    rows = _crosstab(three_docs, "country", min_group=2)
    assert math.isnan(rows["peers"][4]) and rows["peers"][6] == "not tested: every case has it"
    assert math.isnan(rows["trust"][4]) and "no case" in str(rows["trust"][6])


def test_small_groups_get_no_p_value_and_the_table_says_why(three_docs: Path) -> None:
    rows = _crosstab(three_docs, "country")
    for values in rows.values():
        assert math.isnan(values[4]) and math.isnan(values[5])
        assert values[6] == "not tested: group(s) under --min-group 3: UK (2), US (2)"


def test_more_groups_use_the_seeded_permutation_test(three_docs: Path) -> None:
    rows = _crosstab(three_docs, "age_band", min_group=1, seed=7)
    # 20-35 = Anna, 36-45 = Ben and Cara, 46+ = Dan. trust.people: Anna, Ben.
    assert rows["trust.people"][:6] == ("1 of 1", 100.0, "1 of 2", 50.0, "0 of 1", 0.0)
    expected = permutation_test_independence([[1, 0], [1, 1], [0, 1]], seed=7)
    assert rows["trust.people"][6] == expected


@pytest.mark.parametrize("sizes", [(2, 3, 4), (20, 20, 20), (5, 1, 7, 3)])
@pytest.mark.parametrize("seed", [0, 42])
def test_permutations_for_all_codes_equal_the_one_table_test(
    sizes: tuple[int, ...], seed: int
) -> None:
    rng = np.random.default_rng(len(sizes) + seed)
    counts = np.array(sizes)
    presence = rng.random((counts.sum(), 30)) < rng.random(30)
    total = presence.sum(axis=0)
    presence = presence[:, (total > 0) & (total < counts.sum())]
    found = permutation_pvalues(presence, counts, 2000, seed)
    group = np.repeat(np.arange(counts.size), counts)
    for code in range(presence.shape[1]):
        present = [int(presence[group == g, code].sum()) for g in range(counts.size)]
        table = [[p, int(n - p)] for p, n in zip(present, counts, strict=True)]
        assert found[code] == permutation_test_independence(table, n_permutations=2000, seed=seed)


def test_the_meta_says_the_tests_have_little_power(three_docs: Path) -> None:
    corpus = load_corpus(find_project(explicit=three_docs), CorpusFilter(coders=("alice",)))
    meta = code_crosstab(corpus, "country").meta
    assert "very little power" in meta["power"] and "descriptive" in meta["power"]
    assert meta["groups"] == "UK (2 cases), US (2 cases)"
    assert "Fisher" in meta["tests"] and "Holm" in meta["tests"]
    assert meta["denominator"].startswith("3 documents marked done by alice")


def test_an_unknown_attribute_names_the_known_ones(three_docs: Path) -> None:
    corpus = load_corpus(find_project(explicit=three_docs))
    with pytest.raises(QualmineError, match="known: age_band, country"):
        code_crosstab(corpus, "position")


def test_cli_unknown_attribute_is_one_error_line(three_docs: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--project", str(three_docs), "crosstab", "--by", "position"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        "Error: --by position: no case has the attribute 'position'; known: age_band, country"
    ]


def test_cli_crosstab_without_cases_says_what_to_check(three_docs: Path, runner: CliRunner) -> None:
    args = ["--project", str(three_docs), "crosstab", "--by", "country", "--coder", "carol"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: --by country: no cases to group")
    assert "marked done" in result.output


def test_cli_crosstab_uses_the_project_seed(three_docs: Path, runner: CliRunner) -> None:
    result = invoke(
        runner,
        three_docs,
        "crosstab",
        "--by",
        "age_band",
        "--min-group",
        "1",
        "--coder",
        "alice",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "seed 7" in data["meta"]["tests"]
    people = next(r for r in data["rows"] if r["code"] == "trust.people")
    assert people["p"] == permutation_test_independence([[1, 0], [1, 1], [0, 1]], seed=7)


def test_cli_crosstab_matches_the_golden_files(
    three_docs: Path, runner: CliRunner, tmp_path: Path
) -> None:
    for suffix in ("csv", "md"):
        out = tmp_path / f"crosstab.{suffix}"
        result = invoke(
            runner,
            three_docs,
            "crosstab",
            "--by",
            "country",
            "--min-group",
            "2",
            "--coder",
            "alice",
            "-o",
            str(out),
        )
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == (GOLDEN / f"crosstab.{suffix}").read_bytes()


def test_cli_crosstab_xlsx_reads_back_and_repeats(
    three_docs: Path, runner: CliRunner, tmp_path: Path
) -> None:
    outputs = []
    for attempt in (1, 2):
        out = tmp_path / f"{attempt}.xlsx"
        invoke(
            runner,
            three_docs,
            "crosstab",
            "--by",
            "country",
            "--min-group",
            "2",
            "--coder",
            "alice",
            "-o",
            str(out),
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    book = load_workbook(tmp_path / "1.xlsx")
    sheet = book[book.sheetnames[1]]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0][:6] == ("code", "name", "UK: cases", "UK %", "US: cases", "US %")
    assert rows[2][:6] == ("trust.people", "Trusts people", "0 of 2", 0, "2 of 2", 100)
    assert rows[2][6] == pytest.approx(1 / 3)
