"""The review screen: draws a suggestion in context and maps single keys to decisions."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from qualmine.cli.review.keys import read_decisions
from qualmine.coding.review import ReviewItem, ReviewSession
from qualmine.errors import QualmineError

KEYS = "a accept  r reject  c change code  n add code  m memo  s skip  u undo  q quit"


class ReviewScreen:
    """Draws items and applies keys until the queue is empty or the reviewer quits."""

    def __init__(
        self,
        session: ReviewSession,
        read_key: Callable[[], str],
        read_line: Callable[[str], str],
        console: Console,
    ) -> None:
        self.session = session
        self.read_key = read_key
        self.read_line = read_line
        self.console = console

    def run(self) -> int:
        """The loop; returns how many decisions were made."""
        decisions, stopped = read_decisions(
            self.session.next_item, self.draw, self.read_key, self.apply, self._show_error
        )
        if stopped:
            self.console.print("saved; run `qualmine review` again to resume")
        else:
            self.console.print("nothing left to review")
        return decisions

    def _show_error(self, exc: QualmineError) -> None:
        self.console.print(str(exc), style="red", markup=False)

    def apply(self, key: str, item: ReviewItem) -> int:
        """Carry out one key on the shown item; returns 1 for a decision, else 0."""
        coding_id = item.coding.id
        if key == "a":
            self.session.accept(coding_id)
        elif key == "r":
            self.session.reject(coding_id)
        elif key == "c":
            self.session.change_code(coding_id, self.read_line("code").strip())
        elif key == "n":
            self.session.add_code(coding_id, self.read_line("another code").strip())
        elif key == "m":
            self.session.add_memo(coding_id, self.read_line("memo"))
            return 0
        elif key == "s":
            self.session.skip(coding_id)
            return 0
        elif key == "u":
            done = self.session.undo()
            self.console.print(f"undid {done}" if done else "nothing to undo")
            return 0
        else:
            self.console.print(KEYS)
            return 0
        return 1

    def draw(self, item: ReviewItem) -> None:
        """One suggestion: context, the coded text, the code, score and evidence."""
        c = item.coding
        body = Text()
        if item.before:
            body.append(f"{item.before[0]}: {item.before[1][:300]}\n\n", style="dim")
        speaker = item.turn.speaker if item.turn else ""
        stamp = f" [{item.turn.timestamp}]" if item.turn and item.turn.timestamp else ""
        body.append(f"{speaker}{stamp}: ", style="bold")
        body.append(c.quote + "\n", style="reverse")
        if item.after:
            body.append(f"\n{item.after[0]}: {item.after[1][:300]}", style="dim")
        score = f"{c.score:.3f}" if c.score is not None else "-"
        title = f"{item.position}/{item.total}  {item.document} {c.start}-{c.end}"
        self.console.print(Panel(body, title=title, subtitle=f"by {c.coder}"))
        self.console.print(Text(f"{c.code}: {item.definition}", style="bold cyan"))
        self.console.print(Text(f"score {score}   evidence: {c.evidence or '-'}"))
        if item.pending:
            self.console.print(Text(f"pending: {item.pending}", style="yellow"))
        self.console.print(Text(KEYS, style="dim"))
