"""Topic coherence, NPMI and C_V, computed with numpy over the modelled units.

Both read the units as the topic words were made: `qualmine.topics.fillers.prepare_text`,
the same tokens and stop words, two-word terms from neighbouring kept tokens. Both are
intrinsic: the reference corpus is the modelled units themselves.

**NPMI** (Bouma 2009; Lau, Newman and Baldwin 2014) treats each unit as a document. With
``P(w)`` the share of units containing term ``w`` and ``P(a, b)`` the share containing
both, ``NPMI(a, b) = log(P(a, b) / (P(a) P(b))) / -log P(a, b)``: 1 when two terms always
appear together, 0 when independent, -1 when never together (the value given to pairs
that never co-occur). A topic's NPMI is the mean over all pairs of its top words.

**C_V** (Röder, Both and Hinneburg 2015, as gensim computes ``c_v``) counts boolean sliding
windows of ``WINDOW`` = 110 tokens inside each unit (a shorter unit is one window; a
two-word term counts in a window holding both its words). It takes the smoothed NPMI of
every pair of top words, ``log((P(a, b) + e) / (P(a) P(b))) / -log(P(a, b) + e)`` with
``e = 1e-12``, gives each word the vector of its NPMI with every top word (itself
included), and averages the cosine between each word's vector and the sum of all of
them. It lies in [0, 1] in practice; higher is more coherent.

A topic with fewer than two words scores NaN; the overall figure is the unweighted mean
over topics (outliers excluded) that have a score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qualmine.topics.fillers import make_vectorizer
from qualmine.topics.settings import OUTLIER

WINDOW = 110
EPSILON = 1e-12


@dataclass(frozen=True, slots=True)
class Coherence:
    """Per-topic coherence and the means over topics.

    Attributes:
        npmi: topic -> NPMI of its top words (units as documents).
        c_v: topic -> C_V of its top words (110-token windows).
    """

    npmi: dict[int, float]
    c_v: dict[int, float]

    @property
    def overall_npmi(self) -> float:
        """Mean NPMI over topics with a score (NaN when none has one)."""
        return _mean(self.npmi.values())

    @property
    def overall_c_v(self) -> float:
        """Mean C_V over topics with a score (NaN when none has one)."""
        return _mean(self.c_v.values())


@dataclass(frozen=True, slots=True)
class Counts:
    """How often terms, and pairs of terms, fall in the same window.

    Attributes:
        terms: term -> its row and column in the counts.
        single: windows holding each term.
        pairs: windows holding both terms of each pair (the diagonal equals ``single``).
        windows: the number of windows.
    """

    terms: dict[str, int]
    single: NDArray[np.float64]
    pairs: NDArray[np.float64]
    windows: int


def unit_tokens(texts: Sequence[str]) -> list[list[str]]:
    """Each unit's kept tokens, in order (stop words and fillers removed)."""
    analyzer = make_vectorizer((1, 1)).build_analyzer()
    return [list(analyzer(text)) for text in texts]


def count_windows(
    tokens: Sequence[Sequence[str]], terms: Sequence[str], window: int | None
) -> Counts:
    """Count term and pair occurrences in windows of ``window`` tokens (None: whole units)."""
    index = {term: i for i, term in enumerate(dict.fromkeys(terms))}
    single = np.zeros(len(index))
    pairs = np.zeros((len(index), len(index)))
    total = 0
    for unit in tokens:
        width = window or max(1, len(unit))
        count = max(1, len(unit) - width + 1)
        found = _occurrences(unit, index)
        total += count
        if not found:
            continue
        ids = sorted({term for term, _, _ in found})
        column = {term: i for i, term in enumerate(ids)}
        present = np.zeros((count, len(ids)))
        for term, position, length in found:
            first = max(0, position + length - width)
            present[first : min(position, count - 1) + 1, column[term]] = 1.0
        single[ids] += present.sum(axis=0)
        pairs[np.ix_(ids, ids)] += present.T @ present
    return Counts(index, single, pairs, total)


def _occurrences(unit: Sequence[str], index: Mapping[str, int]) -> list[tuple[int, int, int]]:
    found = []
    for position, token in enumerate(unit):
        if token in index:
            found.append((index[token], position, 1))
        if position + 1 < len(unit):
            pair = f"{token} {unit[position + 1]}"
            if pair in index:
                found.append((index[pair], position, 2))
    return found


def npmi_score(counts: Counts, words: Sequence[str]) -> float:
    """Mean NPMI over the pairs of ``words`` (units as documents), -1 for unseen pairs."""
    ids = _known(counts, words)
    values = []
    for a_pos, a in enumerate(ids):
        for b in ids[a_pos + 1 :]:
            values.append(_npmi(counts, a, b))
    return float(np.mean(values)) if values else math.nan


def _npmi(counts: Counts, a: int, b: int) -> float:
    n = counts.windows
    joint = counts.pairs[a, b] / n
    if joint == 0:
        return -1.0
    if joint == 1:
        return 1.0
    return float(math.log(joint / (counts.single[a] / n * counts.single[b] / n)) / -math.log(joint))


def cv_score(counts: Counts, words: Sequence[str]) -> float:
    """C_V of ``words`` from sliding-window counts (gensim's ``c_v`` definition)."""
    ids = _known(counts, words)
    if len(ids) < 2:
        return math.nan
    n = counts.windows
    single = counts.single[ids] / n
    joint = counts.pairs[np.ix_(ids, ids)] / n
    vectors = np.log((joint + EPSILON) / np.outer(single, single)) / -np.log(joint + EPSILON)
    total = vectors.sum(axis=0)
    norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(total)
    cosines = (vectors @ total)[norms > 0] / norms[norms > 0]
    return float(cosines.mean()) if cosines.size else math.nan


def _known(counts: Counts, words: Sequence[str]) -> list[int]:
    ids = [counts.terms[w] for w in dict.fromkeys(words) if w in counts.terms]
    return [i for i in ids if counts.single[i] > 0]


def topic_coherence(texts: Sequence[str], topic_words: Mapping[int, Sequence[str]]) -> Coherence:
    """NPMI and C_V of every topic but the outliers (-1), over ``texts``."""
    tokens = unit_tokens(texts)
    topics = {t: list(words) for t, words in sorted(topic_words.items()) if t != OUTLIER}
    terms = [w for words in topics.values() for w in words]
    documents = count_windows(tokens, terms, None)
    windows = count_windows(tokens, terms, WINDOW)
    return Coherence(
        {t: _rounded(npmi_score(documents, words)) for t, words in topics.items()},
        {t: _rounded(cv_score(windows, words)) for t, words in topics.items()},
    )


def _rounded(value: float) -> float:
    return value if math.isnan(value) else round(value, 6)


def _mean(values: Iterable[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return round(float(np.mean(kept)), 6) if kept else math.nan
