"""The embedding cache: compute once, read back exactly, whatever the batches."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from qualmine.coding.units import Unit
from qualmine.embedding import (
    ENCODERS,
    EmbeddingStats,
    Encoder,
    embed_texts,
    embed_units,
    embedding_stats,
    embedding_text,
    text_key,
)
from qualmine.embedding.encoders import load_minilm
from qualmine.errors import QualmineError
from qualmine.storage import open_database

TEXTS = [
    "I trust what I read in the professional forums.",
    "Salespeople calling me all day is the worst part of the job.",
    "We meet every Thursday to review the budget.",
    "Honestly, the online reviews decided it for me.",
    "I never answer cold emails from vendors.",
]


@dataclass
class FakeEncoder:
    """Deterministic vectors from a text's hash; records every batch it encodes."""

    model: str = "fake-hash"
    dim: int = 8
    batches: list[list[str]] = field(default_factory=list)
    fail_on_batch: int | None = None
    width: int | None = None  # the width it really gives, when not ``dim``

    def encode(self, texts: Sequence[str], batch_size: int) -> NDArray[np.float32]:
        if self.fail_on_batch is not None and len(self.batches) == self.fail_on_batch:
            raise KeyboardInterrupt
        self.batches.append(list(texts))
        rows = [
            np.frombuffer(hashlib.sha256(t.encode()).digest()[: self.width or self.dim], np.uint8)
            for t in texts
        ]
        return np.asarray(rows, dtype=np.float32) + 1.0


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = open_database(tmp_path / "p.db")
    yield connection
    connection.close()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeEncoder:
    encoder = FakeEncoder()
    monkeypatch.setitem(ENCODERS, "fake", encoder)
    return encoder


@pytest.fixture(scope="session")
def minilm() -> Encoder:
    """The real encoder with its model loaded once for the whole test session."""
    load_minilm()
    return ENCODERS["minilm"]


def computed_by(call: Callable[[], object]) -> EmbeddingStats:
    before = embedding_stats()
    call()
    return embedding_stats() - before


def stored_rows(conn: sqlite3.Connection, model: str) -> dict[str, bytes]:
    rows = conn.execute("SELECT text_hash, vector FROM embeddings WHERE model = ?", (model,))
    return {key: blob for key, blob in rows}


# --- text keys -----------------------------------------------------------------------------


def test_text_key_ignores_marks_white_space_and_unicode_form() -> None:
    plain = "Well I suppose so."
    assert text_key("Well [laughs] I  suppose\nso. ") == text_key(plain)
    assert text_key("Well (inaudible 00:12:31) I suppose so.") == text_key(plain)
    assert text_key(unicodedata.normalize("NFD", "Café rules.")) == text_key("Café rules.")
    assert text_key("Well I suppose not.") != text_key(plain)
    assert embedding_text("  [laughs]  Yes.\n\n[pause] No. ") == "Yes. No."


def test_text_key_takes_extra_marks() -> None:
    assert text_key("Yes [tape 2] sure.", ["re:\\[tape \\d+\\]"]) == text_key("Yes sure.")
    assert text_key("Yes [tape 2] sure.") != text_key("Yes sure.")


# --- cache logic, with a fake encoder ------------------------------------------------------


def test_only_missing_texts_are_computed_once_each(
    conn: sqlite3.Connection, fake: FakeEncoder
) -> None:
    texts = [*TEXTS, TEXTS[0], "  " + TEXTS[1]]
    first = computed_by(lambda: embed_texts(conn, texts, encoder="fake"))
    assert first == EmbeddingStats(computed=5, cached=0)
    second = computed_by(lambda: embed_texts(conn, [*TEXTS, "a new one"], encoder="fake"))
    assert second == EmbeddingStats(computed=1, cached=5)
    assert sum(len(b) for b in fake.batches) == 6


def test_rows_come_back_in_input_order_with_unit_length(
    conn: sqlite3.Connection, fake: FakeEncoder
) -> None:
    vectors = embed_texts(conn, [TEXTS[2], TEXTS[0], TEXTS[2]], encoder="fake")
    assert vectors.dtype == np.float32 and vectors.shape == (3, 8)
    assert np.array_equal(vectors[0], vectors[2])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    alone = embed_texts(conn, [TEXTS[0]], encoder="fake")
    assert alone.tobytes() == vectors[1].tobytes()


def test_batches_follow_length_then_key_whatever_the_input_order(
    tmp_path: Path, fake: FakeEncoder
) -> None:
    for name, texts in (("a.db", TEXTS), ("b.db", TEXTS[::-1])):
        connection = open_database(tmp_path / name)
        embed_texts(connection, texts, encoder="fake", batch_size=2)
        connection.close()
    first, second = fake.batches[:3], fake.batches[3:]
    assert first == second
    order = [(len(t), text_key(t)) for batch in first for t in batch]
    assert order == sorted(order) and [len(b) for b in first] == [2, 2, 1]


def test_an_interrupted_run_keeps_its_finished_batches(
    conn: sqlite3.Connection, fake: FakeEncoder
) -> None:
    fake.fail_on_batch = 2
    with pytest.raises(KeyboardInterrupt):
        embed_texts(conn, TEXTS, encoder="fake", batch_size=2)
    assert len(stored_rows(conn, "fake-hash")) == 4
    fake.fail_on_batch = None
    resumed = computed_by(lambda: embed_texts(conn, TEXTS, encoder="fake", batch_size=2))
    assert resumed == EmbeddingStats(computed=1, cached=4)


def test_progress_reports_each_batch(conn: sqlite3.Connection, fake: FakeEncoder) -> None:
    calls: list[tuple[int, int, str]] = []
    embed_texts(conn, TEXTS, encoder="fake", batch_size=2, progress=lambda *a: calls.append(a))
    assert calls == [(2, 5, "embedding"), (4, 5, "embedding"), (5, 5, "embedding")]
    calls.clear()
    embed_texts(conn, TEXTS, encoder="fake", progress=lambda *a: calls.append(a))
    assert calls == []


def test_works_inside_a_callers_transaction(conn: sqlite3.Connection, fake: FakeEncoder) -> None:
    conn.execute("BEGIN IMMEDIATE")
    embed_texts(conn, TEXTS, encoder="fake", batch_size=2)
    conn.execute("COMMIT")
    assert len(stored_rows(conn, "fake-hash")) == 5


def test_no_texts_and_bad_encoders(conn: sqlite3.Connection, fake: FakeEncoder) -> None:
    assert embed_texts(conn, [], encoder="fake").shape == (0, 8)
    assert embed_units(conn, [], encoder="fake").shape == (0, 8)
    with pytest.raises(QualmineError, match="unknown encoder 'nope'"):
        embed_texts(conn, TEXTS, encoder="nope")
    fake.width = 4
    with pytest.raises(QualmineError, match="expected 8 values"):
        embed_texts(conn, TEXTS, encoder="fake")


def test_turn_is_the_normalized_mean_of_its_segments(
    conn: sqlite3.Connection, fake: FakeEncoder
) -> None:
    turn, segments = make_turn(TEXTS[:3])
    rows = embed_units(conn, [turn, *segments], encoder="fake")
    mean = rows[1:].astype(np.float64).mean(axis=0)
    assert np.allclose(rows[0], mean / np.linalg.norm(mean), atol=1e-7)
    assert rows[1:].tobytes() == embed_texts(conn, TEXTS[:3], encoder="fake").tobytes()


def make_turn(sentences: Sequence[str], role: str = "participant") -> tuple[Unit, list[Unit]]:
    """A turn unit of the sentences (joined by spaces) and its segment units."""
    text = " ".join(sentences)
    spans, start = [], 100
    for sentence in sentences:
        spans.append((start, start + len(sentence)))
        start += len(sentence) + 1
    turn = Unit(1, 100, 100 + len(text), text, role, None, 0, tuple(spans))
    segments = [Unit(1, s, e, text[s - 100 : e - 100], role, None, 0, ((s, e),)) for s, e in spans]
    return turn, segments


def test_importing_the_package_loads_no_model() -> None:
    code = (
        "import sys, qualmine.embedding, qualmine.coding.semantic, qualmine.coding.calibration\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the real model ------------------------------------------------------------------------


@pytest.mark.slow
def test_cache_round_trip_with_the_real_model(conn: sqlite3.Connection, minilm: Encoder) -> None:
    cold = computed_by(lambda: embed_texts(conn, TEXTS))
    assert cold == EmbeddingStats(computed=5, cached=0)
    first = embed_texts(conn, TEXTS)
    before = embedding_stats()
    again = embed_texts(conn, TEXTS)
    assert embedding_stats() - before == EmbeddingStats(computed=0, cached=5)
    assert again.tobytes() == first.tobytes()
    assert first.shape == (5, 384) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    stored = stored_rows(conn, "all-MiniLM-L6-v2")
    assert [stored[text_key(t)] for t in TEXTS] == [row.tobytes() for row in first]


@pytest.mark.slow
def test_other_batches_return_the_stored_values_exactly(
    conn: sqlite3.Connection, minilm: Encoder
) -> None:
    stored = embed_texts(conn, TEXTS, batch_size=64)
    mixed = ["A brand new sentence about quarterly targets.", TEXTS[3], TEXTS[0]]
    rows = embed_texts(conn, mixed, batch_size=2)
    assert rows[1].tobytes() == stored[3].tobytes()
    assert rows[2].tobytes() == stored[0].tobytes()
    # The fresh vector is the stored one too, not the value before storing.
    blob = stored_rows(conn, "all-MiniLM-L6-v2")[text_key(mixed[0])]
    assert rows[0].tobytes() == blob


@pytest.mark.slow
def test_real_turns_marks_and_dimensions(conn: sqlite3.Connection, minilm: Encoder) -> None:
    turn, segments = make_turn(["I read the forums daily.", "[laughs] They are mostly right."])
    rows = embed_units(conn, [turn, *segments])
    assert rows.shape == (3, 384)
    mean = rows[1:].astype(np.float64).mean(axis=0)
    assert np.allclose(rows[0], mean / np.linalg.norm(mean), atol=1e-6)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    without = embed_texts(conn, ["They are mostly right."])
    assert rows[2].tobytes() == without[0].tobytes()


@pytest.mark.slow
def test_a_warm_run_in_a_new_process_never_loads_the_model(tmp_path: Path, minilm: Encoder) -> None:
    conn = open_database(tmp_path / "p.db")
    expected = embed_texts(conn, TEXTS)
    conn.close()
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from qualmine.embedding import embed_texts, embedding_stats\n"
        "from qualmine.storage import open_database\n"
        f"conn = open_database(Path({str(tmp_path / 'p.db')!r}))\n"
        f"rows = embed_texts(conn, {TEXTS!r})\n"
        "sys.stdout.write(repr((embedding_stats().computed, 'torch' in sys.modules)) + '\\n')\n"
        "sys.stdout.write(rows.tobytes().hex())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    flags, data = out.stdout.split("\n", 1)
    assert flags == "(0, False)"
    assert bytes.fromhex(data) == expected.tobytes()
