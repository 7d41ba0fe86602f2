"""Who is acting: --as NAME, else QUALMINE_CODER, else the user's config file."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from qualmine.errors import QualmineError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


def user_config_path() -> Path:
    """The user's own settings file (never shared with the project)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "qualmine" / "config.toml"


def resolve_coder(explicit: str | None = None, *, required: bool = True) -> str:
    """The acting coder's name, and where it came from is not needed by callers.

    Raises:
        QualmineError: ``required`` and no name is set anywhere, or the name is invalid.
    """
    name = explicit or os.environ.get("QUALMINE_CODER") or _from_user_config()
    if not name:
        if not required:
            return "unknown"
        raise QualmineError(
            "no coder name set; pass --as NAME, set QUALMINE_CODER, or put "
            f'coder = "NAME" in {user_config_path()}'
        )
    if not _NAME.match(name) or name.startswith("auto:"):
        raise QualmineError(
            f"coder name {name!r} is not allowed; use letters, digits, _ . @ - "
            "(names starting with auto: belong to auto-coders)"
        )
    return name


def coder_source(explicit: str | None = None) -> str:
    """Where the coder name comes from, for `qualmine whoami`."""
    if explicit:
        return "--as"
    if os.environ.get("QUALMINE_CODER"):
        return "QUALMINE_CODER"
    if _from_user_config():
        return str(user_config_path())
    return "not set"


def _from_user_config() -> str:
    path = user_config_path()
    if not path.is_file():
        return ""
    try:
        return str(tomllib.loads(path.read_text(encoding="utf-8")).get("coder", ""))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise QualmineError(f"{path}: cannot read ({exc}); fix or remove it") from exc
