"""The joint display: each quantitative finding beside the qualitative evidence for it.

Rules (stated in every table's meta):
- evidence: cases (participants) whose coded speech carries a linked code or a code below it,
  as "n of N" over the cases in documents the report coder marked done;
- stance: cases carrying the finding's `supports` code versus its `contradicts` code (from
  `direction` in the findings file);
- exemplars: codings of the supporting code (else of the linked codes), highest score first
  (codings without a score after scored ones), then document and position; at most two, from
  different cases; a disconfirming quote is the first `contradicts` coding by the same order;
- reading: silent when no case carries a linked code; with stance codes, convergent when
  supporting cases are at least twice the contradicting ones, divergent when contradicting
  cases are at least twice the supporting ones, complementary otherwise; without stance codes,
  complementary. The findings file can override it with the analyst's reading and reason.
A count of interviews is not an estimate of a survey percentage: the display sets them side
by side to compare direction and substance, never size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qualmine.analysis.cases import case_codes, cases_with_any, coding_cases, descendants
from qualmine.analysis.corpus import CodedCorpus, CorpusFilter, load_corpus
from qualmine.errors import QualmineError
from qualmine.models import Coding, Table
from qualmine.project.config import Project
from qualmine.project.findings import Finding, load_findings

RULE = (
    "convergent: supporting cases >= 2x contradicting; divergent: contradicting >= 2x "
    "supporting; complementary: otherwise or no stance codes; silent: no case carries a "
    "linked code"
)
NOT_AN_ESTIMATE = (
    "interview counts are not estimates of the survey's percentages: compare direction and "
    "substance, not size"
)


@dataclass(frozen=True, slots=True)
class JointRow:
    """One finding's row of the joint display."""

    finding: Finding
    cases_with: int
    cases_total: int
    groups: str
    supporting: int
    contradicting: int
    exemplars: tuple[tuple[str, str], ...]  # (case, quote)
    disconfirming: tuple[str, str] | None
    reading: str
    reading_basis: str


def _order(item: tuple[Coding, str], names: dict[int, str]) -> tuple[object, ...]:
    coding, _ = item
    score = coding.score if coding.score is not None else float("-inf")
    return (-score, names.get(coding.document_id, ""), coding.start, coding.code)


def pick_exemplars(
    pairs: Sequence[tuple[Coding, str]], codes: set[str], names: dict[int, str], limit: int = 2
) -> list[tuple[str, str]]:
    """Up to ``limit`` quotes of these codes from different cases, by the stated order."""
    chosen: list[tuple[str, str]] = []
    seen: set[str] = set()
    for coding, case in sorted(
        (p for p in pairs if p[0].code in codes), key=lambda p: _order(p, names)
    ):
        if case not in seen:
            seen.add(case)
            chosen.append((case, coding.quote))
        if len(chosen) == limit:
            break
    return chosen


def read_stance(supporting: int, contradicting: int, has_stance: bool, any_evidence: bool) -> str:
    """The reading rule (see the module docstring)."""
    if not any_evidence:
        return "silent"
    if not has_stance or (supporting == 0 and contradicting == 0):
        return "complementary"
    if supporting >= 2 * contradicting and supporting > 0:
        return "convergent"
    if contradicting >= 2 * supporting and contradicting > 0:
        return "divergent"
    return "complementary"


def _group_split(
    finding: Finding, carried: dict[str, set[str]], linked: set[str], corpus: CodedCorpus
) -> str:
    parts = []
    for attribute in finding.attributes:
        groups: dict[str, list[str]] = {}
        for case, attrs in corpus.cases.items():
            groups.setdefault(str(attrs.get(attribute, "?")), []).append(case)
        for value in sorted(groups):
            members = groups[value]
            n = sum(1 for c in members if carried.get(c, set()) & linked)
            mark = "*" if value in finding.groups.get(attribute, ()) else ""
            parts.append(f"{attribute}={value}{mark}: {n} of {len(members)}")
    return "; ".join(parts)


def joint_rows(corpus: CodedCorpus, findings: Sequence[Finding]) -> list[JointRow]:
    """A row per finding (see the module docstring for every rule)."""
    carried = case_codes(corpus)
    pairs = coding_cases(corpus)
    total = len(carried)
    rows = []
    for f in findings:
        linked = (
            set().union(*(descendants(corpus.codebook, c) for c in f.codes)) if f.codes else set()
        )
        with_code = cases_with_any(carried, linked)
        support = descendants(corpus.codebook, f.supports) if f.supports else set()
        contra = descendants(corpus.codebook, f.contradicts) if f.contradicts else set()
        s, c = len(cases_with_any(carried, support)), len(cases_with_any(carried, contra))
        reading = read_stance(s, c, bool(support or contra), bool(with_code or s or c))
        basis = "rule"
        if f.reading:
            reading, basis = f.reading, f"analyst: {f.reading_reason or 'no reason given'}"
        exemplars = pick_exemplars(pairs, support or linked, corpus.documents)
        disconfirm = pick_exemplars(pairs, contra, corpus.documents, limit=1)
        split = _group_split(f, carried, linked, corpus) if linked else ""
        rows.append(
            JointRow(
                f,
                len(with_code),
                total,
                split,
                s,
                c,
                tuple(exemplars),
                disconfirm[0] if disconfirm else None,
                reading,
                basis,
            )
        )
    return rows


def joint_table(rows: Sequence[JointRow], meta: dict[str, str]) -> Table:
    """The joint display as a table."""
    out = []
    for r in rows:
        f = r.finding
        n = f"n={f.n} ({'stated' if f.n_stated else 'assumed'})" if f.n is not None else "n/a"
        stance = (
            f"{r.supporting} support, {r.contradicting} contradict"
            if (f.supports or f.contradicts)
            else ""
        )
        out.append(
            (
                f.id,
                f.quote,
                f"{f.value} {f.unit}",
                n,
                ", ".join(f.codes),
                f"{r.cases_with} of {r.cases_total}" if f.codes else "",
                r.groups,
                stance,
                " | ".join(f"{case}: {q}" for case, q in r.exemplars),
                f"{r.disconfirming[0]}: {r.disconfirming[1]}" if r.disconfirming else "",
                r.reading,
                r.reading_basis,
            )
        )
    columns = (
        "finding",
        "quoted statement",
        "value",
        "denominator",
        "linked codes",
        "cases with code",
        "by group (* = groups the finding names)",
        "stance cases",
        "exemplar quotes",
        "disconfirming quote",
        "reading",
        "reading from",
    )
    full_meta = {**meta, "reading rule": RULE, "caution": NOT_AN_ESTIMATE}
    return Table("Joint display", columns, tuple(out), full_meta)


def joint_display(
    project: Project,
    findings_path: Path | None = None,
    *,
    coder: str | None = None,
    include_all: bool = False,
) -> Table:
    """The joint display for a project's findings file and report coder."""
    path = findings_path or (
        project.path(project.config.findings) if project.config.findings else None
    )
    if path is None:
        raise QualmineError(
            "no findings file: pass --findings FILE or set findings in qualmine.toml"
        )
    findings = load_findings(path)
    chosen = [f for f in findings.findings if include_all or f.scope == "survey"]
    coders = (coder,) if coder else ()
    corpus = load_corpus(project, CorpusFilter(coders=coders))
    meta = corpus.describe()
    meta["findings"] = f"{path.name}: {len(chosen)} of {len(findings.findings)} findings" + (
        "" if include_all else " (survey scope; --all adds the rest)"
    )
    if project.config.notice:
        meta["data"] = project.config.notice
    return joint_table(joint_rows(corpus, chosen), meta)


def survey_tables(project: Project, findings_path: Path | None = None) -> list[Table]:
    """Tables for the findings that say how to compute them from survey data."""
    path = findings_path or project.path(project.config.findings)
    from qualmine.analysis.survey import survey_table

    return [
        survey_table(f.id, f.compute, path.parent)
        for f in load_findings(path).findings
        if f.compute
    ]
