"""The disagreements table of `qualmine agree`: every unit where the coders who rated it
disagree, who coded it and who did not, and its text."""

from __future__ import annotations

from collections.abc import Mapping

from qualmine.analysis.presence import Presence, RatedSpan, code_lineage
from qualmine.models import Table

TEXT_WIDTH = 100


def disagreement_table(presence: Presence, meta: dict[str, str]) -> Table:
    """Every unit (or run of characters) where the coders who rated it disagree."""
    corpus = presence.corpus
    order = {code: i for i, code in enumerate(presence.codes)}
    codes, spans = presence.cells.disagreeing()
    found = [(presence.codes[i], row) for i, row in zip(codes.tolist(), spans, strict=True)]
    found.sort(key=lambda f: (corpus.documents[f[1].document_id], f[1].start, order[f[0]]))
    passages = _first_passages(presence) if presence.unit == "document" else {}
    rows = tuple(
        (
            corpus.documents[row.document_id],
            _location(row),
            code,
            ", ".join(c for c, v in zip(presence.coders, row.values, strict=True) if v == 1),
            ", ".join(c for c, v in zip(presence.coders, row.values, strict=True) if v == 0),
            _excerpt(presence, code, row, passages),
        )
        for code, row in found
    )
    columns = ("document", "location", "code", "coded by", "not coded by", "text")
    return Table("Disagreements", columns, rows, meta)


def _location(row: RatedSpan) -> str:
    if row.turn < 0:
        return "whole document"
    return f"turn {row.turn}, characters {row.start}-{row.end}"


def _first_passages(presence: Presence) -> dict[tuple[int, str, str], int]:
    """Per (document, coder, code), the first of the corpus's codings that puts it there."""
    lineage = code_lineage(presence.corpus.codebook) if presence.rollup else {}
    first: dict[tuple[int, str, str], int] = {}
    for i, c in enumerate(presence.corpus.codings):
        for code in lineage.get(c.code, (c.code,)):
            first.setdefault((c.document_id, c.coder, code), i)
    return first


def _excerpt(
    presence: Presence, code: str, row: RatedSpan, passages: Mapping[tuple[int, str, str], int]
) -> str:
    """The unit's text; for a whole document, the first passage a coder coded."""
    corpus = presence.corpus
    if row.turn >= 0:
        return truncate(corpus.texts[row.document_id][row.start : row.end])
    coding_coders = [c for c, v in zip(presence.coders, row.values, strict=True) if v == 1]
    found = [passages.get((row.document_id, c, code)) for c in coding_coders]
    firsts = [i for i in found if i is not None]
    return truncate(corpus.codings[min(firsts)].quote) if firsts else ""


def truncate(text: str, width: int = TEXT_WIDTH) -> str:
    """White space collapsed, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"
