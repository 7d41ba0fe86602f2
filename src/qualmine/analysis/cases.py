"""Which cases carry which codes: a case carries a code when a coding overlaps its speech."""

from __future__ import annotations

from collections.abc import Iterable

from qualmine.analysis.corpus import CodedCorpus
from qualmine.models import Codebook, Coding


def descendants(codebook: Codebook, code_id: str) -> set[str]:
    """The code and every code below it."""
    found = {code_id}
    changed = True
    while changed:
        changed = False
        for code in codebook.codes:
            if code.parent in found and code.id not in found:
                found.add(code.id)
                changed = True
    return found


def coding_cases(corpus: CodedCorpus) -> list[tuple[Coding, str]]:
    """Each coding with the case whose speech it overlaps (codings on no case's speech drop)."""
    spans: dict[int, list[tuple[int, int, str]]] = {}
    for unit in corpus.units:
        if unit.case:
            spans.setdefault(unit.document_id, []).append((unit.start, unit.end, unit.case))
    out: list[tuple[Coding, str]] = []
    for coding in corpus.codings:
        seen: set[str] = set()
        for start, end, case in spans.get(coding.document_id, []):
            if start < coding.end and coding.start < end and case not in seen:
                seen.add(case)
                out.append((coding, case))
    return out


def case_codes(corpus: CodedCorpus) -> dict[str, set[str]]:
    """For every counted case, the codes it carries (possibly none)."""
    out: dict[str, set[str]] = {case: set() for case in corpus.cases}
    for coding, case in coding_cases(corpus):
        out.setdefault(case, set()).add(coding.code)
    return out


def cases_with_any(carried: dict[str, set[str]], codes: Iterable[str]) -> set[str]:
    """The cases carrying at least one of these codes."""
    wanted = set(codes)
    return {case for case, have in carried.items() if have & wanted}
