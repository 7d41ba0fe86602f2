"""`qualmine run`: the main job for a project folder, driven by qualmine.toml.

Stages: import what is new or changed, load the codebook and the codings files, auto-code
(rules and semantic), model topics, run every analysis and the joint display, and write
report/ (index.html, tables as CSV and XLSX, plots, manifest.json). A stage whose inputs
have not changed since the last run is skipped, and a file whose bytes would not change is
not rewritten, so a rerun with nothing changed rewrites only the manifest.

What each stage last saw is kept in .qualmine/run-state.json: fingerprints of the auto-coders'
and topics' inputs, of the codebook file and the code list it left in the project
(`sync_unless_unchanged`), and of everything the report read, with the files it wrote
(`qualmine.reporting`). A deleted state file only means every stage runs again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualmine.fingerprints import digest
from qualmine.project.codebook_sync import CodebookLoad, sync_unless_unchanged
from qualmine.project.codings_file import CodingsImport, import_codings
from qualmine.project.config import Project
from qualmine.project.importer import ImportReport, import_transcripts

Progress = Callable[[int, int, str], None]
Stage = Callable[[str], Progress | None]
STATE = Path(".qualmine") / "run-state.json"
SKIPPED = "unchanged since the last run: skipped"


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Which optional stages run, and where the report goes."""

    auto_code: bool = True
    topics: bool = True
    report: bool = True
    output: Path | None = None
    # The embedder of the semantic coder and topics (a name in qualmine.embedding.ENCODERS),
    # and where the per-document stages run (qualmine.distributed): a Dask scheduler's
    # address, or this many local worker processes; neither: in this process.
    embedder: str = "minilm"
    scheduler: str | None = None
    workers: int = 0


@dataclass(frozen=True, slots=True)
class RunResult:
    """What the main job did, stage by stage."""

    imported: ImportReport
    codebook: CodebookLoad | None
    codings: tuple[tuple[str, CodingsImport], ...]
    stages: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    written: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    report: Path | None = None


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(time.perf_counter() - start, 3)


def fingerprint(project: Project, extra: dict[str, Any]) -> str:
    """A hash of the documents' contents, the codebook version and the stage's settings."""
    with project.session() as conn:
        hashes = [r[0] for r in conn.execute("SELECT content_hash FROM documents ORDER BY name")]
        version = conn.execute("SELECT codebook_version FROM codes LIMIT 1").fetchone()
    return digest({"docs": hashes, "codebook": version[0] if version else "", **extra})


def read_state(project: Project) -> dict[str, Any]:
    """What each stage last ran on (empty when the state file is missing or unreadable)."""
    path = project.root / STATE
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return {}


def write_state(project: Project, state: dict[str, Any]) -> None:
    """Keep the stages' fingerprints for the next run."""
    (project.root / STATE).write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


def run_project(
    project: Project,
    *,
    actor: str = "unknown",
    stage: Stage | None = None,
    options: RunOptions | None = None,
) -> RunResult:
    """Run every stage (see the module docstring)."""
    opts = options or RunOptions()
    timings: dict[str, float] = {}
    notes: dict[str, str] = {}

    def progress(name: str) -> Progress | None:
        return stage(name) if stage else None

    with _timed(timings, "import"):
        globs = list(project.config.transcripts) or ["transcripts"]
        if opts.scheduler or opts.workers:
            imported = _on_dask(
                project, [str(project.root / g) for g in globs], actor, opts, progress("import")
            )
        else:
            imported = import_transcripts(
                project,
                [str(project.root / g) for g in globs],
                coder=actor,
                progress=progress("import"),
            )
    state = read_state(project)
    with _timed(timings, "codebook"):
        codebook = _codebook(project, state, notes, actor)
    with _timed(timings, "codings"):
        loaded = tuple(
            (name, import_codings(project, project.path(name), actor=actor))
            for name in project.config.codings
        )
    if opts.auto_code and codebook is not None:
        with _timed(timings, "auto-code"):
            notes.update(_auto_code(project, state, progress, opts.embedder))
    if opts.topics:
        with _timed(timings, "topics"):
            notes.update(_topics(project, state, actor, progress, opts.embedder))
    write_state(project, state)
    result = RunResult(imported, codebook, loaded, notes, timings)
    if not opts.report:
        return result
    from qualmine.reporting import write_report

    with _timed(timings, "report"):
        final = write_report(project, result, opts.output, progress("report"), state)
    write_state(project, state)
    return final


def _codebook(
    project: Project, state: dict[str, Any], notes: dict[str, str], actor: str
) -> CodebookLoad | None:
    """Load the codebook qualmine.toml names, unless it is unchanged since the last sync."""
    if not project.config.codebook:
        return None
    recorded = state.get("codebook")
    load, mark, skipped = sync_unless_unchanged(
        project, recorded if isinstance(recorded, str) else "", actor=actor
    )
    state["codebook"] = mark
    if skipped:
        notes["codebook"] = SKIPPED
    return load


def _on_dask(
    project: Project, paths: list[str], actor: str, opts: RunOptions, progress: Progress | None
) -> ImportReport:
    """Import, rule-code and embed on Dask (see qualmine.distributed)."""
    from qualmine.distributed import ClusterSpec, run_document_stages

    return run_document_stages(
        project,
        paths,
        ClusterSpec(opts.scheduler, opts.workers),
        coder=actor,
        encoder=opts.embedder,
        semantic=opts.auto_code,
        topics=opts.topics,
        progress=progress,
    ).imported


def _embedder_key(embedder: str) -> dict[str, str]:
    # Only a non-default embedder enters fingerprints and options, so runs made before the
    # option existed are still recognised as unchanged.
    return {} if embedder == "minilm" else {"encoder": embedder}


def _auto_code(
    project: Project,
    state: dict[str, Any],
    progress: Callable[[str], Any],
    embedder: str = "minilm",
) -> dict[str, str]:
    from qualmine.coding.auto import CodeRequest, code_project

    notes = {}
    for method in ("rules", "semantic"):
        key = f"auto:{method}"
        extra = _embedder_key(embedder) if method == "semantic" else {}
        mark = fingerprint(project, {"stage": key, **extra})
        if state.get(key) == mark:
            notes[key] = SKIPPED
            continue
        result = code_project(project, CodeRequest(method, options=dict(extra)))
        assert result.summary is not None
        state[key] = mark
        notes[key] = (
            f"{result.summary.suggestions_added} new suggestion(s) on "
            f"{result.summary.units} segments"
        )
    return notes


def _topics(
    project: Project,
    state: dict[str, Any],
    actor: str,
    progress: Callable[[str], Any],
    embedder: str = "minilm",
) -> dict[str, str]:
    from qualmine.distributed import model_topics as run_topics
    from qualmine.errors import QualmineError
    from qualmine.topics import TopicRequest

    mark = fingerprint(
        project, {"stage": "topics", "seed": project.config.seed, **_embedder_key(embedder)}
    )
    if state.get("topics") == mark:
        return {"topics": SKIPPED}
    try:
        result = run_topics(
            project,
            TopicRequest(reduce_outliers=True, stability=3, encoder=embedder),
            actor=actor,
            progress=progress("topics"),
        )
    except QualmineError as exc:
        return {"topics": f"not run: {exc}"}
    state["topics"] = mark
    return {
        "topics": f"topic run {result.view.run.info.id} stored; files in "
        f"{result.folder.relative_to(project.root)}"
    }
