"""What the bench scripts share: the interview corpus at several sizes, fresh projects, timing.

Corpora come from the 250 CC-BY Anthropic Interviewer transcripts (tests/data). S is those
250 interviews as they are. M and L are written on the fly into a temporary folder (never
committed): each new document follows the turns of one original interview, keeps the
interviewer's turns, and fills each participant turn with as many participant sentences,
drawn at random from all 250 interviews, as the original turn had; no sentence appears twice
in one document. ``tiny`` is the first 20 interviews, for smoke runs.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO / "tests" / "data" / "anthropic-interviewer"
CODEBOOK = REPO / "bench" / "codebooks" / "ai-at-work.yaml"
RESULTS = REPO / "bench" / "results"
TINY_INTERVIEWS = 10
TARGET_WORDS = {"M": 3_000_000, "L": 30_000_000}


@dataclass(frozen=True, slots=True)
class Corpus:
    """A corpus written to a folder.

    Attributes:
        size: tiny, S, M or L.
        folder: where its files are.
        documents: number of documents.
        words: whitespace-separated words of all document texts.
        participant_segments: participant sentences placed in the documents.
        unique_segments: distinct participant sentences among them.
        note: how it was made.
    """

    size: str
    folder: Path
    documents: int
    words: int
    participant_segments: int
    unique_segments: int
    note: str


@dataclass(frozen=True, slots=True)
class _Turn:
    role: str
    label: str
    text: str
    sentences: int


def interview_rows(limit: int | None = None) -> list[tuple[str, str]]:
    """(transcript id, text) of the interviews, CSV files in name order."""
    csv.field_size_limit(sys.maxsize)
    rows: list[tuple[str, str]] = []
    for path in sorted(CORPUS_DIR.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend((r["transcript_id"], r["text"]) for r in csv.DictReader(handle))
    return rows[:limit] if limit else rows


def _interviews() -> tuple[list[list[_Turn]], list[str]]:
    """Each interview's turns, and every participant sentence (qualmine's segmentation)."""
    from qualmine.parsing import read_transcripts, segment_turns

    structures: list[list[_Turn]] = []
    pool: list[str] = []
    for path in sorted(CORPUS_DIR.glob("*.csv")):
        for doc in read_transcripts(path):
            segments = segment_turns(doc.text, doc.turns)
            counts: dict[int, int] = {}
            for seg in segments:
                counts[seg.turn_index] = counts.get(seg.turn_index, 0) + 1
                turn = doc.turns[seg.turn_index]
                if turn.speaker_role == "participant":
                    pool.append(" ".join(doc.text[seg.start : seg.end].split()))
            structures.append(
                [
                    _Turn(
                        t.speaker_role,
                        t.speaker,
                        doc.text[t.start : t.end].strip(),
                        counts.get(t.index, 0),
                    )
                    for t in doc.turns
                ]
            )
    return structures, pool


def write_corpus(size: str, folder: Path, seed: int = 0) -> Corpus:
    """Write the corpus of ``size`` into ``folder`` (created) and describe it."""
    folder.mkdir(parents=True, exist_ok=True)
    if size in ("S", "tiny"):
        return _write_interviews(size, folder)
    structures, pool = _interviews()
    # Identical sentences are one sentence: a document may not hold the same text twice.
    unique = sorted(set(pool))
    rng = random.Random(seed)
    words = documents = placed = 0
    used: set[int] = set()
    while words < TARGET_WORDS[size]:
        turns = structures[documents % len(structures)]
        text, count, picked = _recombined(turns, unique, rng)
        (folder / f"doc-{documents:06d}.txt").write_text(text, encoding="utf-8")
        used.update(picked)
        words += len(text.split())
        placed += count
        documents += 1
    note = (
        f"{documents} documents recombined from the participant sentences of "
        f"{len(structures)} interviews ({len(unique):,} distinct sentences)"
    )
    return Corpus(size, folder, documents, words, placed, len(used), note)


def _recombined(
    turns: Sequence[_Turn], pool: Sequence[str], rng: random.Random
) -> tuple[str, int, set[int]]:
    parts: list[str] = []
    picked: set[int] = set()
    for turn in turns:
        if turn.role != "participant":
            parts.append(f"{turn.label}: {turn.text}")
            continue
        want = max(1, turn.sentences)
        chosen: list[int] = []
        while len(chosen) < want:
            index = rng.randrange(len(pool))
            if index not in picked:
                picked.add(index)
                chosen.append(index)
        parts.append("User: " + " ".join(pool[i] for i in chosen))
    return "\n\n".join(parts) + "\n", sum(1 for _ in picked), picked


def _write_interviews(size: str, folder: Path) -> Corpus:
    limit = TINY_INTERVIEWS if size == "tiny" else None
    rows = interview_rows(limit)
    with (folder / "interviews.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transcript_id", "text"])
        writer.writerows(rows)
    structures, pool = _interviews() if size == "S" else ([], [])
    if size == "tiny":
        from qualmine.parsing import read_transcripts, segment_turns

        for doc in read_transcripts(folder / "interviews.csv"):
            turns = [t for t in doc.turns if t.speaker_role == "participant"]
            pool.extend(doc.text[s.start : s.end] for s in segment_turns(doc.text, turns))
    words = sum(len(text.split()) for _, text in rows)
    note = f"{len(rows)} interviews as they are"
    return Corpus(size, folder, len(rows), words, len(pool), len(set(pool)), note)


def new_project(folder: Path, corpus: Corpus, codebook: Path | None = CODEBOOK) -> Any:
    """A fresh project (empty cache) reading ``corpus``; the codebook copied in."""
    from qualmine.project.config import find_project, init_project

    init_project(folder, "bench")
    lines = [
        "[project]",
        'name = "bench"',
        "seed = 42",
        f'transcripts = ["{corpus.folder.as_posix()}/*"]',
    ]
    if codebook is not None:
        (folder / "codebook.yaml").write_text(codebook.read_text(encoding="utf-8"))
        lines.append('codebook = "codebook.yaml"')
    (folder / "qualmine.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return find_project(explicit=folder)


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call of ``run`` takes, and what it returned."""
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def median(values: Sequence[float]) -> float:
    """The median of the measured values."""
    return float(statistics.median(values))


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(args: Sequence[str], timeout: float | None = None) -> dict[str, Any]:
    """Run ``python bench/run.py --child ...`` and return the JSON its last line prints."""
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(
            f"child {' '.join(args)} failed (exit {result.returncode}):\n{result.stderr[-3000:]}"
        )
    return dict(json.loads(lines[-1]))


def git_commit() -> str:
    """The commit the bench ran on (``git rev-parse HEAD``), or "unknown"."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


@dataclass(slots=True)
class Row:
    """One line of the targets table."""

    stage: str
    qualmine: str
    baseline: str
    ratio: str
    target: str
    met: bool | None
    detail: str = ""
    numbers: dict[str, Any] = field(default_factory=dict)


def print_rows(rows: Sequence[Row], out: Callable[[str], None] = print) -> None:
    """The targets table: stage, qualmine's figure, the baseline's, ratio, target, verdict."""
    header = ["stage", "qualmine", "baseline", "ratio", "target", "verdict"]
    cells = [[r.stage, r.qualmine, r.baseline, r.ratio, r.target, _verdict(r.met)] for r in rows]
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(len(header))]
    for line in [header, ["-" * w for w in widths], *cells]:
        out("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    details = [(r.stage, r.detail) for r in rows if r.detail]
    if details:
        out("")
        for stage, detail in details:
            out(f"- {stage}: {detail}")


def _verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "MISSED")


def write_results(size: str, corpus: Corpus, rows: Sequence[Row], extra: dict[str, Any]) -> Path:
    """bench/results/SIZE.json: the commit, the corpus, every row with its numbers."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{size}.json"
    data = {
        "size": size,
        "commit": git_commit(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "corpus": {k: v for k, v in asdict(corpus).items() if k != "folder"},
        "rows": [asdict(r) for r in rows],
        **extra,
    }
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")
    return path


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``items`` in consecutive pieces of at most ``size``."""
    for first in range(0, len(items), size):
        yield items[first : first + size]
