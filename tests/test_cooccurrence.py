"""`qualmine cooccur` and `cooccurrence_tables` on the three-document project (see
test_frequencies for the project and its hand-counted codings).

alice's codes per participant turn:
    D1 turn 1 (Anna)  trust.people, peers       D1 turn 3 (Anna)  mobile, trust.people
    D2 turn 1 (Ben)   peers, trust.people       D2 turn 3 (Ben)   mobile
    D3 turn 1 (Cara)  peers, trust.online       D3 turn 2 (Dan)   trust.online, peers, mobile
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import invoke
from qualmine.analysis.cooccurrence import Cooccurrence, cooccurrence_tables, pairs_table
from qualmine.analysis.corpus import CorpusFilter, load_corpus
from qualmine.errors import QualmineError
from qualmine.export.plots import write_heatmap
from qualmine.project.config import find_project
from test_frequencies import GOLDEN, build_three_documents


@pytest.fixture(scope="module")
def three_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_three_documents(tmp_path_factory.mktemp("three") / "proj", CliRunner())


def _pairs(project: Path, unit: str, **kwargs: object) -> dict[tuple[str, str], tuple[object, ...]]:
    corpus = load_corpus(find_project(explicit=project), CorpusFilter(coders=("alice",), unit=unit))
    pairs = cooccurrence_tables(corpus, top=0, **kwargs)[0]  # type: ignore[arg-type]
    return {(row[0], row[1]): row[2:7] for row in pairs.rows}


def test_turn_pairs_by_hand(three_docs: Path) -> None:
    pairs = _pairs(three_docs, "turn")
    # Turns carrying each code: trust.people 3 (D1 t1, D1 t3, D2 t1), trust.online 2 (Cara,
    # Dan), peers 4 (D1 t1, D2 t1, Cara, Dan), mobile 3 (D1 t3, D2 t3, Dan).
    # trust.people & peers: D1 t1, D2 t1 = 2; Jaccard = c = 2 / (3 + 4 - 2) = 0.4.
    assert pairs[("trust.people", "peers")] == (3, 4, 2, 0.4, 0.4)
    # trust.online & peers: Cara, Dan = 2; 2 / (2 + 4 - 2) = 0.5.
    assert pairs[("trust.online", "peers")] == (2, 4, 2, 0.5, 0.5)
    # trust.people & mobile: D1 t3 = 1; 1 / (3 + 3 - 1) = 0.2.
    assert pairs[("trust.people", "mobile")] == (3, 3, 1, 0.2, 0.2)
    # trust.online & mobile: Dan = 1; 1 / (2 + 3 - 1) = 0.25.
    assert pairs[("trust.online", "mobile")] == (2, 3, 1, 0.25, 0.25)
    # peers & mobile: Dan = 1; 1 / (4 + 3 - 1) = 1/6 = 0.167.
    assert pairs[("peers", "mobile")] == (4, 3, 1, 0.167, 0.167)
    # trust.people and trust.online never share a turn.
    assert len(pairs) == 5


def test_segment_and_document_pairs_by_hand(three_docs: Path) -> None:
    # Segments: only "I trust the forums more than the team." carries two codes
    # (trust.online of 2 segments, peers of 4): 1 / (2 + 4 - 1) = 0.2.
    assert _pairs(three_docs, "segment") == {("trust.online", "peers"): (2, 4, 1, 0.2, 0.2)}
    # Documents: D1 {people, peers, mobile}, D2 {peers, people, mobile}, D3 {peers, online,
    # mobile}: peers & mobile in all 3 -> 3 / (3 + 3 - 3) = 1.
    docs = _pairs(three_docs, "document")
    assert docs[("peers", "mobile")] == (3, 3, 3, 1.0, 1.0)
    assert docs[("trust.people", "peers")] == (2, 3, 2, 0.667, 0.667)


def test_rollup_pairs_a_parent_with_others_but_not_with_its_children(three_docs: Path) -> None:
    pairs = _pairs(three_docs, "turn", rollup=True)
    # trust turns: people's 3 + online's 2, none shared = 5; with peers: D1 t1, D2 t1, Cara,
    # Dan = 4; 4 / (5 + 4 - 4) = 0.8.
    assert pairs[("trust", "peers")] == (5, 4, 4, 0.8, 0.8)
    assert ("trust", "trust.people") not in pairs and ("trust", "trust.online") not in pairs


def test_top_lists_the_most_shared_pairs_first(three_docs: Path) -> None:
    corpus = load_corpus(
        find_project(explicit=three_docs), CorpusFilter(coders=("alice",), unit="turn")
    )
    pairs, matrix = cooccurrence_tables(corpus, top=2)
    # Both 2-unit pairs, in codebook order: (trust.people, peers), then (trust.online, peers).
    assert [(r[0], r[1]) for r in pairs.rows] == [
        ("trust.people", "peers"),
        ("trust.online", "peers"),
    ]
    assert pairs.meta["pairs"].startswith("2 of 5 co-occurring pairs")
    # The matrix: diagonal = the code's own turns; trust (no unit) left out.
    assert matrix.columns == ("code", "trust.people", "trust.online", "peers", "mobile")
    assert matrix.rows[2] == ("peers", 2, 2, 4, 1)
    assert "ATLAS.ti" in pairs.meta["c"] and "Jaccard" in pairs.meta["c"]
    assert matrix.meta["left out"] == "1 code(s) carried by no unit"


def test_very_unequal_frequencies_are_flagged(three_docs: Path) -> None:
    counts = Cooccurrence(
        ("a", "b"), ("A", "B"), np.array([[12, 2], [2, 2]]), np.zeros((2, 2), dtype=bool)
    )
    row = pairs_table(counts, 0, {}).rows[0]
    # c = 2 / (12 + 2 - 2) = 0.167, while every unit of b also carries a: flag it.
    assert row[6] == 0.167 and row[7] == "frequencies differ 6-fold: c understates"


def test_cli_cooccur_matches_the_golden_files(
    three_docs: Path, runner: CliRunner, tmp_path: Path
) -> None:
    for suffix in ("csv", "md"):
        out = tmp_path / f"cooccur.{suffix}"
        result = invoke(
            runner,
            three_docs,
            "cooccur",
            "--unit",
            "turn",
            "--coder",
            "alice",
            "--top",
            "0",
            "-o",
            str(out),
        )
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == (GOLDEN / f"cooccur.{suffix}").read_bytes()


def test_cli_cooccur_xlsx_has_both_tables(
    three_docs: Path, runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "cooccur.xlsx"
    invoke(runner, three_docs, "cooccur", "--unit", "turn", "--coder", "alice", "-o", str(out))
    book = load_workbook(out)
    assert len(book.sheetnames) == 3
    pairs = [tuple(c.value for c in row) for row in book[book.sheetnames[1]].iter_rows()]
    assert pairs[1] == ("trust.people", "peers", 3, 4, 2, 0.4, 0.4, None)
    square = [tuple(c.value for c in row) for row in book[book.sheetnames[2]].iter_rows()]
    assert square[3] == ("peers", 2, 2, 4, 1)


@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_cli_plot_is_the_same_bytes_every_time(
    three_docs: Path, runner: CliRunner, tmp_path: Path, suffix: str
) -> None:
    outputs = []
    for attempt in (1, 2):
        plot = tmp_path / f"{attempt}.{suffix}"
        result = invoke(
            runner, three_docs, "cooccur", "--unit", "turn", "--plot", str(plot), "-f", "csv"
        )
        assert result.exit_code == 0, result.output
        outputs.append(plot.read_bytes())
    assert outputs[0] == outputs[1]
    if suffix == "svg":
        text = outputs[0].decode("utf-8")
        assert "<dc:date>" not in text and "<!-- trust.people -->" in text
        assert 'id="qualmine-plot"' in text
    else:
        assert outputs[0].startswith(b"\x89PNG")


def test_a_plot_needs_png_or_svg(three_docs: Path, runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, three_docs, "cooccur", "--plot", str(tmp_path / "heat.pdf"))
    assert result.exit_code == 1
    assert "a plot is written as .png or .svg" in result.output
    corpus = load_corpus(find_project(explicit=three_docs))
    with pytest.raises(QualmineError):
        write_heatmap(cooccurrence_tables(corpus)[1], tmp_path / "heat.jpg")
