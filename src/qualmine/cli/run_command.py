"""`qualmine run`: the whole job on a project folder."""

from __future__ import annotations

from pathlib import Path

import click

from qualmine.cli.console import console, err_console
from qualmine.cli.context import acting_coder, current_project


@click.command()
@click.option("--no-topics", is_flag=True, help="Skip topic modelling.")
@click.option("--no-auto-code", is_flag=True, help="Skip the rule and semantic auto-coders.")
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The report folder (default: report/ in the project).",
)
@click.option(
    "--embedder",
    default="minilm",
    show_default=True,
    callback=lambda ctx, param, value: _known_embedder(value),
    help="Sentence embedder of the semantic coder and topics: minilm, or static (distilled "
    "from MiniLM once, about 100 times faster).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Run parsing, segmentation, rule coding and embedding on this Dask scheduler "
    "(tcp://host:8786); workers need the project folder at the same path.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    help="Run those stages on a local Dask cluster of N worker processes.",
)
@click.pass_context
def run(
    ctx: click.Context,
    no_topics: bool,
    no_auto_code: bool,
    output: Path | None,
    embedder: str,
    scheduler: str | None,
    workers: int,
) -> None:
    """Run the main job on this project, as qualmine.toml describes it.

    Imports new or changed transcripts, loads the codebook and codings files, auto-codes,
    models topics, runs every analysis and the joint display, and writes report/:
    index.html, tables (CSV and XLSX), plots and manifest.json. Stages whose inputs have
    not changed are skipped, and unchanged files are not rewritten.

    Example:

    \b
        cd my-study && qualmine run
        qualmine run --no-topics -o /tmp/report
        qualmine run --embedder static --workers 2
    """
    from qualmine.cli.console import progress_bar
    from qualmine.cli.summaries import run_lines
    from qualmine.pipeline import RunOptions, run_project

    project = current_project(ctx)
    options = RunOptions(
        auto_code=not no_auto_code,
        topics=not no_topics,
        output=output,
        embedder=embedder,
        scheduler=scheduler,
        workers=workers,
    )
    with progress_bar("qualmine run") as bar:

        def stage(name: str):  # type: ignore[no-untyped-def]
            err_console.print(f"[bold]{name}[/bold]")
            return bar

        result = run_project(
            project, actor=acting_coder(ctx, required=False), stage=stage, options=options
        )
    for line in run_lines(result):
        console.print(line, markup=False)


def _known_embedder(name: str) -> str:
    from qualmine.embedding.encoders import ENCODERS

    if name not in ENCODERS:
        raise click.BadParameter(f"{name!r}; use one of {', '.join(sorted(ENCODERS))}")
    return name
