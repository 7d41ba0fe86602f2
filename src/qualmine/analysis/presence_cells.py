"""Every code's presence matrix, stored sparsely (`PresenceCells`), and its rows (`RatedSpan`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from qualmine.analysis.agreement import FloatArray
from qualmine.analysis.arrays import BoolArray, IntArray
from qualmine.analysis.code_agreement import Values


@dataclass(frozen=True, slots=True)
class RatedSpan:
    """One row of a presence matrix: a unit, or a run of characters rated alike.

    Attributes:
        document_id: the document.
        start: first character, as an offset into the document's text.
        end: just past the last character.
        turn: index of the turn the span lies in; -1 for a whole document.
        values: per coder, in the order given: 1, 0, or None where missing.
        weight: how many units the row stands for: 1, or a run's length in characters.
    """

    document_id: int
    start: int
    end: int
    turn: int
    values: Values
    weight: int = 1


@dataclass(frozen=True, slots=True, eq=False)
class PresenceCells:
    """Every code's presence matrix at once, keeping only the rows a coding touches.

    Every code's matrix runs over the same spans: the units, or for characters the
    sentences of the units, in document-name and text order. A span that no coder's coding
    of the code touches is one row with its document's blank values; a touched span is
    kept as pieces: the unit itself, or its runs of characters rated alike.

    Attributes:
        patterns: the distinct rows of values; ``blank`` and ``piece_pattern`` index it.
        documents: document ids in name order.
        blank: per document, the pattern of its untouched rows.
        span_document: per span, index into ``documents``.
        span_start: per span, its first character.
        span_end: per span, just past its last character.
        span_turn: per span, its turn's index in the document (-1 for a whole document).
        characters: whether a row weighs its length in characters (else 1).
        n_codes: how many codes the matrices are for.
        piece_code: per piece, index of its code; pieces go by code, span and start.
        piece_span: per piece, index into the spans.
        piece_start: per piece, its first character.
        piece_end: per piece, just past its last character.
        piece_pattern: per piece, index into ``patterns``.
    """

    patterns: tuple[Values, ...]
    documents: tuple[int, ...]
    blank: IntArray
    span_document: IntArray
    span_start: IntArray
    span_end: IntArray
    span_turn: IntArray
    characters: bool
    n_codes: int
    piece_code: IntArray
    piece_span: IntArray
    piece_start: IntArray
    piece_end: IntArray
    piece_pattern: IntArray
    _entries_memo: list[tuple[IntArray, IntArray, IntArray, IntArray]] = field(
        default_factory=list, init=False, repr=False
    )

    def code_counts(self) -> list[Counter[Values]]:
        """Per code, its units per pattern, patterns in order of first appearance."""
        code, _, pattern, weight = self._entries()
        found = self._counters(code, pattern, weight)
        return [found.get(c, Counter()) for c in range(self.n_codes)]

    def document_counts(self) -> dict[tuple[int, int], Counter[Values]]:
        """Per (code, document index), its units per pattern, as `code_counts`."""
        code, document, pattern, weight = self._entries()
        n_docs = len(self.documents)
        found = self._counters(code * n_docs + document, pattern, weight)
        return {divmod(key, n_docs): counts for key, counts in found.items()}

    def pooled_counts(self) -> Counter[Values]:
        """Units per pattern over every code, patterns in order of first appearance."""
        code, _, pattern, weight = self._entries()
        return self._counters(np.zeros_like(code), pattern, weight).get(0, Counter())

    def document_sizes(self) -> IntArray:
        """Per document, how many spans it has."""
        return np.bincount(self.span_document, minlength=len(self.documents))

    def value_table(self, code: int, document: int | None = None) -> FloatArray:
        """A code's matrix (one document's rows, or all) as rows x (0s, 1s), in row order.

        Only for units, where a touched span is a single piece.
        """
        low, high = 0, self.span_start.size
        if document is not None:
            low, high = np.searchsorted(self.span_document, [document, document + 1]).tolist()
        lo, hi = np.searchsorted(self.piece_code, [code, code + 1])
        spans, patterns = self.piece_span[lo:hi], self.piece_pattern[lo:hi]
        inside = (spans >= low) & (spans < high)
        sequence = self.blank[self.span_document[low:high]]
        sequence[spans[inside] - low] = patterns[inside]
        tally = [[values.count(0), values.count(1)] for values in self.patterns]
        table: FloatArray = np.array(tally, dtype=float).reshape(-1, 2)[sequence]
        return table

    def rows_of(self, code: int) -> tuple[RatedSpan, ...]:
        """A code's rows, in order: untouched spans whole, touched spans as their pieces."""
        lo, hi = np.searchsorted(self.piece_code, [code, code + 1])
        untouched = np.ones(self.span_start.size, dtype=bool)
        untouched[self.piece_span[lo:hi]] = False
        spans = np.flatnonzero(untouched)
        span = np.concatenate((spans, self.piece_span[lo:hi]))
        start = np.concatenate((self.span_start[spans], self.piece_start[lo:hi]))
        end = np.concatenate((self.span_end[spans], self.piece_end[lo:hi]))
        blank = self.blank[self.span_document[spans]]
        pattern = np.concatenate((blank, self.piece_pattern[lo:hi]))
        order = np.lexsort((start, span))
        return self._rated_spans(span[order], start[order], end[order], pattern[order])

    def disagreeing(self) -> tuple[IntArray, tuple[RatedSpan, ...]]:
        """The rows where one coder gives 1 and another 0: their codes and the rows."""
        mixed = np.array([0 in p and 1 in p for p in self.patterns], dtype=bool)
        chosen = mixed[self.piece_pattern]
        pieces = (self.piece_span, self.piece_start, self.piece_end, self.piece_pattern)
        return self.piece_code[chosen], self._rated_spans(*(a[chosen] for a in pieces))

    def _rated_spans(
        self, span: IntArray, start: IntArray, end: IntArray, pattern: IntArray
    ) -> tuple[RatedSpan, ...]:
        documents = np.array(self.documents, dtype=np.int64)[self.span_document[span]]
        weight = end - start if self.characters else np.ones_like(start)
        values = [self.patterns[p] for p in pattern.tolist()]
        columns = (documents, start, end, self.span_turn[span])
        return tuple(map(RatedSpan, *(c.tolist() for c in columns), values, weight.tolist()))

    def _entries(self) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """Every row as (code, document, pattern, weight), in row order.

        A document's untouched spans for a code are one entry, placed at the first of them:
        only the patterns' totals and the order they first appear in matter downstream.
        """
        if not self._entries_memo:
            self._entries_memo.append(self._sorted_entries())
        return self._entries_memo[0]

    def _sorted_entries(self) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        n_docs, n_spans = len(self.documents), max(self.span_start.size, 1)
        span_weight = self._weights(self.span_start, self.span_end)
        cell = np.unique(self.piece_code * n_spans + self.piece_span)
        code, span = cell // n_spans, cell % n_spans
        group = code * n_docs + self.span_document[span]
        first = np.searchsorted(self.span_document, np.arange(n_docs))
        rank = np.arange(cell.size) - np.searchsorted(group, group)
        size = n_docs * self.n_codes
        leading = _sums(group, span - first[self.span_document[span]] == rank, size)
        touched = _sums(group, np.ones_like(group), size)
        touched_weight = _sums(group, span_weight[span], size)
        doc_size = np.tile(self.document_sizes(), self.n_codes)
        doc_weight = np.tile(_sums(self.span_document, span_weight, n_docs), self.n_codes)
        rest = np.flatnonzero(touched < doc_size)
        rest_code, rest_doc = rest // max(n_docs, 1), rest % max(n_docs, 1)
        rest_span = first[rest_doc] + leading[rest]
        codes = np.concatenate((self.piece_code, rest_code))
        spans = np.concatenate((self.piece_span, rest_span))
        starts = np.concatenate((self.piece_start, self.span_start[rest_span]))
        patterns = np.concatenate((self.piece_pattern, self.blank[rest_doc]))
        piece_weight = self._weights(self.piece_start, self.piece_end)
        weights = np.concatenate((piece_weight, (doc_weight - touched_weight)[rest]))
        order = np.lexsort((starts, spans, codes))
        return codes[order], self.span_document[spans[order]], patterns[order], weights[order]

    def _weights(self, start: IntArray, end: IntArray) -> IntArray:
        return end - start if self.characters else np.ones_like(start)

    def _counters(
        self, group: IntArray, pattern: IntArray, weight: IntArray
    ) -> dict[int, Counter[Values]]:
        """Per group, weights summed per pattern, patterns in order of first appearance."""
        width = max(len(self.patterns), 1)
        key = group * width + pattern
        unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        total = _sums(inverse.reshape(-1), weight, unique.size)
        order = np.lexsort((first, unique // width))
        found: dict[int, Counter[Values]] = {}
        for k, w in zip(unique[order].tolist(), total[order].tolist(), strict=True):
            found.setdefault(k // width, Counter())[self.patterns[k % width]] = w
        return found


def _sums(group: IntArray, weight: IntArray | BoolArray, size: int) -> IntArray:
    """Per group index below ``size``, the weights summed (exact: below 2**53)."""
    return np.bincount(group, weights=weight, minlength=size).astype(np.int64)
