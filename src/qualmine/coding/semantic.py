"""The semantic coder: units scored by embedding similarity to each code's own words.

A code is represented by its prototype texts: the definition, the full definition, each
include criterion, each example quote, and the name with the definition. A unit's score for
a code is the highest cosine similarity to any of those texts. The maximum (rather than the
mean, or a centroid) lets one close example carry a unit: a code's prototypes cover
different ways of saying the same thing, and a unit usually resembles one of them, not all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qualmine.coding.runs import UnitScores
from qualmine.coding.units import Unit
from qualmine.embedding import DEFAULT_ENCODER, Progress, embed_texts, embed_units
from qualmine.models import Code, Codebook, Coding

CODER = "auto:semantic"
EVIDENCE_CHARS = 80


@dataclass(frozen=True, slots=True, eq=False)
class Prototypes:
    """A code's prototype texts and their embeddings.

    Attributes:
        code: the code id.
        texts: the prototype texts, without repeats, in the order listed in the module doc.
        vectors: one unit-length row per text.
    """

    code: str
    texts: tuple[str, ...]
    vectors: NDArray[np.float32]


def prototype_texts(code: Code) -> tuple[str, ...]:
    """The texts that stand for a code; the code's name when it has nothing else."""
    named = f"{code.name}: {code.definition}" if code.definition.strip() else code.name
    candidates = [
        code.definition,
        code.full_definition,
        *code.include,
        *(example.quote for example in code.examples),
        named,
    ]
    texts: dict[str, None] = {}
    for text in candidates:
        cleaned = " ".join(text.split())
        if cleaned:
            texts.setdefault(cleaned, None)
    return tuple(texts)


def applies_to(code: Code, unit: Unit) -> bool:
    """Whether a code may be applied to a unit, by the code's ``speaker_role``."""
    return code.speaker_role == "any" or code.speaker_role == unit.speaker_role


class SemanticCoder:
    """Suggest codes for units whose embedding lies close to a code's prototype texts.

    Args:
        codebook: the codebook; only codable codes are scored.
        conn: the project file, whose embedding cache is read and filled.
        encoder: a name in ``qualmine.embedding.ENCODERS``.
        threshold: the lowest score that becomes a suggestion.
        thresholds: per-code thresholds, overriding ``threshold`` for those codes.
        progress: called as ``progress(done, total, label)`` while texts are embedded.
        marks: extra transcription marks (the project's ``transcription_marks``), left
            out of every embedded text.

    Attributes:
        prototypes_: code id -> its `Prototypes`, set by `fit`.
    """

    def __init__(
        self,
        codebook: Codebook,
        *,
        conn: sqlite3.Connection,
        encoder: str = DEFAULT_ENCODER,
        threshold: float = 0.45,
        thresholds: Mapping[str, float] | None = None,
        progress: Progress | None = None,
        marks: Sequence[str] = (),
    ) -> None:
        self.codebook = codebook
        self.conn = conn
        self.encoder = encoder
        self.threshold = threshold
        self.thresholds = thresholds
        self.progress = progress
        self.marks = marks

    def fit(self, units: Sequence[Unit] | None = None) -> SemanticCoder:
        """Embed every codable code's prototype texts; ``units`` are not used."""
        codes = [c for c in self.codebook.codes if c.codable]
        texts = {c.id: prototype_texts(c) for c in codes}
        flat = [text for code in codes for text in texts[code.id]]
        vectors = embed_texts(
            self.conn, flat, encoder=self.encoder, progress=self.progress, marks=self.marks
        )
        prototypes: dict[str, Prototypes] = {}
        first = 0
        for code in codes:
            count = len(texts[code.id])
            prototypes[code.id] = Prototypes(
                code.id, texts[code.id], vectors[first : first + count]
            )
            first += count
        self.prototypes_ = prototypes
        return self

    def score(self, units: Sequence[Unit]) -> list[UnitScores]:
        """Every unit's applicable codes with scores, best first (ties in codebook order).

        Units no code applies to (by speaker role) get no scores and are not embedded.
        """
        prototypes = self._fitted()
        codes = [c for c in self.codebook.codes if c.id in prototypes]
        # Which codes apply depends on the unit's speaker role alone.
        fits: dict[str, list[Code]] = {}
        for u in units:
            if u.speaker_role not in fits:
                fits[u.speaker_role] = [c for c in codes if applies_to(c, u)]
        wanted = [i for i, u in enumerate(units) if fits[u.speaker_role]]
        vectors = embed_units(
            self.conn,
            [units[i] for i in wanted],
            encoder=self.encoder,
            progress=self.progress,
            marks=self.marks,
        )
        rows64 = np.asarray(vectors, dtype=np.float64)
        closest = {c.id: _closest(rows64, prototypes[c.id]) for c in codes}
        rows = {unit_index: row for row, unit_index in enumerate(wanted)}
        return [
            UnitScores(u, _ranked(fits[u.speaker_role], closest, rows.get(i)))
            for i, u in enumerate(units)
        ]

    def predict(self, units: Sequence[Unit]) -> list[Coding]:
        """Suggested codings (coder ``auto:semantic``) for scores at or above threshold."""
        limits = dict(self.thresholds or {})
        return [
            Coding(
                0,
                s.unit.document_id,
                s.unit.start,
                s.unit.end,
                s.unit.text,
                code,
                CODER,
                "suggested",
                score=score,
                evidence=evidence,
                codebook_version=self.codebook.version,
            )
            for s in self.score(units)
            for code, score, evidence in s.scores
            if score >= limits.get(code, self.threshold)
        ]

    def _fitted(self) -> dict[str, Prototypes]:
        prototypes: dict[str, Prototypes] | None = getattr(self, "prototypes_", None)
        if prototypes is None:
            raise RuntimeError("SemanticCoder is not fitted yet: call fit() before score()")
        return prototypes


def _closest(vectors: NDArray[np.float64], prototypes: Prototypes) -> list[tuple[float, str]]:
    """Per unit row: the best cosine similarity to the code's prototypes, and the evidence.

    Computed in float64 (``vectors`` already are) and rounded to 6 decimals, so a unit's
    score does not depend on which other units were scored with it.
    """
    if len(vectors) == 0:
        return []
    sims = vectors @ np.asarray(prototypes.vectors, np.float64).T
    best = sims.argmax(axis=1)
    scores = [round(value, 6) for value in sims[np.arange(len(sims)), best].tolist()]
    shown = [_shown(text) for text in prototypes.texts]
    return [
        (score, f"closest: {shown[col]} ({score:.2f})")
        for score, col in zip(scores, best.tolist(), strict=True)
    ]


def _ranked(
    codes: Sequence[Code], closest: Mapping[str, list[tuple[float, str]]], row: int | None
) -> tuple[tuple[str, float, str], ...]:
    """The unit's scores for ``codes`` (those applying to it), best first."""
    if row is None:
        return ()
    scores = [(c.id, *closest[c.id][row]) for c in codes]
    # A stable sort: equal scores stay in codebook order.
    return tuple(sorted(scores, key=lambda item: -item[1]))


def _shown(text: str) -> str:
    """A prototype's text as evidence shows it, cut to ``EVIDENCE_CHARS``."""
    return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1].rstrip() + "…"
