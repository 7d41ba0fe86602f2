"""Whole-codebook checks (ids, parents, cycles, stance), warnings, and loading a codebook file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qualmine.codebook.files import read_codebook_text
from qualmine.codebook.hashing import content_hash
from qualmine.codebook.problems import Problem
from qualmine.codebook.reader import Draft, DraftCode, read_draft
from qualmine.codebook.schema import close_matches
from qualmine.errors import CodebookError
from qualmine.models import Code, Codebook


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What validating a codebook file found.

    Attributes:
        errors: every error, ``FILE:LINE: code ID: problem``, sorted by line.
        warnings: every warning in the same form (under ``strict`` they are errors instead).
        codebook: the codebook, or None when there are errors.
    """

    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    codebook: Codebook | None

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors


def validate_codebook(path: Path, *, strict: bool = False) -> ValidationReport:
    """Validate a codebook file, reporting every problem at once.

    Args:
        path: the YAML file.
        strict: count warnings (missing definition or examples) as errors.

    Raises:
        InputFileError: the file cannot be read or is not UTF-8 text.
    """
    text, _ = read_codebook_text(path)
    return validate_text(text, source=str(path), strict=strict)


def load_codebook(path: Path, *, strict: bool = False) -> Codebook:
    """Read and validate a codebook file.

    Raises:
        CodebookError: listing every problem, each as ``FILE:LINE: code ID: problem``.
        InputFileError: the file cannot be read or is not UTF-8 text.
    """
    report = validate_codebook(path, strict=strict)
    if report.codebook is None:
        raise CodebookError(path, list(report.errors))
    return report.codebook


def validate_text(text: str, *, source: str, strict: bool = False) -> ValidationReport:
    """Validate codebook YAML text; ``source`` names it in messages and in ``Codebook.path``."""
    draft, problems = read_draft(text)
    if draft is not None:
        problems += check_hierarchy(draft.codes) + _warnings(draft.codes)
    if strict:
        problems = [Problem(p.line, p.code_id, p.message) for p in problems]
    problems.sort(key=lambda p: p.line)
    errors = tuple(p.format(source) for p in problems if not p.warning)
    warnings = tuple(p.format(source) for p in problems if p.warning)
    codebook = None if errors or draft is None else _build(draft, source)
    return ValidationReport(errors, warnings, codebook)


def _build(draft: Draft, source: str) -> Codebook:
    codes = order_codes([d.code for d in draft.codes])
    return Codebook(
        name=draft.name,
        format_version=draft.format_version,
        codes=codes,
        changelog=draft.changelog,
        content_hash=content_hash(draft.format_version, codes),
        path=source,
    )


def order_codes(codes: Iterable[Code]) -> tuple[Code, ...]:
    """Parents before children; siblings in file order (nested and flat codes alike)."""
    by_parent: dict[str | None, list[Code]] = {}
    for code in codes:
        by_parent.setdefault(code.parent, []).append(code)
    ordered: list[Code] = []
    stack = list(reversed(by_parent.get(None, [])))
    while stack:
        code = stack.pop()
        ordered.append(code)
        stack.extend(reversed(by_parent.get(code.id, [])))
    return tuple(ordered)


def check_hierarchy(drafts: tuple[DraftCode, ...]) -> list[Problem]:
    """Duplicate ids, unknown parents, parent cycles and stance codes without a parent."""
    problems: list[Problem] = []
    first: dict[str, DraftCode] = {}
    for draft in (d for d in drafts if d.has_id):
        code = draft.code
        if code.id in first:
            earlier = first[code.id].id_line
            problems.append(
                Problem(
                    draft.id_line,
                    code.id,
                    f"duplicate id: defined on lines {earlier} and {draft.id_line}",
                )
            )
        else:
            first[code.id] = draft
    for draft in drafts:
        problems.extend(_parent_problems(draft, first))
    problems.extend(_cycle_problems(first))
    return problems


def _parent_problems(draft: DraftCode, known: dict[str, DraftCode]) -> list[Problem]:
    code = draft.code
    if draft.parent_line and code.parent is not None and code.parent not in known:
        matches = close_matches(code.parent, known)
        hint = f" (close matches: {', '.join(matches)})" if matches else ""
        return [Problem(draft.parent_line, code.id, f"unknown parent '{code.parent}'{hint}")]
    if code.stance and code.parent is None:
        return [
            Problem(
                draft.stance_line,
                code.id,
                f"stance '{code.stance}' on a top-level code: a stance code is a sub-code "
                "of the code whose position it takes or rejects (add a parent)",
            )
        ]
    return []


def _cycle_problems(codes: dict[str, DraftCode]) -> list[Problem]:
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done
    problems = []
    for start in codes:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in codes and node not in state:
            state[node] = 1
            path.append(node)
            node = codes[node].code.parent
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node) :]
            problems.append(_cycle_problem([codes[c] for c in cycle]))
        state.update(dict.fromkeys(path, 2))
    return problems


def _cycle_problem(cycle: list[DraftCode]) -> Problem:
    # Reported once, at the earliest parent key in the cycle, starting the chain there.
    at = min(range(len(cycle)), key=lambda i: cycle[i].parent_line or cycle[i].id_line)
    chain = [d.code.id for d in cycle[at:] + cycle[:at]]
    where = cycle[at]
    return Problem(
        where.parent_line or where.id_line,
        where.code.id,
        f"parent cycle: {' -> '.join(chain + chain[:1])}",
    )


def _warnings(drafts: tuple[DraftCode, ...]) -> list[Problem]:
    problems = []
    for draft in drafts:
        code = draft.code
        if not code.definition:
            problems.append(Problem(code.line, code.id, "no definition", warning=True))
        if code.codable and not code.examples:
            problems.append(Problem(code.line, code.id, "no examples", warning=True))
    return problems
