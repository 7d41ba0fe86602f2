"""Who is the interviewer: speaker roles from labels, metadata and the transcript itself.

Evidence is weighed in this order, the first that decides a speaker wins:

1. a ``roles`` mapping passed by the caller (``read_transcripts(path, roles=...)``);
2. metadata (front matter, VTT NOTE, sidecar file, CSV columns): ``roles: {Name: role}``,
   then ``interviewer(s):`` and ``participant(s):`` / ``interviewee(s):`` name lists;
3. labels that are role words (``Interviewer``, ``Q``, ``AI``; ``Respondent``, ``A``, ``User``);
4. statements in the header and the first two turns ("The interviewer is X, assisted by Y",
   "interviewed by X", "I'm interviewing Z", "this interview with Z"), then a title line
   ending in a name ("Oral History Project — Z");
5. the shape of the talk: if nobody is an interviewer yet, the speaker with the highest
   share of turns ending in "?" (the first speaker gets a small bonus); if nobody is a
   participant yet, the one with the lowest; any other speaker joins the interviewers
   when at least half their turns are questions and that share is nearer the
   interviewers' than the participants', else the participants.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from qualmine.parsing.labels import RawTurn, role_of_label
from qualmine.parsing.marks import strip_marks
from qualmine.parsing.names import match_speaker, stated_names, title_names

_QUESTION_END = re.compile(r"\?[\"'”’)\]]*$")
_FIRST_SPEAKER_BONUS = 0.15
_OPENING_TURNS = 2
_OPENING_CHARS = 3000


@dataclass(frozen=True, slots=True)
class RoleHints:
    """What the caller and the metadata say about roles, before looking at the talk.

    Attributes:
        roles: speaker name -> ``interviewer`` or ``participant``, caller's mapping first.
        interviewers: names listed as interviewers.
        participants: names listed as participants (interviewees).
        header: the header lines of the transcript, title first.
    """

    roles: Mapping[str, str] = field(default_factory=dict)
    interviewers: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()
    header: tuple[str, ...] = ()


def infer_roles(text: str, turns: Sequence[RawTurn], hints: RoleHints) -> dict[str, str]:
    """The role of every speaker in ``turns``.

    Args:
        text: the document text the turns point into.
        turns: the turns, in order.
        hints: roles given by the caller or the metadata, and the header lines.

    Returns:
        speaker label -> ``"interviewer"`` or ``"participant"``.
    """
    speakers = list(dict.fromkeys(t.speaker for t in turns))
    roles: dict[str, str] = {}
    _assign_names(roles, speakers, hints.roles.items())
    _assign_names(roles, speakers, [(n, "interviewer") for n in hints.interviewers])
    _assign_names(roles, speakers, [(n, "participant") for n in hints.participants])
    for speaker in speakers:
        label_role = role_of_label(speaker)
        if label_role is not None:
            roles.setdefault(speaker, label_role)
    _assign_names(roles, speakers, _statements(text, turns, hints.header))
    if hints.header:
        _assign_names(roles, speakers, [(n, "participant") for n in title_names(hints.header[0])])
    _assign_by_questions(roles, speakers, _question_shares(text, turns))
    return roles


def _assign_names(
    roles: dict[str, str], speakers: Sequence[str], named: Iterable[tuple[str, str]]
) -> None:
    """Set the role of each speaker a name refers to, unless already set or contested."""
    found: dict[str, set[str]] = {}
    for name, role in named:
        speaker = match_speaker(name, speakers)
        if speaker is not None:
            found.setdefault(speaker, set()).add(role)
    for speaker, stated in found.items():
        if len(stated) == 1 and speaker not in roles:
            roles[speaker] = stated.pop()


def _statements(
    text: str, turns: Sequence[RawTurn], header: Sequence[str]
) -> list[tuple[str, str]]:
    opening = [text[t.start : min(t.end, t.start + _OPENING_CHARS)] for t in turns[:_OPENING_TURNS]]
    interviewers, participants = stated_names([*header, *opening])
    return [(n, "interviewer") for n in interviewers] + [(n, "participant") for n in participants]


def _question_shares(text: str, turns: Sequence[RawTurn]) -> dict[str, tuple[int, int]]:
    """speaker -> (turns ending in a question mark, turns)."""
    shares: dict[str, tuple[int, int]] = {}
    for turn in turns:
        asked = bool(_QUESTION_END.search(strip_marks(text[turn.start : turn.end]).rstrip()))
        questions, total = shares.get(turn.speaker, (0, 0))
        shares[turn.speaker] = (questions + asked, total + 1)
    return shares


def _share(counts: tuple[int, int]) -> float:
    return counts[0] / counts[1] if counts[1] else 0.0


def _assign_by_questions(
    roles: dict[str, str], speakers: list[str], shares: dict[str, tuple[int, int]]
) -> None:
    unresolved = [s for s in speakers if s not in roles]
    if len(speakers) == 1 and unresolved:
        roles[unresolved[0]] = "participant"
        return
    if unresolved and "interviewer" not in roles.values():
        first = speakers[0]
        best = max(
            unresolved,
            key=lambda s: _share(shares[s]) + (_FIRST_SPEAKER_BONUS if s == first else 0.0),
        )
        roles[best] = "interviewer"
        unresolved.remove(best)
    if unresolved and "participant" not in roles.values():
        least = min(unresolved, key=lambda s: _share(shares[s]))
        roles[least] = "participant"
        unresolved.remove(least)
    pooled = {role: _pooled(roles, shares, role) for role in ("interviewer", "participant")}
    for speaker in unresolved:
        share = _share(shares[speaker])
        nearer = abs(share - pooled["interviewer"]) < abs(share - pooled["participant"])
        roles[speaker] = "interviewer" if share >= 0.5 and nearer else "participant"


def _pooled(roles: dict[str, str], shares: dict[str, tuple[int, int]], role: str) -> float:
    counted = [shares[s] for s, r in roles.items() if r == role and s in shares]
    return _share((sum(c[0] for c in counted), sum(c[1] for c in counted)))
