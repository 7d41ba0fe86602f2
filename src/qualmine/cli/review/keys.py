"""Single keys, typed lines and the key loop shared by the review and adjudication screens."""

from __future__ import annotations

import os
import sys
import termios
import tty
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click

from qualmine.errors import QualmineError

ItemT = TypeVar("ItemT")


@contextmanager
def key_mode() -> Iterator[None]:
    """Single keys without echo for the whole session, so keys typed ahead are kept.

    (Switching modes around each key, as a plain getchar does, flushes type-ahead.)
    """
    if not sys.stdin.isatty():
        yield
        return
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


def terminal_keys() -> str:
    """One key press from the terminal (inside ``key_mode``)."""
    if not sys.stdin.isatty():
        return click.getchar()
    return os.read(sys.stdin.fileno(), 1).decode("utf-8", errors="ignore") or "q"


def terminal_line(prompt: str) -> str:
    """A line typed at the terminal, with echo and editing back on for it."""
    if not sys.stdin.isatty():
        return str(click.prompt(prompt, default="", show_default=False))
    fd = sys.stdin.fileno()
    cbreak = termios.tcgetattr(fd)
    cooked = list(cbreak)
    cooked[3] |= termios.ICANON | termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, cooked)
    try:
        return str(click.prompt(prompt, default="", show_default=False))
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, cbreak)


def read_decisions(
    next_item: Callable[[], ItemT | None],
    draw: Callable[[ItemT], None],
    read_key: Callable[[], str],
    apply: Callable[[str, ItemT], int],
    show_error: Callable[[QualmineError], None],
) -> tuple[int, bool]:
    """Draw each item and apply one key to it, until no item is left or ``q`` is pressed.

    Keys are case-insensitive. ``apply`` returns 1 for a decision, else 0; a QualmineError it
    raises goes to ``show_error`` and the loop goes on. Returns the number of decisions made
    and whether the user quit.
    """
    decisions = 0
    while (item := next_item()) is not None:
        draw(item)
        key = read_key().lower()
        if key == "q":
            return decisions, True
        try:
            decisions += apply(key, item)
        except QualmineError as exc:
            show_error(exc)
    return decisions, False
