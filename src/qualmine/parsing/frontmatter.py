"""YAML metadata: front matter at the top of a text file, and sidecar files.

YAML aliases (``*name``) are refused: they let a few lines expand into billions of
values. Deep nesting that exhausts the parser is refused too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from qualmine.errors import InputFileError
from qualmine.parsing.labels import iter_lines

_FENCE = "---"
_FENCE_ENDS = ("---", "...")


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, refusing aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


def load_yaml_mapping(block: str, source: object, where: str, first_line: int) -> dict[str, Any]:
    """Load a YAML block that must be a mapping (or empty).

    Args:
        block: the YAML text.
        source: the file, for error messages.
        where: what the block is and where it sits, e.g. ``"front matter "``.
        first_line: the file line the block starts on, to report lines.

    Raises:
        InputFileError: invalid YAML, aliases, too deep, or not a mapping; the message
            names the line.
    """
    try:
        loaded = yaml.load(block, Loader=_NoAliasLoader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = first_line + (mark.line if mark is not None else 0)
        problem = " ".join(str(getattr(error, "problem", None) or "invalid YAML").split())
        raise InputFileError(source, f"{where}line {line}: {problem}", "fix the YAML") from None
    except RecursionError:
        raise InputFileError(
            source, f"{where}line {first_line}: nested too deeply", "flatten the YAML"
        ) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise InputFileError(
            source, f"{where}on line {first_line} is not a mapping", "write key: value lines"
        )
    return loaded


def split_front_matter(text: str, source: str, where: str = "") -> tuple[dict[str, Any], int]:
    """Read YAML front matter between ``---`` lines at the very top.

    Args:
        text: normalized text.
        source: the file, for error messages.
        where: a place inside the file for error messages (``"line 3 (id T1): "``).

    Returns:
        The front matter (empty without one) and the offset where the rest begins.

    Raises:
        InputFileError: the block is never closed, is not valid YAML or not a mapping;
            the message names the line.
    """
    lines = iter_lines(text)
    first = next(lines, (0, ""))[1]
    if first.rstrip() != _FENCE:
        return {}, 0
    for offset, line in lines:
        if line.rstrip() in _FENCE_ENDS:
            block = text[len(first) + 1 : offset]
            front = load_yaml_mapping(block, source, f"{where}front matter ", 2)
            return front, min(offset + len(line) + 1, len(text))
    raise InputFileError(
        source,
        f"{where}front matter opened on line 1 is never closed",
        "end it with a line of three dashes (---)",
    )


def read_sidecar(path: Path) -> dict[str, Any]:
    """Metadata from ``<name>.yaml`` (``x.srt.yaml``) or ``<stem>.meta.yaml`` next to ``path``.

    Raises:
        InputFileError: the sidecar is not readable, not YAML or not a mapping.
    """
    for sidecar in (path.with_name(path.name + ".yaml"), path.with_name(path.stem + ".meta.yaml")):
        if sidecar.is_file():
            try:
                text = sidecar.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as error:
                raise InputFileError(sidecar, f"cannot read the metadata file ({error})") from None
            return load_yaml_mapping(text, sidecar, "", 1)
    return {}
