"""Segment units a batch of documents at a time, and the texts the semantic coder and topics
will embed: their vectors computed on workers (or here) and stored in the embedding cache.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qualmine.embedding import DEFAULT_ENCODER, embedding_text, get_encoder, text_key
from qualmine.embedding.cache import read_vectors, store_vectors
from qualmine.models import Codebook
from qualmine.project.config import Project

DOCUMENTS_PER_TASK = 25
"""Documents per rule-coding task: large enough to keep scheduling cheap."""

TEXTS_PER_TASK = 512
"""Texts per embedding task: a multiple of the local batch size (64), so the batches are
the same as a local run's."""

_LOCAL_BATCH = 64


def fill_embedding_cache(project: Project, encoder: str = DEFAULT_ENCODER) -> tuple[int, int]:
    """Embed, in this process and in batches, what the semantic coder and topics will read.

    Memory stays flat with corpus size: documents are read a batch at a time, and only the
    distinct texts missing from the cache are kept. Returns (computed, already cached).
    """
    from qualmine.project.codebook_sync import sync_codebook

    codebook = sync_codebook(project).codebook if project.config.codebook else None
    return _embed(None, project, _texts_to_embed(project, codebook, True, True), encoder)


def _texts_to_embed(
    project: Project, codebook: Codebook | None, semantic: bool, topics: bool
) -> dict[str, str]:
    """Cache key -> text, for exactly the texts the semantic coder and topics will embed."""
    from qualmine.coding.semantic import applies_to, prototype_texts
    from qualmine.project.filters import resolve_documents
    from qualmine.topics import MIN_UNITS

    marks = project.config.transcription_marks
    codes = [c for c in codebook.codes if c.codable] if codebook and semantic else []
    texts = {
        text_key(t, marks): embedding_text(t, marks) for c in codes for t in prototype_texts(c)
    }
    topic_texts: dict[str, str] = {}
    topic_units = 0
    with project.session() as conn:
        doc_ids = sorted(resolve_documents(conn, (), ()))
        for first in range(0, len(doc_ids), DOCUMENTS_PER_TASK * 8):
            batch = doc_ids[first : first + DOCUMENTS_PER_TASK * 8]
            for unit in segment_units(conn, batch):
                if any(applies_to(c, unit) for c in codes):
                    texts.setdefault(text_key(unit.text, marks), embedding_text(unit.text, marks))
            if topics:
                found = _topic_units(conn, batch, marks)
                topic_units += len(found)
                for text in found:
                    topic_texts.setdefault(text_key(text, marks), embedding_text(text, marks))
    if topic_units >= MIN_UNITS:
        texts.update(topic_texts)
    return texts


def segment_units(
    conn: sqlite3.Connection, doc_ids: Sequence[int], speaker_role: str | None = None
) -> list[Any]:
    """The segment units of some documents, exactly as `read_units` gives them.

    `read_units` reads every segment of the project and keeps those asked for; reading a
    corpus a batch of documents at a time needs a query that reads only the batch.
    """
    from qualmine.coding.units import Unit

    if not doc_ids:
        return []
    marks = ",".join("?" * len(doc_ids))
    texts = dict(
        conn.execute(f"SELECT id, text FROM documents WHERE id IN ({marks})", list(doc_ids))
    )
    rows = conn.execute(
        'SELECT s.document_id, s.turn_idx, s.start, s."end", t.speaker_role, t.case_id '
        "FROM segments s JOIN turns t ON t.document_id = s.document_id AND t.idx = s.turn_idx "
        f"WHERE s.document_id IN ({marks}) ORDER BY s.document_id, s.start",
        list(doc_ids),
    )
    return [
        Unit(doc, start, end, texts[doc][start:end], role, case, turn, ((start, end),))
        for doc, turn, start, end, role, case in rows
        if not speaker_role or role == speaker_role
    ]


def _topic_units(conn: sqlite3.Connection, doc_ids: list[int], marks: Sequence[str]) -> list[str]:
    """The texts `select_units` gives the topic model, for some documents."""
    from qualmine.parsing import strip_marks

    units = segment_units(conn, doc_ids, speaker_role="participant")
    clean: dict[int, str] = {}
    for doc_id in sorted({u.document_id for u in units}):
        text = conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]
        clean[doc_id] = strip_marks(text, marks)
    cut = (clean[u.document_id][u.start : u.end] for u in units)
    return [t for t in cut if any(ch.isalnum() for ch in t)]


def _encode(encoder: str, texts: list[str]) -> NDArray[np.float32]:
    """On a worker (or here): unit-length vectors, in batches of the local run's size."""
    chosen = get_encoder(encoder)
    rows = [
        chosen.encode(texts[i : i + _LOCAL_BATCH], _LOCAL_BATCH)
        for i in range(0, len(texts), _LOCAL_BATCH)
    ]
    return unit_rows(np.concatenate(rows))


def unit_rows(matrix: NDArray[np.floating]) -> NDArray[np.float32]:
    """Rows scaled to length 1 in float64, as the embedding cache stores them."""
    wide = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(wide, axis=1, keepdims=True)
    return (wide / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _embed(client: Any, project: Project, by_key: dict[str, str], encoder: str) -> tuple[int, int]:
    """Vectors of the texts the cache lacks, computed on workers (or here), stored here."""
    chosen = get_encoder(encoder)
    unique = sorted(by_key)
    with project.session() as conn:
        found = set(read_vectors(conn, chosen.model, unique, chosen.dim))
        missing = sorted((k for k in unique if k not in found), key=lambda k: (len(by_key[k]), k))
        chunks = [missing[i : i + TEXTS_PER_TASK] for i in range(0, len(missing), TEXTS_PER_TASK)]
        if client is None:
            for chunk in chunks:
                vectors = _encode(encoder, [by_key[k] for k in chunk])
                store_vectors(conn, chosen.model, dict(zip(chunk, vectors, strict=True)))
        else:
            if chunks and hasattr(chosen, "prepare"):
                chosen.prepare()  # e.g. distil the static model once, not once per worker
            futures = [client.submit(_encode, encoder, [by_key[k] for k in c]) for c in chunks]
            for chunk, future in zip(chunks, futures, strict=True):
                vectors = client.gather(future)
                future.release()
                store_vectors(conn, chosen.model, dict(zip(chunk, vectors, strict=True)))
    return len(missing), len(unique) - len(missing)
