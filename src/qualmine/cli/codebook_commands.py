"""`qualmine codebook ...`: validate, show, and revise the YAML codebook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from qualmine.cli.console import console, emit_tables, err_console, format_option, output_option
from qualmine.cli.context import acting_coder, current_project
from qualmine.cli.lazy import GuardedGroup
from qualmine.errors import CodebookError

_file_argument = click.argument(
    "file", required=False, type=click.Path(dir_okay=False, path_type=Path)
)


@click.group(cls=GuardedGroup)
def codebook() -> None:
    """Validate, show and revise the codebook (the YAML file is the source of truth).

    Example:

    \b
        qualmine codebook validate codebooks/study.yaml
    """


@codebook.command()
@_file_argument
@click.option(
    "--strict", is_flag=True, help="Treat warnings (no definition, no examples) as errors."
)
@click.pass_context
def validate(ctx: click.Context, file: Path | None, strict: bool) -> None:
    """Check a codebook and list every problem with its file, line and code id.

    Without FILE, checks the codebook named in qualmine.toml.

    Example:

    \b
        qualmine codebook validate codebooks/study.yaml --strict
    """
    from qualmine.codebook import validate_codebook

    path = file if file is not None else _project_codebook(ctx)
    report = validate_codebook(path, strict=strict)
    for warning in report.warnings:
        err_console.print(f"warning: {warning}", markup=False, soft_wrap=True)
    if report.errors:
        raise CodebookError(path, list(report.errors))
    assert report.codebook is not None
    cb = report.codebook
    console.print(f"{path}: valid, {len(cb.codes)} codes, version {cb.version}", markup=False)


def _project_codebook(ctx: click.Context) -> Path:
    from qualmine.project.codebook_sync import project_codebook_path

    return project_codebook_path(current_project(ctx))


@codebook.command("show")
@_file_argument
@click.option("--definitions/--no-definitions", default=True, help="Print each code's definition.")
@format_option
@output_option
@click.pass_context
def show_codebook(
    ctx: click.Context, file: Path | None, definitions: bool, fmt: str, output: Path | None
) -> None:
    """Show the code tree with definitions and, once codings exist, counts per coder.

    Example:

    \b
        qualmine codebook show --format md -o codebook.md
    """
    from qualmine.analysis.codebook_view import codebook_table

    project = None if file is not None else current_project(ctx)
    table = codebook_table(project, file, definitions=definitions)
    emit_tables([table], fmt, output)


def _revise(ctx: click.Context, action: str, reason: str, **kwargs: Any) -> None:
    from qualmine.project.revisions import revise_codebook

    project = current_project(ctx)
    result = revise_codebook(project, action, coder=acting_coder(ctx), reason=reason, **kwargs)
    for line in result:
        console.print(line, markup=False)


_reason = click.option("--reason", required=True, help="Why: kept in the codebook's changelog.")


@codebook.command()
@click.argument("old_id")
@click.argument("new_id")
@click.option("--name", default=None, help="A new name for the code as well.")
@_reason
@click.pass_context
def rename(ctx: click.Context, old_id: str, new_id: str, name: str | None, reason: str) -> None:
    """Rename a code; its codings follow it.

    Example:

    \b
        qualmine codebook rename trust.web trust.online --reason "round 2: clearer id"
    """
    _revise(ctx, "rename", old_id=old_id, new_id=new_id, new_name=name, reason=reason)


@codebook.command()
@click.argument("source_ids", nargs=-1, required=True)
@click.option("--into", "target_id", required=True, help="The code they merge into.")
@_reason
@click.pass_context
def merge(ctx: click.Context, source_ids: tuple[str, ...], target_id: str, reason: str) -> None:
    """Merge codes into another; their codings move to it.

    Example:

    \b
        qualmine codebook merge trust.forums trust.blogs --into trust.online --reason "overlap"
    """
    _revise(ctx, "merge", source_ids=list(source_ids), target_id=target_id, reason=reason)


@codebook.command()
@click.argument("code_id")
@click.option(
    "--into",
    "new_codes",
    multiple=True,
    required=True,
    metavar="ID=NAME",
    help="A new code (repeat for each).",
)
@click.option(
    "--assign",
    multiple=True,
    metavar="CODING_ID=CODE",
    help="Send a coding to one of the new codes; the rest wait in review.",
)
@_reason
@click.pass_context
def split(
    ctx: click.Context,
    code_id: str,
    new_codes: tuple[str, ...],
    assign: tuple[str, ...],
    reason: str,
) -> None:
    """Split a code in two or more; codings not assigned become pending suggestions.

    Example:

    \b
        qualmine codebook split trust.online --into trust.online.peers="Peers online" \\
            --into trust.online.media="Online media" --reason "two kinds of source"
    """
    _revise(
        ctx, "split", code_id=code_id, new_codes=list(new_codes), assign=list(assign), reason=reason
    )


@codebook.command()
@click.argument("code_id")
@click.option("--parent", default="", help="The new parent's id (empty: top level).")
@_reason
@click.pass_context
def move(ctx: click.Context, code_id: str, parent: str, reason: str) -> None:
    """Move a code under another parent (or to the top level).

    Example:

    \b
        qualmine codebook move credibility trust --reason "a kind of trust"
    """
    _revise(ctx, "move", code_id=code_id, new_parent=parent or None, reason=reason)


@codebook.command("export")
@_file_argument
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(("yaml", "qdc", "csv", "xlsx")),
    default="qdc",
    show_default=True,
    help="yaml (normalized), qdc (REFI-QDA, for other QDA programs), csv or xlsx.",
)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the terminal (xlsx needs it).",
)
@click.pass_context
def export_codebook_command(
    ctx: click.Context, file: Path | None, fmt: str, output: Path | None
) -> None:
    """Export the codebook for other programs: REFI-QDA .qdc, CSV, XLSX, or YAML.

    Definitions, criteria and examples go into each code's description in a layout
    that qualmine reads back (docs/refi-qda.md).

    Example:

    \b
        qualmine codebook export -f qdc -o codebook.qdc
    """
    import sys

    from qualmine.codebook.files import write_atomic
    from qualmine.project.interchange import export_codebook

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx writes a file: add -o FILE.xlsx")
    data = export_codebook(file if file is not None else _project_codebook(ctx), fmt)
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    write_atomic(output, data)
    err_console.print(f"wrote {output}", markup=False, soft_wrap=True)


@codebook.command("import")
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--merge", is_flag=True, help="Add the codes not yet in the codebook to it.")
@click.option("--replace", "overwrite", is_flag=True, help="Overwrite an existing codebook.")
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The YAML codebook to write (default: the one qualmine.toml names).",
)
@click.pass_context
def import_codebook_command(
    ctx: click.Context, source: Path, merge: bool, overwrite: bool, output: Path | None
) -> None:
    """Import a codebook from .qdc (REFI-QDA), or .csv / .xlsx from a QDA program.

    Reads ATLAS.ti, MAXQDA, NVivo and Taguette codebook tables, and qualmine's own.
    Writes the YAML codebook, or with --merge adds the new codes to it.

    Example:

    \b
        qualmine codebook import from-nvivo.qdc --merge
    """
    from qualmine.cli.interchange_commands import print_losses
    from qualmine.project.interchange import import_codebook

    target = output if output is not None else _project_codebook(ctx)
    done = import_codebook(source, target, merge=merge, overwrite=overwrite)
    verb = "merged into" if done.merged else "wrote"
    console.print(
        f"{verb} {done.path}: {len(done.added)} code(s) added, {done.codes} in all",
        markup=False,
        soft_wrap=True,
    )
    if done.kept:
        console.print(
            f"kept as they were (the imported version differs): {', '.join(done.kept)}",
            markup=False,
            soft_wrap=True,
        )
    print_losses(done.losses)
