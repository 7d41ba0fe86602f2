"""Analysis speed: freq, crosstab, cooccur, agree and matrix on a generated project.

The project: 60 interviews of 1,000 segments each (100 interviewer questions of one
segment, 100 participant answers of nine), 60,000 segments in all; one case per interview
with a three-valued ``group`` and a two-valued ``sector``; a codebook of 200 codes (20
grouping parents x 10 children); two coders who code about a third of the participant
segments each (the second agrees with the first on about 70 % of them), every document
marked done by both. Rows go in through the storage functions in one transaction.

Each target is timed in process on a corpus loaded once (loading is timed on its own), as
the median of ``--repeat`` runs. ``agree`` is timed when qualmine.analysis.reliability has
an ``agree`` function (else its ``agreement_table``, with a note), and skipped otherwise;
besides the default (segments), with --rollup, by turn, by character and with the
--disagreements listing.

Usage: python bench/analysis.py [--tiny] [--repeat N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qualmine.analysis.cooccurrence import cooccurrence_tables
from qualmine.analysis.corpus import CorpusFilter, load_corpus
from qualmine.analysis.crosstabs import CrosstabOptions, code_crosstab
from qualmine.analysis.framework import framework_matrix
from qualmine.analysis.frequencies import code_frequencies
from qualmine.models import Coding, ParsedDocument, Segment, Turn
from qualmine.project.config import Project, find_project, init_project
from qualmine.storage import transaction
from qualmine.storage.codings import add_codings, mark_done
from qualmine.storage.documents import insert_document, set_case_attributes

PARENTS, CHILDREN = 20, 10
CODERS = ("ana", "ben")
STAMP = "2000-01-01T00:00:00"
FULL = {"documents": 60, "answers": 100, "sentences": 9}
TINY = {"documents": 4, "answers": 10, "sentences": 5}
TARGET_SECONDS = 1.0


def write_codebook(path: Path) -> list[str]:
    """A YAML codebook of 20 grouping parents with 10 children each; returns the child ids."""
    lines = ["format_version: 1", "name: Generated benchmark codebook", "codes:"]
    children = []
    for p in range(1, PARENTS + 1):
        lines += [
            f"  - id: theme{p:02d}",
            f"    name: Theme {p}",
            "    definition: A theme.",
            "    codable: false",
            "    children:",
        ]
        for c in range(1, CHILDREN + 1):
            code = f"theme{p:02d}.sub{c:02d}"
            children.append(code)
            lines += [
                f"      - id: {code}",
                f"        name: Theme {p} aspect {c}",
                "        definition: An aspect.",
                '        examples: ["An example."]',
            ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return children


def interview(
    number: int, size: dict[str, int], rng: random.Random
) -> tuple[ParsedDocument, list[Segment]]:
    """One generated interview and its segments."""
    words = [f"w{n}" for n in range(800)]
    case = f"C{number:03d}"
    pieces: list[str] = []
    turns: list[Turn] = []
    segments: list[Segment] = []
    at = 0
    for _ in range(size["answers"]):
        for role, label, count in (
            ("interviewer", "Interviewer", 1),
            ("participant", case, size["sentences"]),
        ):
            sentences = [
                " ".join(rng.choices(words, k=rng.randint(8, 16))).capitalize() + "."
                for _ in range(count)
            ]
            start = at + len(label) + 2
            index = len(turns)
            cursor = start
            for k, sentence in enumerate(sentences):
                segments.append(Segment(index, k, cursor, cursor + len(sentence)))
                cursor += len(sentence) + 1
            body = " ".join(sentences)
            owner = case if role == "participant" else None
            turns.append(Turn(index, label, role, start, start + len(body), case=owner))
            pieces.append(f"{label}: {body}")
            at += len(pieces[-1]) + 2
    text = "\n\n".join(pieces) + "\n"
    return ParsedDocument(case, text, tuple(turns), source="generated"), segments


def codings_for(
    doc_id: int,
    text: str,
    segments: list[Segment],
    turns: tuple[Turn, ...],
    codes: list[str],
    rng: random.Random,
) -> list[Coding]:
    """Two coders' codings of one interview's participant segments."""
    weights = [1 / (rank + 1) for rank in range(len(codes))]  # a few codes are common
    out: list[Coding] = []
    for seg in segments:
        if turns[seg.turn_index].speaker_role != "participant" or rng.random() > 0.33:
            continue
        chosen = set(rng.choices(codes, weights, k=rng.choice((1, 1, 2))))
        second = {c if rng.random() < 0.7 else rng.choice(codes) for c in chosen}
        for coder, picked in zip(CODERS, (chosen, second), strict=True):
            out += [
                Coding(
                    0,
                    doc_id,
                    seg.start,
                    seg.end,
                    text[seg.start : seg.end],
                    code,
                    coder,
                    created=STAMP,
                )
                for code in sorted(picked)
            ]
    return out


def build_project(folder: Path, size: dict[str, int], seed: int = 1) -> Project:
    """Generate the project in ``folder``; every row in one transaction."""
    init_project(folder)
    config = folder / "qualmine.toml"
    config.write_text(
        config.read_text().replace("[project]\n", '[project]\ncodebook = "codebook.yaml"\n', 1)
    )
    project = find_project(explicit=folder)
    codes = write_codebook(folder / "codebook.yaml")
    rng = random.Random(seed)
    with project.session() as conn, transaction(conn):
        for number in range(1, size["documents"] + 1):
            doc, segments = interview(number, size, rng)
            doc_id = insert_document(conn, doc, segments, imported=STAMP)
            set_case_attributes(
                conn,
                doc.name,
                {"group": "ABC"[number % 3], "sector": ("public", "private")[number % 2]},
            )
            add_codings(conn, codings_for(doc_id, doc.text, segments, doc.turns, codes, rng))
            for coder in CODERS:
                mark_done(conn, doc_id, coder, STAMP)
    return project


def agree_target() -> tuple[Callable[..., Any] | None, str]:
    """The agreement function to time (called with a corpus and options), and a note."""
    try:
        from qualmine.analysis import reliability
    except ImportError:
        return None, "agree: skipped (qualmine.analysis.reliability is absent)"
    agree = getattr(reliability, "agree", None)
    if agree is not None:
        return (lambda corpus, **options: agree(corpus, CODERS, **options)), (
            "agree: reliability.agree(corpus, coders, ...)"
        )
    table = getattr(reliability, "agreement_table", None)
    if table is None:
        return None, "agree: skipped (reliability has no agree function)"
    note = (
        "agree: reliability has no `agree`; timed reliability.agreement_table(corpus, coders, ...)"
    )
    return (lambda corpus, **options: table(corpus, CODERS, **options)), note


def median_seconds(call: Callable[[], Any], repeat: int) -> float:
    """The median wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        call()
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a small project: a smoke run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per target (median)")
    parser.add_argument(
        "--keep", type=Path, default=None, help="build the project here and keep it"
    )
    args = parser.parse_args()
    size = TINY if args.tiny else FULL
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch) / "bench"
        begin = time.perf_counter()
        project = build_project(folder, size)
        built = time.perf_counter() - begin
        run(project, size, built, args.repeat)


def run(project: Project, size: dict[str, int], built: float, repeat: int) -> None:
    """Time every target and print the table."""
    segments = size["documents"] * size["answers"] * (1 + size["sentences"])
    load = median_seconds(lambda: load_corpus(project, CorpusFilter(coders=CODERS)), repeat)
    corpus = load_corpus(project, CorpusFilter(coders=CODERS))
    turns = load_corpus(project, CorpusFilter(coders=CODERS, unit="turn"))
    print(
        f"project: {size['documents']} documents, {segments:,} segments, "
        f"{PARENTS * CHILDREN + PARENTS} codes ({PARENTS} parents x {CHILDREN}), "
        f"{len(corpus.codings):,} codings by {len(CODERS)} coders, {len(corpus.units):,} "
        f"participant segments; generated in {built:.2f} s"
    )
    targets: list[tuple[str, Callable[[], Any]]] = [
        ("freq --rollup --by-coder", lambda: code_frequencies(corpus, rollup=True, by_coder=True)),
        (
            "crosstab --by group (3 groups, permutation)",
            lambda: code_crosstab(corpus, "group", CrosstabOptions(min_group=3)),
        ),
        ("crosstab --by sector (2 groups, Fisher)", lambda: code_crosstab(corpus, "sector")),
        ("cooccur --unit segment", lambda: cooccurrence_tables(corpus, rollup=True)),
        ("cooccur --unit turn", lambda: cooccurrence_tables(turns)),
        ("matrix", lambda: framework_matrix(corpus)),
        ("matrix --quantitize words", lambda: framework_matrix(corpus, cells="words")),
        ("matrix --excerpts", lambda: framework_matrix(corpus, cells="excerpts")),
    ]
    agree, note = agree_target()
    if agree is not None:
        targets += [
            ("agree", lambda: agree(corpus)),
            ("agree --rollup", lambda: agree(corpus, rollup=True)),
            ("agree --unit turn", lambda: agree(turns, unit="turn")),
            ("agree --unit character", lambda: agree(corpus, unit="character")),
            ("agree --disagreements", lambda: agree(corpus, disagreements=True)),
        ]
    rows = [("load corpus (not a target)", load)]
    rows += [(name, median_seconds(call, repeat)) for name, call in targets]
    width = max(len(name) for name, _ in rows)
    print(f"{'target':<{width}}  median s  (of {repeat})  under {TARGET_SECONDS:.0f} s")
    for name, seconds in rows:
        verdict = "" if name.startswith("load") else ("yes" if seconds < TARGET_SECONDS else "NO")
        print(f"{name:<{width}}  {seconds:8.3f}  {'':>8}  {verdict}")
    print(note)
    for attribute in ("group", "sector"):
        table = code_crosstab(corpus, attribute)
        tested = sum(1 for row in table.rows if row[-3] == row[-3])
        print(f"crosstab --by {attribute}: {tested} of {len(table.rows)} codes tested")


if __name__ == "__main__":
    main()
