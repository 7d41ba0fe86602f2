"""Plain-text and Markdown transcripts (.txt, .md), with optional YAML front matter.

The document text is the file's text after the front matter block (which becomes
metadata). Lines before the first speaker label are the header (metadata ``header``);
each turn's span covers its speech only, after the label.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from qualmine.errors import InputFileError
from qualmine.models import ParsedDocument
from qualmine.parsing.documents import build_document
from qualmine.parsing.labels import header_lines, iter_lines, split_turns
from qualmine.parsing.loading import ReadOptions, load_text

_FENCE = "---"
_FENCE_ENDS = ("---", "...")


def read_plain_text(path: Path, data: bytes, options: ReadOptions) -> list[ParsedDocument]:
    """Read a .txt or .md transcript: one document.

    Raises:
        InputFileError: the file cannot be decoded or its front matter is malformed.
    """
    text, encoding = load_text(data, str(path), options)
    return [
        parse_plain_text(text, name=path.stem, source=str(path), encoding=encoding, options=options)
    ]


def parse_plain_text(
    text: str,
    *,
    name: str,
    source: str,
    encoding: str,
    options: ReadOptions,
    metadata: Mapping[str, Any] | None = None,
    where: str = "",
) -> ParsedDocument:
    """Parse normalized transcript text into a document.

    Args:
        text: normalized text, front matter allowed at the top.
        name: the document name.
        source: the path, for the document and error messages.
        encoding: the encoding the text was decoded with.
        options: reading options (role overrides).
        metadata: metadata from outside the text (CSV columns); front matter wins.
        where: a place inside the file for error messages (``"row 3: "``).

    Raises:
        InputFileError: the front matter is malformed.
    """
    front, body = split_front_matter(text, source, where)
    body_text = text[body:]
    turns, header_end = split_turns(body_text)
    header = header_lines(body_text, 0, header_end)
    merged: dict[str, Any] = {**(metadata or {}), **front}
    if header:
        merged["header"] = "\n".join(header)
    return build_document(
        name=name,
        text=body_text,
        turns=turns,
        metadata=merged,
        source=source,
        encoding=encoding,
        roles=options.roles,
        header=header,
    )


def split_front_matter(text: str, source: str, where: str = "") -> tuple[dict[str, Any], int]:
    """Read YAML front matter between ``---`` lines at the very top.

    Returns:
        The front matter (empty without one) and the offset where the rest begins.

    Raises:
        InputFileError: the block is never closed, is not valid YAML or not a mapping;
            the message names the line.
    """
    lines = iter_lines(text)
    first = next(lines, (0, ""))[1]
    if first.rstrip() != _FENCE:
        return {}, 0
    for offset, line in lines:
        if line.rstrip() in _FENCE_ENDS:
            block = text[len(first) + 1 : offset]
            return _load_yaml(block, source, where, 2), min(offset + len(line) + 1, len(text))
    raise InputFileError(
        source,
        f"{where}front matter opened on line 1 is never closed",
        "end it with a line of three dashes (---)",
    )


def _load_yaml(block: str, source: str, where: str, first_line: int) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(block)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = first_line + (mark.line if mark is not None else 0)
        problem = " ".join(str(getattr(error, "problem", None) or "invalid YAML").split())
        raise InputFileError(
            source,
            f"{where}front matter line {line}: {problem}",
            "fix the YAML between the --- lines",
        ) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise InputFileError(
            source,
            f"{where}front matter on line {first_line} is not a mapping",
            "write key: value lines between the --- lines",
        )
    return loaded
