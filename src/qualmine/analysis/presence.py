"""Per-coder presence of each code over the units: the matrices agreement is computed on.

The presence matrices are never built cell by cell: a code touches few units, so
`PresenceCells` keeps, for every code at once, only the units some coder's coding of it
touches; every other unit of a document holds that document's blank values (0 for a coder
who marked it done, None for one who did not). Character by character the touched units
become runs: stretches of a sentence that every coder rated alike, each weighted by its length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from qualmine.analysis.arrays import BoolArray, IntArray, document_bases, expand_ranges
from qualmine.analysis.corpus import CodedCorpus
from qualmine.analysis.presence_cells import PresenceCells
from qualmine.analysis.presence_cells import RatedSpan as RatedSpan  # re-exported
from qualmine.models import Codebook

ValueArray: TypeAlias = "npt.NDArray[np.int8]"  # rows x coders: 1, 0, or -1 where missing


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
