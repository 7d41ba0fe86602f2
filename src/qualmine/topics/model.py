"""BERTopic over precomputed embeddings, one stage at a time.

The stages are BERTopic's: UMAP reduces the unit embeddings, HDBSCAN (or k-means) clusters
them (HDBSCAN's clusters are then merged into at most ``k`` topics, see
`qualmine.topics.settings`), and BERTopic's class-based TF-IDF turns each cluster into
topic words. Reduction and clustering run here so each stage can be timed and refitted
alone (stability refits need no topic words); BERTopic then receives the embeddings and
the cluster labels (``BaseDimensionalityReduction``, ``BaseCluster`` and ``y``, its
documented manual mode) and numbers the topics by size, largest first, with ``-1`` for
outliers. No embedding model is loaded here: the embeddings come from the project's cache.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qualmine.errors import QualmineError
from qualmine.topics.fillers import is_filler_term, make_vectorizer, mark_unit
from qualmine.topics.settings import OUTLIER, TopicSettings, scaled_settings

Labels = NDArray[np.int64]
Words = tuple[tuple[str, float], ...]
QUOTES = 3
QUOTE_MIN_WORDS = 6


def _hdbscan(settings: TopicSettings) -> Any:
    from hdbscan import HDBSCAN

    return HDBSCAN(
        min_cluster_size=settings.min_cluster_size,
        min_samples=settings.min_samples,
        metric="euclidean",
        cluster_selection_method=settings.cluster_selection,
        # Core distances in this process: HDBSCAN's default starts 4 joblib worker
        # processes for them, which costs a cold run about 5 s on 20,000 units and is
        # slower than one process even once they run (0.9 s against 0.7 s, measured here).
        core_dist_n_jobs=1,
    )


def _kmeans(settings: TopicSettings) -> Any:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=settings.k, random_state=settings.seed, n_init=10)


CLUSTERERS: dict[str, Callable[[TopicSettings], Any]] = {"hdbscan": _hdbscan, "kmeans": _kmeans}
"""Clustering estimators by ``--method`` name; each is built from the settings."""


def load_libraries() -> None:
    """Import UMAP, HDBSCAN and BERTopic (seconds of start-up, timed apart from the stages)."""
    import bertopic  # noqa: F401
    import hdbscan  # noqa: F401
    import umap  # noqa: F401


def reduce_embeddings(embeddings: NDArray[np.float32], settings: TopicSettings) -> NDArray[Any]:
    """UMAP to ``n_components`` dimensions, seeded (so on one thread)."""
    from umap import UMAP

    model = UMAP(
        n_neighbors=settings.n_neighbors,
        n_components=settings.n_components,
        min_dist=settings.min_dist,
        metric=settings.metric,
        n_epochs=settings.n_epochs,
        random_state=settings.seed,
    )
    with warnings.catch_warnings():
        # "n_jobs value 1 overridden to 1 by setting random_state": one thread is the point.
        warnings.filterwarnings("ignore", message=r"n_jobs value", category=UserWarning)
        return np.asarray(model.fit_transform(embeddings))


def cluster_units(
    reduced: NDArray[Any], embeddings: NDArray[np.float32], settings: TopicSettings
) -> Labels:
    """Cluster labels, ``-1`` for outliers (HDBSCAN only, whose clusters are merged)."""
    estimator = CLUSTERERS[settings.method](settings)
    estimator.fit(reduced)
    labels = np.asarray(estimator.labels_, dtype=np.int64)
    if settings.method == "hdbscan":
        return merge_clusters(labels, embeddings, settings.k, settings.seed)
    return labels


def cluster_centroids(
    labels: Labels, embeddings: NDArray[np.float32]
) -> tuple[Labels, NDArray[np.float64], NDArray[np.int64]]:
    """The clusters (outliers aside), their mean embeddings made unit length, their sizes."""
    members = labels != OUTLIER
    found, index, sizes = np.unique(labels[members], return_inverse=True, return_counts=True)
    sums = np.zeros((len(found), embeddings.shape[1]))
    np.add.at(sums, index, embeddings[members])
    return found, _unit_rows(sums / np.maximum(sizes, 1)[:, None]), sizes


def merge_clusters(labels: Labels, embeddings: NDArray[np.float32], k: int, seed: int) -> Labels:
    """Merge clusters into at most ``k`` by k-means on their centroids.

    Each cluster's centroid (`cluster_centroids`) is one point weighted by the cluster's
    size. Outliers stay outliers; with ``k`` clusters or fewer the labels are returned as
    they are.
    """
    from sklearn.cluster import KMeans

    found, centroids, sizes = cluster_centroids(labels, embeddings)
    if len(found) <= k:
        return labels
    kmeans = KMeans(n_clusters=k, random_state=seed, n_init=10)
    kmeans.fit(centroids, sample_weight=sizes)
    merged = labels.copy()
    members = labels != OUTLIER
    merged[members] = np.asarray(kmeans.labels_, dtype=np.int64)[
        np.searchsorted(found, labels[members])
    ]
    return merged


def assign_outliers(labels: Labels, embeddings: NDArray[np.float32]) -> Labels:
    """Move each outlier to the topic whose centroid is most cosine-similar.

    As BERTopic's ``reduce_outliers(strategy="embeddings")``; ties go to the lower label.
    """
    outliers = labels == OUTLIER
    found, centroids, _ = cluster_centroids(labels, embeddings)
    if not len(found) or not outliers.any():
        return labels
    sims = np.asarray(embeddings[outliers], np.float64) @ centroids.T
    moved = labels.copy()
    moved[outliers] = found[sims.argmax(axis=1)]
    return moved


def topic_labels(embeddings: NDArray[np.float32], settings: TopicSettings) -> Labels:
    """Reduction, clustering and (if set) outlier reduction: the labels alone."""
    labels = cluster_units(reduce_embeddings(embeddings, settings), embeddings, settings)
    return assign_outliers(labels, embeddings) if settings.reduce_outliers else labels


def represent_topics(
    texts: Sequence[str], embeddings: NDArray[np.float32], labels: Labels, top_words: int
) -> tuple[Labels, dict[int, Words]]:
    """BERTopic's c-TF-IDF topic words; returns BERTopic's topic numbers and words."""
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from bertopic.vectorizers import ClassTfidfTransformer

    model = BERTopic(
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=BaseCluster(),
        vectorizer_model=make_vectorizer(),
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        # Room for the terms clean_words drops.
        top_n_words=top_words * 3,
        # Not "english": BERTopic would then strip every character outside [A-Za-z0-9 ]
        # (apostrophes, accented letters: café -> caf) before our vectorizer reads the text.
        language=None,
    )
    marked = [mark_unit(text) for text in texts]
    topics, _ = model.fit_transform(marked, embeddings=embeddings, y=labels)
    numbers = np.asarray(topics, dtype=np.int64)
    words = {t: clean_words(model.get_topic(t) or [], top_words) for t in sorted(set(topics))}
    return numbers, words


def clean_words(ranked: Sequence[tuple[str, float]], keep: int) -> Words:
    """The first ``keep`` real terms of BERTopic's ranking.

    Dropped: BERTopic's empty padding and two-word terms that repeat a word ("ai ai").
    """
    out: list[tuple[str, float]] = []
    for word, weight in ranked:
        parts = word.split()
        if not parts or len(set(parts)) < len(parts):
            continue
        if is_filler_term(word):  # cannot happen with our vectorizer; kept as a guard
            continue
        out.append((word, round(float(weight), 6)))
    return tuple(out[:keep])


def representative_units(
    embeddings: NDArray[np.float32], labels: Labels, texts: Sequence[str], count: int = QUOTES
) -> dict[int, tuple[int, ...]]:
    """Per topic, the units nearest its centroid (cosine), distinct texts, ties by order.

    Units of at least ``QUOTE_MIN_WORDS`` words are preferred: a one-word answer
    ("Facebook.") often lies nearest the centroid and says little on its own.
    """
    out: dict[int, tuple[int, ...]] = {}
    found, centroids, _ = cluster_centroids(labels, embeddings)
    for topic, centroid in zip(found.tolist(), centroids, strict=True):
        members = np.flatnonzero(labels == topic)
        long = [i for i in members.tolist() if len(texts[i].split()) >= QUOTE_MIN_WORDS]
        candidates = np.asarray(long) if len(long) >= count else members
        sims = np.round(np.asarray(embeddings[candidates], np.float64) @ centroid, 6)
        out[topic] = _distinct(candidates[np.argsort(-sims, kind="stable")], texts, count)
    return out


def _distinct(ranked: NDArray[np.int64], texts: Sequence[str], count: int) -> tuple[int, ...]:
    chosen: list[int] = []
    seen: set[str] = set()
    for index in ranked.tolist():
        key = " ".join(texts[index].lower().split())
        if key not in seen:
            seen.add(key)
            chosen.append(int(index))
        if len(chosen) == count:
            break
    return tuple(chosen)


class TopicModel:
    """Topics of units from their embeddings (estimator contract: ``fit`` returns self).

    Args:
        method: ``hdbscan`` or ``kmeans`` (a name in ``CLUSTERERS``).
        seed: UMAP's and k-means' random state.
        k: the number of topics (None: `qualmine.topics.settings.default_k`).
        reduce_outliers: move HDBSCAN outliers to their nearest topic.

    Attributes:
        settings_: the settings used, scaled to the number of units.
        labels_: each unit's topic (BERTopic's numbers, ``-1`` outliers).
        topic_words_: topic -> its words with c-TF-IDF weights, best first.
        timings_: seconds per stage: reduction, clustering, representation.
    """

    def __init__(
        self,
        *,
        method: str = "hdbscan",
        seed: int = 42,
        k: int | None = None,
        reduce_outliers: bool = False,
    ) -> None:
        self.method = method
        self.seed = seed
        self.k = k
        self.reduce_outliers = reduce_outliers

    def fit(self, texts: Sequence[str], embeddings: NDArray[np.float32]) -> TopicModel:
        """Reduce, cluster and represent; ``texts[i]`` is the unit embedded as row ``i``."""
        settings = scaled_settings(
            len(texts),
            method=self.method,
            seed=self.seed,
            k=self.k,
            reduce_outliers=self.reduce_outliers,
        )
        timings: dict[str, float] = {}
        with timed(timings, "reduction"):
            reduced = reduce_embeddings(embeddings, settings)
        with timed(timings, "clustering"):
            labels = cluster_units(reduced, embeddings, settings)
            if settings.reduce_outliers:
                labels = assign_outliers(labels, embeddings)
        _require_topics(labels, settings)
        with timed(timings, "representation"):
            numbers, words = represent_topics(texts, embeddings, labels, settings.top_words)
        self.settings_ = settings
        self.labels_ = numbers
        self.topic_words_ = words
        self.timings_ = timings
        return self


def _require_topics(labels: Labels, settings: TopicSettings) -> None:
    if (labels != OUTLIER).any():
        return
    raise QualmineError(
        f"HDBSCAN found no topic among {settings.n_units} units (smallest cluster "
        f"{settings.min_cluster_size} units); try --method kmeans or model more units"
    )


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the seconds the ``with`` block takes to ``timings[stage]``."""
    start = time.perf_counter()
    yield
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def _unit_rows(matrix: NDArray[Any]) -> NDArray[np.float64]:
    wide = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(wide, axis=1, keepdims=True)
    return wide / np.where(norms > 0, norms, 1.0)
