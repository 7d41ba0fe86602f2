"""Edits to one text: the spans to replace (known entities, e-mail addresses, phone numbers,
URLs), applying them, and moving offsets with them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qualmine.project.redaction.names import Registry, joined, tokens

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'\]\)}]+")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){2,4}"
    r"|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}|\b0\d{2,4}[ .-]?\d{3,4}[ .-]?\d{3,4})(?!\w)"
)


@dataclass(frozen=True, slots=True)
class Edit:
    """One replacement: ``start``-``end`` of the old text became ``new``."""

    start: int
    end: int
    new: str
    old: str


class Redactor:
    """Finds the spans to replace in any text, with consistent pseudonyms."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def edits(self, text: str) -> list[Edit]:
        """The non-overlapping replacements for a text, in order."""
        if not text:
            return []
        claimed = self._pattern_edits(text)
        taken = [(e.start, e.end) for e in claimed]
        claimed += self._name_edits(text, taken)
        claimed.sort(key=lambda e: e.start)
        return claimed

    def _pattern_edits(self, text: str) -> list[Edit]:
        found: list[Edit] = []
        for kind, pattern in (("url", URL), ("email", EMAIL), ("phone", PHONE)):
            for m in pattern.finditer(text):
                start, end = m.start(), m.end()
                while end > start and text[end - 1] in ".,;:!?":
                    end -= 1
                if any(f.start < end and start < f.end for f in found):
                    continue
                value = text[start:end]
                entity = self.registry.add(kind, value)
                entity.forms.add(value)
                found.append(Edit(start, end, entity.pseudonym, value))
        return found

    def _name_edits(self, text: str, taken: list[tuple[int, int]]) -> list[Edit]:
        toks = tokens(text)
        out: list[Edit] = []
        by_form = self.registry.by_form
        i = 0
        while i < len(toks):
            first = text[toks[i][0] : toks[i][0] + 1]
            hit = None
            if first.isupper():
                for k in range(min(self.registry.longest, len(toks) - i), 0, -1):
                    window = toks[i : i + k]
                    if not all(
                        joined(text, a, b) for a, b in zip(window, window[1:], strict=False)
                    ):
                        continue
                    form, end = tuple(t[2] for t in window), window[-1][1]
                    if form not in by_form and len(form[-1]) > 3 and form[-1][-1] == "s":
                        # A plural ("the Johnsons'") names the same person.
                        form, end = (*form[:-1], form[-1][:-1]), end - 1
                    if form in by_form:
                        hit = (window[0][0], end, by_form[form], k)
                        break
            if hit is None or any(s < hit[1] and hit[0] < e for s, e in taken):
                i += 1
                continue
            start, end, entity, k = hit
            entity.forms.add(text[start:end])
            out.append(Edit(start, end, entity.pseudonym, text[start:end]))
            i += k
        return out

    def redact(self, text: str) -> tuple[str, list[Edit]]:
        """The redacted text and the edits made."""
        found = self.edits(text)
        return apply_edits(text, found), found


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with each edit's span replaced by its new text."""
    pieces, at = [], 0
    for e in edits:
        pieces.append(text[at : e.start])
        pieces.append(e.new)
        at = e.end
    pieces.append(text[at:])
    return "".join(pieces)


def offset_mapper(edits: Sequence[Edit]) -> Callable[[int, bool], int]:
    """Maps an old offset to the new text; one inside a replaced span snaps to its edge."""
    starts = [e.start for e in edits]
    shifts, total = [], 0
    for e in edits:
        shifts.append(total)
        total += len(e.new) - (e.end - e.start)

    def move(pos: int, is_end: bool) -> int:
        import bisect

        i = bisect.bisect_right(starts, pos) - 1
        if i < 0:
            return pos
        e, before = edits[i], shifts[i]
        new_start = e.start + before
        if pos < e.end or (pos == e.end and e.end == e.start):
            if pos == e.start:
                return new_start
            return new_start + len(e.new) if is_end else new_start
        return pos + before + len(e.new) - (e.end - e.start)

    return move
