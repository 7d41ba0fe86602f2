"""`qualmine agree`, `saturation`, `quotes` and `search`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from qualmine.cli.console import emit_tables, err_console, format_option, output_option
from qualmine.cli.context import current_project
from qualmine.cli.options import corpus_filter, filter_options, split_values

_ROLE_HELP = "Whose speech counts."
_filters = filter_options(lists=True, speaker_role=_ROLE_HELP)


@click.command()
@click.option(
    "--coders",
    "coder_list",
    required=True,
    metavar="A,B[,C...]",
    help="The coders compared: two or more, comma-separated.",
)
@click.option(
    "--unit",
    type=click.Choice(["document", "turn", "segment", "character"]),
    default="segment",
    show_default=True,
    help="What one rating is of.",
)
@click.option("--disagreements", is_flag=True, help="List every disagreement with its text.")
@click.option(
    "--by", type=click.Choice(["document"]), default=None, help="Also give the tables per document."
)
@click.option("--rollup", is_flag=True, help="A parent code carries what its children carry.")
@click.option(
    "--adjudicate",
    is_flag=True,
    help="Decide the two coders' disagreements one by one, writing the `consensus` coder.",
)
@click.option(
    "--set-report-coder",
    is_flag=True,
    help='With --adjudicate: once nothing is left, set report_coder = "consensus".',
)
@filter_options(
    lists=True,
    coder=False,
    status="suggested,accepted: every non-rejected coding",
    speaker_role=_ROLE_HELP,
)
@format_option
@output_option
@click.pass_context
def agree(
    ctx: click.Context,
    /,
    coder_list: str,
    unit: str,
    disagreements: bool,
    by: str | None,
    rollup: bool,
    adjudicate: bool,
    set_report_coder: bool,
    fmt: str,
    output: Path | None,
    **filters: Any,
) -> None:
    """Inter-coder agreement per code: percent, Cohen's and Fleiss' kappa, Krippendorff's alpha.

    A coder's units in documents they did not mark done are missing, not uncoded.
    With --adjudicate: a keep A's, b keep B's, k present, x absent, m memo, s skip,
    u undo, q quit; each decision is saved at once with its reason; run it again to resume.

    Example:

    \b
        qualmine agree --coders reference,second
        qualmine agree --coders reference,second --unit character --disagreements -o agree.xlsx
        qualmine --as carol agree --coders alice,bob --adjudicate --set-report-coder
    """
    from qualmine.analysis.reliability import LIVE_STATUSES, Selection, agreement_table

    f = corpus_filter(filters, LIVE_STATUSES)
    selection = Selection(f.statuses, f.docs, f.where, f.speaker_role)
    if set_report_coder and not adjudicate:
        raise click.UsageError("--set-report-coder goes with --adjudicate")
    if adjudicate:
        from qualmine.cli.team_commands import run_adjudication

        if rollup or by or disagreements or output is not None:
            raise click.UsageError(
                "--adjudicate goes without --rollup, --by, --disagreements and -o"
            )
        run_adjudication(ctx, split_values((coder_list,)), unit, selection, set_report_coder)
        return
    tables = agreement_table(
        current_project(ctx),
        split_values((coder_list,)),
        unit,
        selection=selection,
        rollup=rollup,
        disagreements=disagreements,
        by=by,
    )
    emit_tables(tables, fmt, output)


@click.command()
@click.option(
    "--order",
    type=click.Choice(["name", "date", "random"]),
    default="name",
    show_default=True,
    help="Document name, interview date, or a seeded random order.",
)
@click.option(
    "--permutations",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Random orders behind the band and the means.",
)
@click.option("--seed", type=int, default=None, help="Seed (default: the project's seed).")
@click.option(
    "--base",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Base size: the first interviews, whose codes are the denominator.",
)
@click.option(
    "--run",
    "run_length",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Run length: interviews checked for new codes.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 100),
    default=5.0,
    show_default=True,
    help="New-information threshold, in % of the base's codes.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also draw the curve with its band: FILE.png and FILE.svg.",
)
@click.option("--rollup", is_flag=True, help="A code also counts as its parents.")
@_filters
@format_option
@output_option
@click.pass_context
def saturation(
    ctx: click.Context,
    /,
    order: str,
    permutations: int,
    seed: int | None,
    base: int,
    run_length: int,
    threshold: float,
    plot: Path | None,
    rollup: bool,
    fmt: str,
    output: Path | None,
    **filters: Any,
) -> None:
    """Code accumulation over interviews, a band from random orders, and saturation.

    Saturation follows Guest, Namey and Chen (2020): base size, run length and a
    new-information threshold. With a fixed codebook this is code accumulation, not
    inductive saturation, and the output says so.

    Example:

    \b
        qualmine saturation --order date --plot report/saturation.png
        qualmine saturation --base 6 --run 3 --threshold 0 -f md
    """
    from qualmine.analysis.saturation import SaturationRequest, saturation_report

    f = corpus_filter(filters)
    request = SaturationRequest(
        f.coders,
        f.statuses,
        f.docs,
        f.where,
        f.speaker_role,
        order,
        permutations,
        seed,
        base,
        run_length,
        threshold / 100,
        rollup,
    )
    result, tables = saturation_report(current_project(ctx), request)
    emit_tables(tables, fmt, output)
    if plot is not None:
        from qualmine.export.saturation_plot import plot_saturation

        for path in plot_saturation(result, plot):
            err_console.print(f"wrote {path}", markup=False)


@click.command()
@click.option("--code", required=True, metavar="CODE", help="The code whose excerpts to show.")
@click.option(
    "--and",
    "with_codes",
    multiple=True,
    metavar="CODE",
    help="The unit also carries this code (repeatable).",
)
@click.option(
    "--not",
    "without",
    multiple=True,
    metavar="CODE",
    help="Leave out excerpts whose unit carries this code (repeatable).",
)
@click.option(
    "--near",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="With --and: the code may be up to N units before or after.",
)
@click.option(
    "--context",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Sentences shown before and after each excerpt.",
)
@click.option(
    "--attributes",
    default="",
    metavar="A,B",
    help="Case attributes shown (default: up to three that group cases).",
)
@click.option(
    "--unit",
    type=click.Choice(["segment", "turn"]),
    default="segment",
    show_default=True,
    help="What the same unit (and --near's units) means.",
)
@_filters
@format_option
@output_option
@click.pass_context
def quotes(
    ctx: click.Context,
    /,
    code: str,
    with_codes: tuple[str, ...],
    without: tuple[str, ...],
    near: int | None,
    context: int,
    attributes: str,
    unit: str,
    fmt: str,
    output: Path | None,
    **filters: Any,
) -> None:
    """Coded excerpts with case, attributes, document, turn and the sentences around them.

    Example:

    \b
        qualmine quotes --code trust.online --and peer_influence --near 2
        qualmine quotes --code reliance --not reliance.decline --where position=CEO -f md
    """
    from qualmine.analysis.retrieval import QuoteRequest, quotes_table

    if near is not None and not with_codes:
        raise click.UsageError("--near N goes with --and CODE")
    f = corpus_filter(filters)
    request = QuoteRequest(
        code,
        split_values(with_codes),
        split_values(without),
        near,
        context,
        split_values((attributes,)),
        f.coders,
        f.statuses,
        f.docs,
        f.where,
        f.speaker_role,
        unit,
    )
    emit_tables([quotes_table(current_project(ctx), request)], fmt, output)


@click.command()
@click.argument("query")
@click.option("--exact", is_flag=True, help="Match the words as written, not their lemmas.")
@click.option(
    "--code", "show_codes", is_flag=True, help="Show the codes that already cover each hit."
)
@click.option(
    "--width",
    type=click.IntRange(min=0),
    default=40,
    show_default=True,
    help="Characters of context on each side.",
)
@_filters
@format_option
@output_option
@click.pass_context
def search(
    ctx: click.Context,
    /,
    query: str,
    exact: bool,
    show_codes: bool,
    width: int,
    fmt: str,
    output: Path | None,
    **filters: Any,
) -> None:
    """Keyword in context: every place the words are spoken, matched on their lemmas.

    Example:

    \b
        qualmine search "trusted"
        qualmine search "word of mouth" --code --coder reference -f csv
    """
    from qualmine.analysis.search import SearchRequest, search_table

    f = corpus_filter(filters)
    request = SearchRequest(
        query,
        exact,
        show_codes,
        width,
        f.coders,
        f.statuses,
        f.docs,
        f.where,
        f.speaker_role,
    )
    emit_tables([search_table(current_project(ctx), request)], fmt, output)
