"""Shared output helpers: one console, tables in every format, progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from qualmine.export import FORMATS, Table, render_table, write_table

console = Console(highlight=False, soft_wrap=False)
err_console = Console(stderr=True, highlight=False)

format_option = click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="How to print the table (xlsx needs -o).",
)
output_option = click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the table to this file instead of the terminal.",
)


def rich_table(table: Table) -> RichTable:
    """A rich table with the meta statements as its caption."""
    shown = RichTable(title=table.title, caption=_caption(table), caption_justify="left")
    for column in table.columns:
        shown.add_column(column, overflow="fold")
    for row in table.rows:
        shown.add_row(*(_plain(v) for v in row))
    return shown


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else f"{value:.3f}"
    return str(value)


def _caption(table: Table) -> str:
    return "\n".join(f"{k}: {v}" for k, v in table.meta.items())


def emit_tables(tables: Sequence[Table], fmt: str, output: Path | None) -> None:
    """Print tables, or write them to ``output``, in the chosen format."""
    if output is not None:
        chosen = fmt if fmt != "table" else _format_from_suffix(output)
        write_table(tables, chosen, output)
        err_console.print(f"wrote {output}")
        return
    if fmt == "xlsx":
        raise click.UsageError("--format xlsx writes a file: add -o FILE.xlsx")
    if fmt == "table":
        for table in tables:
            console.print(rich_table(table))
        return
    for table in tables:
        sys.stdout.write(render_table(table, fmt))


def _format_from_suffix(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    mapping = {"csv": "csv", "xlsx": "xlsx", "md": "md", "markdown": "md", "json": "json"}
    if suffix not in mapping:
        raise click.UsageError(f"{path}: cannot tell the format from the name; add --format")
    return mapping[suffix]


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int, str], None]]:
    """A progress callback (done, total, label) drawn as a rich bar on stderr.

    Off a terminal (pipes, CI) nothing is drawn, so errors stay one clean line.
    """
    if not err_console.is_terminal:
        yield lambda done, total, label: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[label]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None, label="")

        def update(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, label=label)

        yield update
