"""Plain records for REFI-QDA exchange: what the XML holds, and what qualmine hands over.

The ``Refi*`` records mirror the REFI-QDA 1.5 elements that qualmine reads or writes, with
GUIDs normalized (lower case, no braces). ``ProjectData`` and ``ImportedProject`` are the
qualmine side: a project's content without the database, in document order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qualmine.models import Codebook, Coding, Segment, Turn


@dataclass(frozen=True, slots=True)
class RefiCode:
    """A ``Code``: ``parent`` is the GUID of the code it is nested in, or None."""

    guid: str
    name: str
    codable: bool = True
    color: str = ""
    description: str = ""
    parent: str | None = None
    note_refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RefiSet:
    """A ``Set``: member codes, sources and notes by GUID."""

    guid: str
    name: str
    description: str = ""
    codes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RefiCodebook:
    """Codes in document order (parents before children) and the sets of codes."""

    codes: tuple[RefiCode, ...]
    sets: tuple[RefiSet, ...] = ()
    origin: str = ""


@dataclass(frozen=True, slots=True)
class RefiCoding:
    """A ``Coding`` of a selection (or of a whole source)."""

    guid: str
    code: str
    user: str = ""
    created: str = ""
    note_refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RefiSelection:
    """A ``PlainTextSelection``: code-point offsets, ``end`` exclusive."""

    guid: str
    start: int
    end: int
    name: str = ""
    user: str = ""
    created: str = ""
    description: str = ""
    codings: tuple[RefiCoding, ...] = ()
    note_refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RefiValue:
    """A ``VariableValue``: the variable's GUID, its value type and the value as written."""

    variable: str
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class RefiSource:
    """A source. ``kind`` is ``text``, ``pdf``, ``picture``, ``audio`` or ``video``.

    ``text`` is the plain text when it could be read (inline or from the archive);
    ``problem`` says why not. ``plain_path`` is the path written on export.
    """

    guid: str
    name: str
    kind: str = "text"
    text: str | None = None
    problem: str = ""
    plain_path: str = ""
    rich_path: str = ""
    description: str = ""
    selections: tuple[RefiSelection, ...] = ()
    codings: tuple[RefiCoding, ...] = ()
    note_refs: tuple[str, ...] = ()
    values: tuple[RefiValue, ...] = ()
    other_selections: int = 0


@dataclass(frozen=True, slots=True)
class RefiVariable:
    """A ``Variable``: ``kind`` is its ``typeOfVariable``."""

    guid: str
    name: str
    kind: str = "Text"
    description: str = ""


@dataclass(frozen=True, slots=True)
class RefiCase:
    """A ``Case`` with its variable values and the sources it belongs to."""

    guid: str
    name: str
    description: str = ""
    values: tuple[RefiValue, ...] = ()
    sources: tuple[str, ...] = ()
    selections: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RefiNote:
    """A ``Note``; ``text`` is None when it could not be read (``problem`` says why)."""

    guid: str
    name: str = ""
    text: str | None = ""
    problem: str = ""
    plain_path: str = ""
    user: str = ""
    created: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class RefiProject:
    """A ``Project``. ``users`` maps GUID to name; ``skipped`` counts elements not read."""

    name: str
    origin: str = ""
    users: dict[str, str] = field(default_factory=dict)
    codebook: RefiCodebook = RefiCodebook(())
    variables: tuple[RefiVariable, ...] = ()
    cases: tuple[RefiCase, ...] = ()
    sources: tuple[RefiSource, ...] = ()
    notes: tuple[RefiNote, ...] = ()
    sets: tuple[RefiSet, ...] = ()
    note_refs: tuple[str, ...] = ()
    description: str = ""
    creating_user: str = ""
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Loss:
    """One line of a data-loss report: what was not carried over, how many, and why."""

    element: str
    count: int
    why: str


@dataclass(frozen=True, slots=True)
class Memo:
    """A memo. ``target``: a document name, a code id, a coding's index, or ``""``."""

    kind: str
    target: str
    coder: str
    text: str
    created: str = ""


@dataclass(frozen=True, slots=True)
class DocumentData:
    """A document with its turns and segments (None: to be parsed from the text)."""

    name: str
    text: str
    turns: tuple[Turn, ...] | None = None
    segments: tuple[Segment, ...] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    encoding: str = "utf-8"
    case: str = ""


@dataclass(frozen=True, slots=True)
class ProjectData:
    """A project's content, database ids replaced by positions.

    ``Coding.document_id`` is an index into ``documents``; a coding memo's target is an
    index into ``codings``; ``done`` holds (document index, coder, when marked).
    ``done`` is None when the source had no done-marks to give (other tools).
    """

    name: str
    codebook: Codebook | None
    documents: tuple[DocumentData, ...] = ()
    codings: tuple[Coding, ...] = ()
    memos: tuple[Memo, ...] = ()
    done: tuple[tuple[int, str, str], ...] | None = ()
    cases: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportedProject:
    """A REFI-QDA project read for qualmine: its content and what could not be kept."""

    data: ProjectData
    losses: tuple[Loss, ...] = ()
    from_qualmine: bool = False
