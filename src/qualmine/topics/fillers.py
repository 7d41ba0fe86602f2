"""Words left out of topic words: English stop words, interview fillers, contraction pieces.

A topic's words come from a CountVectorizer over the units' text (transcription marks
already stripped). Before tokenizing, `prepare_text` lower-cases the text, drops the
multi-word fillers in ``FILLER_PHRASES`` and splits contractions (``don't`` -> ``do not``,
``it's`` -> ``it``); the tokens then pass through ``topic_stop_words()``: scikit-learn's
English list, ``FILLERS``, ``FUNCTION_WORDS`` and ``UNMARKED_CONTRACTIONS``. Two-word terms
are formed after stop words are removed, as scikit-learn does, so no term contains a stop
word.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# fmt: off
FILLERS: tuple[str, ...] = (
    # hesitations and back-channels
    "um", "umm", "uh", "uhm", "er", "erm", "ah", "oh", "hmm", "hm", "mm", "mmm", "mhm", "huh",
    # agreement and discourse markers
    "yeah", "yep", "yup", "yes", "nope", "nah", "okay", "ok", "alright", "right", "well",
    "sure", "like", "so", "anyway", "cool",
    # hedges and intensifiers
    "really", "actually", "basically", "literally", "honestly", "totally", "definitely",
    "probably", "maybe", "pretty", "quite", "just", "absolutely", "certainly", "obviously",
    "kinda", "sorta",
    # verbs of saying and thinking that frame an answer
    "think", "thought", "mean", "guess", "know", "say", "said", "saying", "suppose",
    # vague nouns
    "lot", "lots", "thing", "things", "stuff", "bit", "whatnot",
    # spoken contractions
    "gonna", "wanna", "gotta", "dunno", "cause", "cuz",
)
# fmt: on
"""Single-word fillers of spoken English: hesitations, back-channels, discourse markers,
hedges, verbs that frame an answer (``I think``, ``you know``) and vague nouns."""

FILLER_PHRASES: tuple[str, ...] = (
    "you know",
    "i mean",
    "kind of",
    "sort of",
    "you see",
    "a lot",
    "a bit",
    "and so on",
    "or something",
    "or whatever",
    "and stuff",
    "to be honest",
    "at the end of the day",
)
"""Multi-word fillers, removed from the text before tokenizing, so their words still
count where they mean something (``a kind person``)."""

# fmt: off
FUNCTION_WORDS: tuple[str, ...] = (
    "did", "does", "doing", "having", "got", "gets", "getting", "going", "goes", "went",
    "let", "ll", "ve", "re", "d", "s", "t", "m",
)
# fmt: on
"""Auxiliaries and verb forms missing from scikit-learn's list."""

# fmt: off
UNMARKED_CONTRACTIONS: tuple[str, ...] = (
    "im", "ive", "id", "ill", "youre", "youve", "youd", "youll", "theyre", "theyve", "theyd",
    "theyll", "weve", "hes", "shes", "itd", "itll", "thats", "thatll", "whats", "whos",
    "hows", "wheres", "whens", "whys", "theres", "heres", "lets", "dont", "didnt", "doesnt",
    "isnt", "wasnt", "arent", "werent", "havent", "hasnt", "hadnt", "wont", "wouldnt",
    "couldnt", "shouldnt", "cant", "aint", "wouldve", "couldve", "shouldve",
)
# fmt: on
"""Contractions typed without their apostrophe (``dont``, ``thats``); ``id`` and ``ill``
are here because in interviews they are nearly always I'd and I'll."""

TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"
"""A token is two or more letters: numbers and one-letter pieces never become topic words."""

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_NEGATIONS = ((re.compile(r"\bwon't\b"), "will not"), (re.compile(r"\bcan't\b"), "can not"))
_NOT = re.compile(r"n't\b")
_CLITIC = re.compile(r"'(?:s|re|ve|ll|d|m)\b")


@lru_cache(maxsize=1)
def topic_stop_words() -> frozenset[str]:
    """Every single word kept out of topic words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | frozenset(
        FILLERS + FUNCTION_WORDS + UNMARKED_CONTRACTIONS
    )


@lru_cache(maxsize=1)
def _phrase_pattern() -> re.Pattern[str]:
    phrases = sorted(FILLER_PHRASES, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")


def prepare_text(text: str) -> str:
    """Lower-case a unit's text, drop filler phrases and split contractions."""
    lowered = text.lower().translate(_APOSTROPHES)
    for pattern, replacement in _NEGATIONS:
        lowered = pattern.sub(replacement, lowered)
    lowered = _CLITIC.sub("", _NOT.sub(" not", lowered))
    return _phrase_pattern().sub(" ", lowered)


def is_filler_term(term: str) -> bool:
    """Whether a topic term holds a stop word or filler (it never should)."""
    words = term.split()
    return any(w in topic_stop_words() for w in words) or bool(_phrase_pattern().search(term))


UNIT_END = "\x1e"
"""Ends each unit's text in the documents BERTopic joins per topic: no term crosses it."""


def mark_unit(text: str) -> str:
    """A unit's text ended by ``UNIT_END`` (any inside it made a space)."""
    return text.replace(UNIT_END, " ") + UNIT_END


def make_vectorizer(ngram_range: tuple[int, int] = (1, 2)) -> Any:
    """The CountVectorizer that turns units into topic terms (one- and two-word terms).

    BERTopic joins a topic's units with spaces into one text, so a two-word term could
    join the last word of one unit and the first of the next: the terms are read unit by
    unit, between ``UNIT_END`` marks (`mark_unit`).
    """
    from sklearn.feature_extraction.text import CountVectorizer

    terms = CountVectorizer(
        preprocessor=prepare_text,
        token_pattern=TOKEN_PATTERN,
        stop_words=sorted(topic_stop_words()),
        ngram_range=ngram_range,
    ).build_analyzer()

    def unit_by_unit(text: str) -> list[str]:
        return [term for part in text.split(UNIT_END) for term in terms(part)]

    return CountVectorizer(analyzer=unit_by_unit)
