"""A read-only snapshot of what an analysis needs, with the filters that made it.

Every analysis table is a pure function of a ``CodedCorpus``; the corpus also says which
coders, statuses, filters and denominators it stands for, so tables can print them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from qualmine.coding.units import Unit, read_units
from qualmine.models import Codebook, Coding
from qualmine.project.codebook_sync import sync_codebook
from qualmine.project.config import Project
from qualmine.project.filters import resolve_documents
from qualmine.storage.codings import CodingFilter, read_codings
from qualmine.storage.documents import all_cases

DEFAULT_STATUSES = ("accepted",)


@dataclass(frozen=True, slots=True)
class CorpusFilter:
    """The shared filters: --coder, --status, --docs, --where, --speaker-role, --unit."""

    coders: tuple[str, ...] = ()
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    docs: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    speaker_role: str | None = "participant"
    unit: str = "segment"


@dataclass(frozen=True, slots=True)
class CodedCorpus:
    """Documents, cases, units and codings after the filters.

    Attributes:
        codebook: the project's codebook.
        documents: document id -> name, for the documents counted (done by a chosen coder).
        texts: document id -> text.
        cases: case id -> attributes, for the cases that speak in counted documents.
        doc_cases: document id -> the cases speaking in it (participant turns).
        units: the units of the chosen kind in counted documents (role-filtered).
        codings: codings of the chosen coders and statuses in counted documents.
        coders: the coders whose codings are counted.
        done: coder -> ids of the documents that coder marked done.
        filters: the filters applied.
        excluded_documents: names of documents left out because no chosen coder marked
            them done.
    """

    codebook: Codebook
    documents: dict[int, str]
    texts: dict[int, str]
    cases: dict[str, dict[str, Any]]
    doc_cases: dict[int, tuple[str, ...]]
    units: tuple[Unit, ...]
    codings: tuple[Coding, ...]
    coders: tuple[str, ...]
    done: dict[str, frozenset[int]]
    filters: CorpusFilter
    excluded_documents: tuple[str, ...] = ()
    unit_cases: dict[tuple[int, int, int], str | None] = field(default_factory=dict)

    def describe(self) -> dict[str, str]:
        """The statements every table prints: unit, denominator, coders, statuses, filters."""
        f = self.filters
        meta = {
            "unit": f"{f.unit} ({f.speaker_role or 'any'} speech)",
            "denominator": (
                f"{len(self.documents)} documents marked done by "
                f"{' or '.join(self.coders) or 'nobody'}; {len(self.cases)} cases"
            ),
            "coders": ", ".join(self.coders) or "none",
            "statuses": ", ".join(f.statuses),
            "filters": f"docs={','.join(f.docs) or 'all'}; where={','.join(f.where) or '-'}",
        }
        if self.excluded_documents:
            meta["left out"] = (
                f"{len(self.excluded_documents)} document(s) not marked done: "
                + ", ".join(self.excluded_documents[:10])
            )
        return meta


def _default_coders(project: Project, conn: Any) -> tuple[str, ...]:
    if project.config.report_coder:
        return (project.config.report_coder,)
    rows = conn.execute(
        "SELECT DISTINCT coder FROM codings WHERE coder NOT LIKE 'auto:%' ORDER BY coder"
    ).fetchall()
    return tuple(r[0] for r in rows)


def load_corpus(project: Project, filters: CorpusFilter | None = None) -> CodedCorpus:
    """Read the project into a corpus, applying the filters."""
    f = filters or CorpusFilter()
    codebook = sync_codebook(project).codebook
    with project.session() as conn:
        coders = f.coders or _default_coders(project, conn)
        doc_ids = resolve_documents(conn, f.docs, f.where)
        done: dict[str, frozenset[int]] = {}
        for coder in coders:
            rows = conn.execute("SELECT document_id FROM done WHERE coder = ?", (coder,))
            done[coder] = frozenset(r[0] for r in rows)
        counted = [d for d in doc_ids if any(d in done[c] for c in coders)]
        names = dict(conn.execute("SELECT id, name FROM documents").fetchall())
        texts = {
            d: conn.execute("SELECT text FROM documents WHERE id = ?", (d,)).fetchone()[0]
            for d in counted
        }
        unit_kind = "turn" if f.unit == "document" else f.unit
        units = (
            read_units(conn, unit_kind, document_ids=counted, speaker_role=f.speaker_role)
            if counted
            else []
        )
        codings = (
            read_codings(
                conn,
                CodingFilter(
                    coders=tuple(coders), statuses=f.statuses, document_ids=tuple(counted)
                ),
            )
            if counted
            else []
        )
        # A coder's codings count only in documents that coder marked done.
        codings = [c for c in codings if c.document_id in done.get(c.coder, frozenset())]
        doc_cases = _doc_cases(conn, counted)
        cases = {
            c: a for c, a in all_cases(conn).items() if any(c in v for v in doc_cases.values())
        }
    excluded = tuple(sorted(names[d] for d in doc_ids if d not in counted))
    return CodedCorpus(
        codebook,
        {d: names[d] for d in counted},
        texts,
        cases,
        doc_cases,
        tuple(units),
        tuple(codings),
        tuple(coders),
        done,
        f,
        excluded,
        {(u.document_id, u.start, u.end): u.case for u in units},
    )


def _doc_cases(conn: Any, doc_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    out: dict[int, tuple[str, ...]] = {}
    for doc_id in doc_ids:
        rows = conn.execute(
            "SELECT DISTINCT case_id FROM turns WHERE document_id = ? AND "
            "case_id IS NOT NULL ORDER BY case_id",
            (doc_id,),
        ).fetchall()
        out[doc_id] = tuple(r[0] for r in rows)
    return out
