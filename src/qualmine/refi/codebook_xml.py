"""REFI-QDA codebooks (.qdc) and the ``Codes`` and ``Sets`` parts a project shares with them."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree.ElementTree import Element

from qualmine.errors import InputFileError
from qualmine.refi.guids import stable_guid
from qualmine.refi.records import RefiCode, RefiCodebook, RefiSet
from qualmine.refi.xmltree import (
    CODEBOOK_NS,
    add,
    add_text,
    child,
    child_text,
    children,
    guid_of,
    parse_xml,
    refs,
    root_element,
    serialize,
)


def write_qdc(book: RefiCodebook) -> bytes:
    """A ``.qdc`` file: the codes nested, then a set per code group."""
    root = root_element("CodeBook", CODEBOOK_NS, {"origin": book.origin})
    add_codes(root, book.codes, notes=False)
    add_sets(root, book.sets, member="guid")
    return serialize(root)


def read_qdc(data: bytes, where: str) -> RefiCodebook:
    """Read a ``.qdc`` file (any namespace version).

    Raises:
        InputFileError: unsafe or malformed XML, or the root is not a CodeBook.
    """
    root = parse_xml(data, where)
    if root.tag != "CodeBook":
        raise InputFileError(where, f"the root element is <{root.tag}>, not <CodeBook>")
    codes_el = child(root, "Codes")
    sets_el = child(root, "Sets")
    codes = read_codes(codes_el) if codes_el is not None else []
    sets = read_sets(sets_el) if sets_el is not None else []
    return RefiCodebook(tuple(codes), tuple(sets), root.get("origin", ""))


def add_codes(parent: Element, codes: Sequence[RefiCode], *, notes: bool) -> None:
    """A ``Codes`` element with the codes nested by parent (nothing when there are none)."""
    if not codes:
        return
    by_parent: dict[str | None, list[RefiCode]] = {}
    for code in codes:
        by_parent.setdefault(code.parent, []).append(code)
    holder = add(parent, "Codes")

    def nest(into: Element, code: RefiCode) -> None:
        element = add(
            into,
            "Code",
            {
                "guid": code.guid,
                "name": code.name,
                "isCodable": "true" if code.codable else "false",
                "color": code.color,
            },
        )
        add_text(element, "Description", code.description)
        if notes:
            for target in code.note_refs:
                add(element, "NoteRef", {"targetGUID": target})
        for sub in by_parent.get(code.guid, []):
            nest(element, sub)

    for top in by_parent.get(None, []):
        nest(holder, top)


def read_codes(codes_el: Element) -> list[RefiCode]:
    """Every code under a ``Codes`` element, parents before children."""
    found: list[RefiCode] = []

    def walk(element: Element, parent: str | None) -> None:
        for code_el in children(element, "Code"):
            guid = guid_of(code_el, "guid") or stable_guid("no-guid", str(len(found)))
            codable = code_el.get("isCodable", "true").strip().lower() not in ("false", "0")
            found.append(
                RefiCode(
                    guid=guid,
                    name=code_el.get("name", "") or guid,
                    codable=codable,
                    color=code_el.get("color", "").strip(),
                    description=child_text(code_el, "Description"),
                    parent=parent,
                    note_refs=refs(code_el, "NoteRef"),
                )
            )
            walk(code_el, guid)

    walk(codes_el, None)
    return found


def add_sets(parent: Element, sets: Sequence[RefiSet], *, member: str) -> None:
    """A ``Sets`` element; ``member`` names the reference attribute (codebook vs project)."""
    if not sets:
        return
    holder = add(parent, "Sets")
    for each in sets:
        element = add(holder, "Set", {"guid": each.guid, "name": each.name})
        add_text(element, "Description", each.description)
        for tag, targets in (
            ("MemberCode", each.codes),
            ("MemberSource", each.sources),
            ("MemberNote", each.notes),
        ):
            for target in targets:
                add(element, tag, {member: target})


def read_sets(sets_el: Element) -> list[RefiSet]:
    """Every set, with members given as ``targetGUID``, ``guid`` or element text."""
    return [
        RefiSet(
            guid=guid_of(set_el, "guid"),
            name=set_el.get("name", ""),
            description=child_text(set_el, "Description"),
            codes=refs(set_el, "MemberCode"),
            sources=refs(set_el, "MemberSource"),
            notes=refs(set_el, "MemberNote"),
        )
        for set_el in children(sets_el, "Set")
    ]
