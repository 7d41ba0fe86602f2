"""Building the registry: the project's own people (speaker labels, case ids, name
attributes), the names and organisations lists, and the people found in its running text.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from qualmine.project.redaction.names import (
    TITLES,
    Entity,
    Registry,
    _form,
    heuristic_names,
    name_like,
    ner_people,
    ordinary_words,
    person_forms,
)
from qualmine.project.redaction.rewriting import text_columns

NAME_COLUMNS = frozenset(
    ("name", "full_name", "fullname", "first_name", "last_name", "surname", "given_name")
    + ("pseudonym", "speaker", "label", "participant_name", "interviewee", "interviewer")
)
_PSEUDONYM_LIKE = re.compile(r"\bP\d{2,}\b|\[[A-Z]+-\d+\]")


def _walk(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def _case_rows(conn: sqlite3.Connection) -> list[tuple[str, dict[str, Any]]]:
    return [(r[0], json.loads(r[1])) for r in conn.execute("SELECT id, attributes FROM cases")]


def build_registry(
    conn: sqlite3.Connection,
    names: Sequence[str] = (),
    orgs: Sequence[str] = (),
    *,
    ner: bool = True,
) -> Registry:
    """Everyone and everything to replace, from the project and the lists given."""
    present = {m for text in _all_text(conn) for m in _PSEUDONYM_LIKE.findall(text)}
    registry = Registry(present.__contains__)
    cases = _case_rows(conn)
    case_of = _participant_pseudonyms(conn, cases)
    turns = conn.execute(
        "SELECT speaker, speaker_role, case_id FROM turns ORDER BY document_id, idx"
    ).fetchall()
    people: list[tuple[str, str]] = []  # (name, pseudonym or "")
    for speaker, role, case in turns:
        if name_like(speaker):
            fixed = case if case and not name_like(case) else case_of.get(speaker, "")
            people.append((speaker, fixed if role == "participant" else ""))
    for case, attributes in cases:
        if name_like(case):
            people.append((case, case_of.get(case, "")))
        for key, value in attributes.items():
            if key.lower() in NAME_COLUMNS and isinstance(value, str) and name_like(value):
                people.append((value, case if not name_like(case) else case_of.get(case, "")))
    for original, fixed in dict.fromkeys(people):
        kind = "participant" if fixed or original in case_of else "person"
        _add_person(registry, kind, original, fixed or case_of.get(original, ""))
    for listed in names:
        _add_person(registry, "person", listed, "")
    _add_given_names(registry)
    for org in orgs:
        entity = registry.add("org", org)
        registry.add_form(_form(org), entity, org)
        registry.add_form(tuple(p for w in _form(org) for p in w.split("-")), entity)
    _add_discovered(registry, conn, ner)
    return registry


def _participant_pseudonyms(
    conn: sqlite3.Connection, cases: Sequence[tuple[str, dict[str, Any]]]
) -> dict[str, str]:
    """Name-like case ids and participant speakers -> a fixed pseudonym if one is known."""
    out: dict[str, str] = {}
    for case, attributes in cases:
        if name_like(case):
            out.setdefault(case, "")
            continue
        for key, value in attributes.items():
            if key.lower() in NAME_COLUMNS and isinstance(value, str) and name_like(value):
                out[value] = case
    for speaker, case in conn.execute(
        "SELECT DISTINCT speaker, case_id FROM turns WHERE speaker_role = 'participant' "
        "AND case_id IS NOT NULL"
    ):
        if name_like(speaker) and not name_like(case):
            out.setdefault(speaker, case)
    return out


def _add_person(registry: Registry, kind: str, original: str, pseudonym: str) -> None:
    original = " ".join(original.split())
    entity = registry.add(kind, original, pseudonym)
    for form, lone in person_forms(original):
        if not lone:
            registry.add_form(form, entity, original if form == _form(original) else "")
    for form, lone in person_forms(original):
        if lone:
            registry.add_form(form, entity)


def _add_discovered(registry: Registry, conn: sqlite3.Connection, ner: bool) -> None:
    texts = list(_running_text(conn))
    for text in texts:
        for surface, form in heuristic_names(text):
            if form not in registry.by_form:
                entity = registry.add("person", surface)
                registry.add_form(form, entity, surface)
    if ner:
        for found in ner_people(texts):
            if _form(found) not in registry.by_form:
                _add_person(registry, "person", found, "")


def _add_given_names(registry: Registry) -> None:
    """A given name alone stands for its person when only one person has it."""
    owners: dict[str, list[Entity]] = {}
    for entity in registry.entities:
        if entity.kind in ("person", "participant"):
            words = [w for w in _form(entity.original) if w not in TITLES]
            if len(words) > 1:
                owners.setdefault(words[0], []).append(entity)
    common = ordinary_words()
    for given, entities in sorted(owners.items()):
        if len(given) < 3 or given in common or (given,) in registry.by_form:
            continue
        distinct = {e.pseudonym for e in entities}
        owner = entities[0] if len(distinct) == 1 else registry.add("person", given.title())
        registry.add_form((given,), owner)


def _running_text(conn: sqlite3.Connection) -> Iterator[str]:
    for (text,) in conn.execute("SELECT text FROM documents ORDER BY id"):
        yield text
    for (metadata,) in conn.execute("SELECT metadata FROM documents ORDER BY id"):
        yield from _walk(json.loads(metadata))
    for (text,) in conn.execute("SELECT text FROM memos ORDER BY id"):
        yield text
    for (memo,) in conn.execute("SELECT memo FROM codings WHERE memo != '' ORDER BY id"):
        yield memo
    for _, attributes in _case_rows(conn):
        yield from _walk(attributes)


def _all_text(conn: sqlite3.Connection) -> Iterator[str]:
    for column in text_columns(conn):
        for (value,) in conn.execute(
            f'SELECT "{column.name}" FROM "{column.table}" WHERE typeof("{column.name}") = \'text\''
        ):
            yield value
    for (text,) in conn.execute("SELECT text FROM documents"):
        yield text
