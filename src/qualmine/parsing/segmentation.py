"""Turns -> sentence segments, with the shared spaCy pipeline.

Each turn is cut at blank lines into paragraphs, and a paragraph longer than the chunk
size is cut again at a line end, else a sentence end, else a space, so that no text is
ever too long for spaCy; a sentence never spans two paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from qualmine.language import load_pipeline
from qualmine.models import Segment, Turn
from qualmine.parsing.marks import mark_spans

CHUNK_CHARS = 100_000
"""Longest piece of text given to spaCy at once (well under its ``max_length``)."""

_PARALLEL_MIN_CHARS = 1_000_000
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s")


def segment_turns(text: str, turns: Sequence[Turn], *, n_process: int = 1) -> list[Segment]:
    """Split every turn into sentence segments.

    Args:
        text: the document text the turns point into.
        turns: the turns to segment.
        n_process: worker processes for spaCy; used only when the turns hold more than
            a million characters, where starting processes pays off.

    Returns:
        Segments in document order. Offsets point into ``text``; each segment is
        stripped of surrounding white space and never empty. ``Segment.index`` counts
        from 0 within its turn.
    """
    nlp = load_pipeline()
    limit = min(CHUNK_CHARS, nlp.max_length)
    pieces = [(t.index, s, e) for t in turns for s, e in _pieces(text, t.start, t.end, limit)]
    total = sum(e - s for _, s, e in pieces)
    docs = nlp.pipe(
        (text[s:e] for _, s, e in pieces),
        batch_size=64,
        disable=[name for name in nlp.pipe_names if name != "sentencizer"],
        n_process=n_process if total >= _PARALLEL_MIN_CHARS else 1,
    )
    segments: list[Segment] = []
    counts: dict[int, int] = {}
    for (turn_index, start, _), doc in zip(pieces, docs, strict=True):
        for first, last in _sentence_spans(doc.text, [s.start_char for s in doc.sents]):
            span = _stripped(text, start + first, start + last)
            if span is not None:
                index = counts.get(turn_index, 0)
                counts[turn_index] = index + 1
                segments.append(Segment(turn_index, index, span[0], span[1]))
    return segments


def _sentence_spans(piece: str, starts: list[int]) -> list[tuple[int, int]]:
    """Sentence spans, with no boundary inside a transcription mark.

    The sentencizer keeps an opening bracket with the sentence before it, which would cut
    ``[laughs]`` in two; a boundary inside a mark moves to the mark's start.
    """
    marks = mark_spans(piece)
    bounds = []
    for bound in starts[1:]:
        inside = next((m for m, e in marks if m < bound < e), None)
        bounds.append(bound if inside is None else inside)
    edges = [0, *sorted(set(bounds)), len(piece)]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]


def _pieces(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Paragraphs of ``text[start:end]``, each cut into chunks of at most ``limit``."""
    for paragraph in _split_at(_PARAGRAPH_BREAK, text, start, end):
        yield from _chunks(text, paragraph[0], paragraph[1], limit)


def _split_at(
    pattern: re.Pattern[str], text: str, start: int, end: int
) -> Iterator[tuple[int, int]]:
    position = start
    for match in pattern.finditer(text, start, end):
        if match.start() > position:
            yield position, match.start()
        position = match.end()
    if end > position:
        yield position, end


def _chunks(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    while end - start > limit:
        cut = _cut_point(text, start, start + limit)
        yield start, cut
        start = cut
    if end > start:
        yield start, end


def _cut_point(text: str, start: int, stop: int) -> int:
    """The last line end, else sentence end, else space before ``stop``; else ``stop``."""
    floor = start + (stop - start) // 2
    newline = text.rfind("\n", floor, stop)
    if newline >= 0:
        return newline + 1
    last = None
    for last in _SENTENCE_END.finditer(text, floor, stop):  # noqa: B007 - want the last one
        pass
    if last is not None:
        return last.end()
    space = max(text.rfind(" ", floor, stop), text.rfind("\t", floor, stop))
    return space + 1 if space >= 0 else stop


def _stripped(text: str, start: int, end: int) -> tuple[int, int] | None:
    chunk = text[start:end]
    left = len(chunk) - len(chunk.lstrip())
    right = len(chunk.rstrip())
    return (start + left, start + right) if right > left else None
