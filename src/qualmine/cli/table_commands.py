"""The count tables: `qualmine freq`, `crosstab`, `cooccur` and `matrix`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from qualmine.cli.console import emit_tables, err_console, format_option, output_option
from qualmine.cli.context import current_project
from qualmine.cli.options import corpus_filter, filter_options

F = TypeVar("F", bound=Callable[..., Any])

_unit_option = click.option(
    "--unit",
    type=click.Choice(["segment", "turn", "document"]),
    default="segment",
    show_default=True,
    help="What a count counts.",
)
_rollup_option = click.option(
    "--rollup", is_flag=True, help="A parent code counts where it or any code below it applies."
)


def corpus_options(command: F) -> F:
    """Add the shared filters and table output options to a command.

    The filters are --coder, --status, --docs, --where, --speaker-role, --unit and --rollup;
    the output options --format and -o.
    """
    options = (filter_options(), _unit_option, _rollup_option, format_option, output_option)
    for option in reversed(options):
        command = option(command)
    return command


def _load(ctx: click.Context, options: dict[str, Any]) -> Any:
    """The filtered corpus for the shared filter options."""
    from qualmine.analysis.corpus import load_corpus

    return load_corpus(current_project(ctx), corpus_filter(options))


@click.command()
@click.option("--by-coder", is_flag=True, help="One row per code and coder.")
@corpus_options
@click.pass_context
def freq(
    ctx: click.Context, /, by_coder: bool, fmt: str, output: Path | None, **options: Any
) -> None:
    """Code frequencies: units, words, documents and cases per code, "n of N" and %.

    Words are participant words inside coded spans; marks such as [laughs] are not words.
    N counts only documents the coder(s) marked done.

    Example:

    \b
        qualmine freq --rollup
        qualmine freq --by-coder --unit turn -o freq.xlsx
    """
    from qualmine.analysis.frequencies import code_frequencies

    rollup = options["rollup"]
    corpus = _load(ctx, options)
    marks = current_project(ctx).config.transcription_marks
    table = code_frequencies(corpus, rollup=rollup, by_coder=by_coder, marks=marks)
    emit_tables([table], fmt, output)


@click.command()
@click.option(
    "--by",
    "attribute",
    required=True,
    metavar="ATTRIBUTE",
    help="The case attribute whose values make the groups.",
)
@click.option(
    "--correction",
    type=click.Choice(["holm", "bh"]),
    default="holm",
    show_default=True,
    help="Adjustment across the codes: Holm or Benjamini-Hochberg.",
)
@click.option(
    "--min-group",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="No p-value when a group has fewer cases than this.",
)
@corpus_options
@click.pass_context
def crosstab(
    ctx: click.Context,
    /,
    attribute: str,
    correction: str,
    min_group: int,
    fmt: str,
    output: Path | None,
    **options: Any,
) -> None:
    """Codes by a case attribute: cases with each code per group, with a test per code.

    Two groups: Fisher's exact test; more: a permutation test seeded with the project
    seed. With a dozen interviews these tests have very little power: descriptive only.

    Example:

    \b
        qualmine crosstab --by position
        qualmine crosstab --by age_band --correction bh --min-group 2 -o by_age.md
    """
    from qualmine.analysis.crosstabs import CrosstabOptions, code_crosstab

    seed = current_project(ctx).config.seed
    opts = CrosstabOptions(correction, min_group, seed, rollup=options["rollup"])
    emit_tables([code_crosstab(_load(ctx, options), attribute, opts)], fmt, output)


@click.command()
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="How many pairs to list (0: every co-occurring pair).",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE.png|FILE.svg",
    help="Also draw the matrix as a heatmap.",
)
@corpus_options
@click.pass_context
def cooccur(
    ctx: click.Context,
    /,
    top: int,
    plot: Path | None,
    fmt: str,
    output: Path | None,
    **options: Any,
) -> None:
    """Code co-occurrence: units carrying both codes, Jaccard and the c-coefficient.

    Lists the top pairs, then the code x code matrix. c is ATLAS.ti's
    n12 / (n1 + n2 - n12); counted on units, it equals Jaccard.

    Example:

    \b
        qualmine cooccur --unit turn --top 10
        qualmine cooccur --plot cooccurrence.svg -o cooccurrence.xlsx
    """
    from qualmine.analysis.cooccurrence import cooccurrence_tables
    from qualmine.export.plots import plot_format, write_heatmap

    if plot is not None:
        plot_format(plot)  # refuse a bad name before any work
    rollup = options["rollup"]
    tables = cooccurrence_tables(_load(ctx, options), rollup=rollup, top=top)
    if plot is not None:
        write_heatmap(tables[1], plot)
        err_console.print(f"wrote {plot}")
    emit_tables(tables, fmt, output)


@click.command()
@click.option("--excerpts", is_flag=True, help="Cells hold the coded excerpts.")
@click.option(
    "--quantitize",
    type=click.Choice(["presence", "counts", "words"]),
    default=None,
    help="Cells for statistics software, with plain column names.",
)
@corpus_options
@click.pass_context
def matrix(
    ctx: click.Context,
    /,
    excerpts: bool,
    quantitize: str | None,
    fmt: str,
    output: Path | None,
    **options: Any,
) -> None:
    """Framework matrix: cases by codes, case attributes as leading columns.

    Cells count the units of the case carrying the code, or hold the excerpts
    (--excerpts), or 0/1, counts or words for statistics software (--quantitize).

    Example:

    \b
        qualmine matrix -o framework.xlsx
        qualmine matrix --excerpts --docs P01..P06 -o excerpts.md
        qualmine matrix --quantitize presence -o cases_by_codes.csv
    """
    from qualmine.analysis.framework import framework_matrix

    if excerpts and quantitize:
        raise click.UsageError("choose --excerpts or --quantitize, not both")
    cells = "excerpts" if excerpts else (quantitize or "counts")
    rollup = options["rollup"]
    marks = current_project(ctx).config.transcription_marks
    table = framework_matrix(
        _load(ctx, options), cells=cells, plain_names=bool(quantitize), rollup=rollup, marks=marks
    )
    emit_tables([table], fmt, output)
