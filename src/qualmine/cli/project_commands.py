"""Project commands: init, import, documents, show, cases, whoami, log."""

from __future__ import annotations

from pathlib import Path

import click

from qualmine.analysis import overview as reports
from qualmine.cli import summaries
from qualmine.cli.console import console, emit_tables, err_console, format_option, output_option
from qualmine.cli.context import acting_coder, current_project
from qualmine.project.config import init_project
from qualmine.project.identity import coder_source


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="The project's title (default: the folder name).")
def init(directory: Path, name: str | None) -> None:
    """Make DIRECTORY a qualmine project (qualmine.toml and .qualmine/project.db).

    Example:

    \b
        qualmine init my-study
    """
    project, created = init_project(directory, name)
    state = "created" if created else "already a project:"
    console.print(f"{state} {project.root}")


@click.command("import")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--attributes",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Participants CSV with case attributes (default: from qualmine.toml).",
)
@click.option(
    "--max-chars",
    type=int,
    default=None,
    help="Refuse files longer than this many characters "
    "(default 5,000,000, or max_chars in qualmine.toml).",
)
@click.pass_context
def import_(
    ctx: click.Context, paths: tuple[str, ...], attributes: Path | None, max_chars: int | None
) -> None:
    """Import transcripts: files, folders or globs (.txt .md .vtt .srt .docx .csv).

    Importing an unchanged file again changes nothing; a changed file is re-imported and
    its codings re-anchored (those that cannot be are kept as orphaned and listed).

    Example:

    \b
        qualmine import transcripts/ --attributes transcripts/participants.csv
    """
    from qualmine.cli.console import progress_bar
    from qualmine.project.importer import import_transcripts

    project = current_project(ctx)
    if max_chars is not None:
        project = project.with_max_chars(max_chars)
    with progress_bar("importing") as progress:
        report = import_transcripts(
            project,
            paths,
            attributes=attributes,
            coder=acting_coder(ctx, required=False),
            progress=progress,
        )
    for line in summaries.import_lines(report):
        console.print(line)


@click.command()
@format_option
@output_option
@click.pass_context
def documents(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """List the documents with their turns, segments, words and cases.

    Example:

    \b
        qualmine documents --format csv
    """
    project = current_project(ctx)
    emit_tables([reports.documents_table(project)], fmt, output)


@click.command()
@click.argument("doc")
@click.option("--plain", is_flag=True, help="Plain text for piping: no colours or boxes.")
@click.pass_context
def show(ctx: click.Context, doc: str, plain: bool) -> None:
    """Show a document's turns: speaker, role, timestamp, segment ids and text.

    Example:

    \b
        qualmine show P01 --plain | less
    """
    project = current_project(ctx)
    lines = reports.show_lines(project, doc)
    if plain:
        click.echo("\n".join(line for line, _ in lines))
        return
    for line, style in lines:
        console.print(line, style=style, markup=False)


@click.command()
@format_option
@output_option
@click.pass_context
def cases(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """List the cases (participants) with their attributes and documents.

    Example:

    \b
        qualmine cases -o cases.xlsx
    """
    project = current_project(ctx)
    emit_tables([reports.cases_table(project)], fmt, output)


@click.command()
@click.pass_context
def whoami(ctx: click.Context) -> None:
    """Say which coder name qualmine acts as, and where the name comes from.

    Example:

    \b
        QUALMINE_CODER=alice qualmine whoami
    """
    root = ctx.find_root().obj or {}
    source = coder_source(root.get("as"))
    if source == "not set":
        err_console.print("no coder name set: pass --as NAME or set QUALMINE_CODER")
        ctx.exit(1)
    console.print(f"{acting_coder(ctx)} (from {source})")


@click.command()
@click.option("--limit", default=50, show_default=True, help="How many entries, newest first.")
@format_option
@output_option
@click.pass_context
def log(ctx: click.Context, limit: int, fmt: str, output: Path | None) -> None:
    """Show the audit log: who changed what, when, with which command.

    Example:

    \b
        qualmine log --limit 20
    """
    project = current_project(ctx)
    emit_tables([reports.log_table(project, limit)], fmt, output)
