"""Semantic coding time with an empty embedding cache (cold) and a filled one (warm).

Units are the sentences of the example transcripts in ``transcripts/`` (read with
qualmine.parsing), or else the first 20 interviews of the anthropic-interviewer CSVs split
into sentences with a regular expression. The codebook is ``codebooks/study.yaml``.

Cold is one fresh process's first run: loading the model, then embedding every prototype
and unit. Warm is the same coding on a new connection to the filled cache; it must compute
no embedding. Target: warm at most 10% of cold.

    python bench/semantic.py            # all units
    python bench/semantic.py --tiny     # a smoke run on 40 units
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qualmine.codebook import load_codebook
from qualmine.coding.semantic import SemanticCoder
from qualmine.coding.units import Unit
from qualmine.embedding import embedding_stats
from qualmine.embedding.encoders import load_minilm
from qualmine.errors import InputFileError
from qualmine.models import Codebook
from qualmine.storage import open_database

REPO = Path(__file__).resolve().parent.parent
TRANSCRIPT_SUFFIXES = (".txt", ".md", ".vtt", ".srt", ".docx")
CSV_FOLDERS = (
    REPO / "tests" / "data" / "anthropic-interviewer",
    Path("/work/shared/data/anthropic-interviewer"),
)
SENTENCE = re.compile(r"\S[^.!?\n]*(?:[.!?]+|$)", re.MULTILINE)
LABEL = re.compile(r"^(User|AI|Assistant):\s*")


def example_units() -> tuple[str, list[Unit]]:
    """The sentences of the example transcripts, as segment units."""
    from qualmine.parsing import read_transcripts, segment_turns

    units: list[Unit] = []
    files = sorted(p for p in (REPO / "transcripts").glob("*") if p.suffix in TRANSCRIPT_SUFFIXES)
    for doc_id, path in enumerate(files, start=1):
        try:
            docs = read_transcripts(path)
        except InputFileError as error:
            print(f"skipped {error}", file=sys.stderr)
            continue
        for doc in docs:
            turns = {t.index: t for t in doc.turns}
            for seg in segment_turns(doc.text, doc.turns):
                turn = turns[seg.turn_index]
                units.append(
                    Unit(
                        doc_id,
                        seg.start,
                        seg.end,
                        doc.text[seg.start : seg.end],
                        turn.speaker_role,
                        turn.case,
                        turn.index,
                        ((seg.start, seg.end),),
                    )
                )
    return f"{len(files)} example transcripts", units


def interview_units(limit: int = 20) -> tuple[str, list[Unit]]:
    """The sentences of the first interviews of the anthropic-interviewer CSVs."""
    csv.field_size_limit(sys.maxsize)
    paths = sorted(p for folder in CSV_FOLDERS if folder.is_dir() for p in folder.glob("*.csv"))
    if not paths:
        raise SystemExit("no transcripts/ and no anthropic-interviewer CSVs found")
    with paths[0].open(encoding="utf-8", newline="") as handle:
        rows = [row["text"] for row in islice(csv.DictReader(handle), limit)]
    units: list[Unit] = []
    for doc_id, text in enumerate(rows, start=1):
        units.extend(_sentences(doc_id, text))
    return f"{len(rows)} interviews of {paths[0].name}", units


def _sentences(doc_id: int, text: str) -> list[Unit]:
    units: list[Unit] = []
    role, turn, line_start = "interviewer", 0, 0
    for line in text.splitlines(keepends=True):
        label = LABEL.match(line)
        if label:
            role = "participant" if label.group(1) == "User" else "interviewer"
            turn += 1
        for match in SENTENCE.finditer(line, label.end() if label else 0):
            piece = match.group().rstrip()
            start = line_start + match.start()
            units.append(
                Unit(
                    doc_id,
                    start,
                    start + len(piece),
                    piece,
                    role,
                    None,
                    turn,
                    ((start, start + len(piece)),),
                )
            )
        line_start += len(line)
    return units


def code_once(codebook: Codebook, db: Path, units: list[Unit]) -> tuple[float, int]:
    """Seconds to fit and score on a fresh connection, and the texts embedded meanwhile."""
    conn = open_database(db)
    before = embedding_stats()
    started = time.perf_counter()
    SemanticCoder(codebook, conn=conn).fit(units).score(units)
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, (embedding_stats() - before).computed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a smoke run on 40 units")
    args = parser.parse_args()
    source, units = example_units() if (REPO / "transcripts").is_dir() else interview_units()
    if not units:
        source, units = interview_units()
    if args.tiny:
        units = units[:40]
    codebook = load_codebook(REPO / "codebooks" / "study.yaml")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        started = time.perf_counter()
        load_minilm()
        load = time.perf_counter() - started
        encode, computed = code_once(codebook, db, units)
        warm, recomputed = code_once(codebook, db, units)
    cold = load + encode
    print(
        f"units: {len(units)} sentences from {source}; "
        f"{sum(c.codable for c in codebook.codes)} codable codes"
    )
    print(
        f"cold: {cold:.2f} s (model load {load:.2f} s, embedding and scoring {encode:.2f} s; "
        f"{computed} texts embedded, {computed / encode:.0f} texts/s)"
    )
    print(f"warm: {warm:.3f} s ({recomputed} texts embedded)")
    ratio = warm / cold
    print(f"warm/cold: {ratio:.1%} (target <= 10%: {'met' if ratio <= 0.10 else 'NOT met'})")


if __name__ == "__main__":
    main()
