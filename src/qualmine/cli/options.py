"""The shared filter options and the library filter their values make."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from qualmine.models import CODING_STATUSES

if TYPE_CHECKING:  # the library loads when a command runs, not when help is listed
    from qualmine.analysis.corpus import CorpusFilter

F = TypeVar("F", bound=Callable[..., Any])


def split_values(values: Sequence[str]) -> tuple[str, ...]:
    """Repeated and comma-separated values as one tuple, in order, without repeats."""
    items = (part.strip() for value in values for part in value.split(","))
    return tuple(dict.fromkeys(item for item in items if item))


def _coders(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    return split_values(value)


def _statuses(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    chosen = split_values(value)
    wrong = [s for s in chosen if s not in CODING_STATUSES]
    if wrong:
        raise click.BadParameter(f"{', '.join(wrong)}; use {', '.join(CODING_STATUSES)}")
    return chosen


def _coder_option(lists: bool) -> Callable[[F], F]:
    if lists:
        return click.option(
            "--coder",
            "coders",
            multiple=True,
            callback=_coders,
            metavar="CODER",
            help="Whose codings (repeat or comma-separate; default: report_coder, else every "
            "person).",
        )
    return click.option(
        "--coder",
        "coders",
        multiple=True,
        metavar="CODER",
        help="Only these coders' codings (repeat; default: report_coder, else every person).",
    )


def _status_option(lists: bool, default: str) -> Callable[[F], F]:
    if lists:
        return click.option(
            "--status",
            "statuses",
            multiple=True,
            callback=_statuses,
            metavar="STATUS",
            help=f"Coding statuses read (repeat or comma-separate; default: {default}).",
        )
    return click.option(
        "--status",
        "statuses",
        multiple=True,
        type=click.Choice(CODING_STATUSES),
        help=f"Count codings with this status (repeat; default: {default}).",
    )


def filter_options(
    *,
    lists: bool = False,
    coder: bool = True,
    status: str | None = "accepted",
    speaker_role: str | None = "Whose speech is counted.",
) -> Callable[[F], F]:
    """Add the shared filters, in this order: --coder, --status, --docs, --where, --speaker-role.

    Args:
        lists: --coder and --status also take comma-separated lists and --status checks its
            values itself (agree, saturation, quotes, search); otherwise each value is given
            by repeating the option (the count tables).
        coder: add --coder.
        status: the default named in --status's help; None: no --status.
        speaker_role: the help of --speaker-role; None: no --speaker-role.
    """
    docs = (
        "Documents: names, globs (P0*) or ranges (P01..P06)."
        if lists
        else "Documents: names, globs (P0*) or ranges (P01..P06); repeatable."
    )
    options = [
        click.option("--docs", multiple=True, metavar="DOCS", help=docs),
        click.option(
            "--where",
            multiple=True,
            metavar="ATTRIBUTE=VALUE",
            help="Only documents where a case has this attribute value.",
        ),
    ]
    if status is not None:
        options.insert(0, _status_option(lists, status))
    if coder:
        options.insert(0, _coder_option(lists))
    if speaker_role is not None:
        role = click.option(
            "--speaker-role",
            type=click.Choice(["participant", "interviewer", "any"]),
            default="participant",
            show_default=True,
            help=speaker_role,
        )
        options.append(role)

    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


def corpus_filter(
    values: Mapping[str, Any], default_statuses: Sequence[str] | None = None
) -> CorpusFilter:
    """The library's filter for the values of ``filter_options`` (and a table's --unit).

    An option a command lacks takes the filter's default; no --status given means
    ``default_statuses`` (None: the corpus default, accepted codings).
    """
    from qualmine.analysis.corpus import DEFAULT_STATUSES, CorpusFilter

    role = values.get("speaker_role", "participant")
    return CorpusFilter(
        coders=values.get("coders", ()),
        statuses=tuple(values.get("statuses") or default_statuses or DEFAULT_STATUSES),
        docs=values.get("docs", ()),
        where=values.get("where", ()),
        speaker_role=None if role == "any" else role,
        unit=values.get("unit", "segment"),
    )
