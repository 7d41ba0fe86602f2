"""The keys and values the codebook format allows (see docs/codebook.md)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

FORMAT_VERSION = 1

TOP_KEYS = ("format_version", "name", "description", "codes", "changelog")
# In the documented order; new keys written by the revision commands follow it.
CODE_KEYS = (
    "id",
    "name",
    "parent",
    "stance",
    "definition",
    "full_definition",
    "include",
    "exclude",
    "examples",
    "color",
    "codable",
    "keywords",
    "patterns",
    "regex",
    "exclude_keywords",
    "speaker_role",
    "children",
)
EXAMPLE_KEYS = ("quote", "source")
CHANGELOG_KEYS = ("date", "coder", "action", "detail", "reason")
REQUIRED_CHANGELOG_KEYS = ("date", "coder", "action", "detail")
STANCES = ("for", "against")
RULE_SPEAKER_ROLES = ("participant", "interviewer", "any")
REVISION_ACTIONS = ("rename", "merge", "split", "move")

ID_PATTERN = re.compile(r"[a-z0-9_.-]+")
COLOR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")


def close_matches(word: str, choices: Iterable[str], limit: int = 3) -> list[str]:
    """The choices that look like ``word`` (for "did you mean" hints)."""
    return difflib.get_close_matches(word, list(choices), n=limit, cutoff=0.6)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A `` (did you mean 'x'?)`` suffix, or ``""`` when nothing is close."""
    matches = close_matches(word, choices, limit=1)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def one_of(choices: Iterable[str]) -> str:
    """``'a', 'b' or 'c'``."""
    quoted = [f"'{c}'" for c in choices]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]
