"""`qualmine topics run`: participant units -> embeddings -> topics -> stored run -> files.

Units are the participants' segments or turns in the chosen documents. Their embeddings
come from the project's cache (`qualmine.embedding.embed_units`: a turn is the mean of its
segments), computing only what is missing; the model never sees the encoder. The same
cache and seed give the same topics and byte-identical files.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from qualmine.coding.units import Unit, read_units
from qualmine.embedding import (
    DEFAULT_ENCODER,
    EmbeddingStats,
    embed_units,
    embedding_stats,
    embedding_text,
    get_encoder,
)
from qualmine.errors import QualmineError
from qualmine.fingerprints import package_versions
from qualmine.parsing import strip_marks
from qualmine.project.config import Project
from qualmine.project.filters import resolve_documents
from qualmine.topics.coherence import Coherence, topic_coherence
from qualmine.topics.fillers import topic_stop_words
from qualmine.topics.model import (
    Labels,
    TopicModel,
    Words,
    load_libraries,
    representative_units,
    timed,
)
from qualmine.topics.outputs import DEFAULT_FOLDER, write_topic_files
from qualmine.topics.records import (
    PACKAGES,
    Assignment,
    TopicRun,
    TopicRunInfo,
    store_topic_run,
)
from qualmine.topics.settings import OUTLIER, TopicSettings, scaled_settings
from qualmine.topics.stability import Stability, measure_stability
from qualmine.topics.view import TopicView, load_topic_view

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class TopicRequest:
    """What `qualmine topics run` was asked to do.

    Attributes:
        unit: ``segment`` or ``turn``.
        seed: the seed (None: the project's seed from qualmine.toml).
        method: ``hdbscan`` or ``kmeans``.
        k: the number of topics (None: scaled to the corpus).
        reduce_outliers: move every outlier to its nearest topic.
        stability: runs to compare for stability (0: do not measure; else at least 2).
        docs: --docs filters.
        where: --where filters.
        coder: whose codings the alignment reads (None: report_coder).
        by: attributes for prevalence by group (empty: those that form groups).
        output: the folder for files (None: report/topics in the project).
        encoder: the embedding encoder's name.
    """

    unit: str = "segment"
    seed: int | None = None
    method: str = "hdbscan"
    k: int | None = None
    reduce_outliers: bool = False
    stability: int = 0
    docs: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    coder: str | None = None
    by: tuple[str, ...] = ()
    output: Path | None = None
    encoder: str = DEFAULT_ENCODER


@dataclass(frozen=True, slots=True)
class FittedTopics:
    """A fitted model's results for units in a given order.

    Attributes:
        settings: the settings used.
        labels: each unit's topic.
        words: topic -> words with weights.
        quotes: topic -> indices of its representative units, best first.
        coherence: NPMI and C_V per topic.
        stability: agreement across seeds, or None when not measured.
        timings: seconds per stage.
    """

    settings: TopicSettings
    labels: Labels
    words: dict[int, Words]
    quotes: dict[int, tuple[int, ...]]
    coherence: Coherence
    stability: Stability | None
    timings: dict[str, float]


@dataclass(frozen=True, slots=True)
class TopicRunResult:
    """A finished `topics run`: the stored run, the files written, the time per stage."""

    view: TopicView
    folder: Path
    files: tuple[Path, ...]
    timings: dict[str, float]
    embedded: EmbeddingStats


def fit_topics(
    texts: Sequence[str],
    embeddings: NDArray[np.float32],
    request: TopicRequest,
    seed: int,
    progress: Progress | None = None,
) -> FittedTopics:
    """Fit the model, then coherence, quotes and (if asked) stability."""
    timings: dict[str, float] = {}
    with timed(timings, "libraries"):
        load_libraries()
    _step(progress, "reduction, clustering, topic words")
    model = TopicModel(
        method=request.method, seed=seed, k=request.k, reduce_outliers=request.reduce_outliers
    ).fit(texts, embeddings)
    timings.update(model.timings_)
    _step(progress, "coherence")
    with timed(timings, "coherence"):
        topic_words = {t: [w for w, _ in words] for t, words in model.topic_words_.items()}
        coherence = topic_coherence(texts, topic_words)
    quotes = representative_units(embeddings, model.labels_, texts)
    stability = None
    if request.stability:
        _step(progress, "stability")
        with timed(timings, "stability"):
            stability = measure_stability(
                embeddings, model.settings_, request.stability, model.labels_, progress
            )
    return FittedTopics(
        model.settings_, model.labels_, model.topic_words_, quotes, coherence, stability, timings
    )


def _step(progress: Progress | None, stage: str) -> None:
    if progress is not None:
        progress(0, 0, stage)


def select_units(
    conn: sqlite3.Connection, request: TopicRequest, marks: Sequence[str] = ()
) -> list[Unit]:
    """The participant units of the chosen kind in the chosen documents, marks blanked.

    Marks are blanked in the whole document before units are cut from it, so a mark that a
    unit boundary splits (``[`` ending one sentence, ``laughs]`` starting the next) is still
    recognised; offsets are unchanged. Units with no letter or digit left (a bare
    ``[laughs]``) are not speech and are left out.
    """
    doc_ids = resolve_documents(conn, request.docs, request.where)
    if not doc_ids:
        return []
    units = read_units(conn, request.unit, document_ids=doc_ids, speaker_role="participant")
    clean: dict[int, str] = {}
    for doc_id in sorted({u.document_id for u in units}):
        text = conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]
        clean[doc_id] = strip_marks(text, marks)
    cut = [replace(u, text=clean[u.document_id][u.start : u.end]) for u in units]
    return [u for u in cut if any(ch.isalnum() for ch in u.text)]


FitTopics = Callable[
    [Sequence[str], NDArray[np.float32], TopicRequest, int, "Progress | None"], FittedTopics
]
"""How a run fits its units: `fit_topics`, or one fitting a sample of a large corpus."""


def run_topics(
    project: Project,
    request: TopicRequest,
    *,
    actor: str = "unknown",
    progress: Progress | None = None,
    fit: FitTopics | None = None,
) -> TopicRunResult:
    """Model the topics of a project's participant units, store the run, write its files.

    ``fit`` fits the model on the units' texts and embeddings (default `fit_topics`).

    Raises:
        QualmineError: too few units, a bad option, or a filter that matches nothing.
    """
    seed = project.config.seed if request.seed is None else request.seed
    marks = project.config.transcription_marks
    with project.session() as conn:
        units = select_units(conn, request, marks)
        # Refuse bad settings (too few units, a bad --k) before any embedding work.
        scaled_settings(len(units), method=request.method, k=request.k)
        if request.stability == 1 or request.stability < 0:
            raise QualmineError(f"--stability {request.stability}: compare at least 2 runs")
        timings: dict[str, float] = {}
        before = embedding_stats()
        with timed(timings, "embedding"):
            embeddings = embed_units(
                conn, units, encoder=request.encoder, progress=progress, marks=marks
            )
        texts = [embedding_text(u.text, marks) for u in units]
        fitted = (fit or fit_topics)(texts, embeddings, request, seed, progress)
        timings.update(fitted.timings)
        run = _run_record(units, fitted, request, timings)
        run_id = store_topic_run(conn, run, actor=actor)
    view = load_topic_view(project, run_id, request.coder)
    folder = request.output or project.root / DEFAULT_FOLDER
    _step(progress, "files")
    with timed(timings, "files"):
        files = write_topic_files(view, folder, request.by)
    return TopicRunResult(view, folder, tuple(files), timings, embedding_stats() - before)


def _run_record(
    units: Sequence[Unit], fitted: FittedTopics, request: TopicRequest, timings: dict[str, float]
) -> TopicRun:
    rank = {index: r for quotes in fitted.quotes.values() for r, index in enumerate(quotes, 1)}
    assignments = tuple(
        Assignment(u.document_id, u.start, u.end, u.case, int(fitted.labels[i]), rank.get(i))
        for i, u in enumerate(units)
    )
    settings = fitted.settings
    params = {
        **settings.as_dict(),
        "unit": request.unit,
        "docs": list(request.docs),
        "where": list(request.where),
        "ngram_range": [1, 2],
        "stop_words": f"scikit-learn English + qualmine fillers ({len(topic_stop_words())})",
    }
    info = TopicRunInfo(
        0,
        "",
        request.unit,
        settings.method,
        settings.seed,
        get_encoder(request.encoder).model,
        params,
        package_versions(PACKAGES),
        _results(units, fitted, timings),
    )
    return TopicRun(info, fitted.words, assignments)


def _results(
    units: Sequence[Unit], fitted: FittedTopics, timings: dict[str, float]
) -> dict[str, object]:
    c = fitted.coherence
    s = fitted.stability
    return {
        "n_units": len(units),
        "n_topics": len(set(fitted.labels.tolist()) - {OUTLIER}),
        "outliers": int((fitted.labels == OUTLIER).sum()),
        "documents": len({u.document_id for u in units}),
        "coherence": {
            "npmi": c.npmi,
            "c_v": c.c_v,
            "overall_npmi": c.overall_npmi,
            "overall_c_v": c.overall_c_v,
        },
        "stability": None
        if s is None
        else {
            "seeds": list(s.seeds),
            "pairs": [list(p) for p in s.pairs],
            "mean_ari": s.mean_ari,
            "min_ari": s.min_ari,
        },
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }
