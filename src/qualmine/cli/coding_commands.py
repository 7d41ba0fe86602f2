"""Coding commands: codings import/export, tag, untag, memo, done."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qualmine.cli.console import console
from qualmine.cli.context import acting_coder, current_project
from qualmine.cli.lazy import GuardedGroup


@click.group(cls=GuardedGroup)
def codings() -> None:
    """Move codings in and out as CSV (document, start, end, quote, code, coder, status, ...).

    Example:

    \b
        qualmine codings import codings/reference.csv
    """


@codings.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def import_file(ctx: click.Context, file: Path) -> None:
    """Load a codings CSV: every row is checked first; one bad row and nothing is imported.

    Example:

    \b
        qualmine codings import codings/second.csv
    """
    from qualmine.project.codings_file import import_codings

    result = import_codings(current_project(ctx), file, actor=acting_coder(ctx, required=False))
    console.print(
        f"{file}: {result.added} coding(s) added, {result.already_present} already "
        f"present, {result.done_marks} done-mark(s); coders {', '.join(result.coders)}",
        markup=False,
    )


@codings.command("export")
@click.option("--format", "-f", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--coder", "coders", multiple=True, help="Only these coders' codings (repeat).")
@click.pass_context
def export_file(ctx: click.Context, fmt: str, output: Path | None, coders: tuple[str, ...]) -> None:
    """Write every coding and done-mark as CSV (to stdout, or -o FILE).

    Example:

    \b
        qualmine codings export --coder reference -o reference.csv
    """
    from qualmine.project.codings_file import export_codings

    text = export_codings(current_project(ctx), coders=coders)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8", newline="\n")
        console.print(f"wrote {output}", markup=False)


@click.command()
@click.argument("doc")
@click.argument("where_or_code")
@click.argument("code", required=False)
@click.option("--quote", default=None, help="Code the span with exactly these words.")
@click.option("--memo", "memo_text", default="", help="A memo on the new coding.")
@click.pass_context
def tag(
    ctx: click.Context,
    doc: str,
    where_or_code: str,
    code: str | None,
    quote: str | None,
    memo_text: str,
) -> None:
    """Code a span: DOC SEGMENT CODE (s12), DOC START-END CODE, or DOC --quote "..." CODE.

    Example:

    \b
        qualmine tag P03 s41 trust.online.distrusts
        qualmine tag P03 --quote "I never buy on a tweet" peer.validation
    """
    from qualmine.coding.manual import tag as tag_span

    target, the_code = (None, where_or_code) if code is None else (where_or_code, code)
    if target is None and quote is None:
        raise click.UsageError("say where: a segment id, a range START-END, or --quote")
    coding = tag_span(
        current_project(ctx),
        doc,
        the_code,
        coder=acting_coder(ctx),
        target=target,
        quote=quote,
        memo=memo_text,
    )
    console.print(
        f"coding {coding.id}: {coding.code} on {doc} {coding.start}-{coding.end} "
        f"{coding.quote[:70]!r}",
        markup=False,
    )


@click.command()
@click.argument("coding_id", type=int)
@click.pass_context
def untag(ctx: click.Context, coding_id: int) -> None:
    """Remove one of your codings by id (`qualmine undo` brings it back).

    Example:

    \b
        qualmine untag 42
    """
    from qualmine.coding.manual import untag as remove

    coding = remove(current_project(ctx), coding_id, coder=acting_coder(ctx))
    console.print(f"removed coding {coding.id} ({coding.code})", markup=False)


@click.command()
@click.argument("kind", type=click.Choice(["project", "document", "code", "coding"]))
@click.argument("target_and_text", nargs=-1, required=True)
@click.pass_context
def memo(ctx: click.Context, kind: str, target_and_text: tuple[str, ...]) -> None:
    """Write a memo: `memo project TEXT`, or `memo document|code|coding TARGET TEXT`.

    Example:

    \b
        qualmine memo code trust.online "P05 and P08 distrust forums but still read them"
    """
    from qualmine.coding.manual import memo as write_memo

    parts = list(target_and_text)
    target = "" if kind == "project" else parts.pop(0)
    if not parts:
        raise click.UsageError("give the memo's text")
    memo_id = write_memo(
        current_project(ctx), kind, target, " ".join(parts), coder=acting_coder(ctx)
    )
    console.print(f"memo {memo_id} saved", markup=False)


@click.command()
@click.argument("docs", nargs=-1, required=True)
@click.pass_context
def done(ctx: click.Context, docs: tuple[str, ...]) -> None:
    """Mark documents as finished by you: only done documents count in statistics.

    Example:

    \b
        qualmine --as alice done P01 P02
    """
    from qualmine.coding.manual import mark_document_done

    project, coder = current_project(ctx), acting_coder(ctx)
    for doc in docs:
        new = mark_document_done(project, doc, coder=coder)
        console.print(
            f"{doc}: {'marked done' if new else 'already done'} for {coder}", markup=False
        )
