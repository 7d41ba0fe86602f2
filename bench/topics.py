"""Topic run time per stage, cold (fresh project, empty embedding cache) and warm (cache filled).

Corpus: the 250 CC-BY Anthropic Interviewer transcripts (tests/data/anthropic-interviewer),
participant sentences only (interviewer turns excluded), imported into a fresh project in a
temporary folder; ``--tiny`` takes the first 20 interviews of the creatives' file.

Each run is `qualmine.topics.run_topics` with the defaults (segments, HDBSCAN, the
project's seed, no stability) in a fresh Python process, as a user's `qualmine topics run`
would be, so both runs pay for imports and numba's compilation of UMAP. Stages:
embedding (cold: loading the model and encoding every sentence; warm: reading the cache),
libraries (importing UMAP, HDBSCAN, BERTopic), reduction (UMAP), clustering (HDBSCAN),
representation (BERTopic's c-TF-IDF), coherence (NPMI, C_V), files. Total is the child
process's wall time. Target: warm total under a third of cold.

Usage: python bench/topics.py [--tiny]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "anthropic-interviewer"
FILES = ("creatives_transcripts.csv", "scientists_transcripts.csv")
STAGES = (
    "embedding",
    "libraries",
    "reduction",
    "clustering",
    "representation",
    "coherence",
    "files",
)


def make_project(folder: Path, tiny: bool) -> Path:
    """A fresh project holding the interviews."""
    from click.testing import CliRunner

    from qualmine.cli import cli

    runner = CliRunner()
    runner.invoke(cli, ["init", str(folder)], catch_exceptions=False)
    sources = [CORPUS / name for name in FILES]
    if tiny:
        csv.field_size_limit(sys.maxsize)
        with sources[0].open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))[:20]
        subset = folder / "interviews.csv"
        with subset.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["transcript_id", "text"])
            writer.writeheader()
            writer.writerows(rows)
        sources = [subset]
    args = ["--project", str(folder), "import", *map(str, sources)]
    result = runner.invoke(cli, args, catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return folder


def child(project: Path, output: Path) -> None:
    """One topic run; prints its stage times and figures as JSON."""
    from qualmine.project.config import find_project
    from qualmine.topics import TopicRequest, run_topics

    result = run_topics(find_project(explicit=project), TopicRequest(output=output))
    info = result.view.run.info
    print(
        json.dumps(
            {
                "timings": result.timings,
                "computed": result.embedded.computed,
                "cached": result.embedded.cached,
                "units": info.results["n_units"],
                "topics": info.results["n_topics"],
                "outliers": info.results["outliers"],
            }
        )
    )


def timed_run(project: Path, output: Path) -> tuple[float, dict[str, object]]:
    """Wall seconds of a fresh process running one topic run, and what it reported."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(project), str(output)],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, json.loads(done.stdout.strip().splitlines()[-1])


def report(cold: tuple[float, dict[str, object]], warm: tuple[float, dict[str, object]]) -> None:
    """Print the stage table and the warm/cold ratio."""
    print(f"{'stage':<16}{'cold s':>9}{'warm s':>9}")
    for stage in STAGES:
        c = cold[1]["timings"].get(stage, 0.0)  # type: ignore[attr-defined]
        w = warm[1]["timings"].get(stage, 0.0)  # type: ignore[attr-defined]
        print(f"{stage:<16}{c:>9.1f}{w:>9.1f}")
    print(f"{'total (process)':<16}{cold[0]:>9.1f}{warm[0]:>9.1f}")
    for name, (_, figures) in (("cold", cold), ("warm", warm)):
        print(
            f"{name}: {figures['computed']} sentences embedded, {figures['cached']} from the "
            f"cache; {figures['units']} units, {figures['topics']} topics, "
            f"{figures['outliers']} outliers"
        )
    ratio = warm[0] / cold[0]
    print(f"warm/cold: {ratio:.1%} (target under 33%: {'met' if ratio < 1 / 3 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the first 20 interviews only")
    parser.add_argument("--child", nargs=2, metavar=("PROJECT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as folder:
        project = make_project(Path(folder) / "project", args.tiny)
        cold = timed_run(project, Path(folder) / "cold")
        warm = timed_run(project, Path(folder) / "warm")
    print(
        f"corpus: {'20' if args.tiny else '250'} Anthropic Interviewer transcripts, "
        "participant sentences"
    )
    report(cold, warm)


if __name__ == "__main__":
    main()
