"""The report's sections, each built from the library's analysis functions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from qualmine.analysis.codebook_view import codebook_table
from qualmine.analysis.corpus import CodedCorpus, load_corpus
from qualmine.export.report import Section
from qualmine.models import Table
from qualmine.project.config import Project

Plot = Callable[[Callable[[Path], Any], str], str]
CROSSTAB_ATTRIBUTES = ("age_band", "position", "company_size", "country")
QUOTES_PER_CODE = 3


def build_sections(project: Project, plot: Plot) -> list[Section]:
    """Every section of the report, in reading order."""
    corpus = load_corpus(project)
    sections = [
        _codebook(project),
        _frequencies(project, corpus),
        _crosstabs(project, corpus),
        _cooccurrence(corpus, plot),
        _saturation(project, plot),
        _agreement(project),
        _auto_coders(project),
        _quotes(corpus),
        _joint(project),
        _topics(project),
    ]
    return [s for s in sections if s is not None]


def _codebook(project: Project) -> Section:
    return Section(
        "codebook",
        "Codebook",
        "The codes, their definitions and how often each coder applied them.",
        (codebook_table(project, None),),
    )


def _frequencies(project: Project, corpus: CodedCorpus) -> Section:
    from qualmine.analysis.frequencies import code_frequencies

    table = code_frequencies(corpus, rollup=True, marks=project.config.transcription_marks)
    return Section(
        "frequencies",
        "Code frequencies",
        "Units, coded words, documents and "
        "cases per code; parents count a unit once when any code below them "
        "applies.",
        (table,),
    )


def _crosstabs(project: Project, corpus: CodedCorpus) -> Section | None:
    from qualmine.analysis.crosstabs import CrosstabOptions, code_crosstab

    present = {k for attrs in corpus.cases.values() for k in attrs}
    options = CrosstabOptions(seed=project.config.seed)
    tables = tuple(code_crosstab(corpus, a, options) for a in CROSSTAB_ATTRIBUTES if a in present)
    if not tables:
        return None
    return Section(
        "crosstabs",
        "Codes by case attributes",
        "Cases with each code by group. "
        "The tests are descriptive: a dozen cases give them very little power.",
        tables,
    )


def _cooccurrence(corpus: CodedCorpus, plot: Plot) -> Section:
    from qualmine.analysis.cooccurrence import cooccurrence_tables
    from qualmine.export.plots import write_heatmap

    tables = cooccurrence_tables(corpus, top=15)
    matrix = next((t for t in tables if "matrix" in t.title.lower()), tables[-1])

    def draw(base: Path) -> None:
        write_heatmap(matrix, base.with_suffix(".svg"))
        write_heatmap(matrix, base.with_suffix(".png"))

    svg = plot(draw, "cooccurrence")
    return Section(
        "cooccurrence",
        "Code co-occurrence",
        "Codes that share units: counts, Jaccard and the c-coefficient.",
        tuple(tables),
        (("Co-occurrence of codes (units carrying both)", svg),) if svg else (),
    )


def _saturation(project: Project, plot: Plot) -> Section:
    from qualmine.analysis.saturation import SaturationRequest, saturation_report
    from qualmine.export.saturation_plot import plot_saturation

    coders = (project.config.report_coder,) if project.config.report_coder else ()
    result, tables = saturation_report(project, SaturationRequest(coders=coders))
    svg = plot(lambda base: plot_saturation(result, base), "saturation")
    return Section(
        "saturation",
        "Code accumulation",
        "Codes observed over successive "
        "interviews, against a fixed codebook: not inductive saturation.",
        tuple(tables),
        (("Code accumulation with the random-order band", svg),),
    )


def _people(project: Project) -> list[str]:
    with project.session() as conn:
        rows = conn.execute(
            "SELECT DISTINCT coder FROM done WHERE coder NOT LIKE 'auto:%' ORDER BY coder"
        ).fetchall()
    return [r[0] for r in rows]


def _agreement(project: Project) -> Section | None:
    from qualmine.analysis.reliability import agreement_table

    people = _people(project)
    if len(people) < 2:
        return None
    lead = project.config.report_coder or people[0]
    ordered = [lead, *[p for p in people if p != lead]]
    tables = agreement_table(project, ordered, "segment")
    return Section(
        "agreement",
        "Inter-coder agreement",
        f"Agreement between {', '.join(ordered)} per code, on the documents each marked done.",
        tuple(tables),
    )


def _auto_coders(project: Project) -> Section | None:
    from qualmine.coding.assessment import EvaluateRequest, evaluate_project, evaluation_tables
    from qualmine.errors import QualmineError

    gold = project.config.report_coder
    if not gold:
        return None
    with project.session() as conn:
        autos = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT coder FROM codings WHERE coder LIKE 'auto:%' ORDER BY coder"
            )
        ]
    tables: list[Table] = []
    for auto in autos:
        try:
            result, meta = evaluate_project(project, EvaluateRequest(gold, auto))
        except QualmineError:
            continue
        summary = evaluation_tables(result, meta)[1]
        tables.append(Table(f"{auto} against {gold}", summary.columns, summary.rows, summary.meta))
    if not tables:
        return None
    return Section(
        "auto-coders",
        "Auto-coders against the report coder",
        "How far the "
        "auto-coders' suggestions agree with the person whose coding feeds this "
        "report, each figure beside its chance level.",
        tuple(tables),
    )


def _quotes(corpus: CodedCorpus) -> Section:
    from qualmine.analysis.cases import coding_cases

    names = corpus.documents
    rows = []
    for code in corpus.codebook.codes:
        picked: set[str] = set()
        pairs = sorted(
            (p for p in coding_cases(corpus) if p[0].code == code.id),
            key=lambda p: (names[p[0].document_id], p[0].start),
        )
        for coding, case in pairs:
            if case in picked:
                continue
            picked.add(case)
            rows.append((code.id, case, names[coding.document_id], coding.quote))
            if len(picked) == QUOTES_PER_CODE:
                break
    meta = corpus.describe()
    meta["rule"] = (
        f"up to {QUOTES_PER_CODE} quotes per code from different cases, in document and text order"
    )
    table = Table("Quotes per code", ("code", "case", "document", "quote"), tuple(rows), meta)
    return Section("quotes", "Quotes per code", "", (table,))


def _joint(project: Project) -> Section | None:
    from qualmine.analysis.joint import joint_display, survey_tables

    if not project.config.findings:
        return None
    tables = (joint_display(project), *survey_tables(project))
    return Section(
        "joint",
        "Joint display: survey findings and interview evidence",
        "Each published figure beside what the interviews say about it. "
        "Interview counts are not estimates of the survey's percentages.",
        tables,
    )


def _topics(project: Project) -> Section | None:
    from qualmine.errors import NotFoundError
    from qualmine.topics import topics_section

    try:
        section = topics_section(project)
    except NotFoundError:
        return None
    return Section(
        "topics",
        section.title,
        "Inductive topics (BERTopic) beside the "
        "deductive codebook: which topics the codes cover and which are emergent.",
        section.tables,
        (("Topic sizes", section.svg),),
    )
