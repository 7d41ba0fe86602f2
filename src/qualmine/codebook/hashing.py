"""The content hash that versions a codebook."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from qualmine.models import Code

HASH_LENGTH = 12


def code_record(code: Code) -> dict[str, Any]:
    """A code as plain JSON-ready data: every field except its line in the file."""
    return {
        "id": code.id,
        "name": code.name,
        "parent": code.parent,
        "definition": code.definition,
        "full_definition": code.full_definition,
        "include": list(code.include),
        "exclude": list(code.exclude),
        "examples": [{"quote": e.quote, "source": e.source} for e in code.examples],
        "color": code.color,
        "keywords": list(code.keywords),
        "patterns": [list(pattern) for pattern in code.patterns],
        "regex": list(code.regex),
        "exclude_keywords": list(code.exclude_keywords),
        "speaker_role": code.speaker_role,
        "stance": code.stance,
        "codable": code.codable,
    }


def content_hash(format_version: int, codes: Iterable[Code]) -> str:
    """The first 12 hex digits of the SHA-256 of the canonical JSON of the codes.

    The codes are taken in codebook order with their parents as ids, so the nested and the
    flat spelling of one codebook, or two key orders in a mapping, hash alike. The name,
    description and changelog are not part of the hash.
    """
    content = {"format_version": format_version, "codes": [code_record(c) for c in codes]}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:HASH_LENGTH]
