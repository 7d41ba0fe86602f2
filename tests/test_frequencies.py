"""`qualmine freq` and `code_frequencies` on a three-document project with hand-counted values.

The project (`build_three_documents`, shared with the crosstab, co-occurrence and matrix
tests) holds three interviews and four cases:

    D1  Anna (US, 20-35)           D2  Ben (US, 36-45)
    D3  Cara (UK, 36-45) and Dan (UK, 46+), one focus-group style interview

Participant segments (the units) and alice's codes on them:

    D1 turn 1  s "I trust people I have met."                              trust.people
               s "I asked my peers about the vendor and [laughs] they said no."  peers
    D1 turn 3  s "On my phone, mostly on the train."                       mobile
               s "I rely on it every day."                                 trust.people
    D2 turn 1  s "Mostly my old colleagues."                               peers
               s "I never trust a vendor."                                 trust.people
    D2 turn 3  s "No, I read them at my desk."                             -
               s "My phone is for calls."                                  mobile
    D3 turn 1 (Cara) s "We ask the team first."                            peers
                     s "Then we check the forums."                         trust.online
    D3 turn 2 (Dan)  s "I trust the forums more than the team."            trust.online, peers
                     s "I read them on my tablet."                         mobile
    D3 turn 4 (Cara) s "Not from me."                                      -
    D3 turn 5 (Dan)  s "No, that is all."                                  -

bob marked D1 and D2 done (not D3) and coded trust.people on "I trust people I have met.
I asked my peers about the vendor" (two segments of D1, the second only in part) and on
"I never trust a vendor."; his suggested mobile on "No, I read them at my desk." and his
peers in D3 (not done by him) do not count by default.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import invoke
from qualmine.analysis.corpus import CorpusFilter, load_corpus
from qualmine.analysis.frequencies import _word_spans, code_frequencies
from qualmine.cli import cli
from qualmine.project.config import find_project

GOLDEN = Path(__file__).parent / "golden"

TRANSCRIPTS = {
    "D1.txt": (
        "Interviewer: Whom do you trust for advice?\n\n"
        "Anna: I trust people I have met. I asked my peers about the vendor and [laughs] "
        "they said no.\n\n"
        "Interviewer: And where do you read the reviews?\n\n"
        "Anna: On my phone, mostly on the train. I rely on it every day.\n"
    ),
    "D2.txt": (
        "Interviewer: Whom do you trust for advice?\n\n"
        "Ben: Mostly my old colleagues. I never trust a vendor.\n\n"
        "Interviewer: Do you read reviews on the go?\n\n"
        "Ben: No, I read them at my desk. My phone is for calls.\n"
    ),
    "D3.txt": (
        "Interviewer: Tell me how you two decide.\n\n"
        "Cara: We ask the team first. Then we check the forums.\n\n"
        "Dan: I trust the forums more than the team. I read them on my tablet.\n\n"
        "Interviewer: Anything else?\n\n"
        "Cara: Not from me.\n\n"
        "Dan: No, that is all.\n"
    ),
}
PARTICIPANTS = "case,age_band,country\nAnna,20-35,US\nBen,36-45,US\nCara,36-45,UK\nDan,46+,UK\n"
CODEBOOK = """\
format_version: 1
name: Analysis test codebook
codes:
  - id: trust
    name: Trust
    definition: Whom or what the speaker trusts.
    codable: false
    children:
      - id: trust.people
        name: Trusts people
        definition: The speaker trusts people they know.
        examples: ["I trust people I have met."]
      - id: trust.online
        name: Trusts online sources
        definition: The speaker trusts forums, reviews or feeds.
        examples: ["I trust the forums."]
  - id: peers
    name: Peers
    definition: The speaker turns to peers or a team.
    examples: ["I asked my peers first."]
  - id: mobile
    name: Mobile access
    definition: The speaker reads on a phone or tablet.
    examples: ["I read it on my phone."]
"""
CODINGS = [
    ("D1", "I trust people I have met.", "trust.people", "alice", "accepted"),
    (
        "D1",
        "I asked my peers about the vendor and [laughs] they said no.",
        "peers",
        "alice",
        "accepted",
    ),
    ("D1", "On my phone, mostly on the train.", "mobile", "alice", "accepted"),
    ("D1", "I rely on it every day.", "trust.people", "alice", "accepted"),
    ("D2", "Mostly my old colleagues.", "peers", "alice", "accepted"),
    ("D2", "I never trust a vendor.", "trust.people", "alice", "accepted"),
    ("D2", "My phone is for calls.", "mobile", "alice", "accepted"),
    ("D3", "We ask the team first.", "peers", "alice", "accepted"),
    ("D3", "Then we check the forums.", "trust.online", "alice", "accepted"),
    ("D3", "I trust the forums more than the team.", "trust.online", "alice", "accepted"),
    ("D3", "I trust the forums more than the team.", "peers", "alice", "accepted"),
    ("D3", "I read them on my tablet.", "mobile", "alice", "accepted"),
    (
        "D1",
        "I trust people I have met. I asked my peers about the vendor",
        "trust.people",
        "bob",
        "accepted",
    ),
    ("D2", "I never trust a vendor.", "trust.people", "bob", "accepted"),
    ("D2", "No, I read them at my desk.", "mobile", "bob", "suggested"),
    ("D3", "We ask the team first.", "peers", "bob", "accepted"),
]
DONE = [("D1", "alice"), ("D2", "alice"), ("D3", "alice"), ("D1", "bob"), ("D2", "bob")]


def build_three_documents(root: Path, runner: CliRunner, seed: int = 42) -> Path:
    """Make the three-document project through the real CLI; returns its folder."""
    result = runner.invoke(cli, ["init", str(root)])
    assert result.exit_code == 0, result.output
    config = root / "qualmine.toml"
    config.write_text(
        config.read_text()
        .replace("[project]\n", '[project]\ncodebook = "codebook.yaml"\n', 1)
        .replace("seed = 42", f"seed = {seed}")
    )
    folder = root / "transcripts"
    folder.mkdir()
    for name, text in TRANSCRIPTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    (root / "participants.csv").write_text(PARTICIPANTS, encoding="utf-8")
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    with (root / "codings.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["document", "start", "end", "quote", "code", "coder", "status"])
        writer.writerows([(d, "", "", q, c, who, s) for d, q, c, who, s in CODINGS])
        writer.writerows([(d, "", "", "", "", who, "done") for d, who in DONE])
    for args in (
        ("import", str(folder), "--attributes", str(root / "participants.csv")),
        ("codings", "import", str(root / "codings.csv")),
    ):
        result = invoke(runner, root, *args)
        assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def three_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_three_documents(tmp_path_factory.mktemp("three") / "proj", CliRunner())


ALICE = CorpusFilter(coders=("alice",))


def _freq(
    project: Path,
    filters: CorpusFilter = ALICE,
    *,
    rollup: bool = False,
    by_coder: bool = False,
) -> dict[tuple[str, ...], tuple[object, ...]]:
    """The frequency rows keyed by code (and coder), without the name."""
    corpus = load_corpus(find_project(explicit=project), filters)
    table = code_frequencies(corpus, rollup=rollup, by_coder=by_coder)
    if by_coder:
        return {(row[0], row[2]): row[3:] for row in table.rows}
    return {(row[0],): row[2:] for row in table.rows}


def test_units_words_documents_and_cases_by_hand(three_docs: Path) -> None:
    rows = _freq(three_docs)
    # trust.people: D1 "I trust people I have met." (6 words), D1 "I rely on it every day."
    # (6), D2 "I never trust a vendor." (5): 3 units, 6 + 6 + 5 = 17 words; documents D1, D2:
    # 2 of 3 = 66.7 %; cases Anna, Ben: 2 of 4 = 50 %.
    assert rows[("trust.people",)] == (3, 17, "2 of 3", 66.7, "2 of 4", 50.0)
    # trust.online: "Then we check the forums." (5) and "I trust the forums more than the
    # team." (8): 2 units, 13 words; D3 only: 1 of 3 = 33.3 %; Cara and Dan: 2 of 4.
    assert rows[("trust.online",)] == (2, 13, "1 of 3", 33.3, "2 of 4", 50.0)
    # peers: D1 "I asked my peers about the vendor and [laughs] they said no." (11 words,
    # the mark is not one), D2 "Mostly my old colleagues." (4), D3 "We ask the team first."
    # (5), "I trust the forums more than the team." (8): 4 units, 28 words, 3 of 3, 4 of 4.
    assert rows[("peers",)] == (4, 28, "3 of 3", 100.0, "4 of 4", 100.0)
    # mobile: "On my phone, mostly on the train." (7), "My phone is for calls." (5),
    # "I read them on my tablet." (6): 3 units, 18 words; Anna, Ben, Dan: 3 of 4 = 75 %.
    assert rows[("mobile",)] == (3, 18, "3 of 3", 100.0, "3 of 4", 75.0)
    # trust is a grouping code nobody applies: without --rollup it counts nothing.
    assert rows[("trust",)] == (0, 0, "0 of 3", 0.0, "0 of 4", 0.0)


def test_rows_come_in_codebook_tree_order(three_docs: Path) -> None:
    assert [k[0] for k in _freq(three_docs)] == [
        "trust",
        "trust.people",
        "trust.online",
        "peers",
        "mobile",
    ]


def test_rollup_counts_a_parent_once_per_unit_document_and_case(three_docs: Path) -> None:
    rows = _freq(three_docs, rollup=True)
    # trust = trust.people (3 units, 17 words) + trust.online (2 units, 13 words), no unit
    # shared: 5 units, 30 words; documents D1, D2, D3 (3 of 3); Anna, Ben (people) and Cara,
    # Dan (online): 4 of 4. Children keep their own counts.
    assert rows[("trust",)] == (5, 30, "3 of 3", 100.0, "4 of 4", 100.0)
    assert rows[("trust.people",)] == (3, 17, "2 of 3", 66.7, "2 of 4", 50.0)


def test_by_coder_gives_each_coder_their_own_denominator(three_docs: Path) -> None:
    rows = _freq(three_docs, CorpusFilter(coders=("alice", "bob")), by_coder=True)
    # bob: D1 and D2 done, so N = 2 documents and their cases Anna and Ben (2). His D1 coding
    # overlaps 2 segments: "I trust people I have met." (6 words) and 7 words of the next
    # ("I asked my peers about the vendor"); D2 "I never trust a vendor." (5): 3 units,
    # 6 + 7 + 5 = 18 words, 2 of 2 documents, 2 of 2 cases. His D3 coding is not counted.
    assert rows[("trust.people", "bob")] == (3, 18, "2 of 2", 100.0, "2 of 2", 100.0)
    assert rows[("peers", "bob")] == (0, 0, "0 of 2", 0.0, "0 of 2", 0.0)
    assert rows[("trust.people", "alice")] == (3, 17, "2 of 3", 66.7, "2 of 4", 50.0)


def test_two_coders_together_count_a_unit_and_a_word_once(three_docs: Path) -> None:
    rows = _freq(three_docs, CorpusFilter(coders=("alice", "bob")))
    # alice's 3 units plus bob's second D1 segment: 4 units. Words: 6 (met) + 7 (bob's part
    # of the peers sentence) + 6 (rely) + 5 (vendor; both coded it, counted once) = 24.
    assert rows[("trust.people",)] == (4, 24, "2 of 3", 66.7, "2 of 4", 50.0)


def test_suggested_codings_count_only_when_asked(three_docs: Path) -> None:
    both = ("alice", "bob")
    rows = _freq(three_docs, CorpusFilter(coders=both, statuses=("suggested",)))
    # bob's one suggestion: "No, I read them at my desk." = 7 words, D2, Ben.
    assert rows[("mobile",)] == (1, 7, "1 of 3", 33.3, "1 of 4", 25.0)


def test_turn_and_document_units(three_docs: Path) -> None:
    turns = _freq(three_docs, CorpusFilter(coders=("alice",), unit="turn"))
    # peers turns: D1 turn 1, D2 turn 1, D3 turn 1 (Cara), D3 turn 2 (Dan) = 4.
    assert turns[("peers",)][0] == 4
    # trust.people turns: D1 turn 1, D1 turn 3, D2 turn 1 = 3.
    assert turns[("trust.people",)][0] == 3
    docs = _freq(three_docs, CorpusFilter(coders=("alice",), unit="document"))
    assert docs[("trust.people",)][0] == 2
    assert docs[("mobile",)][0] == 3


def test_words_skip_marks_and_tokens_without_letters() -> None:
    text = "Well - I [laughs] said (pause 0:05) it's fine."
    from qualmine.parsing import strip_marks

    starts, ends = _word_spans(strip_marks(text))
    words = [text[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
    assert words == ["Well", "I", "said", "it's", "fine."]


def test_the_table_states_unit_denominator_coders_and_rules(three_docs: Path) -> None:
    corpus = load_corpus(find_project(explicit=three_docs), CorpusFilter(coders=("alice",)))
    meta = code_frequencies(corpus).meta
    assert meta["unit"] == "segment (participant speech)"
    assert meta["denominator"] == "3 documents marked done by alice; 4 cases"
    assert meta["coders"] == "alice" and meta["statuses"] == "accepted"
    assert "[laughs]" in meta["words"] and "rollup" in meta and "filters" in meta


def test_cli_freq_matches_the_golden_csv_and_markdown(
    three_docs: Path, runner: CliRunner, tmp_path: Path
) -> None:
    for suffix in ("csv", "md"):
        out = tmp_path / f"freq.{suffix}"
        result = invoke(runner, three_docs, "freq", "--coder", "alice", "--rollup", "-o", str(out))
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == (GOLDEN / f"freq.{suffix}").read_bytes()


def test_cli_freq_xlsx_reads_back(three_docs: Path, runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "freq.xlsx"
    result = invoke(runner, three_docs, "freq", "--coder", "alice", "-o", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    sheet = book[book.sheetnames[1]]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0] == (
        "code",
        "name",
        "units",
        "words",
        "documents",
        "documents %",
        "cases",
        "cases %",
    )
    assert rows[2] == ("trust.people", "Trusts people", 3, 17, "2 of 3", 66.7, "2 of 4", 50)
    about = [tuple(c.value for c in row) for row in book["about"].iter_rows()]
    assert (sheet.title, "denominator", "3 documents marked done by alice; 4 cases") in about


def test_cli_freq_gives_the_same_bytes_twice(
    three_docs: Path, runner: CliRunner, tmp_path: Path
) -> None:
    for suffix in ("csv", "md", "xlsx", "json"):
        outputs = []
        for attempt in (1, 2):
            out = tmp_path / f"{attempt}.{suffix}"
            invoke(runner, three_docs, "freq", "--by-coder", "-o", str(out))
            outputs.append(out.read_bytes())
        assert outputs[0] == outputs[1], suffix


def test_cli_freq_table_prints_the_meta(three_docs: Path, runner: CliRunner) -> None:
    result = invoke(runner, three_docs, "freq", "--unit", "turn")
    assert result.exit_code == 0, result.output
    assert "unit: turn (participant speech)" in result.output
    assert "alice or bob" in result.output


def test_percent_of_nothing_is_not_a_number() -> None:
    from qualmine.analysis.frequencies import percent

    assert math.isnan(percent(0, 0)) and percent(1, 3) == 33.3
