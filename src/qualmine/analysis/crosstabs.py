"""Codes by a case attribute: cases with each code per group, with tests of independence.

Two groups: Fisher's exact test on code present/absent x group. More groups: the
permutation test of `qualmine.analysis.significance`, run for every code of the table at
once with the same seed, so each p-value equals `permutation_test_independence(table,
seed=seed)` for that code's table. P-values are adjusted across the codes of the table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from qualmine.analysis.arrays import BoolArray
from qualmine.analysis.corpus import CodedCorpus
from qualmine.analysis.frequencies import UNIT_RULE, code_incidence, percent
from qualmine.analysis.significance import (
    benjamini_hochberg,
    fisher_exact_2x2,
    holm,
)
from qualmine.errors import QualmineError
from qualmine.models import Table

FloatArray: TypeAlias = "npt.NDArray[np.float64]"

CORRECTIONS = {"holm": ("Holm", holm), "bh": ("Benjamini-Hochberg", benjamini_hochberg)}
MISSING = ("", None)
# Mirrors significance.permutation_test_independence: same batches, same stream.
_BATCH_CELLS = 2_000_000
_TIE_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class CrosstabOptions:
    """How `code_crosstab` tests.

    Attributes:
        correction: ``holm`` or ``bh`` (Benjamini-Hochberg), across the codes tested.
        min_group: no p-value when a group has fewer cases than this.
        seed: the permutation test's seed (the project seed).
        n_permutations: permutations for more than two groups.
        rollup: a parent applies to a case when it or a code below it does.
    """

    correction: str = "holm"
    min_group: int = 3
    seed: int = 42
    n_permutations: int = 10000
    rollup: bool = False


def code_crosstab(
    corpus: CodedCorpus, attribute: str, options: CrosstabOptions | None = None
) -> Table:
    """Per code and attribute group: cases with the code, "n of group size", %, and a test.

    Args:
        corpus: the filtered corpus.
        attribute: a case attribute (``country``, ``age_band`` ...).
        options: tests and rollup; defaults as in `CrosstabOptions`.

    Raises:
        QualmineError: no case has the attribute, or the correction is unknown.
    """
    opts = options or CrosstabOptions()
    if opts.correction not in CORRECTIONS:
        raise QualmineError(f"--correction {opts.correction}: use one of holm, bh")
    groups, members = attribute_groups(corpus, attribute)
    incidence = code_incidence(corpus)
    pairs = incidence.unit_codes(rollup=opts.rollup)
    presence = incidence.group_presence(pairs, incidence.unit_case, len(incidence.cases))
    case_index = {c: i for i, c in enumerate(incidence.cases)}
    rows_of = [[case_index[c] for c in members[g]] for g in groups]
    present = np.array([presence[r].sum(axis=0) for r in rows_of], dtype=np.int64)
    sizes = np.array([len(r) for r in rows_of], dtype=np.int64)
    pvalues, notes = _tests(presence, rows_of, present, sizes, groups, opts)
    adjusted = CORRECTIONS[opts.correction][1](pvalues)
    rows = []
    for j, code in enumerate(incidence.codes):
        cells: list[object] = []
        for g in range(len(groups)):
            cells += [f"{present[g, j]} of {sizes[g]}", percent(int(present[g, j]), int(sizes[g]))]
        rows.append((code, incidence.names[j], *cells, pvalues[j], adjusted[j], notes[j]))
    columns = ["code", "name"]
    for group in groups:
        columns += [f"{group}: cases", f"{group} %"]
    columns += ["p", "p adjusted", "note"]
    meta = _meta(corpus, attribute, groups, sizes, opts)
    return Table(f"Codes by {attribute}", tuple(columns), tuple(rows), meta)


def attribute_groups(corpus: CodedCorpus, attribute: str) -> tuple[list[str], dict[str, list[str]]]:
    """The attribute's values (sorted) and the cases holding each.

    Raises:
        QualmineError: the corpus has no cases, or none has the attribute (the message
            lists the known attributes).
    """
    if not corpus.cases:
        raise QualmineError(
            f"--by {attribute}: no cases to group: no counted document has a participant "
            "(check --coder, --docs and --where, and that documents are marked done)"
        )
    known = sorted({k for attrs in corpus.cases.values() for k in attrs})
    if attribute not in known:
        raise QualmineError(
            f"--by {attribute}: no case has the attribute {attribute!r}; "
            f"known: {', '.join(known) or 'none (import a participants CSV with --attributes)'}"
        )
    members: dict[str, list[str]] = {}
    for case in sorted(corpus.cases):
        value = corpus.cases[case].get(attribute)
        if value not in MISSING:
            members.setdefault(str(value), []).append(case)
    return sorted(members), members


def _tests(
    presence: BoolArray,
    rows_of: list[list[int]],
    present: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    groups: list[str],
    opts: CrosstabOptions,
) -> tuple[list[float], list[str]]:
    n_codes = presence.shape[1]
    small = [f"{g} ({s})" for g, s in zip(groups, sizes, strict=True) if s < opts.min_group]
    if len(groups) < 2 or small:
        why = (
            f"not tested: group(s) under --min-group {opts.min_group}: {', '.join(small)}"
            if small
            else "not tested: fewer than two groups"
        )
        return [math.nan] * n_codes, [why] * n_codes
    total = present.sum(axis=0)
    varies = (total > 0) & (total < sizes.sum())
    notes = [
        "" if v else f"not tested: {'no case has the code' if t == 0 else 'every case has it'}"
        for v, t in zip(varies, total, strict=True)
    ]
    pvalues = [math.nan] * n_codes
    if len(groups) == 2:
        for j in np.flatnonzero(varies):
            table = [[int(present[g, j]), int(sizes[g] - present[g, j])] for g in range(2)]
            pvalues[j] = fisher_exact_2x2(table)
    elif varies.any():
        chosen = np.flatnonzero(varies)
        ordered = np.concatenate([presence[r][:, chosen] for r in rows_of])
        found = permutation_pvalues(ordered, sizes, opts.n_permutations, opts.seed)
        for j, p in zip(chosen, found, strict=True):
            pvalues[j] = float(p)
    return pvalues, notes


def permutation_pvalues(
    presence: BoolArray, sizes: npt.NDArray[np.int64], n_permutations: int, seed: int
) -> FloatArray:
    """Permutation-test p-values of group x (present, absent) for many codes at once.

    Args:
        presence: cases x codes, cases ordered by group; every code present in some
            but not all cases.
        sizes: the number of cases in each group, in that order.
        n_permutations: permutations.
        seed: seed for ``numpy.random.default_rng``.

    Returns:
        Per code, the p-value `permutation_test_independence` gives for its table: the
        same shuffles of the same random stream, applied to every code's labels.
    """
    n_cases = presence.shape[0]
    group = np.repeat(np.arange(sizes.size), sizes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    present = np.array([presence[group == g].sum(axis=0) for g in range(sizes.size)])
    margins = np.stack((present.sum(axis=0), n_cases - present.sum(axis=0)), axis=-1)
    expected = sizes[:, None, None] * margins[None, :, :] / n_cases  # groups, codes, 2
    # With two columns, (a - E_a)^2 / E_a + (b - E_b)^2 / E_b = (a - E_a)^2 * weight.
    weight = 1 / expected[..., 0] + 1 / expected[..., 1]
    observed = present[:, None, :].astype(np.float64)
    threshold = _chi_square(observed, expected[..., 0], weight)[0] * (1 - _TIE_TOLERANCE)
    # The test lays labels out present-first within each group, then shuffles them.
    label = ((np.arange(n_cases) - starts[group])[:, None] < present[group]).astype(np.float32)
    rng = np.random.default_rng(seed)
    at_least = np.zeros(presence.shape[1], dtype=np.int64)
    step = max(1, _BATCH_CELLS // max(1, n_cases))
    for begin in range(0, n_permutations, step):
        size = min(step, n_permutations - begin)
        # Shuffling is blind to the values, so shuffling positions shuffles any labels.
        order = rng.permuted(np.tile(np.arange(n_cases), (size, 1)), axis=1)
        hits = np.empty((sizes.size, size, presence.shape[1]))
        for g in range(sizes.size):
            inside = np.zeros(order.shape, dtype=np.float32)
            np.put_along_axis(inside, order[:, starts[g] : starts[g] + sizes[g]], 1.0, axis=1)
            hits[g] = inside @ label
        statistic = _chi_square(hits, expected[..., 0], weight)
        at_least += np.count_nonzero(statistic >= threshold, axis=0)
    result: FloatArray = (at_least + 1) / (n_permutations + 1)
    return result


def _chi_square(present: FloatArray, expected: FloatArray, weight: FloatArray) -> FloatArray:
    """Pearson's chi-square per code, from (groups, k, codes) "present" counts."""
    result = np.zeros(present.shape[1:])
    for g in range(present.shape[0]):
        gap = present[g] - expected[g]
        gap *= gap
        gap *= weight[g]
        result += gap
    return result


def _meta(
    corpus: CodedCorpus,
    attribute: str,
    groups: list[str],
    sizes: npt.NDArray[np.int64],
    opts: CrosstabOptions,
) -> dict[str, str]:
    meta = corpus.describe()
    grouped = int(sizes.sum())
    left_out = len(corpus.cases) - grouped
    meta["groups"] = ", ".join(
        f"{g} ({s} case{'' if s == 1 else 's'})" for g, s in zip(groups, sizes, strict=True)
    )
    if left_out:
        meta["groups"] += f"; {left_out} case(s) without {attribute} left out"
    meta["rule"] = f"a case has a code when a unit of its speech carries it; {UNIT_RULE}"
    meta["rollup"] = "on" if opts.rollup else "off"
    name = CORRECTIONS[opts.correction][0]
    test = (
        "Fisher's exact test (two-sided) of code present/absent by group"
        if len(groups) == 2
        else "permutation test of independence of code present/absent and group "
        f"(chi-square statistic, {opts.n_permutations} permutations, seed {opts.seed})"
    )
    meta["tests"] = (
        f"{test}; {name} adjustment across the codes tested; no test where a group has "
        f"fewer than {opts.min_group} cases or where the code is in no case or every case"
    )
    meta["power"] = (
        f"with {grouped} cases in {len(corpus.documents)} documents these tests have very "
        "little power: read the p-values as descriptive; a large p is not evidence of no "
        "difference"
    )
    return meta
