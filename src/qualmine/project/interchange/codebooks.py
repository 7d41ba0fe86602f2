"""Codebooks in and out: YAML, REFI-QDA ``.qdc`` and spreadsheets (the XML lives in refi/).

Also the checks and the comment-keeping merge that a project import's codebook goes
through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualmine import __version__
from qualmine.codebook import codebook_to_dict, load_codebook, validate_text
from qualmine.codebook.edits import insert_code
from qualmine.codebook.files import encode_text, read_codebook_text, write_atomic
from qualmine.codebook.writer import code_to_dict, to_yaml
from qualmine.codebook.yamltext import LayoutError, parse_source
from qualmine.errors import CodebookError, InputFileError
from qualmine.models import Code, Codebook
from qualmine.refi import (
    Loss,
    MergePlan,
    codebook_bytes,
    codebook_from_refi,
    plan_merge,
    read_codebook_file,
)

ORIGIN = f"qualmine {__version__}"


@dataclass(frozen=True, slots=True)
class CodebookImport:
    """What a codebook import wrote: the file, codes added, codes kept as they were."""

    path: Path
    codes: int
    added: tuple[str, ...]
    kept: tuple[str, ...]
    merged: bool
    losses: tuple[Loss, ...]


def export_codebook(path: Path, fmt: str) -> bytes:
    """A YAML codebook as ``yaml`` (normalized, nested), ``qdc``, ``csv`` or ``xlsx``."""
    book = load_codebook(path)
    if fmt == "yaml":
        return to_yaml(codebook_to_dict(book)).encode("utf-8")
    return codebook_bytes(book, fmt, ORIGIN)


def import_codebook(
    source: Path, target: Path, *, merge: bool = False, overwrite: bool = False
) -> CodebookImport:
    """Write a ``.qdc``, ``.csv`` or ``.xlsx`` codebook to ``target`` as YAML.

    With ``merge`` the codes not yet in ``target`` are added to it (matched by id, then by
    name), the file's other text and comments untouched.

    Raises:
        InputFileError: unreadable source, or ``target`` exists without merge or overwrite.
        CodebookError: the result does not validate.
    """
    refi_book, skipped = read_codebook_file(source)
    raw, _, losses = codebook_from_refi(refi_book, source.stem)
    if not raw.codes:
        raise InputFileError(source, "no codes found", "is it a codebook?")
    incoming = validated_codebook(raw, str(source))
    if target.exists() and merge:
        text, book, plan = merged_codebook_text(target, incoming)
        added = tuple(c.id for c in plan.added)
        if added:
            write_atomic(target, text)
        return CodebookImport(target, len(book.codes), added, plan.kept, True, skipped + losses)
    if target.exists() and not overwrite:
        raise InputFileError(
            target, "the codebook already exists", "pass --merge to add the new codes, or --replace"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, to_yaml(codebook_to_dict(incoming)).encode("utf-8"))
    ids = tuple(c.id for c in incoming.codes)
    return CodebookImport(target, len(ids), ids, (), False, skipped + losses)


def validated_codebook(book: Codebook, where: str) -> Codebook:
    """An imported codebook through the YAML validator; problems name the code, not a line
    (the YAML is made here, so its line numbers would point nowhere)."""
    report = validate_text(to_yaml(codebook_to_dict(book)), source=where)
    if report.codebook is None:
        problems = [re.sub(r"^.*?:\d+: ", f"{where}: ", e) for e in report.errors]
        raise CodebookError(where, problems)
    return report.codebook


def merged_codebook_text(target: Path, incoming: Codebook) -> tuple[bytes, Codebook, MergePlan]:
    """The target's text with the new codes inserted under their parents, and the result."""
    plan = plan_merge(load_codebook(target), incoming)
    text, text_format = read_codebook_text(target)
    new = {c.id for c in plan.added}
    try:
        for code in (c for c in plan.added if c.parent not in new):
            block = to_yaml([_nested(code, plan.added)])
            text = insert_code(parse_source(text), code.parent, block, 0)
    except LayoutError as exc:
        raise CodebookError(target, [f"{target}:{exc.line}: {exc.message}"]) from None
    report = validate_text(text, source=str(target))
    if report.codebook is None:
        raise CodebookError(target, list(report.errors))
    return encode_text(text, text_format), report.codebook, plan


def _nested(code: Code, codes: tuple[Code, ...]) -> dict[str, Any]:
    values = code_to_dict(code)
    children = [_nested(c, codes) for c in codes if c.parent == code.id]
    return {**values, "children": children} if children else values
