"""Scoring an auto-coder against a person: per-code and micro/macro precision, recall, F1,
Cohen's kappa, and recall@k from the run's rankings, each beside its chance level.

Chance levels: precision by chance is the code's prevalence among units; recall by chance is
the share of units the predictor codes; F1 by chance is their harmonic mean; kappa by chance
is 0; recall@k by chance is k divided by the number of codes ranked (capped at 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qualmine.analysis.agreement import cohen_kappa
from qualmine.analysis.overlap import UnitKey


@dataclass(frozen=True, slots=True)
class CodeScore:
    """One code's scores over the evaluated units."""

    code: str
    gold_units: int
    pred_units: int
    true_positive: int
    precision: float
    recall: float
    f1: float
    kappa: float
    chance_precision: float
    chance_recall: float
    chance_f1: float


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The whole evaluation."""

    units: int
    per_code: tuple[CodeScore, ...]
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    macro_kappa: float
    recall_at: dict[int, float]
    chance_recall_at: dict[int, float]
    ranked_units: int
    chance_micro_precision: float = math.nan
    chance_micro_recall: float = math.nan
    chance_micro_f1: float = math.nan


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def _f1(p: float, r: float) -> float:
    if math.isnan(p) or math.isnan(r) or p + r == 0:
        return math.nan if (math.isnan(p) or math.isnan(r)) else 0.0
    return 2 * p * r / (p + r)


def score_code(
    code: str,
    units: Sequence[UnitKey],
    gold: Mapping[UnitKey, set[str]],
    pred: Mapping[UnitKey, set[str]],
) -> CodeScore:
    """Precision, recall, F1 and kappa of one code's presence per unit."""
    g = [int(code in gold.get(u, ())) for u in units]
    p = [int(code in pred.get(u, ())) for u in units]
    tp = sum(a and b for a, b in zip(g, p, strict=True))
    n_gold, n_pred, n = sum(g), sum(p), len(units)
    # As scikit-learn with zero_division=0: a code predicted nowhere has precision 0.
    precision = _ratio(tp, n_pred) if n_pred else (0.0 if n_gold else math.nan)
    recall = _ratio(tp, n_gold)
    f1 = _ratio(2 * tp, n_gold + n_pred)
    chance_p, chance_r = _ratio(n_gold, n), _ratio(n_pred, n)
    return CodeScore(
        code,
        n_gold,
        n_pred,
        tp,
        precision,
        recall,
        f1,
        cohen_kappa(g, p) if n else math.nan,
        chance_p,
        chance_r,
        _f1(chance_p, chance_r),
    )


def recall_at_k(
    units: Sequence[UnitKey],
    gold: Mapping[UnitKey, set[str]],
    rankings: Mapping[UnitKey, Sequence[str]],
    k: int,
) -> tuple[float, int]:
    """Mean share of a unit's gold codes found in its top-k ranked codes, over gold units."""
    shares = []
    for unit in units:
        wanted = gold.get(unit, set())
        if not wanted:
            continue
        top = set(rankings.get(unit, ())[:k])
        shares.append(len(wanted & top) / len(wanted))
    return (sum(shares) / len(shares) if shares else math.nan), len(shares)


def evaluate_codings(
    units: Sequence[UnitKey],
    codes: Sequence[str],
    gold: Mapping[UnitKey, set[str]],
    pred: Mapping[UnitKey, set[str]],
    rankings: Mapping[UnitKey, Sequence[str]] | None = None,
    ks: Sequence[int] = (5, 10),
) -> Evaluation:
    """Every score, per code (codes with gold or predicted units) and overall."""
    used = [c for c in codes if any(c in gold.get(u, ()) or c in pred.get(u, ()) for u in units)]
    per_code = tuple(score_code(c, units, gold, pred) for c in used)
    tp = sum(s.true_positive for s in per_code)
    n_pred = sum(s.pred_units for s in per_code)
    n_gold = sum(s.gold_units for s in per_code)
    micro_p, micro_r = _ratio(tp, n_pred), _ratio(tp, n_gold)

    def mean(values: list[float]) -> float:
        kept = [v for v in values if not math.isnan(v)]
        return sum(kept) / len(kept) if kept else math.nan

    recall_at: dict[int, float] = {}
    chance_at: dict[int, float] = {}
    ranked = 0
    if rankings is not None:
        for k in ks:
            recall_at[k], ranked = recall_at_k(units, gold, rankings, k)
            chance_at[k] = min(1.0, k / len(codes)) if codes else math.nan
    cells = len(units) * len(per_code)
    chance_p, chance_r = _ratio(n_gold, cells), _ratio(n_pred, cells)
    return Evaluation(
        len(units),
        per_code,
        micro_p,
        micro_r,
        _ratio(2 * tp, n_gold + n_pred),
        mean([s.precision for s in per_code]),
        mean([s.recall for s in per_code]),
        mean([s.f1 for s in per_code]),
        mean([s.kappa for s in per_code]),
        recall_at,
        chance_at,
        ranked,
        chance_p,
        chance_r,
        _f1(chance_p, chance_r),
    )
