"""`qualmine code` and `qualmine evaluate`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from qualmine.cli.console import console, emit_tables, format_option, output_option
from qualmine.cli.context import current_project
from qualmine.cli.options import corpus_filter, filter_options

unit_option = click.option(
    "--unit",
    type=click.Choice(["segment", "turn"]),
    default="segment",
    show_default=True,
    help="What a coding covers and what is scored.",
)


@click.command()
@click.option("--method", type=click.Choice(["rules", "semantic", "learned"]), required=True)
@unit_option
@filter_options(coder=False, status=None, speaker_role=None)
@click.option("--threshold", type=float, default=None, help="Score needed for a suggestion.")
@click.option(
    "--calibrate-from",
    default=None,
    metavar="CODER",
    help="semantic: per-code thresholds maximising F1 against CODER on --calibration-docs.",
)
@click.option(
    "--calibration-docs",
    multiple=True,
    metavar="DOCS",
    help="Documents to calibrate on (default: the coded documents).",
)
@click.option(
    "--from",
    "from_coder",
    default=None,
    metavar="CODER",
    help="learned: train on CODER's codings in documents CODER marked done.",
)
@click.option("--train-docs", multiple=True, metavar="DOCS", help="learned: documents to train on.")
@click.option("--dry-run", is_flag=True, help="Print what would be done and write nothing.")
@click.pass_context
def code(
    ctx: click.Context,
    /,
    method: str,
    unit: str,
    threshold: float | None,
    calibrate_from: str | None,
    calibration_docs: tuple[str, ...],
    from_coder: str | None,
    train_docs: tuple[str, ...],
    dry_run: bool,
    **filters: Any,
) -> None:
    """Auto-code documents: suggestions for review, never accepted codings.

    Example:

        qualmine code --method rules
        qualmine code --method semantic --calibrate-from reference \\
            --calibration-docs P01..P06 --docs P07..P12
        qualmine code --method learned --from reference --train-docs P01..P06 --docs P07..P12
    """
    from qualmine.cli.summaries import code_lines
    from qualmine.coding.auto import CodeRequest, code_project

    f = corpus_filter(filters)
    request = CodeRequest(
        method,
        unit,
        f.docs,
        f.where,
        calibrate_from,
        calibration_docs,
        from_coder,
        threshold,
        dry_run,
        {"train_docs": list(train_docs)},
    )
    result = code_project(current_project(ctx), request)
    for line in code_lines(result):
        console.print(line, markup=False)
    if result.report:
        from qualmine.coding.learned import report_table

        emit_tables([report_table(result.report)], "table", None)


@click.command()
@click.option("--gold", required=True, metavar="CODER", help="The coder taken as right.")
@click.option("--pred", required=True, metavar="CODER", help="The coder scored (e.g. auto:rules).")
@unit_option
@filter_options(coder=False, status=None, speaker_role="Whose speech makes the units.")
@format_option
@output_option
@click.pass_context
def evaluate(
    ctx: click.Context,
    /,
    gold: str,
    pred: str,
    unit: str,
    fmt: str,
    output: Path | None,
    **filters: Any,
) -> None:
    """Score a coder against another: precision, recall, F1, kappa, recall@k, with chance.

    Only documents the gold coder marked done count.

    Example:

        qualmine evaluate --gold reference --pred auto:rules --docs P07..P12 --unit turn
    """
    from qualmine.coding.assessment import EvaluateRequest, evaluate_project, evaluation_tables

    f = corpus_filter(filters)
    request = EvaluateRequest(gold, pred, unit, f.docs, f.where, f.speaker_role)
    result, meta = evaluate_project(current_project(ctx), request)
    emit_tables(evaluation_tables(result, meta), fmt, output)
