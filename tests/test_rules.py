"""The rule coder: keywords on lemmas, phrases, regexes, spaCy patterns, vetoes, roles, marks,
scores and their order, suggestions. Real spaCy pipeline, codebooks built in the test."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.matcher import Matcher

from qualmine.coding.lemmas import LemmaReader, PatternSet
from qualmine.coding.regexes import FOLD, RegexSet
from qualmine.coding.rules import RuleCoder, rule_score
from qualmine.coding.runs import UnitScores
from qualmine.coding.units import Unit
from qualmine.errors import CodingError
from qualmine.language import load_pipeline
from qualmine.models import Code, Codebook


def book(*codes: Code) -> Codebook:
    return Codebook("test", 1, codes, content_hash="abc123")


def unit(text: str, role: str = "participant", *, start: int = 0, doc: int = 1) -> Unit:
    return Unit(doc, start, start + len(text), text, role, None, 0, ((start, start + len(text)),))


def scores(codebook: Codebook, text: str, role: str = "participant") -> dict[str, float]:
    [scored] = RuleCoder(codebook).fit().score([unit(text, role)])
    return {code: score for code, score, _ in scored.scores}


def evidence(codebook: Codebook, text: str) -> dict[str, str]:
    [scored] = RuleCoder(codebook).fit().score([unit(text)])
    return {code: ev for code, _, ev in scored.scores}


# ---------------------------------------------------------------- keywords on lemmas


@pytest.mark.parametrize(
    "text", ["I trusted them.", "Trusting it was easy.", "She trusts the feed.", "TRUST matters."]
)
def test_keyword_matches_inflected_forms_in_any_case(text: str) -> None:
    assert scores(book(Code("t", "T", keywords=("trust",))), text) == {"t": 0.5}


def test_keyword_rely_matches_relied() -> None:
    assert evidence(book(Code("r", "R", keywords=("rely",))), "We relied on it.") == {
        "r": "keywords: rely"
    }


def test_keyword_does_not_match_inside_another_word() -> None:
    assert scores(book(Code("t", "T", keywords=("trust",))), "Distrust and trustworthy.") == {}


def test_keyword_ai_is_not_lemmatized_to_have() -> None:
    codebook = book(Code("ai", "AI", keywords=("AI",)))
    assert scores(codebook, "I have had it.") == {}
    assert scores(codebook, "I use ai daily.") == {"ai": 0.5}


# ---------------------------------------------------------------- multi-word phrases


@pytest.mark.parametrize(
    "text", ["It spreads by word of mouth.", "Word-of-mouth is king.", "word [laughs] of mouth"]
)
def test_phrase_ignores_hyphens_and_marks(text: str) -> None:
    assert scores(book(Code("w", "W", keywords=("word of mouth",))), text) == {"w": 0.5}


def test_hyphenated_keyword_matches_spaced_words() -> None:
    assert scores(book(Code("w", "W", keywords=("word-of-mouth",))), "by word of mouth") == {
        "w": 0.5
    }


def test_phrase_matches_inflected_last_word() -> None:
    assert scores(book(Code("p", "P", keywords=("peer group",))), "My peer groups help.") == {
        "p": 0.5
    }


def test_phrase_needs_adjacent_words() -> None:
    codebook = book(Code("p", "P", keywords=("peer group",)))
    assert scores(codebook, "A peer. Groups came later.") == {}
    assert scores(codebook, "A group of peers.") == {}


# ---------------------------------------------------------------- regex and patterns


def test_regex_ignores_case_and_evidence_shows_the_matched_text() -> None:
    codebook = book(Code("g", "G", regex=(r"\bgoogl(e|ed|ing)\b",)))
    assert evidence(codebook, "I Googled it, then kept googling.") == {
        "g": "regex: googled, googling"
    }


def test_regex_needing_two_words_still_matches_after_prefilter() -> None:
    codebook = book(Code("f", "F", regex=(r"\bin[- ]person\b", r"\bco-?workers?\b")))
    assert scores(codebook, "We met in-person with coworkers.") == {"f": 0.75}
    assert scores(codebook, "We met inperson.") == {}


def test_spacy_pattern_on_lower_and_lemma() -> None:
    pattern: tuple[dict[str, Any], ...] = ({"LEMMA": "Read"}, {"LOWER": "it"}, {"LOWER": "online"})
    codebook = book(Code("o", "O", patterns=(pattern,)))
    assert evidence(codebook, "Reading it ONLINE helps.") == {"o": "patterns: reading it online"}
    assert scores(codebook, "I read that online.") == {}


def test_spacy_pattern_with_in_list_and_optional_token() -> None:
    pattern: tuple[dict[str, Any], ...] = (
        {"LOWER": "online"},
        {"OP": "?"},
        {"LEMMA": "be"},
        {"LOWER": {"IN": ["reliable", "accurate"]}},
    )
    codebook = book(Code("o", "O", patterns=(pattern,)))
    assert scores(codebook, "Online reviews are reliable.") == {"o": 0.5}
    assert scores(codebook, "Online reviews are useless.") == {}


# ---------------------------------------------------------------- vetoes, roles, marks


def test_exclude_keyword_vetoes_only_its_code() -> None:
    codebook = book(
        Code("on", "On", keywords=("online",), regex=(r"\bweb\b",), exclude_keywords=("offline",)),
        Code("web", "Web", keywords=("web",)),
    )
    assert scores(codebook, "Online and on the web.") == {"on": 0.75, "web": 0.5}
    assert scores(codebook, "Online, web and offline.") == {"web": 0.5}


def test_exclude_phrase_vetoes_in_inflected_form() -> None:
    codebook = book(Code("t", "T", keywords=("trust",), exclude_keywords=("trust fund",)))
    assert scores(codebook, "Their trust funds, I trust them.") == {}


def test_speaker_role_participant_interviewer_any() -> None:
    codebook = book(
        Code("p", "P", keywords=("trust",)),
        Code("i", "I", keywords=("trust",), speaker_role="interviewer"),
        Code("a", "A", keywords=("trust",), speaker_role="any"),
    )
    assert scores(codebook, "I trust it.", "participant") == {"p": 0.5, "a": 0.5}
    assert scores(codebook, "Do you trust it?", "interviewer") == {"i": 0.5, "a": 0.5}


def test_transcription_marks_are_not_matched() -> None:
    codebook = book(Code("l", "L", keywords=("laugh",), regex=(r"laugh\w*", r"\bpause\b")))
    assert scores(codebook, "Right [laughs] and (pause) then [inaudible 00:12:31] yes.") == {}
    assert evidence(codebook, "We laughed [laughs] about it.") == {
        "l": "keywords: laugh; regex: laughed"
    }


# ---------------------------------------------------------------- scores and their order


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I trust it.", 0.5),
        ("I trust it, I trusted it, trusting it.", 0.5),
        ("I trust my network.", 0.75),
        ("I trust my network on LinkedIn.", 0.875),
    ],
)
def test_score_counts_distinct_terms(text: str, expected: float) -> None:
    codebook = book(Code("t", "T", keywords=("trust", "network"), regex=(r"\blinkedin\b",)))
    assert scores(codebook, text) == {"t": expected}


def test_score_function_values() -> None:
    assert [rule_score(n) for n in (1, 2, 3)] == [0.5, 0.75, 0.875]


def test_term_found_by_keyword_and_regex_counts_once() -> None:
    codebook = book(
        Code("s", "S", keywords=("social media",), regex=(r"\bsocial media\b", "feeds?"))
    )
    assert evidence(codebook, "Social media feeds.") == {
        "s": "keywords: social media; regex: feeds"
    }
    assert scores(codebook, "Social media feeds.") == {"s": 0.75}


def test_evidence_keeps_codebook_order_and_is_short() -> None:
    words = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta")
    codebook = book(Code("g", "G", keywords=words))
    assert evidence(codebook, "theta zeta epsilon delta gamma beta alpha") == {
        "g": "keywords: alpha, beta, gamma, delta, epsilon, +2 more"
    }
    assert scores(codebook, "theta zeta epsilon delta gamma beta alpha") == {"g": rule_score(7)}


def test_order_by_score_then_codebook_order() -> None:
    codebook = book(
        Code("a", "A", keywords=("forum",)),
        Code("b", "B", keywords=("blog", "feed")),
        Code("c", "C", keywords=("forum",)),
    )
    [scored] = RuleCoder(codebook).fit().score([unit("A forum, a blog and a feed.")])
    assert [(code, score) for code, score, _ in scored.scores] == [
        ("b", 0.75),
        ("a", 0.5),
        ("c", 0.5),
    ]


def test_unit_without_matches_has_empty_scores() -> None:
    codebook = book(Code("t", "T", keywords=("trust",)))
    assert RuleCoder(codebook).fit().score([unit("Nothing here.")]) == [
        UnitScores(unit("Nothing here."), ())
    ]


def test_codes_without_hints_or_not_codable_are_skipped() -> None:
    codebook = book(
        Code("group", "Group", keywords=("trust",), codable=False),
        Code("bare", "Bare", exclude_keywords=("trust",)),
        Code("t", "T", keywords=("trust",)),
    )
    coder = RuleCoder(codebook).fit()
    assert [c.id for c in coder.codes_] == ["t"]
    assert scores(codebook, "I trust it.") == {"t": 0.5}


# ---------------------------------------------------------------- predict


TEXT = (
    "Interviewer: Do you trust online reviews?\n"
    "User: I trust them [laughs]. I googled the vendor. Word-of-mouth still wins.\n"
)


def document_units() -> list[Unit]:
    units = []
    for match in re.finditer(r"(?m)^(Interviewer|User): (.*)$", TEXT):
        role = "interviewer" if match.group(1) == "Interviewer" else "participant"
        for sentence in re.finditer(r"[^.?!]+[.?!]", match.group(2)):
            start = match.start(2) + sentence.start() + (sentence.group()[0] == " ")
            end = match.start(2) + sentence.end()
            units.append(Unit(7, start, end, TEXT[start:end], role, None, 0, ((start, end),)))
    return units


def trust_book() -> Codebook:
    return book(
        Code("trust", "Trust", keywords=("trust",), speaker_role="any"),
        Code("online", "Online", keywords=("online", "review"), regex=(r"\bgoogl(e|ed)\b",)),
        Code("offline", "Offline", keywords=("word of mouth",)),
    )


def test_predict_quotes_equal_text_at_offsets() -> None:
    codings = RuleCoder(trust_book()).fit().predict(document_units())
    assert [(c.code, c.quote) for c in codings] == [
        ("trust", "Do you trust online reviews?"),
        ("trust", "I trust them [laughs]."),
        ("online", "I googled the vendor."),
        ("offline", "Word-of-mouth still wins."),
    ]
    for coding in codings:
        assert coding.quote == TEXT[coding.start : coding.end]
        assert (coding.id, coding.document_id, coding.status, coding.coder) == (
            0,
            7,
            "suggested",
            "auto:rules",
        )
        assert coding.codebook_version == "1-abc123"
    assert codings[2].evidence == "regex: googled"


def test_predict_applies_threshold() -> None:
    units = [unit("I trust online reviews."), unit("I trust it.")]
    codings = RuleCoder(trust_book(), threshold=0.7).fit().predict(units)
    assert [(c.code, c.score, c.quote) for c in codings] == [
        ("online", 0.75, "I trust online reviews.")
    ]


def test_predict_is_idempotent() -> None:
    coder = RuleCoder(trust_book()).fit()
    first = coder.predict(document_units())
    assert coder.predict(document_units()) == first
    assert RuleCoder(trust_book()).fit().predict(document_units()) == first


def test_turn_unit_is_scored_on_its_whole_text() -> None:
    text = "I googled the forum. Then I trusted it."
    turn = Unit(3, 10, 10 + len(text), text, "participant", "p1", 4, ((10, 30), (31, 49)))
    codings = RuleCoder(trust_book()).fit().predict([turn])
    assert [(c.code, c.start, c.end, c.quote) for c in codings] == [
        ("trust", 10, 49, text),
        ("online", 10, 49, text),
    ]


# ---------------------------------------------------------------- errors and the prefilter


def test_score_before_fit_is_an_error() -> None:
    with pytest.raises(CodingError, match="fit"):
        RuleCoder(trust_book()).score([unit("I trust it.")])


def test_bad_regex_names_the_code() -> None:
    with pytest.raises(CodingError, match="code broken: regex"):
        RuleCoder(book(Code("broken", "B", regex=("(unclosed",)))).fit()


def test_bad_pattern_names_the_code() -> None:
    bad: tuple[dict[str, Any], ...] = ({"NOPE": "x"},)
    with pytest.raises(CodingError, match="code broken: invalid spaCy pattern"):
        RuleCoder(book(Code("broken", "B", patterns=(bad,)))).fit()


REGEXES = [
    r"\bgoogl(e|ed|ing)\b",
    r"\bblogs?\b|\b(forum|bing)",
    r"social media",
    r"\bonline (information|sources?|communit(y|ies))\b",
    r"\bin[- ]person\b",
    r"\bco-?workers?\b",
    r"\b(hidden )?agendas?\b",
    r"\bwhat.s in it for (him|her|them)\b",
    r"(?a)\bkit\b",
    r"\bsocial\b",
    r"\bski",
    r"\b(two|\d+) (big )?(networks|sites)\b",
    r"(x )*foo|(y )+bar",
]
TEXTS = [
    "I Googled it on the Blog and the FORUM; Bing too.",
    "Social Media, online communities and online sources.",
    "In-person with co-workers, in person with coworkers, inperson.",
    "What's in it for them? No hidden agenda, just agendas.",
    "ſocial media, ſkiing, İn person, KIT and \u212aIT, éKIT, naïve forum.",
    "antisocial media, ecoworkers, misinformation",
    "Two big networks, 12 sites, two bignetworks; afoo, x x foo, y bar, ybar.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_regex_prefilter_never_loses_a_match(text: str) -> None:
    regexes = RegexSet([(i, source, f"c{i}") for i, source in enumerate(REGEXES)])
    everything = frozenset(range(len(REGEXES)))
    expected = sorted(
        (i, " ".join(m.group().lower().split()), m.start())
        for i, source in enumerate(REGEXES)
        for m in re.finditer(source, text, re.IGNORECASE)
        if m.group()
    )
    assert sorted(regexes.find(text, everything)) == expected


PIECES = [
    "in",
    "person",
    "co",
    "workers",
    "Google",
    "googled",
    "forum",
    "social",
    "media",
    "two",
    "12",
    "networks",
    "big",
    "foo",
    "bar",
    "x",
    "y",
    "ſ",
    "İ",
    "\u212a",
    "é",
    "-",
    " ",
    "  ",
    "'",
    "’",
    ".",
    "\n",
    "agenda",
    "hidden",
    "what",
    "s",
    "it",
    "for",
    "them",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_regex_prefilter_agrees_with_running_every_regex(text: str) -> None:
    test_regex_prefilter_never_loses_a_match(text)


def test_case_folding_covers_every_ignorecase_equivalent_of_ascii() -> None:
    ascii_char = re.compile(r"[\x00-\x7f]", re.IGNORECASE)
    for code_point in range(sys.maxunicode + 1):
        char = chr(code_point)
        if ascii_char.fullmatch(char):
            folded = char.translate(FOLD).lower()
            assert len(folded) == 1 and folded.isascii(), hex(code_point)
            assert re.fullmatch(re.escape(folded), char, re.IGNORECASE), hex(code_point)


PATTERNS: list[list[dict[str, Any]]] = [
    [{"LEMMA": {"IN": ["read", "see"]}}, {"LOWER": "it"}, {"LOWER": "online"}],
    [{"LOWER": "on"}, {"LOWER": "the"}, {"LOWER": {"IN": ["web", "forums"]}}],
    [{"LOWER": "face"}, {"LOWER": "-", "OP": "?"}, {"LOWER": "to"}, {"ORTH": "face"}],
    [{"LIKE_NUM": True}, {"LOWER": {"IN": ["networks", "sites"]}}],
    [{"LEMMA": "ask"}, {"OP": "?"}, {"LOWER": {"NOT_IN": ["me"]}}],
    [{"TEXT": {"REGEX": "^[Pp]eers?$"}}],
]


@pytest.mark.parametrize(
    "text",
    [
        "I saw it online, then read it online again on the web.",
        "Face-to-face or face to Face, on three networks and 2 sites.",
        "I asked around; ask my peers, Peer reviews.",
        "Nothing to see here.",
    ],
)
def test_pattern_prefilter_never_loses_a_match(text: str) -> None:
    nlp = load_pipeline()
    reader = LemmaReader(nlp)
    patterns = PatternSet(nlp, reader, [(i, f"p{i}", [p]) for i, p in enumerate(PATTERNS)])
    doc, keys, lemmas = reader.read(text)
    found = sorted(patterns.find(doc, keys, lemmas, frozenset(range(len(PATTERNS)))))
    reference = Matcher(nlp.vocab)
    for i, pattern in enumerate(PATTERNS):
        reference.add(f"p{i}", [pattern], greedy="LONGEST")
    doc, keys, _ = reader.read(text)
    reader.set_lemmas(doc, keys)
    expected = sorted(
        (int(nlp.vocab.strings[key][1:]), " ".join(doc[s:e].text.lower().split()), doc[s].idx)
        for key, s, e in reference(doc)
    )
    assert found == expected
    assert found or text.startswith("Nothing")
