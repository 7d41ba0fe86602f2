"""RefiProject -> the XML of a ``project.qde``, in the element order Project.xsd requires."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree.ElementTree import Element

from qualmine.refi.codebook_xml import add_codes, add_sets
from qualmine.refi.records import (
    RefiCase,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSource,
    RefiValue,
)
from qualmine.refi.xmltree import PROJECT_NS, add, add_text, root_element, serialize

_VALUE_TAGS = {
    "Text": "TextValue",
    "Boolean": "BooleanValue",
    "Integer": "IntegerValue",
    "Float": "FloatValue",
    "Date": "DateValue",
    "DateTime": "DateTimeValue",
}


def write_project(project: RefiProject) -> bytes:
    """The ``project.qde`` XML for a project."""
    root = root_element("Project", PROJECT_NS, {"name": project.name, "origin": project.origin})
    if project.users:
        users = add(root, "Users")
        for guid, name in project.users.items():
            add(users, "User", {"guid": guid, "name": name})
    if project.codebook.codes:
        add_codes(add(root, "CodeBook"), project.codebook.codes, notes=True)
    if project.variables:
        holder = add(root, "Variables")
        for variable in project.variables:
            element = add(
                holder,
                "Variable",
                {"guid": variable.guid, "name": variable.name, "typeOfVariable": variable.kind},
            )
            add_text(element, "Description", variable.description)
    _add_cases(root, project.cases)
    _add_sources(root, project.sources)
    _add_notes(root, project.notes)
    add_sets(root, project.sets, member="targetGUID")
    add_text(root, "Description", project.description)
    _add_refs(root, project.note_refs)
    return serialize(root)


def _add_refs(parent: Element, targets: Sequence[str], tag: str = "NoteRef") -> None:
    for target in targets:
        add(parent, tag, {"targetGUID": target})


def _add_values(parent: Element, values: Sequence[RefiValue]) -> None:
    for value in values:
        element = add(parent, "VariableValue")
        add(element, "VariableRef", {"targetGUID": value.variable})
        add(element, _VALUE_TAGS[value.kind]).text = value.value


def _add_cases(root: Element, cases: Sequence[RefiCase]) -> None:
    if not cases:
        return
    holder = add(root, "Cases")
    for case in cases:
        element = add(holder, "Case", {"guid": case.guid, "name": case.name})
        add_text(element, "Description", case.description)
        _add_refs(element, case.codes, "CodeRef")
        _add_values(element, case.values)
        _add_refs(element, case.sources, "SourceRef")
        _add_refs(element, case.selections, "SelectionRef")


def _add_sources(root: Element, sources: Sequence[RefiSource]) -> None:
    if not sources:
        return
    holder = add(root, "Sources")
    for source in sources:
        element = add(
            holder,
            "TextSource",
            {"guid": source.guid, "name": source.name, "plainTextPath": source.plain_path},
        )
        add_text(element, "Description", source.description)
        for selection in source.selections:
            _add_selection(element, selection)
        for coding in source.codings:
            _add_coding(element, coding)
        _add_refs(element, source.note_refs)
        _add_values(element, source.values)


def _add_selection(parent: Element, selection: RefiSelection) -> None:
    element = add(
        parent,
        "PlainTextSelection",
        {
            "guid": selection.guid,
            "name": selection.name,
            "startPosition": str(selection.start),
            "endPosition": str(selection.end),
            "creatingUser": selection.user,
            "creationDateTime": selection.created,
        },
    )
    add_text(element, "Description", selection.description)
    for coding in selection.codings:
        _add_coding(element, coding)
    _add_refs(element, selection.note_refs)


def _add_coding(parent: Element, coding: RefiCoding) -> None:
    element = add(
        parent,
        "Coding",
        {"guid": coding.guid, "creatingUser": coding.user, "creationDateTime": coding.created},
    )
    add(element, "CodeRef", {"targetGUID": coding.code})
    _add_refs(element, coding.note_refs)


def _add_notes(root: Element, notes: Sequence[RefiNote]) -> None:
    if not notes:
        return
    holder = add(root, "Notes")
    for note in notes:
        element = add(
            holder,
            "Note",
            {
                "guid": note.guid,
                "name": note.name,
                "plainTextPath": note.plain_path,
                "creatingUser": note.user,
                "creationDateTime": note.created,
            },
        )
        add_text(element, "Description", note.description)
        if not note.plain_path:
            add_text(element, "PlainTextContent", note.text or "")
