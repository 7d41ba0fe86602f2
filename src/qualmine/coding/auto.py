"""Running an auto-coder on a project: choose units, fit, score, store the run.

Coders are chosen by name from ``CODERS``; each follows the estimator contract
(``fit`` returns self, ``score(units)`` gives every unit's ranked codes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from qualmine.coding.runs import TOP_K, RunSummary, UnitScores, store_run
from qualmine.coding.units import Unit, read_units
from qualmine.errors import QualmineError
from qualmine.models import Codebook
from qualmine.project.codebook_sync import sync_codebook
from qualmine.project.config import Project
from qualmine.project.filters import resolve_documents

Progress = Callable[[int, int, str], None]


class Coder(Protocol):
    """What every auto-coder offers."""

    def fit(self, units: Sequence[Unit] | None = None) -> Coder: ...

    def score(self, units: Sequence[Unit]) -> list[UnitScores]: ...


@dataclass(frozen=True, slots=True)
class CodeRequest:
    """What `qualmine code` was asked to do."""

    method: str
    unit: str = "segment"
    docs: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    calibrate_from: str | None = None
    calibration_docs: tuple[str, ...] = ()
    from_coder: str | None = None
    threshold: float | None = None
    dry_run: bool = False
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CodeResult:
    """A finished auto-coder run (``summary`` is None on a dry run)."""

    summary: RunSummary | None
    thresholds: dict[str, float]
    notes: tuple[str, ...]
    report: Any = None


def _rules(
    codebook: Codebook, conn: sqlite3.Connection, request: CodeRequest
) -> tuple[Coder, dict[str, float]]:
    from qualmine.coding.rules import RuleCoder

    threshold = 0.5 if request.threshold is None else request.threshold
    coder = RuleCoder(codebook, threshold=threshold)
    return coder, {c.id: threshold for c in codebook.codes}


def _semantic(
    codebook: Codebook, conn: sqlite3.Connection, request: CodeRequest
) -> tuple[Coder, dict[str, float]]:
    from qualmine.coding.semantic import SemanticCoder
    from qualmine.embedding import DEFAULT_ENCODER

    threshold = 0.45 if request.threshold is None else request.threshold
    coder = SemanticCoder(
        codebook,
        conn=conn,
        threshold=threshold,
        marks=request.options.get("marks", ()),
        encoder=request.options.get("encoder", DEFAULT_ENCODER),
    )
    return coder, {c.id: threshold for c in codebook.codes}


CODERS: dict[
    str, Callable[[Codebook, sqlite3.Connection, CodeRequest], tuple[Coder, dict[str, float]]]
] = {
    "rules": _rules,
    "semantic": _semantic,
}


def _label(request: CodeRequest) -> str:
    """The run's method label: the coder is ``auto:`` plus this."""
    return f"{request.method}-calibrated" if request.calibrate_from else request.method


def code_project(project: Project, request: CodeRequest) -> CodeResult:
    """Run one auto-coder over the chosen documents and store its run."""
    if request.method not in (*CODERS, "learned"):
        raise QualmineError(f"unknown method {request.method!r}; use rules, semantic or learned")
    codebook = sync_codebook(project).codebook
    request = replace(
        request, options={**request.options, "marks": project.config.transcription_marks}
    )
    with project.session() as conn:
        doc_ids = resolve_documents(conn, request.docs, request.where)
        if not doc_ids:
            raise QualmineError("no documents to code: the --docs and --where filters leave none")
        units = read_units(conn, request.unit, document_ids=doc_ids)
        if request.method == "learned":
            return _code_learned(conn, codebook, request, units, project.config.seed)
        coder, thresholds = CODERS[request.method](codebook, conn, request)
        coder.fit(units)
        scored = coder.score(units)
        notes: list[str] = []
        if request.calibrate_from:
            from qualmine.coding.calibrate import calibrate_on_project

            thresholds, notes = calibrate_on_project(conn, coder, request, thresholds)
        if request.dry_run:
            return CodeResult(None, thresholds, tuple(notes))
        summary = _store(conn, request, scored, thresholds, codebook)
    return CodeResult(summary, thresholds, tuple(notes))


def _store(
    conn: sqlite3.Connection,
    request: CodeRequest,
    scored: Sequence[UnitScores],
    thresholds: dict[str, float],
    codebook: Codebook,
) -> RunSummary:
    trimmed = [UnitScores(s.unit, s.scores[:TOP_K]) for s in scored]
    params = {
        "threshold": request.threshold,
        "docs": list(request.docs),
        "where": list(request.where),
        "calibrate_from": request.calibrate_from,
        "calibration_docs": list(request.calibration_docs),
        "from": request.from_coder,
        "thresholds": thresholds,
        **{k: v for k, v in request.options.items() if k != "marks"},
    }
    return store_run(
        conn,
        method=_label(request),
        unit=request.unit,
        scored=trimmed,
        thresholds=thresholds,
        codebook_version=codebook.version,
        params=params,
    )


def _code_learned(
    conn: sqlite3.Connection, codebook: Codebook, request: CodeRequest, units: list[Unit], seed: int
) -> CodeResult:
    from qualmine.coding.gold import done_units, labels_for
    from qualmine.coding.learned import LearnedCoder, cross_validate

    if not request.from_coder:
        raise QualmineError("--method learned needs --from CODER: whose codings to learn from")
    train_docs = resolve_documents(
        conn, tuple(request.options.get("train_docs") or ()), request.where
    )
    train = done_units(
        conn, request.from_coder, read_units(conn, request.unit, document_ids=train_docs)
    )
    labels = labels_for(conn, request.from_coder, train)
    threshold = 0.5 if request.threshold is None else request.threshold
    marks = request.options.get("marks", ())

    def factory() -> LearnedCoder:
        return LearnedCoder(codebook, conn=conn, threshold=threshold, seed=seed, marks=marks)

    reports, recall5 = cross_validate(factory, train, labels, threshold)
    notes = (
        f"trained on {len(train)} {request.unit}s in "
        f"{len({u.document_id for u in train})} documents marked done by "
        f"{request.from_coder}; cross-validated recall@5 {recall5:.3f}",
    )
    thresholds = {r.code: threshold for r in reports if not r.skipped}
    if request.dry_run:
        return CodeResult(None, thresholds, notes, reports)
    coder = factory().fit(train, labels)
    summary = _store(conn, request, coder.score(units), thresholds, codebook)
    return CodeResult(summary, thresholds, notes, reports)
