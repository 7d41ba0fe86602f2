"""The framework matrix: cases by codes, with the case attributes as leading columns.

Cells hold counts of units (the default), the coded excerpts, or a quantitized value for
statistics software: presence (0/1), counts (units) or words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from qualmine.analysis.arrays import expand_lineage, unique_rows
from qualmine.analysis.corpus import CodedCorpus
from qualmine.analysis.frequencies import (
    UNIT_RULE,
    CodeIncidence,
    code_incidence,
    coded_words,
    corpus_words,
)
from qualmine.errors import QualmineError
from qualmine.models import Table

CELLS = ("counts", "excerpts", "presence", "words")
QUANTITIZE = ("presence", "counts", "words")
# Excel refuses longer cells; a longer excerpt list is cut and the meta says so.
_CELL_LIMIT = 32_000


def framework_matrix(
    corpus: CodedCorpus,
    *,
    cells: str = "counts",
    plain_names: bool = False,
    rollup: bool = False,
    marks: Sequence[str] = (),
) -> Table:
    """One row per case: its attributes, then one column per code.

    Args:
        corpus: the filtered corpus.
        cells: ``counts`` (units of the case carrying the code; documents for the
            document unit), ``excerpts`` (each coded excerpt prefixed with its document
            and place), ``presence`` (1 or 0) or ``words`` (words inside coded spans).
        plain_names: column names made of letters, digits and ``_`` only, unique, not
            starting with a digit (for SPSS, Stata, R).
        rollup: a parent applies where it or a code below it does.
        marks: extra transcription marks, left out of word counts.

    Raises:
        QualmineError: ``cells`` is not one of the kinds above.
    """
    if cells not in CELLS:
        raise QualmineError(f"matrix cells {cells!r}: use one of {', '.join(CELLS)}")
    incidence = code_incidence(corpus)
    keys = sorted({k for attrs in corpus.cases.values() for k in attrs})
    values = _cell_values(corpus, incidence, cells, rollup, marks)
    rows = tuple(
        (case, *(_attribute(corpus.cases[case].get(k)) for k in keys), *values[i])
        for i, case in enumerate(incidence.cases)
    )
    columns: tuple[str, ...] = ("case", *keys, *incidence.codes)
    if plain_names:
        columns = plain_column_names(columns)
    meta = _meta(corpus, cells, rollup)
    if cells == "excerpts" and any(len(str(v)) >= _CELL_LIMIT for row in values for v in row):
        meta["cut"] = f"cells longer than {_CELL_LIMIT} characters are cut (Excel's limit)"
    title = "Framework matrix" if cells != "excerpts" else "Framework matrix: excerpts"
    return Table(title, columns, rows, meta)


def _attribute(value: object) -> object:
    return "" if value is None else value


def _cell_values(
    corpus: CodedCorpus,
    incidence: CodeIncidence,
    cells: str,
    rollup: bool,
    marks: Sequence[str],
) -> list[list[object]]:
    n_cases, width = len(incidence.cases), len(incidence.codes)
    if cells == "excerpts":
        return excerpt_cells(corpus, incidence, rollup)
    if cells == "words":
        words = corpus_words(corpus, incidence, marks)
        table = coded_words(corpus, incidence, words, incidence.unit_case, n_cases, rollup=rollup)
        return [[int(v) for v in row] for row in table]
    pairs = incidence.unit_codes(rollup=rollup)
    if corpus.filters.unit == "document":
        # A document counts once for each case speaking in it.
        rows = incidence.unit_document[pairs[:, 0]] * n_cases + incidence.unit_case[pairs[:, 0]]
        pairs = unique_rows(np.column_stack((rows, pairs[:, 1])), width)
        case = pairs[:, 0] % n_cases if n_cases else pairs[:, 0]
    else:
        case = incidence.unit_case[pairs[:, 0]]
    keep = case >= 0
    flat = np.bincount(case[keep] * width + pairs[keep, 1], minlength=n_cases * width)
    counts = flat.reshape(n_cases, width)
    if cells == "presence":
        counts = (counts > 0).astype(np.int64)
    return [[int(v) for v in row] for row in counts]


def excerpt_cells(
    corpus: CodedCorpus, incidence: CodeIncidence, rollup: bool
) -> list[list[object]]:
    """Per case and code, the coded excerpts, one a line: ``[DOC turn T @start-end] text``.

    The turn is that of the first unit the coding overlaps; an excerpt coded by several
    coders with the same span is shown once.
    """
    n_cases, width = len(incidence.cases), len(incidence.codes)
    links = incidence.links
    _, first_link = np.unique(links[:, 0], return_index=True)
    turns = incidence.unit_turn[links[first_link, 1]].tolist()
    first_turn = dict(zip(links[first_link, 0].tolist(), turns, strict=True))
    rows = np.column_stack((np.arange(links.shape[0]), incidence.coding_code[links[:, 0]]))
    if rollup:
        rows = expand_lineage(rows, incidence.lineage)
    found: dict[tuple[int, int], set[tuple[str, int, int, int, int]]] = {}
    for link, code in rows.tolist():
        coding_at, unit = links[link].tolist()
        case = int(incidence.unit_case[unit])
        if case >= 0:
            c = corpus.codings[coding_at]
            place = (corpus.documents[c.document_id], c.start, c.end, c.document_id)
            found.setdefault((case, code), set()).add((*place, first_turn[coding_at]))
    cells: list[list[object]] = [[""] * width for _ in range(n_cases)]
    for (case, code), spans in found.items():
        cells[case][code] = _join_excerpts(corpus, sorted(spans))
    return cells


def _join_excerpts(corpus: CodedCorpus, spans: list[tuple[str, int, int, int, int]]) -> str:
    lines = []
    for name, start, end, doc, turn in spans:
        text = " ".join(corpus.texts[doc][start:end].split())
        lines.append(f"[{name} turn {turn} @{start}-{end}] {text}")
    joined = "\n".join(lines)
    return joined if len(joined) < _CELL_LIMIT else joined[: _CELL_LIMIT - 1] + "\u2026"


def plain_column_names(columns: Sequence[str]) -> tuple[str, ...]:
    """Names of letters, digits and ``_``, not starting with a digit, made unique."""
    out: list[str] = []
    seen: set[str] = set()
    for column in columns:
        name = re.sub(r"[^0-9A-Za-z]+", "_", column).strip("_") or "column"
        if name[0].isdigit():
            name = f"c_{name}"
        unique, n = name, 2
        while unique.lower() in seen:
            unique, n = f"{name}_{n}", n + 1
        seen.add(unique.lower())
        out.append(unique)
    return tuple(out)


def _meta(corpus: CodedCorpus, cells: str, rollup: bool) -> dict[str, str]:
    meta = corpus.describe()
    unit = corpus.filters.unit
    meta["rows"] = "cases speaking in the documents counted, with their attributes"
    meta["cells"] = {
        "counts": f"{unit}s of the case's speech carrying the code",
        "presence": f"1 when a {unit} of the case's speech carries the code, else 0",
        "words": "words of the case's speech inside coded spans (marks left out)",
        "excerpts": "coded excerpts, each as [document turn @start-end] text",
    }[cells]
    meta["rule"] = UNIT_RULE
    meta["rollup"] = "on" if rollup else "off"
    return meta
