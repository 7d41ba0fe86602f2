"""Retrieval: coded excerpts in context (`qualmine quotes`).

An excerpt is the text of a coding of the code asked for (or of a code below it), with the
case, a few of the case's attributes, the document, the turn (and its timestamp where the
transcript has one) and the sentences around it. ``--and Y`` keeps an excerpt when a unit
it overlaps also carries Y; with ``--near N`` a unit up to N units before or after will do
(units counted in the speech searched, participant speech by default). ``--not Z`` drops an
excerpt when a unit it overlaps carries Z. A unit carries a code when a coding of any chosen
coder with that code, or with a code below it, overlaps it.

Keyword in context (`qualmine search`) is in `qualmine.analysis.search`.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qualmine.analysis.corpus import CodedCorpus, CorpusFilter, load_corpus
from qualmine.analysis.overlap import UnitKey, codes_per_unit
from qualmine.analysis.reliability import check_coders
from qualmine.coding.units import Unit
from qualmine.errors import QualmineError
from qualmine.models import Codebook, Table
from qualmine.project.config import Project
from qualmine.storage.documents import document_segments, document_turns

KEY_ATTRIBUTES = 3


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    """What `qualmine quotes` retrieves.

    Attributes:
        code: the code whose codings are the excerpts.
        with_codes: codes a unit of the excerpt (or one near it) must also carry.
        without: codes no unit of the excerpt may carry.
        near: with ``with_codes``, how many units before or after still count.
        context: sentences shown before and after each excerpt.
        attributes: case attributes shown (empty: up to three grouping attributes).
        coders: whose codings (empty: the report coder, else every person).
        statuses: the coding statuses read.
        docs: ``--docs`` items.
        where: ``--where ATTRIBUTE=VALUE`` items.
        speaker_role: whose speech (None: everyone's).
        unit: ``segment`` or ``turn``: what "the same unit" means.
    """

    code: str
    with_codes: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    near: int | None = None
    context: int = 1
    attributes: tuple[str, ...] = ()
    coders: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("accepted",)
    docs: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    speaker_role: str | None = "participant"
    unit: str = "segment"


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A coded passage that passed the selection.

    Attributes:
        document_id: the document.
        start: first character of the coded text.
        end: just past its last character.
        codes: the code(s) of the codings on this span.
        coders: who coded it.
        turn: the turn of the first unit it overlaps.
        case: that unit's case, or None.
    """

    document_id: int
    start: int
    end: int
    codes: tuple[str, ...]
    coders: tuple[str, ...]
    turn: int
    case: str | None


def code_family(codebook: Codebook) -> Callable[[str], frozenset[str]]:
    """A function giving a code with every code below it."""
    children: dict[str, list[str]] = {}
    for c in codebook.codes:
        if c.parent:
            children.setdefault(c.parent, []).append(c.id)

    def family(code: str) -> frozenset[str]:
        found, todo = {code}, [code]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return frozenset(found)

    return family


def check_codes(corpus: CodedCorpus, codes: Sequence[str]) -> None:
    """Refuse codes neither the codebook nor any coding knows.

    Raises:
        QualmineError: naming the code and the closest known ones.
    """
    known = sorted({c.id for c in corpus.codebook.codes} | {c.code for c in corpus.codings})
    for code in codes:
        if code not in known:
            close = difflib.get_close_matches(code, known, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "`qualmine codebook show`"
            raise QualmineError(f"unknown code {code!r}; {hint}")


def select_excerpts(
    corpus: CodedCorpus,
    code: str,
    *,
    with_codes: Sequence[str] = (),
    without: Sequence[str] = (),
    near: int | None = None,
) -> list[Excerpt]:
    """The codings of ``code`` (and codes below it) that pass ``--and``/``--near``/``--not``.

    Codings by several coders on the same span make one excerpt. Codings that overlap no
    unit (speech outside the role filter) are left out. Order: document name, position.
    """
    family = code_family(corpus.codebook)
    units: dict[int, list[Unit]] = {}
    for u in sorted(corpus.units, key=lambda u: (u.document_id, u.start)):
        units.setdefault(u.document_id, []).append(u)
    carried = codes_per_unit(
        [(u.document_id, u.start, u.end) for u in corpus.units], corpus.codings
    )
    out = []
    spans = _grouped_spans(corpus, family(code))
    for (doc, start, end), (codes, coders) in spans:
        doc_units = units.get(doc, [])
        first, last = _overlapping(doc_units, start, end)
        if first > last:
            continue
        low, high = max(0, first - (near or 0)), min(len(doc_units) - 1, last + (near or 0))
        near_codes = _carried(doc_units[low : high + 1], carried)
        own_codes = _carried(doc_units[first : last + 1], carried)
        if all(family(y) & near_codes for y in with_codes) and not any(
            family(z) & own_codes for z in without
        ):
            unit = doc_units[first]
            out.append(Excerpt(doc, start, end, codes, coders, unit.turn_idx, unit.case))
    return out


def _grouped_spans(
    corpus: CodedCorpus, codes: frozenset[str]
) -> list[tuple[UnitKey, tuple[tuple[str, ...], tuple[str, ...]]]]:
    spans: dict[UnitKey, tuple[set[str], set[str]]] = {}
    for c in corpus.codings:
        if c.code in codes:
            found = spans.setdefault((c.document_id, c.start, c.end), (set(), set()))
            found[0].add(c.code)
            found[1].add(c.coder)
    names = corpus.documents
    return [
        (key, (tuple(sorted(found[0])), tuple(sorted(found[1]))))
        for key, found in sorted(spans.items(), key=lambda i: (names[i[0][0]], *i[0][1:]))
    ]


def _overlapping(units: Sequence[Unit], start: int, end: int) -> tuple[int, int]:
    """Index of the first and last unit overlapping [start, end); first > last if none."""
    ends = [u.end for u in units]
    first = bisect.bisect_right(ends, start)
    last = bisect.bisect_left([u.start for u in units], end) - 1
    return first, last


def _carried(units: Sequence[Unit], carried: Mapping[UnitKey, set[str]]) -> set[str]:
    return {code for u in units for code in carried[(u.document_id, u.start, u.end)]}


QUOTE_COLUMNS = (
    "document", "case", "attributes", "location", "code", "coders", "before", "excerpt", "after",
)  # fmt: skip


def quotes_table(project: Project, request: QuoteRequest) -> Table:
    """The excerpts of `qualmine quotes`, with case, attributes, location and context.

    Raises:
        QualmineError: an unknown coder or code, or a negative ``near`` or ``context``.
    """
    if (request.near or 0) < 0 or request.context < 0:
        raise QualmineError("--near and --context take a number of units, 0 or more")
    if request.coders:
        check_coders(project, request.coders)
    wanted = CorpusFilter(request.coders, request.statuses, request.docs, request.where,
                          request.speaker_role, request.unit)  # fmt: skip
    corpus = load_corpus(project, wanted)
    check_codes(corpus, (request.code, *request.with_codes, *request.without))
    excerpts = select_excerpts(corpus, request.code, with_codes=request.with_codes,
                               without=request.without, near=request.near)  # fmt: skip
    sentences, stamps = _layout(project, {e.document_id for e in excerpts})
    keys = request.attributes or key_attributes(corpus.cases)
    rows = tuple(
        _quote_row(corpus, e, keys, stamps[e.document_id].get(e.turn),
                   _context(corpus.texts[e.document_id], sentences[e.document_id], e,
                            request.context))
        for e in excerpts
    )  # fmt: skip
    meta = _quotes_meta(corpus, request, keys)
    return Table(f"Quotes: {request.code}", QUOTE_COLUMNS, rows, meta)


def _layout(
    project: Project, doc_ids: Iterable[int]
) -> tuple[dict[int, list[tuple[int, int]]], dict[int, dict[int, str | None]]]:
    """Per document, its sentences (any speaker) in order, and each turn's timestamp."""
    with project.session() as conn:
        sentences = {d: [(s.start, s.end) for s in document_segments(conn, d)] for d in doc_ids}
        stamps = {d: {t.index: t.timestamp for t in document_turns(conn, d)} for d in sentences}
    return sentences, stamps


def _quote_row(
    corpus: CodedCorpus,
    e: Excerpt,
    keys: Sequence[str],
    stamp: str | None,
    context: tuple[str, str],
) -> tuple[object, ...]:
    attrs = corpus.cases.get(e.case or "", {})
    shown = "; ".join(f"{k}={attrs[k]}" for k in keys if k in attrs)
    location = f"turn {e.turn}" + (f" [{stamp}]" if stamp else "")
    text = corpus.texts[e.document_id][e.start : e.end]
    return (
        corpus.documents[e.document_id],
        e.case or "",
        shown,
        location,
        ", ".join(e.codes),
        ", ".join(e.coders),
        context[0],
        " ".join(text.split()),
        context[1],
    )


def _context(
    text: str, sentences: Sequence[tuple[int, int]], e: Excerpt, n: int
) -> tuple[str, str]:
    """The ``n`` sentences ending before the excerpt and starting after it (any speaker)."""
    if n == 0:
        return "", ""
    before = [text[s:t] for s, t in sentences if t <= e.start][-n:]
    after = [text[s:t] for s, t in sentences if s >= e.end][:n]
    return " ".join(" ".join(before).split()), " ".join(" ".join(after).split())


def key_attributes(
    cases: Mapping[str, Mapping[str, Any]], limit: int = KEY_ATTRIBUTES
) -> tuple[str, ...]:
    """Up to ``limit`` attributes that group cases (some value shared by two cases), by name.

    Attributes unique to each case (names, dates, free text) say little beside a quote.
    """
    keys = sorted({k for attrs in cases.values() for k in attrs})
    grouping = []
    for key in keys:
        values = [str(a[key]) for a in cases.values() if key in a]
        if len(set(values)) < len(values):
            grouping.append(key)
    return tuple((grouping or keys)[:limit])


def _quotes_meta(corpus: CodedCorpus, request: QuoteRequest, keys: Sequence[str]) -> dict[str, str]:
    meta = corpus.describe()
    selection = f"codings of {request.code} or a code below it"
    for code in request.with_codes:
        where = "the same unit" if not request.near else f"a unit up to {request.near} away"
        selection += f"; {code} in {where}"
    for code in request.without:
        selection += f"; not {code} in the same unit"
    meta["selection"] = selection
    meta["excerpt"] = "the coded text; codings outside the speech counted are left out"
    meta["context"] = (
        f"{request.context} sentence(s) before and after, any speaker"
        if request.context
        else "none"
    )
    meta["attributes"] = ", ".join(keys) or "none"
    meta["order"] = "document name, then position in the text"
    return meta
