"""Finding people in text: word lists, tokens, the registry of entities and their pseudonyms,
the forms a person is found by, the capitalised-words heuristic and spaCy NER.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

TITLES = frozenset(("dr", "mr", "mrs", "ms", "miss", "prof", "professor", "sir", "dame"))
_GENERIC_LABEL = re.compile(
    r"(?i)^(?:interviewer|interviewee|participant|respondent|moderator|facilitator|speaker|"
    r"researcher|narrator|audience|unknown|voice|int|resp|iv|ie|q|a|i|r|p)"
    r"(?:[\s#._-]*\d*|[\s#._-]+[A-Za-z]{1,2})$"
)
_CODE_LIKE = re.compile(r"^(?:[A-Z]{1,4}[-_]?\d+[A-Za-z]?|\d+|\[[A-Z]+-\d+\])$")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_GAP = re.compile(r"\.?[ \t\u00a0]")
_SENTENCE_ENDS = frozenset(".!?:;\n…")
_OPENERS = frozenset(" \t\"“”‘’'([{")


def _words(*lines: str) -> frozenset[str]:
    return frozenset(w for line in lines for w in line.split())


# Words that make a capitalised run a place, an institution or a date, not a person.
_NOT_NAMES = _words(
    "the a an and but or of in on at to for with from by my our his her their this that",
    "these those it we he she they you i oh well yes no so then when what where why how who",
    "if as not now okay ok dear thanks thank hi hello today yesterday tomorrow center",
    "centre space station project program programme history oral office national",
    "international mission control university college school committee administration",
    "agency corporation company department museum institute library corps peace archives",
    "records personnel headquarters laboratory lab flight shuttle air force army navy",
    "marine government service services association society foundation council board group",
    "division branch section team building street road avenue river lake mountain island",
    "islands city county state states united kingdom republic north south east west new",
    "saint st san los las santa fort port mount bay beach park hall house church hospital",
    "bank conference review week day monday tuesday wednesday thursday friday saturday",
    "sunday january february march april may june july august september october november",
    "december christmas easter english spanish french german american european african",
    "asian japanese chinese russian soviet union world war earth moon sun god lord internet",
    "web online system systems center's",
)


@dataclass(slots=True)
class Entity:
    """One person, organisation, address or number, and what replaces it."""

    kind: str
    original: str
    pseudonym: str
    forms: set[str] = field(default_factory=set)


@lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    """Lowercase English words: the keys and lemmas of spaCy's English lookup table."""
    import spacy_lookups_data
    import srsly

    table = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    data = srsly.read_gzip_json(table)
    return frozenset(w.lower() for pair in data.items() for w in pair)


def _norm(token: str) -> str:
    return token.lower().replace("’", "'")


def tokens(text: str) -> list[tuple[int, int, str]]:
    """Word tokens as (start, end, normalised form); a possessive 's stays outside."""
    out = []
    for m in _WORD.finditer(text):
        start, end = m.start(), m.end()
        if end - start > 2 and text[end - 2] in "'’" and text[end - 1] in "sS":
            end -= 2
        out.append((start, end, _norm(text[start:end])))
    return out


def _form(text: str) -> tuple[str, ...]:
    return tuple(t[2] for t in tokens(text))


def name_like(label: str) -> bool:
    """Whether a speaker label or case id looks like a person's name."""
    label = label.strip()
    if not label or _GENERIC_LABEL.match(label) or _CODE_LIKE.match(label):
        return False
    return any(w[:1].isupper() and len(w) > 1 for w in _WORD.findall(label))


class Registry:
    """Every entity with its forms, and the numbering of pseudonyms by kind."""

    def __init__(self, taken: Callable[[str], bool]) -> None:
        self.entities: list[Entity] = []
        self.by_form: dict[tuple[str, ...], Entity] = {}
        self.by_value: dict[tuple[str, str], Entity] = {}
        self._taken = taken
        self._numbers: dict[str, int] = {}
        self.longest = 1

    def _next(self, kind: str) -> str:
        while True:
            self._numbers[kind] = self._numbers.get(kind, 0) + 1
            n = self._numbers[kind]
            label = f"P{n:02d}" if kind == "participant" else f"[{kind.upper()}-{n}]"
            if not self._taken(label):
                return label

    def add(self, kind: str, original: str, pseudonym: str = "") -> Entity:
        """A new entity, or the one already holding this original."""
        key = (kind if kind in ("email", "phone", "url") else "name", original.casefold())
        if key in self.by_value:
            return self.by_value[key]
        entity = Entity(kind, original, pseudonym or self._next(kind))
        self.entities.append(entity)
        self.by_value[key] = entity
        return entity

    def add_form(self, form: tuple[str, ...], entity: Entity, surface: str = "") -> None:
        """Map a token sequence to an entity (the first entity to claim it keeps it)."""
        if form and form not in self.by_form:
            self.by_form[form] = entity
            self.longest = max(self.longest, len(form))
        if surface:
            entity.forms.add(surface)


def person_forms(full: str) -> Iterator[tuple[tuple[str, ...], bool]]:
    """The token sequences a person is found by, each with whether it is a lone word."""
    words = _form(full)
    words = tuple(w for w in words if w not in TITLES) or words
    if not words:
        return
    spaced = tuple(p for w in words for p in w.split("-"))
    plain = tuple(w for w in words if len(w) > 1)
    for variant in {words, spaced, plain, (words[0], words[-1]) if len(words) > 1 else words}:
        yield variant, len(variant) == 1
    if len(plain) > 2:
        yield plain[-2:], False
    for title in TITLES:
        yield (title, words[-1]), False
        yield (title, *words), False
    common = ordinary_words()
    for lone in {words[-1], words[0]}:
        if len(lone) >= 3 and lone not in common and not _GENERIC_LABEL.match(lone):
            yield (lone,), True


def _sentence_start(text: str, at: int) -> bool:
    i = at - 1
    while i >= 0 and text[i] in _OPENERS:
        i -= 1
    return i < 0 or text[i] in _SENTENCE_ENDS


def joined(text: str, a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Whether two tokens stand together in a name: one space, or ". " after an initial."""
    gap = text[a[1] : b[0]]
    if gap[:1] == ".":
        return (len(a[2]) == 1 or a[2] in TITLES) and _GAP.fullmatch(gap) is not None
    return _GAP.fullmatch(gap) is not None


def _capitalised(text: str, tok: tuple[int, int, str]) -> bool:
    word = text[tok[0] : tok[1]]
    if len(word) == 1:
        return word.isupper() and text[tok[1] : tok[1] + 1] == "."
    return word[0].isupper() and any(c.islower() for c in word)


def capitalised_runs(text: str) -> Iterator[tuple[int, int, tuple[str, ...], bool]]:
    """Runs of capitalised words: (start, end, normalised words, at a sentence start)."""
    toks = tokens(text)
    i = 0
    while i < len(toks):
        if not _capitalised(text, toks[i]):
            i += 1
            continue
        j = i
        while (
            j + 1 < len(toks)
            and _capitalised(text, toks[j + 1])
            and joined(text, toks[j], toks[j + 1])
        ):
            j += 1
        run = toks[i : j + 1]
        yield run[0][0], run[-1][1], tuple(t[2] for t in run), _sentence_start(text, run[0][0])
        i = j + 1


_CUES = frozenset(("by", "with", "and", "named", "called", "is", "was", "interviewing", "am"))


def _cued(text: str, start: int) -> bool:
    """Whether the words before ``start`` introduce a person ("assisted by", "and", ...)."""
    before = text[max(0, start - 20) : start].split()
    return bool(before) and before[-1].lower().strip(",") in _CUES


def heuristic_names(text: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """People found by the capitalised-words heuristic: (surface, form).

    A run of two or more capitalised words, not at a sentence start and without a word
    such as Center or May, is a person when one of its words is not an ordinary English
    word, or when a word such as "by", "with" or "and" comes just before it.
    """
    common = ordinary_words()
    for start, end, words, at_start in capitalised_runs(text):
        titled = words[0] in TITLES
        lead = 0
        while lead < len(words) and words[lead] in _NOT_NAMES and words[lead] not in TITLES:
            lead += 1
        rest = words[lead:]
        if any(w in _NOT_NAMES for w in rest):
            continue
        named = [w for w in rest if w not in TITLES and len(w) > 1]
        if titled and lead == 0 and named:
            yield text[start:end], rest
        elif len(named) >= 2 and not (at_start and lead == 0):
            surface = text[start:end]
            if lead:
                surface = " ".join(surface.split()[lead:])
            if any(w not in common for w in named) or (lead == 0 and _cued(text, start)):
                yield surface, rest


def ner_people(texts: Iterable[str]) -> list[str]:
    """PERSON entities from an installed spaCy NER pipeline, or none when none is installed."""
    import importlib.util

    name = next(
        (
            n
            for n in ("en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm")
            if importlib.util.find_spec(n) is not None
        ),
        None,
    )
    if name is None:
        return []
    import spacy

    nlp = spacy.load(name, exclude=["lemmatizer"])
    nlp.max_length = max(nlp.max_length, 10_000_000)
    found: list[str] = []
    for doc in nlp.pipe(texts):
        found.extend(e.text for e in doc.ents if e.label_ == "PERSON" and " " in e.text.strip())
    return found
