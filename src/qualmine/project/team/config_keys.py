"""The [project] keys a team copy sets in qualmine.toml, the rest of the file untouched."""

from __future__ import annotations

import json
import re
import tomllib

from qualmine.errors import ProjectError
from qualmine.project.config import CONFIG_NAME, Project, read_config


def set_project_keys(text: str, values: dict[str, str]) -> str:
    """qualmine.toml text with these [project] keys set to TOML values, the rest untouched.

    Raises:
        ProjectError: the result is not valid TOML.
    """
    header = re.search(r"^\[project\][^\n]*(\n|$)", text, flags=re.MULTILINE)
    if header is None:
        text = text.rstrip("\n") + "\n\n[project]\n" if text.strip() else "[project]\n"
        header = re.search(r"^\[project\][^\n]*(\n|$)", text, flags=re.MULTILINE)
        assert header is not None
    following = re.search(r"^\s*\[", text[header.end() :], flags=re.MULTILINE)
    end = header.end() + following.start() if following else len(text)
    section = text[header.end() : end]
    for key in values:
        section = re.sub(
            rf"^{re.escape(key)}\s*=\s*(\[[^\]]*\]|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^\n#]*)"
            r"[^\n]*(\n|$)",
            "",
            section,
            flags=re.MULTILINE,
        )
    lines = "".join(f"{key} = {value}\n" for key, value in values.items())
    if not header.group(1):
        lines = "\n" + lines
    result = text[: header.end()] + lines + section + text[end:]
    try:
        tomllib.loads(result)
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{CONFIG_NAME}: cannot set {', '.join(values)} ({exc})") from exc
    return result


def set_report_coder(project: Project, coder: str) -> None:
    """Write ``report_coder = "CODER"`` into the project's qualmine.toml."""
    path = project.root / CONFIG_NAME
    path.write_text(
        set_project_keys(path.read_text(encoding="utf-8"), {"report_coder": json.dumps(coder)}),
        encoding="utf-8",
    )
    read_config(path)
