"""`qualmine matrix` and `framework_matrix` on the three-document project (see
test_frequencies for the project and its hand-counted codings).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import invoke
from qualmine.analysis.corpus import CorpusFilter, load_corpus
from qualmine.analysis.framework import framework_matrix, plain_column_names
from qualmine.errors import QualmineError
from qualmine.project.config import find_project
from test_frequencies import GOLDEN, build_three_documents

ALICE = CorpusFilter(coders=("alice",))


@pytest.fixture(scope="module")
def three_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_three_documents(tmp_path_factory.mktemp("three") / "proj", CliRunner())


def _matrix(
    project: Path, filters: CorpusFilter = ALICE, **kwargs: object
) -> dict[str, tuple[object, ...]]:
    corpus = load_corpus(find_project(explicit=project), filters)
    table = framework_matrix(corpus, **kwargs)  # type: ignore[arg-type]
    return {row[0]: row[1:] for row in table.rows}


def test_counts_by_hand(three_docs: Path) -> None:
    rows = _matrix(three_docs)
    # Columns: age_band, country, then trust, trust.people, trust.online, peers, mobile.
    # Anna: trust.people 2 segments ("met", "rely"), peers 1, mobile 1.
    assert rows["Anna"] == ("20-35", "US", 0, 2, 0, 1, 1)
    # Ben: trust.people 1 ("vendor"), peers 1 ("colleagues"), mobile 1 ("calls").
    assert rows["Ben"] == ("36-45", "US", 0, 1, 0, 1, 1)
    # Cara: trust.online 1 ("forums."), peers 1 ("team first."), no mobile.
    assert rows["Cara"] == ("36-45", "UK", 0, 0, 1, 1, 0)
    # Dan: "I trust the forums more than the team." carries trust.online and peers; mobile 1.
    assert rows["Dan"] == ("46+", "UK", 0, 0, 1, 1, 1)


def test_rollup_and_document_unit(three_docs: Path) -> None:
    rows = _matrix(three_docs, rollup=True)
    # trust for Anna = her 2 trust.people segments; for Dan his 1 trust.online segment.
    assert rows["Anna"][2] == 2 and rows["Dan"][2] == 1
    docs = _matrix(three_docs, CorpusFilter(coders=("alice",), unit="document"))
    # A document counts once per case speaking in it: Dan's D3 carries peers and mobile.
    assert docs["Dan"] == ("46+", "UK", 0, 0, 1, 1, 1)
    assert docs["Anna"] == ("20-35", "US", 0, 1, 0, 1, 1)


def test_quantitize_presence_and_words_with_plain_names(three_docs: Path) -> None:
    corpus = load_corpus(find_project(explicit=three_docs), ALICE)
    presence = framework_matrix(corpus, cells="presence", plain_names=True)
    assert presence.columns == (
        "case",
        "age_band",
        "country",
        "trust",
        "trust_people",
        "trust_online",
        "peers",
        "mobile",
    )
    assert presence.rows[0] == ("Anna", "20-35", "US", 0, 1, 0, 1, 1)
    words = {r[0]: r[3:] for r in framework_matrix(corpus, cells="words").rows}
    # Anna: trust.people 6 + 6 = 12; peers 11 ([laughs] is no word); mobile 7.
    assert words["Anna"] == (0, 12, 0, 11, 7)
    # Dan: trust.online 8 and peers 8 (the same sentence), mobile 6.
    assert words["Dan"] == (0, 0, 8, 8, 6)


def test_excerpts_name_their_document_and_place(three_docs: Path) -> None:
    rows = _matrix(three_docs, cells="excerpts")
    # "Interviewer: Whom do you trust for advice?\n\n" is 44 characters and "Anna: " 6, so
    # Anna's first sentence starts at 50 and ends at 50 + 26 = 76.
    assert rows["Anna"][3] == (
        "[D1 turn 1 @50-76] I trust people I have met.\n"
        "[D1 turn 3 @228-251] I rely on it every day."
    )
    assert rows["Cara"][3] == ""


def test_an_excerpt_coded_by_two_coders_shows_once(three_docs: Path) -> None:
    rows = _matrix(three_docs, CorpusFilter(coders=("alice", "bob")), cells="excerpts")
    people = str(rows["Ben"][3])
    assert people == "[D2 turn 1 @75-98] I never trust a vendor."


def test_plain_column_names_are_unique_and_safe() -> None:
    assert plain_column_names(["case", "age band", "2nd", "a.b", "a-b", "é"]) == (
        "case",
        "age_band",
        "c_2nd",
        "a_b",
        "a_b_2",
        "column",
    )


def test_unknown_cells_are_refused(three_docs: Path) -> None:
    corpus = load_corpus(find_project(explicit=three_docs), ALICE)
    with pytest.raises(QualmineError, match="use one of"):
        framework_matrix(corpus, cells="medians")


@pytest.mark.parametrize(("name", "args"), [("matrix", ()), ("matrix.excerpts", ("--excerpts",))])
def test_cli_matrix_matches_the_golden_files(
    three_docs: Path, runner: CliRunner, tmp_path: Path, name: str, args: tuple[str, ...]
) -> None:
    for suffix in ("csv", "md"):
        out = tmp_path / f"{name}.{suffix}"
        result = invoke(runner, three_docs, "matrix", "--coder", "alice", *args, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == (GOLDEN / f"{name}.{suffix}").read_bytes()


def test_cli_quantitize_csv_for_statistics_software(three_docs: Path, runner: CliRunner) -> None:
    result = invoke(
        runner, three_docs, "matrix", "--coder", "alice", "--quantitize", "counts", "-f", "csv"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == [
        "case",
        "age_band",
        "country",
        "trust",
        "trust_people",
        "trust_online",
        "peers",
        "mobile",
    ]
    assert rows[1] == ["Anna", "20-35", "US", "0", "2", "0", "1", "1"]


def test_cli_matrix_xlsx_reads_back_and_repeats(
    three_docs: Path, runner: CliRunner, tmp_path: Path
) -> None:
    outputs = []
    for attempt in (1, 2):
        out = tmp_path / f"{attempt}.xlsx"
        invoke(runner, three_docs, "matrix", "--coder", "alice", "--excerpts", "-o", str(out))
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    book = load_workbook(tmp_path / "1.xlsx")
    rows = [tuple(c.value for c in row) for row in book[book.sheetnames[1]].iter_rows()]
    assert rows[0][:4] == ("case", "age_band", "country", "trust")
    assert rows[4][6] == "[D3 turn 2 @103-141] I trust the forums more than the team."
    about = [tuple(c.value for c in row)[1] for row in book["about"].iter_rows()]
    assert {"unit", "denominator", "coders", "statuses", "filters", "cells"} <= set(about)


def test_cli_excerpts_and_quantitize_exclude_each_other(
    three_docs: Path, runner: CliRunner
) -> None:
    result = invoke(runner, three_docs, "matrix", "--excerpts", "--quantitize", "words")
    assert result.exit_code == 2
    assert "not both" in result.output
