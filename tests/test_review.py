"""The review session: scripted keys, undo, quit and resume, a kill mid-session, a real pty."""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from qualmine.cli.review.screen import ReviewScreen
from qualmine.coding.review import ReviewSession, accept_above
from qualmine.project.config import find_project
from qualmine.storage.codings import CodingFilter, read_codings
from small_project import add_keyword_suggestions, make_small_project


@pytest.fixture
def reviewed(tmp_path: Path) -> Path:
    folder = make_small_project(tmp_path / "p")
    ids = add_keyword_suggestions(folder)
    assert len(ids) >= 6
    return folder


def _queue(folder: Path) -> list[int]:
    session = ReviewSession(find_project(explicit=folder), "alice")
    try:
        return session.queue()
    finally:
        session.close()


def _statuses(folder: Path) -> dict[int, tuple[str, str | None, str]]:
    project = find_project(explicit=folder)
    with project.session() as conn:
        return {c.id: (c.status, c.reviewer, c.code) for c in read_codings(conn)}


def _screen(folder: Path, keys: str, lines: list[str] | None = None) -> tuple[int, str]:
    session = ReviewSession(find_project(explicit=folder), "alice")
    out = io.StringIO()
    feed = iter(keys)
    answers = iter(lines or [])
    try:
        n = ReviewScreen(
            session, lambda: next(feed), lambda _p: next(answers), Console(file=out, width=100)
        ).run()
    finally:
        session.close()
    return n, out.getvalue()


def test_scripted_keys_accept_reject_change_and_add(reviewed: Path) -> None:
    queue = _queue(reviewed)
    n, shown = _screen(reviewed, "arcnq", ["mobile", "trust"])
    assert n == 4
    after = _statuses(reviewed)
    first, second, third, fourth = queue[:4]
    assert after[first] == ("accepted", "alice", after[first][2])
    assert after[second][0:2] == ("rejected", "alice")
    assert after[third] == ("accepted", "alice", "mobile")
    # `n` adds alice's own coding of another code; the suggestion itself stays open.
    assert after[fourth][0] == "suggested"
    added = [k for k in after if k not in queue]
    assert len(added) == 1 and after[added[0]] == ("accepted", None, "trust")
    assert "1/" in shown and "score" in shown and "evidence" in shown


def test_an_error_is_shown_as_written_and_the_session_goes_on(reviewed: Path) -> None:
    first = _queue(reviewed)[0]
    n, out = _screen(reviewed, "caq", lines=["[trust]/x"])
    assert "no code '[trust]/x' in the codebook" in out
    assert n == 1
    assert _statuses(reviewed)[first][0] == "accepted"


def test_every_reviewed_coding_keeps_its_original_coder(reviewed: Path) -> None:
    _screen(reviewed, "aaq")
    project = find_project(explicit=reviewed)
    with project.session() as conn:
        accepted = read_codings(conn, CodingFilter(statuses=("accepted",)))
    assert accepted and all(c.coder == "auto:rules" and c.reviewer == "alice" for c in accepted)


def test_undo_restores_the_last_decision(reviewed: Path) -> None:
    before = _statuses(reviewed)
    first, second = _queue(reviewed)[:2]
    _screen(reviewed, "aruq")
    after = _statuses(reviewed)
    assert after[first][0] == "accepted"
    assert after[second] == before[second]


def test_quit_then_resume_starts_at_the_first_undecided(reviewed: Path) -> None:
    queue = _queue(reviewed)
    _screen(reviewed, "aq")
    _, shown = _screen(reviewed, "q")
    assert f"2/{len(queue)}" not in shown and f"1/{len(queue) - 1}" in shown


def test_skip_leaves_it_for_the_next_session(reviewed: Path) -> None:
    queue = _queue(reviewed)
    _screen(reviewed, "sq")
    assert _statuses(reviewed)[queue[0]][0] == "suggested"
    _, shown = _screen(reviewed, "q")
    assert f"1/{len(queue)}" in shown


def test_accept_above_is_bulk_and_non_interactive(reviewed: Path) -> None:
    before = _statuses(reviewed)
    project = find_project(explicit=reviewed)
    with project.session() as conn:
        scores = {c.id: c.score for c in read_codings(conn)}
    count = accept_above(project, "alice", 0.7)
    expected = sum(1 for s in scores.values() if s is not None and s >= 0.7)
    assert count == expected
    after = _statuses(reviewed)
    assert sum(1 for k in before if after[k][0] == "accepted") == expected


REVIEW_SCRIPT = """
import sys
from qualmine.cli import cli
sys.argv = ["qualmine", "--project", sys.argv[1], "--as", "alice", "review"]
cli()
"""


def _spawn_review(folder: Path) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command on a pseudo-terminal
        os.execv(sys.executable, [sys.executable, "-c", REVIEW_SCRIPT, str(folder)])
    return pid, fd


def _read_until(fd: int, needle: bytes, timeout: float = 60.0) -> bytes:
    seen = b""
    end = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def test_the_real_screen_under_a_pseudo_terminal(reviewed: Path) -> None:
    queue = _queue(reviewed)
    pid, fd = _spawn_review(reviewed)
    shown = _read_until(fd, b"a accept")
    for key in (b"a", b"r"):
        os.write(fd, key)
        shown += _read_until(fd, b"a accept")
    os.write(fd, b"q")
    shown += _read_until(fd, b"resume")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.WEXITSTATUS(status) == 0
    assert f"1/{len(queue)} ".encode() in shown and f"1/{len(queue) - 1} ".encode() in shown
    after = _statuses(reviewed)
    assert after[queue[0]][0:2] == ("accepted", "alice")
    assert after[queue[1]][0:2] == ("rejected", "alice")


def test_a_killed_session_keeps_every_saved_decision(reviewed: Path) -> None:
    queue = _queue(reviewed)
    pid, fd = _spawn_review(reviewed)
    for key in (b"a", b"a", b"r"):
        _read_until(fd, b"a accept")
        os.write(fd, key)
    _read_until(fd, b"a accept")  # the third decision is saved before the next item is drawn
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    after = _statuses(reviewed)
    assert [after[i][0] for i in queue[:3]] == ["accepted", "accepted", "rejected"]
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3,sys;"
            "print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])",
            str(reviewed / ".qualmine" / "project.db"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.strip() == "ok"
    _, shown = _screen(reviewed, "q")
    assert f"1/{len(queue) - 3}" in shown
