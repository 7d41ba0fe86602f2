"""Keyword in context (`qualmine search`): each hit of a word or phrase, with its context.

Search matches words on their lemmas from the shared spaCy pipeline, lower-cased, so
``trusted`` finds ``trust``, ``trusts`` and ``Trusting``; ``exact`` matches the words as
written (still case-insensitive). A phrase matches consecutive words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qualmine.analysis.corpus import CodedCorpus, CorpusFilter, load_corpus
from qualmine.analysis.reliability import check_coders
from qualmine.errors import QualmineError
from qualmine.language import load_pipeline
from qualmine.models import Coding, Table, Turn
from qualmine.project.config import Project
from qualmine.project.filters import resolve_documents
from qualmine.storage.documents import document_turns

_SKIPPED = frozenset({"-"})


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What `qualmine search` looks for.

    Attributes:
        query: one or more words.
        exact: match the words as written instead of their lemmas.
        show_codes: add the codes whose codings overlap each hit.
        width: characters of context on each side.
        coders: whose codings ``show_codes`` reads.
        statuses: the coding statuses read.
        docs: ``--docs`` items.
        where: ``--where ATTRIBUTE=VALUE`` items.
        speaker_role: whose speech is searched (None: everyone's).
    """

    query: str
    exact: bool = False
    show_codes: bool = False
    width: int = 40
    coders: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("accepted",)
    docs: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    speaker_role: str | None = "participant"


def lemma_reader() -> Callable[[str], str]:
    """The lower-cased lemma of a word, from the shared pipeline's lookup table."""
    lemmatizer: Any = load_pipeline().get_pipe("lemmatizer")
    table = lemmatizer.lookups.get_table("lemma_lookup")

    def lemma(word: str) -> str:
        lower = word.lower()
        return str(table.get(lower, lower)).lower()

    return lemma


def words(text: str, *, exact: bool = False) -> list[tuple[str, int, int]]:
    """The words of a text as (form, start, end): lemma, or lower-cased text if ``exact``.

    White space and hyphens are left out, so a phrase can match across them.
    """
    lemma = (lambda w: w.lower()) if exact else lemma_reader()
    tokens = load_pipeline().tokenizer(text)
    return [
        (lemma(t.text), t.idx, t.idx + len(t.text))
        for t in tokens
        if not t.is_space and t.text not in _SKIPPED
    ]


def find_phrase(text: str, phrase: Sequence[str], *, exact: bool = False) -> list[tuple[int, int]]:
    """Every (start, end) where the words of ``text`` read as ``phrase``."""
    found = words(text, exact=exact)
    n = len(phrase)
    if not n:
        return []
    return [
        (found[i][1], found[i + n - 1][2])
        for i in range(len(found) - n + 1)
        if all(found[i + k][0] == phrase[k] for k in range(n))
    ]


def search_table(project: Project, request: SearchRequest) -> Table:
    """Keyword in context: each hit with its left and right context, document, case, codes.

    Raises:
        QualmineError: an empty query or an unknown coder.
    """
    phrase = [w for w, _, _ in words(request.query, exact=request.exact)]
    if not phrase:
        raise QualmineError(f"search {request.query!r}: the query holds no words")
    if request.coders:
        check_coders(project, request.coders)
    names, turns, texts = _searchable(project, request)
    doc_ids = list(turns)
    codings: dict[int, list[Coding]] = {}
    corpus = None
    if request.show_codes:
        corpus = load_corpus(
            project,
            CorpusFilter(request.coders, request.statuses, request.docs, request.where, None),
        )
        for c in corpus.codings:
            codings.setdefault(c.document_id, []).append(c)
    order = {c.id: i for i, c in enumerate(corpus.codebook.codes)} if corpus else {}
    rows = []
    for doc in doc_ids:
        for turn in turns[doc]:
            if request.speaker_role and turn.speaker_role != request.speaker_role:
                continue
            spoken = texts[doc][turn.start : turn.end]
            for start, end in find_phrase(spoken, phrase, exact=request.exact):
                s, e = turn.start + start, turn.start + end
                row = _hit_row(texts[doc], names[doc], turn, s, e, request.width)
                if corpus is not None:
                    row += (_codes_over(codings.get(doc, []), s, e, order, len(corpus.coders)),)
                rows.append(row)
    columns: tuple[str, ...] = ("left", "match", "right", "document", "case", "location")
    columns += ("codes",) if request.show_codes else ()
    meta = _search_meta(request, phrase, len(doc_ids), corpus)
    return Table(f"Search: {request.query}", columns, tuple(rows), meta)


def _searchable(
    project: Project, request: SearchRequest
) -> tuple[dict[int, str], dict[int, list[Turn]], dict[int, str]]:
    """Names, turns and texts of the documents searched, in document name order."""
    with project.session() as conn:
        names = {r[0]: str(r[1]) for r in conn.execute("SELECT id, name FROM documents")}
        chosen = sorted(resolve_documents(conn, request.docs, request.where), key=names.__getitem__)
        turns = {d: document_turns(conn, d) for d in chosen}
        texts = {
            d: str(conn.execute("SELECT text FROM documents WHERE id = ?", (d,)).fetchone()[0])
            for d in chosen
        }
    return names, turns, texts


def _hit_row(
    text: str, name: str, turn: Turn, start: int, end: int, width: int
) -> tuple[object, ...]:
    left = _whole_words(text[max(turn.start, start - width) : start], start - width > turn.start)
    right = _whole_words(text[end : min(turn.end, end + width)], end + width < turn.end, True)
    location = f"turn {turn.index}" + (f" [{turn.timestamp}]" if turn.timestamp else "")
    return (left, text[start:end], right, name, turn.case or "", location)


def _whole_words(context: str, cut: bool, right: bool = False) -> str:
    """Context with white space collapsed and, where it was cut, the partial word dropped."""
    words = context.split()
    if cut and words and not context[-1 if right else 0].isspace():
        words = words[:-1] if right else words[1:]
    return " ".join(words)


def _codes_over(
    codings: Sequence[Coding], start: int, end: int, order: Mapping[str, int], n_coders: int
) -> str:
    """The codes of the codings overlapping [start, end); with several coders, by whom."""
    found: dict[str, set[str]] = {}
    for c in codings:
        if c.start < end and start < c.end:
            found.setdefault(c.code, set()).add(c.coder)
    ranked = sorted(found, key=lambda code: (order.get(code, len(order)), code))
    if n_coders <= 1:
        return "; ".join(ranked)
    return "; ".join(f"{code} ({', '.join(sorted(found[code]))})" for code in ranked)


def _search_meta(
    request: SearchRequest,
    phrase: Sequence[str],
    n_docs: int,
    corpus: CodedCorpus | None,
) -> dict[str, str]:
    meta = {
        "unit": f"a word or phrase in {request.speaker_role or 'any'} speech",
        "matching": (
            "words as written, case-insensitive"
            if request.exact
            else f"lemmas, case-insensitive: {' '.join(phrase)}"
        ),
        "denominator": f"{n_docs} documents searched",
        "filters": f"docs={','.join(request.docs) or 'all'}; "
        f"where={','.join(request.where) or '-'}",
        "context": f"up to {request.width} characters each side, within the turn",
        "order": "document name, then position in the text",
    }
    if corpus is not None:
        meta["codes"] = (
            f"codes whose codings by {', '.join(corpus.coders) or 'nobody'} "
            f"({', '.join(request.statuses)}) overlap the hit, in documents they marked done"
        )
    return meta
