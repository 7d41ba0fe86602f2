"""Reading codebook files as text and replacing them atomically, keeping their line ends."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qualmine.errors import InputFileError

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class TextFormat:
    """How a file's text was stored, so a rewrite stores it the same way."""

    bom: bool = False
    crlf: bool = False


def read_codebook_text(path: Path) -> tuple[str, TextFormat]:
    """The file's text with newline line ends, and how it was stored.

    Raises:
        InputFileError: the file cannot be read or is not UTF-8.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InputFileError(path, f"cannot read codebook: {error.strerror}") from error
    return decode_text(data, path)


def decode_text(data: bytes, path: Path) -> tuple[str, TextFormat]:
    """Decode UTF-8 bytes (with or without BOM) to text with newline line ends."""
    bom = data.startswith(_BOM)
    try:
        text = data[len(_BOM) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputFileError(
            path,
            f"codebook is not UTF-8 text ({error.reason} at byte {error.start})",
            "save it as UTF-8",
        ) from error
    crlf = "\r\n" in text
    return text.replace("\r\n", "\n"), TextFormat(bom=bom, crlf=crlf)


def encode_text(text: str, text_format: TextFormat) -> bytes:
    """Text back to bytes in the stored form."""
    if text_format.crlf:
        text = text.replace("\n", "\r\n")
    return (_BOM if text_format.bom else b"") + text.encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace a file's content in one step: a failure leaves the old file as it was."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
