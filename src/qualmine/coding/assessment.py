"""`qualmine evaluate`: an auto-coder's codings scored against a person's, on done documents."""

from __future__ import annotations

import math
from dataclasses import dataclass

from qualmine.analysis.evaluation import Evaluation, evaluate_codings
from qualmine.coding.gold import done_units, labels_for, unit_key
from qualmine.coding.runs import latest_run_of, run_rankings
from qualmine.coding.units import read_units
from qualmine.models import Table
from qualmine.project.codebook_sync import project_codes, sync_codebook
from qualmine.project.config import Project
from qualmine.project.filters import resolve_documents


@dataclass(frozen=True, slots=True)
class EvaluateRequest:
    """What to compare, on which units."""

    gold: str
    pred: str
    unit: str = "segment"
    docs: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    speaker_role: str | None = "participant"


def evaluate_project(
    project: Project, request: EvaluateRequest
) -> tuple[Evaluation, dict[str, str]]:
    """Score ``pred`` against ``gold`` on the gold coder's done documents."""
    sync_codebook(project)
    with project.session() as conn:
        doc_ids = resolve_documents(conn, request.docs, request.where)
        units = read_units(
            conn, request.unit, document_ids=doc_ids, speaker_role=request.speaker_role
        )
        units = done_units(conn, request.gold, units)
        gold = labels_for(conn, request.gold, units)
        pred = labels_for(conn, request.pred, units)
        codes = [c for c in project_codes(conn)]
        rankings = None
        run_id = latest_run_of(conn, request.pred, request.unit)
        if run_id is not None:
            rankings = run_rankings(conn, run_id)
        n_docs = len({u.document_id for u in units})
    keys = [unit_key(u) for u in units]
    result = evaluate_codings(keys, codes, gold, pred, rankings)
    meta = {
        "unit": f"{request.unit} ({request.speaker_role or 'any'} speech)",
        "denominator": f"{len(keys)} units in {n_docs} documents marked done by {request.gold}",
        "gold": request.gold,
        "predicted": request.pred,
        "statuses": "suggested and accepted (rejected left out)",
        "filters": f"docs={','.join(request.docs) or 'all'} where={','.join(request.where) or '-'}",
        "rule": "a unit carries a code when a coding with that code overlaps it",
        "chance": "random labels at each code's observed rates: precision = prevalence, "
        "recall = prediction rate, F1 their harmonic mean; recall@k = k / codes ranked",
    }
    return result, meta


def evaluation_tables(result: Evaluation, meta: dict[str, str]) -> list[Table]:
    """The per-code table and the summary table."""
    rows = tuple(
        (
            s.code,
            s.gold_units,
            s.pred_units,
            s.precision,
            s.chance_precision,
            s.recall,
            s.chance_recall,
            s.f1,
            s.chance_f1,
            s.kappa,
        )
        for s in result.per_code
    )
    per_code = Table(
        "Evaluation per code",
        (
            "code",
            "gold units",
            "predicted units",
            "precision",
            "chance precision",
            "recall",
            "chance recall",
            "F1",
            "chance F1",
            "kappa",
        ),
        rows,
        meta,
    )
    summary_rows: list[tuple[object, ...]] = [
        ("micro precision", result.micro_precision, result.chance_micro_precision),
        ("micro recall", result.micro_recall, result.chance_micro_recall),
        ("micro F1", result.micro_f1, result.chance_micro_f1),
        ("macro precision", result.macro_precision, ""),
        ("macro recall", result.macro_recall, ""),
        ("macro F1", result.macro_f1, ""),
        ("macro kappa", result.macro_kappa, 0.0),
    ]
    for k, value in sorted(result.recall_at.items()):
        summary_rows.append((f"recall@{k}", value, result.chance_recall_at.get(k, math.nan)))
    summary_meta = dict(meta)
    if result.recall_at:
        summary_meta["recall@k"] = (
            f"over {result.ranked_units} units with gold codes, from the "
            "latest run's ranking of every code"
        )
    else:
        summary_meta["recall@k"] = "not available: no run scores for this coder"
    return [
        per_code,
        Table(
            "Evaluation summary", ("measure", "value", "chance"), tuple(summary_rows), summary_meta
        ),
    ]
