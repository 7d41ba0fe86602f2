"""qualmine codebooks <-> REFI-QDA codebooks, and merging an imported codebook into one.

Export: each code keeps its place in the tree; its definition, criteria and examples go
into the ``Description`` (see ``descriptions``); each grouping code (``codable: false``
with sub-codes) also becomes a ``Set`` of the codes under it, for programs that group
codes in sets rather than in a tree (ATLAS.ti).

Import: nesting gives the parents. A code that a set lists but that has no parent is put
under the set, which becomes a grouping code (so ATLAS.ti code groups become parents); a
code can have one parent only, so further set memberships are reported, not kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from qualmine.models import Code, Codebook
from qualmine.refi.descriptions import describe_code, read_description
from qualmine.refi.guids import stable_guid
from qualmine.refi.records import Loss, RefiCode, RefiCodebook, RefiSet

FORMAT_VERSION = 1
_ID = re.compile(r"[a-z0-9_.-]+")
_COLOR = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_ROLES = ("participant", "interviewer", "any")
_STANCES = ("for", "against")


def code_guid(code_id: str) -> str:
    """The GUID a code is exported under."""
    return stable_guid("code", code_id)


def codebook_to_refi(book: Codebook, origin: str = "") -> RefiCodebook:
    """A codebook as REFI-QDA codes (in codebook order) and code-group sets."""
    codes = tuple(
        RefiCode(
            guid=code_guid(c.id),
            name=c.name,
            codable=c.codable,
            color=c.color,
            description=describe_code(c),
            parent=code_guid(c.parent) if c.parent else None,
        )
        for c in book.codes
    )
    sets = tuple(
        RefiSet(stable_guid("code-group", c.id), c.name, codes=_descendants(book, c.id))
        for c in book.codes
        if not c.codable and book.children(c.id)
    )
    return RefiCodebook(codes, sets, origin)


def _descendants(book: Codebook, code_id: str) -> tuple[str, ...]:
    found: list[str] = []
    for child in book.children(code_id):
        found += [code_guid(child.id), *_descendants(book, child.id)]
    return tuple(found)


def codebook_from_refi(
    book: RefiCodebook, name: str
) -> tuple[Codebook, dict[str, str], tuple[Loss, ...]]:
    """A codebook from REFI-QDA codes and sets; also the GUID -> code id map and losses.

    The result is not yet validated (its ``content_hash`` is empty): load it through the
    YAML validator before use.
    """
    losses: Counter[tuple[str, str]] = Counter()
    codes, parent = _parents_from_sets(list(book.codes), book.sets, losses)
    ordered = _ordered(codes, parent)
    described = {c.guid: read_description(c.description) for c in ordered}
    ids = _assign_ids(ordered, parent, described)
    built = tuple(_code(c, ids, parent, described[c.guid], losses) for c in ordered)
    losses_out = tuple(Loss(element, n, why) for (element, why), n in losses.items())
    return Codebook(name, FORMAT_VERSION, built), ids, losses_out


def _parents_from_sets(
    codes: list[RefiCode], sets: tuple[RefiSet, ...], losses: Counter[tuple[str, str]]
) -> tuple[list[RefiCode], dict[str, str | None]]:
    parent: dict[str, str | None] = {c.guid: c.parent for c in codes}
    names = {c.name: c for c in codes}
    for each in sets:
        members = [g for g in each.codes if g in parent]
        group: str | None = None
        for member in members:
            if parent[member] is not None or member == group:
                if not _under_named(member, each.name, parent, codes):
                    losses[
                        ("Set membership", "a code has one parent in qualmine; kept the first")
                    ] += 1
                continue
            if group is None:
                group = _group_code(each, names, members, codes, parent)
            if member != group and not _under(group, member, parent):
                parent[member] = group
    return codes, parent


def _group_code(
    each: RefiSet,
    names: dict[str, RefiCode],
    members: list[str],
    codes: list[RefiCode],
    parent: dict[str, str | None],
) -> str:
    """The grouping code for a set: a top-level code of the same name, or a new one."""
    same = names.get(each.name)
    if same is not None and same.parent is None and same.guid not in members:
        return same.guid
    group = RefiCode(each.guid, each.name, codable=False, description=each.description)
    codes.insert(next(i for i, c in enumerate(codes) if c.guid == members[0]), group)
    parent[group.guid] = None
    names.setdefault(each.name, group)
    return group.guid


def _under(code: str | None, ancestor: str, parent: dict[str, str | None]) -> bool:
    seen: set[str] = set()
    while code is not None and code not in seen:
        if code == ancestor:
            return True
        seen.add(code)
        code = parent.get(code)
    return False


def _under_named(
    code: str, name: str, parent: dict[str, str | None], codes: list[RefiCode]
) -> bool:
    by_guid = {c.guid: c for c in codes}
    above = parent.get(code)
    seen: set[str] = set()
    while above is not None and above not in seen:
        if by_guid[above].name == name:
            return True
        seen.add(above)
        above = parent.get(above)
    return False


def _ordered(codes: list[RefiCode], parent: dict[str, str | None]) -> list[RefiCode]:
    kids: dict[str | None, list[RefiCode]] = {}
    for code in codes:
        kids.setdefault(parent[code.guid], []).append(code)
    out: list[RefiCode] = []
    seen: set[str] = set()
    stack = list(reversed(kids.get(None, [])))
    while stack:
        code = stack.pop()
        if code.guid in seen:
            continue
        seen.add(code.guid)
        out.append(code)
        stack.extend(reversed(kids.get(code.guid, [])))
    return out


def slug(name: str) -> str:
    """An id part from a name: ASCII letters and digits, ``_`` between words."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:40].strip("_")


def _assign_ids(
    ordered: list[RefiCode], parent: dict[str, str | None], described: dict[str, Any]
) -> dict[str, str]:
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for code in ordered:
        extras = described[code.guid].extras or {}
        wanted = str(extras.get("id", ""))
        if not _ID.fullmatch(wanted) or wanted in taken:
            base = slug(code.name) or "code_" + code.guid.replace("-", "")[:8]
            above = parent[code.guid]
            wanted = unique_id(f"{ids[above]}.{base}" if above else base, taken)
        ids[code.guid] = wanted
        taken.add(wanted)
    return ids


def unique_id(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted_2``, ``wanted_3``... whichever is free."""
    candidate, number = wanted, 1
    while candidate in taken:
        number += 1
        candidate = f"{wanted}_{number}"
    return candidate


def _code(
    code: RefiCode,
    ids: dict[str, str],
    parent: dict[str, str | None],
    read: Any,
    losses: Counter[tuple[str, str]],
) -> Code:
    extras: dict[str, Any] = read.extras or {}
    above = parent[code.guid]
    return Code(
        id=ids[code.guid],
        name=str(extras.get("name", code.name)),
        parent=ids[above] if above else None,
        definition=read.definition,
        full_definition=read.full_definition,
        include=read.include,
        exclude=read.exclude,
        examples=read.examples,
        color=_color(code.color, losses),
        codable=code.codable,
        **_hints(extras),
    )


def _color(value: str, losses: Counter[tuple[str, str]]) -> str:
    match = _COLOR.fullmatch(value)
    if not value or not match:
        if value:
            losses[("Code color", f"not a #rrggbb colour (e.g. {value!r})")] += 1
        return ""
    digits = match.group(1)
    return "#" + ("".join(d * 2 for d in digits) if len(digits) == 3 else digits)


def _hints(extras: dict[str, Any]) -> dict[str, Any]:
    """The auto-coding hints a qualmine description carried, where well-formed."""
    hints: dict[str, Any] = {}
    for key in ("keywords", "regex", "exclude_keywords"):
        value = extras.get(key)
        if isinstance(value, list):
            hints[key] = tuple(str(v) for v in value)
    patterns = extras.get("patterns")
    if isinstance(patterns, list) and all(isinstance(p, list) for p in patterns):
        hints["patterns"] = tuple(tuple(t for t in p if isinstance(t, dict)) for p in patterns)
    if extras.get("speaker_role") in _ROLES:
        hints["speaker_role"] = extras["speaker_role"]
    if extras.get("stance") in _STANCES:
        hints["stance"] = extras["stance"]
    return hints


@dataclass(frozen=True, slots=True)
class MergePlan:
    """What merging an imported codebook into an existing one does.

    Attributes:
        added: new codes with their final ids and parents, parents before children.
        ids: imported code id -> id in the merged codebook.
        kept: existing codes that an imported code matched (by id or name) but that
            differ from it; the existing code is kept as it is.
    """

    added: tuple[Code, ...]
    ids: dict[str, str]
    kept: tuple[str, ...]


def plan_merge(existing: Codebook, incoming: Codebook) -> MergePlan:
    """Match imported codes to existing ones by id, then by name; add the rest."""
    by_id = {c.id: c for c in existing.codes}
    by_name = {c.name.casefold(): c for c in existing.codes}
    taken = set(by_id)
    ids: dict[str, str] = {}
    added: list[Code] = []
    kept: list[str] = []
    for code in incoming.codes:
        match = by_id.get(code.id) or by_name.get(code.name.casefold())
        parent = ids.get(code.parent) if code.parent else None
        if match is not None:
            ids[code.id] = match.id
            if replace(code, id=match.id, parent=parent, line=match.line) != match:
                kept.append(match.id)
            continue
        ids[code.id] = unique_id(code.id, taken)
        taken.add(ids[code.id])
        added.append(replace(code, id=ids[code.id], parent=parent))
    return MergePlan(tuple(added), ids, tuple(kept))
