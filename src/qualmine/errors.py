"""The errors a user sees. Every expected failure is a QualmineError.

Each message names the file, line, code or id involved and says what to do next.
The CLI turns these into one ``Error: ...`` line on stderr and exit code 1.
"""

from __future__ import annotations


class QualmineError(Exception):
    """Base of every expected, user-facing failure."""


class ProjectError(QualmineError):
    """No project where one is needed, or the project file is unusable."""


class InputFileError(QualmineError):
    """A file given by the user cannot be read or parsed."""

    def __init__(self, path: object, problem: str, hint: str = "") -> None:
        self.path = str(path)
        self.problem = problem
        self.hint = hint
        message = f"{self.path}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class CodebookError(QualmineError):
    """A codebook does not validate; ``problems`` lists every one with its place."""

    def __init__(self, path: object, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{self.path}: {count} problem{'s' if count != 1 else ''} in codebook"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in self.problems))


class CodingError(QualmineError):
    """A coding cannot be made, imported or found."""


class NotFoundError(QualmineError):
    """A document, code, coding, case or run id does not exist."""
