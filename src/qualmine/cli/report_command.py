"""`qualmine report`: the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import click

from qualmine.cli.console import console
from qualmine.cli.context import current_project


@click.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The HTML file to write.",
)
@click.pass_context
def report(ctx: click.Context, output: Path) -> None:
    """Write one self-contained HTML page: codebook, frequencies, crosstabs, co-occurrence,
    code accumulation, agreement, quotes, the joint display and topics (no network needed).

    Example:

    \b
        qualmine report -o report.html
    """
    from qualmine.reporting import project_report_html

    output.write_text(project_report_html(current_project(ctx)), encoding="utf-8")
    console.print(f"wrote {output}", markup=False)
