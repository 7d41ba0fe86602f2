"""A stored topic run with what its tables need: names, texts, cases, codes, alignment."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from qualmine.analysis.overlap import codes_per_unit
from qualmine.project.codebook_sync import project_codes
from qualmine.project.config import Project
from qualmine.storage.codings import CodingFilter, done_documents, read_codings
from qualmine.storage.documents import all_cases
from qualmine.topics.alignment import CodebookAlignment, TopicAlignment, align_topics
from qualmine.topics.records import TopicRun, read_topic_run
from qualmine.topics.settings import OUTLIER

STATUSES = ("accepted",)


@dataclass(frozen=True, slots=True)
class TopicView:
    """Everything the topic tables, charts and drafts are made from.

    Attributes:
        run: the stored run.
        names: document id -> name.
        texts: document id -> text (for quotes).
        cases: case id -> attributes.
        coder: whose codings the alignment reads, or None.
        codes: the codes in the alignment, codebook order.
        alignment: the topics' codes, or None when there is no coder or nothing coded.
        coded_documents: how many of the run's documents the coder marked done.
        notes: statements about what could not be done and why.
    """

    run: TopicRun
    names: dict[int, str]
    texts: dict[int, str]
    cases: dict[str, dict[str, Any]]
    coder: str | None
    codes: tuple[str, ...]
    alignment: CodebookAlignment | None
    coded_documents: int
    notes: tuple[str, ...] = ()

    def aligned(self, topic: int) -> TopicAlignment | None:
        """The alignment of one topic, if there is one."""
        for item in self.alignment.topics if self.alignment else ():
            if item.topic == topic:
                return item
        return None

    def status(self, topic: int) -> str:
        """``code``, ``emergent``, ``not coded``, ``outliers``, or ``not aligned``."""
        if topic == OUTLIER:
            return "outliers"
        aligned = self.aligned(topic)
        return aligned.status if aligned else "not aligned"

    def quote_text(self, document_id: int, start: int, end: int) -> str:
        """A unit's text, prefixed with its document name."""
        text = " ".join(self.texts[document_id][start:end].split())
        return f"{self.names[document_id]}: {text}"


def load_topic_view(
    project: Project, run_id: int | None = None, coder: str | None = None
) -> TopicView:
    """Read a run (None: the newest) and align it with ``coder``'s codings.

    ``coder`` defaults to ``report_coder`` in qualmine.toml.
    """
    chosen = coder or project.config.report_coder or None
    with project.session() as conn:
        run = read_topic_run(conn, run_id)
        doc_ids = sorted({a.document_id for a in run.assignments})
        names, texts = _documents(conn, doc_ids)
        cases = all_cases(conn)
        codes, alignment, coded, notes = _align(conn, run, chosen)
    return TopicView(run, names, texts, cases, chosen, codes, alignment, coded, notes)


def _documents(
    conn: sqlite3.Connection, doc_ids: list[int]
) -> tuple[dict[int, str], dict[int, str]]:
    names: dict[int, str] = {}
    texts: dict[int, str] = {}
    for doc_id in doc_ids:
        row = conn.execute("SELECT name, text FROM documents WHERE id = ?", (doc_id,)).fetchone()
        names[doc_id], texts[doc_id] = row
    return names, texts


Aligned = tuple[tuple[str, ...], CodebookAlignment | None, int, tuple[str, ...]]


def _unaligned(coded_documents: int, reason: str) -> Aligned:
    return (), None, coded_documents, (f"no alignment with the codebook: {reason}",)


def _align(conn: sqlite3.Connection, run: TopicRun, coder: str | None) -> Aligned:
    if coder is None:
        return _unaligned(0, "no coder chosen (pass --coder or set report_coder in qualmine.toml)")
    done = done_documents(conn, coder) & {a.document_id for a in run.assignments}
    wanted = CodingFilter(coders=(coder,), statuses=STATUSES, document_ids=tuple(sorted(done)))
    codings = read_codings(conn, wanted) if done else []
    if not codings:
        return _unaligned(
            len(done),
            f"{coder} has no accepted codings in the run's documents ({len(done)} marked done)",
        )
    used = {c.code for c in codings}
    order = [c for c in project_codes(conn) if c in used]
    codes = tuple(order + sorted(used - set(order)))
    keys = [(a.document_id, a.start, a.end) for a in run.assignments if a.document_id in done]
    unit_codes = codes_per_unit(keys, codings)
    assignments = {(a.document_id, a.start, a.end): a.topic for a in run.assignments}
    return codes, align_topics(assignments, unit_codes, codes), len(done), ()
