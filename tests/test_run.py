"""`qualmine run` on the example study: two cold runs byte for byte, then a warm one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO
from qualmine.cli import cli
from qualmine.embedding import embedding_stats

STUDY = ("transcripts", "codebooks", "codings", "findings", "qualmine.toml")


def _clone(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in STUDY:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    return target


def _outputs(folder: Path) -> dict[str, bytes]:
    report = folder / "report"
    return {
        str(p.relative_to(report)): p.read_bytes()
        for p in sorted(report.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def _run_cold(folder: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": "random"}
    exe = Path(sys.executable).parent / "qualmine"
    done = subprocess.run(
        [str(exe), "run"], cwd=folder, env=env, capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow
def test_cold_runs_in_two_places_agree_byte_for_byte_and_a_warm_run_changes_nothing(
    tmp_path: Path,
) -> None:
    first = _clone(tmp_path / "one" / "study")
    second = _clone(tmp_path / "elsewhere" / "deeper" / "study")
    _run_cold(first)
    _run_cold(second)
    a, b = _outputs(first), _outputs(second)
    assert sorted(a) == sorted(b)
    differing = [name for name in a if a[name] != b[name]]
    assert differing == []
    assert "index.html" in a and any(n.startswith("tables/") for n in a)
    page = a["index.html"].decode("utf-8")
    assert "illustrative" in page and "Joint display" in page
    for path in (str(first), str(second)):  # no absolute paths of this machine
        assert all(path.encode() not in data for data in a.values())

    stamps = {p: p.stat().st_mtime_ns for p in (first / "report").rglob("*") if p.is_file()}
    before = embedding_stats()
    result = CliRunner().invoke(cli, ["--project", str(first), "run"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (embedding_stats() - before).computed == 0
    assert "auto:semantic: unchanged since the last run: skipped" in result.output
    rewritten = [str(p) for p, t in stamps.items() if p.stat().st_mtime_ns != t]
    assert rewritten == [str(first / "report" / "manifest.json")]
    manifest = json.loads((first / "report" / "manifest.json").read_text())
    assert manifest["files written"] == []
    assert manifest["seed"] == 2009 and manifest["codebook version"].startswith("1-")
