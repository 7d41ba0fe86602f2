"""`qualmine run --workers 2`: the per-document stages on a Dask LocalCluster of two worker
processes store what a local run stores."""

from __future__ import annotations

import csv
import sqlite3
import sys
from pathlib import Path

import pytest

from conftest import DATA, REPO
from qualmine.coding.units import read_units
from qualmine.distributed import ClusterSpec, dask_client, fit_sampled_topics, segment_units
from qualmine.errors import QualmineError
from qualmine.pipeline import RunOptions, run_project
from qualmine.project.config import Project, find_project, init_project
from qualmine.project.importer import import_transcripts

CODEBOOK = REPO / "bench" / "codebooks" / "ai-at-work.yaml"
INTERVIEWS = DATA / "anthropic-interviewer" / "scientists_transcripts.csv"


def _corpus(folder: Path, interviews: int) -> Path:
    csv.field_size_limit(sys.maxsize)
    with INTERVIEWS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:interviews]
    folder.mkdir(parents=True)
    # One file per interview, so that the workers parse files in parallel.
    for row in rows:
        (folder / f"{row['transcript_id']}.txt").write_text(row["text"], encoding="utf-8")
    return folder


def _project(folder: Path, corpus: Path) -> Project:
    init_project(folder)
    (folder / "codebook.yaml").write_text(CODEBOOK.read_text(encoding="utf-8"))
    (folder / "qualmine.toml").write_text(
        '[project]\nname = "dask"\nseed = 42\n'
        f'transcripts = ["{corpus.as_posix()}/*"]\ncodebook = "codebook.yaml"\n'
    )
    return find_project(explicit=folder)


def _rows(project: Project, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(project.db_path)
    try:
        return sorted(conn.execute(sql).fetchall(), key=repr)
    finally:
        conn.close()


STORED = {
    "documents": "SELECT name, source, content_hash, text, metadata, encoding FROM documents",
    "turns": 'SELECT document_id, idx, speaker, speaker_role, start, "end", case_id FROM turns',
    "segments": 'SELECT document_id, turn_idx, idx, start, "end" FROM segments',
    "cache": "SELECT model, text_hash, dim FROM embeddings",
    "rule codings": 'SELECT document_id, start, "end", quote, code, status, score, evidence '
    "FROM codings WHERE coder = 'auto:rules'",
    "rule scores": 'SELECT document_id, start, "end", rank, code, score FROM run_scores '
    "WHERE run_id IN (SELECT id FROM runs WHERE method = 'rules')",
}


def _report(project: Project) -> dict[str, bytes]:
    folder = project.root / "report"
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Project]:
    """The same corpus run locally, on two Dask workers, and on two workers reading a copy
    of the local run's embedding cache."""
    from qualmine.embedding.static import distill_static_model

    distill_static_model()
    base = tmp_path_factory.mktemp("dask")
    corpus = _corpus(base / "corpus", 6)
    options = RunOptions(embedder="static", output=None)
    local = _project(base / "local", corpus)
    run_project(local, options=options)
    dask = _project(base / "dask", corpus)
    run_project(dask, options=RunOptions(embedder="static", workers=2))
    shared = _project(base / "shared", corpus)
    conn = sqlite3.connect(shared.db_path)
    conn.execute("ATTACH DATABASE ? AS local", (str(local.db_path),))
    conn.execute("INSERT INTO embeddings SELECT * FROM local.embeddings")
    conn.commit()
    conn.close()
    run_project(shared, options=RunOptions(embedder="static", workers=2))
    return {"local": local, "dask": dask, "shared": shared}


@pytest.mark.slow
@pytest.mark.parametrize("table", sorted(STORED))
def test_a_dask_run_stores_what_a_local_run_stores(runs: dict[str, Project], table: str) -> None:
    local = _rows(runs["local"], STORED[table])
    assert local, f"the local run stored no {table}"
    assert _rows(runs["dask"], STORED[table]) == local


@pytest.mark.slow
def test_the_tables_of_a_dask_run_are_the_local_run_s(runs: dict[str, Project]) -> None:
    local = {k: v for k, v in _report(runs["local"]).items() if k.startswith("tables/")}
    assert local
    dask = {k: v for k, v in _report(runs["dask"]).items() if k.startswith("tables/")}
    assert dask == local


@pytest.mark.slow
def test_reading_the_same_cache_a_dask_run_exports_the_same_bytes(
    runs: dict[str, Project],
) -> None:
    local, shared = _report(runs["local"]), _report(runs["shared"])
    assert "index.html" in local
    assert sorted(shared) == sorted(local)
    assert [k for k in local if local[k] != shared[k]] == []


@pytest.mark.slow
def test_a_rerun_on_dask_changes_nothing(runs: dict[str, Project]) -> None:
    project = runs["dask"]
    before = {t: _rows(project, sql) for t, sql in STORED.items()}
    result = run_project(project, options=RunOptions(embedder="static", workers=2))
    assert set(result.imported.unchanged) and not result.imported.added
    assert {t: _rows(project, sql) for t, sql in STORED.items()} == before


def test_an_unreachable_scheduler_is_a_user_error() -> None:
    with (
        pytest.raises(QualmineError, match="cannot reach the Dask scheduler"),
        dask_client(ClusterSpec(scheduler="tcp://127.0.0.1:9")),
    ):
        pass


def test_topics_fitted_on_a_sample_assign_every_unit() -> None:
    import numpy as np

    from qualmine.topics import TopicRequest

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16))
    vectors = np.concatenate([c + 0.05 * rng.normal(size=(60, 16)) for c in centres])
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    texts = [f"words about theme {i // 60} number {i}" for i in range(len(vectors))]
    fitted = fit_sampled_topics(texts, vectors, TopicRequest(method="kmeans", k=3), 42, sample=90)
    assert fitted.settings.n_units == 90
    labels = fitted.labels.tolist()
    assert len(labels) == 180
    # Units of one cluster share a topic, sampled or not.
    assert all(len(set(labels[i * 60 : (i + 1) * 60])) == 1 for i in range(3))
    assert len(set(labels)) == 3


def test_segment_units_of_a_batch_are_those_read_units_gives(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", 3)
    project = _project(tmp_path / "project", corpus)
    import_transcripts(project, [str(corpus / "*")])
    with project.session() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]
        some = segment_units(conn, ids[1:])
        assert some and some == read_units(conn, "segment", document_ids=ids[1:])
        spoken = segment_units(conn, ids, speaker_role="participant")
        assert spoken == read_units(conn, "segment", speaker_role="participant")
