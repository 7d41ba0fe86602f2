"""`qualmine undo`: the acting coder's last change reversed, and the undo itself logged."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import invoke, snapshot
from qualmine.coding.review import ReviewSession
from qualmine.project.config import find_project
from small_project import add_keyword_suggestions, make_small_project


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_small_project(tmp_path / "p")


def rows(folder: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def last_entry(folder: Path) -> tuple[str, str, str, dict[str, object]]:
    coder, command, action, payload = rows(
        folder, "SELECT coder, command, action, payload FROM audit ORDER BY id DESC LIMIT 1"
    )[0]
    return str(coder), str(command), str(action), json.loads(str(payload))


def free_code(folder: Path, coding_id: int) -> str:
    """A code that no coding on this coding's span carries yet."""
    used = {
        r[0]
        for r in rows(
            folder,
            "SELECT c.code FROM codings c JOIN codings s ON s.document_id = c.document_id "
            f'AND s.start = c.start AND s."end" = c."end" WHERE s.id = {coding_id}',
        )
    }
    return next(c for c in ("trust", "peers", "mobile") if c not in used)


def undo(runner: CliRunner, folder: Path, coder: str = "alice") -> str:
    result = invoke(runner, folder, "undo", coder=coder)
    assert result.exit_code == 0, result.output
    return result.output


def test_undo_removes_a_tag_and_logs_what_it_removed(folder: Path, runner: CliRunner) -> None:
    before = snapshot(folder)["codings"]
    assert invoke(runner, folder, "tag", "D1", "s2", "trust", coder="alice").exit_code == 0
    assert len(snapshot(folder)["codings"]) == len(before) + 1
    shown = undo(runner, folder)
    assert "undid tag of coding" in shown and "removed" in shown
    assert snapshot(folder)["codings"] == before
    coder, command, action, payload = last_entry(folder)
    assert (coder, command, action) == ("alice", "undo", "undo")
    assert payload["command"] == "tag" and payload["removed"]["code"] == "trust"  # type: ignore[index]


def test_undo_restores_an_untagged_coding_with_its_id(folder: Path, runner: CliRunner) -> None:
    invoke(runner, folder, "tag", "D1", "s2", "trust", coder="alice")
    (coding_id,) = rows(folder, "SELECT MAX(id) FROM codings")[0]
    tagged = snapshot(folder)["codings"]
    assert invoke(runner, folder, "untag", str(coding_id), coder="alice").exit_code == 0
    assert "restored as coding" in undo(runner, folder)
    assert snapshot(folder)["codings"] == tagged


def test_undo_walks_back_change_by_change(folder: Path, runner: CliRunner) -> None:
    start = snapshot(folder)
    invoke(runner, folder, "tag", "D1", "s2", "trust", coder="alice")
    invoke(
        runner, folder, "memo", "document", "D1", "Anna", "trusts", "her", "peers", coder="alice"
    )
    invoke(runner, folder, "done", "D1", coder="alice")
    invoke(runner, folder, "tag", "D2", "s9", "peers", coder="bob")
    assert "done on D1: unmarked" in undo(runner, folder)
    assert "memo" in undo(runner, folder)
    assert "tag of coding" in undo(runner, folder)
    assert "nothing of alice's to undo" in undo(runner, folder)
    after = snapshot(folder)
    for table in ("done", "memos"):
        assert after[table] == start[table]
    # Bob's coding is his: alice's undo never touched it.
    assert [r[6] for r in after["codings"]] == ["bob"]
    # Nothing was deleted silently: each undo is in the log with what it took away.
    undos = rows(folder, "SELECT payload FROM audit WHERE command = 'undo' ORDER BY id")
    taken = [json.loads(str(p[0])) for p in undos]
    assert [t["command"] for t in taken] == ["done", "memo", "tag"]
    assert taken[1]["removed"]["text"] == "Anna trusts her peers"


def test_undo_restores_a_review_decision(folder: Path, runner: CliRunner) -> None:
    ids = add_keyword_suggestions(folder)
    project = find_project(explicit=folder)
    suggested = snapshot(folder)["codings"]
    session = ReviewSession(project, "alice")
    try:
        session.reject(ids[0])
        session.change_code(ids[1], free_code(folder, ids[1]))
        added = session.add_code(ids[2], free_code(folder, ids[2]))
    except Exception:
        session.close()
        raise
    session.close()
    assert "added coding(s) removed" in undo(runner, folder)
    assert rows(folder, f"SELECT 1 FROM codings WHERE id = {added}") == []
    assert "back to suggested" in undo(runner, folder)
    assert "back to suggested" in undo(runner, folder)
    assert snapshot(folder)["codings"] == suggested


def test_undo_after_accept_above_and_past_a_session_undo(folder: Path, runner: CliRunner) -> None:
    add_keyword_suggestions(folder)
    result = invoke(runner, folder, "review", "--accept-above", "0", coder="alice")
    assert result.exit_code == 0, result.output
    accepted = rows(folder, "SELECT id FROM codings WHERE status = 'accepted' ORDER BY id")
    session = ReviewSession(find_project(explicit=folder), "alice")
    try:
        assert session.undo() == ""  # a new session has nothing of its own to undo
    finally:
        session.close()
    undo(runner, folder)
    left = rows(folder, "SELECT id FROM codings WHERE status = 'accepted' ORDER BY id")
    assert len(left) == len(accepted) - 1


def test_undo_leaves_someone_elses_later_change_alone(folder: Path, runner: CliRunner) -> None:
    ids = add_keyword_suggestions(folder)
    session = ReviewSession(find_project(explicit=folder), "alice")
    try:
        session.accept(ids[0])
    finally:
        session.close()
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    conn.execute("UPDATE codings SET reviewer = 'bob', status = 'rejected' WHERE id = ?", (ids[0],))
    conn.commit()
    conn.close()
    before = snapshot(folder)
    result = invoke(runner, folder, "undo", coder="alice")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "changed by bob" in result.output
    assert "Traceback" not in result.output
    assert snapshot(folder) == before


def _codings_csv(folder: Path) -> Path:
    path = folder / "alice.csv"
    path.write_text(
        "document,quote,code,coder,status\n"
        "D1,I trust people I have met.,trust,alice,accepted\n"
        "D1,I asked my peers about the vendor.,peers,alice,accepted\n"
        "D1,,,alice,done\n",
        encoding="utf-8",
    )
    return path


def test_undo_takes_back_a_codings_import(folder: Path, runner: CliRunner) -> None:
    before = snapshot(folder)
    result = invoke(runner, folder, "codings", "import", str(_codings_csv(folder)), coder="alice")
    assert result.exit_code == 0, result.output
    assert len(snapshot(folder)["codings"]) == len(before["codings"]) + 2
    assert len(snapshot(folder)["done"]) == len(before["done"]) + 1
    shown = undo(runner, folder)
    assert "codings import of alice.csv: 2 coding(s) and 1 done-mark(s) removed" in shown
    after = snapshot(folder)
    assert after["codings"] == before["codings"] and after["done"] == before["done"]
    _, command, _, payload = last_entry(folder)
    assert command == "undo" and len(payload["removed"]) == 2  # type: ignore[arg-type]


def test_undo_of_a_codings_import_refuses_once_one_is_reviewed(
    folder: Path, runner: CliRunner
) -> None:
    invoke(runner, folder, "codings", "import", str(_codings_csv(folder)), coder="alice")
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    conn.execute("UPDATE codings SET reviewer = 'bob', status = 'rejected' WHERE code = 'peers'")
    conn.commit()
    conn.close()
    before = snapshot(folder)
    result = invoke(runner, folder, "undo", coder="alice")
    assert result.exit_code == 1 and "changed by bob" in result.output
    assert snapshot(folder) == before


def test_undo_needs_a_coder(folder: Path, runner: CliRunner) -> None:
    result = invoke(runner, folder, "undo")
    assert result.exit_code == 1 and "no coder name set" in result.output


def test_the_log_shows_who_when_command_and_what(folder: Path, runner: CliRunner) -> None:
    invoke(runner, folder, "tag", "D1", "s2", "trust", coder="alice")
    undo(runner, folder)
    result = invoke(runner, folder, "log", "--format", "csv")
    lines = result.output.strip().splitlines()
    assert lines[0] == "id,at,coder,command,action,target,detail"
    assert lines[1].split(",")[2:5] == ["alice", "undo", "undo"]
    assert lines[2].split(",")[2:5] == ["alice", "tag", "add"]
