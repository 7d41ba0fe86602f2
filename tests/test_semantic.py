"""The semantic coder with the real model, and threshold calibration on hand-built scores."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from qualmine.coding.calibration import calibrate_thresholds, f1_at
from qualmine.coding.runs import UnitScores
from qualmine.coding.semantic import SemanticCoder, prototype_texts
from qualmine.coding.units import Unit
from qualmine.embedding import EmbeddingStats, embed_texts, embed_units, embedding_stats
from qualmine.embedding.encoders import load_minilm
from qualmine.models import Code, Codebook, CodeExample
from qualmine.storage import open_database

CODES = (
    Code("trust", "Trust in information sources", codable=False, definition="Grouping code."),
    Code(
        "trust.online",
        "Trust in online information",
        parent="trust",
        definition="The speaker judges how reliable information found online, in forums, "
        "reviews or social media, is for work decisions.",
        include=("Saying that online posts, reviews or forum threads can or cannot be relied on",),
        examples=(
            CodeExample("It depends on the forum; some are solid, some are just noise."),
            CodeExample("I only act on what I read online once a colleague confirms it."),
        ),
    ),
    Code(
        "sales.aversion",
        "Dislike of being sold to",
        definition="The speaker dislikes sales pitches, vendors or marketing aimed at them.",
        include=("Complaints about cold calls, pushy vendors or unwanted sales emails",),
        examples=(
            CodeExample("The moment someone starts pitching me, I stop listening."),
            CodeExample("I delete every email from a vendor I did not ask to hear from."),
        ),
    ),
    Code(
        "probe.example",
        "Interviewer asks for an example",
        definition="The interviewer asks the participant for a concrete example or story.",
        examples=(CodeExample("Can you tell me about a time when that happened?"),),
        speaker_role="interviewer",
    ),
    Code(
        "time.pressure",
        "Time pressure",
        definition="Having too little time: tight deadlines, busy schedules, long hours.",
        examples=(CodeExample("There are never enough hours in the week."),),
        speaker_role="any",
    ),
)
CODEBOOK = Codebook("test", 1, CODES, content_hash="abc123")

SENTENCES = {
    "trust.online": "Honestly, I only believe reviews on a forum when several people agree.",
    "sales.aversion": "When a salesperson phones me out of the blue, I just hang up.",
    "time.pressure": "Our deadlines are so tight that I barely have time for lunch.",
}
PROBE = "Could you give me a specific example of when that happened?"


def make_units(texts: Sequence[str], role: str = "participant") -> list[Unit]:
    """Segment units laid end to end in document 1."""
    units, start = [], 0
    for index, text in enumerate(texts):
        units.append(
            Unit(
                1, start, start + len(text), text, role, None, index, ((start, start + len(text)),)
            )
        )
        start += len(text) + 1
    return units


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = open_project(tmp_path)
    yield connection
    connection.close()


def open_project(folder: Path) -> sqlite3.Connection:
    return open_database(folder / "p.db")


@pytest.fixture(scope="session")
def model() -> object:
    """The real model, loaded once per test session."""
    return load_minilm()


# --- logic without the model ---------------------------------------------------------------


def test_prototype_texts_in_order_without_repeats() -> None:
    code = Code(
        "x",
        "Name",
        definition="Def  one.\n",
        full_definition="Def one.",
        include=("Rule A", ""),
        examples=(CodeExample("Quote"), CodeExample("Rule A")),
    )
    assert prototype_texts(code) == ("Def one.", "Rule A", "Quote", "Name: Def one.")
    assert prototype_texts(Code("y", "Only a name")) == ("Only a name",)


def test_scoring_before_fitting_is_an_error(conn: sqlite3.Connection) -> None:
    with pytest.raises(RuntimeError, match="call fit"):
        SemanticCoder(CODEBOOK, conn=conn).score(make_units(["Hello."]))


# --- the real model ------------------------------------------------------------------------


@pytest.mark.slow
def test_each_sentence_scores_highest_for_its_code(conn: sqlite3.Connection, model: object) -> None:
    coder = SemanticCoder(CODEBOOK, conn=conn).fit()
    scored = coder.score(make_units(list(SENTENCES.values())))
    for expected, item in zip(SENTENCES, scored, strict=True):
        assert item.scores[0][0] == expected, item.scores
        assert item.scores[0][1] > item.scores[1][1]
        assert [s for _, s, _ in item.scores] == sorted(
            (s for _, s, _ in item.scores), reverse=True
        )
    probe = coder.score(make_units([PROBE], role="interviewer"))[0]
    assert probe.scores[0][0] == "probe.example"


@pytest.mark.slow
def test_speaker_roles_decide_which_codes_are_scored(
    conn: sqlite3.Connection, model: object
) -> None:
    coder = SemanticCoder(CODEBOOK, conn=conn).fit()
    assert set(coder.prototypes_) == {
        "trust.online",
        "sales.aversion",
        "probe.example",
        "time.pressure",
    }
    participant = coder.score(make_units([PROBE]))[0]
    interviewer = coder.score(make_units([PROBE], role="interviewer"))[0]
    assert {c for c, _, _ in participant.scores} == {
        "trust.online",
        "sales.aversion",
        "time.pressure",
    }
    assert {c for c, _, _ in interviewer.scores} == {"probe.example", "time.pressure"}
    nobody = SemanticCoder(Codebook("t", 1, CODES[1:3]), conn=conn).fit()
    before = embedding_stats()
    assert nobody.score(make_units(["Something new entirely."], role="interviewer"))[0].scores == ()
    assert embedding_stats() - before == EmbeddingStats(0, 0)  # nothing to score: not embedded


@pytest.mark.slow
def test_evidence_names_the_closest_prototype(conn: sqlite3.Connection, model: object) -> None:
    coder = SemanticCoder(CODEBOOK, conn=conn).fit()
    units = make_units(
        [*SENTENCES.values(), "I delete every email from a vendor I did not ask to hear from."]
    )
    vectors = embed_units(conn, units)
    for unit, vector, item in zip(units, vectors, coder.score(units), strict=True):
        for code, score, evidence in item.scores:
            texts = coder.prototypes_[code].texts
            sims = embed_texts(conn, texts).astype(np.float64) @ vector.astype(np.float64)
            best = int(sims.argmax())
            assert score == pytest.approx(sims[best], abs=1e-6), (unit.text, code)
            shown = texts[best] if len(texts[best]) <= 80 else texts[best][:79].rstrip() + "…"
            assert evidence == f"closest: {shown} ({score:.2f})"
    exact = coder.score(units[-1:])[0].scores[0]
    assert exact[0] == "sales.aversion" and exact[1] == pytest.approx(1.0, abs=1e-5)
    assert (
        exact[2] == "closest: I delete every email from a vendor I did not ask to hear from. (1.00)"
    )
    long = [s for s in coder.score(units[:1])[0].scores if s[0] == "trust.online"][0][2]
    assert len(long) <= len("closest: ") + 80 + len(" (0.00)")


@pytest.mark.slow
def test_predict_suggests_scores_at_or_above_thresholds(
    conn: sqlite3.Connection, model: object
) -> None:
    units = make_units(list(SENTENCES.values()))
    coder = SemanticCoder(CODEBOOK, conn=conn, threshold=1.5, thresholds={"sales.aversion": -1.0})
    codings = coder.fit().predict(units)
    assert [(c.start, c.code) for c in codings] == [(u.start, "sales.aversion") for u in units]
    first = codings[0]
    assert (first.coder, first.status, first.quote, first.codebook_version) == (
        "auto:semantic",
        "suggested",
        units[0].text,
        CODEBOOK.version,
    )
    assert first.evidence.startswith("closest: ") and first.score is not None
    scored = {s.unit.start: s for s in coder.score(units)}
    default = SemanticCoder(CODEBOOK, conn=conn).fit().predict(units)
    for coding in default:
        assert coding.score is not None and coding.score >= 0.45
        assert (coding.code, coding.score, coding.evidence) in scored[coding.start].scores
    expected = {(c, s.unit.text) for s in scored.values() for c, v, _ in s.scores if v >= 0.45}
    assert {(c.code, c.quote) for c in default} == expected
    assert ("trust.online", SENTENCES["trust.online"]) in expected


@pytest.mark.slow
def test_a_second_run_computes_no_embedding_and_scores_the_same(
    tmp_path: Path, model: object
) -> None:
    units = make_units(list(SENTENCES.values()))
    conn = open_project(tmp_path)
    first = SemanticCoder(CODEBOOK, conn=conn).fit().score(units)
    conn.close()
    conn = open_project(tmp_path)
    before = embedding_stats()
    # Scored in another order and with other units: the same scores for the same units.
    again = SemanticCoder(CODEBOOK, conn=conn).fit().score(units[::-1])
    assert (embedding_stats() - before).computed == 0
    assert again[::-1] == first
    conn.close()


# --- calibration ---------------------------------------------------------------------------


def scored_units(rows: Sequence[dict[str, float]]) -> list[UnitScores]:
    """Hand-built scores: one unit per row of code -> score."""
    units = make_units([f"unit {i}" for i in range(len(rows))])
    return [
        UnitScores(u, tuple((c, s, "") for c, s in sorted(r.items(), key=lambda i: -i[1])))
        for u, r in zip(units, rows, strict=True)
    ]


def key(item: UnitScores) -> tuple[int, int, int]:
    return (item.unit.document_id, item.unit.start, item.unit.end)


def test_calibration_picks_the_threshold_with_the_best_f1() -> None:
    scored = scored_units([{"a": 0.9}, {"a": 0.8}, {"a": 0.7}, {"a": 0.6}, {"a": 0.3}])
    gold = {
        key(s): labels
        for s, labels in zip(scored, [{"a"}, {"a"}, set(), {"a"}, set()], strict=True)
    }
    # At 0.6: tp 3, fp 1, fn 0 -> F1 6/7, better than 0.8 (tp 2, fn 1 -> 4/5).
    assert calibrate_thresholds(scored, gold, ["a"]) == {"a": 0.6}
    assert f1_at(scored, gold, "a", 0.6) == pytest.approx(6 / 7)
    assert f1_at(scored, gold, "a", 0.8) == pytest.approx(4 / 5)
    assert f1_at(scored, gold, "a", 0.95) == 0.0


def test_calibration_breaks_ties_towards_the_higher_threshold() -> None:
    scored = scored_units([{"a": 0.9}, {"a": 0.5}, {"a": 0.4}])
    gold = {key(s): labels for s, labels in zip(scored, [{"a"}, set(), {"a"}], strict=True)}
    # 0.9: tp 1, fn 1 -> 2/3; 0.4: tp 2, fp 1 -> 4/5; so 0.4.
    assert calibrate_thresholds(scored, gold, ["a"]) == {"a": 0.4}
    tie = scored_units([{"a": 0.9}, {"a": 0.5}, {"a": 0.4}, {"a": 0.2}])
    tie_gold = {key(s): g for s, g in zip(tie, [{"a"}, set(), set(), {"a"}], strict=True)}
    # 0.9 -> 2/3 (tp 1, fn 1), 0.2 -> 4/6 = 2/3 (tp 2, fp 2): equal, the higher wins.
    assert calibrate_thresholds(tie, tie_gold, ["a"]) == {"a": 0.9}


def test_calibration_keeps_the_default_without_gold_positives() -> None:
    scored = scored_units([{"a": 0.9, "b": 0.2}, {"a": 0.1, "b": 0.8}])
    gold = {key(scored[0]): {"a"}, key(scored[1]): set()}
    assert calibrate_thresholds(scored, gold, ["a", "b", "c"], default=0.5) == {
        "a": 0.9,
        "b": 0.5,
        "c": 0.5,
    }


def test_calibration_counts_only_gold_units_and_missing_scores_as_no() -> None:
    scored = scored_units([{"a": 0.9}, {"a": 0.7}, {}, {"a": 0.95}])
    gold = {key(scored[0]): {"a"}, key(scored[1]): {"a"}, key(scored[2]): {"a"}}
    # The 0.95 unit is not in gold: ignored. The unit without a score is a miss at any threshold.
    assert calibrate_thresholds(scored, gold, ["a"]) == {"a": 0.7}
    assert f1_at(scored, gold, "a", 0.7) == pytest.approx(4 / 5)
    nothing = {key(scored[2]): {"a"}}
    assert calibrate_thresholds(scored, nothing, ["a"], default=0.3) == {"a": 0.3}


def test_calibration_is_deterministic_in_input_order() -> None:
    rows = [{"a": s, "b": 1 - s} for s in (0.12, 0.5, 0.33, 0.87, 0.5, 0.61, 0.05)]
    labels = [{"a"}, {"b"}, {"a", "b"}, {"a"}, set(), {"b"}, {"a"}]
    scored = scored_units(rows)
    gold = {key(s): g for s, g in zip(scored, labels, strict=True)}
    first = calibrate_thresholds(scored, gold, ["a", "b"])
    assert calibrate_thresholds(scored[::-1], gold, ["b", "a"]) == first
