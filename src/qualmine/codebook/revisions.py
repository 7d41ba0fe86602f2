"""Revisions of a codebook file: rename, merge, split, move.

Each revision edits the YAML text in place (comments, order and quoting elsewhere are kept),
appends a changelog entry, validates the result and only then replaces the file, in one step.
It returns a :class:`Revision` saying how ids changed, so stored codings can follow in the
same transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from qualmine.codebook import edits
from qualmine.codebook.files import TextFormat, encode_text, read_codebook_text, write_atomic
from qualmine.codebook.problems import Problem
from qualmine.codebook.schema import ID_PATTERN, close_matches
from qualmine.codebook.validation import validate_text
from qualmine.codebook.writer import changelog_entry_to_dict
from qualmine.codebook.yamltext import LayoutError
from qualmine.errors import CodebookError
from qualmine.models import ChangelogEntry, Codebook


@dataclass(frozen=True, slots=True)
class Revision:
    """What a revision changed.

    Attributes:
        action: ``rename``, ``merge``, ``split`` or ``move``.
        mapping: old id -> new id, for codings that keep their meaning under another id
            (rename: the code; merge: each merged code -> the target).
        pending: old id -> the ids its codings must be decided among again (split).
        removed: ids that no longer exist in the codebook.
        entry: the changelog entry written.
        codebook: the codebook after the revision.
        previous_version: the codebook version before the revision.
    """

    action: str
    entry: ChangelogEntry
    codebook: Codebook
    previous_version: str
    mapping: dict[str, str] = field(default_factory=dict)
    pending: dict[str, tuple[str, ...]] = field(default_factory=dict)
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Opened:
    path: Path
    text: str
    text_format: TextFormat
    codebook: Codebook


def rename_code(
    path: Path,
    old_id: str,
    new_id: str,
    *,
    new_name: str | None = None,
    coder: str,
    reason: str = "",
    date: str | None = None,
) -> Revision:
    """Give a code a new id (and optionally a new name); ``parent`` keys naming it follow.

    Raises:
        CodebookError: an unknown id, a taken or invalid new id, or a file that does not
            validate (before or after); the file is then left as it was.
    """
    opened = _open(path)
    _require(opened, [old_id])
    _require_new(opened, [new_id])
    with _layout(opened):
        text = edits.rename_text(opened.text, old_id, new_id, new_name)
    detail = f"{old_id} -> {new_id}"
    revision = Revision(
        "rename",
        _entry("rename", detail, coder, reason, date),
        opened.codebook,
        opened.codebook.version,
        mapping={old_id: new_id},
        removed=(old_id,),
    )
    return _commit(opened, text, revision)


def merge_codes(
    path: Path,
    source_ids: list[str],
    target_id: str,
    *,
    coder: str,
    reason: str = "",
    date: str | None = None,
) -> Revision:
    """Merge codes into ``target_id``.

    The merged codes are removed; their children move under the target, and their examples,
    keywords, patterns and regexes are appended to the target's (without repeats).

    Raises:
        CodebookError: an unknown id, the target among the sources or inside one of them,
            or a file that does not validate (before or after).
    """
    opened = _open(path)
    sources = list(dict.fromkeys(source_ids))
    _require(opened, [*sources, target_id])
    _check_merge(opened, sources, target_id)
    with _layout(opened):
        text = edits.merge_text(opened.text, sources, target_id, opened.codebook)
    detail = f"{', '.join(sources)} -> {target_id}"
    revision = Revision(
        "merge",
        _entry("merge", detail, coder, reason, date),
        opened.codebook,
        opened.codebook.version,
        mapping=dict.fromkeys(sources, target_id),
        removed=tuple(sources),
    )
    return _commit(opened, text, revision)


def split_code(
    path: Path,
    code_id: str,
    new_codes: list[tuple[str, str, str]],
    *,
    keep: bool = False,
    coder: str,
    reason: str = "",
    date: str | None = None,
) -> Revision:
    """Split a code into new sibling codes, each ``(id, name, definition)``, placed after it.

    The original is removed unless ``keep``; a code with children can only be split with
    ``keep`` (move its children first). Codings of the original must be decided again:
    ``Revision.pending`` lists the ids to choose among.

    Raises:
        CodebookError: an unknown id, a taken or invalid new id, children without ``keep``,
            or a file that does not validate (before or after).
    """
    opened = _open(path)
    _require(opened, [code_id])
    new_ids = [new_id for new_id, _, _ in new_codes]
    _require_new(opened, new_ids)
    _check_split(opened, code_id, new_ids, keep)
    with _layout(opened):
        text = edits.split_text(opened.text, code_id, new_codes, keep)
    detail = f"{code_id} -> {', '.join(new_ids)}" + (f" ({code_id} kept)" if keep else "")
    choices = (code_id, *new_ids) if keep else tuple(new_ids)
    revision = Revision(
        "split",
        _entry("split", detail, coder, reason, date),
        opened.codebook,
        opened.codebook.version,
        pending={code_id: choices},
        removed=() if keep else (code_id,),
    )
    return _commit(opened, text, revision)


def move_code(
    path: Path,
    code_id: str,
    new_parent: str | None,
    *,
    coder: str,
    reason: str = "",
    date: str | None = None,
) -> Revision:
    """Move a code (with its children) under ``new_parent``, or to the top level (None).

    Raises:
        CodebookError: an unknown id, a move under the code itself or its descendants, a
            code already there, or a file that does not validate (before or after).
    """
    opened = _open(path)
    _require(opened, [code_id] + ([new_parent] if new_parent is not None else []))
    old_parent = _check_move(opened, code_id, new_parent)
    with _layout(opened):
        text = edits.move_text(opened.text, code_id, new_parent)
    detail = f"{code_id}: {old_parent or '(top level)'} -> {new_parent or '(top level)'}"
    revision = Revision(
        "move",
        _entry("move", detail, coder, reason, date),
        opened.codebook,
        opened.codebook.version,
    )
    return _commit(opened, text, revision)


def _open(path: Path) -> _Opened:
    path = Path(path)
    text, text_format = read_codebook_text(path)
    report = validate_text(text, source=str(path))
    if report.codebook is None:
        advice = f"{path}: fix these before revising the codebook"
        raise CodebookError(path, [*report.errors, advice])
    if not text.endswith("\n"):
        text += "\n"
    return _Opened(path, text, text_format, report.codebook)


def _commit(opened: _Opened, text: str, revision: Revision) -> Revision:
    text = edits.append_changelog_text(text, changelog_entry_to_dict(revision.entry))
    report = validate_text(text, source=f"{opened.path} (after {revision.action})")
    if report.codebook is None:
        raise CodebookError(opened.path, list(report.errors))
    write_atomic(opened.path, encode_text(text, opened.text_format))
    return replace(revision, codebook=replace(report.codebook, path=str(opened.path)))


def _entry(action: str, detail: str, coder: str, reason: str, date: str | None) -> ChangelogEntry:
    day = date or datetime.date.today().isoformat()
    return ChangelogEntry(date=day, coder=coder, action=action, detail=detail, reason=reason)


@contextmanager
def _layout(opened: _Opened) -> Iterator[None]:
    """Turn a LayoutError raised inside the block into a CodebookError naming the file."""
    try:
        yield
    except LayoutError as error:
        problem = Problem(error.line, error.code_id, error.message)
        raise CodebookError(opened.path, [problem.format(str(opened.path))]) from error


def _fail(opened: _Opened, problems: Iterable[str]) -> None:
    problems = list(problems)
    if problems:
        raise CodebookError(opened.path, problems)


def _require(opened: _Opened, ids: list[str]) -> None:
    known = [code.id for code in opened.codebook.codes]
    problems = []
    for code_id in ids:
        if opened.codebook.code(code_id) is None:
            matches = close_matches(code_id, known)
            hint = f"; close matches: {', '.join(matches)}" if matches else ""
            problems.append(f"{opened.path}: code {code_id}: no such code{hint}")
    _fail(opened, problems)


def _require_new(opened: _Opened, ids: list[str]) -> None:
    problems = []
    for index, new_id in enumerate(ids):
        existing = opened.codebook.code(new_id)
        if not ID_PATTERN.fullmatch(new_id):
            problems.append(
                f"{opened.path}: code {new_id}: invalid id: use only lower case "
                "letters, digits, '_', '-' and '.'"
            )
        elif existing is not None:
            problems.append(
                f"{opened.path}:{existing.line}: code {new_id}: already exists; "
                "choose another id (or merge into it)"
            )
        elif new_id in ids[:index]:
            problems.append(f"{opened.path}: code {new_id}: given twice")
    _fail(opened, problems)


def _descendants(book: Codebook, code_id: str) -> set[str]:
    found: set[str] = set()
    todo = [code_id]
    while todo:
        for child in book.children(todo.pop()):
            found.add(child.id)
            todo.append(child.id)
    return found


def _check_merge(opened: _Opened, sources: list[str], target: str) -> None:
    book, path = opened.codebook, opened.path
    if target in sources:
        _fail(opened, [f"{path}: code {target}: cannot merge a code into itself"])
    inside = [s for s in sources if target in _descendants(book, s)]
    _fail(
        opened,
        [
            f"{path}: code {target}: it is inside {s}, which is merged into it; move it out first"
            for s in inside
        ],
    )


def _check_split(opened: _Opened, code_id: str, new_ids: list[str], keep: bool) -> None:
    if not new_ids:
        _fail(opened, [f"{opened.path}: code {code_id}: a split needs at least one new code"])
    children = [c.id for c in opened.codebook.children(code_id)]
    if children and not keep:
        _fail(
            opened,
            [
                f"{opened.path}: code {code_id}: has children ({', '.join(children)}); "
                "move them first, or keep the code"
            ],
        )


def _check_move(opened: _Opened, code_id: str, new_parent: str | None) -> str | None:
    code = opened.codebook.code(code_id)
    old_parent = code.parent if code is not None else None
    path = opened.path
    if new_parent is not None and (
        new_parent == code_id or new_parent in _descendants(opened.codebook, code_id)
    ):
        _fail(
            opened,
            [
                f"{path}: code {code_id}: cannot move a code under itself or one of its "
                f"descendants ({new_parent})"
            ],
        )
    if new_parent == old_parent:
        where = f"under {new_parent}" if new_parent else "at the top level"
        _fail(opened, [f"{path}: code {code_id}: already {where}"])
    return old_parent
