"""Large corpora: the per-document stages on Dask, topics on a sample, fast embedders checked.

`qualmine run --scheduler ADDRESS` (a running ``dask scheduler``) or ``--workers N`` (a
LocalCluster of N worker processes on this machine) runs the stages that read one document
at a time on Dask: parsing, sentence segmentation, rule coding and embedding. Workers only
compute; this process, the client, writes everything to the project file, in the same
order and with the same functions as a local run: the documents and their segments, the
rule coder's run, and the embedding cache. The cache stays the single source of vectors: a
worker returns the vectors of texts the cache lacks, the client stores them, and every
later stage reads them from the cache, as in a local run. So a Dask run stores the same
documents, segments, rule codings and cache entries as a local run; its vectors can differ
from a local run's in the last bits (another process, other batches), so its semantic
codings and topics equal a local run's exactly when both read the same cache. Workers read
the transcript files by path: on a remote cluster the project folder must be at the same
path on every worker (a shared file system). `fill_embedding_cache` runs the embedding
stage in this process instead, a batch of documents at a time, so that its memory stays
flat however large the corpus.

Topic modelling stays in this process. Above ``SAMPLE_UNITS`` units (20,000 participant
sentences, about twice the 250-interview S corpus) the model is fitted on a seeded sample
of that many units and every other unit takes the topic of its most similar sampled unit
(cosine of the embeddings); below it `run_topics` runs unchanged.

`compare_embedders` reports how close a fast embedder comes to MiniLM on a project's own
units: Cohen's kappa of the semantic coder's code assignments, and the adjusted Rand index
of topic assignments beside MiniLM's own seed-to-seed ARI.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qualmine.embedding import DEFAULT_ENCODER, embedding_text, get_encoder, text_key
from qualmine.embedding.cache import read_vectors, store_vectors
from qualmine.errors import QualmineError
from qualmine.models import Codebook, ParsedDocument, Segment
from qualmine.project.config import Project
from qualmine.project.importer import ImportReport

Progress = Callable[[int, int, str], None]

SAMPLE_UNITS = 20_000
"""Above this many units, topics are fitted on a sample of this many (see module doc)."""

DOCUMENTS_PER_TASK = 25
"""Documents per rule-coding task: large enough to keep scheduling cheap."""

TEXTS_PER_TASK = 512
"""Texts per embedding task: a multiple of the local batch size (64), so the batches are
the same as a local run's."""

_LOCAL_BATCH = 64
_NEIGHBOUR_CHUNK = 2048


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


# -- import ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Failed:
    message: str


def _parse_file(
    project: Project, path: Path, by_speaker: dict[str, str]
) -> list[tuple[ParsedDocument, list[Segment]]] | _Failed:
    """On a worker: one file's documents, each with its segments (errors as values)."""
    from qualmine.parsing import segment_turns
    from qualmine.project.importer import _parse_all  # the importer's own per-file reading

    try:
        docs = _parse_all(project, [path], by_speaker)
        return [(doc, segment_turns(doc.text, doc.turns)) for doc in docs]
    except QualmineError as error:
        # Exceptions whose __init__ takes several arguments do not survive pickling.
        return _Failed(str(error))


def _names(parsed: list[tuple[ParsedDocument, list[Segment]]] | _Failed) -> list[str] | _Failed:
    """On a worker: the document names of a parsed file, so only names travel first."""
    return parsed if isinstance(parsed, _Failed) else [doc.name for doc, _ in parsed]


def _import(
    client: Any, project: Project, paths: Sequence[str], coder: str, progress: Progress | None
) -> ImportReport:
    from qualmine.project.importer import expand_paths, read_attributes, speaker_cases

    files, skipped = expand_paths(project, paths)
    attr_path = project.path(project.config.participants) if project.config.participants else None
    case_attrs = read_attributes(attr_path) if attr_path else {}
    parsed = client.map(
        _parse_file, [project] * len(files), files, [speaker_cases(case_attrs)] * len(files)
    )
    # Every file is read and checked before anything is written, as in a local import.
    _check_names(client.gather(client.map(_names, parsed)), files)
    conn = project.connect()
    try:
        report = _store_files(conn, client, parsed, coder, progress)
        from qualmine.storage import transaction

        with transaction(conn):
            cases = _store_case_attributes(conn, report.case_attributes, case_attrs)
    finally:
        conn.close()
    return replace(report.report, skipped=tuple(skipped), cases_with_attributes=cases)


def _check_names(names: list[list[str] | _Failed], files: Sequence[Path]) -> None:
    from qualmine.errors import InputFileError

    seen: dict[str, Path] = {}
    for path, found in zip(files, names, strict=True):
        if isinstance(found, _Failed):
            raise QualmineError(found.message)
        for name in found:
            if name in seen:
                raise InputFileError(
                    path,
                    f"document name {name!r} is also used by {seen[name]}",
                    "rename one of the files",
                )
            seen[name] = path


@dataclass(slots=True)
class _Stored:
    report: ImportReport
    case_attributes: list[dict[str, dict[str, str]]]


def _store_files(
    conn: sqlite3.Connection, client: Any, parsed: list[Any], coder: str, progress: Progress | None
) -> _Stored:
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    orphaned: list[int] = []
    moved: list[int] = []
    encodings: dict[str, str] = {}
    attributes: list[dict[str, dict[str, str]]] = []
    for number, future in enumerate(parsed):
        if progress:
            progress(number, len(parsed), "")
        docs = client.gather(future)
        future.release()  # the worker may drop the file's documents now
        for doc, segments in docs:
            outcome, lost, shifted = _store_document(conn, doc, segments, coder)
            {"added": added, "updated": updated, "unchanged": unchanged}[outcome].append(doc.name)
            orphaned.extend(lost)
            moved.extend(shifted)
            encodings[doc.name] = doc.encoding
            attributes.append(doc.case_attributes)
    if progress:
        progress(len(parsed), len(parsed), "")
    report = ImportReport(
        tuple(added), tuple(updated), tuple(unchanged), (), tuple(orphaned), tuple(moved), encodings
    )
    return _Stored(report, attributes)


def _store_document(
    conn: sqlite3.Connection, doc: ParsedDocument, segments: list[Segment], coder: str
) -> tuple[str, list[int], list[int]]:
    """Store one document as the importer does: unchanged, added, or updated and re-anchored."""
    from qualmine.project.importer import _reanchor_document
    from qualmine.storage import transaction
    from qualmine.storage.audit import now, record
    from qualmine.storage.documents import content_hash, insert_document

    row = conn.execute(
        "SELECT id, content_hash FROM documents WHERE name = ?", (doc.name,)
    ).fetchone()
    if row and row[1] == content_hash(doc.text):
        return "unchanged", [], []
    lost: list[int] = []
    shifted: list[int] = []
    with transaction(conn):
        doc_id = insert_document(
            conn, doc, segments, imported=now(), replace_id=row[0] if row else None
        )
        if row:
            lost, shifted = _reanchor_document(conn, doc_id, doc.text)
        record(
            conn,
            coder=coder,
            command="import",
            action="update" if row else "add",
            target=doc.name,
            payload={"source": doc.source, "hash": content_hash(doc.text)},
        )
    return ("updated" if row else "added"), lost, shifted


def _store_case_attributes(
    conn: sqlite3.Connection,
    per_document: list[dict[str, dict[str, str]]],
    case_attrs: dict[str, dict[str, str]],
) -> int:
    from qualmine.storage.documents import set_case_attributes

    merged: dict[str, dict[str, str]] = {}
    for found in per_document:
        for case, attrs in found.items():
            merged.setdefault(case, {}).update(attrs)
    for case, attrs in case_attrs.items():
        merged.setdefault(case, {}).update(attrs)
    for case, attrs in sorted(merged.items()):
        set_case_attributes(conn, case, attrs)
    return len(merged)


# -- rule coding -------------------------------------------------------------------------

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
    from qualmine.pipeline import STATE, fingerprint
    from qualmine.project.filters import resolve_documents

    mark = fingerprint(project, {"stage": "auto:rules"})
    if _run_state(project, STATE).get("auto:rules") == mark:
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
    state = _run_state(project, STATE)
    state["auto:rules"] = mark
    (project.root / STATE).write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
    return len(scored)


def _run_state(project: Project, state_file: Path) -> dict[str, str]:
    """`qualmine run`'s record of the inputs each stage last ran on."""
    try:
        return dict(json.loads((project.root / state_file).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


# -- embedding ---------------------------------------------------------------------------


def fill_embedding_cache(project: Project, encoder: str = DEFAULT_ENCODER) -> tuple[int, int]:
    """Embed, in this process and in batches, what the semantic coder and topics will read.

    Memory stays flat with corpus size: documents are read a batch at a time, and only the
    distinct texts missing from the cache are kept. Returns (computed, already cached).
    """
    from qualmine.project.codebook_sync import sync_codebook

    codebook = sync_codebook(project).codebook if project.config.codebook else None
    return _embed(None, project, _texts_to_embed(project, codebook, True, True), encoder)


def _texts_to_embed(
    project: Project, codebook: Codebook | None, semantic: bool, topics: bool
) -> dict[str, str]:
    """Cache key -> text, for exactly the texts the semantic coder and topics will embed."""
    from qualmine.coding.semantic import applies_to, prototype_texts
    from qualmine.project.filters import resolve_documents
    from qualmine.topics import MIN_UNITS

    marks = project.config.transcription_marks
    codes = [c for c in codebook.codes if c.codable] if codebook and semantic else []
    texts = {
        text_key(t, marks): embedding_text(t, marks) for c in codes for t in prototype_texts(c)
    }
    topic_texts: dict[str, str] = {}
    topic_units = 0
    with project.session() as conn:
        doc_ids = sorted(resolve_documents(conn, (), ()))
        for first in range(0, len(doc_ids), DOCUMENTS_PER_TASK * 8):
            batch = doc_ids[first : first + DOCUMENTS_PER_TASK * 8]
            for unit in segment_units(conn, batch):
                if any(applies_to(c, unit) for c in codes):
                    texts.setdefault(text_key(unit.text, marks), embedding_text(unit.text, marks))
            if topics:
                found = _topic_units(conn, batch, marks)
                topic_units += len(found)
                for text in found:
                    topic_texts.setdefault(text_key(text, marks), embedding_text(text, marks))
    if topic_units >= MIN_UNITS:
        texts.update(topic_texts)
    return texts


def segment_units(
    conn: sqlite3.Connection, doc_ids: Sequence[int], speaker_role: str | None = None
) -> list[Any]:
    """The segment units of some documents, exactly as `read_units` gives them.

    `read_units` reads every segment of the project and keeps those asked for; reading a
    corpus a batch of documents at a time needs a query that reads only the batch.
    """
    from qualmine.coding.units import Unit

    if not doc_ids:
        return []
    marks = ",".join("?" * len(doc_ids))
    texts = dict(
        conn.execute(f"SELECT id, text FROM documents WHERE id IN ({marks})", list(doc_ids))
    )
    rows = conn.execute(
        'SELECT s.document_id, s.turn_idx, s.start, s."end", t.speaker_role, t.case_id '
        "FROM segments s JOIN turns t ON t.document_id = s.document_id AND t.idx = s.turn_idx "
        f"WHERE s.document_id IN ({marks}) ORDER BY s.document_id, s.start",
        list(doc_ids),
    )
    return [
        Unit(doc, start, end, texts[doc][start:end], role, case, turn, ((start, end),))
        for doc, turn, start, end, role, case in rows
        if not speaker_role or role == speaker_role
    ]


def _topic_units(conn: sqlite3.Connection, doc_ids: list[int], marks: Sequence[str]) -> list[str]:
    """The texts `select_units` gives the topic model, for some documents."""
    from qualmine.parsing import strip_marks

    units = segment_units(conn, doc_ids, speaker_role="participant")
    clean: dict[int, str] = {}
    for doc_id in sorted({u.document_id for u in units}):
        text = conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]
        clean[doc_id] = strip_marks(text, marks)
    cut = (clean[u.document_id][u.start : u.end] for u in units)
    return [t for t in cut if any(ch.isalnum() for ch in t)]


def _encode(encoder: str, texts: list[str]) -> NDArray[np.float32]:
    """On a worker (or here): unit-length vectors, in batches of the local run's size."""
    chosen = get_encoder(encoder)
    rows = [
        chosen.encode(texts[i : i + _LOCAL_BATCH], _LOCAL_BATCH)
        for i in range(0, len(texts), _LOCAL_BATCH)
    ]
    return unit_rows(np.concatenate(rows))


def unit_rows(matrix: NDArray[np.floating]) -> NDArray[np.float32]:
    """Rows scaled to length 1 in float64, as the embedding cache stores them."""
    wide = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(wide, axis=1, keepdims=True)
    return (wide / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _embed(client: Any, project: Project, by_key: dict[str, str], encoder: str) -> tuple[int, int]:
    """Vectors of the texts the cache lacks, computed on workers (or here), stored here."""
    chosen = get_encoder(encoder)
    unique = sorted(by_key)
    with project.session() as conn:
        found = set(read_vectors(conn, chosen.model, unique, chosen.dim))
        missing = sorted((k for k in unique if k not in found), key=lambda k: (len(by_key[k]), k))
        chunks = [missing[i : i + TEXTS_PER_TASK] for i in range(0, len(missing), TEXTS_PER_TASK)]
        if client is None:
            for chunk in chunks:
                vectors = _encode(encoder, [by_key[k] for k in chunk])
                store_vectors(conn, chosen.model, dict(zip(chunk, vectors, strict=True)))
        else:
            if chunks and hasattr(chosen, "prepare"):
                chosen.prepare()  # e.g. distil the static model once, not once per worker
            futures = [client.submit(_encode, encoder, [by_key[k] for k in c]) for c in chunks]
            for chunk, future in zip(chunks, futures, strict=True):
                vectors = client.gather(future)
                future.release()
                store_vectors(conn, chosen.model, dict(zip(chunk, vectors, strict=True)))
    return len(missing), len(unique) - len(missing)


# -- topics at scale ---------------------------------------------------------------------


def model_topics(
    project: Project, request: Any, *, actor: str = "unknown", progress: Progress | None = None
) -> Any:
    """`run_topics`, fitted on a sample above ``SAMPLE_UNITS`` units (see module doc)."""
    from qualmine.topics import run_topics
    from qualmine.topics.modelling import select_units

    with project.session() as conn:
        count = len(select_units(conn, request, project.config.transcription_marks))
    if count <= SAMPLE_UNITS:
        return run_topics(project, request, actor=actor, progress=progress)
    return _run_sampled_topics(project, request, actor, progress)


def _run_sampled_topics(
    project: Project, request: Any, actor: str, progress: Progress | None
) -> Any:
    from qualmine.embedding import embed_units, embedding_stats
    from qualmine.topics.model import timed
    from qualmine.topics.modelling import TopicRunResult, _run_record, select_units
    from qualmine.topics.outputs import DEFAULT_FOLDER, write_topic_files
    from qualmine.topics.records import store_topic_run
    from qualmine.topics.settings import scaled_settings
    from qualmine.topics.view import load_topic_view

    seed = project.config.seed if request.seed is None else request.seed
    marks = project.config.transcription_marks
    with project.session() as conn:
        units = select_units(conn, request, marks)
        scaled_settings(len(units), method=request.method, k=request.k)
        timings: dict[str, float] = {}
        before = embedding_stats()
        with timed(timings, "embedding"):
            embeddings = embed_units(
                conn, units, encoder=request.encoder, progress=progress, marks=marks
            )
        texts = [embedding_text(u.text, marks) for u in units]
        fitted = fit_sampled_topics(texts, embeddings, request, seed, progress=progress)
        timings.update(fitted.timings)
        run_id = store_topic_run(conn, _run_record(units, fitted, request, timings), actor=actor)
    view = load_topic_view(project, run_id, request.coder)
    folder = request.output or project.root / DEFAULT_FOLDER
    with timed(timings, "files"):
        files = write_topic_files(view, folder, request.by)
    return TopicRunResult(view, folder, tuple(files), timings, embedding_stats() - before)


def fit_sampled_topics(
    texts: Sequence[str],
    embeddings: NDArray[np.float32],
    request: Any,
    seed: int,
    *,
    sample: int | None = None,
    progress: Progress | None = None,
) -> Any:
    """`fit_topics` on a seeded sample of ``sample`` units; the rest take their nearest
    sampled unit's topic. Topic words, coherence and stability are the sample's; each
    topic's quotes are chosen among all its units."""
    from qualmine.topics.model import representative_units, timed
    from qualmine.topics.modelling import fit_topics

    size = min(len(texts), SAMPLE_UNITS if sample is None else sample)
    chosen = np.sort(np.random.default_rng(seed).choice(len(texts), size, replace=False))
    fitted = fit_topics([texts[i] for i in chosen], embeddings[chosen], request, seed, progress)
    timings = dict(fitted.timings)
    with timed(timings, "assignment"):
        labels = nearest_labels(embeddings, embeddings[chosen], fitted.labels)
    quotes = representative_units(embeddings, labels, texts)
    return replace(fitted, labels=labels, quotes=quotes, timings=timings)


def nearest_labels(
    vectors: NDArray[np.float32], known: NDArray[np.float32], labels: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Each row of ``vectors`` takes the label of its most cosine-similar row of ``known``."""
    out = np.empty(len(vectors), dtype=np.int64)
    base = np.asarray(known, dtype=np.float32)
    for first in range(0, len(vectors), _NEIGHBOUR_CHUNK):
        sims = np.asarray(vectors[first : first + _NEIGHBOUR_CHUNK], np.float32) @ base.T
        out[first : first + len(sims)] = labels[sims.argmax(axis=1)]
    return out


# -- fast embedders against MiniLM -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmbedderComparison:
    """How close a fast embedder comes to the reference one on the same units.

    Attributes:
        fast: the fast encoder's name.
        reference: the reference encoder's name.
        units: units compared.
        codes: codable codes the semantic coder scored.
        assigned_fast: (unit, code) assignments of the fast embedder's semantic coder.
        assigned_reference: the same for the reference embedder.
        kappa: Cohen's kappa of the two coders' assignments over every (unit, code) pair.
        matched_threshold: the fast coder's threshold that makes as many assignments as
            the reference's.
        kappa_matched: the kappa with that threshold.
        topic_units: units the topic assignments were compared on.
        ari: adjusted Rand index between the two embedders' topics (same settings, seed).
        reference_ari: the reference embedder's own ARI between two seeds.
    """

    fast: str
    reference: str
    units: int
    codes: int
    assigned_fast: int
    assigned_reference: int
    kappa: float
    matched_threshold: float
    kappa_matched: float
    topic_units: int
    ari: float
    reference_ari: float

    @property
    def ari_ratio(self) -> float:
        """``ari / reference_ari``: 1 when the embedders differ no more than two seeds do."""
        return self.ari / self.reference_ari if self.reference_ari > 0 else 0.0


def compare_embedders(
    project: Project,
    fast: str = "static",
    reference: str = DEFAULT_ENCODER,
    *,
    threshold: float = 0.45,
    seed: int | None = None,
    topic_units: int = SAMPLE_UNITS,
) -> EmbedderComparison:
    """Compare a fast embedder with the reference on the project's segments.

    Semantic coding: both embedders' semantic coders score every segment that a codable
    code applies to (by speaker role), and a unit gets a code scoring at least
    ``threshold`` (the semantic coder's default). A fast embedder's similarities have
    another scale, so the kappa is also given with the fast coder's threshold set to make
    as many assignments as the reference (``matched_threshold``). Topics: the participant
    units (at most ``topic_units``, a seeded sample) are reduced and clustered with each
    embedder's vectors, the same settings and seed, and once more with the reference and
    the next seed.

    Raises:
        QualmineError: no codebook, or too few units to model topics.
    """
    from qualmine.coding.semantic import SemanticCoder, applies_to
    from qualmine.coding.units import read_units
    from qualmine.embedding import embed_units
    from qualmine.project.codebook_sync import sync_codebook
    from qualmine.topics import TopicRequest
    from qualmine.topics.modelling import select_units

    codebook = sync_codebook(project).codebook
    marks = project.config.transcription_marks
    seed = project.config.seed if seed is None else seed
    scores: dict[str, dict[tuple[int, int, str], float]] = {}
    codes = [c for c in codebook.codes if c.codable]
    with project.session() as conn:
        units = [u for u in read_units(conn, "segment") if any(applies_to(c, u) for c in codes)]
        for name in (fast, reference):
            coder = SemanticCoder(codebook, conn=conn, encoder=name, marks=marks)
            scores[name] = _cell_scores(coder.fit().score(units))
        topic = select_units(conn, TopicRequest(), marks)
        chosen = [topic[i] for i in _sample(len(topic), topic_units, seed)]
        vectors = {n: embed_units(conn, chosen, encoder=n, marks=marks) for n in (fast, reference)}
    cells = len(units) * len(codes)
    ref = {k for k, v in scores[reference].items() if v >= threshold}
    own = {k for k, v in scores[fast].items() if v >= threshold}
    ranked = sorted(scores[fast].values(), reverse=True)
    matched = ranked[len(ref) - 1] if 0 < len(ref) <= len(ranked) else threshold
    same = {k for k, v in scores[fast].items() if v >= matched}
    ari, seeds = _topic_agreement(vectors[fast], vectors[reference], seed)
    return EmbedderComparison(
        fast=fast,
        reference=reference,
        units=len(units),
        codes=len(codes),
        assigned_fast=len(own),
        assigned_reference=len(ref),
        kappa=binary_kappa(own, ref, cells),
        matched_threshold=round(matched, 6),
        kappa_matched=binary_kappa(same, ref, cells),
        topic_units=len(chosen),
        ari=ari,
        reference_ari=seeds,
    )


def _cell_scores(scored: Sequence[Any]) -> dict[tuple[int, int, str], float]:
    return {
        (s.unit.document_id, s.unit.start, code): score
        for s in scored
        for code, score, _ in s.scores
    }


def binary_kappa(a: set[Any], b: set[Any], cells: int) -> float:
    """Cohen's kappa of two yes/no raters over ``cells`` items, given each one's yes-set."""
    if cells == 0:
        return 1.0
    both = len(a & b)
    agree = (cells - len(a | b) + both) / cells
    pa, pb = len(a) / cells, len(b) / cells
    chance = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if chance >= 1 else round((agree - chance) / (1 - chance), 6)


def _sample(count: int, limit: int, seed: int) -> list[int]:
    if count <= limit:
        return list(range(count))
    return sorted(np.random.default_rng(seed).choice(count, limit, replace=False).tolist())


def _topic_agreement(
    fast: NDArray[np.float32], reference: NDArray[np.float32], seed: int
) -> tuple[float, float]:
    from sklearn.metrics import adjusted_rand_score

    from qualmine.topics.model import topic_labels
    from qualmine.topics.settings import scaled_settings

    settings = scaled_settings(len(reference), seed=seed)
    base = topic_labels(reference, settings)
    other = topic_labels(fast, settings)
    reseeded = topic_labels(reference, replace(settings, seed=seed + 1))
    return (
        round(float(adjusted_rand_score(base, other)), 6),
        round(float(adjusted_rand_score(base, reseeded)), 6),
    )
