"""WebVTT (.vtt) and SubRip (.srt) transcripts.

WebVTT: the ``WEBVTT`` line, then blocks separated by blank lines. NOTE blocks are
metadata (``key: value`` lines become entries, other lines go to ``notes``); STYLE and
REGION blocks are skipped; a cue is an optional identifier, a timing line and text, with
the speaker in a voice tag (``<v Ann Lee>``) or a ``Speaker:`` prefix.

SubRip: numbered cues with a timing line and text, speakers as ``Speaker:`` prefixes.
Metadata comes from a sidecar file next to it, ``<name>.srt.yaml`` or ``<stem>.meta.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qualmine.errors import InputFileError
from qualmine.models import ParsedDocument
from qualmine.parsing.cues import CueLine, cue_turns
from qualmine.parsing.documents import build_document
from qualmine.parsing.frontmatter import load_yaml_mapping, read_sidecar
from qualmine.parsing.labels import normalize_timestamp
from qualmine.parsing.loading import ReadOptions, load_text

_TIME = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
_TIMING = re.compile(rf"^\s*(?P<start>{_TIME})\s*-->\s*(?P<end>{_TIME})")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+(?P<name>[^>]*))?>")
_NOTE_ENTRY = re.compile(r"^\s*(?P<key>[A-Za-z][\w \-]{0,40}?)\s*:\s*(?P<value>.*)$")


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line number of the first line, lines)`` for each blank-line separated block."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            first = first if block else number
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def read_vtt(path: Path, data: bytes, options: ReadOptions) -> list[ParsedDocument]:
    """Read a WebVTT transcript: one document.

    Raises:
        InputFileError: no WEBVTT line, or a block that is neither a cue nor a NOTE.
    """
    source = str(path)
    text, encoding = load_text(data, source, options)
    if not text.lstrip().startswith("WEBVTT"):
        raise InputFileError(
            source, "line 1: a WebVTT file must start with WEBVTT", "is this really a .vtt file?"
        )
    metadata: dict[str, Any] = {}
    lines: list[CueLine] = []
    for number, block in _blocks(text):
        if block[0].startswith("WEBVTT"):
            title = block[0][6:].strip(" \t-")
            metadata.update({"title": title} if title else {})
            _note(metadata, block[1:], source, number + 1)
        elif block[0].startswith("NOTE"):
            _note(metadata, [block[0][4:], *block[1:]], source, number)
        elif not block[0].startswith(("STYLE", "REGION")):
            lines.extend(_vtt_cue(block, number, source))
    return [_document(path, lines, metadata, encoding, options)]


def _note(metadata: dict[str, Any], lines: list[str], source: str, first: int) -> None:
    for number, line in enumerate(lines, start=first):
        entry = _NOTE_ENTRY.match(line)
        if entry and entry.group("value").strip():
            value = _note_value(entry.group("value").strip(), source, number)
            metadata[entry.group("key").strip()] = value
        elif line.strip():
            notes = metadata.get("notes")
            metadata["notes"] = f"{notes}\n{line.strip()}" if notes else line.strip()


def _note_value(value: str, source: str, line: int) -> Any:
    if value.startswith("{"):
        return load_yaml_mapping(value, source, "NOTE ", line)
    return value


def _vtt_cue(block: list[str], number: int, source: str) -> list[CueLine]:
    timing_at = 0 if _TIMING.match(block[0]) else 1
    timing = _TIMING.match(block[timing_at]) if len(block) > timing_at else None
    if timing is None:
        raise InputFileError(
            source,
            f"line {number}: a cue without a timing line (00:00:01.000 --> ...)",
            "fix or delete the block",
        )
    stamp = normalize_timestamp(timing.group("start"))
    payload = "\n".join(block[timing_at + 1 :])
    pieces: list[CueLine] = []
    voice: str | None = None
    position = 0
    for tag in _VOICE.finditer(payload):
        pieces.extend(_lines(payload[position : tag.start()], stamp, voice))
        voice = " ".join((tag.group("name") or "").split()) or None
        position = tag.end()
    pieces.extend(_lines(payload[position:], stamp, voice))
    return pieces


def _lines(text: str, stamp: str, voice: str | None) -> list[CueLine]:
    return [CueLine(line, stamp, voice) for line in text.split("\n") if line.strip()]


def read_srt(path: Path, data: bytes, options: ReadOptions) -> list[ParsedDocument]:
    """Read a SubRip transcript and its sidecar metadata file, if any: one document.

    Raises:
        InputFileError: a block has no timing line, or the sidecar file is malformed.
    """
    source = str(path)
    text, encoding = load_text(data, source, options)
    lines: list[CueLine] = []
    for number, block in _blocks(text):
        timing_at = 1 if block[0].strip().isdigit() else 0
        timing = _TIMING.match(block[timing_at]) if len(block) > timing_at else None
        if timing is None:
            raise InputFileError(
                source,
                f"line {number}: a cue without a timing line (00:00:01,000 --> ...)",
                "fix or delete the block",
            )
        stamp = normalize_timestamp(timing.group("start"))
        lines.extend(_lines("\n".join(block[timing_at + 1 :]), stamp, None))
    return [_document(path, lines, read_sidecar(path), encoding, options)]


def _document(
    path: Path, lines: list[CueLine], metadata: dict[str, Any], encoding: str, options: ReadOptions
) -> ParsedDocument:
    text, turns = cue_turns(lines)
    return build_document(
        name=path.stem,
        text=text,
        turns=turns,
        metadata=metadata,
        source=str(path),
        encoding=encoding,
        roles=options.roles,
        header=[str(metadata["title"])] if metadata.get("title") else [],
    )
