"""Token-level matching for the rule coder: lemmas, keyword phrases, spaCy patterns.

The rule coder reads each unit once: spaCy's tokenizer splits the text and each token's
lemma comes from the shared pipeline's lookup table, keyed by the lower-cased token and
cached by its hash, so the cost per token is one dictionary lookup. Keywords go through the
same function, so a keyword and the words it should match always agree (``trusted`` and
``trusts`` -> ``trust``, ``groups`` -> ``group``, ``relied`` -> ``rely``).

Two departures from the plain lookup table, both for matching:

- Lemmas are looked up lower-cased, so ``Trusted`` at the start of a sentence is ``trust``.
- ``ai`` keeps its form: the table maps it to ``have`` (it is the first half of
  ``ain't``), which in interviews about AI would turn every ``have`` into a match.

Whitespace tokens and hyphens are left out of the phrase sequence, so ``word-of-mouth``
reads as ``word of mouth`` and a blanked transcription mark does not break a phrase.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence, Set
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from qualmine.errors import CodingError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc

    from qualmine.coding.words import UnitWords

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Pattern = Sequence[Mapping[str, Any]]

_KEEP = {"ai": "ai"}
_FIXED = ("LOWER", "ORTH", "TEXT", "LEMMA")
_SKIPPED = frozenset({"-"})


class ComputedDict(dict[K, V]):
    """A dict that computes a missing value on first sight and keeps it."""

    def __init__(self, compute: Callable[[K], V]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, key: K) -> V:
        value = self[key] = self._compute(key)
        return value


class LemmaReader:
    """Tokens and lower-cased lemmas of a text, from the shared spaCy pipeline.

    Args:
        nlp: a pipeline with a lookup lemmatizer (`qualmine.language.load_pipeline`).
    """

    def __init__(self, nlp: Language) -> None:
        from spacy.attrs import LEMMA, LOWER

        self._tokenizer = nlp.tokenizer
        self._strings = nlp.vocab.strings
        lemmatizer: Any = nlp.get_pipe("lemmatizer")
        self._table = lemmatizer.lookups.get_table("lemma_lookup")
        self._lower_attr = LOWER
        self._lemma_attr = LEMMA
        self._lemmas: ComputedDict[int, str] = ComputedDict(
            lambda key: self.lemma(self._strings[key])
        )
        self._lemma_keys: dict[int, int] = {}

    def lemma(self, word: str) -> str:
        """The lower-cased lemma of one word; ``""`` for whitespace and hyphens."""
        lower = word.lower()
        if lower in _KEEP:
            return _KEEP[lower]
        if lower in _SKIPPED or lower.isspace() or not lower:
            return ""
        return str(self._table.get(lower, lower)).lower()

    def phrase(self, text: str) -> tuple[str, ...]:
        """The lemma sequence of a keyword or phrase (empty if it has no words)."""
        return tuple(lemma for lemma in self.read(text)[2] if lemma)

    def read(self, text: str) -> tuple[Doc, list[int], list[str]]:
        """Tokenize a text once.

        Returns:
            The spaCy Doc (no lemmas set), each token's lower-case hash, and each token's
            lemma (``""`` for tokens that phrases skip).
        """
        doc = self._tokenizer(text)
        keys: list[int] = doc.to_array(self._lower_attr).tolist()
        lemmas = self._lemmas
        return doc, keys, [lemmas[key] for key in keys]

    def set_lemmas(self, doc: Doc, keys: Sequence[int]) -> None:
        """Write the lemmas into a Doc from `read`, for spaCy patterns that use LEMMA."""
        import numpy

        known = self._lemma_keys
        for key in keys:
            if key not in known:
                lemma = self._lemmas[key] or self._strings[key]
                known[key] = self._strings.add(lemma)
        values: Any = numpy.array([known[key] for key in keys], dtype="uint64")
        doc.from_array([self._lemma_attr], values.reshape(-1, 1))


class PhraseIndex(Generic[T]):
    """Lemma phrases mapped to values; finds every phrase in a lemma sequence in one pass."""

    def __init__(self) -> None:
        self._single: dict[str, list[T]] = {}
        self._multi: dict[tuple[str, ...], list[T]] = {}
        self._lengths: dict[str, tuple[int, ...]] = {}

    def add(self, phrase: tuple[str, ...], value: T) -> None:
        """Add a phrase (a non-empty lemma tuple) with the value `find` returns for it."""
        if len(phrase) == 1:
            self._single.setdefault(phrase[0], []).append(value)
        elif phrase:
            self._multi.setdefault(phrase, []).append(value)
            lengths = {*self._lengths.get(phrase[0], ()), len(phrase)}
            self._lengths[phrase[0]] = tuple(sorted(lengths))

    def find(self, lemmas: Sequence[str]) -> list[T]:
        """The values of every phrase present in ``lemmas`` (``""`` entries are skipped).

        A value appears once per occurrence of a multi-word phrase and once for a
        single-word phrase however often it occurs; order is not meaningful.
        """
        words = [lemma for lemma in lemmas if lemma]
        single = self._single
        found = [value for word in single.keys() & words for value in single[word]]
        starts = self._lengths.keys() & words
        if starts:
            for i, word in enumerate(words):
                if word in starts:
                    for length in self._lengths[word]:
                        found.extend(self._multi.get(tuple(words[i : i + length]), ()))
        return found

    def find_units(self, words: UnitWords) -> dict[int, list[T]]:
        """Unit -> the values of every phrase present in it, for a batch of units.

        The values of a unit are those `find` gives for it alone (in another order).
        """
        found: dict[int, list[T]] = {}
        for lemma, units in words.units_with_each(list(self._single)).items():
            values = self._single[lemma]
            for unit in units.tolist():
                found.setdefault(unit, []).extend(values)
        for phrase, values in self._multi.items():
            for unit in words.phrase_units(phrase).tolist():
                found.setdefault(unit, []).extend(values)
        return found


class Prefilter(Generic[K]):
    """Which of many items can match a unit, judged from the keys the unit holds.

    Each item has needs, and each need is a set of keys one of which the unit must hold; an
    item without needs always passes. An item is indexed under its first need only (callers
    put the rarest first), so the work per unit grows with the items whose first need is
    met, not with all items.

    Args:
        needs: for each item, its needs.
    """

    def __init__(self, needs: Sequence[Sequence[frozenset[K]]]) -> None:
        self._needs = [tuple(n) for n in needs]
        self._always = [i for i, n in enumerate(self._needs) if not n]
        self._index: dict[K, list[int]] = {}
        for i, item_needs in enumerate(self._needs):
            for key in item_needs[0] if item_needs else ():
                self._index.setdefault(key, []).append(i)

    def passing(self, present: Set[K]) -> list[int]:
        """The items (by position, in order) whose needs ``present`` all meets."""
        candidates = set(self._always)
        for key in self._index.keys() & present:
            candidates.update(self._index[key])
        needs = self._needs
        return sorted(i for i in candidates if all(not present.isdisjoint(n) for n in needs[i]))


def rarest_first(
    needs: Sequence[tuple[frozenset[K], frozenset[str]]], stop_words: Set[str]
) -> list[frozenset[K]]:
    """Needs ordered rarest first, judged by their words: the longest shortest non-stop word.

    Args:
        needs: (keys, the words they stand for) per need.
        stop_words: words that count as the most common (length 0).
    """

    def rarity(words: frozenset[str]) -> int:
        return min((0 if w in stop_words else len(w) for w in words), default=0)

    ranked = sorted(range(len(needs)), key=lambda i: -rarity(needs[i][1]))
    return [needs[i][0] for i in ranked]


class PatternSet:
    """spaCy Matcher patterns of many codes, each code's run only where its words occur.

    A pattern can match only a unit that holds, for every required token of the pattern
    with a fixed ``LOWER``, ``ORTH``, ``TEXT`` or ``LEMMA`` (or an ``IN`` list of them), a
    token with one of those values; the set checks this on the unit's words before it runs
    a code's Matcher, so the cost does not grow with codes the unit cannot match. Patterns
    see the lower-cased lemmas of `LemmaReader`; ``LEMMA`` values in a pattern are
    lower-cased to agree. A code's patterns keep their longest matches (spaCy's
    ``greedy="LONGEST"``).

    Args:
        nlp: the pipeline whose vocabulary the patterns use.
        reader: the reader whose `LemmaReader.read` output `find` receives.
        entries: (code position, code id, the code's patterns).

    Raises:
        CodingError: a pattern is not a valid spaCy Matcher pattern.
    """

    def __init__(
        self,
        nlp: Language,
        reader: LemmaReader,
        entries: Sequence[tuple[int, str, Sequence[Pattern]]],
    ) -> None:
        from spacy.matcher import Matcher

        self._reader = reader
        self._sentencizer = nlp.get_pipe("sentencizer") if "sentencizer" in nlp.pipe_names else None
        self._codes: list[tuple[int, Matcher, bool, bool]] = []
        needs: list[list[frozenset[int | str]]] = []
        lemma_needs: list[list[tuple[frozenset[int | str], frozenset[str]]]] = []
        self._pattern_code: list[int] = []
        stop_words = nlp.Defaults.stop_words
        for pos, code_id, patterns in entries:
            lowered = [_lower_lemmas(p) for p in patterns]
            matcher = Matcher(nlp.vocab, validate=True)
            try:
                matcher.add(code_id, lowered, greedy="LONGEST")
            except Exception as error:
                raise CodingError(f"code {code_id}: invalid spaCy pattern: {error}") from None
            self._codes.append(
                (pos, matcher, _uses(lowered, "LEMMA"), _uses(lowered, "IS_SENT_START"))
            )
            for pattern in lowered:
                pattern_needs = _pattern_needs(pattern, nlp.vocab.strings)
                lemma_needs.append(pattern_needs)
                needs.append(rarest_first(pattern_needs, stop_words))
                self._pattern_code.append(len(self._codes) - 1)
        self._prefilter = Prefilter(needs)
        self.positions = frozenset(pos for pos, *_ in self._codes)
        self._lemma_needs = [
            [frozenset(reader.lemma(w) for w in words) - {""} for _, words in pattern_needs]
            for pattern_needs in lemma_needs
        ]

    def candidate_units(self, words: UnitWords) -> set[int]:
        """The units of a batch in which some pattern can match, judged by their lemmas.

        A token with a fixed value that a pattern requires has that value's lemma, so a
        unit without it cannot match; `find` is then run on the other units alone.
        """
        found: set[int] = set()
        everyone = set(range(words.n_units))
        for needs in self._lemma_needs:
            units = everyone
            for lemmas in needs:
                if lemmas:
                    units = units & words.units_holding_any(sorted(lemmas))
            found |= units
            if len(found) == words.n_units:
                break
        return found

    def find(
        self, doc: Doc, keys: list[int], lemmas: list[str], allowed: frozenset[int]
    ) -> list[tuple[int, str, int]]:
        """(code position, lower-cased matched text, offset) of every pattern match.

        Args:
            doc: the unit's Doc, as `LemmaReader.read` returned it (lemmas get set here).
            keys: the tokens' lower-case hashes, from the same call.
            lemmas: the tokens' lemmas, from the same call.
            allowed: positions of the codes to run.
        """
        present: set[int | str] = {*keys, *lemmas}
        found: list[tuple[int, str, int]] = []
        lemmas_set = sentences_set = False
        passing = sorted({self._pattern_code[i] for i in self._prefilter.passing(present)})
        for item in passing:
            pos, matcher, uses_lemmas, uses_sentences = self._codes[item]
            if pos not in allowed:
                continue
            if uses_lemmas and not lemmas_set:
                self._reader.set_lemmas(doc, keys)
                lemmas_set = True
            if uses_sentences and not sentences_set and self._sentencizer is not None:
                doc = self._sentencizer(doc)
                sentences_set = True
            for _, start, end in matcher(doc):
                span = doc[start:end]
                found.append((pos, " ".join(span.text.lower().split()), span.start_char))
        return found


def _pattern_needs(
    pattern: Pattern, strings: Any
) -> list[tuple[frozenset[int | str], frozenset[str]]]:
    """For each required token with fixed values, the keys one of which must occur.

    Keys are lower-case hashes (LOWER, ORTH, TEXT) and lemmas (LEMMA, which also accepts
    the lower-case hash of the same word), each with the words they stand for.
    """
    needs = []
    for token in pattern:
        if token.get("OP", "+") != "+":
            continue
        for key, value in token.items():
            values = value.get("IN") if isinstance(value, dict) and len(value) == 1 else [value]
            if key.upper() not in _FIXED or not isinstance(values, list) or not values:
                continue
            if all(isinstance(v, str) for v in values):
                words = frozenset(str(v).lower() for v in values)
                hashes = frozenset(strings.add(w) for w in words)
                needs.append((hashes | words if key.upper() == "LEMMA" else hashes, words))
                break
    return needs


def _lower_lemmas(pattern: Pattern) -> list[dict[str, Any]]:
    """A pattern with its LEMMA values lower-cased (lemmas here are lower-case)."""
    return [
        {k: _lower_value(v) if k.upper() == "LEMMA" else v for k, v in token.items()}
        for token in pattern
    ]


def _lower_value(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, dict):
        return {k: _lower_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_value(v) for v in value]
    return value


def _uses(patterns: Sequence[Pattern], attribute: str) -> bool:
    return any(key.upper() == attribute for p in patterns for token in p for key in token)
