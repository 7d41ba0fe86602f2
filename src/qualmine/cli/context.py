"""What every command needs: the project and the acting coder."""

from __future__ import annotations

from pathlib import Path

import click

from qualmine.project.config import Project, find_project
from qualmine.project.identity import resolve_coder


def current_project(ctx: click.Context) -> Project:
    """The project named by --project, or found from the current folder."""
    root = ctx.find_root()
    explicit = root.obj.get("project") if root.obj else None
    return find_project(explicit=Path(explicit) if explicit else None)


def acting_coder(ctx: click.Context, *, required: bool = True) -> str:
    """The person acting: --as NAME, QUALMINE_CODER, or the user's config file."""
    root = ctx.find_root()
    explicit = root.obj.get("as") if root.obj else None
    return resolve_coder(explicit, required=required)
