"""Two people at once: concurrent qualmine processes on one project all succeed, nothing lost.

Two coders each run a loop of `qualmine tag` commands on the same project at the same time;
a reviewer runs `qualmine review --accept-above` document by document while an auto-coding
run (`qualmine code --method rules`) stores its scores. Every command must succeed, every
coding must be kept, and "database is locked" must never reach the user.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, REPO
from oral_histories import use_oral_codebook
from qualmine.project.config import init_project
from qualmine.storage.migrations import MIGRATIONS
from small_project import make_small_project

ORAL_DOCS = 8


def qualmine(*args: str) -> str:
    """A shell command line running the installed CLI of this checkout."""
    return " ".join([sys.executable, "-m", "qualmine", *(f"'{a}'" for a in args)])


def loop(commands: list[str]) -> subprocess.Popen[str]:
    """One process that runs the commands one after another, stopping at the first failure."""
    script = "set -e\n" + "\n".join(commands) + "\necho finished\n"
    return subprocess.Popen(
        ["bash", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "src"), "HOME": "/nonexistent"},
    )


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert out.rstrip().endswith("finished")
    return out, err


def assert_never_locked(*streams: str) -> None:
    for text in streams:
        lowered = text.lower()
        assert "locked" not in lowered and "busy" not in lowered, text
        assert "traceback" not in lowered and "error" not in lowered, text


def test_two_coders_tagging_at_once_keep_every_coding(tmp_path: Path) -> None:
    folder = make_small_project(tmp_path / "p")
    db = folder / ".qualmine" / "project.db"
    conn = sqlite3.connect(db)
    segments = [r[0] for r in conn.execute("SELECT id FROM segments ORDER BY id")]
    conn.close()
    assert len(segments) >= 15

    def tags(coder: str, code: str) -> list[str]:
        return [
            qualmine("--project", str(folder), "--as", coder, "tag", "D1", f"s{s}", code)
            for s in segments
            if s in segments_of(db, "D1")
        ] + [
            qualmine("--project", str(folder), "--as", coder, "tag", doc, f"s{s}", code)
            for doc in ("D2", "D3")
            for s in segments_of(db, doc)
        ]

    alice, bob = loop(tags("alice", "trust")), loop(tags("bob", "peers"))
    (a_out, a_err), (b_out, b_err) = finish(alice), finish(bob)
    assert_never_locked(a_err, b_err)
    assert a_out.count("coding ") == b_out.count("coding ") == len(segments)
    conn = sqlite3.connect(db)
    kept = conn.execute("SELECT coder, COUNT(*) FROM codings GROUP BY coder ORDER BY coder")
    assert kept.fetchall() == [("alice", len(segments)), ("bob", len(segments))]
    logged = conn.execute("SELECT COUNT(*) FROM audit WHERE command = 'tag'").fetchone()[0]
    assert logged == 2 * len(segments)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def segments_of(db: Path, doc: str) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        return [
            r[0]
            for r in conn.execute(
                "SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id "
                "WHERE d.name = ? ORDER BY s.id",
                (doc,),
            )
        ]
    finally:
        conn.close()


@pytest.fixture
def coded(tmp_path: Path) -> Path:
    """Eight oral histories, imported and coded once by the rule coder."""
    folder = tmp_path / "oral"
    init_project(folder)
    use_oral_codebook(folder)
    source = sorted((DATA / "oral-histories" / "rendered_txt").glob("*.txt"))[:ORAL_DOCS]
    (folder / "transcripts").mkdir()
    for path in source:
        shutil.copy(path, folder / "transcripts" / path.name)
    run = subprocess.run(
        [sys.executable, "-m", "qualmine", "--project", str(folder), "import", "transcripts"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    run = subprocess.run(
        [sys.executable, "-m", "qualmine", "--project", str(folder), "code", "--method", "rules"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return folder


def test_a_review_beside_an_auto_coding_run(coded: Path) -> None:
    db = coded / ".qualmine" / "project.db"
    conn = sqlite3.connect(db)
    waiting = {r[0] for r in conn.execute("SELECT id FROM codings WHERE status = 'suggested'")}
    names = [r[0] for r in conn.execute("SELECT name FROM documents ORDER BY name")]
    conn.close()
    assert len(waiting) > 200
    project = ("--project", str(coded))
    review = loop(
        [
            qualmine(*project, "--as", "carol", "review", "--accept-above", "0", "--docs", n)
            for n in names
        ]
    )
    coding = loop(
        [qualmine(*project, "code", "--method", "rules", "--threshold", "0.3") for _ in range(2)]
    )
    (r_out, r_err), (_, c_err) = finish(review), finish(coding)
    assert_never_locked(r_err, c_err)
    accepted = sum(
        int(line.split()[1]) for line in r_out.splitlines() if line.startswith("accepted")
    )
    conn = sqlite3.connect(db)
    decided = {r[0] for r in conn.execute("SELECT id FROM codings WHERE reviewer = 'carol'")}
    runs = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    review_entries = conn.execute("SELECT COUNT(*) FROM audit WHERE command = 'review'").fetchone()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    # Every suggestion waiting before was decided and kept; each decision is in the log.
    assert waiting <= decided
    assert accepted == len(decided) == review_entries[0]
    assert runs == 3


def test_processes_opening_a_new_project_file_at_once_all_succeed(tmp_path: Path) -> None:
    # Each creates, sets WAL mode on and migrates the same new file at the same moment.
    code = (
        "import sys; from pathlib import Path; from qualmine.storage import open_database; "
        "conn = open_database(Path(sys.argv[1])); "
        "print(conn.execute('PRAGMA user_version').fetchone()[0])"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "src")}
    for trial in range(3):
        db = tmp_path / f"p{trial}" / ".qualmine" / "project.db"
        openers = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(db)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(6)
        ]
        results = [(p.communicate(timeout=120), p.returncode) for p in openers]
        assert all(rc == 0 for _, rc in results), [err for (_, err), _ in results]
        assert {out.strip() for (out, _), _ in results} == {str(len(MIGRATIONS))}
