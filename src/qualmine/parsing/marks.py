"""Transcription marks such as ``[laughs]`` or ``[inaudible 00:12:31]``.

Marks stay in the document text (a quote should show them) but are blanked out with
spaces, keeping every offset, before matching, word counts and embeddings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from qualmine.errors import QualmineError

TRANSCRIPTION_MARKS: tuple[str, ...] = (
    "laughs",
    "laugh",
    "laughter",
    "laughing",
    "chuckles",
    "inaudible",
    "unintelligible",
    "indistinct",
    "unclear",
    "crosstalk",
    "cross-talk",
    "cross talk",
    "cross-talking",
    "overlapping",
    "overlapping speech",
    "pause",
    "long pause",
    "short pause",
    "silence",
    "coughs",
    "cough",
    "sighs",
    "sigh",
    "clears throat",
    "applause",
    "music",
    "noise",
    "background noise",
    "interruption",
    "interrupted",
    "phone rings",
    "break",
    "end of recording",
    "recording paused",
    "recording resumed",
)
"""The default marks: words that, alone in square brackets or parentheses, note a sound
or a gap rather than speech. Matching ignores case, and a mark may carry a time code
(``[inaudible 00:12:31]``, ``(pause 0:05)``). Editorial insertions such as
``[National Advisory Committee for Aeronautics]`` are speech and are not marks."""

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
_REGEX_PREFIX = "re:"


def mark_spans(text: str, extra: Sequence[str] = ()) -> list[tuple[int, int]]:
    """Find the transcription marks in a text.

    Args:
        text: the text to search.
        extra: more marks. A plain string is a literal mark, matched ignoring case
            (``"[Recorder turned off.]"``); a string starting with ``re:`` is a regular
            expression (``"re:\\\\[tape \\\\d+\\\\]"``).

    Returns:
        ``(start, end)`` spans, sorted, with overlapping spans merged.

    Raises:
        QualmineError: an extra mark is an invalid regular expression.
    """
    if not extra and not _may_hold_mark(text):
        return []
    spans = [m.span() for m in _default_pattern().finditer(text)]
    for pattern in _extra_patterns(tuple(extra)):
        spans.extend(m.span() for m in pattern.finditer(text) if m.end() > m.start())
    return _merge(sorted(spans))


def strip_marks(text: str, extra: Sequence[str] = ()) -> str:
    """Blank out transcription marks with spaces; the result has the same length.

    Args:
        text: the text to clean.
        extra: more marks, as for `mark_spans`.
    """
    if not extra and not _may_hold_mark(text):
        return text
    pieces: list[str] = []
    last = 0
    for start, end in mark_spans(text, extra):
        pieces.append(text[last:start])
        pieces.append(" " * (end - start))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _may_hold_mark(text: str) -> bool:
    """False when no default mark can be in the text: each opens with a bracket."""
    return "[" in text or "(" in text


@lru_cache(maxsize=1)
def _default_pattern() -> re.Pattern[str]:
    words = "|".join(
        re.escape(m).replace(r"\ ", r"\s+") for m in sorted(TRANSCRIPTION_MARKS, key=len)[::-1]
    )
    inner = rf"\s*(?:{words})(?:\s*[,:;-]?\s*{_TIME})?\s*"
    return re.compile(rf"\[{inner}\]|\({inner}\)", re.IGNORECASE)


@lru_cache(maxsize=32)
def _extra_patterns(extra: tuple[str, ...]) -> list[re.Pattern[str]]:
    patterns = []
    for item in extra:
        if item.startswith(_REGEX_PREFIX):
            try:
                patterns.append(re.compile(item[len(_REGEX_PREFIX) :]))
            except re.error as error:
                raise QualmineError(
                    f"transcription mark {item!r} is not a valid regular expression: {error}"
                ) from None
        elif item:
            patterns.append(re.compile(re.escape(item), re.IGNORECASE))
    return patterns


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
