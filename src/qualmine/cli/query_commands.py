"""`qualmine agree`, `saturation`, `quotes` and `search`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from qualmine.cli.console import emit_tables, err_console, format_option, output_option
from qualmine.cli.context import current_project

F = TypeVar("F", bound=Callable[..., Any])
STATUSES = ("suggested", "accepted", "rejected", "orphaned")


def _split(values: Sequence[str]) -> tuple[str, ...]:
    """Repeated and comma-separated values as one tuple, in order, without repeats."""
    items = (part.strip() for value in values for part in value.split(","))
    return tuple(dict.fromkeys(item for item in items if item))


def _statuses(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    chosen = _split(value)
    wrong = [s for s in chosen if s not in STATUSES]
    if wrong:
        raise click.BadParameter(f"{', '.join(wrong)}; use {', '.join(STATUSES)}")
    return chosen


_coder_option = click.option(
    "--coder",
    "coders",
    multiple=True,
    metavar="CODER",
    help="Whose codings (repeat or comma-separate; default: report_coder, else every person).",
)
_docs_option = click.option(
    "--docs",
    multiple=True,
    metavar="DOCS",
    help="Documents: names, globs (P0*) or ranges (P01..P06).",
)
_where_option = click.option(
    "--where",
    multiple=True,
    metavar="ATTRIBUTE=VALUE",
    help="Only documents where a case has this attribute value.",
)
_role_option = click.option(
    "--speaker-role",
    type=click.Choice(["participant", "interviewer", "any"]),
    default="participant",
    show_default=True,
    help="Whose speech counts.",
)


def filter_options(default_statuses: str, *, coder: bool = True) -> Callable[[F], F]:
    """The shared filters: --coder (unless ``coder`` is False), --status, --docs, --where and
    --speaker-role."""
    status_option = click.option(
        "--status",
        "statuses",
        multiple=True,
        callback=_statuses,
        metavar="STATUS",
        help=f"Coding statuses read (repeat or comma-separate; default: {default_statuses}).",
    )
    options = [status_option, _docs_option, _where_option, _role_option]
    if coder:
        options.insert(0, _coder_option)

    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


def _role(value: str) -> str | None:
    return None if value == "any" else value


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
@filter_options("suggested,accepted: every non-rejected coding", coder=False)
@format_option
@output_option
@click.pass_context
def agree(
    ctx: click.Context,
    coder_list: str,
    unit: str,
    disagreements: bool,
    by: str | None,
    rollup: bool,
    adjudicate: bool,
    set_report_coder: bool,
    statuses: tuple[str, ...],
    docs: tuple[str, ...],
    where: tuple[str, ...],
    speaker_role: str,
    fmt: str,
    output: Path | None,
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

    selection = Selection(statuses or LIVE_STATUSES, docs, where, _role(speaker_role))
    if set_report_coder and not adjudicate:
        raise click.UsageError("--set-report-coder goes with --adjudicate")
    if adjudicate:
        from qualmine.cli.team_commands import run_adjudication

        if rollup or by or disagreements or output is not None:
            raise click.UsageError(
                "--adjudicate goes without --rollup, --by, --disagreements and -o"
            )
        run_adjudication(ctx, _split((coder_list,)), unit, selection, set_report_coder)
        return
    tables = agreement_table(
        current_project(ctx),
        _split((coder_list,)),
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
@filter_options("accepted")
@format_option
@output_option
@click.pass_context
def saturation(
    ctx: click.Context,
    order: str,
    permutations: int,
    seed: int | None,
    base: int,
    run_length: int,
    threshold: float,
    plot: Path | None,
    rollup: bool,
    coders: tuple[str, ...],
    statuses: tuple[str, ...],
    docs: tuple[str, ...],
    where: tuple[str, ...],
    speaker_role: str,
    fmt: str,
    output: Path | None,
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

    request = SaturationRequest(
        _split(coders),
        statuses or ("accepted",),
        docs,
        where,
        _role(speaker_role),
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
@filter_options("accepted")
@format_option
@output_option
@click.pass_context
def quotes(
    ctx: click.Context,
    code: str,
    with_codes: tuple[str, ...],
    without: tuple[str, ...],
    near: int | None,
    context: int,
    attributes: str,
    unit: str,
    coders: tuple[str, ...],
    statuses: tuple[str, ...],
    docs: tuple[str, ...],
    where: tuple[str, ...],
    speaker_role: str,
    fmt: str,
    output: Path | None,
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
    request = QuoteRequest(
        code,
        _split(with_codes),
        _split(without),
        near,
        context,
        _split((attributes,)),
        _split(coders),
        statuses or ("accepted",),
        docs,
        where,
        _role(speaker_role),
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
@filter_options("accepted")
@format_option
@output_option
@click.pass_context
def search(
    ctx: click.Context,
    query: str,
    exact: bool,
    show_codes: bool,
    width: int,
    coders: tuple[str, ...],
    statuses: tuple[str, ...],
    docs: tuple[str, ...],
    where: tuple[str, ...],
    speaker_role: str,
    fmt: str,
    output: Path | None,
) -> None:
    """Keyword in context: every place the words are spoken, matched on their lemmas.

    Example:

    \b
        qualmine search "trusted"
        qualmine search "word of mouth" --code --coder reference -f csv
    """
    from qualmine.analysis.retrieval import SearchRequest, search_table

    request = SearchRequest(
        query,
        exact,
        show_codes,
        width,
        _split(coders),
        statuses or ("accepted",),
        docs,
        where,
        _role(speaker_role),
    )
    emit_tables([search_table(current_project(ctx), request)], fmt, output)
