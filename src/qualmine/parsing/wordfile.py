"""Word transcripts (.docx), read with python-docx after checking the archive.

A paragraph starts a turn when it begins with a bold label followed by a colon
(``**Ann:** text``) or a ``Name:`` prefix accepted as in plain text; a bold label alone
in its paragraph starts a turn when it is used more than once. Other paragraphs continue
the current turn; those before the first label are the header. A two-column table row
reads as ``first cell: other cells``. Core properties (title, author, subject, comments,
keywords, category) become metadata.

The document text is the paragraphs, ``Label: text`` for labelled ones, separated by
blank lines.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qualmine.errors import InputFileError
from qualmine.models import ParsedDocument
from qualmine.parsing.decoding import normalize_text
from qualmine.parsing.documents import build_document
from qualmine.parsing.labels import header_lines, split_turns
from qualmine.parsing.loading import ReadOptions, check_length

MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""A .docx that unpacks to more than this is refused."""
MAX_RATIO = 100
"""A .docx that unpacks to more than this many times its packed size is refused."""
_RATIO_FLOOR = 1024 * 1024
_CORE_PROPERTIES = ("title", "author", "subject", "comments", "keywords", "category")
_READ_CHUNK = 1 << 20


def read_docx(path: Path, data: bytes, options: ReadOptions) -> list[ParsedDocument]:
    """Read a Word transcript: one document.

    Raises:
        InputFileError: the file is not a valid .docx, looks like a zip bomb, or its
            text is over the limit.
    """
    source = str(path)
    check_archive(data, source)
    document = _open(data, source)
    text, bold = _render(document)
    if not text.strip():
        raise InputFileError(
            source, "the Word document holds no text", "give a transcript with some text"
        )
    check_length(len(text), source, options.max_chars)
    turns, header_end = split_turns(text, bold=bold)
    header = header_lines(text, 0, header_end)
    metadata = _core_properties(document)
    if header:
        metadata["header"] = "\n".join(header)
    return [
        build_document(
            name=path.stem,
            text=text,
            turns=turns,
            metadata=metadata,
            source=source,
            encoding="utf-8",
            roles=options.roles,
            header=header,
        )
    ]


def check_archive(data: bytes, source: str) -> None:
    """Refuse a .docx that is not a zip with ``word/document.xml``, or that unpacks too far.

    Every member is unpacked (and thrown away) while counting, so that sizes written in
    the archive's headers cannot lie.

    Raises:
        InputFileError: the archive is corrupt, incomplete or a zip bomb.
    """
    hint = "open it in Word and save it again as .docx"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise InputFileError(
                    source, "not a Word document (word/document.xml is missing)", hint
                )
            unpacked = sum(_unpacked_size(archive, info, source) for info in archive.infolist())
    except InputFileError:
        raise
    # zipfile lets zlib, lzma, struct and OS errors through for damaged archives.
    except Exception as error:  # noqa: BLE001
        raise InputFileError(source, f"corrupt .docx file ({_describe(error)})", hint) from None
    if unpacked > _RATIO_FLOOR and unpacked > MAX_RATIO * len(data):
        raise _bomb(source, unpacked, len(data))


def _unpacked_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> int:
    total = 0
    with archive.open(info) as member:
        while chunk := member.read(_READ_CHUNK):
            total += len(chunk)
            if total > MAX_UNPACKED_BYTES:
                raise _bomb(source, total, info.compress_size)
    return total


def _bomb(source: str, unpacked: int, packed: int) -> InputFileError:
    return InputFileError(
        source,
        f"refused: the .docx unpacks to over {unpacked:,} bytes from {packed:,} "
        f"(limits: {MAX_UNPACKED_BYTES:,} bytes, {MAX_RATIO}:1), which looks like a zip bomb",
        "save the transcript again as a normal .docx or as .txt",
    )


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _open(data: bytes, source: str) -> Any:
    import docx

    try:
        return docx.Document(io.BytesIO(data))
    # python-docx raises many kinds of errors for broken parts; all mean a corrupt file.
    except Exception as error:  # noqa: BLE001
        raise InputFileError(
            source,
            f"corrupt .docx file ({_describe(error)})",
            "open it in Word and save it again as .docx",
        ) from None


def _render(document: Any) -> tuple[str, dict[int, str]]:
    """The document text, and the offsets of lines that start with a bold label."""
    pieces: list[str] = []
    bold: dict[int, str] = {}
    length = 0
    for label, body, form in _paragraphs(document):
        line = f"{label}: {body}".rstrip() if label and form != "bold_line" else label or body
        line = normalize_text(line).strip("\n")
        if not line.strip():
            continue
        if form:
            bold[length] = form
        pieces.append(line + "\n\n")
        length += len(pieces[-1])
    return "".join(pieces).rstrip("\n") + "\n", bold


def _paragraphs(document: Any) -> Iterator[tuple[str, str, str]]:
    """``(label, text, bold form or "")`` for each paragraph and table row, in order."""
    for block in document.iter_inner_content():
        if hasattr(block, "runs"):
            yield _paragraph(block)
        else:
            for row in block.rows:
                cells = list(dict.fromkeys(c.text.strip() for c in row.cells))
                if len(cells) >= 2 and cells[0] and len(cells[0].split()) <= 6:
                    yield cells[0].rstrip(":").strip(), " ".join(cells[1:]), ""
                else:
                    yield "", " ".join(cells), ""


def _paragraph(paragraph: Any) -> tuple[str, str, str]:
    bold_text = ""
    for run in paragraph.runs:
        if run.text and not _is_bold(run):
            break
        bold_text += run.text
    text = paragraph.text
    label = bold_text.strip()
    if not label or len(label.split()) > 6 or not text.startswith(bold_text):
        return "", text, ""
    rest = text[len(bold_text) :]
    if label.endswith(":") or rest.lstrip().startswith(":"):
        return label.rstrip(":").strip(), rest.lstrip().removeprefix(":").strip(), "bold_colon"
    if not rest.strip():
        return label, "", "bold_line"
    return "", text, ""


def _is_bold(run: Any) -> bool:
    if run.bold is not None:
        return bool(run.bold)
    style = run.style
    return bool(style is not None and style.font is not None and style.font.bold)


def _core_properties(document: Any) -> dict[str, Any]:
    properties = document.core_properties
    found: dict[str, Any] = {}
    for name in _CORE_PROPERTIES:
        value = getattr(properties, name, None)
        if value:
            found[name] = str(value)
    return found
