"""The lemmas of many units at once, for the rule coder's keyword matching.

spaCy's tokenizer splits a text at white space first and then works on each
white-space-delimited chunk alone (special cases such as ``don't`` -> ``do n't`` or
``cannot`` -> ``can not``, then prefixes, suffixes and infixes), so a text's tokens are a
function of its chunks. `WordReader` uses that: each distinct chunk is read once. A plain
word, alone or followed by one comma, colon, semicolon, question or exclamation mark, or by
a full stop where spaCy's suffix rule splits one off (after a lower-case ASCII letter or two
upper-case ones: ``work.``, ``AI.``, not ``I.`` or ``eV.``), is cut by a regular
expression (the common case); any other chunk, and any chunk spaCy lists as a special case
(``Dr.``, ``etc.``), goes to spaCy's tokenizer. A batch of units becomes one array of lemma
ids with a separator between units; keyword phrases are then found for all units at once
(`UnitWords`), and spaCy builds a Doc only for the units that a spaCy pattern can match.

The lemmas are those of `qualmine.coding.lemmas.LemmaReader` (lower-cased lookup lemmas,
whitespace and hyphens left out), so a unit read here gives the same lemma sequence as
`LemmaReader.read` gives it alone (checked over the example study and the oral histories
in the tests).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qualmine.coding.lemmas import ComputedDict, LemmaReader
from qualmine.language import load_pipeline

SEPARATOR = 0
"""The lemma id between two units' lemmas; no lemma has it."""

_BREAK = "\x00"  # the chunk put between two units' texts
_SIMPLE = re.compile(r"([^\W\d_]+)([,!?;:]|(?<=[a-z])\.|(?<=[A-Z][A-Z])\.)?")


class WordReader:
    """Reads units into `UnitWords`, caching what each distinct chunk holds.

    Args:
        reader: gives each token's lemma.
        tokenizer: spaCy's tokenizer, for the chunks the regular expression does not cut.
    """

    def __init__(self, reader: LemmaReader, tokenizer: Any) -> None:
        self.reader = reader
        self._lemma = reader.lemma
        self._tokenizer = tokenizer
        self._special = frozenset(tokenizer.rules or ())
        self.ids: dict[str, int] = {"": SEPARATOR}
        self._chunks: ComputedDict[str, tuple[int, ...]] = ComputedDict(self._chunk_ids)
        self._chunks[_BREAK] = (SEPARATOR,)
        self._tokens: ComputedDict[str, int] = ComputedDict(self._token_id)

    def read(self, texts: Sequence[str]) -> UnitWords:
        """The lemma ids of every text, with `SEPARATOR` after each one."""
        if any(_BREAK in text for text in texts):  # never in a transcript; kept correct anyway
            texts = [text.replace(_BREAK, " ") for text in texts]
        chunks = self._chunks
        joined = f" {_BREAK} ".join(texts) + f" {_BREAK}" if texts else ""
        # 32-bit ids: half the memory of 64-bit ones for every array a batch makes.
        lemmas = np.fromiter(
            chain.from_iterable(map(chunks.__getitem__, joined.split())), dtype=np.int32
        )
        ends = lemmas == SEPARATOR
        units = np.cumsum(ends, dtype=np.int32) - ends
        return UnitWords(lemmas, units, len(texts), self.ids)

    def _chunk_ids(self, chunk: str) -> tuple[int, ...]:
        simple = _SIMPLE.fullmatch(chunk)
        if simple and chunk not in self._special and simple[1] not in self._special:
            tokens: Sequence[str] = [simple[1], simple[2]] if simple[2] else [chunk]
        else:
            tokens = [token.text for token in self._tokenizer(chunk)]
        found = [self._tokens[token] for token in tokens]
        return tuple(i for i in found if i != SEPARATOR)

    def _token_id(self, token: str) -> int:
        return self.ids.setdefault(self._lemma(token), len(self.ids))


@lru_cache(maxsize=1)
def shared_word_reader() -> WordReader:
    """The process's reader over the shared pipeline; what it learns of each chunk stays.

    As spaCy's tokenizer keeps its own cache of the chunks it has split, this reader keeps
    the lemma ids of every chunk it has read, for every coder fitted in the process.
    """
    nlp = load_pipeline()
    return WordReader(LemmaReader(nlp), nlp.tokenizer)


@dataclass
class UnitWords:
    """The lemma ids of a batch of units, in one array.

    Attributes:
        lemmas: the lemma id of every token, units one after another, each followed by
            `SEPARATOR`.
        units: the unit (position in the batch) of each entry of ``lemmas``.
        n_units: the number of units.
        ids: lemma -> lemma id.
    """

    lemmas: NDArray[np.int32]
    units: NDArray[np.int32]
    n_units: int
    ids: dict[str, int]

    def units_with_each(self, lemmas: Sequence[str]) -> dict[str, NDArray[np.int32]]:
        """For each of ``lemmas`` present in the batch, the units holding it, in order."""
        names = {self.ids[m]: m for m in lemmas if self.ids.get(m, SEPARATOR) != SEPARATOR}
        if not names:
            return {}
        hit = np.isin(self.lemmas, np.fromiter(names, dtype=np.int32))
        size = max(self.n_units, 1)
        pairs = np.unique(self.lemmas[hit].astype(np.int64) * size + self.units[hit])
        if not len(pairs):
            return {}
        found, units = pairs // size, pairs % size
        starts = np.flatnonzero(np.diff(found, prepend=-1))
        return {
            names[int(found[first])]: group
            for first, group in zip(starts.tolist(), np.split(units, starts[1:]), strict=True)
        }

    def phrase_units(self, phrase: Sequence[str]) -> NDArray[np.int32]:
        """The unit of every occurrence of a lemma phrase (a unit once per occurrence)."""
        ids = [self.ids.get(lemma) for lemma in phrase]
        if not phrase or any(i is None or i == SEPARATOR for i in ids):
            return np.empty(0, dtype=np.int32)
        size = len(self.lemmas) - len(ids) + 1
        if size <= 0:
            return np.empty(0, dtype=np.int32)
        hit = self.lemmas[:size] == ids[0]
        for shift, lemma_id in enumerate(ids[1:], start=1):
            hit &= self.lemmas[shift : shift + size] == lemma_id
        return self.units[np.flatnonzero(hit)]

    def units_holding_any(self, lemmas: Sequence[str]) -> set[int]:
        """The units holding at least one of ``lemmas``."""
        return set(chain.from_iterable(u.tolist() for u in self.units_with_each(lemmas).values()))
