r"""Rule coding speed: `RuleCoder.score` against one compiled regex per code.

Corpus: the 250 CC-BY Anthropic Interviewer transcripts (participant sentences only, read
and segmented with qualmine.parsing). Codebooks: the study codebook (codebooks/study.yaml)
and a generated one of 200 codes, each with 8 keywords (2 of them two-word phrases) drawn
from the corpus vocabulary and 1 regex.

Baseline, measured in the same run on the same text: for each code, one regex (an
alternation of its keywords as ``\b``-bounded words, plus its regexes), compiled once and
run with ``finditer`` over the full text (the units joined by newlines). Its cost grows
with the number of codes; the rule coder reads each unit's tokens once. Times are the best
of ``--repeat`` runs; the rule coder is fitted afresh (untimed) before each run, so its
caches start cold. Words are whitespace-separated words of the same text.

Usage: python bench/coding.py [--tiny] [--repeat N]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from qualmine.codebook import load_codebook
from qualmine.coding.rules import RuleCoder
from qualmine.coding.units import Unit
from qualmine.errors import QualmineError
from qualmine.models import Code, Codebook
from qualmine.parsing import read_transcripts, segment_turns

REPO = Path(__file__).resolve().parent.parent
CORPUS_DIRS = (
    REPO / "tests" / "data" / "anthropic-interviewer",
    Path("/work/shared/data/anthropic-interviewer"),
)
STUDY_CODEBOOK = REPO / "codebooks" / "study.yaml"
GENERATED_CODES = 200
TINY_INTERVIEWS = 20


def read_units(limit: int | None) -> tuple[list[Unit], str]:
    """Participant sentences of the interviews (the first ``limit`` of them, if given).

    Returns:
        The units, and a line saying where they come from.
    """
    folder = next((d for d in CORPUS_DIRS if list(d.glob("*.csv"))), None)
    if folder is None:
        sys.exit(f"no interview CSVs in {' or '.join(map(str, CORPUS_DIRS))}")
    docs = [doc for path in sorted(folder.glob("*.csv")) for doc in read_transcripts(path)]
    docs = docs[:limit]
    units: list[Unit] = []
    for doc_id, doc in enumerate(docs, start=1):
        turns = [t for t in doc.turns if t.speaker_role == "participant"]
        for seg in segment_turns(doc.text, turns):
            text = doc.text[seg.start : seg.end]
            units.append(
                Unit(
                    doc_id,
                    seg.start,
                    seg.end,
                    text,
                    "participant",
                    doc.name,
                    seg.turn_index,
                    ((seg.start, seg.end),),
                )
            )
    shown = folder.relative_to(REPO) if folder.is_relative_to(REPO) else folder
    return units, f"{len(docs)} interviews from {shown}, participant sentences"


def generated_codebook(units: Sequence[Unit], n_codes: int, seed: int = 0) -> Codebook:
    """Codes with 6 words, 2 two-word phrases and 1 regex each, from the corpus vocabulary."""
    words = [w.lower() for u in units for w in re.findall(r"[A-Za-z]+", u.text)]
    vocab = sorted(w for w, n in Counter(words).items() if n >= 3 and len(w) >= 4)
    pairs = Counter(zip(words, words[1:], strict=False))
    phrases = sorted(f"{a} {b}" for (a, b), n in pairs.items() if n >= 3 and len(a + b) >= 7)
    rng = random.Random(seed)
    codes = []
    for i in range(n_codes):
        keywords = (*rng.sample(vocab, 6), *rng.sample(phrases, 2))
        regex = rf"\b{re.escape(rng.choice(vocab))}(s|ed|ing)?\b"
        codes.append(Code(f"gen.{i:03d}", f"Generated {i}", keywords=keywords, regex=(regex,)))
    return Codebook("generated", 1, tuple(codes))


def baseline_patterns(codebook: Codebook) -> list[re.Pattern[str]]:
    """One compiled regex per code: its keywords as ``\\b``-bounded words, plus its regexes."""
    patterns = []
    for code in codebook.codes:
        if not (code.codable and (code.keywords or code.regex)):
            continue
        parts = list(code.regex)
        if code.keywords:
            parts.insert(0, r"\b(?:" + "|".join(map(re.escape, code.keywords)) + r")\b")
        patterns.append(re.compile("|".join(parts), re.IGNORECASE))
    return patterns


def best_time(run: Callable[[], object], repeat: int, before: Callable[[], None]) -> float:
    """The shortest of ``repeat`` timed calls of ``run``, each after an untimed ``before``."""
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(name: str, codebook: Codebook, units: Sequence[Unit], repeat: int) -> list[str]:
    """One table row: codes, units, coded units, words/s of both methods, ratio."""
    text = "\n".join(u.text for u in units)
    words = len(text.split())
    coder = RuleCoder(codebook)
    ours = best_time(lambda: coder.score(units), repeat, lambda: coder.fit())
    coded = sum(1 for s in coder.score(units) if s.scores)
    patterns = baseline_patterns(codebook)
    base = best_time(
        lambda: [sum(1 for _ in p.finditer(text)) for p in patterns], repeat, lambda: None
    )
    ours_rate, base_rate = words / ours, words / base
    return [
        name,
        str(len(coder.codes_)),
        str(len(units)),
        f"{words:,}",
        str(coded),
        f"{ours_rate:,.0f}",
        f"{base_rate:,.0f}",
        f"{ours_rate / base_rate:.1f}x",
    ]


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """A plain, right-aligned table."""
    header = [
        "codebook",
        "codes",
        "units",
        "words",
        "coded units",
        "rules words/s",
        "baseline words/s",
        "ratio",
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="20 interviews, one run")
    parser.add_argument("--repeat", type=int, default=None, help="timed runs (best is kept)")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.tiny else 3)
    units, source = read_units(TINY_INTERVIEWS if args.tiny else None)
    print(f"{source}; best of {repeat} timed run{'s' if repeat > 1 else ''}")
    rows = []
    try:
        rows.append(measure("study", load_codebook(STUDY_CODEBOOK), units, repeat))
    except QualmineError as error:
        print(f"study codebook skipped: {error}", file=sys.stderr)
    generated = generated_codebook(units, GENERATED_CODES)
    rows.append(measure("generated", generated, units, repeat))
    print_table(rows)


if __name__ == "__main__":
    main()
