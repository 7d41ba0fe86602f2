"""The learned coder: a person's codings on done documents teach a classifier.

Features are the unit's embedding (the project's cache) beside tf-idf of its lemmatised
words; one logistic regression per code (one-vs-rest, balanced class weights). Before
anything is written the coder reports cross-validated precision, recall and F1 per code and
recall@5 over units, with documents kept whole inside folds; codes with too few examples
are skipped and named.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qualmine.analysis.overlap import UnitKey
from qualmine.coding.runs import UnitScores
from qualmine.coding.units import Unit
from qualmine.errors import QualmineError
from qualmine.models import Codebook

MIN_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class CodeReport:
    """Cross-validated scores of one code (``skipped`` says why when it was not learned)."""

    code: str
    positives: int
    precision: float
    recall: float
    f1: float
    skipped: str = ""


class LearnedCoder:
    """One-vs-rest logistic regression on embeddings and tf-idf (estimator contract)."""

    def __init__(
        self,
        codebook: Codebook,
        *,
        conn: sqlite3.Connection,
        threshold: float = 0.5,
        min_examples: int = MIN_EXAMPLES,
        seed: int = 0,
        marks: Sequence[str] = (),
    ) -> None:
        self.codebook = codebook
        self.conn = conn
        self.threshold = threshold
        self.min_examples = min_examples
        self.seed = seed
        self.marks = marks

    def _features(self, units: Sequence[Unit], fit: bool) -> Any:
        from scipy.sparse import csr_matrix, hstack

        from qualmine.embedding import embed_units

        dense = embed_units(self.conn, units, marks=self.marks)
        texts = [u.text.lower() for u in units]
        sparse = self.vectorizer_.fit_transform(texts) if fit else self.vectorizer_.transform(texts)
        return hstack([csr_matrix(dense.astype(np.float64)), sparse]).tocsr()

    def _new_model(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            max_iter=2000,
            class_weight="balanced",
            C=1.0,
            random_state=self.seed,
            solver="liblinear",
        )

    def fit(self, units: Sequence[Unit], labels: dict[UnitKey, set[str]]) -> LearnedCoder:
        """Learn one model per code with enough examples."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer_ = TfidfVectorizer(min_df=2, ngram_range=(1, 2), sublinear_tf=True)
        features = self._features(units, fit=True)
        self.models_: dict[str, Any] = {}
        self.skipped_: dict[str, str] = {}
        for code in (c.id for c in self.codebook.codes if c.codable):
            y = np.array([code in labels.get(_key(u), ()) for u in units], dtype=int)
            if y.sum() < self.min_examples:
                self.skipped_[code] = f"{int(y.sum())} example(s), fewer than {self.min_examples}"
                continue
            self.models_[code] = self._new_model().fit(features, y)
        if not self.models_:
            raise QualmineError(
                "no code has enough examples to learn from; code more "
                "documents by hand and mark them done"
            )
        return self

    def score(self, units: Sequence[Unit]) -> list[UnitScores]:
        """Each unit's learned codes by probability, best first (codebook order on ties)."""
        if not units:
            return []
        features = self._features(units, fit=False)
        probs = {c: m.predict_proba(features)[:, 1] for c, m in self.models_.items()}
        order = list(self.models_)
        out = []
        for i, unit in enumerate(units):
            ranked = sorted(order, key=lambda c: (-probs[c][i], order.index(c)))
            out.append(
                UnitScores(
                    unit, tuple((c, round(float(probs[c][i]), 6), "learned") for c in ranked)
                )
            )
        return out


def _key(unit: Unit) -> UnitKey:
    return (unit.document_id, unit.start, unit.end)


def cross_validate(
    coder_factory: Any, units: Sequence[Unit], labels: dict[UnitKey, set[str]], threshold: float
) -> tuple[list[CodeReport], float]:
    """Per-code CV precision, recall, F1 and recall@5, folds grouped by document."""
    from sklearn.model_selection import GroupKFold

    groups = np.array([u.document_id for u in units])
    n_folds = min(5, len(set(groups.tolist())))
    if n_folds < 2:
        raise QualmineError("cross-validation needs at least two done documents")
    predicted: dict[UnitKey, list[tuple[str, float]]] = {}
    skipped: dict[str, str] = {}
    for train, test in GroupKFold(n_splits=n_folds).split(np.zeros(len(units)), groups=groups):
        model = coder_factory().fit([units[i] for i in train], labels)
        skipped.update(model.skipped_)
        for scored in model.score([units[i] for i in test]):
            predicted[_key(scored.unit)] = [(c, s) for c, s, _ in scored.scores]
    return _reports(units, labels, predicted, threshold, skipped), _recall_at(
        units, labels, predicted, 5
    )


def _reports(
    units: Sequence[Unit],
    labels: dict[UnitKey, set[str]],
    predicted: dict[UnitKey, list[tuple[str, float]]],
    threshold: float,
    skipped: dict[str, str],
) -> list[CodeReport]:
    codes = sorted({c for scores in predicted.values() for c, _ in scores} | set(skipped))
    reports = []
    for code in codes:
        gold = [code in labels.get(_key(u), ()) for u in units]
        pred = [
            any(c == code and s >= threshold for c, s in predicted.get(_key(u), [])) for u in units
        ]
        tp = sum(g and p for g, p in zip(gold, pred, strict=True))
        n_pred, n_gold = sum(pred), sum(gold)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else float("nan")
        f1 = 2 * tp / (n_gold + n_pred) if n_gold + n_pred else float("nan")
        reports.append(CodeReport(code, n_gold, precision, recall, f1, skipped.get(code, "")))
    return reports


def _recall_at(
    units: Sequence[Unit],
    labels: dict[UnitKey, set[str]],
    predicted: dict[UnitKey, list[tuple[str, float]]],
    k: int,
) -> float:
    shares = []
    for unit in units:
        wanted = labels.get(_key(unit), set())
        if wanted:
            top = {c for c, _ in predicted.get(_key(unit), [])[:k]}
            shares.append(len(wanted & top) / len(wanted))
    return sum(shares) / len(shares) if shares else float("nan")


def report_table(reports: Sequence[CodeReport]) -> Any:
    """The cross-validation report as a table."""
    from qualmine.models import Table

    rows = tuple(
        (r.code, r.positives, r.precision, r.recall, r.f1, r.skipped or "") for r in reports
    )
    return Table(
        "Learned coder: cross-validated per code",
        ("code", "examples", "precision", "recall", "F1", "skipped because"),
        rows,
        {
            "validation": "grouped k-fold (k = min(5, documents)), documents kept whole",
            "threshold": "a code is predicted when its probability reaches the threshold",
        },
    )
