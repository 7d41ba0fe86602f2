"""The files the redaction reads and writes outside the project: the names and organisations
lists, and the key file (where it may lie, written once, read back).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from qualmine.errors import InputFileError, ProjectError
from qualmine.project.config import Project

KEY_FORMAT = "qualmine-redaction-key"
KEY_VERSION = 1


def read_list(path: Path | None) -> list[str]:
    """A names or organisations file: one entry a line, `#` starts a comment.

    Raises:
        InputFileError: the file is missing or not UTF-8 text.
    """
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(path, "file not found", "check the path") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(
            path, f"not UTF-8 text (byte {exc.start})", "save it as UTF-8, one name a line"
        ) from None
    return [line.strip() for line in text.splitlines() if line.strip() and line[:1] != "#"]


def check_key_path(project: Project, key_file: Path) -> Path:
    """The key file's absolute path, refused inside the project folder.

    Raises:
        ProjectError: the path lies inside the project folder.
    """
    resolved = key_file.expanduser().resolve()
    if resolved == project.root or project.root in resolved.parents:
        raise ProjectError(
            f"{key_file}: the key file must not be inside the project folder {project.root} "
            "(whoever gets the project would get the names back); give a path outside it"
        )
    return resolved


def write_key(path: Path, key: dict[str, Any]) -> None:
    """Write the key file readable by its owner only; an existing file is never replaced.

    Raises:
        ProjectError: the file exists or its folder cannot be written.
    """
    data = json.dumps(key, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ProjectError(
            f"{path}: a key file is already there; give a new path (a key is never overwritten)"
        ) from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot write the key file ({exc.strerror})") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_key(path: Path) -> dict[str, Any]:
    """A key file written by `redact`.

    Raises:
        InputFileError: missing, unreadable, or not a qualmine redaction key.
    """
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(path, "key file not found", "give the path `redact` wrote") from None
    except (OSError, ValueError) as exc:
        raise InputFileError(path, f"cannot read the key file ({exc})") from None
    if not isinstance(key, dict) or key.get("format") != KEY_FORMAT:
        raise InputFileError(path, "not a qualmine redaction key file")
    if key.get("version") != KEY_VERSION:
        raise InputFileError(path, f"key version {key.get('version')!r}; upgrade qualmine")
    return key
