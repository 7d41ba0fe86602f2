"""The rule coder: a codebook's keywords, spaCy patterns and regular expressions.

Each code's hints are matched on the unit's text with transcription marks blanked out
(``[laughs]`` is never a match for ``laugh``; offsets do not change):

- ``keywords`` are lemmas or phrases, matched on the lower-cased lookup lemmas of the tokens
  (``trust`` matches ``Trusted``, ``trusts``; ``peer group`` matches ``peer groups``;
  hyphens are ignored, so ``word of mouth`` matches ``word-of-mouth``). Keywords are
  lemmatized the same way as the text (see `qualmine.coding.lemmas`).
- ``patterns`` are spaCy Matcher patterns over the same tokens; ``LEMMA`` is the lower-cased
  lemma, and LEMMA values in a pattern are compared lower-cased. A code's patterns keep
  their longest matches.
- ``regex`` entries are Python regular expressions, matched ignoring case.
- ``exclude_keywords`` (lemmas or phrases, as keywords) veto the code for the unit.

A code is read only in units whose speaker_role its ``speaker_role`` allows
(``participant``, the default; ``interviewer``; ``any``). Codes with ``codable: false`` or
without keywords, patterns and regex are skipped.

Score. A unit's score for a code is ``1 - 0.5 ** n``, where ``n`` is the number of distinct
terms matched: each keyword counts once however often and in whatever form it occurs, and
each distinct lower-cased text matched by a pattern or regex counts once; a term found by
several hints counts once. One term scores 0.5, two 0.75, three 0.875; the score only rises
with more evidence and never reaches 1. The evidence lists exactly these terms, keywords
first (in codebook order), then pattern and regex matches (in text order), for example
``keywords: trust, linkedin; regex: googled``, so ``n`` can be read off it.

Order. A unit's codes are sorted by score, highest first; equal scores keep codebook order.

Cost. Each unit is tokenized and lemmatized once; keywords of all codes are looked up in
one index of lemma phrases, and a pattern or regex is run only on units that hold the
words it needs (see `RegexSet` and `qualmine.coding.lemmas.PatternSet`), so the time per
unit grows with the hints that can match it, not with the size of the codebook.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qualmine.coding.lemmas import ComputedDict, LemmaReader, PatternSet, PhraseIndex, Prefilter
from qualmine.coding.runs import UnitScores
from qualmine.coding.units import Unit
from qualmine.errors import CodingError
from qualmine.language import load_pipeline
from qualmine.models import SPEAKER_ROLES, Code, Codebook, Coding
from qualmine.parsing import strip_marks

CODER = "auto:rules"
EVIDENCE_TERMS = 5
"""At most this many terms of each kind are listed in the evidence (then ``+N more``)."""

_WORD = re.compile(r"\w+")
_KINDS = ("keywords", "patterns", "regex")
_ALL = "\x00"  # a word the regex prefilter cannot judge: run every regex
# With these, lower() maps every character that re.IGNORECASE equates with an ASCII
# character to exactly that character (checked over all of Unicode in the tests).
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


@dataclass(frozen=True, slots=True)
class _Hint:
    """A keyword or excluded keyword of one code, as stored in the phrase index."""

    code: int
    term: str
    order: int
    veto: bool


def rule_score(n: int) -> float:
    """The score for ``n`` distinct matched terms: ``1 - 0.5 ** n``."""
    return 1.0 - 0.5**n


class RuleCoder:
    """Suggest codes from a codebook's keywords, patterns and regular expressions.

    Args:
        codebook: the codebook whose hints are matched.
        threshold: `predict` suggests codes scoring at least this (0.5: one matched term).

    Attributes:
        codes_: the codes with hints, in codebook order.
        keywords_: lemma phrase -> the keyword and exclude-keyword hints it stands for.
        patterns_: the spaCy patterns of all codes, with their prefilter.
        regexes_: the compiled regular expressions of all codes, with their prefilter.
        role_codes_: speaker_role -> positions (in ``codes_``) of the codes read for it;
            a role not listed reads the codes whose speaker_role is ``any``.
    """

    def __init__(self, codebook: Codebook, *, threshold: float = 0.5) -> None:
        self.codebook = codebook
        self.threshold = threshold

    def fit(self, units: Sequence[Unit] | None = None) -> RuleCoder:
        """Compile the codebook's hints (``units`` is ignored: rules learn nothing).

        Raises:
            CodingError: a regular expression or pattern does not compile.
        """
        nlp = load_pipeline()
        self.reader_ = LemmaReader(nlp)
        self.codes_ = tuple(c for c in self.codebook.codes if c.codable and _has_hints(c))
        self.keywords_ = self._index_keywords()
        entries = [(pos, c.id, c.patterns) for pos, c in enumerate(self.codes_) if c.patterns]
        self.patterns_ = PatternSet(nlp, self.reader_, entries)
        self.regexes_ = RegexSet(
            [(pos, rx, c.id) for pos, c in enumerate(self.codes_) for rx in c.regex]
        )
        roles = {**{role: (role, "any") for role in SPEAKER_ROLES}, "": ("any",)}
        self.role_codes_ = {
            role: frozenset(pos for pos, c in enumerate(self.codes_) if c.speaker_role in fits)
            for role, fits in roles.items()
        }
        return self

    def score(self, units: Sequence[Unit]) -> list[UnitScores]:
        """Score every unit: its matched codes, best first, with evidence (see module doc).

        Raises:
            CodingError: the coder is not fitted.
        """
        if not hasattr(self, "codes_"):
            raise CodingError("the rule coder is not fitted; call fit() before score()")
        return [self._score_unit(unit) for unit in units]

    def predict(self, units: Sequence[Unit]) -> list[Coding]:
        """Suggested codings (coder ``auto:rules``) for scores at or above the threshold.

        Each coding spans its whole unit: ``quote`` is the unit's text.
        """
        version = self.codebook.version if self.codebook.content_hash else ""
        return [
            Coding(
                0,
                s.unit.document_id,
                s.unit.start,
                s.unit.end,
                s.unit.text,
                code,
                CODER,
                "suggested",
                score=score,
                evidence=evidence,
                codebook_version=version,
            )
            for s in self.score(units)
            for code, score, evidence in s.scores
            if score >= self.threshold
        ]

    def _index_keywords(self) -> PhraseIndex[_Hint]:
        index: PhraseIndex[_Hint] = PhraseIndex()
        for pos, code in enumerate(self.codes_):
            for order, keyword in enumerate(code.keywords):
                index.add(self.reader_.phrase(keyword), _Hint(pos, _term(keyword), order, False))
            for keyword in code.exclude_keywords:
                index.add(self.reader_.phrase(keyword), _Hint(pos, _term(keyword), 0, True))
        return index

    def _score_unit(self, unit: Unit) -> UnitScores:
        allowed = self.role_codes_.get(unit.speaker_role, self.role_codes_[""])
        if not allowed:
            return UnitScores(unit, ())
        text = strip_marks(unit.text)
        doc, keys, lemmas = self.reader_.read(text)
        found: dict[int, tuple[dict[str, int], dict[str, int], dict[str, int]]] = {}
        vetoed: set[int] = set()
        for hint in self.keywords_.find(lemmas):
            if hint.code not in allowed:
                continue
            if hint.veto:
                vetoed.add(hint.code)
            else:
                _slot(found, hint.code)[0][hint.term] = hint.order
        if not allowed.isdisjoint(self.patterns_.positions):
            for pos, term, offset in self.patterns_.find(doc, keys, lemmas, allowed - vetoed):
                _slot(found, pos)[1].setdefault(term, offset)
        for pos, term, offset in self.regexes_.find(text, allowed - vetoed):
            _slot(found, pos)[2].setdefault(term, offset)
        ranked = []
        for pos, matches in found.items():
            if pos not in vetoed:
                n, evidence = _evidence(matches)
                ranked.append((-n, pos, evidence))
        ranked.sort()
        return UnitScores(
            unit, tuple((self.codes_[pos].id, rule_score(-neg), ev) for neg, pos, ev in ranked)
        )


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
        self._prefilter = Prefilter([sorted(words, key=_rarity) for words, _ in needs])
        self._heads: dict[int, set[str]] = {}
        for head in {h for words, _ in needs for need in words for h in need}:
            self._heads.setdefault(len(head), set()).add(head)
        self._word_heads: ComputedDict[str, frozenset[str]] = ComputedDict(self._heads_of)

    def find(self, text: str, allowed: frozenset[int]) -> list[tuple[int, str, int]]:
        """(code position, lower-cased matched text, offset) of every non-empty match."""
        if not self._compiled:
            return []
        words = set(_WORD.findall(text)) if self._heads else ()
        present = set().union(*map(self._word_heads.__getitem__, words))
        runs = range(len(self._compiled)) if _ALL in present else self._prefilter.passing(present)
        folded = text.lower() if text.isascii() else text.translate(_FOLD).lower()
        found: list[tuple[int, str, int]] = []
        for rid in runs:
            if self._codes[rid] in allowed and self._literals[rid] in folded:
                found.extend(
                    (self._codes[rid], _term(m.group()), m.start())
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


def _slot(
    found: dict[int, tuple[dict[str, int], dict[str, int], dict[str, int]]], pos: int
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    slot = found.get(pos)
    if slot is None:
        slot = found[pos] = ({}, {}, {})
    return slot


def _evidence(matches: tuple[dict[str, int], ...]) -> tuple[int, str]:
    """The number of distinct terms and the evidence text listing them.

    Each kind's terms are sorted by their key (codebook order for keywords, text offset for
    patterns and regexes); a term already listed under an earlier kind is left out.
    """
    seen: set[str] = set()
    parts = []
    for kind, found in zip(_KINDS, matches, strict=True):
        if not found:
            continue
        terms = sorted(found, key=found.__getitem__) if len(found) > 1 else list(found)
        if seen:
            terms = [t for t in terms if t not in seen]
        seen.update(terms)
        if len(terms) > EVIDENCE_TERMS:
            terms = [*terms[:EVIDENCE_TERMS], f"+{len(terms) - EVIDENCE_TERMS} more"]
        if terms:
            parts.append(f"{kind}: {', '.join(terms)}")
    return len(seen), "; ".join(parts)


def _has_hints(code: Code) -> bool:
    return bool(code.keywords or code.patterns or code.regex)


def _term(text: str) -> str:
    return " ".join(text.lower().split())
