"""YAML codebook <-> Codebook: loading with line-precise validation, writing, revisions."""

from __future__ import annotations

from qualmine.codebook.hashing import content_hash
from qualmine.codebook.revisions import (
    Revision,
    merge_codes,
    move_code,
    rename_code,
    split_code,
)
from qualmine.codebook.validation import (
    ValidationReport,
    load_codebook,
    validate_codebook,
    validate_text,
)
from qualmine.codebook.writer import codebook_from_dict, codebook_to_dict, dump_codebook

__all__ = [
    "Revision",
    "ValidationReport",
    "codebook_from_dict",
    "codebook_to_dict",
    "content_hash",
    "dump_codebook",
    "load_codebook",
    "merge_codes",
    "move_code",
    "rename_code",
    "split_code",
    "validate_codebook",
    "validate_text",
]
