"""Placing other programs' text sources in qualmine: offsets, cases, done-marks.

qualmine stores text normalized (NFC, ``\\n`` line ends) and without front matter, while
REFI-QDA offsets count code points of the text as the other program stored it.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import replace

from qualmine.models import Coding, Turn
from qualmine.refi.records import Loss


def offset_mover(
    raw: str, normalized: str, cut: int, normalize: Callable[[str], str]
) -> Callable[[int], int]:
    """Where an offset into ``raw`` lands in ``normalized`` once its first ``cut``
    characters (front matter) are gone; ``normalize`` is what made ``normalized``."""
    if raw == normalized:
        return lambda at: at - cut
    if unicodedata.is_normalized("NFC", raw) and "\r" not in raw.replace("\r\n", ""):
        dropped = [m.start() for m in re.finditer("\r\n", raw)]
        return lambda at: at - bisect.bisect_left(dropped, at) - cut
    return lambda at: len(normalize(raw[:at])) - cut


def assign_case(turns: tuple[Turn, ...], case: str) -> tuple[Turn, ...]:
    """Give the participant's turns to ``case`` when the text has one participant."""
    speakers = {t.speaker for t in turns if t.speaker_role == "participant"}
    if not case or len(speakers) != 1:
        return turns
    return tuple(replace(t, case=case) if t.speaker_role == "participant" else t for t in turns)


def inferred_done(codings: Iterable[tuple[int, Coding]]) -> tuple[tuple[int, str, str], ...]:
    """REFI-QDA has no done-mark: a coder with codings in a document is done with it."""
    return tuple(sorted({(index, c.coder, "") for index, c in codings}))


def merged_losses(losses: Iterable[Loss]) -> tuple[Loss, ...]:
    """Losses with the same element and reason added up, in first-seen order."""
    counts: dict[tuple[str, str], int] = {}
    for loss in losses:
        counts[(loss.element, loss.why)] = counts.get((loss.element, loss.why), 0) + loss.count
    return tuple(Loss(element, count, why) for (element, why), count in counts.items())
