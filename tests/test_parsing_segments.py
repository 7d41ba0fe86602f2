"""Sentence segments inside turns, and transcription marks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qualmine.language import load_pipeline
from qualmine.models import ParsedDocument, Segment, Turn
from qualmine.parsing import (
    TRANSCRIPTION_MARKS,
    mark_spans,
    read_transcripts,
    segment_documents,
    segment_turns,
    strip_marks,
)
from qualmine.parsing.segmentation import CHUNK_CHARS

DATA = Path(__file__).parent / "data"
FIXTURES = DATA / "transcripts"


def _check_segments(document: ParsedDocument, segments: list[Segment]) -> None:
    turns = {turn.index: turn for turn in document.turns}
    previous_end = -1
    for segment in segments:
        turn = turns[segment.turn_index]
        assert turn.start <= segment.start < segment.end <= turn.end
        quote = document.text[segment.start : segment.end]
        assert quote and quote == quote.strip()
        assert segment.start >= previous_end
        previous_end = segment.end
    for turn in document.turns:
        indexes = [s.index for s in segments if s.turn_index == turn.index]
        assert indexes == list(range(len(indexes)))
        assert indexes, f"turn {turn.index} has no segment"


@pytest.mark.parametrize(
    "path",
    [
        *sorted(p for p in FIXTURES.iterdir() if p.suffix in (".txt", ".md", ".vtt", ".srt")),
        DATA / "oral-histories" / "rendered_txt" / "jsc-oral-history-00055.txt",
        DATA / "oral-histories" / "rendered_txt" / "returned-peace-corps-volunteers-00014.txt",
    ],
    ids=lambda p: p.name,
)
def test_every_segment_lies_inside_its_turn(path: Path) -> None:
    for document in read_transcripts(path):
        _check_segments(document, segment_turns(document.text, document.turns))


def test_sentences_and_paragraphs_split() -> None:
    text = "Participant: First one. Second one?\n\nThird, after a blank line\n\nFourth!"
    turn = Turn(0, "Participant", "participant", 13, len(text))
    quotes = [text[s.start : s.end] for s in segment_turns(text, [turn])]
    assert quotes == ["First one.", "Second one?", "Third, after a blank line", "Fourth!"]


def _paragraph_by_paragraph(document: ParsedDocument) -> list[tuple[int, int]]:
    """Sentence spans found by giving spaCy each paragraph alone (the slow, plain way)."""
    nlp = load_pipeline()
    spans = []
    for turn in document.turns:
        body = document.text[turn.start : turn.end]
        position = 0
        for paragraph in [*re.split(r"(\n[ \t]*\n)", body), ""][::2]:
            start = body.index(paragraph, position) + turn.start if paragraph else None
            if start is None:
                continue
            position = start - turn.start + len(paragraph)
            marks = mark_spans(paragraph)
            starts = [s.start_char for s in nlp(paragraph).sents][1:]
            # own rule: a boundary inside a transcription mark moves to the mark's start
            starts = [next((m for m, e in marks if m < b < e), b) for b in starts]
            edges = [0, *sorted(set(starts)), len(paragraph)]
            for a, b in zip(edges, edges[1:], strict=False):
                stripped = paragraph[a:b].strip()
                if stripped:
                    offset = start + a + paragraph[a:b].index(stripped)
                    spans.append((offset, offset + len(stripped)))
    return spans


def test_one_stream_finds_the_sentences_spacy_finds_paragraph_by_paragraph() -> None:
    paths = sorted((DATA / "oral-histories" / "rendered_txt").glob("*.txt"))[:8]
    documents = [d for p in paths for d in read_transcripts(p)]
    streamed = list(segment_documents((d.text, d.turns) for d in documents))
    assert len(streamed) == len(documents)
    for document, segments in zip(documents, streamed, strict=True):
        _check_segments(document, segments)
        assert [(s.start, s.end) for s in segments] == _paragraph_by_paragraph(document)


def test_a_document_without_turns_keeps_its_place_in_the_stream() -> None:
    texts = ["A: One. Two.", "", "B: Three"]
    turns = [[Turn(0, "A", "participant", 3, 12)], [], [Turn(0, "B", "participant", 3, 8)]]
    streamed = list(segment_documents(zip(texts, turns, strict=True)))
    quotes = [[t[s.start : s.end] for s in segs] for t, segs in zip(texts, streamed, strict=True)]
    assert quotes == [["One.", "Two."], [], ["Three"]]


def test_an_empty_stream_does_not_load_spacy() -> None:
    load_pipeline.cache_clear()
    assert list(segment_documents([])) == []
    assert load_pipeline.cache_info().misses == 0  # a warm import never waits for spaCy
    assert segment_turns("A: Yes.", [Turn(0, "A", "participant", 3, 7)])
    assert load_pipeline.cache_info().misses == 1


def test_a_two_million_character_turn_is_segmented_in_chunks() -> None:
    speech = "We moved the whole warehouse twice in one year. " * 41_700
    text = "Participant: " + speech.strip() + "\n"
    assert len(speech) > 2_000_000 > CHUNK_CHARS * 10
    turn = Turn(0, "Participant", "participant", len("Participant: "), len(text) - 1)
    segments = segment_turns(text, [turn])
    assert len(segments) == 41_700
    assert segments[-1].end == turn.end
    assert all(text[s.start : s.end].endswith("year.") for s in segments[::997])


def test_a_turn_without_spaces_is_cut_hard_but_kept_whole() -> None:
    text = "x" * (CHUNK_CHARS * 2 + 10)
    turn = Turn(0, "", "participant", 0, len(text))
    segments = segment_turns(text, [turn])
    assert segments[0].start == 0 and segments[-1].end == len(text)
    assert sum(s.end - s.start for s in segments) == len(text)


def test_empty_input_gives_no_segments() -> None:
    assert segment_turns("", []) == []


def test_mark_spans_finds_the_marks() -> None:
    document = read_transcripts(FIXTURES / "marks.txt")[0]
    found = [document.text[s:e] for s, e in mark_spans(document.text)]
    assert found == [
        "[pause]",
        "[laughs]",
        "(laughs)",
        "[CROSS-TALKING]",
        "[crosstalk]",
        "[inaudible 00:12:31]",
        "[unclear]",
        "(pause)",
    ]


def test_editorial_brackets_and_timestamps_are_not_marks() -> None:
    text = "It was International Microgravity Lab [IML]-2 [00:01:23] (see notes) [laughing]"
    assert [text[s:e] for s, e in mark_spans(text)] == ["[laughing]"]


def test_extra_marks_literal_and_regex() -> None:
    text = "Tape change. [Recorder turned off.] Then [TAPE 2] started."
    spans = mark_spans(text, extra=["[recorder turned off.]", r"re:\[TAPE \d+\]"])
    assert [text[s:e] for s, e in spans] == ["[Recorder turned off.]", "[TAPE 2]"]


def test_strip_marks_keeps_length_and_offsets() -> None:
    text = "Fine [laughs]. Mostly (pause) fine [inaudible 00:12:31]."
    stripped = strip_marks(text)
    assert len(stripped) == len(text)
    assert stripped == "Fine " + " " * 8 + ". Mostly " + " " * 7 + " fine " + " " * 20 + "."
    assert re.findall(r"\w+", stripped) == ["Fine", "Mostly", "fine"]


def test_default_marks_are_documented() -> None:
    assert {"laughs", "inaudible", "crosstalk", "cross-talking", "pause", "unclear"} <= set(
        TRANSCRIPTION_MARKS
    )
