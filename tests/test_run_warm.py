"""A warm `qualmine run`: the codebook and the report are left alone only while nothing changed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, invoke
from qualmine.codebook import codebook_from_dict, codebook_to_dict, load_codebook
from small_project import make_small_project

SKIPPED = "unchanged since the last run: skipped"
FAST = ("run", "--no-topics", "--no-auto-code")
# A token pattern, so that validating the codebook needs spaCy's Matcher.
PATTERN = "keywords: [trust, rely]\n    patterns:\n      - [{LOWER: trust}, {LOWER: people}]"
# Prints which of spaCy (the codebook's pattern check) and matplotlib (the report's plots)
# the run imported.
APART = """\
import sys
from qualmine.cli import cli
try:
    cli(sys.argv[1:])
except SystemExit as stop:
    assert not stop.code, stop.code
print("imported:", sorted({m.split(".")[0] for m in sys.modules} & {"spacy", "matplotlib"}))
"""


@pytest.fixture
def study(tmp_path: Path, runner: CliRunner) -> Path:
    """The small project with a token pattern in its codebook and a codings file, after one
    (cold) run."""
    folder = make_small_project(tmp_path / "study")
    codebook = folder / "codebook.yaml"
    codebook.write_text(codebook.read_text().replace("keywords: [trust, rely]", PATTERN))
    (folder / "codings.csv").write_text(
        "document,quote,code,coder,status\n"
        "D2,,,bob,done\n"
        "D1,I asked my peers about the vendor.,peers,bob,accepted\n",
        encoding="utf-8",
    )
    toml = folder / "qualmine.toml"
    toml.write_text(toml.read_text() + 'codings = ["codings.csv"]\n')
    result = invoke(runner, folder, *FAST)
    assert result.exit_code == 0, result.output
    assert SKIPPED not in result.output
    return folder


def _run_apart(folder: Path) -> str:
    """`qualmine run` in a process of its own, which imports only what the run needs."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-c", APART, "--project", str(folder), *FAST],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _run(runner: CliRunner, folder: Path) -> str:
    result = invoke(runner, folder, *FAST)
    assert result.exit_code == 0, result.output
    return result.output.replace("\n", " ")


def _audit_size(folder: Path) -> int:
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    try:
        return int(conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0])
    finally:
        conn.close()


def _report_files(folder: Path) -> dict[str, bytes]:
    report = folder / "report"
    return {
        str(p.relative_to(report)): p.read_bytes()
        for p in sorted(report.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def test_a_warm_run_neither_validates_the_codebook_nor_builds_the_report(study: Path) -> None:
    files = _report_files(study)
    stamps = {p: p.stat().st_mtime_ns for p in (study / "report").rglob("*") if p.is_file()}
    logged = _audit_size(study)
    output = _run_apart(study)
    assert f"codebook: {SKIPPED}" in output and f"report: {SKIPPED}" in output
    assert "codebook 'Small test codebook' version 1-" in output  # read back from the project
    assert "imported: []" in output  # neither spaCy nor matplotlib
    rewritten = [p for p, t in stamps.items() if p.stat().st_mtime_ns != t]
    assert rewritten == [study / "report" / "manifest.json"]
    manifest = json.loads((study / "report" / "manifest.json").read_text())
    assert manifest["files written"] == [] and manifest["files unchanged"] == sorted(files)
    assert manifest["stages"]["report"] == SKIPPED
    assert _audit_size(study) == logged  # the warm run changed nothing in the project file


def test_a_changed_codebook_file_is_loaded_again(study: Path, runner: CliRunner) -> None:
    codebook = study / "codebook.yaml"
    text = codebook.read_text()
    codebook.write_text(text + "# a comment changes the bytes, not the codes\n")
    output = _run(runner, study)
    assert f"codebook: {SKIPPED}" not in output
    assert f"report: {SKIPPED}" not in output
    assert f"codebook: {SKIPPED}" in _run(runner, study)  # and is recorded again

    codebook.write_text(
        text.replace("name: Mobile access", "name: Working from anywhere")
        + "  - id: family\n    name: Family\n    definition: Family and home life.\n"
        '    examples: ["My wife was worried.", "The children grew up here."]\n'
    )
    output = _run_apart(study)
    assert f"codebook: {SKIPPED}" not in output and f"report: {SKIPPED}" not in output
    assert ": 4 codes" in output and "'spacy'" in output  # validated, patterns and all
    table = (study / "report" / "tables" / "01-codebook.csv").read_text()
    assert "Working from anywhere" in table and "family,Family" in table


def test_codings_another_command_adds_are_checked_against_the_codebook(
    study: Path, runner: CliRunner
) -> None:
    extra = study / "extra.csv"
    extra.write_text(
        "document,quote,code,coder,status\n"
        "D1,I trust people I have met.,no.such.code,alice,accepted\n"
        "D1,I asked my peers about the vendor.,peers,alice,accepted\n"
        "D1,,,alice,done\n",
        encoding="utf-8",
    )
    result = invoke(runner, study, "codings", "import", str(extra))
    assert result.exit_code == 0, result.output
    output = _run(runner, study)
    assert f"codebook: {SKIPPED}" not in output
    assert "orphaned 1 coding(s) whose code is gone" in output
    assert f"report: {SKIPPED}" not in output
    assert "alice" in (study / "report" / "tables" / "01-codebook.csv").read_text()
    assert f"codebook: {SKIPPED}" in _run(runner, study)


def test_a_manual_coding_makes_the_report_rebuild_and_show_it(
    study: Path, runner: CliRunner
) -> None:
    assert f"report: {SKIPPED}" in _run(runner, study)
    for args in (("tag", "D1", "s2", "trust"), ("done", "D1")):
        result = invoke(runner, study, *args, coder="alice")
        assert result.exit_code == 0, result.output
    output = _run(runner, study)
    assert f"codebook: {SKIPPED}" in output  # the codes are as the codebook left them
    assert f"report: {SKIPPED}" not in output
    table = (study / "report" / "tables" / "01-codebook.csv").read_text().splitlines()
    assert table[0].endswith(",alice,bob") and table[1].endswith("they trust.,1,0")
    assert f"report: {SKIPPED}" in _run(runner, study)

    result = invoke(runner, study, "undo", coder="alice")  # the done-mark goes
    assert result.exit_code == 0, result.output
    assert f"report: {SKIPPED}" not in _run(runner, study)


def test_a_changed_setting_rebuilds_the_report(study: Path, runner: CliRunner) -> None:
    toml = study / "qualmine.toml"
    toml.write_text(toml.read_text().replace('name = "small"', 'name = "Renamed study"'))
    output = _run(runner, study)
    assert f"codebook: {SKIPPED}" in output and f"report: {SKIPPED}" not in output
    assert "Renamed study" in (study / "report" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "spoil"),
    [
        ("index.html", lambda path: path.write_text("edited by hand", encoding="utf-8")),
        ("tables/01-codebook.csv", lambda path: path.unlink()),
    ],
    ids=["edited", "deleted"],
)
def test_an_edited_or_deleted_report_file_is_written_again(
    study: Path, runner: CliRunner, name: str, spoil: Callable[[Path], object]
) -> None:
    files = _report_files(study)
    spoil(study / "report" / name)
    assert f"report: {SKIPPED}" not in _run(runner, study)
    assert _report_files(study) == files
    manifest = json.loads((study / "report" / "manifest.json").read_text())
    assert manifest["files written"] == [name]


def test_without_the_run_state_every_stage_runs_again(study: Path, runner: CliRunner) -> None:
    files = _report_files(study)
    (study / ".qualmine" / "run-state.json").unlink()
    output = _run(runner, study)
    assert SKIPPED not in output
    assert _report_files(study) == files
    assert f"codebook: {SKIPPED}" in _run(runner, study)


def test_another_report_folder_is_built_there(study: Path, runner: CliRunner) -> None:
    elsewhere = study / "elsewhere"
    result = invoke(runner, study, *FAST, "--output", str(elsewhere))
    assert result.exit_code == 0, result.output
    assert f"report: {SKIPPED}" not in result.output.replace("\n", " ")
    assert (elsewhere / "index.html").is_file()


def test_a_stored_codebook_reads_back_as_it_was_loaded() -> None:
    book = load_codebook(REPO / "codebooks" / "study.yaml")
    data = json.loads(json.dumps(codebook_to_dict(book), sort_keys=True))  # as stored
    back = codebook_from_dict(data, content_hash=book.content_hash, path=book.path)
    assert [c.line for c in back.codes] == [0] * len(book.codes)
    assert back.codes == tuple(replace(c, line=0) for c in book.codes)
    assert (back.name, back.version, back.changelog) == (book.name, book.version, book.changelog)
    assert any(c.patterns for c in back.codes) and any(c.stance for c in back.codes)
