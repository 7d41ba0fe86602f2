"""Every bench script runs on a tiny corpus and prints its table (its times are not checked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

BENCH = REPO / "bench"
HELPERS = {"common.py"}  # imported by the scripts, not a script itself
# A line every script's table prints, whatever the figures in it.
TABLE_HEADERS = {
    "analysis.py": "median s",
    "codebook.py": "measure",
    "coding.py": "baseline words/s",
    "import.py": "verdict",
    "run.py": "verdict",
    "semantic.py": "warm/cold",
    "topics.py": "warm s",
}


def _scripts() -> list[str]:
    return sorted(p.name for p in BENCH.glob("*.py") if p.name not in HELPERS)


@pytest.mark.slow
@pytest.mark.parametrize("script", _scripts())
def test_bench_script_runs_tiny(script: str, tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--tiny"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert TABLE_HEADERS.get(script, "") in done.stdout, done.stdout[-2000:]
    assert len(done.stdout.strip().splitlines()) >= 2, done.stdout


def test_every_bench_script_has_a_known_table() -> None:
    assert set(_scripts()) <= set(TABLE_HEADERS), "add the new script's table header here"
