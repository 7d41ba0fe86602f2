"""`qualmine run`: the whole job on a project folder."""

from __future__ import annotations

import click

from qualmine.analysis import overview as reports
from qualmine.cli import summaries
from qualmine.cli.console import console, emit_tables
from qualmine.cli.context import acting_coder, current_project


@click.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the main job on this project, as qualmine.toml describes it.

    Imports new or changed transcripts, loads the codebook and the codings files named in
    qualmine.toml, and prints what the project holds.

    Example:

    \b
        cd my-study && qualmine run
    """
    from qualmine.pipeline import run_project

    project = current_project(ctx)
    result = run_project(project, actor=acting_coder(ctx, required=False))
    for line in summaries.run_lines(result):
        console.print(line)
    emit_tables([reports.documents_table(project), reports.cases_table(project)], "table", None)
