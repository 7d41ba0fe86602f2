"""The shared document filters: --docs and --where ATTRIBUTE=VALUE."""

from __future__ import annotations

import fnmatch
import sqlite3
from collections.abc import Sequence

from qualmine.errors import QualmineError
from qualmine.storage.documents import all_cases


def _names(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    return [(r[0], r[1]) for r in conn.execute("SELECT name, id FROM documents ORDER BY name")]


def _match_docs(spec: str, names: list[tuple[str, int]]) -> list[int]:
    """One --docs item: a name, a glob (P0[1-6]) or a range of names (P01..P06)."""
    if ".." in spec:
        low, high = spec.split("..", 1)
        return [i for n, i in names if low <= n <= high]
    if any(ch in spec for ch in "*?["):
        return [i for n, i in names if fnmatch.fnmatchcase(n, spec)]
    return [i for n, i in names if n == spec or str(i) == spec]


def resolve_documents(
    conn: sqlite3.Connection, docs: Sequence[str] = (), where: Sequence[str] = ()
) -> list[int]:
    """Ids of the documents that pass both filters (no filter: every document).

    ``docs`` items are names, globs or ``FIRST..LAST`` ranges, comma-separated or repeated;
    ``where`` items are ``ATTRIBUTE=VALUE`` (several values: ``age_band=20-35|55+``) and
    keep the documents in which a case with those attributes speaks.

    Raises:
        QualmineError: an item matches no document, or a filter is malformed.
    """
    names = _names(conn)
    chosen = {i for _, i in names}
    if docs:
        picked: set[int] = set()
        for spec in (s.strip() for item in docs for s in item.split(",") if s.strip()):
            found = _match_docs(spec, names)
            if not found:
                raise QualmineError(
                    f"--docs {spec}: no document matches; `qualmine documents` lists them"
                )
            picked.update(found)
        chosen &= picked
    for condition in where:
        chosen &= _where(conn, condition)
    return sorted(chosen)


def _where(conn: sqlite3.Connection, condition: str) -> set[int]:
    if "=" not in condition:
        raise QualmineError(f"--where {condition}: use ATTRIBUTE=VALUE, e.g. age_band=36-45")
    key, value = (part.strip() for part in condition.split("=", 1))
    wanted = set(value.split("|"))
    cases = all_cases(conn)
    if not any(key in attrs for attrs in cases.values()):
        known = sorted({k for attrs in cases.values() for k in attrs})
        raise QualmineError(
            f"--where {condition}: no case has the attribute {key!r}; "
            f"known: {', '.join(known) or 'none'}"
        )
    matching = [c for c, attrs in cases.items() if str(attrs.get(key, "")) in wanted]
    if not matching:
        return set()
    marks = ",".join("?" * len(matching))
    rows = conn.execute(
        f"SELECT DISTINCT document_id FROM turns WHERE case_id IN ({marks})", matching
    )
    return {r[0] for r in rows}
