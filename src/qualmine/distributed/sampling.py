"""Topics on a sample of a large corpus.

Topic modelling stays in this process. Above ``SAMPLE_UNITS`` units (20,000 participant
sentences, about twice the 250-interview S corpus) the model is fitted on a seeded sample
of that many units and every other unit takes the topic of its most similar sampled unit
(cosine of the embeddings); below it `run_topics` runs unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qualmine.project.config import Project

Progress = Callable[[int, int, str], None]

SAMPLE_UNITS = 20_000
"""Above this many units, topics are fitted on a sample of this many (see module doc)."""

_NEIGHBOUR_CHUNK = 2048


def model_topics(
    project: Project, request: Any, *, actor: str = "unknown", progress: Progress | None = None
) -> Any:
    """`run_topics`, fitted on a sample above ``SAMPLE_UNITS`` units (see module doc)."""
    from qualmine.topics import run_topics

    return run_topics(project, request, actor=actor, progress=progress, fit=_fit_large)


def _fit_large(
    texts: Sequence[str],
    embeddings: NDArray[np.float32],
    request: Any,
    seed: int,
    progress: Progress | None,
) -> Any:
    """`fit_topics` up to ``SAMPLE_UNITS`` units, `fit_sampled_topics` above."""
    from qualmine.topics.modelling import fit_topics

    if len(texts) <= SAMPLE_UNITS:
        return fit_topics(texts, embeddings, request, seed, progress)
    return fit_sampled_topics(texts, embeddings, request, seed, progress=progress)


def fit_sampled_topics(
    texts: Sequence[str],
    embeddings: NDArray[np.float32],
    request: Any,
    seed: int,
    *,
    sample: int | None = None,
    progress: Progress | None = None,
) -> Any:
    """`fit_topics` on a seeded sample of ``sample`` units; the rest take their nearest
    sampled unit's topic. Topic words, coherence and stability are the sample's; each
    topic's quotes are chosen among all its units."""
    from qualmine.topics.model import representative_units, timed
    from qualmine.topics.modelling import fit_topics

    size = min(len(texts), SAMPLE_UNITS if sample is None else sample)
    chosen = np.sort(np.random.default_rng(seed).choice(len(texts), size, replace=False))
    fitted = fit_topics([texts[i] for i in chosen], embeddings[chosen], request, seed, progress)
    timings = dict(fitted.timings)
    with timed(timings, "assignment"):
        labels = nearest_labels(embeddings, embeddings[chosen], fitted.labels)
    quotes = representative_units(embeddings, labels, texts)
    return replace(fitted, labels=labels, quotes=quotes, timings=timings)


def nearest_labels(
    vectors: NDArray[np.float32], known: NDArray[np.float32], labels: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Each row of ``vectors`` takes the label of its most cosine-similar row of ``known``."""
    out = np.empty(len(vectors), dtype=np.int64)
    base = np.asarray(known, dtype=np.float32)
    for first in range(0, len(vectors), _NEIGHBOUR_CHUNK):
        sims = np.asarray(vectors[first : first + _NEIGHBOUR_CHUNK], np.float32) @ base.T
        out[first : first + len(sims)] = labels[sims.argmax(axis=1)]
    return out
