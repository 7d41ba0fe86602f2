"""Importing transcripts into a real project file through the real CLI."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, invoke, snapshot
from qualmine.project.config import find_project
from qualmine.project.importer import import_transcripts
from qualmine.storage.codings import CodingFilter, read_codings
from qualmine.storage.documents import all_documents, document_turns

NOTICE = "Illustrative transcript written for the qualmine example study"


@pytest.fixture
def study(tmp_path: Path, runner: CliRunner) -> Path:
    """A copy of the example study's transcripts, participants and codebook in a project."""
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copytree(REPO / "transcripts", folder / "transcripts")
    shutil.copytree(REPO / "codebooks", folder / "codebooks")
    (folder / "qualmine.toml").write_text(
        '[project]\nname = "study"\ntranscripts = ["transcripts"]\n'
        'participants = "transcripts/participants.csv"\ncodebook = "codebooks/study.yaml"\n'
    )
    result = invoke(runner, folder, "import", str(folder / "transcripts"))
    assert result.exit_code == 0, result.output
    return folder


def test_the_example_study_imports_twelve_documents_in_every_format(study: Path) -> None:
    project = find_project(explicit=study)
    with project.session() as conn:
        docs = all_documents(conn)
        assert [d.name for d in docs] == [f"P{i:02d}" for i in range(1, 13)]
        suffixes = {Path(d.source).suffix for d in docs}
        assert suffixes == {".md", ".txt", ".vtt", ".srt", ".docx"}
        for doc in docs:
            turns = document_turns(conn, doc.id)
            roles = {t.speaker_role for t in turns}
            assert roles == {"interviewer", "participant"}, doc.name
            cases = {t.case for t in turns if t.speaker_role == "participant"}
            assert cases == {doc.name}, (doc.name, cases)
            assert all(t.case is None for t in turns if t.speaker_role == "interviewer")
            for turn in turns:
                assert NOTICE not in doc.text[turn.start : turn.end]


def test_cases_carry_the_participants_attributes(study: Path, runner: CliRunner) -> None:
    result = invoke(runner, study, "cases", "--format", "csv")
    lines = result.output.strip().splitlines()
    assert len(lines) == 13
    header = lines[0].split(",")
    assert {"age_band", "position", "country", "company_size"} <= set(header)
    assert lines[1].startswith("P01,")


def test_importing_again_changes_nothing(study: Path, runner: CliRunner) -> None:
    before = snapshot(study)
    result = invoke(runner, study, "import", str(study / "transcripts"))
    assert "0 new, 0 changed, 12 unchanged" in result.output
    assert snapshot(study) == before


def test_a_folder_import_says_what_it_skipped(study: Path, runner: CliRunner) -> None:
    (study / "transcripts" / "README.md").write_text("# About these transcripts\n")
    result = invoke(runner, study, "import", str(study / "transcripts"))
    assert "skipped" in result.output and "README file" in result.output
    assert "participants.csv: named in qualmine.toml" in result.output.replace("\n", "")


def test_a_changed_file_reanchors_codings_and_orphans_lost_ones(
    study: Path, runner: CliRunner
) -> None:
    path = study / "transcripts" / "P01.md"
    text = path.read_text(encoding="utf-8")
    show = invoke(runner, study, "show", "P01", "--plain").output
    segment_lines = [ln for ln in show.splitlines() if ln.startswith("  s")]
    keep_id, keep_text = segment_lines[5].strip().split(": ", 1)
    lose_id, lose_text = segment_lines[9].strip().split(": ", 1)
    for seg in (keep_id, lose_id):
        result = invoke(runner, study, "tag", "P01", seg, "trust.online", coder="alice")
        assert result.exit_code == 0, result.output
    assert lose_text in text and keep_text in text
    changed = text.replace(lose_text, "Something else entirely was said here.", 1)
    # Push everything down so the kept quote has to move.
    first_turn = changed.index("\n\n", changed.index("---", 3)) + 2
    changed = changed[:first_turn] + changed[first_turn:].replace(": ", ": Well. ", 1)
    path.write_text(changed, encoding="utf-8")
    result = invoke(runner, study, "import", str(path))
    assert "1 changed" in result.output
    assert "orphaned 1 coding(s)" in result.output
    project = find_project(explicit=study)
    with project.session() as conn:
        doc = next(d for d in all_documents(conn) if d.name == "P01")
        codings = read_codings(conn, CodingFilter(coders=("alice",)))
    statuses = sorted(c.status for c in codings)
    assert statuses == ["accepted", "orphaned"]
    for coding in codings:
        if coding.status == "accepted":
            assert doc.text[coding.start : coding.end] == coding.quote == keep_text


def _bad_inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    files = {
        "missing": folder / "nope.txt",
        "empty": folder / "empty.txt",
        "whitespace": folder / "blank.md",
        "binary": folder / "binary.txt",
        "unknown": folder / "notes.pages",
        "corrupt docx": folder / "broken.docx",
        "undecodable": folder / "bytes.txt",
    }
    files["empty"].write_bytes(b"")
    files["whitespace"].write_bytes(b"  \n\t\n ")
    files["binary"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    files["unknown"].write_text("Interviewer: hello\n")
    files["corrupt docx"].write_bytes(b"PK\x03\x04 this is not really a zip file")
    files["undecodable"].write_bytes(b"Interviewer: caf\x81\x8d\x8f\x90\x9d\x00\x01 hello\n")
    return files


def test_bad_input_is_one_error_line_and_leaves_the_project_unchanged(
    study: Path, runner: CliRunner, tmp_path: Path
) -> None:
    before = snapshot(study)
    for label, path in _bad_inputs(tmp_path / "bad").items():
        result = runner.invoke(
            __import__("qualmine.cli", fromlist=["cli"]).cli,
            ["--project", str(study), "import", str(path)],
        )
        assert result.exit_code == 1, (label, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (label, result.output)
        assert path.name in lines[0], (label, lines[0])
        assert "Traceback" not in result.output
        assert snapshot(study) == before, label


def test_a_bad_file_among_good_ones_imports_nothing(study: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "A1.txt").write_text("Interviewer: Hello?\nAnna: Hi there.\n")
    (folder / "A2.txt").write_bytes(b"")
    project = find_project(explicit=study)
    before = snapshot(study)
    with pytest.raises(Exception, match="A2.txt"):
        import_transcripts(project, [str(folder)])
    assert snapshot(study) == before


def test_a_zip_bomb_docx_is_refused(study: Path, runner: CliRunner, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document>" + " " * 300_000_000 + "</w:document>")
    before = snapshot(study)
    result = invoke(runner, study, "import", str(bomb))
    assert result.exit_code == 1 and "bomb.docx" in result.output
    assert snapshot(study) == before


def test_max_chars_refuses_absurd_files(study: Path, runner: CliRunner, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("Interviewer: " + "word " * 300 + "\nAnna: fine\n")
    config = study / "qualmine.toml"
    config.write_text(config.read_text() + "max_chars = 500\n")
    result = invoke(runner, study, "import", str(big))
    assert result.exit_code == 1
    assert "max-chars" in result.output and "big.txt" in result.output


def test_progress_callback_sees_every_document(study: Path, tmp_path: Path) -> None:
    folder = tmp_path / "more"
    folder.mkdir()
    for i in range(3):
        (folder / f"X{i}.txt").write_text(f"Interviewer: Question {i}?\nAnna: Answer {i}.\n")
    calls: list[tuple[int, int, str]] = []
    import_transcripts(
        find_project(explicit=study),
        [str(folder)],
        progress=lambda d, t, label: calls.append((d, t, label)),
    )
    assert calls[0][:2] == (0, 3) and calls[-1][:2] == (3, 3)
