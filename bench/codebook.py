"""Time codebook validation on a generated 200-code codebook, in process and through the CLI.

Run: python bench/codebook.py   (target: in-process validation under a second)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qualmine.codebook import validate_codebook

PARENTS = 20
CHILDREN = 9
RUNS = 5
TARGET_SECONDS = 1.0


def child_yaml(parent: int, child: int) -> str:
    """One child code with keywords, a pattern and a regex."""
    word = f"topic{parent}x{child}"
    return f"""      - id: p{parent}.c{child}
        name: Child {child} of parent {parent}
        definition: The speaker talks about {word}.
        examples:
          - quote: "We talked about {word} at length."
            source: generated
          - "Another mention of {word}."
        keywords: [{word}, "{word} review", online]
        patterns:
          - [{{LOWER: "{word}"}}, {{IS_ALPHA: true, OP: "?"}}, {{LEMMA: "work"}}]
          - [{{LOWER: {{IN: ["{word}", "{word}s"]}}}}]
        regex: ['\\b{word}(s|ed)?\\b', '\\bp{parent}c{child}\\b']
        exclude_keywords: [offline]
"""


def codebook_yaml() -> str:
    """A codebook of PARENTS grouping codes with CHILDREN children each."""
    parts = ["format_version: 1\nname: Benchmark codebook\ncodes:\n"]
    for parent in range(PARENTS):
        parts.append(
            f"  - id: p{parent}\n    name: Parent {parent}\n"
            f"    definition: Grouping code {parent}.\n    codable: false\n    children:\n"
        )
        parts.extend(child_yaml(parent, child) for child in range(CHILDREN))
    return "".join(parts)


def time_in_process(path: Path) -> float:
    """Median seconds of RUNS validations, after a warm-up (imports, spaCy vocabulary)."""
    report = validate_codebook(path)
    if report.errors:
        raise SystemExit("generated codebook does not validate:\n" + "\n".join(report.errors))
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        validate_codebook(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_cli(path: Path) -> str:
    """Wall time of `qualmine codebook validate FILE` from this venv, or why it did not run."""
    executable = Path(sys.executable).parent / "qualmine"
    if not executable.exists():
        return f"not run: {executable} not found"
    start = time.perf_counter()
    result = subprocess.run(
        [str(executable), "codebook", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        last = lines[-1] if lines else "no output"
        return f"failed (exit {result.returncode}): {last[:80]}"
    return f"{seconds:.3f}"


def main() -> None:
    """Generate the codebook, time both ways, print a small table."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-codebook.yaml"
        path.write_text(codebook_yaml(), encoding="utf-8")
        lines = path.read_text(encoding="utf-8").count("\n")
        in_process = time_in_process(path)
        cli = time_cli(path)
    codes = PARENTS * (CHILDREN + 1)
    print(f"codebook: {codes} codes ({PARENTS} parents x {CHILDREN} children), {lines} lines")
    print(f"{'measure':<44} seconds")
    print(f"{f'in-process validate_codebook (median of {RUNS})':<44} {in_process:.3f}")
    print(f"{'CLI: qualmine codebook validate FILE':<44} {cli}")
    verdict = "met" if in_process < TARGET_SECONDS else "MISSED"
    print(f"target: in-process under {TARGET_SECONDS:.0f} s ({verdict})")


if __name__ == "__main__":
    main()
