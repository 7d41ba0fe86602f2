"""How much the topics depend on the seed: the same model refitted with other seeds.

Stability with ``N`` runs fits the model with seeds ``seed, seed + 1, ..., seed + N - 1``
(the first is the run itself) and reports the adjusted Rand index (Hubert and Arabie
1985, scikit-learn's ``adjusted_rand_score``) between the unit labels of every pair of
runs: 1 when two runs group the units identically, about 0 when they agree no more than
chance. Outliers (-1) count as one more group; with ``--reduce-outliers`` every run's
outliers are assigned first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

from qualmine.errors import QualmineError
from qualmine.topics.model import Labels, topic_labels
from qualmine.topics.settings import TopicSettings

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class Stability:
    """Agreement between refits with different seeds.

    Attributes:
        seeds: the seed of each run, the run's own first.
        pairs: (seed a, seed b, adjusted Rand index) for every pair of runs.
    """

    seeds: tuple[int, ...]
    pairs: tuple[tuple[int, int, float], ...]

    @property
    def mean_ari(self) -> float:
        """The mean adjusted Rand index over pairs of runs."""
        return round(float(np.mean([ari for _, _, ari in self.pairs])), 6)

    @property
    def min_ari(self) -> float:
        """The lowest adjusted Rand index of any pair."""
        return min(ari for _, _, ari in self.pairs)


def mean_adjusted_rand(labelings: Sequence[Labels], seeds: Sequence[int]) -> Stability:
    """The adjusted Rand index between every pair of labelings of the same units."""
    from sklearn.metrics import adjusted_rand_score

    pairs = tuple(
        (seeds[a], seeds[b], round(float(adjusted_rand_score(labelings[a], labelings[b])), 6))
        for a, b in combinations(range(len(labelings)), 2)
    )
    return Stability(tuple(seeds), pairs)


def measure_stability(
    embeddings: NDArray[np.float32],
    settings: TopicSettings,
    runs: int,
    first: Labels,
    progress: Progress | None = None,
) -> Stability:
    """Refit with ``runs - 1`` more seeds and compare all ``runs`` labelings.

    Args:
        embeddings: the units' embeddings.
        settings: the run's settings; only the seed changes.
        runs: how many runs to compare, the run itself included (at least 2).
        first: the run's own labels.
        progress: called as ``progress(done, runs, "stability")`` after each refit.

    Raises:
        QualmineError: ``runs`` is below 2.
    """
    if runs < 2:
        raise QualmineError(f"--stability {runs}: compare at least 2 runs")
    seeds = [settings.seed + i for i in range(runs)]
    labelings = [first]
    for done, seed in enumerate(seeds[1:], start=2):
        labelings.append(topic_labels(embeddings, replace(settings, seed=seed)))
        if progress is not None:
            progress(done, runs, "stability")
    return mean_adjusted_rand(labelings, seeds)
