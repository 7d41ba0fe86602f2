"""Sentence embeddings through a per-project cache; encoders chosen by name.

``ENCODERS`` is the registry: ``minilm`` (the bundled all-MiniLM-L6-v2) is the default.
"""

from __future__ import annotations

from qualmine.embedding.cache import embedding_text, text_key
from qualmine.embedding.embed import (
    EmbeddingStats,
    Progress,
    SegmentedText,
    embed_texts,
    embed_units,
    embedding_stats,
)
from qualmine.embedding.encoders import DEFAULT_ENCODER, ENCODERS, Encoder, get_encoder

__all__ = [
    "DEFAULT_ENCODER",
    "ENCODERS",
    "EmbeddingStats",
    "Encoder",
    "Progress",
    "SegmentedText",
    "embed_texts",
    "embed_units",
    "embedding_stats",
    "embedding_text",
    "get_encoder",
    "text_key",
]
