"""Speaker labels at the start of a line, and splitting labelled text into turns.

A label is a short name at the start of a line followed by a colon (``Jane Doe: text``,
``NAME:``, ``Q:``), optionally with a time code (``[00:01:23] Name:``, ``Name (00:01:23):``,
``Name [00:01:23]:``), or a bold Markdown line (``**Name**`` or ``**Name:** text``).

Prose such as ``Note: ...`` also looks like that, so a candidate is accepted only when it
is a role word (``Interviewer``, ``User``, ``Q``), carries a time code or bold colon, is a
name used as a label at least twice, or, seen once, is a plain personal name (with speech
on the same line, or bold on a line of its own) whose words occur again in the text (a
surname, say) in a transcript whose other speakers are named people. Indented lines are
continuation paragraphs, not labels, unless every candidate in the file is indented.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


ROLE_WORDS: dict[str, str] = {
    **dict.fromkeys(
        _word_set(
            "interviewer moderator facilitator q i int assistant ai researcher host question"
        ),
        "interviewer",
    ),
    **dict.fromkeys(
        _word_set("a r respondent participant interviewee user guest answer p"), "participant"
    ),
}
"""Labels that say the speaker's role, lower case; a number may follow (``Participant 2``).
``P`` counts only with a number (``P3``)."""


# Words that are never speaker names, seen as ``Word:`` at the start of a line of prose.
PROSE_WORDS = _word_set(
    """note notes nb n.b ps p.s example examples e.g i.e update edit source sources step summary
    tip tips warning important re subject date time location place title also then so but and
    well yes no ok okay oh hint caution reminder result results conclusion background objective
    objectives goal goals problem solution pros cons first second third finally overview context
    todo fyi"""
)
_FUNCTION_WORDS = _word_set(
    """the a an in on at of to for from by with my our your his her their its this that these
    those and or but so if when while where why how what who which there here then we you they
    it he she i me us them is are was were be been not no all some any each every one other
    another such more most many much as into about after before over under"""
)
_PARTICLES = _word_set("de van von der den da das dos la le del della di du bin al el y st. st")

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_WORD = r"[\w.'’\-&]+"
_NAME = rf"[^\W\d_]{_WORD[:-1]}*(?:[ \t]+{_WORD}){{0,5}}"
_COLON_LABEL = re.compile(
    rf"(?P<indent>[ \t]*)(?:[\[(](?P<ts1>{_TS})[\])][ \t]*|(?P<ts0>{_TS})[ \t]+)?"
    rf"(?P<label>{_NAME})[ \t]*(?:[\[(](?P<ts2>{_TS})[\])])?[ \t]*:(?=\s|$)[ \t]*"
)
_BOLD_LABEL = re.compile(
    rf"(?P<indent>[ \t]*)\*\*[ \t]*(?P<label>{_NAME})[ \t]*(?P<c1>:)?[ \t]*\*\*[ \t]*"
    rf"(?:[\[(](?P<ts2>{_TS})[\])])?[ \t]*(?P<c2>:)?[ \t]*"
)
_TRAILING_NUMBER = re.compile(r"[ \t]*\d+$")
_NO_BOLD: Mapping[int, str] = {}


@dataclass(frozen=True, slots=True)
class LabelMatch:
    """A candidate speaker label found at the start of one line.

    Attributes:
        label: the speaker label as written, without colon, asterisks or time code.
        speech_offset: offset, within the line, where the speech after the label starts.
        form: ``"colon"``, ``"timestamp"``, ``"bold_colon"`` or ``"bold_line"``.
        indented: the line starts with white space.
        has_speech: text follows the label on the same line.
        timestamp: the time code, normalized to ``HH:MM:SS``, or None.
    """

    label: str
    speech_offset: int
    form: str
    indented: bool
    has_speech: bool
    timestamp: str | None = None


@dataclass(frozen=True, slots=True)
class RawTurn:
    """A turn before roles are known: speaker label, speech span and time code."""

    speaker: str
    start: int
    end: int
    timestamp: str | None = None


def role_of_label(label: str) -> str | None:
    """The role a label states (``Interviewer 2`` -> interviewer), or None for a name."""
    key = label.strip().casefold()
    if key in ROLE_WORDS and key != "p":
        return ROLE_WORDS[key]
    base = _TRAILING_NUMBER.sub("", key)
    return ROLE_WORDS.get(base) if base != key else None


def normalize_timestamp(value: str) -> str:
    """``1:02:03.5`` -> ``01:02:03``; ``2:03`` -> ``00:02:03``."""
    parts = [int(p) for p in re.split(r"[.,]", value)[0].split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    return "{:02d}:{:02d}:{:02d}".format(*parts[:3])


def match_label(line: str) -> LabelMatch | None:
    """The candidate label at the start of ``line``, or None."""
    bold = _BOLD_LABEL.match(line)
    if bold and bold.group("label"):
        has_colon = bool(bold.group("c1") or bold.group("c2"))
        rest = line[bold.end() :]
        if has_colon or not rest.strip():
            return _make_match(bold, "bold_colon" if has_colon else "bold_line")
    colon = _COLON_LABEL.match(line)
    if colon and colon.group("label"):
        timed = colon.group("ts0") or colon.group("ts1") or colon.group("ts2")
        return _make_match(colon, "timestamp" if timed else "colon")
    return None


def _make_match(match: re.Match[str], form: str) -> LabelMatch | None:
    label = match.group("label").strip()
    if len(label) > 60 or label.endswith((".", "-", "&")) and not _is_initial(label):
        return None
    stamp = next((match.group(g) for g in ("ts0", "ts1", "ts2") if match.groupdict().get(g)), None)
    return LabelMatch(
        label=label,
        speech_offset=match.end(),
        form=form,
        indented=bool(match.group("indent")),
        has_speech=bool(match.string[match.end() :].strip()),
        timestamp=normalize_timestamp(stamp) if stamp else None,
    )


def _is_initial(label: str) -> bool:
    return bool(re.search(r"(?:^|\s)(?:[A-Z]|Dr|Mr|Mrs|Ms|Jr|Sr|St)\.$", label))


def is_name_like(label: str) -> bool:
    """True for ``Jane Doe``, ``JANE``, ``Kevin M. Rusnak``, ``Speaker 2``, ``Jan van Eyck``."""
    words = label.split()
    if not words or not words[0][0].isupper():
        return False
    return all(w[0].isupper() or w.isdigit() or w.casefold() in _PARTICLES for w in words)


def _is_speaker_name(label: str) -> bool:
    return label.casefold().rstrip(".") not in PROSE_WORDS and is_name_like(label)


def _accepted_alone(match: LabelMatch, count: int) -> bool:
    if role_of_label(match.label) is not None:
        return True
    if not _is_speaker_name(match.label):
        return False
    return match.form in ("timestamp", "bold_colon") or count >= 2


def _plain_name(match: LabelMatch) -> bool:
    first = match.label.split()[0].casefold()
    return (
        (match.form == "colon" and match.has_speech or match.form == "bold_line")
        and first not in _FUNCTION_WORDS
        and _is_speaker_name(match.label)
    )


def _mentioned_elsewhere(label: str, text: str) -> bool:
    """A word of the label (a surname, say) occurs in the text apart from the label itself."""
    words = [w for w in label.split() if len(w) > 2 and w.casefold() not in _FUNCTION_WORDS]
    return any(len(re.findall(rf"(?<![\w]){re.escape(w)}(?![\w])", text)) > 1 for w in words)


def select_labels(matches: Mapping[int, LabelMatch], text: str) -> list[int]:
    """The keys (line offsets or cue numbers) whose candidate labels are accepted, sorted.

    Args:
        matches: the candidate label of each line (or cue line) that has one.
        text: the whole text, where a label used only once must be mentioned again.
    """
    all_indented = bool(matches) and all(m.indented for m in matches.values())
    usable = {k: m for k, m in matches.items() if all_indented or not m.indented}
    counts = Counter(m.label for m in usable.values())
    accepted = {m.label for m in usable.values() if _accepted_alone(m, counts[m.label])}
    if any(role_of_label(label) is None for label in accepted):
        accepted |= {
            m.label
            for m in usable.values()
            if counts[m.label] == 1 and _plain_name(m) and _mentioned_elsewhere(m.label, text)
        }
    accepted |= _answers(usable, counts, accepted)
    return sorted(k for k, m in usable.items() if m.label in accepted)


def _answers(
    usable: Mapping[int, LabelMatch], counts: Counter[str], accepted: set[str]
) -> set[str]:
    """Plain names used once that answer straight after an interviewer's question label.

    ``Interviewer: Do you ...?`` then ``Ana: ...`` is an interview with a one-turn
    participant; the question-then-name shape is the evidence the count cannot give.
    """
    found: set[str] = set()
    previous: LabelMatch | None = None
    for key in sorted(usable):
        match = usable[key]
        if (
            previous is not None
            and previous.label in accepted
            and role_of_label(previous.label) == "interviewer"
            and counts[match.label] == 1
            and _plain_name(match)
        ):
            found.add(match.label)
        previous = match
    return found


def iter_lines(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """``(offset, line)`` for each line of ``text`` from ``start``, without line ends."""
    offset = start
    while offset <= len(text):
        end = text.find("\n", offset)
        end = len(text) if end < 0 else end
        yield offset, text[offset:end]
        offset = end + 1


def split_turns(
    text: str, start: int = 0, bold: Mapping[int, str] = _NO_BOLD
) -> tuple[list[RawTurn], int]:
    """Split labelled text into turns.

    Args:
        text: the document text.
        start: where the transcript starts (after any front matter).
        bold: lines known to start with a bold label (in a Word file), by offset:
            ``"bold_colon"`` for ``Label: speech``, ``"bold_line"`` for a line that is
            only the label.

    Returns:
        The turns (speech spans, labels excluded, empty turns dropped) and the offset
        where the first turn's label starts, which ends the header.
    """
    matches: dict[int, LabelMatch] = {}
    for offset, line in iter_lines(text, start):
        found = match_label(line)
        if bold.get(offset) == "bold_line":
            found = LabelMatch(line.strip(), len(line), "bold_line", False, False)
        elif found is not None and offset in bold:
            found = replace(found, form="bold_colon")
        if found is not None:
            matches[offset] = found
    keys = select_labels(matches, text)
    if not keys:
        return _unlabelled(text, start)
    turns = []
    for key, next_key in zip(keys, [*keys[1:], len(text)], strict=True):
        match = matches[key]
        span = _strip_span(text, key + match.speech_offset, next_key)
        if span is not None:
            turns.append(RawTurn(match.label, span[0], span[1], match.timestamp))
    return turns, keys[0]


def _unlabelled(text: str, start: int) -> tuple[list[RawTurn], int]:
    body = start
    for offset, line in iter_lines(text, start):
        if line.strip() and not line.lstrip().startswith("#"):
            body = offset
            break
    else:
        return [], len(text)
    span = _strip_span(text, body, len(text))
    return ([RawTurn("", span[0], span[1])] if span else []), body


def _strip_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    chunk = text[start:end]
    left = len(chunk) - len(chunk.lstrip())
    right = len(chunk.rstrip())
    return (start + left, start + right) if right > left else None


def header_lines(text: str, start: int, end: int) -> list[str]:
    """The non-blank lines of a header region, without leading ``#`` marks."""
    return [
        line.strip().lstrip("#").strip() for _, line in iter_lines(text[start:end]) if line.strip()
    ]
