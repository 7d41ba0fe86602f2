r"""qualmine at three corpus sizes: every stage beside its baseline, measured in the same run.

    python bench/run.py --size S        # the 250 interviews; medians of 5 runs after a warm-up
    python bench/run.py --size M        # ~3M words, one run of each measurement
    python bench/run.py --size L        # ~30M words: import, rule coding, static embedding
    python bench/run.py --tiny          # 20 interviews, one run: a smoke test (CI)

Corpora are built by bench/common.py (M and L recombine the interviews' participant
sentences, written to a temporary folder). Each size starts in a fresh project with an
empty embedding cache; measurements that need a cold process (model loading) run in a
child process (``--child``). Two codebooks: bench/codebooks/ai-at-work.yaml (the
interviews' own themes) and a generated one of 200 codes (bench/coding.py's generator).

Stages and baselines (a ratio is qualmine's figure over the baseline's, in the same run):

- import: parse, segment and store (`import_transcripts`) against spaCy's own words/s with
  the same pipeline (tokenizer and sentencizer) over the same texts in one process.
- rule coding: `RuleCoder.score` words/s against one compiled regex per code run over the
  full text (bench/coding.py's baseline), per codebook.
- semantic coding and topics: warm (embedding cache filled) against cold (a new process
  with an empty cache: model loading, embedding, then the stage).
- `qualmine run` with nothing changed against the same run cold.
- static embedder: sentences/s against MiniLM on the same texts; kappa of the semantic
  coder's code assignments and ARI of topic assignments (`compare_embedders`).
- topic model: qualmine's BERTopic stage against BERTopic with default settings on the
  same embeddings and seed, outlier reduction off in both: seconds and outliers.
- M end to end with the static embedder; L import + rule coding + static embedding peak
  memory (a child process's ru_maxrss).

Results: a table on stdout and bench/results/SIZE.json (with `git rev-parse HEAD`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    CODEBOOK,
    Corpus,
    Row,
    median,
    new_project,
    peak_rss_mb,
    print_rows,
    run_child,
    timed,
    write_corpus,
    write_results,
)

GENERATED_CODES = 200
SAMPLE_TOPIC_UNITS = 20_000
WARM_UP_UNITS = 5_000
STATIC_SPEED_TEXTS = 2_000
M_END_TO_END_MINUTES = 15
L_MEMORY_GB = 4


# -- children: one measurement in a fresh process, JSON on the last line ------------------


def _open(folder: str) -> Any:
    from qualmine.project.config import find_project

    return find_project(explicit=Path(folder))


def _clear_cache(project: Any, encoder: str) -> None:
    from qualmine.embedding import get_encoder

    with project.session() as conn:
        conn.execute("DELETE FROM embeddings WHERE model = ?", (get_encoder(encoder).model,))
        conn.commit()


def child_semantic(folder: str, encoder: str) -> dict[str, Any]:
    """Cold (new process, empty cache) and warm semantic coding of every segment."""
    from qualmine.coding.auto import CodeRequest, code_project
    from qualmine.embedding import embedding_stats

    project = _open(folder)
    _clear_cache(project, encoder)
    request = CodeRequest("semantic", options={"encoder": encoder}, dry_run=True)
    cold, result = timed(lambda: code_project(project, request))
    before = embedding_stats()
    warm, _ = timed(lambda: code_project(project, request))
    computed = (embedding_stats() - before).computed
    return {"cold": cold, "warm": warm, "recomputed": computed}


def child_topics(folder: str, encoder: str) -> dict[str, Any]:
    """Cold and warm topic runs (samples above 20,000 units, as `qualmine run` does)."""
    from qualmine.distributed import model_topics
    from qualmine.topics import TopicRequest

    project = _open(folder)
    _clear_cache(project, encoder)
    request = TopicRequest(encoder=encoder, output=Path(folder) / "topics-out")
    cold, first = timed(lambda: model_topics(project, request))
    warm, second = timed(lambda: model_topics(project, request))
    info = second.view.run.info.results
    return {"cold": cold, "warm": warm, "units": info["n_units"], "topics": info["n_topics"]}


def child_run(folder: str, embedder: str, workers: str) -> dict[str, Any]:
    """`qualmine run` cold on a fresh project, then again with nothing changed."""
    from qualmine.pipeline import RunOptions, run_project

    project = _open(folder)
    options = RunOptions(embedder=embedder, workers=int(workers))
    cold, result = timed(lambda: run_project(project, options=options))
    warm, again = timed(lambda: run_project(project, options=options))
    return {"cold": cold, "warm": warm, "stages": result.timings, "warm_stages": again.timings}


def child_memory(folder: str) -> dict[str, Any]:
    """Import, rule coding and static embedding of every segment; peak resident memory."""
    from qualmine.coding.auto import CodeRequest, code_project
    from qualmine.distributed import fill_embedding_cache
    from qualmine.project.codebook_sync import sync_codebook
    from qualmine.project.importer import import_transcripts

    project = _open(folder)
    times = {}
    times["import"], _ = timed(
        lambda: import_transcripts(
            project, [str(project.root / g) for g in project.config.transcripts]
        )
    )
    after_import = peak_rss_mb()
    sync_codebook(project)
    times["rules"], _ = timed(lambda: code_project(project, CodeRequest("rules")))
    after_rules = peak_rss_mb()
    times["static"], counts = timed(lambda: fill_embedding_cache(project, "static"))
    return {
        "seconds": times,
        "peak_mb": peak_rss_mb(),
        "after_import_mb": after_import,
        "after_rules_mb": after_rules,
        "texts": counts,
    }


def child_compare(folder: str) -> dict[str, Any]:
    """Static against MiniLM: speed on the same texts, kappa and ARI (compare_embedders)."""
    from qualmine.coding.units import read_units
    from qualmine.distributed import compare_embedders
    from qualmine.embedding import embedding_text, get_encoder
    from qualmine.embedding.encoders import load_minilm
    from qualmine.embedding.static import load_static

    project = _open(folder)
    with project.session() as conn:
        texts = sorted({embedding_text(u.text) for u in read_units(conn, "segment")})
    load_minilm()
    load_static()
    sample = texts[:: max(1, len(texts) // STATIC_SPEED_TEXTS)][:STATIC_SPEED_TEXTS]
    minilm, _ = timed(lambda: get_encoder("minilm").encode(sample, 64))
    static = median([timed(lambda: get_encoder("static").encode(texts, 64))[0] for _ in range(3)])
    found = compare_embedders(project, "static", "minilm", topic_units=SAMPLE_TOPIC_UNITS)
    return {
        "minilm_per_s": len(sample) / minilm,
        "static_per_s": len(texts) / static,
        "kappa": found.kappa,
        "assigned_static": found.assigned_fast,
        "assigned_minilm": found.assigned_reference,
        "kappa_matched": found.kappa_matched,
        "matched_threshold": found.matched_threshold,
        "ari": found.ari,
        "reference_ari": found.reference_ari,
        "ari_ratio": found.ari_ratio,
        "units": found.units,
        "topic_units": found.topic_units,
        "codes": found.codes,
    }


def child_bertopic(folder: str) -> dict[str, Any]:
    """qualmine's topic model against BERTopic's defaults, same embeddings and seed."""
    import numpy as np

    from qualmine.embedding import embed_units, embedding_text
    from qualmine.topics import TopicModel, TopicRequest
    from qualmine.topics.model import load_libraries
    from qualmine.topics.modelling import select_units

    project = _open(folder)
    with project.session() as conn:
        units = select_units(conn, TopicRequest())
        if len(units) > SAMPLE_TOPIC_UNITS:
            keep = np.random.default_rng(42).choice(len(units), SAMPLE_TOPIC_UNITS, replace=False)
            units = [units[i] for i in sorted(keep.tolist())]
        vectors = embed_units(conn, units)
    texts = [embedding_text(u.text) for u in units]
    load_libraries()
    # UMAP and HDBSCAN compile their numba code on first use (10-20 s): an untimed fit of
    # both on a slice first, so that neither side is timed with the compilation. The slice
    # is over 4,096 units, where UMAP switches to approximate neighbours (more numba code).
    TopicModel(seed=42).fit(texts[:WARM_UP_UNITS], vectors[:WARM_UP_UNITS])
    _bertopic_default(texts[:WARM_UP_UNITS], vectors[:WARM_UP_UNITS], 42)
    ours, model = timed(lambda: TopicModel(seed=42, reduce_outliers=False).fit(texts, vectors))
    theirs, labels = timed(lambda: _bertopic_default(texts, vectors, 42))
    return {
        "units": len(units),
        "qualmine_s": ours,
        "bertopic_s": theirs,
        "qualmine_outliers": int((model.labels_ == -1).sum()),
        "bertopic_outliers": int((np.asarray(labels) == -1).sum()),
        "qualmine_topics": len(set(model.labels_.tolist()) - {-1}),
        "bertopic_topics": len(set(labels) - {-1}),
    }


def _bertopic_default(texts: Sequence[str], vectors: Any, seed: int) -> list[int]:
    from bertopic import BERTopic
    from umap import UMAP

    # BERTopic's own UMAP settings, seeded as qualmine's is; everything else its defaults.
    umap_model = UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed
    )
    topics, _ = BERTopic(umap_model=umap_model).fit_transform(list(texts), embeddings=vectors)
    return [int(t) for t in topics]


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "semantic": child_semantic,
    "topics": child_topics,
    "run": child_run,
    "memory": child_memory,
    "compare": child_compare,
    "bertopic": child_bertopic,
}


# -- measurements in this process -------------------------------------------------------


def measure_import(corpus: Corpus, runs: int, scratch: Path) -> tuple[Row, Any]:
    """Import into fresh projects (median of runs) against spaCy's pipe over the texts."""
    from qualmine.project.importer import import_transcripts

    # spaCy's tokenizer caches what it has seen: one untimed pass first, so that neither
    # side is timed with a cold cache and the other with a warm one.
    _spacy_seconds(_corpus_texts(corpus))
    count = runs + 1 if runs > 1 else 1
    times: list[float] = []
    for number in range(count):
        folder = scratch / f"import-{number}"
        project = new_project(folder, corpus)
        seconds, _ = timed(lambda p=project: import_transcripts(p, [str(corpus.folder / "*")]))
        if count == 1 or number > 0:  # the first of several runs is the warm-up
            times.append(seconds)
        if number + 1 < count:
            shutil.rmtree(folder)
    texts = _document_texts(project)
    spacy_times = [_spacy_seconds(texts) for _ in range(min(runs, 3))]
    ours, base = corpus.words / median(times), corpus.words / median(spacy_times)
    row = Row(
        "import (parse, segment, store)",
        f"{ours:,.0f} words/s",
        f"{base:,.0f} words/s (spaCy, same pipeline)",
        f"{ours / base:.2f}x",
        ">= 0.7x",
        ours / base >= 0.7,
        numbers={"seconds": median(times), "spacy_seconds": median(spacy_times)},
    )
    return row, project


def _corpus_texts(corpus: Corpus) -> list[str]:
    from qualmine.parsing import read_transcripts

    return [doc.text for path in sorted(corpus.folder.iterdir()) for doc in read_transcripts(path)]


def _document_texts(project: Any) -> list[str]:
    with project.session() as conn:
        return [r[0] for r in conn.execute("SELECT text FROM documents ORDER BY id")]


def _spacy_seconds(texts: Sequence[str]) -> float:
    from qualmine.language import load_pipeline

    nlp = load_pipeline()
    keep = [name for name in nlp.pipe_names if name != "sentencizer"]
    start = time.perf_counter()
    for doc in nlp.pipe(texts, batch_size=64, disable=keep):
        for _ in doc.sents:
            pass
    return time.perf_counter() - start


def measure_rules(project: Any, runs: int) -> list[Row]:
    """Rule coding against one compiled regex per code, for both codebooks."""
    from coding import baseline_patterns, generated_codebook

    from qualmine.codebook import load_codebook
    from qualmine.coding.rules import RuleCoder
    from qualmine.coding.units import read_units

    with project.session() as conn:
        units = read_units(conn, "segment", speaker_role="participant")
    text = "\n".join(u.text for u in units)
    words = len(text.split())
    rows = []
    for name, codebook in (
        ("ai-at-work", load_codebook(CODEBOOK)),
        (f"generated {GENERATED_CODES}", generated_codebook(units, GENERATED_CODES)),
    ):
        coder = RuleCoder(codebook).fit()
        ours = median([timed(lambda c=coder: c.fit().score(units))[0] for _ in range(runs)])
        coded = sum(1 for s in coder.score(units) if s.scores)
        patterns = baseline_patterns(codebook)
        base = median(
            [
                timed(lambda ps=patterns: [sum(1 for _ in p.finditer(text)) for p in ps])[0]
                for _ in range(runs)
            ]
        )
        rows.append(
            Row(
                f"rule coding, {name}: {len(coder.codes_)} codes, "
                f"{coded:,} of {len(units):,} units coded",
                f"{words / ours:,.0f} words/s",
                f"{words / base:,.0f} words/s (1 regex per code)",
                f"{base / ours:.1f}x",
                ">= 5x",
                base / ours >= 5,
                numbers={
                    "seconds": ours,
                    "baseline_seconds": base,
                    "codes": len(coder.codes_),
                    "units": len(units),
                    "coded": coded,
                    "words": words,
                },
            )
        )
    return rows


def repeated(child: str, args: Sequence[str], runs: int) -> list[dict[str, Any]]:
    """Run a child ``runs`` times after a warm-up (when runs > 1); return the kept results."""
    results = [run_child([f"--child={child}", *args]) for _ in range(runs + (1 if runs > 1 else 0))]
    return results[1:] if runs > 1 else results


def cold_warm_row(stage: str, results: Sequence[dict[str, Any]], limit: float, note: str) -> Row:
    cold, warm = median([r["cold"] for r in results]), median([r["warm"] for r in results])
    return Row(
        stage,
        f"warm {warm:.2f} s",
        f"cold {cold:.2f} s",
        f"{warm / cold:.1%}",
        f"<= {limit:.0%}",
        warm / cold <= limit,
        note,
        numbers={"cold": cold, "warm": warm, "runs": list(results)},
    )


def static_rows(found: dict[str, Any]) -> list[Row]:
    """Speed, kappa and ARI of the static embedder against MiniLM."""
    speed = found["static_per_s"] / found["minilm_per_s"]
    ratio = found["ari_ratio"]
    return [
        Row(
            "static embedder speed",
            f"{found['static_per_s']:,.0f} sentences/s",
            f"{found['minilm_per_s']:,.0f} sentences/s (MiniLM, 2 threads)",
            f"{speed:.0f}x",
            ">= 20x",
            speed >= 20,
        ),
        Row(
            f"static vs MiniLM: semantic codes ({found['units']:,} units x {found['codes']} codes)",
            f"kappa {found['kappa']:.3f}",
            f"{found['assigned_static']:,} vs {found['assigned_minilm']:,} assignments at 0.45",
            f"kappa {found['kappa']:.2f}",
            "kappa >= 0.8",
            found["kappa"] >= 0.8,
            f"with the static coder's threshold matched to MiniLM's number of assignments "
            f"({found['matched_threshold']:.3f}): kappa {found['kappa_matched']:.3f}",
        ),
        Row(
            f"static vs MiniLM: topics ({found['topic_units']:,} units)",
            f"ARI {found['ari']:.3f}",
            f"MiniLM seed-to-seed ARI {found['reference_ari']:.3f}",
            f"{ratio:.2f}",
            ">= 0.8",
            ratio >= 0.8,
        ),
    ]


def bertopic_row(found: dict[str, Any]) -> Row:
    faster = found["qualmine_s"] <= found["bertopic_s"]
    fewer = found["qualmine_outliers"] <= found["bertopic_outliers"]
    return Row(
        f"BERTopic stage ({found['units']:,} units, MiniLM vectors, seed 42)",
        f"{found['qualmine_s']:.1f} s, {found['qualmine_outliers']:,} outliers, "
        f"{found['qualmine_topics']} topics",
        f"{found['bertopic_s']:.1f} s, {found['bertopic_outliers']:,} outliers, "
        f"{found['bertopic_topics']} topics (defaults)",
        f"{found['qualmine_s'] / found['bertopic_s']:.2f}x time",
        "not slower, no more outliers",
        faster and fewer,
        numbers=found,
    )


def topics_row(results: Sequence[dict[str, Any]]) -> Row:
    note = f"{results[-1]['units']:,} units, {results[-1]['topics']} topics"
    if results[-1]["units"] > SAMPLE_TOPIC_UNITS:
        note += f"; fitted on a sample of {SAMPLE_TOPIC_UNITS:,}, the rest assigned"
    return cold_warm_row("topics (MiniLM)", results, 0.33, note)


def run_rows(results: Sequence[dict[str, Any]]) -> Row:
    row = cold_warm_row("qualmine run, nothing changed", results, 0.05, "")
    stages = results[-1]["warm_stages"]
    row.detail = "warm run per stage (s): " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
    return row


def measure_size(
    size: str, runs: int, scratch: Path, cold_runs: int
) -> tuple[Corpus, list[Row], dict[str, Any]]:
    """Every measurement of one size; returns the corpus, the rows and extra figures."""
    corpus = write_corpus(size, scratch / "corpus")
    print(
        f"corpus {size}: {corpus.note}; {corpus.documents:,} documents, {corpus.words:,} words, "
        f"{corpus.participant_segments:,} participant segments ({corpus.unique_segments:,} "
        f"distinct)",
        flush=True,
    )
    rows: list[Row] = []
    extra: dict[str, Any] = {}
    row, project = measure_import(corpus, runs, scratch)
    rows.append(row)
    if size == "L":  # L's targets: memory; the regex baseline alone would take an hour
        _step("memory: import, rule coding, static embedding")
        rows.append(memory_row(corpus, scratch, size))
        return corpus, rows, extra
    rows.extend(measure_rules(project, runs))
    folder = str(project.root)
    _step(f"semantic coding, {cold_runs} run(s)")
    rows.append(
        cold_warm_row(
            "semantic coding (MiniLM)",
            repeated("semantic", [folder, "minilm"], cold_runs),
            0.10,
            "",
        )
    )
    # A smoke run leaves out the children that the run child and the slow tests
    # (test_static_embedder, test_topics) cover: each loads models and compiles UMAP.
    if size != "tiny":
        _step("topics")
        rows.append(topics_row(repeated("topics", [folder, "minilm"], cold_runs)))
        _step("static embedder against MiniLM")
        rows.extend(static_rows(run_child(["--child=compare", folder])))
        _step("BERTopic defaults")
        rows.append(bertopic_row(run_child(["--child=bertopic", folder])))
    _step("qualmine run, cold then unchanged")
    rows.append(run_rows(_fresh_runs(corpus, scratch, cold_runs, "minilm")))
    if size == "M":
        _step("end to end with the static embedder")
        rows.append(end_to_end_row(corpus, scratch))
    _step("memory: import, rule coding, static embedding")
    rows.append(memory_row(corpus, scratch, size))
    return corpus, rows, extra


def _fresh_runs(
    corpus: Corpus, scratch: Path, runs: int, embedder: str, workers: int = 0
) -> list[dict[str, Any]]:
    results = []
    for number in range(runs + 1 if runs > 1 else 1):
        folder = scratch / f"run-{embedder}-{number}"
        new_project(folder, corpus)
        results.append(run_child(["--child=run", str(folder), embedder, str(workers)]))
        shutil.rmtree(folder, ignore_errors=True)
    return results[1:] if runs > 1 else results


def end_to_end_row(corpus: Corpus, scratch: Path) -> Row:
    found = _fresh_runs(corpus, scratch, 1, "static")[0]
    minutes = found["cold"] / 60
    stages = ", ".join(f"{k} {v:.0f}" for k, v in found["stages"].items())
    return Row(
        f"{corpus.size} end to end, static embedder (qualmine run, cold)",
        f"{minutes:.1f} min",
        "-",
        "-",
        f"< {M_END_TO_END_MINUTES} min",
        minutes < M_END_TO_END_MINUTES,
        f"seconds per stage: {stages}",
        numbers=found,
    )


def memory_row(corpus: Corpus, scratch: Path, size: str) -> Row:
    folder = scratch / "memory"
    new_project(folder, corpus)
    found = run_child(["--child=memory", str(folder)])
    shutil.rmtree(folder, ignore_errors=True)
    gb = found["peak_mb"] / 1024
    seconds = ", ".join(f"{k} {v:.0f} s" for k, v in found["seconds"].items())
    return Row(
        f"{size} import + rule coding + static embedding, peak RSS",
        f"{gb:.2f} GB",
        "-",
        "-",
        f"< {L_MEMORY_GB} GB" if size == "L" else "(target on L)",
        gb < L_MEMORY_GB if size == "L" else None,
        f"{seconds}; after import {found['after_import_mb'] / 1024:.2f} GB, after rule coding "
        f"{found['after_rules_mb'] / 1024:.2f} GB; texts embedded/cached {found['texts']}",
        numbers=found,
    )


def _runs_note(runs: int, cold_runs: int) -> str:
    def each(n: int) -> str:
        return f"median of {n} runs after a warm-up" if n > 1 else "one run"

    if runs == cold_runs:
        return each(runs)
    return f"{each(runs)}; cold-process measurements: {each(cold_runs)}"


def _step(name: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {name}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options; run a child measurement, or every measurement of a size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["tiny", "S", "M", "L"], default="S")
    parser.add_argument("--tiny", action="store_true", help="same as --size tiny")
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement")
    parser.add_argument(
        "--cold-runs",
        type=int,
        default=None,
        help="runs of the measurements that need a new process and an empty cache "
        "(default: --runs)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child](*args.args), default=str))
        return
    size = "tiny" if args.tiny else args.size
    runs = args.runs or (5 if size == "S" else 1)
    cold_runs = args.cold_runs or runs
    started = time.perf_counter()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix=f"qualmine-bench-{size}-") as scratch:
        corpus, rows, extra = measure_size(size, runs, Path(scratch), cold_runs)
    minutes = (time.perf_counter() - started) / 60
    print(
        f"\nqualmine bench, size {size}: {corpus.words:,} words, {corpus.documents:,} documents, "
        f"{corpus.unique_segments:,} distinct participant segments; "
        f"{_runs_note(runs, cold_runs)}; load average {load[0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (2 cores)"
    )
    print_rows(rows)
    extra.update(
        runs=runs,
        cold_runs=cold_runs,
        minutes=round(minutes, 1),
        load_before=load,
        load_after=os.getloadavg(),
    )
    if size != "tiny":
        print(f"\nwritten {write_results(size, corpus, rows, extra)}")


if __name__ == "__main__":
    main()
