"""`qualmine agree`: presence per unit, missing data, hand-computed statistics, exports."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from conftest import invoke
from qualmine.analysis.code_agreement import (
    AgreementResult,
    agreement_by_code,
    matrix_agreement_from_counts,
)
from qualmine.analysis.corpus import CodedCorpus, CorpusFilter, load_corpus
from qualmine.analysis.disagreements import truncate
from qualmine.analysis.presence import RatedSpan
from qualmine.analysis.reliability import (
    Selection,
    agreement_from_counts,
    agreement_on_presence,
    agreement_table,
    code_result,
    pattern_counts,
)
from qualmine.cli import cli
from qualmine.coding.units import Unit
from qualmine.errors import QualmineError
from qualmine.models import Code, Codebook, Coding
from qualmine.project.config import find_project

GOLDEN = Path(__file__).parent / "golden"

TRANSCRIPTS = {
    "D1": (
        "Interviewer: Whom do you trust?\n"
        "Anna: I trust my peers. I read reviews on my phone.\n"
        "Interviewer: Anything else?\n"
        "Anna: The forum helps. Prices matter too.\n"
    ),
    "D2": (
        "Interviewer: Tell me about your network.\n"
        "Ben: My colleagues matter most. I do not trust strangers online.\n"
        "Interviewer: And devices?\n"
        "Ben: My phone goes everywhere. I check it daily.\n"
    ),
    "D3": (
        "Interviewer: How did you choose?\n"
        "Cara: A peer warned me. I trust her judgement.\n"
        "Interviewer: Anything else?\n"
        "Cara: No, that is all.\n"
    ),
}
PARTICIPANTS = (
    "case,age_band,country,interview_date\n"
    "Anna,20-35,US,2024-03-05\n"
    "Ben,36-45,UK,2024-01-10\n"
    "Cara,36-45,US,2024-02-20\n"
)
CODEBOOK = """\
format_version: 1
name: Agreement fixture
codes:
  - id: trust
    name: Trust
    definition: Whom or what the speaker trusts.
    examples: ["I trust my peers."]
  - id: sources
    name: Sources
    definition: Where the speaker gets advice.
    codable: false
    children:
      - id: peers
        name: Peers
        definition: Peers as a source of advice.
        examples: ["A peer warned me."]
      - id: mobile
        name: Mobile
        definition: Phones and reading anywhere.
        examples: ["On my phone."]
  - id: price
    name: Price
    definition: Cost as a concern.
    examples: ["Prices matter too."]
"""
# The participant segments, in order (D1: s1-s4, D2: s5-s8, D3: s9-s11):
#   s1 "I trust my peers."            s5 "My colleagues matter most."  s9  "A peer warned me."
#   s2 "I read reviews on my phone."  s6 "I do not trust strangers online."
#   s3 "The forum helps."             s7 "My phone goes everywhere."   s10 "I trust her judgement."
#   s4 "Prices matter too."           s8 "I check it daily."           s11 "No, that is all."
# alice: trust s1 s6 s10; peers s1 s5 s9; mobile s2 s7.            done: D1, D2, D3
# bob:   trust s1 s6 (and s9, in D3, which bob did not mark done); peers s1 (suggested) s3 s5;
#        mobile s2 s8 (and a rejected mobile on s4).                 done: D1, D2
CODINGS = """\
document,start,end,quote,code,coder,status,reviewer,memo
D1,,,I trust my peers.,trust,alice,accepted,,
D1,,,I trust my peers.,peers,alice,accepted,,
D1,,,I read reviews on my phone.,mobile,alice,accepted,,
D2,,,My colleagues matter most.,peers,alice,accepted,,
D2,,,I do not trust strangers online.,trust,alice,accepted,,
D2,,,My phone goes everywhere.,mobile,alice,accepted,,
D3,,,A peer warned me.,peers,alice,accepted,,
D3,,,I trust her judgement.,trust,alice,accepted,,
D1,,,I trust my peers.,trust,bob,accepted,,
D1,,,I trust my peers.,peers,bob,suggested,,
D1,,,The forum helps.,peers,bob,accepted,,
D1,,,I read reviews on my phone.,mobile,bob,accepted,,
D1,,,Prices matter too.,mobile,bob,rejected,,
D2,,,My colleagues matter most.,peers,bob,accepted,,
D2,,,I do not trust strangers online.,trust,bob,accepted,,
D2,,,I check it daily.,mobile,bob,accepted,,
D3,,,A peer warned me.,trust,bob,accepted,,
D1,,,,,alice,done,,
D2,,,,,alice,done,,
D3,,,,,alice,done,,
D1,,,,,bob,done,,
D2,,,,,bob,done,,
"""
# carol codes D1 and D2 exactly as alice does, and marks only those done.
CAROL = """\
document,start,end,quote,code,coder,status,reviewer,memo
D1,,,I trust my peers.,trust,carol,accepted,,
D1,,,I trust my peers.,peers,carol,accepted,,
D1,,,I read reviews on my phone.,mobile,carol,accepted,,
D2,,,My colleagues matter most.,peers,carol,accepted,,
D2,,,I do not trust strangers online.,trust,carol,accepted,,
D2,,,My phone goes everywhere.,mobile,carol,accepted,,
D1,,,,,carol,done,,
D2,,,,,carol,done,,
"""


def make_project(
    folder: Path,
    runner: CliRunner,
    codings: str = CODINGS,
    transcripts: dict[str, str] = TRANSCRIPTS,
    participants: str = PARTICIPANTS,
) -> Path:
    """The three-document fixture (or other transcripts), built through the real CLI."""
    assert runner.invoke(cli, ["init", str(folder)]).exit_code == 0
    (folder / "transcripts").mkdir()
    for name, text in transcripts.items():
        (folder / "transcripts" / f"{name}.txt").write_text(text, encoding="utf-8")
    (folder / "participants.csv").write_text(participants, encoding="utf-8")
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (folder / "qualmine.toml").write_text(
        '[project]\nname = "agreement fixture"\nseed = 7\ntranscripts = ["transcripts"]\n'
        'participants = "participants.csv"\ncodebook = "codebook.yaml"\n'
    )
    result = invoke(runner, folder, "import", str(folder / "transcripts"))
    assert result.exit_code == 0, result.output
    (folder / "codings.csv").write_text(codings, encoding="utf-8")
    result = invoke(runner, folder, "codings", "import", str(folder / "codings.csv"))
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def fixture_project(tmp_path: Path, runner: CliRunner) -> Path:
    return make_project(tmp_path / "agree", runner)


def json_tables(runner: CliRunner, folder: Path, *args: str) -> dict[str, dict[str, Any]]:
    """Run a command with JSON output to a file; its tables by title."""
    path = folder / "out.json"
    result = invoke(runner, folder, *args, "-o", str(path))
    assert result.exit_code == 0, result.output
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return {t["title"]: t for t in (loaded if isinstance(loaded, list) else [loaded])}


def _by_code(folder: Path, coders: tuple[str, ...] = ("alice", "bob"), unit: str = "segment"):
    agreement = agreement_on_presence(find_project(explicit=folder), coders, unit)
    return agreement, {r.code: r for r in agreement.per_code}


def test_presence_matrix_marks_undone_documents_missing(fixture_project: Path) -> None:
    agreement, _ = _by_code(fixture_project)
    rows = agreement.presence.rows
    peers = [r.values for r in rows["peers"]]
    # s1..s11 as in the comment above; bob's D3 is missing (None), not uncoded (0).
    assert peers == [
        (1, 1), (0, 0), (0, 1), (0, 0),
        (1, 1), (0, 0), (0, 0), (0, 0),
        (1, None), (0, None), (0, None),
    ]  # fmt: skip
    trust = [r.values for r in rows["trust"]]
    assert trust[8] == (0, None)  # bob's trust on s9 is ignored: D3 is not done for him
    assert [r.values for r in rows["mobile"]][3] == (0, 0)  # the rejected coding is left out
    assert agreement.presence.codes == ("trust", "peers", "mobile")
    assert agreement.presence.unused == ("price",)


def test_segment_agreement_matches_hand_computed_values(fixture_project: Path) -> None:
    agreement, results = _by_code(fixture_project)
    # Units rated by both coders: s1..s8 (8 per code).
    # trust: alice [1,0,0,0,0,1,0,0] = bob -> every statistic 1.
    assert results["trust"].n_units == 8
    assert results["trust"].percent == 1.0 and results["trust"].alpha == 1.0
    assert results["trust"].cohen == pytest.approx(1.0)
    peers = results["peers"]
    # peers: alice [1,0,0,0,1,0,0,0], bob [1,0,1,0,1,0,0,0]: 7 of 8 agree.
    assert peers.percent == pytest.approx(7 / 8)
    # p_e = (2*3 + 6*5) / 64 = 36/64; kappa = (56/64 - 36/64) / (28/64) = 20/28 = 5/7
    assert peers.cohen == pytest.approx(5 / 7)
    # Fleiss: P = 7/8; p1 = 5/16, p0 = 11/16; Pe = 146/256; (224 - 146) / (256 - 146) = 39/55
    assert peers.fleiss == pytest.approx(39 / 55)
    # alpha: n = 16, n1 = 5, n0 = 11, o11 = 4, o00 = 10, o01 = o10 = 1;
    # 1 - (16 - 1) * (16 - 14) / (256 - 25 - 121) = 1 - 30/110 = 8/11
    assert peers.alpha == pytest.approx(8 / 11)
    mobile = results["mobile"]
    # mobile: alice [0,1,0,0,0,0,1,0], bob [0,1,0,0,0,0,0,1]: 6 of 8 agree.
    assert mobile.percent == pytest.approx(6 / 8)
    # p_e = (2*2 + 6*6) / 64 = 40/64; kappa = (48 - 40) / (64 - 40) = 1/3; Fleiss the same
    assert mobile.cohen == pytest.approx(1 / 3)
    assert mobile.fleiss == pytest.approx(1 / 3)
    # alpha: n1 = 4, n0 = 12, o11 = 2, o00 = 10, o01 = o10 = 2; 1 - 15 * 4 / 96 = 0.375
    assert mobile.alpha == pytest.approx(0.375)
    o = agreement.overall
    assert o.mean_percent == pytest.approx((1 + 7 / 8 + 6 / 8) / 3)  # 0.875
    assert o.mean_cohen == pytest.approx((1 + 5 / 7 + 1 / 3) / 3)  # 43/63
    assert o.mean_alpha == pytest.approx((1 + 8 / 11 + 0.375) / 3)
    # Pooled over 24 code-unit pairs: 21 agree; o11 = 10, o00 = 32, o01 = o10 = 3, n = 48;
    # alpha = 1 - 47 * 6 / (2304 - 13^2 - 35^2) = 1 - 282/910
    assert o.pooled_percent == pytest.approx(21 / 24)
    assert o.pooled_alpha == pytest.approx(1 - 282 / 910)
    assert agreement.pooled.alpha == pytest.approx(o.pooled_alpha)
    assert agreement.pooled.percent == pytest.approx(o.pooled_percent)


def test_missing_data_is_not_the_same_as_uncoded(fixture_project: Path) -> None:
    _, results = _by_code(fixture_project)
    # Read bob's D3 as "coded nothing" instead: s9 becomes a disagreement (alice 1, bob 0).
    as_zero = [[1, 1], [0, 0], [0, 1], [0, 0], [1, 1], [0, 0], [0, 0], [0, 0],
               [1, 0], [0, 0], [0, 0]]  # fmt: skip
    wrong = agreement_by_code({"peers": as_zero})[0].alpha
    # By hand: n = 22, n1 = 6, n0 = 16, o11 = 4, o00 = 14, o01 = o10 = 2;
    # 1 - 21 * 4 / (484 - 36 - 256) = 1 - 84/192 = 0.5625
    assert wrong == pytest.approx(0.5625)
    assert results["peers"].alpha == pytest.approx(8 / 11)
    assert results["peers"].alpha != pytest.approx(wrong)


def test_three_coders_use_mean_pairwise_kappa_and_fleiss(tmp_path: Path, runner: CliRunner) -> None:
    folder = make_project(tmp_path / "three", runner)
    (folder / "carol.csv").write_text(CAROL)
    assert invoke(runner, folder, "codings", "import", str(folder / "carol.csv")).exit_code == 0
    _, results = _by_code(folder, ("alice", "bob", "carol"))
    peers = results["peers"]
    # Pairs on s1..s8: alice-bob 5/7, alice-carol 1, bob-carol 5/7 -> mean 17/21.
    assert peers.cohen == pytest.approx(17 / 21)
    # Fleiss over s1..s8 (all three rated): 7 unanimous units, s3 = (0, 1, 0) scores 1/3;
    # P = (7 + 1/3) / 8 = 22/24; p1 = 7/24; Pe = (49 + 289) / 576; kappa = 190/238.
    assert peers.percent == pytest.approx(22 / 24)
    assert peers.fleiss == pytest.approx(190 / 238)
    # alpha: each unit adds 3 pairable values' worth; o11 = 6, o00 = 16, o01 = o10 = 1,
    # n = 24, n1 = 7, n0 = 17: 1 - 23 * 2 / (576 - 49 - 289) = 192/238.
    assert peers.alpha == pytest.approx(192 / 238)


TINY = "Interviewer: Hello?\nAnna: We trust peers.\nInterviewer: Thank you.\nAnna: Bye.\n"


def test_character_unit_on_a_tiny_case(tmp_path: Path, runner: CliRunner) -> None:
    folder = tmp_path / "tiny"
    codings = (
        "document,start,end,quote,code,coder,status,reviewer,memo\n"
        "D1,,,trust peers,trust,alice,accepted,,\n"
        "D1,,,We trust,trust,bob,accepted,,\n"
        "D1,,,,,alice,done,,\nD1,,,,,bob,done,,\n"
    )
    make_project(folder, runner, codings=codings, transcripts={"D1": TINY})
    agreement, results = _by_code(folder, unit="character")
    trust = results["trust"]
    # Participant speech: "We trust peers." (15 characters) and "Bye." (4). alice codes
    # "trust peers" (3-14 of the sentence), bob "We trust" (0-8). Runs: bob only 3 characters,
    # both 5, alice only 6, neither 1 + 4 = 5.
    assert [r.weight for r in agreement.presence.rows["trust"]] == [3, 5, 6, 1, 4]
    assert trust.n_units == 19
    assert trust.percent == pytest.approx(10 / 19)
    # alice 11 ones and 8 zeros, bob 8 ones and 11 zeros: chance = 11*8 + 8*11 = 176 of 361;
    # kappa = (190 - 176) / (361 - 176) = 14/185
    assert trust.cohen == pytest.approx(14 / 185)
    # Fleiss: P = 10/19; p1 = p0 = 19/38 = 1/2, Pe = 1/2; (10/19 - 1/2) / (1/2) = 1/19
    assert trust.fleiss == pytest.approx(1 / 19)
    # alpha: n = 38, n1 = n0 = 19, o11 = 10, o00 = 10, o01 = o10 = 9;
    # 1 - 37 * (38 - 20) / (1444 - 361 - 361) = 1 - 666/722 = 56/722
    assert trust.alpha == pytest.approx(56 / 722)


def test_character_runs_give_the_full_matrix_figures(fixture_project: Path) -> None:
    agreement, results = _by_code(fixture_project, unit="character")
    for code, rows in agreement.presence.rows.items():
        full = [list(r.values) for r in rows for _ in range(r.weight)]
        expected = agreement_by_code({code: full}, unit="character")[0]
        got = results[code]
        assert got.n_units == expected.n_units
        for name in ("percent", "cohen", "fleiss", "alpha"):
            assert getattr(got, name) == pytest.approx(getattr(expected, name), nan_ok=True)
        data = np.array(full, dtype=float).T  # coders x units, NaN for missing
        assert got.alpha == pytest.approx(
            krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        )


values = st.sampled_from([0, 1, None])


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 4).flatmap(lambda k: st.lists(st.tuples(*[values] * k), max_size=25)))
def test_counts_give_what_the_matrix_gives(matrix: list[tuple[int | None, ...]]) -> None:
    expected = agreement_by_code({"c": [list(row) for row in matrix]})[0]
    counts = pattern_counts(RatedSpan(0, i, i + 1, 0, row) for i, row in enumerate(matrix))
    got = agreement_from_counts("c", counts)
    assert got.n_units == expected.n_units
    for name in ("percent", "cohen", "fleiss", "alpha"):
        a, b = getattr(got, name), getattr(expected, name)
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b), name


def test_bad_coders_are_refused(fixture_project: Path, runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["--project", str(fixture_project), "agree", "--coders", "alice,carol"]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: unknown coder(s) carol; known coders: alice, bob"
    ]
    with pytest.raises(QualmineError, match="two or more coders"):
        agreement_on_presence(find_project(explicit=fixture_project), ["alice"])
    with pytest.raises(QualmineError, match="'bob' has marked none"):
        agreement_on_presence(
            find_project(explicit=fixture_project),
            ["alice", "bob"],
            selection=Selection(docs=("D3",)),
        )


def test_disagreements_list_document_location_code_coders_and_text(
    fixture_project: Path, runner: CliRunner
) -> None:
    tables = json_tables(
        runner, fixture_project, "agree", "--coders", "alice,bob", "--disagreements"
    )
    listing = tables["Disagreements"]
    rows = [tuple(r.values()) for r in listing["rows"]]
    text = TRANSCRIPTS["D1"]
    forum = text.index("The forum helps.")
    assert rows[0] == (
        "D1",
        f"turn 3, characters {forum}-{forum + 16}",
        "peers",
        "bob",
        "alice",
        "The forum helps.",
    )
    assert [r[2:] for r in rows[1:]] == [
        ("mobile", "alice", "bob", "My phone goes everywhere."),
        ("mobile", "bob", "alice", "I check it daily."),
    ]
    assert len(rows) == 3
    assert "bob did not mark D3 done" in listing["meta"]["missing"]


def test_long_disagreement_text_is_truncated() -> None:
    assert truncate("word " * 40) == ("word " * 20).strip()[:99].rstrip() + "…"
    assert len(truncate("x" * 300)) == 100


def test_golden_csv_and_markdown(fixture_project: Path, runner: CliRunner) -> None:
    for fmt in ("csv", "md"):
        result = invoke(
            runner, fixture_project, "agree", "--coders", "alice,bob", "--disagreements", "-f", fmt
        )
        assert result.exit_code == 0, result.output
        assert result.output == (GOLDEN / f"agree.{fmt}").read_text(encoding="utf-8"), fmt


def test_xlsx_holds_the_tables_and_their_meta(fixture_project: Path, runner: CliRunner) -> None:
    path = fixture_project / "agree.xlsx"
    result = invoke(runner, fixture_project, "agree", "--coders", "alice,bob", "-o", str(path))
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    per_code = book[book.sheetnames[1]]
    assert [c.value for c in per_code[1]][:2] == ["code", "units"]
    assert [c.value for c in per_code[3]][:4] == ["peers", 8, 3, 3]
    assert per_code.cell(3, 8).value == pytest.approx(8 / 11)
    about = {(r[1], r[2]) for r in book["about"].iter_rows(min_row=2, values_only=True)}
    assert ("unit", "segment (participant speech)") in about


def test_by_document_and_other_units(fixture_project: Path, runner: CliRunner) -> None:
    tables = json_tables(
        runner, fixture_project, "agree", "--coders", "alice,bob", "--by", "document"
    )
    detail = [
        (r["document"], r["code"], r["units"])
        for r in tables["Agreement per code by document"]["rows"]
    ]
    assert detail[:3] == [("D1", "trust", 4), ("D1", "peers", 4), ("D1", "mobile", 4)]
    assert {r[0] for r in detail} == {"D1", "D2"}  # D3 has no unit bob rated
    summary = tables["Agreement overall by document"]["rows"]
    assert [r["document"] for r in summary] == ["D1", "D2", "D3"]
    _, docs = _by_code(fixture_project, unit="document")
    # Document presence: every pairable document (D1, D2) carries every code for both.
    assert docs["peers"].n_units == 2 and docs["peers"].percent == 1.0
    assert math.isnan(docs["peers"].alpha)
    _, turns = _by_code(fixture_project, unit="turn")
    # Turn units: D1 turn 1 (s1, s2), D1 turn 3 (s3, s4), D2 turn 1, D2 turn 3.
    # peers: alice [1, 0, 1, 0], bob [1, 1, 1, 0] -> 3 of 4 agree.
    assert turns["peers"].n_units == 4 and turns["peers"].percent == pytest.approx(0.75)


def test_rollup_adds_the_parent(fixture_project: Path) -> None:
    agreement = agreement_on_presence(
        find_project(explicit=fixture_project), ["alice", "bob"], rollup=True
    )
    results = {r.code: r for r in agreement.per_code}
    # sources = peers or mobile: alice [1,1,0,0,1,0,1,0], bob [1,1,1,0,1,0,0,1] on s1..s8.
    assert results["sources"].percent == pytest.approx(5 / 8)


def test_a_loaded_corpus_gives_the_same_tables(fixture_project: Path) -> None:
    project = find_project(explicit=fixture_project)
    corpus = load_corpus(
        project, CorpusFilter(coders=("alice", "bob"), statuses=("suggested", "accepted"))
    )
    from_corpus = agreement_table(corpus, ["alice", "bob"], "character")
    from_project = agreement_table(project, ["alice", "bob"], "character")
    assert [t.rows for t in from_corpus] == [t.rows for t in from_project]
    with pytest.raises(ValueError, match="turn units"):
        agreement_on_presence(corpus, ["alice", "bob"], "turn")


# The fast path against the definition: random small corpora built in memory, every unit.
CODES = ("a", "g.x", "g.y", "g.y.z", "b", "not-in-codebook")
RANDOM_CODEBOOK = Codebook(
    "random",
    1,
    (
        Code("a", "A"),
        Code("g", "G", codable=False),
        Code("g.x", "X", parent="g"),
        Code("g.y", "Y", parent="g"),
        Code("g.y.z", "Z", parent="g.y"),
        Code("b", "B"),
    ),
)


@st.composite
def random_corpora(draw: st.DrawFn) -> tuple[CodedCorpus, tuple[str, ...]]:
    """Up to three documents of sentences (some left out, some in one turn), 2-4 coders."""
    coders = tuple(f"c{i}" for i in range(draw(st.integers(2, 4))))
    kind = draw(st.sampled_from(["segment", "turn"]))
    names, texts, units, codings = {}, {}, [], []
    for doc in range(draw(st.integers(1, 3))):
        doc_id = 5 + 3 * doc
        size = draw(st.integers(0, 30))
        names[doc_id], texts[doc_id] = f"D{draw(st.integers(0, 9))}{doc}", "ab c." * 6
        cuts = sorted(draw(st.sets(st.integers(0, size), max_size=6)))
        spans = [(s, e) for s, e in zip(cuts, cuts[1:], strict=False) if draw(st.booleans())]
        turns = sorted(draw(st.lists(st.integers(0, 3), min_size=len(spans), max_size=len(spans))))
        for turn in sorted(set(turns)):
            mine = tuple(s for s, t in zip(spans, turns, strict=True) if t == turn)
            pieces = [mine] if kind == "turn" else [(s,) for s in mine]
            for p in pieces:
                units.append(Unit(doc_id, p[0][0], p[-1][1], "", "participant", None, turn, p))
        for _ in range(draw(st.integers(0, 8))):
            start = draw(st.integers(0, size))
            end = min(size, start + draw(st.integers(0, 15)))
            code, coder = draw(st.sampled_from(CODES)), draw(st.sampled_from(coders))
            codings.append(Coding(0, doc_id, start, end, "q", code, coder))
    done = {c: frozenset(d for d in names if draw(st.booleans())) | {min(names)} for c in coders}
    wanted = CorpusFilter(coders, ("accepted",), (), (), "participant", kind)
    corpus = CodedCorpus(
        RANDOM_CODEBOOK, names, texts, {}, {}, tuple(units), tuple(codings), coders, done, wanted
    )
    return corpus, coders


def plain_rows(
    corpus: CodedCorpus, coders: tuple[str, ...], unit: str, code: str, rollup: bool
) -> list[RatedSpan]:
    """A code's presence rows by the definition, one unit (or one character) at a time."""
    parent = {c.id: c.parent for c in corpus.codebook.codes}

    def counts_for(coded: str) -> bool:
        while rollup and coded != code and coded in parent:
            coded = parent[coded]
        return coded == code

    def value(coder: str, doc: int, start: int, end: int) -> int | None:
        if doc not in corpus.done[coder]:
            return None
        return int(
            any(
                c.coder == coder and c.document_id == doc and counts_for(c.code)
                and c.start < end and start < c.end
                for c in corpus.codings
            )
        )  # fmt: skip

    docs = sorted(corpus.documents, key=lambda d: corpus.documents[d])
    if unit == "document":
        return [
            RatedSpan(d, 0, len(corpus.texts[d]), -1, tuple(
                int(any(value(c, d, u.start, u.end) for u in corpus.units if u.document_id == d))
                if d in corpus.done[c] else None
                for c in coders
            ))
            for d in docs
        ]  # fmt: skip
    if unit != "character":
        units = sorted(
            corpus.units, key=lambda u: (corpus.documents[u.document_id], u.start, u.end)
        )
        return [
            RatedSpan(u.document_id, u.start, u.end, u.turn_idx,
                      tuple(value(c, u.document_id, u.start, u.end) for c in coders))
            for u in units
        ]  # fmt: skip
    rows = []
    for d in docs:
        sentences = sorted({(s, e, u.turn_idx) for u in corpus.units if u.document_id == d
                            for s, e in u.segments})  # fmt: skip
        for s, e, turn in sentences:
            chars = [
                (x, tuple(value(c, d, x, x + 1) for c in coders)) for x in range(s, max(e, s + 1))
            ]
            for x, values in chars:
                if rows and rows[-1].values == values and rows[-1].end == x and x > s:
                    last = rows.pop()
                    rows.append(RatedSpan(d, last.start, x + 1, turn, values, last.weight + 1))
                else:
                    rows.append(RatedSpan(d, x, min(x + 1, e), turn, values, min(x + 1, e) - x))
    return rows


def same_result(got: AgreementResult, expected: AgreementResult) -> bool:
    """Equal to the last bit, NaN equal to NaN."""
    pairs = zip(dataclasses.astuple(got), dataclasses.astuple(expected), strict=True)
    return all(a == b or (a != a and b != b) for a, b in pairs)


@settings(max_examples=120, deadline=None)
@given(random_corpora(), st.sampled_from(["unit", "document", "character"]), st.booleans())
def test_fast_presence_and_figures_equal_the_plain_computation(
    drawn: tuple[CodedCorpus, tuple[str, ...]], unit: str, rollup: bool
) -> None:
    corpus, coders = drawn
    unit = corpus.filters.unit if unit == "unit" else unit
    agreement = agreement_on_presence(corpus, coders, unit, rollup=rollup)
    presence = agreement.presence
    candidates = [c.id for c in RANDOM_CODEBOOK.codes if c.codable or rollup]
    candidates += sorted({c.code for c in corpus.codings} - {c.id for c in RANDOM_CODEBOOK.codes})
    plain = {c: plain_rows(corpus, coders, unit, c, rollup) for c in candidates}
    used = tuple(c for c in candidates if any(1 in r.values for r in plain[c]))
    assert presence.codes == used
    codable = {c.id for c in RANDOM_CODEBOOK.codes if c.codable or rollup}
    assert presence.unused == tuple(c for c in candidates if c not in used and c in codable)
    assert presence.rows == {c: tuple(plain[c]) for c in used}
    for result in agreement.per_code:
        assert same_result(result, code_result(result.code, plain[result.code], unit))
    pooled = pattern_counts(r for c in used for r in plain[c])
    assert same_result(agreement.pooled, agreement_from_counts("(pooled)", pooled, unit=unit))
    tables = agreement_table(corpus, coders, unit, rollup=rollup, disagreements=True, by="document")
    names = corpus.documents
    detail = []
    for doc in sorted(names, key=lambda d: names[d]):
        for code in used:
            rows = [r for r in plain[code] if r.document_id == doc]
            result = code_result(code, rows, unit)
            if rows and result.n_units:
                coded = [
                    sum(r.weight for r in rows if r.values[i] == 1) for i in range(len(coders))
                ]
                detail.append((names[doc], code, result.n_units, *coded, result))
    got = tables[2].rows
    assert [r[: 3 + len(coders)] for r in got] == [d[:-1] for d in detail]
    for row, d in zip(got, detail, strict=True):
        expected = (round(100 * d[-1].percent, 1), d[-1].cohen, d[-1].fleiss, d[-1].alpha)
        assert all(a == b or (a != a and b != b) for a, b in zip(row[-4:], expected, strict=True))
    mixed = [(names[r.document_id], r.start, used.index(c), c) for c in used for r in plain[c]
             if 0 in r.values and 1 in r.values]  # fmt: skip
    assert [(r[0], r[2]) for r in tables[-1].rows] == [(m[0], m[3]) for m in sorted(mixed)]


def test_two_coder_counts_give_the_matrix_figures_to_the_last_bit() -> None:
    # Every table of up to 5 units per pattern: kappa's chance term is where a shortcut
    # such as p0 = 1 - p1 would drift from `agreement_by_code` in the last digit.
    patterns = [(0, 0), (0, 1), (1, 0), (1, 1), (1, None)]
    for counts in itertools.product(range(6), range(6), range(6), range(6), range(2)):
        matrix = [list(p) for p, n in zip(patterns, counts, strict=True) for _ in range(n)]
        expected = agreement_by_code({"c": matrix})[0]
        got = matrix_agreement_from_counts("c", dict(zip(patterns, counts, strict=True)), 2)
        assert same_result(got, expected), counts


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 4).flatmap(lambda k: st.lists(st.tuples(*[values] * k), max_size=40)))
def test_counts_and_table_give_the_matrix_figures_to_the_last_bit(
    matrix: list[tuple[int | None, ...]],
) -> None:
    expected = agreement_by_code({"c": [list(row) for row in matrix]})[0]
    counts = pattern_counts(RatedSpan(0, i, i + 1, 0, row) for i, row in enumerate(matrix))
    table = np.array([[row.count(0), row.count(1)] for row in matrix], dtype=float)
    n_coders = len(matrix[0]) if matrix else 2
    got = matrix_agreement_from_counts("c", counts, n_coders, table=lambda: table.reshape(-1, 2))
    assert same_result(got, expected)
