"""Per-code thresholds chosen on a person's codings: the score that gives the best F1.

Pure functions over scored units and gold labels. The units evaluated are the scored units
whose key is in ``gold`` (a unit in ``gold`` with an empty set is a gold negative); scored
units missing from ``gold`` are ignored. A code a unit has no score for counts as never
suggested there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

from qualmine.analysis.overlap import UnitKey
from qualmine.coding.runs import UnitScores

DEFAULT_THRESHOLD = 0.45


def calibrate_thresholds(
    scored: Sequence[UnitScores],
    gold: Mapping[UnitKey, set[str]],
    codes: Iterable[str],
    *,
    default: float = DEFAULT_THRESHOLD,
) -> dict[str, float]:
    """For each code, the threshold with the highest F1 against the gold labels.

    The candidates are the code's distinct scores on the evaluated units; on a tie in F1
    the higher threshold wins. A code without gold positives, or whose best F1 is 0,
    keeps ``default``.

    Args:
        scored: units with their scored codes.
        gold: unit key ``(document_id, start, end)`` -> the codes the gold coder applied.
        codes: the codes to calibrate.
        default: the threshold of codes that cannot be calibrated.

    Returns:
        code -> threshold, for every code in ``codes``.
    """
    units = _evaluated(scored, gold)
    out: dict[str, float] = {}
    for code in codes:
        pairs = [(scores.get(code), code in labels) for scores, labels in units]
        best = _best_threshold(pairs)
        out[code] = default if best is None else best
    return out


def f1_at(
    scored: Sequence[UnitScores], gold: Mapping[UnitKey, set[str]], code: str, threshold: float
) -> float:
    """F1 of suggesting ``code`` where its score is at least ``threshold`` (0 when undefined)."""
    tp = fp = fn = 0
    for scores, labels in _evaluated(scored, gold):
        score = scores.get(code)
        predicted = score is not None and score >= threshold
        actual = code in labels
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
    return float(_f1(tp, fp, fn))


def _evaluated(
    scored: Sequence[UnitScores], gold: Mapping[UnitKey, set[str]]
) -> list[tuple[dict[str, float], set[str]]]:
    out = []
    for item in scored:
        key = (item.unit.document_id, item.unit.start, item.unit.end)
        if key in gold:
            out.append(({code: score for code, score, _ in item.scores}, gold[key]))
    return out


def _best_threshold(pairs: Sequence[tuple[float | None, bool]]) -> float | None:
    """Sweep the distinct scores from the highest down; keep the first best F1."""
    positives = sum(actual for _, actual in pairs)
    if positives == 0:
        return None
    ranked = sorted(((s, a) for s, a in pairs if s is not None), key=lambda p: -p[0])
    best: tuple[Fraction, float] | None = None
    tp = fp = 0
    for index, (score, actual) in enumerate(ranked):
        tp += actual
        fp += not actual
        if index + 1 < len(ranked) and ranked[index + 1][0] == score:
            continue  # every unit with this score is in or out together
        f1 = _f1(tp, fp, positives - tp)
        if f1 > 0 and (best is None or f1 > best[0]):
            best = (f1, score)
    return None if best is None else best[1]


def _f1(tp: int, fp: int, fn: int) -> Fraction:
    # Exact fractions: equal F1 values compare equal, so ties break the same way every run.
    denominator = 2 * tp + fp + fn
    return Fraction(2 * tp, denominator) if denominator else Fraction(0)
