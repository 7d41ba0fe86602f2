"""The command line: the only package that imports click or rich."""

from __future__ import annotations

import click

from qualmine import __version__
from qualmine.cli.lazy import LazyGroup

COMMANDS = {
    "init": "qualmine.cli.project_commands:init",
    "import": "qualmine.cli.project_commands:import_",
    "documents": "qualmine.cli.project_commands:documents",
    "show": "qualmine.cli.project_commands:show",
    "cases": "qualmine.cli.project_commands:cases",
    "whoami": "qualmine.cli.project_commands:whoami",
    "log": "qualmine.cli.project_commands:log",
    "codebook": "qualmine.cli.codebook_commands:codebook",
    "codings": "qualmine.cli.coding_commands:codings",
    "tag": "qualmine.cli.coding_commands:tag",
    "untag": "qualmine.cli.coding_commands:untag",
    "memo": "qualmine.cli.coding_commands:memo",
    "done": "qualmine.cli.coding_commands:done",
    "run": "qualmine.cli.run_command:run",
    "report": "qualmine.cli.report_command:report",
    "code": "qualmine.cli.auto_commands:code",
    "review": "qualmine.cli.review:review",
    "joint": "qualmine.cli.mixed_commands:joint",
    "evaluate": "qualmine.cli.auto_commands:evaluate",
    "topics": "qualmine.cli.topic_commands:topics",
    "freq": "qualmine.cli.table_commands:freq",
    "crosstab": "qualmine.cli.table_commands:crosstab",
    "cooccur": "qualmine.cli.table_commands:cooccur",
    "matrix": "qualmine.cli.table_commands:matrix",
    "agree": "qualmine.cli.query_commands:agree",
    "saturation": "qualmine.cli.query_commands:saturation",
    "quotes": "qualmine.cli.query_commands:quotes",
    "search": "qualmine.cli.query_commands:search",
    "project": "qualmine.cli.interchange_commands:project",
    "undo": "qualmine.cli.safety_commands:undo",
    "redact": "qualmine.cli.safety_commands:redact",
}


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(__version__, prog_name="qualmine")
@click.option(
    "--project",
    "project",
    type=click.Path(file_okay=False),
    default=None,
    help="The project folder (default: found from the current folder upwards).",
)
@click.option(
    "--as",
    "as_",
    default=None,
    metavar="NAME",
    help="Act as this coder (default: QUALMINE_CODER, then your config file).",
)
@click.pass_context
def cli(ctx: click.Context, project: str | None, as_: str | None) -> None:
    """qualmine: code interview transcripts, mine them, and report honestly.

    Example:

    \b
        qualmine init study && cd study
        qualmine import transcripts/
        qualmine documents
    """
    ctx.obj = {"project": project, "as": as_}


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="qualmine")
