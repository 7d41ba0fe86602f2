"""Code frequencies: units, words, documents and cases per code, with "n of N" and %.

The shared core of the tables in this package is `code_incidence`: which unit carries which
code, by which coder, as integer arrays, so every count is a handful of numpy operations
rather than a loop over units times codings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qualmine.analysis.arrays import (
    BoolArray,
    IntArray,
    coding_keys,
    document_bases,
    expand_lineage,
    expand_ranges,
    unique_rows,
)
from qualmine.analysis.corpus import CodedCorpus
from qualmine.models import Code, Codebook, Table
from qualmine.parsing.marks import strip_marks

UNIT_RULE = "a unit carries a code when a coding with that code overlaps it"
NOT_IN_CODEBOOK = "(not in codebook)"


@dataclass(frozen=True, slots=True, eq=False)
class CodeIncidence:
    """Which unit carries which code, as index arrays over a corpus.

    Attributes:
        codes: code ids, codebook tree order, then coded ids the codebook lacks.
        names: the codes' names.
        lineage: per code, its own index then its ancestors' (for --rollup).
        coders: the corpus's coders.
        documents: document ids, by document name.
        cases: case ids, sorted.
        unit_document: per unit (in text order), index into ``documents``.
        unit_case: per unit, index into ``cases``, or -1.
        unit_turn: per unit, its turn's index in its document.
        unit_start: per unit, a global key: document base offset plus start.
        unit_end: per unit, the key of its end.
        coding_code: per coding (corpus order), index into ``codes``.
        coding_coder: per coding, index into ``coders``.
        links: (coding, unit) rows, one per coding overlapping a unit.
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    lineage: tuple[tuple[int, ...], ...]
    coders: tuple[str, ...]
    documents: tuple[int, ...]
    cases: tuple[str, ...]
    unit_document: IntArray
    unit_case: IntArray
    unit_turn: IntArray
    unit_start: IntArray
    unit_end: IntArray
    coding_code: IntArray
    coding_coder: IntArray
    links: IntArray

    def unit_codes(self, *, coder: str | None = None, rollup: bool = False) -> IntArray:
        """Unique (unit, code) rows: the unit carries the code (one coder, or any)."""
        links = self.links
        if coder is not None:
            links = links[self.coding_coder[links[:, 0]] == self.coders.index(coder)]
        pairs = np.column_stack((links[:, 1], self.coding_code[links[:, 0]]))
        if rollup:
            pairs = expand_lineage(pairs, self.lineage)
        return unique_rows(pairs, len(self.codes))

    def group_presence(self, pairs: IntArray, groups: IntArray, n_groups: int) -> BoolArray:
        """A groups x codes table: True where a unit of the group carries the code."""
        group = groups[pairs[:, 0]]
        keep = group >= 0
        table = np.zeros((n_groups, len(self.codes)), dtype=bool)
        table[group[keep], pairs[keep, 1]] = True
        return table


def tree_order(codebook: Codebook) -> list[tuple[Code, int]]:
    """Every code with its depth, depth first, siblings in file order."""
    ids = {c.id for c in codebook.codes}
    children: dict[str | None, list[Code]] = {}
    for code in codebook.codes:
        parent = code.parent if code.parent in ids else None
        children.setdefault(parent, []).append(code)
    out: list[tuple[Code, int]] = []
    stack = [(c, 0) for c in reversed(children.get(None, []))]
    while stack:
        code, depth = stack.pop()
        out.append((code, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(code.id, [])))
    return out


def code_incidence(corpus: CodedCorpus) -> CodeIncidence:
    """Index the corpus: units, codings, and which coding overlaps which unit."""
    codes, names, lineage = _code_columns(corpus)
    position = {code: i for i, code in enumerate(codes)}
    documents = tuple(sorted(corpus.documents, key=lambda d: (corpus.documents[d], d)))
    cases = tuple(sorted(corpus.cases))
    base = document_bases(corpus, documents)
    doc_index = {d: i for i, d in enumerate(documents)}
    units = _unit_arrays(corpus, doc_index, cases, base)
    unit_start, unit_end = units[3], units[4]
    start, end = coding_keys(corpus, base, doc_index)
    coder_index = {c: i for i, c in enumerate(corpus.coders)}
    coding_code = np.array([position[c.code] for c in corpus.codings], dtype=np.int64)
    coding_coder = np.array([coder_index.get(c.coder, -1) for c in corpus.codings], np.int64)
    first = np.searchsorted(unit_end, start, side="right")
    last = np.searchsorted(unit_start, end, side="left")
    coding, unit = expand_ranges(first, last)
    links = np.column_stack((coding, unit))
    return CodeIncidence(
        codes, names, lineage, corpus.coders, documents, cases, *units, coding_code,
        coding_coder, links,
    )  # fmt: skip


def _code_columns(
    corpus: CodedCorpus,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[int, ...], ...]]:
    """Codes in tree order (then coded ids the codebook lacks), names, lineages."""
    ordered = [code for code, _ in tree_order(corpus.codebook)]
    extra = sorted({c.code for c in corpus.codings} - {c.id for c in ordered})
    codes = tuple(c.id for c in ordered) + tuple(extra)
    names = tuple(c.name for c in ordered) + (NOT_IN_CODEBOOK,) * len(extra)
    position = {code: i for i, code in enumerate(codes)}
    parent = {c.id: c.parent for c in ordered}
    return codes, names, tuple(_lineage(code, parent, position) for code in codes)


def _unit_arrays(
    corpus: CodedCorpus, doc_index: dict[int, int], cases: Sequence[str], base: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Per unit in key order: document index, case index, turn, start key, end key."""
    units = corpus.units
    case_index = {c: i for i, c in enumerate(cases)}
    document = np.array([doc_index[u.document_id] for u in units], dtype=np.int64)
    start = base[document] + np.array([u.start for u in units], dtype=np.int64)
    order = np.argsort(start, kind="stable")
    document, start = document[order], start[order]
    end = base[document] + np.array([units[i].end for i in order], dtype=np.int64)
    case = np.array([case_index.get(units[i].case or "", -1) for i in order], np.int64)
    turn = np.array([units[i].turn_idx for i in order], dtype=np.int64)
    return document, case, turn, start, end


def _lineage(code: str, parent: dict[str, str | None], position: dict[str, int]) -> tuple[int, ...]:
    chain = [position[code]]
    seen = {code}
    current = parent.get(code)
    while current is not None and current in position and current not in seen:
        chain.append(position[current])
        seen.add(current)
        current = parent.get(current)
    return tuple(chain)


@dataclass(frozen=True, slots=True, eq=False)
class Words:
    """The counted words of a corpus: inside its units, transcription marks left out."""

    start: IntArray
    end: IntArray
    unit: IntArray


def corpus_words(corpus: CodedCorpus, incidence: CodeIncidence, marks: Sequence[str]) -> Words:
    """Words (runs of non-space holding a letter or digit) of the corpus's units."""
    base = document_bases(corpus, incidence.documents)
    starts, ends = [], []
    for i, doc in enumerate(incidence.documents):
        s, e = _word_spans(strip_marks(corpus.texts[doc], marks))
        starts.append(s + base[i])
        ends.append(e + base[i])
    start = np.concatenate(starts) if starts else np.zeros(0, np.int64)
    end = np.concatenate(ends) if ends else np.zeros(0, np.int64)
    unit = np.searchsorted(incidence.unit_start, start, side="right") - 1
    inside = (unit >= 0) & (start < incidence.unit_end[np.maximum(unit, 0)])
    return Words(start[inside], end[inside], unit[inside])


_ASCII_SPACE = np.array([chr(i).isspace() for i in range(128)])
_ASCII_ALNUM = np.array([chr(i).isalnum() for i in range(128)])


def _word_spans(text: str) -> tuple[IntArray, IntArray]:
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    space = np.zeros(points.size, dtype=bool)
    alnum = np.zeros(points.size, dtype=bool)
    ascii_ = points < 128
    space[ascii_] = _ASCII_SPACE[points[ascii_]]
    alnum[ascii_] = _ASCII_ALNUM[points[ascii_]]
    for point in np.unique(points[~ascii_]):
        where = points == point
        space[where] = chr(point).isspace()
        alnum[where] = chr(point).isalnum()
    edges = np.diff(np.concatenate(([0], (~space).astype(np.int8), [0])))
    start, end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    seen = np.concatenate(([0], np.cumsum(alnum)))
    keep = seen[end] - seen[start] > 0
    return start[keep].astype(np.int64), end[keep].astype(np.int64)


def coded_words(
    corpus: CodedCorpus,
    incidence: CodeIncidence,
    words: Words,
    groups: IntArray,
    n_groups: int,
    *,
    coder: str | None = None,
    rollup: bool = False,
) -> IntArray:
    """A groups x codes count of words inside coded spans (each word once per code).

    Args:
        corpus: the corpus the incidence indexes.
        incidence: from `code_incidence`.
        words: from `corpus_words`.
        groups: per unit, the group its words count for (-1: none).
        n_groups: how many groups.
        coder: count only this coder's codings (None: every coder's).
        rollup: a code's words also count for its ancestors.
    """
    base = document_bases(corpus, incidence.documents)
    doc_index = {d: i for i, d in enumerate(incidence.documents)}
    start, end = coding_keys(corpus, base, doc_index)
    label = incidence.coding_code
    if coder is not None:
        mine = incidence.coding_coder == incidence.coders.index(coder)
        start, end, label = start[mine], end[mine], label[mine]
    low = np.searchsorted(words.end, start, side="right")
    high = np.searchsorted(words.start, end, side="left")
    if rollup:
        pairs = expand_lineage(np.column_stack((np.arange(low.size), label)), incidence.lineage)
        low, high, label = low[pairs[:, 0]], high[pairs[:, 0]], pairs[:, 1]
    label, low, high = _disjoint_pieces(label, low, high, words.unit.size)
    unit_first = np.searchsorted(words.unit, np.arange(groups.size), side="left")
    unit_stop = np.searchsorted(words.unit, np.arange(groups.size), side="right")
    owner, unit = expand_ranges(words.unit[low], words.unit[high - 1] + 1)
    length = np.minimum(high[owner], unit_stop[unit]) - np.maximum(low[owner], unit_first[unit])
    group = groups[unit]
    keep = (group >= 0) & (length > 0)
    width = len(incidence.codes)
    totals = np.bincount(
        group[keep] * width + label[owner][keep],
        weights=length[keep],
        minlength=n_groups * width,
    )
    return totals.astype(np.int64).reshape(n_groups, width)


def _disjoint_pieces(
    label: IntArray, low: IntArray, high: IntArray, n_words: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Per label, cut word ranges into disjoint pieces with the same union."""
    order = np.lexsort((low, label))
    label, low, high = label[order], low[order], high[order]
    offset = label * (n_words + 1)
    reach = np.maximum.accumulate(high + offset) if high.size else high
    before = np.concatenate(([-1], reach[:-1])).astype(np.int64)
    start = np.maximum(low + offset, before) - offset
    keep = high > start
    return label[keep], start[keep], high[keep]


def percent(n: int, total: int) -> float:
    """``100 n / total`` to one decimal; NaN when there is nothing to divide by."""
    return round(100.0 * n / total, 1) if total else float("nan")


def code_frequencies(
    corpus: CodedCorpus,
    *,
    rollup: bool = False,
    by_coder: bool = False,
    marks: Sequence[str] = (),
) -> Table:
    """Per code: units coded, words coded, documents and cases, "n of N" with %.

    Args:
        corpus: the filtered corpus.
        rollup: a parent counts a unit, document or case once when it or a code below it
            applies.
        by_coder: one row per code and coder, each against the documents that coder
            marked done.
        marks: extra transcription marks (qualmine.toml), left out of word counts.

    Returns:
        A table in codebook tree order, its meta stating unit, denominators and rules.
    """
    incidence = code_incidence(corpus)
    words = corpus_words(corpus, incidence, marks)
    coders: list[str | None] = list(incidence.coders) if by_coder else [None]
    rows = []
    for coder in coders:
        counts = _counts(corpus, incidence, words, coder, rollup)
        for i, code in enumerate(incidence.codes):
            who = (coder,) if by_coder else ()
            rows.append((code, incidence.names[i], *who, *(column[i] for column in counts)))
    columns = ("code", "name", *(("coder",) if by_coder else ()), *_COUNT_COLUMNS)
    return Table("Code frequencies", columns, tuple(rows), _meta(corpus, rollup, by_coder))


_COUNT_COLUMNS = ("units", "words", "documents", "documents %", "cases", "cases %")


def _counts(
    corpus: CodedCorpus,
    incidence: CodeIncidence,
    words: Words,
    coder: str | None,
    rollup: bool,
) -> list[list[object]]:
    pairs = incidence.unit_codes(coder=coder, rollup=rollup)
    n_docs, n_cases = len(incidence.documents), len(incidence.cases)
    docs = incidence.group_presence(pairs, incidence.unit_document, n_docs)
    cases = incidence.group_presence(pairs, incidence.unit_case, n_cases)
    doc_total, case_total = n_docs, n_cases
    if coder is not None:
        # A coder's codings are read only in documents that coder marked done.
        done = [d for d in incidence.documents if d in corpus.done.get(coder, frozenset())]
        doc_total = len(done)
        case_total = len(
            {c for d in done for c in corpus.doc_cases.get(d, ()) if c in corpus.cases}
        )
    if corpus.filters.unit == "document":
        units = docs.sum(axis=0)
    else:
        units = np.bincount(pairs[:, 1], minlength=len(incidence.codes))
    one = np.zeros(incidence.unit_document.size, dtype=np.int64)
    word_counts = coded_words(corpus, incidence, words, one, 1, coder=coder, rollup=rollup)[0]
    n_doc, n_case = docs.sum(axis=0), cases.sum(axis=0)
    return [
        [int(v) for v in units],
        [int(v) for v in word_counts],
        [f"{int(v)} of {doc_total}" for v in n_doc],
        [percent(int(v), doc_total) for v in n_doc],
        [f"{int(v)} of {case_total}" for v in n_case],
        [percent(int(v), case_total) for v in n_case],
    ]


def _meta(corpus: CodedCorpus, rollup: bool, by_coder: bool) -> dict[str, str]:
    role = corpus.filters.speaker_role or "all"
    meta = corpus.describe()
    meta["rows"] = "codes in codebook tree order (parents before their children)"
    meta["rule"] = UNIT_RULE
    meta["rollup"] = (
        "on: a parent counts a unit, document or case once when it or any code below it applies"
        if rollup
        else "off: each code counts its own codings only"
    )
    meta["words"] = (
        f"words of {role} speech inside coded spans, each word once per code; "
        "transcription marks such as [laughs] are not words"
    )
    meta["documents"] = "n of N: documents with a unit carrying the code, of those counted"
    meta["cases"] = "n of N: cases with a unit of their speech carrying the code"
    if by_coder:
        meta["by coder"] = "each coder's N is the documents that coder marked done"
    return meta
