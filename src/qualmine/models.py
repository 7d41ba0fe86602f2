"""Plain records passed between the pipeline stages.

Offsets are character (Unicode code point) offsets into a document's normalized text,
``start`` inclusive and ``end`` exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SPEAKER_ROLES = ("interviewer", "participant")
CODING_STATUSES = ("suggested", "accepted", "rejected", "orphaned")


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker's uninterrupted speech.

    Attributes:
        index: position of the turn in its document, from 0.
        speaker: the label as written (``"Jennifer Ross-Nazzal"``, ``"User"``), or ``""``.
        speaker_role: ``"interviewer"`` or ``"participant"``.
        start: offset of the first character of the spoken text.
        end: offset just past the last character of the spoken text.
        timestamp: the time the turn starts in the recording (``"00:01:23"``), if known.
        case: the case (participant) this turn belongs to, or None for interviewers.
    """

    index: int
    speaker: str
    speaker_role: str
    start: int
    end: int
    timestamp: str | None = None
    case: str | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """A sentence inside a turn."""

    turn_index: int
    index: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A transcript read from a file, before it is stored.

    Attributes:
        name: the document name (file stem, or the id column of a transcript CSV).
        text: the normalized text (NFC, ``\\n`` line ends) that every offset points into.
        turns: the turns in order.
        metadata: document metadata (front matter, VTT NOTE blocks, DOCX core properties).
        case_attributes: attributes per case name, from front matter.
        encoding: the encoding the bytes were decoded with.
        source: the path the document was read from, as given.
    """

    name: str
    text: str
    turns: tuple[Turn, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    case_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    encoding: str = "utf-8"
    source: str = ""


@dataclass(frozen=True, slots=True)
class CodeExample:
    """An example quote for a code, with where it comes from."""

    quote: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a codebook (MacQueen et al. 1998 structure plus auto-coding hints).

    Attributes:
        id: stable identifier (``trust.online``), unique in the codebook.
        name: short human name.
        parent: id of the parent code, or None at the top level.
        definition: brief definition.
        full_definition: longer definition, optional.
        include: criteria for when to use the code.
        exclude: criteria for when not to use it.
        examples: example quotes.
        color: ``#rrggbb`` or ``""``.
        keywords: lemmas or multi-word phrases that suggest the code.
        patterns: spaCy Matcher token patterns (each a list of token dicts).
        regex: regular expressions that suggest the code.
        exclude_keywords: words whose presence vetoes a rule match.
        speaker_role: ``participant``, ``interviewer`` or ``any``.
        stance: ``for`` or ``against`` on a stance sub-code, else ``""``.
        codable: False for grouping codes that are not applied to text.
        line: line of the code in its YAML file (0 when unknown).
    """

    id: str
    name: str
    parent: str | None = None
    definition: str = ""
    full_definition: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[CodeExample, ...] = ()
    color: str = ""
    keywords: tuple[str, ...] = ()
    patterns: tuple[tuple[dict[str, Any], ...], ...] = ()
    regex: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    speaker_role: str = "participant"
    stance: str = ""
    codable: bool = True
    line: int = 0


@dataclass(frozen=True, slots=True)
class ChangelogEntry:
    """One revision of a codebook: what changed, when, by whom, why."""

    date: str
    coder: str
    action: str
    detail: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Codebook:
    """A validated codebook.

    Attributes:
        name: the codebook's title.
        format_version: the YAML format version it was written in.
        codes: every code, parents before children, in file order.
        changelog: revisions, oldest first.
        content_hash: short hash of the normalized content.
        path: the file it was read from.
    """

    name: str
    format_version: int
    codes: tuple[Code, ...]
    changelog: tuple[ChangelogEntry, ...] = ()
    content_hash: str = ""
    path: str = ""

    @property
    def version(self) -> str:
        """The codebook version: format version plus content hash."""
        return f"{self.format_version}-{self.content_hash}"

    def code(self, code_id: str) -> Code | None:
        """The code with this id, or None."""
        for code in self.codes:
            if code.id == code_id:
                return code
        return None

    def children(self, code_id: str | None) -> tuple[Code, ...]:
        """The codes whose parent is ``code_id`` (None: the top level)."""
        return tuple(c for c in self.codes if c.parent == code_id)


@dataclass(frozen=True, slots=True)
class Document:
    """A stored document."""

    id: int
    name: str
    source: str
    content_hash: str
    text: str
    metadata: dict[str, Any]
    encoding: str


@dataclass(frozen=True, slots=True)
class Coding:
    """A code applied to a span of a document's text by a coder.

    ``quote`` is a copy of ``text[start:end]`` at the time of coding, used to re-anchor.
    """

    id: int
    document_id: int
    start: int
    end: int
    quote: str
    code: str
    coder: str
    status: str = "accepted"
    reviewer: str | None = None
    score: float | None = None
    evidence: str = ""
    codebook_version: str = ""
    created: str = ""
    memo: str = ""
    pending: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    """Rows under named columns, with the statements a reader needs.

    Attributes:
        title: what the table shows.
        columns: column names.
        rows: one tuple per row, as long as ``columns``.
        meta: statements printed with the table: unit, denominator, coders, statuses,
            filters; ordered as given.
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    meta: dict[str, str] = field(default_factory=dict)
