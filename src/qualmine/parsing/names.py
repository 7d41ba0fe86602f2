"""People named in a transcript's header or opening lines, matched to speaker labels.

Oral histories and research interviews usually say who is who at the start: "The
interviewer is Jennifer Ross-Nazzal, assisted by Rebecca Wright", "I'm interviewing Scott
Zoromski", or a title line "Oral History Project — Robert D. Cabana". These statements are
read here; `match_speaker` ties a mentioned name ("Bob Cabana") to a label
("Robert D. Cabana").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_HONORIFICS = frozenset(
    ["dr", "mr", "mrs", "ms", "miss", "prof", "professor", "sir", "dame", "rev"]
)
_TOKEN = r"(?:[A-Z]\.|[A-Z][\w'’\-]+)"
_PARTICLE = r"(?:de|van|von|der|den|da|la|le|del|di|du|bin|al)"
_NAME = rf"(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+)?{_TOKEN}(?:\s+(?:{_TOKEN}|{_PARTICLE}(?=\s+[A-Z])))*"
_NAMES = rf"(?P<names>{_NAME}(?:\s*,\s*{_NAME})*(?:,?\s+and\s+{_NAME})?)"

_INTERVIEWER_STATEMENTS = tuple(
    re.compile(p)
    for p in (
        rf"\b[Ii]nterviewers?\s+(?:is|are|was|were|will be)\s+{_NAMES}",
        rf"\b[Ii]nterviewers?\s*:\s*{_NAMES}",
        rf"{_NAMES}\s+(?:is|are|was|were)\s+the\s+interviewers?",
        rf"\b(?:interviewed|moderated|facilitated|assisted|hosted)\s+by\s+{_NAMES}",
        rf"\b(?:[Mm]oderator|[Ff]acilitator|[Hh]ost)s?\s*(?:is|are|:)\s*{_NAMES}",
        rf"\bconducted\b[^.?!\n]{{0,80}}?\bby\s+{_NAMES}",
    )
)
_PARTICIPANT_STATEMENTS = tuple(
    re.compile(p)
    for p in (
        rf"\b(?:interview|conversation|oral history|session|speaking|speak|talking|talk"
        rf"|conducted)\s+with\s+(?:(?:my|our)\s+(?:friend|colleague|guest)\s+)?{_NAMES}",
        rf"\binterviewing\s+(?:(?:my|our)\s+(?:friend|colleague|guest)\s+)?{_NAMES}",
        rf"\b[Oo]ur\s+guests?\s+(?:today\s+)?(?:is|are)\s+{_NAMES}",
        rf"\b(?:[Ii]nterviewee|[Pp]articipant|[Rr]espondent|[Nn]arrator)s?\s*(?:is|are|:)\s*{_NAMES}",
    )
)
_TITLE_SEPARATOR = re.compile(r"\s+[—–-]\s+|:\s+")
# "Interviewer: Ann Lee" or "Recorded by: Ann Lee" is not a title naming the interviewee.
_NOT_A_TITLE = re.compile(
    r"\b(?:interviewers?|moderators?|facilitators?|hosts?|by|date|recorded|location|place"
    r"|transcribed|transcriber|notes?)\s*$",
    re.IGNORECASE,
)
_NAME_LIST_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*;\s*|\s*&\s*")


def name_tokens(name: str) -> list[str]:
    """Lower-case tokens of a name, honorifics and punctuation dropped."""
    tokens = re.sub(r"[’`]", "'", name).replace(".", " ").casefold().split()
    return [t.strip(",") for t in tokens if t.strip(",") and t.strip(",") not in _HONORIFICS]


def split_names(value: str) -> list[str]:
    """``"Ann Lee, Bo Chan and Cy Diaz"`` -> three names."""
    return [part.strip() for part in _NAME_LIST_SPLIT.split(value.strip()) if part.strip()]


def match_speaker(mention: str, speakers: Sequence[str]) -> str | None:
    """The one speaker label a mentioned name refers to, or None.

    An exact match (ignoring case, honorifics and punctuation) wins; then first and last
    name; then a last name, or a lone first name, that only one speaker has.
    """
    wanted = name_tokens(mention)
    if not wanted:
        return None
    for speaker in speakers:
        if name_tokens(speaker) == wanted:
            return speaker
    full = [s for s in speakers if _same_ends(name_tokens(s), wanted)]
    if len(full) == 1:
        return full[0]
    loose = [s for s in speakers if _shares_key_token(name_tokens(s), wanted)]
    return loose[0] if len(loose) == 1 else None


def _same_ends(have: list[str], wanted: list[str]) -> bool:
    return len(have) > 1 and len(wanted) > 1 and have[0] == wanted[0] and have[-1] == wanted[-1]


def _shares_key_token(have: list[str], wanted: list[str]) -> bool:
    if not have:
        return False
    if len(wanted) == 1 or len(have) == 1:
        short, long = (wanted, have) if len(wanted) <= len(have) else (have, wanted)
        return short[0] in (long[0], long[-1])
    return have[-1] == wanted[-1]


def stated_names(texts: Iterable[str]) -> tuple[list[str], list[str]]:
    """Names stated as interviewers and as interviewees in some opening texts.

    Returns:
        ``(interviewers, participants)``, names as written.
    """
    interviewers: list[str] = []
    participants: list[str] = []
    for text in texts:
        for pattern in _INTERVIEWER_STATEMENTS:
            interviewers.extend(_names_in(pattern, text))
        for pattern in _PARTICIPANT_STATEMENTS:
            participants.extend(_names_in(pattern, text))
    return interviewers, participants


def _names_in(pattern: re.Pattern[str], text: str) -> list[str]:
    return [name for m in pattern.finditer(text) for name in split_names(m.group("names"))]


def title_names(title: str) -> list[str]:
    """Names after the last dash of a title line (``Project — Jane Doe`` -> Jane Doe)."""
    parts = _TITLE_SEPARATOR.split(title.strip())
    if len(parts) < 2 or _NOT_A_TITLE.search(parts[-2]):
        return []
    tail = parts[-1].strip()
    if not re.fullmatch(rf"{_NAME}(?:(?:\s*,\s*|\s+and\s+|\s*&\s*){_NAME})*", tail):
        return []
    return split_names(tail)
