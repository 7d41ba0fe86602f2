"""Texts and units -> unit-length vectors, through the embedding cache.

Only texts missing from the cache are encoded, deduplicated and sorted by (length, key) so
the batches are the same whatever order the texts came in; each batch is stored in its own
transaction, so an interrupted run keeps the finished batches. Every returned vector is
read back from the cache, including those just computed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from qualmine.embedding.cache import embedding_text, read_vectors, store_vectors, text_key
from qualmine.embedding.encoders import DEFAULT_ENCODER, Encoder, get_encoder
from qualmine.errors import QualmineError

Progress = Callable[[int, int, str], None]
PROGRESS_LABEL = "embedding"


class SegmentedText(Protocol):
    """A span of a document split into segments, such as a `qualmine.coding.units.Unit`."""

    @property
    def start(self) -> int:
        """Offset of the span's first character."""
        ...

    @property
    def text(self) -> str:
        """The span's text."""
        ...

    @property
    def segments(self) -> tuple[tuple[int, int], ...]:
        """The (start, end) of each segment, in the same offsets as ``start``."""
        ...


@dataclass(frozen=True, slots=True)
class EmbeddingStats:
    """How many distinct texts were encoded, and how many were found in the cache."""

    computed: int = 0
    cached: int = 0

    def __add__(self, other: EmbeddingStats) -> EmbeddingStats:
        return EmbeddingStats(self.computed + other.computed, self.cached + other.cached)

    def __sub__(self, other: EmbeddingStats) -> EmbeddingStats:
        return EmbeddingStats(self.computed - other.computed, self.cached - other.cached)


_totals = EmbeddingStats()


def embedding_stats() -> EmbeddingStats:
    """Totals of every `embed_texts` call in this process so far.

    Take the difference of two readings to count one step: ``after - before``.
    """
    return _totals


def embed_texts(
    conn: sqlite3.Connection,
    texts: Sequence[str],
    *,
    encoder: str = DEFAULT_ENCODER,
    batch_size: int = 64,
    progress: Progress | None = None,
    marks: Sequence[str] = (),
) -> NDArray[np.float32]:
    """Embed texts, computing only those not yet in the project's cache.

    Args:
        conn: the project file.
        texts: the texts; marks are stripped and white space collapsed before encoding.
        encoder: a name in ``ENCODERS``.
        batch_size: texts per encoder call and per stored transaction.
        progress: called as ``progress(done, total, "embedding")`` after each batch.
        marks: extra transcription marks, as for `qualmine.parsing.strip_marks`.

    Returns:
        One unit-length float32 row per text, in input order.

    Raises:
        QualmineError: unknown encoder, or the encoder gave vectors of the wrong size.
    """
    global _totals
    chosen = get_encoder(encoder)
    keys = [text_key(t, marks) for t in texts]
    unique = sorted(set(keys))
    found = read_vectors(conn, chosen.model, unique, chosen.dim)
    missing = [k for k in unique if k not in found]
    if missing:
        by_key = {k: embedding_text(t, marks) for k, t in zip(keys, texts, strict=True)}
        # Similar lengths share a batch (less padding); the key breaks ties, so the order
        # depends only on which texts are missing, never on the order they came in.
        ordered = sorted(missing, key=lambda k: (len(by_key[k]), k))
        _compute(conn, chosen, [(k, by_key[k]) for k in ordered], batch_size, progress)
        found.update(read_vectors(conn, chosen.model, missing, chosen.dim))
    _totals = _totals + EmbeddingStats(len(missing), len(unique) - len(missing))
    if not keys:
        return np.zeros((0, chosen.dim), dtype=np.float32)
    return np.stack([found[k] for k in keys])


def _compute(
    conn: sqlite3.Connection,
    encoder: Encoder,
    items: Sequence[tuple[str, str]],
    batch_size: int,
    progress: Progress | None,
) -> None:
    size = max(1, batch_size)
    for first in range(0, len(items), size):
        batch = items[first : first + size]
        vectors = encoder.encode([text for _, text in batch], size)
        if vectors.shape != (len(batch), encoder.dim):
            raise QualmineError(
                f"encoder {encoder.model} gave vectors of shape {vectors.shape} for "
                f"{len(batch)} texts, expected {encoder.dim} values each"
            )
        rows = _unit_rows(vectors)
        store_vectors(conn, encoder.model, {k: rows[i] for i, (k, _) in enumerate(batch)})
        if progress is not None:
            progress(first + len(batch), len(items), PROGRESS_LABEL)


def embed_units(
    conn: sqlite3.Connection,
    units: Sequence[SegmentedText],
    *,
    encoder: str = DEFAULT_ENCODER,
    batch_size: int = 64,
    progress: Progress | None = None,
    marks: Sequence[str] = (),
) -> NDArray[np.float32]:
    """Embed coding units: a segment by its text, a turn by the mean of its segments.

    A turn is embedded through its sentences because the model reads only 256 word
    pieces; the mean of the segment vectors is scaled back to unit length. Arguments
    are as for `embed_texts`.

    Returns:
        One unit-length float32 row per unit, in input order.
    """
    spans = [_segment_texts(u) for u in units]
    flat = [text for texts in spans for text in texts]
    vectors = embed_texts(
        conn, flat, encoder=encoder, batch_size=batch_size, progress=progress, marks=marks
    )
    rows: list[NDArray[np.float32]] = []
    first = 0
    for texts in spans:
        part = vectors[first : first + len(texts)]
        first += len(texts)
        # One segment: its stored vector exactly, not a re-normalized copy.
        rows.append(part[0] if len(part) == 1 else _unit_rows(_mean(part))[0])
    if not rows:
        return np.zeros((0, get_encoder(encoder).dim), dtype=np.float32)
    return np.stack(rows)


def _segment_texts(unit: SegmentedText) -> list[str]:
    if not unit.segments:
        return [unit.text]
    return [unit.text[start - unit.start : end - unit.start] for start, end in unit.segments]


def _mean(rows: NDArray[np.float32]) -> NDArray[np.float64]:
    mean: NDArray[np.float64] = np.asarray(rows, dtype=np.float64).mean(axis=0, keepdims=True)
    return mean


def _unit_rows(matrix: NDArray[np.floating]) -> NDArray[np.float32]:
    wide = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(wide, axis=1, keepdims=True)
    # A zero vector (no text at all) stays zero rather than becoming NaN.
    return (wide / np.where(norms > 0, norms, 1.0)).astype(np.float32)
