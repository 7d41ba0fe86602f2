"""The spaCy pipeline every stage shares: blank English, sentencizer, lookup lemmatizer.

A trained English pipeline is used only when asked for by name and installed; nothing here
downloads anything.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

# Token attributes the default pipeline sets; patterns may use only these (plus OP).
SETTABLE_ATTRIBUTES = frozenset(
    {
        "ORTH",
        "TEXT",
        "LOWER",
        "LEMMA",
        "NORM",
        "SHAPE",
        "LENGTH",
        "PREFIX",
        "SUFFIX",
        "IS_ALPHA",
        "IS_ASCII",
        "IS_DIGIT",
        "IS_LOWER",
        "IS_UPPER",
        "IS_TITLE",
        "IS_PUNCT",
        "IS_SPACE",
        "IS_STOP",
        "IS_SENT_START",
        "LIKE_NUM",
        "LIKE_URL",
        "LIKE_EMAIL",
        "IS_BRACKET",
        "IS_QUOTE",
        "IS_LEFT_PUNCT",
        "IS_RIGHT_PUNCT",
        "IS_CURRENCY",
        "OP",
    }
)
UNSET_ATTRIBUTES = frozenset({"POS", "TAG", "DEP", "ENT_TYPE", "ENT_IOB", "ENT_ID", "MORPH"})


@lru_cache(maxsize=1)
def load_pipeline() -> Language:
    """The shared pipeline (built once per process)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp
