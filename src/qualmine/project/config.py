"""The project folder: qualmine.toml, the project file, finding a project from a folder."""

from __future__ import annotations

import sqlite3
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from qualmine.errors import ProjectError
from qualmine.storage import open_database

CONFIG_NAME = "qualmine.toml"
DB_RELATIVE = Path(".qualmine") / "project.db"
DEFAULT_MAX_CHARS = 5_000_000
DEFAULT_SEED = 42

_KNOWN_KEYS = {
    "name",
    "seed",
    "transcripts",
    "participants",
    "codebook",
    "codings",
    "findings",
    "report_coder",
    "max_chars",
    "transcription_marks",
    "surveys",
    "notice",
}


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """What qualmine.toml says.

    Attributes:
        name: the project's title.
        seed: the seed every random step uses unless told otherwise.
        transcripts: globs, relative to the project folder, that `qualmine run` imports.
        participants: the participants CSV (case attributes), or "".
        codebook: the YAML codebook, or "".
        codings: codings CSV files that `qualmine run` loads.
        findings: the quantitative findings file, or "".
        report_coder: the coder whose codings feed the report.
        max_chars: documents longer than this are refused.
        transcription_marks: extra marks (regular expressions) to leave out of matching.
        notice: a statement every report and table carries about the data (for example
            that transcripts are illustrative).
        roles: speaker label -> speaker_role, for every document.
        document_roles: document name -> (speaker label -> speaker_role).
    """

    name: str = "qualmine project"
    seed: int = DEFAULT_SEED
    transcripts: tuple[str, ...] = ()
    participants: str = ""
    codebook: str = ""
    codings: tuple[str, ...] = ()
    findings: str = ""
    report_coder: str = ""
    max_chars: int = DEFAULT_MAX_CHARS
    transcription_marks: tuple[str, ...] = ()
    notice: str = ""
    roles: dict[str, str] = field(default_factory=dict)
    document_roles: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Project:
    """An opened project folder."""

    root: Path
    config: ProjectConfig

    @property
    def db_path(self) -> Path:
        """Where the project file lives."""
        return self.root / DB_RELATIVE

    def connect(self) -> sqlite3.Connection:
        """Open the project file (migrating it if needed); the caller closes it."""
        return open_database(self.db_path)

    @contextmanager
    def session(self) -> Iterator[sqlite3.Connection]:
        """The project file, open for the length of a ``with`` block."""
        conn = open_database(self.db_path)
        try:
            yield conn
        finally:
            conn.close()

    def path(self, relative: str) -> Path:
        """A path named in qualmine.toml, resolved against the project folder."""
        return (self.root / relative) if relative else self.root

    def with_max_chars(self, max_chars: int) -> Project:
        """The same project with another document length limit (for one command)."""
        return Project(self.root, replace(self.config, max_chars=max_chars))

    def sidecar_files(self) -> set[Path]:
        """Files that qualmine.toml names and a folder import must skip."""
        named = [
            self.config.participants,
            self.config.findings,
            self.config.codebook,
            *self.config.codings,
        ]
        return {self.path(p).resolve() for p in named if p}


def read_config(path: Path) -> ProjectConfig:
    """Parse qualmine.toml.

    Raises:
        ProjectError: the file is not valid TOML or holds a wrong key or type.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProjectError(f"{path}: cannot read project settings ({exc}); fix the file") from exc
    section: dict[str, Any] = data.get("project", {})
    unknown = sorted(set(section) - _KNOWN_KEYS)
    if unknown:
        raise ProjectError(
            f"{path}: unknown key(s) in [project]: {', '.join(unknown)}; "
            f"known keys: {', '.join(sorted(_KNOWN_KEYS))}"
        )
    try:
        return _config_from(section, data.get("roles", {}))
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"{path}: {exc}; fix the value in [project]") from exc


def _config_from(section: dict[str, Any], roles: dict[str, Any]) -> ProjectConfig:
    flat = {k: str(v) for k, v in roles.items() if not isinstance(v, dict)}
    per_doc = {
        k: {s: str(r) for s, r in v.items()} for k, v in roles.items() if isinstance(v, dict)
    }
    for role in [*flat.values(), *(r for v in per_doc.values() for r in v.values())]:
        if role not in ("interviewer", "participant"):
            raise ValueError(f"[roles] gives {role!r}; use interviewer or participant")
    return ProjectConfig(
        name=str(section.get("name", "qualmine project")),
        seed=int(section.get("seed", DEFAULT_SEED)),
        transcripts=tuple(_strings(section, "transcripts")),
        participants=str(section.get("participants", "")),
        codebook=str(section.get("codebook", "")),
        codings=tuple(_strings(section, "codings")),
        findings=str(section.get("findings", "")),
        report_coder=str(section.get("report_coder", "")),
        max_chars=int(section.get("max_chars", DEFAULT_MAX_CHARS)),
        transcription_marks=tuple(_strings(section, "transcription_marks")),
        notice=str(section.get("notice", "")),
        roles=flat,
        document_roles=per_doc,
    )


def _strings(section: dict[str, Any], key: str) -> list[str]:
    value = section.get(key, [])
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{key} must be a string or a list of strings")
    return value


def find_project(start: Path | None = None, explicit: Path | None = None) -> Project:
    """The project at ``explicit``, or the nearest one at or above ``start``.

    Raises:
        ProjectError: no qualmine.toml found.
    """
    if explicit is not None:
        root = explicit.resolve()
        if not (root / CONFIG_NAME).is_file():
            raise ProjectError(f"{root}: no {CONFIG_NAME} here; run `qualmine init {explicit}`")
        return Project(root, read_config(root / CONFIG_NAME))
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return Project(folder, read_config(folder / CONFIG_NAME))
    raise ProjectError(
        f"{here}: not inside a qualmine project (no {CONFIG_NAME} here or above); "
        "run `qualmine init` or pass --project DIR"
    )


def init_project(folder: Path, name: str | None = None) -> tuple[Project, bool]:
    """Make ``folder`` a project; returns it and whether anything was created."""
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / CONFIG_NAME
    created = not config_path.exists()
    if created:
        title = name or folder.resolve().name
        config_path.write_text(_TEMPLATE.format(name=title.replace('"', "'")), encoding="utf-8")
    project = Project(folder.resolve(), read_config(config_path))
    created = created or not project.db_path.exists()
    ignore = project.root / ".qualmine" / ".gitignore"
    project.connect().close()
    if not ignore.exists():
        ignore.write_text(
            "# the project file is local; share it with `qualmine project export`\n*\n"
        )
    return project, created


_TEMPLATE = """\
# qualmine project settings. Paths are relative to this folder.
[project]
name = "{name}"
seed = 42
# transcripts that `qualmine run` imports (globs)
transcripts = ["transcripts/*"]
# participants = "transcripts/participants.csv"   # case attributes
# codebook = "codebooks/codebook.yaml"
# codings = []                                     # codings CSV files to load
# findings = "findings/findings.yaml"
# report_coder = ""                                # whose codings feed the report

# [roles]                 # speaker label -> interviewer | participant
# "Dr. Smith" = "interviewer"
"""
