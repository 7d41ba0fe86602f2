"""`qualmine quotes` (--and, --not, --near, context) and `qualmine search` (lemma-aware KWIC)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import invoke
from qualmine.analysis.retrieval import QuoteRequest, key_attributes, quotes_table
from qualmine.analysis.search import SearchRequest, find_phrase, search_table
from qualmine.cli import cli
from qualmine.errors import QualmineError
from qualmine.project.config import find_project
from test_reliability import json_tables, make_project

# The fixture (see test_reliability): alice codes
#   trust  s1 "I trust my peers." (D1)  s6 "I do not trust strangers online." (D2)
#          s10 "I trust her judgement." (D3)
#   peers  s1 (D1)  s5 "My colleagues matter most." (D2)  s9 "A peer warned me." (D3)
#   mobile s2 "I read reviews on my phone." (D1)  s7 "My phone goes everywhere." (D2)


@pytest.fixture
def fixture_project(tmp_path: Path, runner: CliRunner) -> Path:
    return make_project(tmp_path / "quotes", runner)


def _quotes(folder: Path, **options: object) -> list[dict[str, object]]:
    request = QuoteRequest(coders=("alice",), **options)  # type: ignore[arg-type]
    table = quotes_table(find_project(explicit=folder), request)
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def test_and_means_the_same_unit_carries_both(fixture_project: Path) -> None:
    rows = _quotes(fixture_project, code="trust", with_codes=("peers",))
    # Only s1 carries trust and peers; s6 and s10 have peers in the sentence before.
    assert [(r["document"], r["excerpt"]) for r in rows] == [("D1", "I trust my peers.")]


def test_near_widens_and_to_neighbouring_units(fixture_project: Path) -> None:
    rows = _quotes(fixture_project, code="trust", with_codes=("peers",), near=1)
    assert [r["excerpt"] for r in rows] == [
        "I trust my peers.",
        "I do not trust strangers online.",
        "I trust her judgement.",
    ]
    # Within 0 units is the same as --and alone.
    assert len(_quotes(fixture_project, code="trust", with_codes=("peers",), near=0)) == 1
    # mobile follows s1 (s2) and s6 (s7); D3 has no mobile at all.
    near_mobile = _quotes(fixture_project, code="trust", with_codes=("mobile",), near=1)
    assert [r["document"] for r in near_mobile] == ["D1", "D2"]


def test_not_excludes_units_carrying_the_code(fixture_project: Path) -> None:
    rows = _quotes(fixture_project, code="peers", without=("trust",))
    assert [(r["document"], r["excerpt"]) for r in rows] == [
        ("D2", "My colleagues matter most."),
        ("D3", "A peer warned me."),
    ]
    assert _quotes(fixture_project, code="peers", with_codes=("trust",), without=("mobile",))


def test_excerpts_carry_case_attributes_location_and_context(fixture_project: Path) -> None:
    rows = _quotes(fixture_project, code="trust")
    d2 = rows[1]
    assert d2["case"] == "Ben"
    # age_band and country group the cases (a value shared by two); interview_date does not.
    assert d2["attributes"] == "age_band=36-45; country=UK"
    assert d2["location"] == "turn 1"
    # Context crosses speakers: the next sentence is the interviewer's question.
    assert (d2["before"], d2["after"]) == ("My colleagues matter most.", "And devices?")
    assert rows[0]["before"] == "Whom do you trust?"
    bare = _quotes(fixture_project, code="trust", context=0, attributes=("country",))
    assert bare[0]["before"] == "" and bare[0]["after"] == ""
    assert bare[0]["attributes"] == "country=US"


def test_a_parent_code_brings_its_children(fixture_project: Path) -> None:
    rows = _quotes(fixture_project, code="sources")
    assert [r["code"] for r in rows] == ["peers", "mobile", "peers", "mobile", "peers"]


def test_two_coders_on_one_span_make_one_excerpt(fixture_project: Path) -> None:
    table = quotes_table(
        find_project(explicit=fixture_project), QuoteRequest("trust", coders=("alice", "bob"))
    )
    first = dict(zip(table.columns, table.rows[0], strict=True))
    assert first["coders"] == "alice, bob"
    assert len(table.rows) == 3  # s1 and s6 shared; s10 alice's (bob's D3 is not done)


def test_unknown_code_names_the_closest(fixture_project: Path) -> None:
    with pytest.raises(QualmineError, match="unknown code 'peer'; did you mean peers"):
        _quotes(fixture_project, code="trust", with_codes=("peer",))


def test_key_attributes_prefer_grouping_ones() -> None:
    cases = {
        "A": {"age": "20-35", "name": "Ann", "country": "US", "size": "<100"},
        "B": {"age": "20-35", "name": "Bo", "country": "US", "size": "<100"},
    }
    assert key_attributes(cases) == ("age", "country", "size")
    assert key_attributes({"A": {"name": "Ann"}}) == ("name",)


def test_phrases_match_on_lemmas_or_exactly() -> None:
    text = "Trusting my peers, I trusted them; the trusts were wrong. Word-of-mouth."
    found = find_phrase(text, ["trust"])
    assert [text[s:e] for s, e in found] == ["Trusting", "trusted", "trusts"]
    at = text.index("trusted")
    assert find_phrase(text, ["trusted"], exact=True) == [(at, at + len("trusted"))]
    assert [text[s:e] for s, e in find_phrase(text, ["word", "of", "mouth"])] == ["Word-of-mouth"]


def test_search_is_lemma_aware_and_in_participant_speech(fixture_project: Path) -> None:
    project = find_project(explicit=fixture_project)
    table = search_table(project, SearchRequest("trusted"))
    rows = [dict(zip(table.columns, r, strict=True)) for r in table.rows]
    # "trusted" -> lemma "trust": three participant sentences; the interviewer's
    # "Whom do you trust?" is not participant speech.
    assert [(r["document"], r["match"], r["case"]) for r in rows] == [
        ("D1", "trust", "Anna"),
        ("D2", "trust", "Ben"),
        ("D3", "trust", "Cara"),
    ]
    assert (rows[1]["left"], rows[1]["right"]) == (
        "My colleagues matter most. I do not",
        "strangers online.",
    )
    assert len(search_table(project, SearchRequest("trusted", speaker_role=None)).rows) == 4
    assert search_table(project, SearchRequest("trusted", exact=True)).rows == ()
    phrase = search_table(project, SearchRequest("trusting my peer"))
    assert [r[1] for r in phrase.rows] == ["trust my peers"]


def test_search_shows_the_codes_covering_each_hit(fixture_project: Path) -> None:
    project = find_project(explicit=fixture_project)
    one = search_table(project, SearchRequest("trust", show_codes=True, coders=("alice",)))
    assert [r[-1] for r in one.rows] == ["trust; peers", "trust", "trust"]
    both = search_table(project, SearchRequest("trust", show_codes=True, coders=("alice", "bob")))
    # bob's D1 peers coding is only suggested; statuses default to accepted.
    assert [r[-1] for r in both.rows] == [
        "trust (alice, bob); peers (alice)",
        "trust (alice, bob)",
        "trust (alice)",
    ]
    assert "codes" not in search_table(project, SearchRequest("trust")).columns


def test_cli_quotes_and_search(fixture_project: Path, runner: CliRunner) -> None:
    tables = json_tables(
        runner,
        fixture_project,
        "quotes",
        "--code",
        "trust",
        "--and",
        "peers",
        "--near",
        "1",
        "--coder",
        "alice",
    )
    rows = tables["Quotes: trust"]["rows"]
    assert [r["document"] for r in rows] == ["D1", "D2", "D3"]
    assert "peers in a unit up to 1 away" in tables["Quotes: trust"]["meta"]["selection"]
    result = invoke(
        runner, fixture_project, "search", "trusted", "--code", "--coder", "alice", "-f", "csv"
    )
    assert result.exit_code == 0, result.output
    assert (
        result.output.splitlines()[1]
        == "I,trust,my peers. I read reviews on my phone.,D1,Anna,turn 1,trust; peers"
    )
    usage = invoke(runner, fixture_project, "quotes", "--code", "trust", "--near", "1")
    assert usage.exit_code == 2 and "--near N goes with --and" in usage.output


def test_cli_bad_input(fixture_project: Path, runner: CliRunner) -> None:
    for args in (
        ("quotes", "--code", "trust", "--coder", "zed"),
        ("search", "x", "--coder", "zed"),
    ):
        result = runner.invoke(cli, ["--project", str(fixture_project), *args])
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            "Error: unknown coder(s) zed; known coders: alice, bob"
        ]
    result = runner.invoke(cli, ["--project", str(fixture_project), "quotes", "--code", "nope"])
    assert result.exit_code == 1 and result.output.startswith("Error: unknown code 'nope'")
