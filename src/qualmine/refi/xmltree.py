"""Reading REFI-QDA XML safely, and writing it deterministically.

Reading goes through defusedxml with document type declarations refused outright: a
REFI-QDA file never needs one, and refusing them stops entity expansion ("billion
laughs") and external entities before they start. Namespaces are dropped on reading, so
the 1.0 namespaces, the legacy ``urn:QDA-XML:project:0:10`` / ``codebook:0:4`` ones and
files without any read alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from xml.etree.ElementTree import Element, ParseError, SubElement, indent, tostring

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden

from qualmine.errors import InputFileError
from qualmine.refi.guids import normalize_guid

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def parse_xml(data: bytes, where: str) -> Element:
    """Parse XML bytes into a tree whose tags and attribute names carry no namespace.

    Raises:
        InputFileError: the XML declares a document type or entities, or is not
            well-formed; the message names ``where`` and the line.
    """
    try:
        root: Element = SafeTree.fromstring(data, forbid_dtd=True)
    except (DTDForbidden, EntitiesForbidden):
        raise InputFileError(
            where,
            "refused: the XML declares a document type or entities",
            "REFI-QDA files never need them; they can expand without end or read local files",
        ) from None
    except DefusedXmlException as exc:
        raise InputFileError(where, f"refused: unsafe XML ({type(exc).__name__})") from None
    except ParseError as exc:
        line = exc.position[0] if exc.position else 0
        raise InputFileError(
            f"{where}:{line}", f"not well-formed XML ({exc.msg})", "the file is damaged"
        ) from None
    for element in root.iter():
        element.tag = local_name(str(element.tag))
        for key in [k for k in element.attrib if k.startswith("{")]:
            element.attrib[local_name(key)] = element.attrib.pop(key)
    return root


def local_name(tag: str) -> str:
    """``{namespace}Name`` -> ``Name``."""
    return tag.rsplit("}", 1)[-1]


def children(element: Element, tag: str) -> Iterator[Element]:
    """The direct children with this tag, in order."""
    return (child for child in element if child.tag == tag)


def child(element: Element, tag: str) -> Element | None:
    """The first direct child with this tag, or None."""
    return next(children(element, tag), None)


def child_text(element: Element, tag: str) -> str:
    """The text of the first child with this tag (``""`` when absent or empty)."""
    found = child(element, tag)
    return (found.text or "") if found is not None else ""


def guid_of(element: Element, *names: str) -> str:
    """The first of these attributes that is set, as a normalized GUID (or the text)."""
    for name in names:
        if element.get(name):
            return normalize_guid(element.get(name))
    return normalize_guid(element.text)


def refs(element: Element, tag: str) -> tuple[str, ...]:
    """The GUIDs a list of reference children point at (``targetGUID``, ``guid`` or text)."""
    return tuple(g for g in (guid_of(e, "targetGUID", "guid") for e in children(element, tag)) if g)


def xml_text(text: str) -> str:
    """Text with the characters XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def add(parent: Element, tag: str, attributes: Mapping[str, str] | None = None) -> Element:
    """A new child, its attributes in the order given, empty values left out."""
    values = {k: xml_text(v) for k, v in (attributes or {}).items() if v != ""}
    return SubElement(parent, tag, values)


def add_text(parent: Element, tag: str, text: str) -> None:
    """A child holding text (nothing when the text is empty)."""
    if text:
        add(parent, tag).text = xml_text(text)


def root_element(tag: str, namespace: str, attributes: Mapping[str, str]) -> Element:
    """The root element with the default namespace declared on it."""
    values = {"xmlns": namespace, **{k: xml_text(v) for k, v in attributes.items() if v}}
    return Element(tag, values)


def serialize(root: Element) -> bytes:
    """UTF-8 XML with a declaration, indented by two spaces: same tree, same bytes."""
    indent(root, space="  ")
    body = tostring(root, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")
