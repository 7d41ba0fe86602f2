"""Integer-array helpers the count tables share: global offsets, ranges, code lineages.

A corpus's documents are laid end to end (`document_bases`), so a span of any document is a
pair of global keys, and counting is sorting and searching arrays of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from qualmine.analysis.corpus import CodedCorpus

IntArray: TypeAlias = "npt.NDArray[np.int64]"
BoolArray: TypeAlias = "npt.NDArray[np.bool_]"


def document_bases(corpus: CodedCorpus, documents: Sequence[int]) -> IntArray:
    """Per document (in the given order), the offset that makes its keys global."""
    lengths = np.array([len(corpus.texts[d]) + 1 for d in documents], dtype=np.int64)
    return np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)


def coding_keys(
    corpus: CodedCorpus, base: IntArray, doc_index: dict[int, int]
) -> tuple[IntArray, IntArray]:
    """Global start and end keys of every coding, in corpus order."""
    offsets = np.array([base[doc_index[c.document_id]] for c in corpus.codings], dtype=np.int64)
    start = np.array([c.start for c in corpus.codings], dtype=np.int64)
    end = np.array([c.end for c in corpus.codings], dtype=np.int64)
    return (offsets + start).reshape(-1), (offsets + end).reshape(-1)


def expand_ranges(low: IntArray, high: IntArray) -> tuple[IntArray, IntArray]:
    """Every (i, v) with low[i] <= v < high[i], as two arrays."""
    counts = np.maximum(high - low, 0)
    owner = np.repeat(np.arange(low.size, dtype=np.int64), counts)
    firsts = np.cumsum(counts) - counts
    value = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(firsts - low, counts)
    return owner, value


def expand_lineage(pairs: IntArray, lineage: Sequence[Sequence[int]]) -> IntArray:
    """(row, code) pairs with a row added for each ancestor of the code."""
    sizes = np.array([len(chain) for chain in lineage], dtype=np.int64)
    flat = np.array([c for chain in lineage for c in chain], dtype=np.int64)
    pointers = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    codes = pairs[:, 1]
    owner, at = expand_ranges(pointers[codes], pointers[codes] + sizes[codes])
    return np.column_stack((pairs[owner, 0], flat[at]))


def unique_rows(pairs: IntArray, width: int) -> IntArray:
    """Distinct (row, code) pairs, sorted."""
    keys = np.unique(pairs[:, 0] * width + pairs[:, 1])
    return np.column_stack((keys // width, keys % width)).astype(np.int64)
