"""Plain-text and Markdown transcripts (.txt, .md), with optional YAML front matter.

The document text is the file's text after the front matter block (which becomes
metadata). Lines before the first speaker label are the header (metadata ``header``);
each turn's span covers its speech only, after the label.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qualmine.models import ParsedDocument
from qualmine.parsing.documents import build_document
from qualmine.parsing.frontmatter import split_front_matter
from qualmine.parsing.labels import header_lines, split_turns
from qualmine.parsing.loading import ReadOptions, load_text


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
