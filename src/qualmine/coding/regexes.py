"""Regular expressions of a codebook, run only on the units that can match them.

`RegexSet` holds every code's ``regex`` entries for the rule coder
(`qualmine.coding.rules`). Each regex is read once, from Python's own parse of it, for what
every match must contain: the words it must begin (``\\bin[- ]person`` needs words starting
``in`` and ``person``) and its longest literal text; both are checked on a unit, or on a
whole batch of units, before the regex runs.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from qualmine.coding.lemmas import ComputedDict, Prefilter
from qualmine.errors import CodingError

_WORD = re.compile(r"\w+")
_ALL = "\x00"  # a word the regex prefilter cannot judge: run every regex
# With these, lower() maps every character that re.IGNORECASE equates with an ASCII
# character to exactly that character (checked over all of Unicode in the tests).
FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


class RegexSet:
    r"""Regular expressions of many codes, each run only on units that can match it.

    Two cheap tests come first. Word starts: a regex needs words that begin with the literal
    text after a ``\b`` or after characters that cannot be part of a word
    (``\bin[- ]person`` needs a word starting ``in`` and one starting ``person``;
    ``\b(forum|blog)s?`` one starting ``forum`` or ``blog``); each distinct word is
    looked up once, in a cache shared by all regexes, and only the regexes whose first need
    is met are considered, so the cost does not grow with regexes a unit cannot match.
    Literal text: the longest plain text every match contains (``co-?workers?`` contains
    ``worker``) must occur in the unit, compared case-folded as ``re.IGNORECASE`` does.
    Neither test skips a unit the regex would match: a regex they cannot read runs on every
    unit, and every regex runs on a unit with a word that is not plain ASCII.

    Args:
        entries: (code position, regex source, code id) triples.

    Raises:
        CodingError: a regex does not compile.
    """

    def __init__(self, entries: Sequence[tuple[int, str, str]]) -> None:
        self._codes = [pos for pos, _, _ in entries]
        self._compiled = [_compile_regex(source, code_id) for _, source, code_id in entries]
        needs = [_regex_needs(source) for _, source, _ in entries]
        self._literals = [literal for _, literal in needs]
        ordered = [sorted(words, key=_rarity) for words, _ in needs]
        self._prefilter = Prefilter(ordered)
        self._first_needs = [words[0] if words else frozenset() for words in ordered]
        self._heads: dict[int, set[str]] = {}
        for head in {h for words, _ in needs for need in words for h in need}:
            self._heads.setdefault(len(head), set()).add(head)
        self._word_heads: ComputedDict[str, frozenset[str]] = ComputedDict(self._heads_of)

    def candidate_units(self, texts: Sequence[str]) -> set[int]:
        """The texts (by position) in which some regex can match.

        Cheap tests on all texts at once, each met by every text `find` could match in: a
        regex's literal text must occur in the text, else one of the word starts of its
        first need; a text with a character outside ASCII is a candidate for every regex.
        `find` is then run on these texts alone.
        """
        if not self._compiled:
            return set()
        found = {i for i, text in enumerate(texts) if not text.isascii()}
        joined = "\n".join(texts).lower()
        starts = np.cumsum([0, *(len(text) + 1 for text in texts)])[:-1]
        for rid, literal in enumerate(self._literals):
            probes = [literal] if literal else sorted(self._first_needs[rid])
            if not probes:
                return set(range(len(texts)))
            probe = re.compile("|".join(map(re.escape, probes)))
            hits = [m.start() for m in probe.finditer(joined)]
            found.update((np.searchsorted(starts, hits, side="right") - 1).tolist())
        return found

    def find(self, text: str, allowed: frozenset[int]) -> list[tuple[int, str, int]]:
        """(code position, lower-cased matched text, offset) of every non-empty match."""
        if not self._compiled:
            return []
        words = set(_WORD.findall(text)) if self._heads else ()
        present = set().union(*map(self._word_heads.__getitem__, words))
        runs = range(len(self._compiled)) if _ALL in present else self._prefilter.passing(present)
        folded = text.lower() if text.isascii() else text.translate(FOLD).lower()
        found: list[tuple[int, str, int]] = []
        for rid in runs:
            if self._codes[rid] in allowed and self._literals[rid] in folded:
                found.extend(
                    (self._codes[rid], term_text(m.group()), m.start())
                    for m in self._compiled[rid].finditer(text)
                    if m.end() > m.start()
                )
        return found

    def _heads_of(self, word: str) -> frozenset[str]:
        lower = word.lower()
        if not lower.isascii():
            return frozenset({_ALL})
        return frozenset(lower[:n] for n, heads in self._heads.items() if lower[:n] in heads)


def _regex_needs(source: str) -> tuple[list[frozenset[str]], str]:
    """What every match of a regex needs, read from its parsed form.

    Returns:
        The word starts (sets of lower-case heads, one of each set must begin a word) and
        the longest literal text of at least 3 ASCII characters, lower-cased (or ``""``).
    """
    try:
        parser: Any = importlib.import_module("re._parser")
        sre: Any = importlib.import_module("re._constants")
        items = _flatten(list(parser.parse(source, re.IGNORECASE)), sre)
    except Exception:  # a private module changed: run the regex on every unit
        return [], ""
    runs = "".join(chr(av) if op is sre.LITERAL and chr(av).isascii() else "\n" for op, av in items)
    literal = max(runs.lower().split("\n"), key=len)
    return _word_needs(items, sre), literal if len(literal) >= 3 else ""


def _flatten(items: list[Any], sre: Any) -> list[Any]:
    """The items with plain groups opened into the sequence around them."""
    out: list[Any] = []
    for op, av in items:
        out.extend(_flatten(list(av[-1]), sre) if op is sre.SUBPATTERN else [(op, av)])
    return out


def _word_needs(items: list[Any], sre: Any) -> list[frozenset[str]]:
    needs: list[frozenset[str]] = []
    at_word_start, i = False, 0
    while i < len(items):
        op, av = items[i]
        if at_word_start and (op is sre.BRANCH or _word_char(op, av, sre)):
            run = _literal_word(items[i:], sre)
            i += len(run)
            heads = {run}
            if i < len(items) and items[i][0] is sre.BRANCH:
                heads = {run + _literal_word(list(alt), sre) for alt in items[i][1][1]}
                i += 1
            if all(heads):
                needs.append(frozenset(heads))
            at_word_start = False
            continue
        at_word_start = _ends_before_word(op, av, sre, at_word_start)
        i += 1
    return needs


def _literal_word(items: list[Any], sre: Any) -> str:
    r"""The lower-cased word characters ``items`` match literally (after any ``\b``)."""
    items = _flatten(items, sre)
    while items and items[0] == (sre.AT, sre.AT_BOUNDARY):
        items = items[1:]
    word = ""
    for op, av in items:
        if not _word_char(op, av, sre):
            break
        word += chr(av).lower()
    return word


def _word_char(op: Any, av: Any, sre: Any) -> bool:
    """A literal ASCII word character (non-ASCII ones are left to the regex)."""
    return op is sre.LITERAL and chr(av).isascii() and (chr(av).isalnum() or chr(av) == "_")


def _ends_before_word(op: Any, av: Any, sre: Any, before: bool) -> bool:
    """Whether a word character right after this element must start a word.

    ``before`` says whether that held just before the element (it still holds after an
    optional element that, when present, ends with a character outside words).
    """
    if op is sre.AT:
        return av in (sre.AT_BOUNDARY, sre.AT_BEGINNING, sre.AT_BEGINNING_STRING)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        return _ends_outside_word(list(av[2]), sre) and (before or av[0] >= 1)
    return _ends_outside_word([(op, av)], sre)


def _ends_outside_word(items: list[Any], sre: Any) -> bool:
    """Whether every match of ``items`` ends with a character that is not a word character."""
    items = _flatten(items, sre)
    if not items:
        return False
    op, av = items[-1]
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        return av[0] >= 1 and _ends_outside_word(list(av[2]), sre)
    if op is sre.BRANCH:
        return all(_ends_outside_word(list(alt), sre) for alt in av[1])
    if op is sre.LITERAL:
        return _ascii_non_word(av)
    if op is sre.IN:
        return all(
            (kind is sre.LITERAL and _ascii_non_word(value))
            or (kind is sre.CATEGORY and value in (sre.CATEGORY_SPACE, sre.CATEGORY_NOT_WORD))
            for kind, value in av
        )
    return False


def _ascii_non_word(code_point: int) -> bool:
    char = chr(code_point)
    return char.isascii() and not (char.isalnum() or char == "_")


def _rarity(need: frozenset[str]) -> int:
    """Sort key putting the need with the longest shortest word start first."""
    return -min(len(head) for head in need)


def _compile_regex(source: str, code_id: str) -> re.Pattern[str]:
    try:
        return re.compile(source, re.IGNORECASE)
    except re.error as error:
        raise CodingError(f"code {code_id}: regex {source!r} does not compile: {error}") from None


def term_text(text: str) -> str:
    """A matched text as evidence lists it: lower-cased, white space collapsed."""
    return " ".join(text.lower().split())
