"""The root command group: subcommands load on first use, and the error boundary."""

from __future__ import annotations

import importlib
import sqlite3
from typing import Any

import click

from qualmine.errors import QualmineError


class UserError(click.ClickException):
    """A QualmineError shown as ``Error: ...`` with exit code 1."""

    exit_code = 1


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when called or listed in help.

    ``lazy`` maps a command name to ``"module:attribute"``. Heavy libraries (torch,
    BERTopic, sentence-transformers) are imported inside command bodies, never here.
    """

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attribute = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        return guarded(super().invoke, ctx)


class GuardedGroup(click.Group):
    """A plain group with the same error boundary."""

    def invoke(self, ctx: click.Context) -> Any:
        return guarded(super().invoke, ctx)


def guarded(call: Any, ctx: click.Context) -> Any:
    """Run a command, turning expected failures into one ``Error:`` line."""
    try:
        return call(ctx)
    except QualmineError as exc:
        raise UserError(str(exc)) from None
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise UserError(
                "the project database is busy with another qualmine process; try again"
            ) from None
        raise
    except OSError as exc:
        where = getattr(exc, "filename", None) or ""
        raise UserError(f"{where}: {exc.strerror or exc}" if where else str(exc)) from None
