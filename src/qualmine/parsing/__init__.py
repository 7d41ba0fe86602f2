"""Transcript files -> ParsedDocument: plain text, Markdown, WebVTT, SubRip, Word, CSV.

``READERS`` maps a file extension to its reader; `read_transcripts` picks one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qualmine.models import ParsedDocument
from qualmine.parsing.decoding import decode_bytes, normalize_text
from qualmine.parsing.loading import ReadOptions
from qualmine.parsing.marks import TRANSCRIPTION_MARKS, mark_spans, strip_marks
from qualmine.parsing.plaintext import read_plain_text
from qualmine.parsing.segmentation import segment_documents, segment_turns
from qualmine.parsing.subtitles import read_srt, read_vtt
from qualmine.parsing.table import read_transcript_table
from qualmine.parsing.transcripts import read_transcripts
from qualmine.parsing.wordfile import read_docx

Reader = Callable[[Path, bytes, ReadOptions], list[ParsedDocument]]

READERS: dict[str, Reader] = {
    ".txt": read_plain_text,
    ".md": read_plain_text,
    ".vtt": read_vtt,
    ".srt": read_srt,
    ".docx": read_docx,
    ".csv": read_transcript_table,
}

__all__ = [
    "READERS",
    "TRANSCRIPTION_MARKS",
    "ReadOptions",
    "Reader",
    "decode_bytes",
    "mark_spans",
    "normalize_text",
    "read_transcripts",
    "segment_documents",
    "segment_turns",
    "strip_marks",
]
