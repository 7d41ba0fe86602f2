"""Team work: `project clone --blind`, `project merge`, and the `agree --adjudicate` screen."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from qualmine.cli.console import console, err_console, rich_table
from qualmine.cli.context import acting_coder, current_project
from qualmine.cli.review.keys import read_decisions
from qualmine.errors import QualmineError
from qualmine.models import Table

if TYPE_CHECKING:  # the library loads when a command runs, not when help is listed
    from qualmine.analysis.reliability import Selection
    from qualmine.coding.adjudication import AdjudicationItem, AdjudicationSession
    from qualmine.project.team import MergeReport

VERDICT_KEYS = {"a": "first", "b": "second", "k": "present", "x": "absent"}


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--blind", is_flag=True, help="Leave out every other coder's work (required).")
@click.option("--for-coder", "coder", required=True, metavar="NAME", help="Whose copy it is.")
@click.option(
    "--with-suggestions", is_flag=True, help="Also copy auto-coders' undecided suggestions."
)
@click.pass_context
def clone(
    ctx: click.Context, folder: Path, blind: bool, coder: str, with_suggestions: bool
) -> None:
    """Make a blind copy for one coder: documents, cases, codebook, and only their own work.

    The copy's qualmine.toml reports NAME's codings. Code there, then bring the work back
    with `qualmine project merge DIR`.

    Example:

    \b
        qualmine project clone --blind --for-coder alice ../study-alice
        qualmine project clone --blind --for-coder bob --with-suggestions ../study-bob
    """
    from qualmine.project.team import clone_project

    if not blind:
        raise click.UsageError("only blind copies are made: add --blind")
    actor = acting_coder(ctx, required=False)
    done = clone_project(
        current_project(ctx), folder, coder=coder, with_suggestions=with_suggestions, actor=actor
    )
    console.print(
        f"made {done.folder} for {done.coder}: {done.documents} document(s), "
        f"{done.codings} coding(s) of {done.coder}, {done.suggestions} suggestion(s), "
        f"{done.memos} memo(s), {done.done_marks} done-mark(s); "
        f"{done.left_out} coding(s) of others left out",
        markup=False,
        soft_wrap=True,
    )


@click.command()
@click.argument("other", type=click.Path(exists=True, path_type=Path))
@click.pass_context
def merge(ctx: click.Context, other: Path) -> None:
    """Bring another copy's codings, memos, done-marks and reviews into this project.

    Documents are matched by their text and codes by id; nothing here is overwritten or
    duplicated. Prints what came in, what was here already and what could not be matched,
    and saves it as .qualmine/last-merge-report.json.

    Example:

    \b
        qualmine project merge ../study-alice
    """
    from qualmine.project.team import merge_project

    report = merge_project(current_project(ctx), other, actor=acting_coder(ctx, required=False))
    print_merge(report)


def print_merge(report: MergeReport) -> None:
    """What a merge did, as lines and tables."""
    added, already = report.added, report.already
    console.print(
        f"merged {report.source}: {report.documents} document(s) matched; came in: "
        f"{added['codings']} coding(s), {added['decisions']} review decision(s), "
        f"{added['memos']} memo(s), {added['done_marks']} done-mark(s); already here: "
        f"{already['codings']} coding(s), {already['memos']} memo(s), "
        f"{already['done_marks']} done-mark(s)",
        markup=False,
        soft_wrap=True,
    )
    tables = [
        Table(
            "Documents not matched",
            ("document", "why", "codings", "memos", "done-marks"),
            tuple((d.name, d.reason, d.codings, d.memos, d.done_marks)
                  for d in report.unmatched_documents),
        ),
        Table(
            "Codes not matched",
            ("code", "items", "why"),
            tuple((code, n, "not in this codebook") for code, n in report.unmatched_codes.items()),
        ),
        Table(
            "Conflicts: this project's version kept",
            ("document", "span", "code", "coder", "kept (here)", "other copy"),
            tuple((c.document, f"{c.start}-{c.end}", c.code, c.coder, c.here, c.there)
                  for c in report.conflicts),
        ),
    ]  # fmt: skip
    for table in tables:
        if table.rows:
            console.print(rich_table(table))
    if report.unmatched_memos:
        console.print(f"{report.unmatched_memos} memo(s) whose target could not be matched")
    err_console.print(f"report saved to {report.report}", markup=False, soft_wrap=True)


def run_adjudication(
    ctx: click.Context,
    coders: Sequence[str],
    unit: str,
    selection: Selection,
    set_report_coder: bool,
) -> None:
    """`agree --adjudicate`: the screen over a session, then the report_coder suggestion."""
    from qualmine.cli.review.keys import key_mode, terminal_keys, terminal_line
    from qualmine.coding.adjudication import CONSENSUS, AdjudicationSession
    from qualmine.project.team import set_report_coder as write_report_coder

    project = current_project(ctx)
    session = AdjudicationSession(project, coders, acting_coder(ctx), unit, selection=selection)
    try:
        with key_mode():
            AdjudicationScreen(session, terminal_keys, terminal_line, console).run()
        left = session.remaining()
    finally:
        session.close()
    if project.config.report_coder == CONSENSUS:
        return
    if left:
        if set_report_coder:
            console.print(f"report_coder is set once no disagreement is left ({left} left)")
        return
    if set_report_coder:
        write_report_coder(project, CONSENSUS)
        console.print(f'set report_coder = "{CONSENSUS}" in qualmine.toml')
    else:
        console.print(
            f'to report the consensus, set report_coder = "{CONSENSUS}" in qualmine.toml '
            "(or run again with --set-report-coder)",
            markup=False,
            soft_wrap=True,
        )


class AdjudicationScreen:
    """Draws disagreements and applies keys until none is left or the adjudicator quits."""

    def __init__(
        self,
        session: AdjudicationSession,
        read_key: Callable[[], str],
        read_line: Callable[[str], str],
        console: Console,
    ) -> None:
        self.session = session
        self.read_key = read_key
        self.read_line = read_line
        self.console = console
        first, second = session.coders
        self.keys = (
            f"a keep {first}'s  b keep {second}'s  k present  x absent  "
            "m memo  s skip  u undo  q quit"
        )

    def run(self) -> int:
        """The loop; returns how many decisions were made."""
        s = self.session
        self.console.print(
            f"{s.agreements} agreement(s) of {' and '.join(s.coders)} are in consensus "
            f"({s.copied} coding(s) copied now); {s.remaining()} disagreement(s) to decide",
            markup=False,
            soft_wrap=True,
        )
        decisions, stopped = read_decisions(
            s.next_item, self.draw, self.read_key, self.apply, self._show_error
        )
        if stopped:
            self.console.print(
                f"saved; run `qualmine agree --coders {','.join(s.coders)} --adjudicate` "
                "again to resume",
                markup=False,
                soft_wrap=True,
            )
            return decisions
        left = s.remaining()
        self.console.print(
            f"{left} skipped disagreement(s) left; run again to decide them"
            if left
            else "nothing left to adjudicate",
            markup=False,
        )
        return decisions

    def _show_error(self, exc: QualmineError) -> None:
        self.console.print(f"Error: {exc}", style="red", markup=False)

    def apply(self, key: str, item: AdjudicationItem) -> int:
        """Carry out one key on the shown item; returns 1 for a decision, else 0."""
        d = item.disagreement
        if key in VERDICT_KEYS:
            verdict = VERDICT_KEYS[key]
            default = self.session.outcome(d, verdict)
            reason = self.read_line(f"reason (Enter: {default})")
            self.session.decide(d, verdict, reason)
            return 1
        if key == "m":
            self.session.add_memo(d, self.read_line("memo"))
        elif key == "s":
            self.session.skip(d)
        elif key == "u":
            done = self.session.undo()
            self.console.print(f"undid {done}" if done else "nothing to undo", markup=False)
        else:
            self.console.print(self.keys, markup=False)
        return 0

    def draw(self, item: AdjudicationItem) -> None:
        """One disagreement: the unit in its turn, the code, each coder's version."""
        d = item.disagreement
        body = Text()
        if item.text:
            body.append(f"{item.speaker}: ", style="bold")
            body.append(item.before[-300:], style="dim")
            body.append(item.text, style="reverse")
            body.append(item.after[:300], style="dim")
        else:
            body.append("the whole document", style="dim")
        title = f"{item.position}/{item.total}  {d.document} {d.start}-{d.end}"
        self.console.print(Panel(body, title=title, subtitle=self.session.unit))
        self.console.print(Text(f"{d.code}: {item.definition}", style="bold cyan"))
        for coder, passages in item.versions:
            shown = " | ".join(p[:120] for p in passages) if passages else "not coded"
            self.console.print(Text(f"{coder}: {shown}"))
        self.console.print(Text(self.keys, style="dim"))
