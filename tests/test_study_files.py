"""The study codebook and the study's findings agree with each other and with the study text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
STUDY_TEXT = REPO / "tests" / "data" / "study" / "new-symbiosis-of-professional-networks.txt"
CODEBOOK = REPO / "codebooks" / "study.yaml"
FINDINGS = REPO / "findings" / "findings.yaml"

SURVEY_N = 356
VALUE_KINDS = {"percent", "count", "range", "verbal"}
SCOPES = {"survey", "interviews", "context"}
FINDING_ID = re.compile(r"F\d{2}_[a-z0-9_]+")
CODE_ID = re.compile(r"[a-z0-9_.-]+")
COLOR = re.compile(r"#[0-9a-fA-F]{6}")

# The study's themes, each a top-level code, and the sub-codes each must hold.
THEMES = {
    "trust": [
        "trust.online",
        "trust.online.trusts",
        "trust.online.distrusts",
        "trust.offline",
        "trust.offline.trusts",
        "trust.offline.distrusts",
        "trust.credibility",
    ],
    "trust_basis": [
        "trust_basis.proximity",
        "trust_basis.like_mindedness",
        "trust_basis.profiles",
    ],
    "peer_influence": [
        "peer_influence.validation",
        "peer_influence.peer_groups",
        "peer_influence.resists_marketing",
    ],
    "networks": [
        "networks.linkedin",
        "networks.facebook",
        "networks.twitter",
        "networks.other",
    ],
    "decision_support": [],
    "reliance": ["reliance.growth"],
    "collaboration": ["collaboration.external", "collaboration.internal"],
    "access": [],
    "generations": [],
}


def normalize(text: str) -> str:
    """Collapse every run of whitespace (non-breaking spaces included) to one space."""
    return " ".join(text.split())


def walk(codes: list[dict[str, Any]], depth: int = 0) -> list[tuple[dict[str, Any], int]]:
    """Every code of a nested codebook with its depth, parents first."""
    found: list[tuple[dict[str, Any], int]] = []
    for code in codes:
        found.append((code, depth))
        found.extend(walk(code.get("children", []), depth + 1))
    return found


STUDY = normalize(STUDY_TEXT.read_text(encoding="utf-8"))
BOOK = yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))
ALL_CODES = walk(BOOK["codes"])
CODES = {code["id"]: code for code, _ in ALL_CODES}
FINDINGS_FILE = yaml.safe_load(FINDINGS.read_text(encoding="utf-8"))
ALL_FINDINGS = FINDINGS_FILE["findings"]


def by_id(items: list[dict[str, Any]]) -> Any:
    return pytest.mark.parametrize("item", items, ids=[item["id"] for item in items])


def value_in_quote(value: Any, kind: str, quote: str) -> bool:
    """Whether a finding's value is written in its quote the way the text writes it."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        written = f"{value:,}" + ("%" if kind == "percent" else "")
        return re.search(rf"(?<![\d.,]){re.escape(written)}(?![\d]|[.,]\d)", quote) is not None
    return normalize(str(value)).lower() in quote.lower()


# ---------------------------------------------------------------- findings


def test_findings_file_shape() -> None:
    assert FINDINGS_FILE["format_version"] == 1
    assert FINDINGS_FILE["study"]["sample"]["survey_respondents"] == SURVEY_N
    ids = [finding["id"] for finding in ALL_FINDINGS]
    assert len(ids) == len(set(ids)), "finding ids must be unique"
    assert all(FINDING_ID.fullmatch(i) for i in ids), ids


@by_id(ALL_FINDINGS)
def test_quote_is_verbatim_from_the_study(item: dict[str, Any]) -> None:
    assert normalize(item["quote"]) in STUDY


@by_id(ALL_FINDINGS)
def test_value_appears_in_its_own_quote(item: dict[str, Any]) -> None:
    assert item["value_kind"] in VALUE_KINDS
    if item["value_kind"] == "percent":
        assert isinstance(item["value"], (int, float)), "a percent is a number"
    assert value_in_quote(item["value"], item["value_kind"], normalize(item["quote"])), (
        f"{item['value']!r} not found in {item['quote']!r}"
    )


@by_id(ALL_FINDINGS)
def test_finding_has_every_field(item: dict[str, Any]) -> None:
    for key in ("statement", "quote", "value", "value_kind", "unit", "denominator"):
        assert item.get(key) not in (None, ""), key
    assert isinstance(item["codes"], list)
    assert isinstance(item["attributes"], list)
    assert item.get("scope", "survey") in SCOPES


@by_id(ALL_FINDINGS)
def test_denominator_is_stated_only_when_the_quote_states_it(item: dict[str, Any]) -> None:
    denominator = item["denominator"]
    assert denominator["n"] in (SURVEY_N, None)
    assert isinstance(denominator["stated"], bool)
    if denominator["stated"]:
        assert str(denominator["n"]) in item["quote"]
    if denominator["n"] is None:
        assert item.get("scope") in {"interviews", "context"}
        assert not denominator["stated"]


@by_id(ALL_FINDINGS)
def test_finding_codes_exist_in_the_codebook(item: dict[str, Any]) -> None:
    named = list(item["codes"]) + list(item.get("direction", {}).values())
    missing = [code for code in named if code not in CODES]
    assert not missing, f"unknown code ids: {missing}"


@by_id(ALL_FINDINGS)
def test_groups_use_the_findings_attributes(item: dict[str, Any]) -> None:
    for key in ("groups", "compared_with"):
        for attribute, values in item.get(key, {}).items():
            assert attribute in item["attributes"], attribute
            assert values and all(isinstance(v, str) for v in values)


def test_the_published_figures_are_all_recorded() -> None:
    recorded = {(f["value_kind"], str(f["value"]).lower()) for f in ALL_FINDINGS}
    expected = {
        ("count", "356"),
        ("count", "12"),
        ("percent", "23"),
        ("percent", "50"),
        ("percent", "24"),
        ("range", "less than 100 to over 50,000"),
        ("verbal", "greatest proportion"),
        ("count", "25"),
        ("percent", "58"),
        ("verbal", "all"),
        ("range", "3-5"),
        ("percent", "92"),
        ("percent", "83"),
        ("verbal", "three quarters"),
        ("verbal", "essentially all"),
        ("verbal", "more active"),
        ("verbal", "more"),
        ("count", "three"),
    }
    assert expected <= recorded, expected - recorded


def test_director_and_manager_shares_carry_the_inconsistency_note() -> None:
    both = next(f for f in ALL_FINDINGS if f["value"] == 50)
    assert "48" in both["note"]


# ---------------------------------------------------------------- codebook


def test_codebook_shape() -> None:
    assert BOOK["format_version"] == 1
    assert BOOK["name"]
    ids = [code["id"] for code, _ in ALL_CODES]
    assert len(ids) == len(set(ids)), "code ids must be unique"
    assert all(CODE_ID.fullmatch(i) for i in ids), ids
    assert 25 <= len(ids) <= 35


def test_every_theme_is_a_top_level_code_with_its_sub_codes() -> None:
    top = {code["id"] for code in BOOK["codes"]}
    assert set(THEMES) <= top, set(THEMES) - top
    for theme, children in THEMES.items():
        for child in children:
            assert child in CODES, child
            assert child.startswith(theme + ".")


def test_children_ids_extend_their_parents() -> None:
    for code, _ in ALL_CODES:
        for child in code.get("children", []):
            assert child["id"].startswith(code["id"] + "."), child["id"]


@by_id([code for code, _ in ALL_CODES])
def test_code_is_fully_described(item: dict[str, Any]) -> None:
    for key in ("name", "definition"):
        assert isinstance(item.get(key), str) and item[key].strip(), key
    for key in ("include", "exclude"):
        assert isinstance(item.get(key), list) and item[key], key
        assert all(isinstance(entry, str) and entry.strip() for entry in item[key])
    examples = item.get("examples", [])
    assert len(examples) >= 2
    for example in examples:
        quote = example["quote"] if isinstance(example, dict) else example
        assert quote.strip()
        assert normalize(quote) not in STUDY, "examples are written for the codebook"


@by_id([code for code, depth in ALL_CODES if depth == 0])
def test_top_level_code_has_a_colour(item: dict[str, Any]) -> None:
    assert COLOR.fullmatch(item.get("color", "")), item.get("color")


@by_id([code for code, _ in ALL_CODES])
def test_codable_codes_carry_rule_hints(item: dict[str, Any]) -> None:
    if item.get("codable", True) is False:
        assert item.get("children"), "only a grouping code is not codable"
        return
    assert item.get("keywords") or item.get("patterns") or item.get("regex")
    assert item.get("speaker_role", "participant") in {"participant", "interviewer", "any"}
    assert item.get("stance", "for") in {"for", "against"}


def test_stance_codes_come_in_pairs() -> None:
    for code, _ in ALL_CODES:
        stances = sorted(c["stance"] for c in code.get("children", []) if "stance" in c)
        assert stances in ([], ["against", "for"]), code["id"]


@by_id([code for code, _ in ALL_CODES if code.get("regex")])
def test_every_regex_compiles(item: dict[str, Any]) -> None:
    for pattern in item["regex"]:
        re.compile(pattern, re.IGNORECASE)


@by_id([code for code, _ in ALL_CODES if code.get("patterns")])
def test_patterns_use_only_attributes_the_pipeline_sets(item: dict[str, Any]) -> None:
    from spacy.matcher import Matcher

    from qualmine.language import SETTABLE_ATTRIBUTES, load_pipeline

    matcher = Matcher(load_pipeline().vocab)
    for index, pattern in enumerate(item["patterns"]):
        for token in pattern:
            assert set(token) <= SETTABLE_ATTRIBUTES, set(token) - SETTABLE_ATTRIBUTES
        matcher.add(f"{item['id']}-{index}", [pattern])


@by_id([code for code, _ in ALL_CODES if code.get("keywords") or code.get("patterns")])
def test_keywords_and_pattern_lemmas_are_lemmas(item: dict[str, Any]) -> None:
    from qualmine.language import load_pipeline

    nlp = load_pipeline()

    def is_lemma(phrase: str) -> bool:
        doc = nlp(phrase)
        return [t.lemma_.lower() for t in doc] == [t.lower_ for t in doc]

    words = list(item.get("keywords", [])) + list(item.get("exclude_keywords", []))
    for pattern in item.get("patterns", []):
        for token in pattern:
            lemma = token.get("LEMMA")
            words.extend(lemma["IN"] if isinstance(lemma, dict) else [lemma] if lemma else [])
    not_lemmas = [w for w in words if w != w.lower() or not is_lemma(w)]
    assert not not_lemmas, f"not in lemma form: {not_lemmas}"
