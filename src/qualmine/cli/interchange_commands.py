"""`qualmine project export|import`: REFI-QDA project exchange (.qdpx), and shared output."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qualmine.cli.console import console, err_console, rich_table
from qualmine.cli.context import acting_coder, current_project
from qualmine.cli.lazy import GuardedGroup
from qualmine.models import Table
from qualmine.refi import Loss

if TYPE_CHECKING:
    from qualmine.project.interchange import ProjectImport


@click.group(cls=GuardedGroup)
def project() -> None:
    """Exchange whole projects with other QDA programs (REFI-QDA .qdpx).

    Example:

    \b
        qualmine project export -o study.qdpx
        qualmine project import from-nvivo.qdpx
    """


@project.command("export")
@click.option(
    "--output",
    "-o",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .qdpx file to write.",
)
@click.pass_context
def export_(ctx: click.Context, output: Path) -> None:
    """Write the project as a REFI-QDA project (.qdpx) for ATLAS.ti, MAXQDA, NVivo...

    The same project always gives the same bytes. Suggested, rejected and orphaned
    codings, done-marks and reviews travel in the qualmine note only (docs/refi-qda.md).

    Example:

    \b
        qualmine project export -o study.qdpx
    """
    from qualmine.project.interchange import export_project

    done = export_project(current_project(ctx), output)
    console.print(
        f"wrote {done.path}: {done.documents} document(s), {done.codings} coding(s), "
        f"{done.memos} memo(s), {done.cases} case(s)",
        markup=False,
        soft_wrap=True,
    )
    if done.codings_in_note:
        console.print(
            f"{done.codings_in_note} coding(s) not accepted (suggested, rejected, orphaned) "
            "travel in the qualmine note only: other programs will not show them",
            markup=False,
            soft_wrap=True,
        )


@project.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.pass_context
def import_(ctx: click.Context, file: Path) -> None:
    """Import a REFI-QDA project (.qdpx): text sources, codebook, codings, memos, cases.

    Prints what could not be kept (element, count, why) and saves it as
    .qualmine/last-import-report.json.

    Example:

    \b
        qualmine project import from-atlas.qdpx
    """
    from qualmine.project.interchange import import_project

    done = import_project(current_project(ctx), file, actor=acting_coder(ctx, required=False))
    for line in import_lines(done):
        console.print(line, markup=False, soft_wrap=True)
    print_losses(done.losses)
    err_console.print(f"report saved to {done.report}", markup=False, soft_wrap=True)


def import_lines(done: ProjectImport) -> list[str]:
    """What a project import did, a line a fact."""
    origin = "written by qualmine" if done.from_qualmine else "from another program"
    lines = [
        f"imported {done.source} ({origin}): {len(done.documents)} new document(s), "
        f"{len(done.reused)} already present, {done.codings} coding(s), {done.memos} memo(s), "
        f"{done.cases} case(s)"
    ]
    if done.codebook:
        lines.append(f"codebook {done.codebook}: {done.codes_added} code(s) added")
    if done.done_inferred and done.done_marks:
        lines.append(
            "REFI-QDA has no done-mark: each document is marked done for every coder with "
            f"codings in it ({done.done_marks} mark(s))"
        )
    return lines


def print_losses(losses: Sequence[Loss]) -> None:
    """The data-loss report as a table, or a line saying nothing was lost."""
    if not losses:
        console.print("nothing was lost")
        return
    rows = tuple((loss.element, loss.count, loss.why) for loss in losses)
    console.print(rich_table(Table("Not carried over", ("element", "count", "why"), rows)))


def _attach_team_commands() -> None:
    """`project clone` and `project merge` live with the team-coding commands."""
    from qualmine.cli.team_commands import clone, merge

    project.add_command(clone)
    project.add_command(merge)


_attach_team_commands()
