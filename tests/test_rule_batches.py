"""The rule coder reads units in batches: lemmas of many units at once, candidates for the
regexes and spaCy patterns found for a whole batch. Batches must give exactly what reading
each unit alone gives. Real files: the example study's transcripts and codebook, and
oral histories from tests/data."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from qualmine.codebook import load_codebook
from qualmine.coding import rules
from qualmine.coding.lemmas import LemmaReader
from qualmine.coding.rules import RuleCoder
from qualmine.coding.units import Unit
from qualmine.coding.words import SEPARATOR, UnitWords, WordReader
from qualmine.language import load_pipeline
from qualmine.parsing import read_transcripts, segment_turns, strip_marks

ROOT = Path(__file__).resolve().parents[1]


def lemma_sequences(words: UnitWords) -> list[list[int]]:
    """Each unit's lemma ids, in order."""
    ends = [i for i, lemma in enumerate(words.lemmas.tolist()) if lemma == SEPARATOR]
    return [words.lemmas[a + 1 : b].tolist() for a, b in zip([-1, *ends], ends, strict=False)]


ORAL = Path(__file__).parent / "data" / "oral-histories" / "rendered_txt"


def _units(paths: list[Path]) -> list[Unit]:
    units = []
    for number, path in enumerate(paths, start=1):
        for document in read_transcripts(path):
            turns = {t.index: t for t in document.turns}
            for segment in segment_turns(document.text, document.turns):
                turn = turns[segment.turn_index]
                text = document.text[segment.start : segment.end]
                units.append(
                    Unit(
                        number,
                        segment.start,
                        segment.end,
                        text,
                        turn.speaker_role,
                        turn.case,
                        turn.index,
                        ((segment.start, segment.end),),
                    )
                )
    return units


@pytest.fixture(scope="module")
def study_units() -> list[Unit]:
    return _units(sorted((ROOT / "transcripts").glob("*.md")))


def test_batch_lemmas_equal_spacy_tokens_unit_by_unit(study_units: list[Unit]) -> None:
    units = study_units + _units(sorted(ORAL.glob("*.txt"))[:6])
    texts = [strip_marks(u.text) for u in units]
    nlp = load_pipeline()
    reader = LemmaReader(nlp)
    words = WordReader(reader, nlp.tokenizer).read(texts)
    names = {i: lemma for lemma, i in words.ids.items()}
    assert len(texts) > 3_000
    for text, ids in zip(texts, lemma_sequences(words), strict=True):
        assert [names[i] for i in ids] == [lemma for lemma in reader.read(text)[2] if lemma]


def test_contractions_and_special_cases_read_as_spacy_reads_them() -> None:
    nlp = load_pipeline()
    reader = LemmaReader(nlp)
    texts = ["I cannot say, don't ask.", "We're gonna e.g. trust it!", "peer", "group"]
    words = WordReader(reader, nlp.tokenizer).read(texts)
    names = {i: lemma for lemma, i in words.ids.items()}
    for text, ids in zip(texts, lemma_sequences(words), strict=True):
        assert [names[i] for i in ids] == [lemma for lemma in reader.read(text)[2] if lemma]
    assert [names[i] for i in lemma_sequences(words)[0]][:4] == ["i", "can", "not", "say"]
    # a phrase never runs from the end of one unit into the next
    assert words.phrase_units(("peer", "group")).tolist() == []
    assert words.units_with_each(["peer"])["peer"].tolist() == [2]


def test_every_short_word_shape_reads_as_spacy_reads_it() -> None:
    nlp = load_pipeline()
    reader = LemmaReader(nlp)
    letters = "aZeIçé"
    words = ["".join(p) for n in (1, 2, 3) for p in itertools.product(letters, repeat=n)]
    chunks = [w + end for w in words for end in ("", ".", ",", "!", "?", ";", ":", "'s")]
    read = WordReader(reader, nlp.tokenizer).read(chunks)
    names = {i: lemma for lemma, i in read.ids.items()}
    for chunk, ids in zip(chunks, lemma_sequences(read), strict=True):
        assert [names[i] for i in ids] == [m for m in reader.read(chunk)[2] if m], chunk


@pytest.mark.parametrize("batch", [7, 20_000])
def test_batches_score_as_units_alone(
    study_units: list[Unit], batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    codebook = load_codebook(ROOT / "codebooks" / "study.yaml")
    kinds = {
        k
        for c in codebook.codes
        for k in ("regex", "patterns", "exclude_keywords")
        if getattr(c, k)
    }
    assert kinds == {"regex", "patterns", "exclude_keywords"}
    monkeypatch.setattr(rules, "BATCH_UNITS", batch)
    coder = RuleCoder(codebook).fit()
    together = coder.score(study_units)
    alone = [coder.score([u])[0] for u in study_units]
    assert together == alone
    coded = [s for s in together if s.scores]
    assert len(coded) > 150
    evidence = " ".join(ev for s in coded for _, _, ev in s.scores)
    assert "patterns:" in evidence and "regex:" in evidence and "keywords:" in evidence


def test_candidates_hold_every_unit_a_regex_or_pattern_matches(study_units: list[Unit]) -> None:
    coder = RuleCoder(load_codebook(ROOT / "codebooks" / "study.yaml")).fit()
    everything = frozenset(range(len(coder.codes_)))
    texts = [strip_marks(u.text) for u in study_units]
    by_regex = {i for i, t in enumerate(texts) if coder.regexes_.find(t, everything)}
    by_pattern = {
        i for i, t in enumerate(texts) if coder.patterns_.find(*coder.reader_.read(t), everything)
    }
    assert len(by_regex) > 50 and len(by_pattern) > 50
    assert by_regex <= coder.regexes_.candidate_units(texts)
    assert by_pattern <= coder.patterns_.candidate_units(coder.words_.read(texts))
    # the filters do filter: most units are no candidate
    assert len(coder.regexes_.candidate_units(texts)) < len(texts) * 0.6
