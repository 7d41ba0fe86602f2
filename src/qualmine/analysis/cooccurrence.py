"""Code co-occurrence: how many units carry both codes of a pair, Jaccard, c-coefficient.

The c-coefficient is ATLAS.ti's "code co-occurrence coefficient", c = n12 / (n1 + n2 - n12),
with n12 the co-occurrences of two codes and n1, n2 their frequencies (ATLAS.ti 22 Windows
manual, "Code Co-occurrence Coefficient",
https://doc.atlasti.com/ManualWin.v22/CodeCooccurrence/CodeCoOccurrenceTableCcoefficient.html).
ATLAS.ti counts quotations and warns that the index assumes separate, non-overlapping text
entities. Here n1, n2 and n12 count units (segments, turns or documents), which never
overlap, so c is well defined and equals the Jaccard index of the two codes' unit sets; both
columns are printed because readers look for both names. As ATLAS.ti does, a pair whose
frequencies differ more than five-fold is flagged: c then understates the association.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from qualmine.analysis.arrays import unique_rows
from qualmine.analysis.corpus import CodedCorpus
from qualmine.analysis.frequencies import UNIT_RULE, CodeIncidence, code_incidence
from qualmine.models import Table

C_SOURCE = (
    "ATLAS.ti c-coefficient, c = n12 / (n1 + n2 - n12) (ATLAS.ti 22 manual, Code "
    "Co-occurrence Coefficient); on units, which never overlap, it equals Jaccard"
)
RATIO_FLAG = 5


@dataclass(frozen=True, slots=True, eq=False)
class Cooccurrence:
    """Co-occurrence counts over units.

    Attributes:
        codes: code ids, codebook tree order.
        names: code names.
        both: codes x codes: units carrying both (the diagonal: units carrying the code).
        related: codes x codes: True where one code is the other's ancestor and the
            counts roll up (such pairs co-occur by construction and are not listed).
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    both: npt.NDArray[np.int64]
    related: npt.NDArray[np.bool_]


def count_cooccurrence(corpus: CodedCorpus, *, rollup: bool = False) -> Cooccurrence:
    """Units carrying each pair of codes; the unit is the corpus's (document: documents)."""
    incidence = code_incidence(corpus)
    pairs = incidence.unit_codes(rollup=rollup)
    if corpus.filters.unit == "document":
        pairs[:, 0] = incidence.unit_document[pairs[:, 0]]
        pairs = unique_rows(pairs, len(incidence.codes))
    n_rows = int(pairs[:, 0].max()) + 1 if pairs.size else 0
    width = len(incidence.codes)
    matrix = sparse.csr_matrix(
        (np.ones(pairs.shape[0], dtype=np.int64), (pairs[:, 0], pairs[:, 1])),
        shape=(n_rows, width),
    )
    both = np.asarray((matrix.T @ matrix).todense(), dtype=np.int64)
    related = _related(incidence) if rollup else np.zeros(both.shape, dtype=bool)
    return Cooccurrence(incidence.codes, incidence.names, both, related)


def _related(incidence: CodeIncidence) -> npt.NDArray[np.bool_]:
    width = len(incidence.codes)
    related = np.zeros((width, width), dtype=bool)
    for i, chain in enumerate(incidence.lineage):
        for ancestor in chain[1:]:
            related[i, ancestor] = related[ancestor, i] = True
    return related


def cooccurrence_tables(corpus: CodedCorpus, *, rollup: bool = False, top: int = 20) -> list[Table]:
    """The top pairs (counts, Jaccard, c) and the code x code count matrix.

    Args:
        corpus: the filtered corpus; its unit is the unit of co-occurrence.
        rollup: a parent carries a unit when it or a code below it does; a code and its
            own ancestor are then not listed as a pair.
        top: how many pairs to list, most co-occurring first (0: every pair that
            co-occurs).
    """
    counts = count_cooccurrence(corpus, rollup=rollup)
    meta = _meta(corpus, rollup)
    return [pairs_table(counts, top, meta), matrix_table(counts, meta)]


def pairs_table(counts: Cooccurrence, top: int, meta: dict[str, str]) -> Table:
    """Pairs of codes that share units, most shared first; ties in codebook order."""
    n = np.diag(counts.both)
    upper = np.triu(counts.both, k=1)
    first, second = np.nonzero((upper > 0) & ~counts.related)
    both = upper[first, second]
    union = n[first] + n[second] - both
    order = np.lexsort((second, first, -both))
    if top > 0:
        order = order[:top]
    rows = []
    for k in order:
        i, j = int(first[k]), int(second[k])
        jaccard = float(both[k] / union[k])
        ratio = max(n[i], n[j]) / min(n[i], n[j])
        note = f"frequencies differ {ratio:.0f}-fold: c understates" if ratio > RATIO_FLAG else ""
        rows.append(
            (
                counts.codes[i],
                counts.codes[j],
                int(n[i]),
                int(n[j]),
                int(both[k]),
                round(jaccard, 3),
                round(jaccard, 3),
                note,
            )
        )
    pair_meta = dict(meta)
    pair_meta["pairs"] = (
        f"{len(order)} of {first.size} co-occurring pairs, most shared units first"
        + ("; a code and its own ancestor are not paired" if counts.related.any() else "")
    )
    columns = ("code 1", "code 2", "n1", "n2", "both", "jaccard", "c", "note")
    return Table("Code co-occurrence: top pairs", columns, tuple(rows), pair_meta)


def matrix_table(counts: Cooccurrence, meta: dict[str, str]) -> Table:
    """The code x code matrix of units carrying both (diagonal: the code's own units)."""
    used = np.flatnonzero(np.diag(counts.both) > 0)
    rows = tuple((counts.codes[i], *(int(counts.both[i, j]) for j in used)) for i in used)
    matrix_meta = dict(meta)
    left_out = len(counts.codes) - used.size
    matrix_meta["cells"] = "units carrying both codes; the diagonal: units carrying the code"
    if left_out:
        matrix_meta["left out"] = f"{left_out} code(s) carried by no unit"
    columns = ("code", *(counts.codes[j] for j in used))
    return Table("Code co-occurrence matrix", columns, rows, matrix_meta)


def _meta(corpus: CodedCorpus, rollup: bool) -> dict[str, str]:
    meta = corpus.describe()
    unit = corpus.filters.unit
    meta["co-occurrence"] = f"two codes co-occur in a {unit} that carries both; {UNIT_RULE}"
    meta["jaccard"] = f"{unit}s carrying both / {unit}s carrying either"
    meta["c"] = C_SOURCE
    meta["rollup"] = "on" if rollup else "off"
    return meta
