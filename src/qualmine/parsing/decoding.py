"""Bytes to normalized text: encoding detection, binary detection, line-end normalization."""

from __future__ import annotations

import codecs
import re
import unicodedata

from qualmine.errors import InputFileError

# C0 control bytes that cp1252 text may contain: tab, line feed, form feed, carriage return.
_TEXT_CONTROLS = frozenset(b"\t\n\x0c\r")
_CONTROL_BYTES = frozenset(range(32)) - _TEXT_CONTROLS
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def decode_bytes(data: bytes, path: str) -> tuple[str, str]:
    """Decode a text file's bytes, trying UTF-8, then UTF-16 (by BOM), then cp1252.

    cp1252 is tried only for bytes that look like text: no NUL byte and no C0 control
    byte other than tab, line feed, form feed and carriage return.

    Args:
        data: the raw bytes of the file.
        path: the file name, used in error messages.

    Returns:
        The decoded text (BOM removed) and the name of the encoding used.

    Raises:
        InputFileError: the bytes are none of these encodings; the message gives the
            byte offset of the first byte that is not UTF-8.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _decode_utf8(data[len(codecs.BOM_UTF8) :], path, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_utf16(data, path)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    if not any(byte in _CONTROL_BYTES for byte in data):
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    raise _undecodable(path, data, utf8_error.start)


def _decode_utf8(data: bytes, path: str, name: str) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), name
    except UnicodeDecodeError as error:
        # The offset counts the 3 BOM bytes so that it matches the file.
        raise _undecodable(path, data, error.start + 3, after_bom="UTF-8") from None


def _decode_utf16(data: bytes, path: str) -> tuple[str, str]:
    name = "utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    try:
        return data[2:].decode(name), name
    except UnicodeDecodeError as error:
        raise _undecodable(path, data, error.start + 2, after_bom="UTF-16") from None


def _undecodable(path: str, data: bytes, offset: int, after_bom: str = "") -> InputFileError:
    shown = data[offset : offset + 1].hex() if not after_bom else ""
    if after_bom:
        problem = f"the file starts with a {after_bom} byte-order mark but is not valid {after_bom}"
        problem += f" (first bad byte at offset {offset})"
    else:
        problem = (
            f"cannot decode the text: byte 0x{shown} at offset {offset} is not UTF-8, "
            "and the file is not UTF-16 or cp1252 text either"
        )
    return InputFileError(path, problem, "save the file as UTF-8 and import it again")


def normalize_text(text: str) -> str:
    """Normalize text for offsets: Unicode NFC and ``\\n`` line ends.

    ``\\r\\n`` and lone ``\\r`` become ``\\n``; so do the other line separators
    (vertical tab, form feed, NEL, U+2028, U+2029), which word processors use for
    line and paragraph breaks.
    """
    return _LINE_BREAKS.sub("\n", unicodedata.normalize("NFC", text))


def check_not_binary(data: bytes, path: str) -> None:
    """Refuse bytes that hold NUL bytes outside UTF-16 text.

    Raises:
        InputFileError: a NUL byte was found; the message gives its offset.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    offset = data.find(b"\x00")
    if offset >= 0:
        raise InputFileError(
            path,
            f"this looks like a binary file, not text (NUL byte at offset {offset})",
            "give a .txt, .md, .vtt, .srt, .csv or .docx transcript",
        )


def check_text(text: str, path: str) -> None:
    """Refuse decoded text that is mostly control characters (a binary file in disguise).

    A few stray control characters are tolerated; more than one in a thousand is not.

    Raises:
        InputFileError: the text holds a NUL or too many control characters.
    """
    controls = [m.start() for m in _CONTROL_CHARS.finditer(text)]
    if controls and ("\x00" in text or len(controls) > max(8, len(text) // 1000)):
        raise InputFileError(
            path,
            f"this looks like a binary file, not text (control character at character "
            f"{controls[0]})",
            "give a .txt, .md, .vtt, .srt, .csv or .docx transcript",
        )
