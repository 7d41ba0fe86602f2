"""Per-coder presence of each code over the units: the matrices agreement is computed on.

The presence matrices are never built cell by cell: a code touches few units, so
`PresenceCells` keeps, for every code at once, only the units some coder's coding of it
touches; every other unit of a document holds that document's blank values (0 for a coder
who marked it done, None for one who did not). Character by character the touched units
become runs: stretches of a sentence that every coder rated alike, each weighted by its length.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from qualmine.analysis.agreement import FloatArray, Values
from qualmine.analysis.corpus import CodedCorpus
from qualmine.analysis.frequencies import BoolArray, IntArray, document_bases, expand_ranges
from qualmine.models import Codebook

ValueArray: TypeAlias = "npt.NDArray[np.int8]"  # rows x coders: 1, 0, or -1 where missing


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


@dataclass(frozen=True, slots=True, eq=False)
class Presence:
    """Per code, the presence matrix of the coders over the units.

    Attributes:
        unit: ``document``, ``turn``, ``segment`` or ``character``.
        coders: the coders compared, one column each.
        codes: codes some coder applied in these units, codebook order first.
        unused: codes of the codebook that no coder applied in these units.
        cells: the matrices, one per code in ``codes``, stored sparsely.
        corpus: the corpus the matrices were built from.
        rollup: whether a parent carries every unit its descendants carry.
    """

    unit: str
    coders: tuple[str, ...]
    codes: tuple[str, ...]
    unused: tuple[str, ...]
    cells: PresenceCells
    corpus: CodedCorpus
    rollup: bool = False
    _rows: dict[str, tuple[RatedSpan, ...]] = field(default_factory=dict, init=False, repr=False)

    @property
    def rows(self) -> dict[str, tuple[RatedSpan, ...]]:
        """Per code, its rows in document-name and text order (built on first use)."""
        if len(self._rows) < len(self.codes):
            self._rows.update((c, self.cells.rows_of(i)) for i, c in enumerate(self.codes))
        return self._rows


def presence_by_code(
    corpus: CodedCorpus, coders: Sequence[str], unit: str, *, rollup: bool = False
) -> Presence:
    """The presence matrices of the coders, per code, over the corpus's units.

    A coder's value is None in documents that coder did not mark done.
    """
    lineage = code_lineage(corpus.codebook)
    candidates = _candidate_codes(corpus, rollup)
    layout = _layout(corpus, coders)
    codings = _counted_codings(corpus, coders, layout, candidates, lineage if rollup else {})
    if unit == "character":
        spans = _sentence_spans(corpus, layout)
        pieces = _character_pieces(spans, layout, codings, len(candidates))
    else:
        spans, pieces = _unit_pieces(_unit_spans(corpus, layout), layout, codings, unit)
    cells, used = _cells(layout, spans, pieces, unit == "character", len(candidates))
    codes = tuple(candidates[i] for i in used.tolist())
    codable = {c.id for c in corpus.codebook.codes if c.codable or rollup}
    unused = tuple(c for c in candidates if c not in codes and c in codable)
    return Presence(unit, tuple(coders), codes, unused, cells, corpus, rollup)


def code_lineage(codebook: Codebook) -> dict[str, tuple[str, ...]]:
    """Each code with its ancestors."""
    parent = {c.id: c.parent for c in codebook.codes}
    out: dict[str, tuple[str, ...]] = {}
    for code in parent:
        chain, at = [code], parent[code]
        while at is not None and at not in chain:
            chain.append(at)
            at = parent.get(at)
        out[code] = tuple(chain)
    return out


def _candidate_codes(corpus: CodedCorpus, rollup: bool) -> tuple[str, ...]:
    known = [c.id for c in corpus.codebook.codes if c.codable or rollup]
    extra = sorted({c.code for c in corpus.codings} - {c.id for c in corpus.codebook.codes})
    return (*known, *extra)


@dataclass(frozen=True, slots=True, eq=False)
class _Layout:
    """The documents in name order, each placed on one axis of global positions."""

    documents: tuple[int, ...]
    length: IntArray  # per document, its text's length
    base: IntArray  # per document, what makes its offsets global
    rated: BoolArray  # coders x documents: the coder marked the document done

    def blank_values(self) -> ValueArray:
        """Per document, the values of a row no coding touches: 0, or -1 where missing."""
        return np.where(self.rated.T, 0, -1).astype(np.int8)


@dataclass(frozen=True, slots=True, eq=False)
class _Spans:
    """Rows shared by every code: units, or sentences; document by index into the layout."""

    document: IntArray
    start: IntArray
    end: IntArray
    turn: IntArray


@dataclass(frozen=True, slots=True, eq=False)
class _Codings:
    """The codings that count, one row per code they stand for, in global positions."""

    coder: IntArray
    code: IntArray
    start: IntArray
    end: IntArray


@dataclass(frozen=True, slots=True, eq=False)
class _Pieces:
    """Touched rows by code, span and start, with every coder's value."""

    code: IntArray
    span: IntArray
    start: IntArray
    end: IntArray
    values: ValueArray


def _ints(values: Iterable[int]) -> IntArray:
    return np.fromiter(values, dtype=np.int64)


def _layout(corpus: CodedCorpus, coders: Sequence[str]) -> _Layout:
    documents = tuple(sorted(corpus.documents, key=lambda d: corpus.documents[d]))
    done = [corpus.done.get(c, frozenset()) for c in coders]
    rated = np.array([[d in marked for d in documents] for marked in done], dtype=bool)
    return _Layout(
        documents,
        _ints(len(corpus.texts[d]) for d in documents),
        document_bases(corpus, documents),
        rated.reshape(len(coders), len(documents)),
    )


def _counted_codings(
    corpus: CodedCorpus,
    coders: Sequence[str],
    layout: _Layout,
    candidates: Sequence[str],
    lineage: Mapping[str, tuple[str, ...]],
) -> _Codings:
    """The chosen coders' codings in documents they marked done, clipped to the text."""
    coder_index = {c: i for i, c in enumerate(coders)}
    doc_index = {d: i for i, d in enumerate(layout.documents)}
    kept = [c for c in corpus.codings if c.coder in coder_index and c.document_id in doc_index]
    coder = _ints(coder_index[c.coder] for c in kept)
    doc = _ints(doc_index[c.document_id] for c in kept)
    ids: dict[str, int] = {}
    coded = _ints(ids.setdefault(c.code, len(ids)) for c in kept)
    position = {code: i for i, code in enumerate(candidates)}
    chains = [[position[a] for a in lineage.get(code, (code,)) if a in position] for code in ids]
    sizes = _ints(len(chain) for chain in chains)
    targets = _ints(a for chain in chains for a in chain)
    first = np.cumsum(sizes) - sizes
    owner, at = expand_ranges(first[coded], first[coded] + sizes[coded])
    counted = layout.rated[coder[owner], doc[owner]]
    owner, at = owner[counted], at[counted]
    start = layout.base[doc] + np.clip(_ints(c.start for c in kept), 0, layout.length[doc])
    end = layout.base[doc] + np.clip(_ints(c.end for c in kept), 0, layout.length[doc])
    return _Codings(coder[owner], targets[at], start[owner], end[owner])


def _unit_spans(corpus: CodedCorpus, layout: _Layout) -> _Spans:
    """The units in document-name and text order."""
    index = {d: i for i, d in enumerate(layout.documents)}
    units = [u for u in corpus.units if u.document_id in index]
    doc = _ints(index[u.document_id] for u in units)
    start, end = _ints(u.start for u in units), _ints(u.end for u in units)
    order = np.lexsort((end, start, doc))
    return _Spans(doc[order], start[order], end[order], _ints(u.turn_idx for u in units)[order])


def _sentence_spans(corpus: CodedCorpus, layout: _Layout) -> _Spans:
    """The distinct sentences of the units, by document, start, end and turn."""
    index = {d: i for i, d in enumerate(layout.documents)}
    found = {
        (index[u.document_id], s, e, u.turn_idx)
        for u in corpus.units
        if u.document_id in index
        for s, e in u.segments
    }
    doc, start, end, turn = np.array(sorted(found), dtype=np.int64).reshape(-1, 4).T.copy()
    return _Spans(doc, start, end, turn)


def _overlapping(
    start: IntArray, end: IntArray, low: IntArray, high: IntArray
) -> tuple[IntArray, IntArray]:
    """Every (i, span) with start[span] < high[i] and end[span] > low[i] (spans by start)."""
    reach = np.maximum.accumulate(end) if end.size else end
    first = np.searchsorted(reach, low, side="right")
    last = np.searchsorted(start, high, side="left")
    owner, span = expand_ranges(first, last)
    keep = end[span] > low[owner]
    return owner[keep], span[keep]


def _unit_pieces(
    spans: _Spans, layout: _Layout, codings: _Codings, unit: str
) -> tuple[_Spans, _Pieces]:
    """One piece per unit (or document) a coding overlaps, per code."""
    base = layout.base[spans.document]
    owner, row = _overlapping(base + spans.start, base + spans.end, codings.start, codings.end)
    if unit == "document":
        n_docs = len(layout.documents)
        row = spans.document[row]
        zero = np.zeros(n_docs, dtype=np.int64)
        spans = _Spans(np.arange(n_docs, dtype=np.int64), zero, layout.length, zero - 1)
    n_rows = max(spans.start.size, 1)
    cell, inverse = np.unique(codings.code[owner] * n_rows + row, return_inverse=True)
    span = cell % n_rows
    values = layout.blank_values()[spans.document[span]]
    values[inverse.reshape(-1), codings.coder[owner]] = 1
    return spans, _Pieces(cell // n_rows, span, spans.start[span], spans.end[span], values)


@dataclass(frozen=True, slots=True, eq=False)
class _Coverage:
    """Per coder and code (group = coder * codes + code), the merged coded stretches."""

    group: IntArray
    start: IntArray
    end: IntArray

    def covers(self, group: IntArray, at: IntArray, width: int) -> BoolArray:
        """Whether the group's coverage holds each position (positions below ``width``)."""
        if not self.start.size:
            return np.zeros(at.size, dtype=bool)
        i = np.searchsorted(self.group * width + self.start, group * width + at, side="right")
        j = np.maximum(i - 1, 0)
        covered: BoolArray = (i > 0) & (self.group[j] == group) & (self.end[j] > at)
        return covered


def _coverage(codings: _Codings, n_codes: int, width: int) -> _Coverage:
    """Stretches of a coder's codings of a code, merged where they overlap or touch."""
    keep = codings.end > codings.start  # an empty coding changes no character's value
    group = (codings.coder * n_codes + codings.code)[keep]
    start, end = codings.start[keep], codings.end[keep]
    order = np.lexsort((start, group))
    group, start, end = group[order], start[order], end[order]
    shift = group * width
    reach = np.maximum.accumulate(end + shift) if end.size else end
    fresh = np.ones(group.size, dtype=bool)
    fresh[1:] = start[1:] + shift[1:] > reach[:-1]
    firsts = np.flatnonzero(fresh)
    merged_end = np.maximum.reduceat(end, firsts) if firsts.size else end
    return _Coverage(group[firsts], start[firsts], merged_end)


def _character_pieces(spans: _Spans, layout: _Layout, codings: _Codings, n_codes: int) -> _Pieces:
    """Per code, the runs of characters rated alike in every sentence a coding touches."""
    base = layout.base[spans.document]
    start, end = base + spans.start, base + spans.end
    width = int(layout.base[-1] + layout.length[-1] + 1) if layout.documents else 1
    coverage = _coverage(codings, n_codes, width)
    code = coverage.group % max(n_codes, 1)
    n_spans = max(start.size, 1)
    # A sentence is touched where a coder's stretch covers one of its characters (or, for
    # an empty sentence, its position); its runs start at its start and at stretch edges.
    owner, span = _overlapping(start, np.maximum(end, start + 1), coverage.start, coverage.end)
    edges = np.concatenate((coverage.start, coverage.end))
    inner, inner_span = _overlapping(start, end, edges, edges)
    cell = np.concatenate(
        (code[owner] * n_spans + span, np.tile(code, 2)[inner] * n_spans + inner_span)
    )
    at = np.concatenate((start[span], edges[inner]))
    order = np.lexsort((at, cell))
    cell, at = cell[order], at[order]
    fresh = np.ones(cell.size, dtype=bool)
    fresh[1:] = (cell[1:] != cell[:-1]) | (at[1:] != at[:-1])
    cell, at = cell[fresh], at[fresh]
    values = np.empty((cell.size, layout.rated.shape[0]), dtype=np.int8)
    document = spans.document[cell % n_spans]
    for i in range(layout.rated.shape[0]):
        covered = coverage.covers(i * n_codes + cell // n_spans, at, width)
        values[:, i] = np.where(layout.rated[i, document], covered, -1)
    return _runs(cell, at, values, n_spans, end, base)


def _runs(
    cell: IntArray, at: IntArray, values: ValueArray, n_spans: int, end: IntArray, base: IntArray
) -> _Pieces:
    """The runs of each (code, span) cell, each reaching to the next or the span's end.

    Every start but a span's own is the edge of a coder's merged stretch, where that
    coder's value flips: neighbouring runs never hold the same values.
    """
    span = cell % n_spans
    stop = end[span]
    follows = np.flatnonzero(cell[1:] == cell[:-1])
    stop[follows] = at[follows + 1]
    return _Pieces(cell // n_spans, span, at - base[span], stop - base[span], values)


def _cells(
    layout: _Layout, spans: _Spans, pieces: _Pieces, characters: bool, n_codes: int
) -> tuple[PresenceCells, IntArray]:
    """The cells of the codes some coder applied, and those codes' indices."""
    blank = layout.blank_values()
    stacked = np.concatenate((blank, pieces.values))
    table, inverse = np.unique(stacked, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    patterns = tuple(tuple(None if v < 0 else v for v in row) for row in table.tolist())
    used = np.unique(pieces.code[(pieces.values == 1).any(axis=1)])
    index = np.full(max(n_codes, 1), -1, dtype=np.int64)
    index[used] = np.arange(used.size)
    keep = index[pieces.code] >= 0
    cells = PresenceCells(
        patterns, layout.documents, inverse[: blank.shape[0]], spans.document, spans.start,
        spans.end, spans.turn, characters, int(used.size), index[pieces.code][keep],
        pieces.span[keep], pieces.start[keep], pieces.end[keep],
        inverse[blank.shape[0] :][keep],
    )  # fmt: skip
    return cells, used
