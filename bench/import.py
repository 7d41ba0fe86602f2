"""Import speed: the 250 CC-BY interviews into a fresh project, beside spaCy's own speed.

Prints qualmine's words/s for parse, segment and store, and spaCy's words/s with the same
components (blank English, sentencizer, lookup lemmatizer) in one process on the same texts,
measured in the same run. Target: at least 0.7x. `--tiny` imports the tiny corpus.
(`python bench/run.py` measures this stage among all the others.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import Corpus, print_rows, timed, write_corpus  # noqa: E402
from run import measure_import  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the tiny corpus, one run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs after a warm-up")
    args = parser.parse_args()
    size, runs = ("tiny", 1) if args.tiny else ("S", args.runs)
    with tempfile.TemporaryDirectory() as scratch:
        corpus = write_corpus(size, Path(scratch) / "corpus")
        row, _ = measure_import(corpus, runs, Path(scratch))
        one, two = _segmentation_seconds(corpus)
    print(f"corpus: {corpus.documents} interviews, {corpus.words:,} words")
    print_rows([row])
    print(
        f"segmentation alone: one process {corpus.words / one:,.0f} words/s, "
        f"two processes (nlp.pipe n_process=2) {corpus.words / two:,.0f} words/s: "
        f"{'two pay' if two < one else 'one process is faster, so import uses one'}"
    )


def _segmentation_seconds(corpus: Corpus) -> tuple[float, float]:
    """Seconds to segment the corpus's documents with one and with two spaCy processes."""
    from qualmine.parsing import read_transcripts, segment_documents

    docs = [d for path in sorted(corpus.folder.iterdir()) for d in read_transcripts(path)]
    seconds = []
    for n_process in (1, 2):
        seconds.append(
            timed(
                lambda n=n_process: list(
                    segment_documents(((d.text, d.turns) for d in docs), n_process=n)
                )
            )[0]
        )
    return seconds[0], seconds[1]


if __name__ == "__main__":
    main()
