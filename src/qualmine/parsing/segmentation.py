"""Turns -> sentence segments, with the shared spaCy pipeline.

Each turn is cut at blank lines into paragraphs, and a paragraph longer than the chunk
size is cut again at a line end, else a sentence end, else a space, so that no text is
ever too long for spaCy; a sentence never spans two paragraphs.

spaCy sees long stretches of a document at once (consecutive paragraphs, up to the chunk
size), not one paragraph at a time: its per-text cost is paid once per stretch, and the
paragraph and turn boundaries are enforced afterwards on the character offsets. Several
documents go through one ``nlp.pipe`` stream (:func:`segment_documents`).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from qualmine.language import load_pipeline
from qualmine.models import Segment, Turn
from qualmine.parsing.marks import mark_spans

if TYPE_CHECKING:
    from spacy.tokens import Doc

CHUNK_CHARS = 100_000
"""Longest piece of text given to spaCy at once (well under its ``max_length``)."""

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s")

Region = tuple[int, int, int]
"""A paragraph (or chunk of one) to segment: turn index, start, end in the document."""


@dataclass(frozen=True)
class _Piece:
    """One text given to spaCy: ``text[start:end]``, covering whole regions."""

    document: int
    start: int
    end: int
    regions: tuple[Region, ...]


def segment_turns(text: str, turns: Sequence[Turn], *, n_process: int = 1) -> list[Segment]:
    """Split every turn into sentence segments.

    Args:
        text: the document text the turns point into.
        turns: the turns to segment.
        n_process: worker processes for spaCy (see :func:`segment_documents`).

    Returns:
        Segments in document order. Offsets point into ``text``; each segment is
        stripped of surrounding white space and never empty. ``Segment.index`` counts
        from 0 within its turn.
    """
    return next(segment_documents([(text, turns)], n_process=n_process))


def segment_documents(
    documents: Iterable[tuple[str, Sequence[Turn]]], *, n_process: int = 1
) -> Iterator[list[Segment]]:
    """Segment many documents through one spaCy stream, yielding each one's segments.

    Documents are read lazily and their segments yielded in order as soon as they are
    complete, so memory holds one batch of texts, not the corpus.

    Args:
        documents: (text, turns) pairs, as for :func:`segment_turns`.
        n_process: worker processes for spaCy; 1 keeps everything in this process.
    """
    queue = iter(documents)
    first = next(queue, None)
    if first is None:  # nothing to segment: spaCy is not even loaded
        return
    nlp = load_pipeline()
    limit = min(CHUNK_CHARS, nlp.max_length)
    pending: deque[tuple[int, str, list[_Piece]]] = deque()

    def pieces() -> Iterator[tuple[str, _Piece]]:
        for number, (text, turns) in enumerate(chain([first], queue)):
            planned = _plan(number, text, turns, limit)
            pending.append((number, text, planned))
            for piece in planned:
                yield text[piece.start : piece.end], piece

    stream = nlp.pipe(
        pieces(),
        as_tuples=True,
        batch_size=32,
        disable=[name for name in nlp.pipe_names if name != "sentencizer"],
        n_process=n_process,
    )
    starts: dict[tuple[int, int], np.ndarray] = {}
    for doc, piece in stream:
        while pending[0][0] < piece.document:
            yield _finish(*pending.popleft()[1:], starts)
        starts[piece.document, piece.start] = _sentence_starts(doc)
    while pending:
        yield _finish(*pending.popleft()[1:], starts)


def _sentence_starts(doc: Doc) -> np.ndarray:
    """Character offsets (within the piece) of the tokens that start a sentence."""
    from spacy.attrs import IDX, SENT_START

    table = doc.to_array([IDX, SENT_START]).astype(np.int64)
    return table[table[:, 1] == 1, 0] if len(table) else np.empty(0, dtype=np.int64)


def _finish(
    text: str, planned: list[_Piece], starts: dict[tuple[int, int], np.ndarray]
) -> list[Segment]:
    segments: list[Segment] = []
    counts: dict[int, int] = {}
    for piece in planned:
        found = starts.pop((piece.document, piece.start)) + piece.start
        for turn_index, start, end in piece.regions:
            inside = found[(found > start) & (found < end)]
            for first, last in _sentence_spans(text[start:end], (inside - start).tolist()):
                span = _stripped(text, start + first, start + last)
                if span is not None:
                    index = counts.get(turn_index, 0)
                    counts[turn_index] = index + 1
                    segments.append(Segment(turn_index, index, span[0], span[1]))
    return segments


def _plan(number: int, text: str, turns: Sequence[Turn], limit: int) -> list[_Piece]:
    """Group the document's regions, in order, into pieces of at most ``limit``."""
    planned: list[_Piece] = []
    group: list[Region] = []
    for turn in turns:
        for start, end in _pieces(text, turn.start, turn.end, limit):
            if group and end - group[0][1] > limit:
                planned.append(_Piece(number, group[0][1], group[-1][2], tuple(group)))
                group = []
            group.append((turn.index, start, end))
    if group:
        planned.append(_Piece(number, group[0][1], group[-1][2], tuple(group)))
    return planned


def _sentence_spans(piece: str, bounds: list[int]) -> list[tuple[int, int]]:
    """Sentence spans of a region from its inner sentence starts, none inside a mark.

    The sentencizer keeps an opening bracket with the sentence before it, which would cut
    ``[laughs]`` in two; a boundary inside a mark moves to the mark's start.
    """
    if bounds:
        marks = mark_spans(piece)
        if marks:
            bounds = [next((m for m, e in marks if m < b < e), b) for b in bounds]
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
