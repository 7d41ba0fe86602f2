"""The embedding cache: one stored vector per (model, normalized text), in the project file.

Vectors are stored as little-endian float32 bytes. A text's vector is computed once and
every later read comes from here, so results depend on the cache, not on how texts were
batched when they were first embedded.
"""

from __future__ import annotations

import hashlib
import sqlite3
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext

import numpy as np
from numpy.typing import NDArray

from qualmine.errors import ProjectError
from qualmine.parsing import strip_marks
from qualmine.storage import transaction

_DTYPE = np.dtype("<f4")
# Well under SQLite's limit on bound parameters in one statement.
_LOOKUP_CHUNK = 500


def embedding_text(text: str, marks: Sequence[str] = ()) -> str:
    """The text as the encoder reads it: NFC, marks removed, white space collapsed.

    Args:
        text: the text.
        marks: extra transcription marks, as for `qualmine.parsing.strip_marks`.
    """
    return " ".join(strip_marks(unicodedata.normalize("NFC", text), marks).split())


def text_key(text: str, marks: Sequence[str] = ()) -> str:
    """The cache key of a text: the SHA-256 hex digest of its `embedding_text`."""
    return hashlib.sha256(embedding_text(text, marks).encode("utf-8")).hexdigest()


def read_vectors(
    conn: sqlite3.Connection, model: str, keys: Sequence[str], dim: int
) -> dict[str, NDArray[np.float32]]:
    """The cached vectors among ``keys`` for ``model``; keys not cached are left out.

    Raises:
        ProjectError: a stored vector does not have ``dim`` values.
    """
    found: dict[str, NDArray[np.float32]] = {}
    for first in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[first : first + _LOOKUP_CHUNK]
        rows = conn.execute(
            f"SELECT text_hash, dim, vector FROM embeddings WHERE model = ? "
            f"AND text_hash IN ({','.join('?' * len(chunk))})",
            [model, *chunk],
        )
        for key, stored_dim, blob in rows:
            vector = np.frombuffer(blob, dtype=_DTYPE).astype(np.float32)
            if stored_dim != dim or vector.shape != (dim,):
                raise ProjectError(
                    f"embedding cache: the vector of text {key[:12]} for {model} has "
                    f"{vector.shape[0]} values, not {dim}; delete the model's rows with "
                    f"`DELETE FROM embeddings WHERE model = '{model}'` and run again"
                )
            found[key] = vector
    return found


def store_vectors(
    conn: sqlite3.Connection, model: str, vectors: Mapping[str, NDArray[np.float32]]
) -> None:
    """Store vectors by key in one transaction; a key already stored keeps its vector."""
    rows = [
        (model, key, int(vector.shape[0]), np.asarray(vector, dtype=_DTYPE).tobytes())
        for key, vector in vectors.items()
    ]
    with _write(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO embeddings (model, text_hash, dim, vector) VALUES (?,?,?,?)",
            rows,
        )


@contextmanager
def _write(conn: sqlite3.Connection) -> Iterator[None]:
    # Inside a caller's transaction, the batch commits with it.
    with nullcontext() if conn.in_transaction else transaction(conn):
        yield
