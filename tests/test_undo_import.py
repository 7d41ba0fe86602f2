"""`qualmine undo` of a transcript import: the added document taken out, or a refusal."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import invoke
from small_project import SMALL, make_small_project

# Every table that holds rows of one document, with how to pick them.
_DOCUMENT_ROWS = {
    "documents": "id = ?",
    "turns": "document_id = ?",
    "segments": "document_id = ?",
    "codings": "document_id = ?",
    "run_scores": "document_id = ?",
    "done": "document_id = ?",
}


_AUTO_FREQ = ("freq", "--coder", "auto:rules", "--status", "suggested", "--format", "csv")


def rows(folder: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def dump(folder: Path) -> str:
    """The whole project file as SQL text, to show that a refusal changed nothing."""
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def doc_id(folder: Path, name: str) -> int:
    found = rows(folder, "SELECT id FROM documents WHERE name = ?", name)
    assert found, f"no document {name}"
    return int(str(found[0][0]))


def document_rows(folder: Path, name: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row that belongs to one document, table by table."""
    ident = doc_id(folder, name)
    return {
        table: rows(folder, f"SELECT * FROM {table} WHERE {where} ORDER BY rowid", ident)
        for table, where in _DOCUMENT_ROWS.items()
    }


def first_segment(folder: Path, name: str) -> str:
    found = rows(
        folder,
        "SELECT MIN(s.id) FROM segments s JOIN turns t ON t.document_id = s.document_id "
        "AND t.idx = s.turn_idx WHERE s.document_id = ? AND t.speaker_role = 'participant'",
        doc_id(folder, name),
    )
    return f"s{found[0][0]}"


def ok(runner: CliRunner, folder: Path, *args: str, coder: str | None = "alice") -> str:
    result = invoke(runner, folder, *args, coder=coder)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def folder(project_dir: Path, runner: CliRunner) -> Path:
    """A project where alice imported D1 and then D2, one file at a time."""
    root = project_dir
    (root / "transcripts").mkdir()
    for name in ("D1.txt", "D2.txt"):
        shutil.copy(SMALL / name, root / "transcripts" / name)
    shutil.copy(SMALL / "codebook.yaml", root / "codebook.yaml")
    (root / "qualmine.toml").write_text(
        '[project]\nname = "two"\nseed = 7\ntranscripts = ["transcripts"]\n'
        'codebook = "codebook.yaml"\n'
    )
    for name in ("D1.txt", "D2.txt"):
        assert "1 new" in ok(runner, root, "import", str(root / "transcripts" / name))
    return root


def auto_code(runner: CliRunner, folder: Path) -> None:
    """Rule-coder suggestions (and run scores) on both documents."""
    ok(runner, folder, "code", "--method", "rules", coder=None)
    for name in ("D1", "D2"):
        assert document_rows(folder, name)["codings"], f"no suggestion on {name}"
        assert document_rows(folder, name)["run_scores"], f"no run score for {name}"


def test_undo_removes_the_second_import_and_leaves_the_first(
    folder: Path, runner: CliRunner
) -> None:
    auto_code(runner, folder)
    ok(runner, folder, "tag", "D1", first_segment(folder, "D1"), "trust", coder="bob")
    ok(runner, folder, "done", "D1", coder="bob")
    removed_id = doc_id(folder, "D2")
    first = document_rows(folder, "D1")
    freq_before = ok(runner, folder, *_AUTO_FREQ).splitlines()[1:]
    assert all(line.split(",")[4].endswith(" of 2") for line in freq_before), freq_before
    first_freq = ok(runner, folder, *_AUTO_FREQ, "--docs", "D1").splitlines()[1:]
    assert "nothing of carol's to undo" in ok(runner, folder, "undo", coder="carol")

    shown = ok(runner, folder, "undo")
    assert "undid import of D2" in shown
    assert "transcripts/D2.txt is still on disk" in shown and "qualmine run" in shown
    listed = ok(runner, folder, "documents", "--format", "csv").splitlines()
    assert [line.split(",")[1] for line in listed[1:]] == ["D1"]
    for table in ("turns", "segments", "codings", "run_scores", "done"):
        left = rows(folder, f"SELECT COUNT(*) FROM {table} WHERE document_id = ?", removed_id)
        assert left == [(0,)], table
    assert document_rows(folder, "D1") == first
    # Ben spoke only in D2 and had no attributes: his case went with it; Anna's stays.
    assert rows(folder, "SELECT id FROM cases ORDER BY id") == [("Anna",)]
    freq = ok(runner, folder, *_AUTO_FREQ).splitlines()[1:]
    assert all(line.split(",")[4].endswith(" of 1") for line in freq), freq
    assert freq_before != freq and first_freq == freq


def test_auto_coder_suggestions_do_not_block_the_undo_and_go_with_it(
    folder: Path, runner: CliRunner
) -> None:
    auto_code(runner, folder)
    removed_id = doc_id(folder, "D2")
    suggestions = len(document_rows(folder, "D2")["codings"])
    scores = len(document_rows(folder, "D2")["run_scores"])
    shown = ok(runner, folder, "undo")
    assert f"{suggestions} auto-coder suggestion(s)" in shown
    assert rows(folder, "SELECT COUNT(*) FROM codings WHERE document_id = ?", removed_id) == [(0,)]
    payload = json.loads(str(rows(folder, "SELECT payload FROM audit ORDER BY id DESC")[0][0]))
    assert payload["removed"]["codings"] == suggestions
    assert payload["removed"]["run_scores"] == scores


def _tagged(runner: CliRunner, folder: Path) -> None:
    ok(runner, folder, "tag", "D2", first_segment(folder, "D2"), "trust", coder="bob")


def _reviewed(runner: CliRunner, folder: Path) -> None:
    auto_code(runner, folder)
    ok(runner, folder, "review", "--docs", "D2", "--accept-above", "0", coder="bob")


def _memo(runner: CliRunner, folder: Path) -> None:
    ok(runner, folder, "memo", "document", "D2", "Ben", "sounds", "wary", coder="bob")


def _done(runner: CliRunner, folder: Path) -> None:
    ok(runner, folder, "done", "D2", coder="bob")


@pytest.mark.parametrize(
    ("work", "named"),
    [
        (_tagged, "1 coding(s) by bob"),
        (_reviewed, "reviewed suggestion(s) by bob"),
        (_memo, "1 memo(s) by bob"),
        (_done, "done-mark(s) by bob"),
    ],
)
def test_undo_refuses_while_a_person_has_worked_on_the_document(
    folder: Path, runner: CliRunner, work: Callable[[CliRunner, Path], None], named: str
) -> None:
    work(runner, folder)
    before = dump(folder)
    result = invoke(runner, folder, "undo", coder="alice")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "import of D2" in lines[0] and named in lines[0] and "untag" in lines[0]
    assert "Traceback" not in result.output
    assert dump(folder) == before


def test_undo_steps_through_the_importers_own_tag_first(folder: Path, runner: CliRunner) -> None:
    ok(runner, folder, "tag", "D2", first_segment(folder, "D2"), "trust")
    assert "undid tag of coding" in ok(runner, folder, "undo")
    assert "undid import of D2" in ok(runner, folder, "undo")
    assert "undid import of D1" in ok(runner, folder, "undo")
    assert rows(folder, "SELECT COUNT(*) FROM documents") == [(0,)]


def test_undo_refuses_once_the_document_was_imported_again(folder: Path, runner: CliRunner) -> None:
    path = folder / "transcripts" / "D2.txt"
    path.write_text(path.read_text() + "Interviewer: Anything else?\n", encoding="utf-8")
    assert "1 changed" in ok(runner, folder, "import", str(path), coder="bob")
    before = dump(folder)
    result = invoke(runner, folder, "undo", coder="alice")
    assert result.exit_code == 1
    assert result.output.startswith("Error: D2 was imported again by bob")
    assert dump(folder) == before


def test_an_update_import_is_passed_over(tmp_path: Path, runner: CliRunner) -> None:
    folder = make_small_project(tmp_path / "p")  # imported by nobody named
    path = folder / "transcripts" / "D3.txt"
    path.write_text(path.read_text() + "Interviewer: Anything else?\n", encoding="utf-8")
    assert "1 changed" in ok(runner, folder, "import", str(path))
    before = dump(folder)
    assert "nothing of alice's to undo" in ok(runner, folder, "undo")
    assert dump(folder) == before


def test_an_import_without_a_coder_is_unknowns_and_cases_with_attributes_stay(
    tmp_path: Path, runner: CliRunner
) -> None:
    folder = make_small_project(tmp_path / "p")  # D1, D2, D3 and participants.csv
    cases = rows(folder, "SELECT * FROM cases ORDER BY id")
    assert "undid import of D3" in ok(runner, folder, "undo", coder="unknown")
    assert rows(folder, "SELECT name FROM documents ORDER BY name") == [("D1",), ("D2",)]
    assert rows(folder, "SELECT * FROM cases ORDER BY id") == cases  # Cara keeps hers


def _edit(folder: Path, sql: str) -> None:
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    try:
        conn.executescript(sql)
    finally:
        conn.close()


def test_undo_refuses_when_the_document_is_gone_or_its_text_changed(
    folder: Path, runner: CliRunner
) -> None:
    _edit(folder, "UPDATE documents SET content_hash = 'edited' WHERE name = 'D2';")
    before = dump(folder)
    result = invoke(runner, folder, "undo", coder="alice")
    assert result.exit_code == 1 and "the text of D2 is no longer the text" in result.output
    assert dump(folder) == before
    _edit(folder, "PRAGMA foreign_keys = ON; DELETE FROM documents WHERE name = 'D2';")
    before = dump(folder)
    result = invoke(runner, folder, "undo", coder="alice")
    assert result.exit_code == 1 and "D2 is no longer in the project" in result.output
    assert dump(folder) == before


def test_an_entry_logged_without_the_document_id_is_matched_by_name_and_hash(
    folder: Path, runner: CliRunner
) -> None:
    (payload,) = rows(folder, "SELECT payload FROM audit WHERE target = 'D2'")[0]
    old = json.loads(str(payload))
    del old["document_id"]
    _edit(
        folder,
        "DROP TRIGGER audit_append_only_update; "
        f"UPDATE audit SET payload = '{json.dumps(old)}' WHERE target = 'D2'; "
        "CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    )
    assert "undid import of D2" in ok(runner, folder, "undo")
    assert rows(folder, "SELECT name FROM documents") == [("D1",)]


def test_the_same_file_imports_again_after_the_undo(folder: Path, runner: CliRunner) -> None:
    layout = 'SELECT turn_idx, idx, start, "end" FROM segments WHERE document_id = ? ORDER BY 1, 2'
    before = rows(folder, layout, doc_id(folder, "D2"))
    ok(runner, folder, "undo")
    path = folder / "transcripts" / "D2.txt"
    assert "1 new" in ok(runner, folder, "import", str(path))
    assert rows(folder, layout, doc_id(folder, "D2")) == before
    assert len(before) == 5


def test_the_log_shows_the_undo_with_what_it_removed(folder: Path, runner: CliRunner) -> None:
    digest = rows(folder, "SELECT content_hash FROM documents WHERE name = 'D2'")[0][0]
    ok(runner, folder, "undo")
    lines = ok(runner, folder, "log", "--format", "csv").strip().splitlines()
    assert lines[1].split(",")[2:6] == ["alice", "undo", "undo", "D2"]
    assert lines[2].split(",")[2:6] == ["alice", "import", "add", "D2"]
    payload = json.loads(str(rows(folder, "SELECT payload FROM audit ORDER BY id DESC")[0][0]))
    assert payload["command"] == "import" and payload["action"] == "add"
    document = payload["document"]
    assert (document["name"], document["source"], document["hash"]) == (
        "D2",
        "transcripts/D2.txt",
        digest,
    )
    assert payload["removed"]["segments"] == 5 and payload["removed"]["turns"] == 4
    assert "Ben" not in json.dumps(payload["removed"])  # counts, not the text


def test_an_untag_on_a_removed_document_has_nothing_to_restore(
    folder: Path, runner: CliRunner
) -> None:
    ok(runner, folder, "tag", "D2", first_segment(folder, "D2"), "trust", coder="bob")
    (coding,) = rows(folder, "SELECT MAX(id) FROM codings")[0]
    ok(runner, folder, "untag", str(coding), coder="bob")
    removed = doc_id(folder, "D2")
    ok(runner, folder, "undo")
    # The next document imported takes the removed one's id: bob's coding must not land on it.
    shutil.copy(SMALL / "D3.txt", folder / "transcripts" / "D3.txt")
    ok(runner, folder, "import", str(folder / "transcripts" / "D3.txt"))
    assert doc_id(folder, "D3") == removed
    assert "its document is no longer in the project" in ok(runner, folder, "undo", coder="bob")
    assert rows(folder, "SELECT COUNT(*) FROM codings") == [(0,)]
