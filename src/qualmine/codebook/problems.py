"""Problems found in a codebook file, each with its line and code id."""

from __future__ import annotations

from dataclasses import dataclass, field

from yaml.nodes import Node

NO_ID = "(no id)"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a codebook file.

    Attributes:
        line: 1-based line in the file (0: the file as a whole).
        code_id: the code the problem is about, or None.
        message: what is wrong, and what to do.
        warning: True for a warning (an error only under strict validation).
    """

    line: int
    code_id: str | None
    message: str
    warning: bool = False

    def format(self, source: str) -> str:
        """``FILE:LINE: code ID: message``, the form every codebook problem is shown in."""
        place = f"{source}:{self.line}" if self.line else source
        about = f" code {self.code_id}:" if self.code_id is not None else ""
        return f"{place}:{about} {self.message}"


def line_of(node: Node) -> int:
    """The 1-based line a YAML node starts on."""
    return int(node.start_mark.line) + 1


@dataclass(frozen=True, slots=True)
class Collector:
    """Collects problems while a codebook is read; ``code_id`` labels new ones."""

    problems: list[Problem] = field(default_factory=list)
    code_id: str | None = None
    lines: tuple[str, ...] = ()

    def error(self, where: Node | int, message: str) -> None:
        """Record an error at a node (or a line)."""
        line = where if isinstance(where, int) else line_of(where)
        self.problems.append(Problem(line, self.code_id, message))

    def warn(self, where: Node | int, message: str) -> None:
        """Record a warning at a node (or a line)."""
        line = where if isinstance(where, int) else line_of(where)
        self.problems.append(Problem(line, self.code_id, message, warning=True))

    def about(self, code_id: str | None) -> Collector:
        """A collector sharing this one's list that labels problems with ``code_id``."""
        return Collector(self.problems, code_id, self.lines)

    def line_text(self, node: Node) -> str:
        """The source line a node starts on."""
        index = int(node.start_mark.line)
        return self.lines[index] if index < len(self.lines) else ""
