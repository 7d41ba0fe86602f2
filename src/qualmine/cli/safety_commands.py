"""Safety commands: undo (your last change) and redact (pseudonymise the project)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from qualmine.cli.console import console, err_console
from qualmine.cli.context import acting_coder, current_project

if TYPE_CHECKING:
    from qualmine.project.redaction import RedactionReport


@click.command()
@click.pass_context
def undo(ctx: click.Context) -> None:
    """Reverse your last change: a tag, an untag, a review decision, a memo, a done-mark, a
    codings import or a transcript import that added a document.

    The undo is itself recorded in the log (`qualmine log`), with whatever it removed or
    restored; run it again to step further back. Undoing a transcript import removes the
    document with its segments and auto-coder suggestions, but not while anyone's codings,
    reviews, memos or done-marks are on it; the file stays on disk, so move it out of the
    transcript folders or `qualmine run` imports it again. Re-imports of changed files,
    attribute and project imports, codebook changes and auto-coder runs are not undone
    (they are passed over).

    Example:

    \b
        qualmine --as alice tag P03 s41 trust.online
        qualmine --as alice undo
    """
    from qualmine.project.history import undo_last

    coder = acting_coder(ctx)
    done = undo_last(current_project(ctx), coder)
    if done is None:
        console.print(f"nothing of {coder}'s to undo", markup=False, soft_wrap=True)
        return
    console.print(
        f"undid {done.summary} (log entry {done.entry.id} of {done.entry.at})",
        markup=False,
        soft_wrap=True,
    )


@click.command()
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where the key (pseudonym -> original) goes, outside the project folder.",
)
@click.option(
    "--names",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="More people to replace: one name a line.",
)
@click.option(
    "--orgs",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Organisations to replace: one name a line.",
)
@click.option("--reverse", is_flag=True, help="Put the original text back from --key-file.")
@click.option("--no-ner", is_flag=True, help="Do not use an installed spaCy NER pipeline.")
@click.option("--vacuum", is_flag=True, help="Only rewrite the file so no freed page keeps text.")
@click.pass_context
def redact(
    ctx: click.Context,
    key_file: Path | None,
    names: Path | None,
    orgs: Path | None,
    reverse: bool,
    no_ner: bool,
    vacuum: bool,
) -> None:
    """Pseudonymise the project: people, organisations, e-mails, phone numbers and URLs.

    Names become consistent pseudonyms (P03, [PERSON-4], [ORG-2], [EMAIL-1], [PHONE-1],
    [URL-1]) in every text the project holds, and codings keep pointing at the same words.
    The key file, readable by you only, must lie outside the project; keep it safe, it is
    the only way back (--reverse). The transcript files themselves are not touched: move
    them out of the project before sharing it (importing them again brings names back).

    Example:

    \b
        qualmine redact --names people.txt --orgs orgs.txt --key-file ~/keys/study.json
        qualmine redact --reverse --key-file ~/keys/study.json
    """
    from qualmine.project import redaction

    project, actor = current_project(ctx), acting_coder(ctx, required=False)
    if vacuum:
        redaction.vacuum_project(project)
        console.print(f"vacuumed {project.db_path}", markup=False, soft_wrap=True)
    elif key_file is None:
        raise click.UsageError("give --key-file PATH (outside the project folder)")
    elif reverse:
        _print_reversal(redaction.reverse_redaction(project, key_file, actor=actor))
    else:
        lists = {"names": redaction.read_list(names), "orgs": redaction.read_list(orgs)}
        done = redaction.redact_project(project, key_file, **lists, actor=actor, ner=not no_ner)
        _print_redaction(done)


def _print_redaction(done: RedactionReport) -> None:
    found = ", ".join(f"{n} {kind}" for kind, n in sorted(done.counts.items()))
    console.print(
        f"redacted {done.replacements} span(s) in {done.documents} document(s) and the "
        f"project's other texts ({found or 'nothing found'}); key written to {done.key_file}",
        markup=False,
        soft_wrap=True,
    )
    if done.originals_on_disk:
        err_console.print(
            "these files in the project folder still hold original names; move them out "
            "before sharing it: " + ", ".join(done.originals_on_disk),
            markup=False,
            soft_wrap=True,
        )


def _print_reversal(done: RedactionReport) -> None:
    console.print(
        f"restored {done.replacements} replacement(s) in {done.documents} document(s) "
        f"from {done.key_file}",
        markup=False,
        soft_wrap=True,
    )
    if done.approximate:
        err_console.print(
            f"{done.approximate} field(s) changed after the redaction were restored by "
            "pseudonym, not by place",
            markup=False,
            soft_wrap=True,
        )
