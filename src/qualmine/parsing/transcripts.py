"""read_transcripts: any supported file -> its documents, or one clear InputFileError."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from qualmine.errors import InputFileError
from qualmine.models import ParsedDocument
from qualmine.parsing.loading import DEFAULT_MAX_CHARS, ReadOptions, check_length

# UTF-8 takes at most 4 bytes a character: a bigger file is surely over the limit.
_MAX_BYTES_PER_CHAR = 4


def read_transcripts(
    path: Path,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    roles: Mapping[str, str] | None = None,
) -> list[ParsedDocument]:
    """Read one transcript file into its documents (a CSV of transcripts gives many).

    The reader is chosen by the file's extension from ``qualmine.parsing.READERS``.

    Args:
        path: the file to read.
        max_chars: the largest text accepted, in characters.
        roles: speaker -> ``interviewer`` or ``participant``, winning over anything the
            file says or the parser infers.

    Returns:
        The documents in the file, in order.

    Raises:
        InputFileError: the file is missing, empty, binary, of an unknown type, corrupt,
            undecodable or too long. The message is one line naming the file.
    """
    from qualmine.parsing import READERS

    path = Path(path)
    source = str(path)
    if not path.exists():
        raise InputFileError(source, "no such file", "check the path")
    if not path.is_file():
        raise InputFileError(source, "not a file", "give a transcript file, not a folder")
    suffix = path.suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        shown = f"'{path.suffix}'" if path.suffix else "no extension"
        raise InputFileError(
            source, f"unknown file type ({shown})", "known types: " + ", ".join(sorted(READERS))
        )
    data = _read_bytes(path, source, max_chars if suffix != ".docx" else None)
    if not data:
        raise InputFileError(source, "the file is empty", "give a transcript with some text")
    return reader(path, data, ReadOptions(max_chars=max_chars, roles=dict(roles or {})))


def _read_bytes(path: Path, source: str, max_chars: int | None) -> bytes:
    """The file's bytes; a text file too big to be under ``max_chars`` is not read at all."""
    try:
        if max_chars is not None:
            size = path.stat().st_size
            check_length(size // _MAX_BYTES_PER_CHAR, source, max_chars, at_least=True)
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputFileError(
            source, f"cannot read the file ({reason})", "check its permissions"
        ) from None
