"""Shared steps of every reader: options, and bytes -> checked, normalized text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from qualmine.errors import InputFileError
from qualmine.parsing.decoding import check_not_binary, check_text, decode_bytes, normalize_text

DEFAULT_MAX_CHARS = 5_000_000


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read a transcript file.

    Attributes:
        max_chars: the largest text accepted, in characters (``--max-chars``).
        roles: speaker -> role overrides, winning over anything the file says.
    """

    max_chars: int = DEFAULT_MAX_CHARS
    roles: Mapping[str, str] = field(default_factory=dict)


def check_length(length: int, path: str, max_chars: int, at_least: bool = False) -> None:
    """Refuse a text longer than ``max_chars``.

    Raises:
        InputFileError: the text is too long.
    """
    if length > max_chars:
        count = f"at least {length:,}" if at_least else f"{length:,}"
        raise InputFileError(
            path,
            f"{count} characters, over the --max-chars limit of {max_chars:,}",
            "split the file or raise --max-chars",
        )


def load_text(data: bytes, path: str, options: ReadOptions) -> tuple[str, str]:
    """Decode, check and normalize the bytes of a text file.

    Returns:
        The normalized text and the encoding used.

    Raises:
        InputFileError: the bytes are binary, undecodable, blank or too long.
    """
    check_not_binary(data, path)
    text, encoding = decode_bytes(data, path)
    check_text(text, path)
    if not text.strip():
        problem = "the file is empty" if not text else "the file holds only white space"
        raise InputFileError(path, problem, "give a transcript with some text")
    check_length(len(text), path, options.max_chars)
    return normalize_text(text), encoding
