"""Parse 32 real oral-history transcripts and score them against the structured JSON.

The rendered .txt files are parsed exactly as a user's files would be; the JSON
(tests/data/oral-histories/yield-v1-train-014.json) is read only to score the result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qualmine.models import ParsedDocument
from qualmine.parsing import read_transcripts

DATA = Path(__file__).parent / "data" / "oral-histories"
ROLE_OF = {"elicitor": "interviewer", "respondent": "participant"}
ROLE_ACCURACY_REQUIRED = 0.95


def _dialogues() -> list[dict[str, Any]]:
    dialogues: list[dict[str, Any]] = json.loads(
        (DATA / "yield-v1-train-014.json").read_text(encoding="utf-8")
    )
    return dialogues


@pytest.fixture(scope="module")
def parsed() -> list[tuple[dict[str, Any], ParsedDocument]]:
    pairs = []
    for dialogue in _dialogues():
        documents = read_transcripts(DATA / "rendered_txt" / f"{dialogue['dialogue_id']}.txt")
        assert len(documents) == 1
        pairs.append((dialogue, documents[0]))
    return pairs


def _squash(text: str) -> str:
    # The rendering turned literal "\n" in utterances into line breaks; compare words only.
    return " ".join(text.replace("\\n", "\n").split())


def test_all_32_transcripts_are_present() -> None:
    assert len(_dialogues()) == 32
    assert len(list((DATA / "rendered_txt").glob("*.txt"))) == 32


def test_turns_and_speakers_match_exactly(
    parsed: list[tuple[dict[str, Any], ParsedDocument]],
) -> None:
    problems = []
    for dialogue, document in parsed:
        expected = dialogue["turns"]
        if len(document.turns) != len(expected):
            problems.append(
                f"{dialogue['dialogue_id']}: {len(document.turns)} turns, expected {len(expected)}"
            )
            continue
        for turn, want in zip(document.turns, expected, strict=True):
            if turn.speaker != want["speaker"]:
                problems.append(
                    f"{dialogue['dialogue_id']} turn {turn.index}: speaker {turn.speaker!r}, "
                    f"expected {want['speaker']!r}"
                )
    assert not problems, "\n".join(problems)


def test_turn_text_is_the_utterance(parsed: list[tuple[dict[str, Any], ParsedDocument]]) -> None:
    problems = []
    for dialogue, document in parsed:
        for turn, want in zip(document.turns, dialogue["turns"], strict=True):
            speech = document.text[turn.start : turn.end]
            assert speech == speech.strip() and speech
            if _squash(speech) != _squash(want["utterance"]):
                problems.append(f"{dialogue['dialogue_id']} turn {turn.index}")
    assert not problems, "turn text differs in: " + ", ".join(problems[:20])


def test_speaker_roles_reach_95_percent(
    parsed: list[tuple[dict[str, Any], ParsedDocument]],
) -> None:
    total = correct = 0
    misses = []
    for dialogue, document in parsed:
        for turn, want in zip(document.turns, dialogue["turns"], strict=True):
            total += 1
            expected = ROLE_OF[want["role"]]
            if turn.speaker_role == expected:
                correct += 1
            else:
                misses.append(
                    f"{dialogue['dialogue_id']} turn {turn.index} {turn.speaker!r}: "
                    f"{turn.speaker_role}, expected {expected}"
                )
    accuracy = correct / total
    report = f"speaker_role accuracy {correct}/{total} = {accuracy:.2%}; misses: {len(misses)}"
    print(report, *misses, sep="\n")
    assert accuracy >= ROLE_ACCURACY_REQUIRED, report + "\n" + "\n".join(misses)


def test_header_is_metadata_and_cases_are_interviewees(
    parsed: list[tuple[dict[str, Any], ParsedDocument]],
) -> None:
    for dialogue, document in parsed:
        assert document.metadata["header"].startswith(
            ("NASA Johnson", "Returned Peace Corps", "nprc_oral_histories")
        )
        cases = {t.case for t in document.turns if t.speaker_role == "participant"}
        assert cases == set(dialogue["respondents"])
        assert all(t.case is None for t in document.turns if t.speaker_role == "interviewer")


def test_several_interviewers_and_two_interviewees_are_recognised(
    parsed: list[tuple[dict[str, Any], ParsedDocument]],
) -> None:
    by_id = {dialogue["dialogue_id"]: document for dialogue, document in parsed}
    ried = by_id["jsc-oral-history-00477"]
    interviewers = {t.speaker for t in ried.turns if t.speaker_role == "interviewer"}
    assert interviewers == {"Kevin M. Rusnak", "Sandra Johnson", "Jennifer Ross-Nazzal"}
    smith = by_id["jsc-oral-history-00992"]
    participants = {t.speaker for t in smith.turns if t.speaker_role == "participant"}
    assert participants == {"Harriet J. Devries Smith", "John Smith"}


def test_prose_with_a_colon_inside_a_turn_is_not_a_label(
    parsed: list[tuple[dict[str, Any], ParsedDocument]],
) -> None:
    by_id = {dialogue["dialogue_id"]: document for dialogue, document in parsed}
    lunney = by_id["jsc-oral-history-00382"]
    assert "VOICE OFF CAMERA" not in {t.speaker for t in lunney.turns}
    assert any("VOICE OFF CAMERA:" in lunney.text[t.start : t.end] for t in lunney.turns)
