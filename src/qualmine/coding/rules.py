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

Cost. Units are read in batches (`BATCH_UNITS`): the lemmas of a whole batch are one array
(`qualmine.coding.words`), every keyword and phrase of every code is looked up in it at
once, and cheap tests on the whole batch pick the units in which a regex or a spaCy
pattern can match at all (see `RegexSet.candidate_units` and
`qualmine.coding.lemmas.PatternSet.candidate_units`); only those units are read one by one.
The time per unit grows with the hints that can match it, not with the size of the
codebook, and a batch gives exactly what its units give one at a time (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qualmine.coding.lemmas import PatternSet, PhraseIndex
from qualmine.coding.regexes import RegexSet, term_text
from qualmine.coding.runs import UnitScores
from qualmine.coding.units import Unit
from qualmine.coding.words import shared_word_reader
from qualmine.collection import paused_collection
from qualmine.errors import CodingError
from qualmine.language import load_pipeline
from qualmine.models import SPEAKER_ROLES, Code, Codebook, Coding
from qualmine.parsing import strip_marks

CODER = "auto:rules"
EVIDENCE_TERMS = 5
BATCH_UNITS = 20_000
"""Units read at once: memory stays bounded however many units are scored."""
"""At most this many terms of each kind are listed in the evidence (then ``+N more``)."""

_KINDS = ("keywords", "patterns", "regex")


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
        self.words_ = shared_word_reader()
        self.reader_ = self.words_.reader
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
        scored: list[UnitScores] = []
        with paused_collection():
            for first in range(0, len(units), BATCH_UNITS):
                scored.extend(self._score_batch(units[first : first + BATCH_UNITS]))
        return scored

    def _score_batch(self, units: Sequence[Unit]) -> list[UnitScores]:
        texts = [strip_marks(unit.text) for unit in units]
        words = self.words_.read(texts)
        hints = self.keywords_.find_units(words)
        patterned = self.patterns_.candidate_units(words)
        matched = self.regexes_.candidate_units(texts)
        return [
            self._score_unit(unit, text, hints.get(i, ()), i in patterned, i in matched)
            for i, (unit, text) in enumerate(zip(units, texts, strict=True))
        ]

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
                index.add(
                    self.reader_.phrase(keyword), _Hint(pos, term_text(keyword), order, False)
                )
            for keyword in code.exclude_keywords:
                index.add(self.reader_.phrase(keyword), _Hint(pos, term_text(keyword), 0, True))
        return index

    def _score_unit(
        self, unit: Unit, text: str, hints: Sequence[_Hint], patterned: bool, matched: bool
    ) -> UnitScores:
        allowed = self.role_codes_.get(unit.speaker_role, self.role_codes_[""])
        if not allowed or not (hints or patterned or matched):
            return UnitScores(unit, ())
        found: dict[int, tuple[dict[str, int], dict[str, int], dict[str, int]]] = {}
        vetoed: set[int] = set()
        for hint in hints:
            if hint.code not in allowed:
                continue
            if hint.veto:
                vetoed.add(hint.code)
            else:
                _slot(found, hint.code)[0][hint.term] = hint.order
        if patterned and not allowed.isdisjoint(self.patterns_.positions):
            doc, keys, lemmas = self.reader_.read(text)
            for pos, term, offset in self.patterns_.find(doc, keys, lemmas, allowed - vetoed):
                _slot(found, pos)[1].setdefault(term, offset)
        if matched:
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
