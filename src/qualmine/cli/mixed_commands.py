"""`qualmine joint`: quantitative findings beside the interviews' evidence."""

from __future__ import annotations

from pathlib import Path

import click

from qualmine.cli.console import emit_tables, format_option, output_option
from qualmine.cli.context import current_project


@click.command()
@click.option(
    "--findings",
    "findings_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The findings file (default: from qualmine.toml).",
)
@click.option("--coder", default=None, help="Whose codings (default: report_coder).")
@click.option("--all", "include_all", is_flag=True, help="Also context and interview figures.")
@format_option
@output_option
@click.pass_context
def joint(
    ctx: click.Context,
    findings_path: Path | None,
    coder: str | None,
    include_all: bool,
    fmt: str,
    output: Path | None,
) -> None:
    """A joint display: each finding with cases, group and stance splits, quotes, reading.

    Example:

    \b
        qualmine joint --findings findings/findings.yaml -o joint.xlsx
    """
    from qualmine.analysis.joint import joint_display, survey_tables

    project = current_project(ctx)
    table = joint_display(project, findings_path, coder=coder, include_all=include_all)
    emit_tables([table, *survey_tables(project, findings_path)], fmt, output)
