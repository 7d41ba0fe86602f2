"""Subtitle cues -> turns: speaker labels, merging, and the document text built from them.

A cue line's speaker comes from a WebVTT voice tag (certain) or a ``Speaker:`` prefix
(accepted by the same rules as in plain text). A line without a speaker continues the
current speaker; consecutive lines of one speaker are merged into one turn, which keeps
the time code of its first cue. The document text is ``Speaker: speech`` paragraphs
separated by blank lines, and each turn's span covers its speech.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qualmine.parsing.labels import LabelMatch, RawTurn, match_label, select_labels

_TAG = re.compile(r"<[^>\n]*>|\{\\[^}\n]*\}")


@dataclass(frozen=True, slots=True)
class CueLine:
    """One line of cue text.

    Attributes:
        text: the line, tags still in.
        timestamp: the start of its cue, ``HH:MM:SS``.
        voice: the speaker from a voice tag, or None.
    """

    text: str
    timestamp: str
    voice: str | None = None


@dataclass(slots=True)
class _Draft:
    speaker: str
    timestamp: str | None
    parts: list[str]


def clean_cue_text(text: str) -> str:
    """Cue text without tags and entities, white space collapsed."""
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def cue_turns(lines: Sequence[CueLine]) -> tuple[str, list[RawTurn]]:
    """Merge cue lines into turns and build the document text.

    Returns:
        The document text and its turns.
    """
    candidates: dict[int, LabelMatch] = {}
    for number, line in enumerate(lines):
        if line.voice is None:
            found = match_label(clean_cue_text(line.text))
            if found is not None:
                candidates[number] = found
    accepted = set(select_labels(candidates, "\n".join(line.text for line in lines)))
    drafts: list[_Draft] = []
    for number, line in enumerate(lines):
        speaker, words = line.voice, clean_cue_text(line.text)
        if number in accepted:
            speaker = candidates[number].label
            words = words[candidates[number].speech_offset :].strip()
        if speaker is not None and (not drafts or drafts[-1].speaker != speaker):
            drafts.append(_Draft(speaker, line.timestamp, []))
        elif not drafts:
            drafts.append(_Draft("", line.timestamp, []))
        if words:
            drafts[-1].parts.append(words)
    return _render([d for d in drafts if d.parts])


def _render(drafts: Sequence[_Draft]) -> tuple[str, list[RawTurn]]:
    pieces: list[str] = []
    turns: list[RawTurn] = []
    length = 0
    for draft in _merge_same_speaker(drafts):
        label = f"{draft.speaker}: " if draft.speaker else ""
        speech = " ".join(draft.parts)
        start = length + len(label)
        turns.append(RawTurn(draft.speaker, start, start + len(speech), draft.timestamp))
        pieces.append(label + speech + "\n\n")
        length += len(pieces[-1])
    return "".join(pieces).rstrip("\n") + "\n", turns


def _merge_same_speaker(drafts: Sequence[_Draft]) -> list[_Draft]:
    merged: list[_Draft] = []
    for draft in drafts:
        if merged and merged[-1].speaker == draft.speaker:
            merged[-1].parts.extend(draft.parts)
        else:
            merged.append(_Draft(draft.speaker, draft.timestamp, list(draft.parts)))
    return merged
