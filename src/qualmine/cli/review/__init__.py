"""`qualmine review`: the interactive screen over the library's review session."""

from __future__ import annotations

import click

from qualmine.cli.console import console
from qualmine.cli.context import acting_coder, current_project


@click.command()
@click.option("--code", "codes", multiple=True, help="Only suggestions of this code (repeat).")
@click.option("--docs", multiple=True, help="Only these documents (names, globs, FIRST..LAST).")
@click.option("--coder", "coders", multiple=True, help="Only suggestions made by this coder.")
@click.option(
    "--blind",
    is_flag=True,
    help="Hide other people's codings: only auto-coders' suggestions and your own pending ones.",
)
@click.option(
    "--accept-above",
    type=float,
    default=None,
    help="Non-interactive: accept every suggestion scoring at least this much.",
)
@click.pass_context
def review(
    ctx: click.Context,
    codes: tuple[str, ...],
    docs: tuple[str, ...],
    coders: tuple[str, ...],
    blind: bool,
    accept_above: float | None,
) -> None:
    """Review suggestions one by one: a accept, r reject, c change code, n add code,
    m memo, s skip, u undo, q quit. Every decision is saved at once; run it again to resume.

    Example:

    \b
        qualmine --as alice review --code trust.online
        qualmine --as alice review --accept-above 0.8 --code networks.linkedin
        qualmine --as alice review --blind
    """
    from qualmine.cli.review.keys import key_mode, terminal_keys, terminal_line
    from qualmine.cli.review.screen import ReviewScreen
    from qualmine.coding.review import ReviewFilter, ReviewSession
    from qualmine.coding.review import accept_above as bulk_accept

    project, reviewer = current_project(ctx), acting_coder(ctx)
    where = ReviewFilter(codes, docs, coders, blind)
    if accept_above is not None:
        count = bulk_accept(project, reviewer, accept_above, where)
        console.print(f"accepted {count} suggestion(s) scoring {accept_above} or more")
        return
    session = ReviewSession(project, reviewer, where)
    try:
        with key_mode():
            ReviewScreen(session, terminal_keys, terminal_line, console).run()
    finally:
        session.close()
