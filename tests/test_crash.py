"""Crash safety: a job killed with SIGKILL at seeded points leaves a whole, consistent project.

A child process imports the 32 oral histories (one document per transaction), auto-codes
them with the rule coder (one run per document, each one transaction) and reviews the
suggestions (one decision per transaction). It prints the id of each unit of work right
after the transaction that stored it commits. The test kills it at 10 seeded points (a
count of printed units, plus a seeded delay of up to 15 ms so the kill lands anywhere),
restarts it each time (it resumes: imports skip stored documents, coding skips documents
already coded, review starts at the first undecided suggestion), and after each kill checks
that the project opens, passes PRAGMA integrity_check and foreign_key_check, holds every
printed unit and at most one unit beyond them (the one in flight), and that nothing is
half-written: every document has exactly the turns and segments of a clean import, every
run its scores, done-mark and log entry, every decision its log entry, and every coding its
quote equal to the text at its offsets.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DATA, REPO
from oral_histories import use_oral_codebook
from qualmine.project.config import find_project, init_project
from qualmine.project.importer import import_transcripts

SEED = 20_240_611
KILLS = 10
CHILD = """
import sys
from pathlib import Path

from qualmine.coding.review import ReviewSession
from qualmine.coding.rules import RuleCoder
from qualmine.coding.runs import store_run
from qualmine.coding.units import read_units
from qualmine.project.codebook_sync import sync_codebook
from qualmine.project.config import find_project
from qualmine.project.importer import import_transcripts


def say(kind, ident):
    # One write per line: with PYTHONUNBUFFERED, print() would write it in pieces.
    sys.stdout.write(f"{kind} {ident}\\n")
    sys.stdout.flush()


project = find_project(explicit=Path(sys.argv[1]))
with project.session() as conn:
    stored = {r[0] for r in conn.execute("SELECT name FROM documents")}
# Resuming: only the files not stored yet (a half-stored one would be re-imported whole).
files = [str(p) for p in sorted(Path(sys.argv[2]).glob("*.txt")) if p.stem not in stored]
if files:
    import_transcripts(project, files, coder="job", committed=lambda name: say("document", name))
with project.session() as conn:
    coded = {r[0] for r in conn.execute("SELECT document_id FROM done WHERE coder = 'auto:rules'")}
    ids = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]
    to_code = [doc_id for doc_id in ids if doc_id not in coded]
if to_code:
    codebook = sync_codebook(project).codebook
    coder = RuleCoder(codebook).fit()
    thresholds = {c.id: 0.5 for c in codebook.codes}
with project.session() as conn:
    for doc_id in to_code:
        units = read_units(conn, "segment", document_ids=[doc_id])
        summary = store_run(
            conn, method="rules", unit="segment", scored=coder.score(units),
            thresholds=thresholds, params={}, codebook_version=codebook.version,
        )
        say("run", summary.run_id)
session = ReviewSession(project, "alice")
for coding_id in session.queue():
    (session.accept if coding_id % 3 else session.reject)(coding_id)
    say("decision", coding_id)
session.close()
say("finished", 0)
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A clean import of the same files: each document's text, turns and segments."""
    folder = tmp_path_factory.mktemp("clean")
    project, _ = init_project(folder)
    import_transcripts(project, [str(DATA / "oral-histories" / "rendered_txt")])
    with project.session() as conn:
        return documents_as_stored(conn)


def documents_as_stored(conn: sqlite3.Connection) -> dict[str, object]:
    out: dict[str, object] = {}
    for doc_id, name, text in conn.execute("SELECT id, name, text FROM documents"):
        turns = conn.execute(
            'SELECT idx, speaker, speaker_role, start, "end", timestamp, case_id FROM turns '
            "WHERE document_id = ? ORDER BY idx",
            (doc_id,),
        ).fetchall()
        segments = conn.execute(
            'SELECT turn_idx, idx, start, "end" FROM segments WHERE document_id = ? '
            "ORDER BY turn_idx, idx",
            (doc_id,),
        ).fetchall()
        out[name] = (text, turns, segments)
    return out


def start_child(folder: Path, transcripts: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), str(transcripts)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def run_until(
    folder: Path, transcripts: Path, printed: list[tuple[str, str]], target: int, delay: float
) -> bool:
    """Run the job until ``target`` units are printed in all, then SIGKILL it after ``delay``.

    Returns True if the job finished before that.
    """
    child = start_child(folder, transcripts)
    assert child.stdout is not None
    try:
        for line in child.stdout:
            kind, ident = line.split()  # the job is alive: every line is whole
            if kind == "finished":
                assert child.wait(timeout=30) == 0
                return True
            printed.append((kind, ident))
            if len(printed) >= target:
                time.sleep(delay)
                break
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    # What the job printed before it died counts as printed, read or not; a line cut
    # short by the kill was not printed.
    rest = child.stdout.read()
    printed.extend(
        tuple(line.split()) for line in rest.splitlines(keepends=True) if line.endswith("\n")
    )
    stderr = child.stderr.read() if child.stderr else ""
    assert child.returncode == -signal.SIGKILL and not stderr.strip(), stderr
    return False


def stored_units(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    docs = {("document", r[0]) for r in conn.execute("SELECT name FROM documents")}
    runs = {("run", str(r[0])) for r in conn.execute("SELECT id FROM runs")}
    decided = {
        ("decision", str(r[0]))
        for r in conn.execute("SELECT id FROM codings WHERE reviewer = 'alice'")
    }
    return docs | runs | decided


def check_project(
    folder: Path, printed: list[tuple[str, str]], reference: dict[str, object]
) -> None:
    project = find_project(explicit=folder)
    with project.session() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        units = stored_units(conn)
        missing = set(printed) - units
        assert not missing, f"printed but not stored: {sorted(missing)[:5]}"
        extra = units - set(printed)
        assert len(extra) <= 1, f"more than one unit in flight: {sorted(extra)[:5]}"
        for name, stored in documents_as_stored(conn).items():
            assert stored == reference[name], f"{name} is half-written"
        check_runs(conn)
        check_decisions(conn)
        texts = dict(conn.execute("SELECT id, text FROM documents"))
        for doc_id, start, end, quote in conn.execute(
            'SELECT document_id, start, "end", quote FROM codings'
        ):
            assert texts[doc_id][start:end] == quote


def check_runs(conn: sqlite3.Connection) -> None:
    """Every run came whole: its scores, its suggestions, its done-mark and its log entry."""
    for (run_id,) in conn.execute("SELECT id FROM runs").fetchall():
        docs = {
            r[0]
            for r in conn.execute("SELECT document_id FROM run_scores WHERE run_id = ?", (run_id,))
        }
        (entry,) = conn.execute(
            "SELECT payload FROM audit WHERE target = ?", (f"run {run_id}",)
        ).fetchone()
        added = json.loads(entry)["codings"]
        present = (
            conn.execute(
                f"SELECT COUNT(*) FROM codings WHERE id IN ({','.join('?' * len(added))})", added
            ).fetchone()[0]
            if added
            else 0
        )
        assert present == len(added)
        for doc_id in docs:
            assert conn.execute(
                "SELECT 1 FROM done WHERE document_id = ? AND coder = 'auto:rules'", (doc_id,)
            ).fetchone()
    marks = conn.execute("SELECT COUNT(*) FROM done WHERE coder = 'auto:rules'").fetchone()[0]
    assert marks == conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


def check_decisions(conn: sqlite3.Connection) -> None:
    decided = {r[0] for r in conn.execute("SELECT id FROM codings WHERE reviewer = 'alice'")}
    logged = {
        int(r[0].split()[1])
        for r in conn.execute("SELECT target FROM audit WHERE command = 'review'")
    }
    assert decided == logged


def test_a_killed_job_leaves_a_whole_project(tmp_path: Path, reference: dict[str, object]) -> None:
    folder = tmp_path / "project"
    init_project(folder)
    use_oral_codebook(
        folder, flight=("orbit", "shuttle"), training=("trained",), family=("wife", "children")
    )
    transcripts = tmp_path / "transcripts"
    shutil.copytree(DATA / "oral-histories" / "rendered_txt", transcripts)
    rng = random.Random(SEED)
    # Four points in the import, three in the coding runs, three among the decisions.
    targets = sorted(
        rng.sample(range(1, 32), 4) + rng.sample(range(33, 64), 3) + rng.sample(range(66, 400), 3)
    )
    printed: list[tuple[str, str]] = []
    kinds = set()
    for target in targets:
        finished = run_until(folder, transcripts, printed, target, rng.uniform(0, 0.015))
        assert not finished, "the job finished before the kill point"
        kinds.add(printed[-1][0])
        check_project(folder, printed, reference)
    assert kinds == {"document", "run", "decision"}
    assert run_until(folder, transcripts, printed, 10**9, 0)
    check_project(folder, printed, reference)
    with find_project(explicit=folder).session() as conn:
        assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 32
        assert (
            conn.execute("SELECT COUNT(*) FROM codings WHERE status = 'suggested'").fetchone()[0]
            == 0
        )
