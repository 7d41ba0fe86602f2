"""How close a fast embedder comes to MiniLM on a project's own units: Cohen's kappa of the
semantic coder's code assignments, and the adjusted Rand index of topic assignments beside
MiniLM's own seed-to-seed ARI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qualmine.distributed.sampling import SAMPLE_UNITS
from qualmine.embedding import DEFAULT_ENCODER
from qualmine.project.config import Project


@dataclass(frozen=True, slots=True)
class EmbedderComparison:
    """How close a fast embedder comes to the reference one on the same units.

    Attributes:
        fast: the fast encoder's name.
        reference: the reference encoder's name.
        units: units compared.
        codes: codable codes the semantic coder scored.
        assigned_fast: (unit, code) assignments of the fast embedder's semantic coder.
        assigned_reference: the same for the reference embedder.
        kappa: Cohen's kappa of the two coders' assignments over every (unit, code) pair.
        matched_threshold: the fast coder's threshold that makes as many assignments as
            the reference's.
        kappa_matched: the kappa with that threshold.
        topic_units: units the topic assignments were compared on.
        ari: adjusted Rand index between the two embedders' topics (same settings, seed).
        reference_ari: the reference embedder's own ARI between two seeds.
    """

    fast: str
    reference: str
    units: int
    codes: int
    assigned_fast: int
    assigned_reference: int
    kappa: float
    matched_threshold: float
    kappa_matched: float
    topic_units: int
    ari: float
    reference_ari: float

    @property
    def ari_ratio(self) -> float:
        """``ari / reference_ari``: 1 when the embedders differ no more than two seeds do."""
        return self.ari / self.reference_ari if self.reference_ari > 0 else 0.0


def compare_embedders(
    project: Project,
    fast: str = "static",
    reference: str = DEFAULT_ENCODER,
    *,
    threshold: float = 0.45,
    seed: int | None = None,
    topic_units: int = SAMPLE_UNITS,
) -> EmbedderComparison:
    """Compare a fast embedder with the reference on the project's segments.

    Semantic coding: both embedders' semantic coders score every segment that a codable
    code applies to (by speaker role), and a unit gets a code scoring at least
    ``threshold`` (the semantic coder's default). A fast embedder's similarities have
    another scale, so the kappa is also given with the fast coder's threshold set to make
    as many assignments as the reference (``matched_threshold``). Topics: the participant
    units (at most ``topic_units``, a seeded sample) are reduced and clustered with each
    embedder's vectors, the same settings and seed, and once more with the reference and
    the next seed.

    Raises:
        QualmineError: no codebook, or too few units to model topics.
    """
    from qualmine.coding.semantic import SemanticCoder, applies_to
    from qualmine.coding.units import read_units
    from qualmine.embedding import embed_units
    from qualmine.project.codebook_sync import sync_codebook
    from qualmine.topics import TopicRequest
    from qualmine.topics.modelling import select_units

    codebook = sync_codebook(project).codebook
    marks = project.config.transcription_marks
    seed = project.config.seed if seed is None else seed
    scores: dict[str, dict[tuple[int, int, str], float]] = {}
    codes = [c for c in codebook.codes if c.codable]
    with project.session() as conn:
        units = [u for u in read_units(conn, "segment") if any(applies_to(c, u) for c in codes)]
        for name in (fast, reference):
            coder = SemanticCoder(codebook, conn=conn, encoder=name, marks=marks)
            scores[name] = _cell_scores(coder.fit().score(units))
        topic = select_units(conn, TopicRequest(), marks)
        chosen = [topic[i] for i in _sample(len(topic), topic_units, seed)]
        vectors = {n: embed_units(conn, chosen, encoder=n, marks=marks) for n in (fast, reference)}
    cells = len(units) * len(codes)
    ref = {k for k, v in scores[reference].items() if v >= threshold}
    own = {k for k, v in scores[fast].items() if v >= threshold}
    ranked = sorted(scores[fast].values(), reverse=True)
    matched = ranked[len(ref) - 1] if 0 < len(ref) <= len(ranked) else threshold
    same = {k for k, v in scores[fast].items() if v >= matched}
    ari, seeds = _topic_agreement(vectors[fast], vectors[reference], seed)
    return EmbedderComparison(
        fast=fast,
        reference=reference,
        units=len(units),
        codes=len(codes),
        assigned_fast=len(own),
        assigned_reference=len(ref),
        kappa=binary_kappa(own, ref, cells),
        matched_threshold=round(matched, 6),
        kappa_matched=binary_kappa(same, ref, cells),
        topic_units=len(chosen),
        ari=ari,
        reference_ari=seeds,
    )


def _cell_scores(scored: Sequence[Any]) -> dict[tuple[int, int, str], float]:
    return {
        (s.unit.document_id, s.unit.start, code): score
        for s in scored
        for code, score, _ in s.scores
    }


def binary_kappa(a: set[Any], b: set[Any], cells: int) -> float:
    """Cohen's kappa of two yes/no raters over ``cells`` items, given each one's yes-set."""
    if cells == 0:
        return 1.0
    both = len(a & b)
    agree = (cells - len(a | b) + both) / cells
    pa, pb = len(a) / cells, len(b) / cells
    chance = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if chance >= 1 else round((agree - chance) / (1 - chance), 6)


def _sample(count: int, limit: int, seed: int) -> list[int]:
    if count <= limit:
        return list(range(count))
    return sorted(np.random.default_rng(seed).choice(count, limit, replace=False).tolist())


def _topic_agreement(
    fast: NDArray[np.float32], reference: NDArray[np.float32], seed: int
) -> tuple[float, float]:
    from sklearn.metrics import adjusted_rand_score

    from qualmine.topics.model import topic_labels
    from qualmine.topics.settings import scaled_settings

    settings = scaled_settings(len(reference), seed=seed)
    base = topic_labels(reference, settings)
    other = topic_labels(fast, settings)
    reseeded = topic_labels(reference, replace(settings, seed=seed + 1))
    return (
        round(float(adjusted_rand_score(base, other)), 6),
        round(float(adjusted_rand_score(base, reseeded)), 6),
    )
