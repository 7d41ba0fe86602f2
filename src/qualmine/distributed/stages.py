"""Where the per-document stages run (a Dask scheduler or local workers), running them in
order, and the rule coder on the workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from qualmine.distributed.importing import _import
from qualmine.distributed.vectors import DOCUMENTS_PER_TASK, _embed, _texts_to_embed, segment_units
from qualmine.embedding import DEFAULT_ENCODER
from qualmine.errors import QualmineError
from qualmine.models import Codebook
from qualmine.project.config import Project
from qualmine.project.importer import ImportReport

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """Where the per-document stages run: a scheduler's address, or N local workers."""

    scheduler: str | None = None
    workers: int = 0

    @property
    def enabled(self) -> bool:
        """Whether Dask is asked for at all."""
        return bool(self.scheduler) or self.workers > 0


@contextmanager
def dask_client(spec: ClusterSpec) -> Iterator[Any]:
    """A Dask client for ``spec``: connected to the scheduler, or to a new LocalCluster.

    Raises:
        QualmineError: Dask is not installed, or the scheduler cannot be reached.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise QualmineError(
            "--scheduler and --workers need Dask: pip install 'dask[distributed]'"
        ) from None
    if spec.scheduler:
        try:
            client = Client(spec.scheduler, timeout="10s")  # type: ignore[no-untyped-call]
        except OSError as error:
            raise QualmineError(
                f"cannot reach the Dask scheduler at {spec.scheduler} ({error}); start one "
                "with `dask scheduler` and workers with `dask worker ADDRESS`, or use "
                "--workers N for workers on this machine"
            ) from None
        with client:
            yield client
        return
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=spec.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


@dataclass(frozen=True, slots=True)
class DocumentStages:
    """What the per-document stages did on Dask.

    Attributes:
        imported: the import, as `import_transcripts` reports it.
        rules_units: units the rule coder scored (0 when no codebook).
        texts_embedded: texts whose vectors the workers computed.
        texts_cached: texts already in the cache.
    """

    imported: ImportReport
    rules_units: int = 0
    texts_embedded: int = 0
    texts_cached: int = 0


def run_document_stages(
    project: Project,
    paths: Sequence[str],
    spec: ClusterSpec,
    *,
    coder: str = "unknown",
    encoder: str = DEFAULT_ENCODER,
    semantic: bool = True,
    topics: bool = True,
    progress: Progress | None = None,
) -> DocumentStages:
    """Import, rule-code and embed on Dask; `qualmine run` then finds these stages done.

    The rule coder's run is stored and marked done in the run state, so `qualmine run`
    does not run it again; the embeddings the semantic coder (when ``semantic``) and the
    topic model (when ``topics``) will read are put in the cache.

    Raises:
        InputFileError: a file cannot be read; nothing has been written.
        QualmineError: Dask is missing or the scheduler cannot be reached.
    """
    from qualmine.project.codebook_sync import sync_codebook

    with dask_client(spec) as client:
        imported = _import(client, project, paths, coder, progress)
        if not project.config.codebook:
            return DocumentStages(imported)
        codebook = sync_codebook(project, actor=coder).codebook
        units = _rule_code(client, project, codebook)
        computed, cached = _embed(
            client, project, _texts_to_embed(project, codebook, semantic, topics), encoder
        )
    return DocumentStages(imported, units, computed, cached)


_fitted_rules: dict[str, Any] = {}


def _score_rules(codebook: Codebook, units: list[Any]) -> list[Any]:
    """On a worker: the rule coder's scores, the coder fitted once per codebook version."""
    from qualmine.coding.rules import RuleCoder

    key = f"{codebook.version}:{codebook.content_hash}"
    if key not in _fitted_rules:
        _fitted_rules.clear()
        _fitted_rules[key] = RuleCoder(codebook, threshold=0.5).fit()
    return list(_fitted_rules[key].score(units))


def _rule_code(client: Any, project: Project, codebook: Codebook) -> int:
    """Score every segment on the workers; store the run as `qualmine code` would.

    As in `qualmine run`, nothing is coded when neither the documents nor the codebook
    changed since the last rule run.
    """
    from qualmine.coding.auto import CodeRequest, _store
    from qualmine.pipeline import fingerprint, read_state, write_state
    from qualmine.project.filters import resolve_documents

    mark = fingerprint(project, {"stage": "auto:rules"})
    if read_state(project).get("auto:rules") == mark:
        return 0
    request = CodeRequest("rules")
    with project.session() as conn:
        doc_ids = sorted(resolve_documents(conn, (), ()))
        batches = [
            doc_ids[i : i + DOCUMENTS_PER_TASK] for i in range(0, len(doc_ids), DOCUMENTS_PER_TASK)
        ]
        futures = [
            client.submit(_score_rules, codebook, segment_units(conn, batch)) for batch in batches
        ]
        scored = [s for future in futures for s in client.gather(future)]
        _store(conn, request, scored, {c.id: 0.5 for c in codebook.codes}, codebook)
    state = read_state(project)
    state["auto:rules"] = mark
    write_state(project, state)
    return len(scored)
