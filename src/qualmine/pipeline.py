"""`qualmine run`: the main job for a project folder, driven by qualmine.toml."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qualmine.project.codebook_sync import CodebookLoad, sync_codebook
from qualmine.project.codings_file import CodingsImport, import_codings
from qualmine.project.config import Project
from qualmine.project.importer import ImportReport, import_transcripts

Progress = Callable[[int, int, str], None]
Stage = Callable[[str], Progress | None]


@dataclass(frozen=True, slots=True)
class RunResult:
    """What the main job did, stage by stage."""

    imported: ImportReport
    codebook: CodebookLoad | None
    codings: tuple[tuple[str, CodingsImport], ...]


def run_project(
    project: Project, *, actor: str = "unknown", stage: Stage | None = None
) -> RunResult:
    """Import what is new or changed, load the codebook and the listed codings files."""

    def progress(name: str) -> Progress | None:
        return stage(name) if stage else None

    globs = list(project.config.transcripts) or ["transcripts"]
    paths = [str(project.root / g) for g in globs]
    imported = import_transcripts(project, paths, coder=actor, progress=progress("import"))
    codebook = sync_codebook(project, actor=actor) if project.config.codebook else None
    loaded = []
    for name in project.config.codings:
        loaded.append((name, import_codings(project, project.path(name), actor=actor)))
    return RunResult(imported, codebook, tuple(loaded))
