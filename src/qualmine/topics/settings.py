"""Topic-model settings, scaled to the number of units.

The embedding model gives 384 numbers per unit; UMAP reduces them to ``N_COMPONENTS``
(BERTopic's default, 5) and the units are clustered there, by HDBSCAN or k-means. Three
settings depend on the number of units ``n``:

- UMAP ``n_neighbors = min(15, max(2, n // 4))``: BERTopic's and UMAP's 15 from 60 units
  up; fewer below, so a neighbourhood stays a small part of the corpus.
- HDBSCAN ``min_cluster_size = min(10, max(5, n // 20))``: BERTopic's default 10 from
  200 units up, fewer below.
- the number of topics ``k = min(30, max(2, round(sqrt(n) / 4)))`` when ``--k`` is not
  given: k-means' clusters, or the topics HDBSCAN's clusters are merged into.

HDBSCAN runs with BERTopic's defaults (``min_samples = min_cluster_size``, ``eom``
selection), so it leaves out the same units as BERTopic's defaults do on the same reduced
embeddings. On a few thousand units it finds hundreds of small, tight clusters; these are
then merged into ``k`` topics by k-means on the clusters' mean embeddings (unit length,
weighted by cluster size), which keeps the number of topics readable without moving any
unit in or out of the outliers (``--reduce-outliers`` assigns those). The clustering that
preceded it (``leaf`` selection with a 1% smallest topic) left out 47-53% of the units.
UMAP runs ``N_EPOCHS`` = 200 epochs, the count UMAP itself uses above 10,000 points.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from qualmine.errors import QualmineError

MIN_UNITS = 20
"""Fewer units than this are refused: UMAP and HDBSCAN cannot find structure in them."""

OUTLIER = -1
"""The topic of units HDBSCAN leaves out of every cluster (BERTopic's convention)."""

N_COMPONENTS = 5
MIN_DIST = 0.0
N_EPOCHS = 200
METRIC = "cosine"
TOP_WORDS = 10
METHODS = ("hdbscan", "kmeans")


def n_neighbors_for(n_units: int) -> int:
    """UMAP's neighbourhood size for ``n_units`` units."""
    return min(15, max(2, n_units // 4))


def min_cluster_size_for(n_units: int) -> int:
    """HDBSCAN's smallest cluster for ``n_units`` units."""
    return min(10, max(5, n_units // 20))


def default_k(n_units: int) -> int:
    """The number of topics when none is given (k-means' or HDBSCAN's after merging)."""
    return min(30, max(2, round(math.sqrt(n_units) / 4)))


@dataclass(frozen=True, slots=True)
class TopicSettings:
    """Everything that decides a topic model's result, stored with each run.

    Attributes:
        method: ``hdbscan`` or ``kmeans``.
        seed: UMAP's ``random_state`` (and k-means'); a seeded UMAP runs on one thread.
        n_units: how many units were modelled.
        n_neighbors: UMAP neighbourhood size.
        n_components: UMAP output dimensions.
        min_dist: UMAP minimum distance.
        n_epochs: UMAP optimisation epochs.
        metric: UMAP input metric.
        min_cluster_size: HDBSCAN smallest cluster (0 for k-means).
        min_samples: HDBSCAN core-point neighbourhood (0 for k-means).
        cluster_selection: HDBSCAN cluster selection method ("" for k-means).
        k: number of topics: k-means' clusters, or at most this many topics merged from
            HDBSCAN's clusters.
        reduce_outliers: whether outliers are moved to their nearest topic.
        top_words: topic words kept per topic.
    """

    method: str
    seed: int
    n_units: int
    n_neighbors: int
    n_components: int = N_COMPONENTS
    min_dist: float = MIN_DIST
    n_epochs: int = N_EPOCHS
    metric: str = METRIC
    min_cluster_size: int = 0
    min_samples: int = 0
    cluster_selection: str = ""
    k: int = 0
    reduce_outliers: bool = False
    top_words: int = TOP_WORDS

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain data (stored as a run's parameters)."""
        return asdict(self)


def scaled_settings(
    n_units: int,
    *,
    method: str = "hdbscan",
    seed: int = 42,
    k: int | None = None,
    reduce_outliers: bool = False,
) -> TopicSettings:
    """The settings for a corpus of ``n_units`` units.

    Raises:
        QualmineError: fewer than ``MIN_UNITS`` units, an unknown method, or a bad ``k``.
    """
    if n_units < MIN_UNITS:
        raise QualmineError(
            f"{n_units} unit(s) to model; topic modelling needs at least {MIN_UNITS} "
            "participant units: import more transcripts, widen --docs/--where, or use "
            "--unit segment"
        )
    if method not in METHODS:
        raise QualmineError(f"unknown topic method {method!r}; use one of {', '.join(METHODS)}")
    base = TopicSettings(
        method, seed, n_units, n_neighbors_for(n_units), reduce_outliers=reduce_outliers
    )
    chosen = default_k(n_units) if k is None else k
    if not 2 <= chosen < n_units:
        raise QualmineError(f"--k {chosen}: use a number from 2 to {n_units - 1}")
    if method == "kmeans":
        return replace(base, k=chosen)
    size = min_cluster_size_for(n_units)
    return replace(base, min_cluster_size=size, min_samples=size, cluster_selection="eom", k=chosen)
