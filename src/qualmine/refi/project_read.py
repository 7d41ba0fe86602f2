"""A ``.qde`` project file -> RefiProject, accepting what real exporters write.

Accepted beyond the letter of Project.xsd: any ``urn:QDA-XML`` namespace version or none,
GUIDs in braces or upper case, member references as ``targetGUID``, ``guid`` or element
text, file names that differ from ``plainTextPath`` in case, sources without plain text
(kept with the reason), and a PDF's plain-text ``Representation`` read as a text source.
Only files inside the archive are read: ``relative://`` and ``absolute://`` paths never are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

from qualmine.errors import InputFileError
from qualmine.refi.codebook_xml import read_codes, read_sets
from qualmine.refi.guids import normalize_guid
from qualmine.refi.records import (
    RefiCase,
    RefiCodebook,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSource,
    RefiValue,
    RefiVariable,
)
from qualmine.refi.xmltree import child, child_text, children, guid_of, parse_xml, refs

_VALUE_KINDS = {
    "TextValue": "Text",
    "BooleanValue": "Boolean",
    "IntegerValue": "Integer",
    "FloatValue": "Float",
    "DateValue": "Date",
    "DateTimeValue": "DateTime",
}
_MEDIA = {"PictureSource": "picture", "AudioSource": "audio", "VideoSource": "video"}


def read_project(data: bytes, texts: Mapping[str, bytes], where: str) -> RefiProject:
    """Read a ``.qde`` file; ``texts`` holds the archive's text entries by lower-case name.

    Raises:
        InputFileError: unsafe or malformed XML, or the root is not a Project.
    """
    root = parse_xml(data, where)
    if root.tag != "Project":
        raise InputFileError(where, f"the root element is <{root.tag}>, not <Project>")
    users = {
        guid_of(u, "guid"): u.get("name") or u.get("id") or guid_of(u, "guid")
        for u in _items(root, "Users", "User")
    }
    codes_el = child(child(root, "CodeBook") or Element("CodeBook"), "Codes")
    sources, skipped = _sources(root, texts)
    skipped.update({tag: len(list(_items(root, tag + "s", tag))) for tag in ("Link", "Graph")})
    return RefiProject(
        name=root.get("name", ""),
        origin=root.get("origin", ""),
        users=users,
        codebook=RefiCodebook(tuple(read_codes(codes_el)) if codes_el is not None else ()),
        variables=tuple(_variable(v) for v in _items(root, "Variables", "Variable")),
        cases=tuple(_case(c) for c in _items(root, "Cases", "Case")),
        sources=tuple(sources),
        notes=tuple(_note(n, texts) for n in _items(root, "Notes", "Note")),
        sets=tuple(read_sets(child(root, "Sets") or Element("Sets"))),
        note_refs=refs(root, "NoteRef"),
        description=child_text(root, "Description"),
        creating_user=normalize_guid(root.get("creatingUserGUID")),
        skipped={k: v for k, v in skipped.items() if v},
    )


def _items(root: Element, holder: str, tag: str) -> list[Element]:
    found = child(root, holder)
    return list(children(found, tag)) if found is not None else []


def _variable(element: Element) -> RefiVariable:
    return RefiVariable(
        guid_of(element, "guid"),
        element.get("name", ""),
        element.get("typeOfVariable", "Text"),
        child_text(element, "Description"),
    )


def _values(element: Element) -> tuple[RefiValue, ...]:
    values = []
    for value_el in children(element, "VariableValue"):
        ref = child(value_el, "VariableRef")
        held = next((c for c in value_el if c.tag in _VALUE_KINDS), None)
        if ref is not None and held is not None:
            kind = _VALUE_KINDS[str(held.tag)]
            values.append(RefiValue(guid_of(ref, "targetGUID", "guid"), kind, held.text or ""))
    return tuple(values)


def _case(element: Element) -> RefiCase:
    return RefiCase(
        guid=guid_of(element, "guid"),
        name=element.get("name", "") or guid_of(element, "guid"),
        description=child_text(element, "Description"),
        values=_values(element),
        sources=refs(element, "SourceRef"),
        selections=refs(element, "SelectionRef"),
        codes=refs(element, "CodeRef"),
    )


def _sources(root: Element, texts: Mapping[str, bytes]) -> tuple[list[RefiSource], Counter[str]]:
    found: list[RefiSource] = []
    skipped: Counter[str] = Counter()
    holder = child(root, "Sources")
    for element in list(holder) if holder is not None else []:
        tag = str(element.tag)
        if tag == "TextSource":
            found.append(_text_source(element, texts, "text"))
        elif tag == "PDFSource":
            found.append(_pdf_source(element, texts))
        elif tag in _MEDIA:
            found.append(_media_source(element, _MEDIA[tag]))
        else:
            skipped[tag] += 1
    return found, skipped


def _text_source(
    element: Element, texts: Mapping[str, bytes], kind: str, name: str = ""
) -> RefiSource:
    text, problem = _content(element, texts)
    guid = guid_of(element, "guid")
    return RefiSource(
        guid=guid,
        name=name or element.get("name", "") or guid,
        kind=kind,
        text=text,
        problem=problem,
        plain_path=element.get("plainTextPath", ""),
        rich_path=element.get("richTextPath", ""),
        description=child_text(element, "Description"),
        selections=tuple(_selection(s) for s in children(element, "PlainTextSelection")),
        codings=tuple(_coding(c) for c in children(element, "Coding")),
        note_refs=refs(element, "NoteRef"),
        values=_values(element),
    )


def _pdf_source(element: Element, texts: Mapping[str, bytes]) -> RefiSource:
    guid = guid_of(element, "guid")
    name = element.get("name", "") or guid
    representation = child(element, "Representation")
    pdf_selections = len(list(children(element, "PDFSelection")))
    if representation is None:
        return _media_source(element, "pdf", "a PDF without a plain-text representation")
    source = _text_source(representation, texts, "pdf", name)
    return replace(
        source,
        guid=guid,
        other_selections=pdf_selections,
        note_refs=refs(element, "NoteRef") + source.note_refs,
    )


def _media_source(element: Element, kind: str, problem: str = "") -> RefiSource:
    selections = sum(1 for c in element.iter() if str(c.tag).endswith("Selection"))
    codings = tuple(_coding(c) for c in element.iter("Coding"))
    return RefiSource(
        guid=guid_of(element, "guid"),
        name=element.get("name", "") or guid_of(element, "guid"),
        kind=kind,
        text=None,
        problem=problem or _media_problem(element, kind),
        codings=codings,
        other_selections=selections,
    )


def _media_problem(element: Element, kind: str) -> str:
    if child(element, "Transcript") is not None:
        return f"a {kind} source; qualmine reads text sources only, not media transcripts"
    return f"a {kind} source; qualmine reads text sources only"


def _selection(element: Element) -> RefiSelection:
    return RefiSelection(
        guid=guid_of(element, "guid"),
        start=_int(element.get("startPosition")),
        end=_int(element.get("endPosition")),
        name=element.get("name", ""),
        user=normalize_guid(element.get("creatingUser")),
        created=element.get("creationDateTime", ""),
        description=child_text(element, "Description"),
        codings=tuple(_coding(c) for c in children(element, "Coding")),
        note_refs=refs(element, "NoteRef"),
    )


def _int(value: str | None) -> int:
    try:
        return int(float((value or "").strip()))
    except ValueError:
        return -1


def _coding(element: Element) -> RefiCoding:
    code = child(element, "CodeRef")
    return RefiCoding(
        guid=guid_of(element, "guid"),
        code=guid_of(code, "targetGUID", "guid") if code is not None else "",
        user=normalize_guid(element.get("creatingUser")),
        created=element.get("creationDateTime", ""),
        note_refs=refs(element, "NoteRef"),
    )


def _note(element: Element, texts: Mapping[str, bytes]) -> RefiNote:
    text, problem = _content(element, texts)
    return RefiNote(
        guid=guid_of(element, "guid"),
        name=element.get("name", ""),
        text=text,
        problem=problem,
        plain_path=element.get("plainTextPath", ""),
        user=normalize_guid(element.get("creatingUser")),
        created=element.get("creationDateTime", ""),
        description=child_text(element, "Description"),
    )


def _content(element: Element, texts: Mapping[str, bytes]) -> tuple[str | None, str]:
    """The plain text of a text source or note: inline, or an internal file."""
    inline = child(element, "PlainTextContent")
    if inline is not None:
        return inline.text or "", ""
    path = element.get("plainTextPath", "").strip()
    if not path:
        if element.get("richTextPath"):
            return None, "formatted text only (no plain-text copy)"
        return None, "no plain text"
    if not path.lower().startswith("internal://"):
        return None, f"an external file ({path.split('://')[0]}://), never read"
    name = PurePosixPath(path[len("internal://") :].lstrip("/")).name.lower()
    data = texts.get(name, texts.get(name.replace("{", "").replace("}", "")))
    if data is None:
        return None, f"its file {name} is not in the archive"
    return _decode(data), ""


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
