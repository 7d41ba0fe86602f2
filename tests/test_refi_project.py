"""Project exchange: qualmine -> .qdpx -> qualmine loses nothing; other programs' files import."""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import uuid
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from click.testing import CliRunner

from conftest import invoke, snapshot
from qualmine.cli import cli
from qualmine.coding.manual import mark_document_done, memo, tag
from qualmine.project.codebook_sync import sync_codebook
from qualmine.project.codings_file import import_codings
from qualmine.project.config import find_project
from qualmine.project.importer import import_transcripts
from qualmine.project.interchange import export_project, import_project
from qualmine.refi import EXTRAS_NOTE
from qualmine.refi.guids import stable_guid
from qualmine.storage import transaction
from qualmine.storage.codings import add_codings, coding_by_id, read_codings, update_coding
from small_project import add_keyword_suggestions, make_small_project

REPO = Path(__file__).resolve().parent.parent
REFI = Path(__file__).parent / "data" / "refi"
PROJECT_XSD = xmlschema.XMLSchema(str(REFI / "Project.xsd"))


CHANGELOG = """changelog:
  - date: "2026-11-26"
    coder: alice
    action: rename
    detail: "trust.web -> trust"
    reason: "round 2"
"""


@pytest.fixture(autouse=True)
def _away_from_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a scratch folder: a command that looks for its project from the current
    folder must never find the example study at the top of the repository."""
    monkeypatch.chdir(tmp_path)


def small_with_work(folder: Path) -> Path:
    """The small project with every kind of coding work qualmine keeps."""
    make_small_project(folder)
    with (folder / "codebook.yaml").open("a") as codebook:
        codebook.write(CHANGELOG)
    ids = add_keyword_suggestions(folder)
    project = find_project(explicit=folder)
    sync_codebook(project)
    kept = tag(
        project, "D1", "trust", coder="alice", quote="I trust people I have met.", memo="clear"
    )
    tag(project, "D2", "peers", coder="bob", target="0-20")
    with project.session() as conn, transaction(conn):
        first, second = coding_by_id(conn, ids[0]), coding_by_id(conn, ids[1])
        assert first is not None and second is not None
        update_coding(conn, replace(first, status="accepted", reviewer="alice"))
        update_coding(conn, replace(second, status="rejected", reviewer="bob"))
        pending = "code removed from the codebook; was accepted"
        gone = replace(first, id=0, code="retired", status="orphaned", pending=pending)
        add_codings(conn, [gone])
    memo(project, "project", "", "Overall: trust is local.", coder="alice")
    memo(project, "project", "", "Overall: trust is local.", coder="alice")  # said twice
    memo(project, "document", "D1", "Anna hesitates here.", coder="alice")
    memo(project, "code", "trust", "Split later?", coder="bob")
    memo(project, "coding", str(kept.id), "Quoted in the report.", coder="alice")
    memo(project, "coding", str(ids[2]), "A suggestion worth a look.", coder="bob")
    mark_document_done(project, "D1", coder="alice")
    mark_document_done(project, "D2", coder="bob")
    return folder


def study_project(folder: Path, runner: CliRunner) -> Path:
    """The example study at the top of the repository, as a project."""
    runner.invoke(cli, ["init", str(folder), "--name", "study"], catch_exceptions=False)
    shutil.copytree(REPO / "transcripts", folder / "transcripts")
    shutil.copytree(REPO / "codebooks", folder / "codebooks")
    (folder / "qualmine.toml").write_text(
        '[project]\nname = "study"\ncodebook = "codebooks/study.yaml"\n'
        'participants = "transcripts/participants.csv"\n'
    )
    project = find_project(explicit=folder)
    import_transcripts(project, [str(folder / "transcripts")])
    sync_codebook(project)
    for codings in sorted((REPO / "codings").glob("*.csv")):
        import_codings(project, codings)
    return folder


TURNS = (
    'SELECT document_id, idx, speaker, speaker_role, start, "end", timestamp, case_id FROM turns'
)
SEGMENTS = 'SELECT document_id, turn_idx, idx, start, "end" FROM segments'
CODINGS = (
    'SELECT document_id, start, "end", quote, code, coder, status, reviewer, score, evidence, '
    "codebook_version, created, memo, pending FROM codings"
)


def content(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What a project holds, with database ids replaced by what they stand for."""
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    names = dict(conn.execute("SELECT id, name FROM documents"))

    def named(sql: str) -> list[tuple[Any, ...]]:
        return sorted((names[r[0]], *r[1:]) for r in conn.execute(sql))

    keys = {
        r[0]: (names[r[1]], *r[2:])
        for r in conn.execute('SELECT id, document_id, start, "end", code, coder FROM codings')
    }
    memos = conn.execute("SELECT kind, target, coder, text, created FROM memos ORDER BY id")
    out = {
        "documents": sorted(
            conn.execute("SELECT name, text, content_hash, metadata, encoding FROM documents")
        ),
        "turns": named(TURNS),
        "segments": named(SEGMENTS),
        "cases": sorted(conn.execute("SELECT id, attributes FROM cases")),
        "codings": named(CODINGS),
        "memos": [
            (kind, str(keys[int(target)]) if kind == "coding" else target, coder, text, created)
            for kind, target, coder, text, created in memos
        ],
        "done": named("SELECT document_id, coder, marked FROM done"),
        "codes": sorted(conn.execute("SELECT id, name, parent, position FROM codes")),
        "codebooks": sorted(conn.execute("SELECT version, name, content FROM codebooks")),
    }
    conn.close()
    return out


def round_trip(
    source: Path, tmp_path: Path, runner: CliRunner, name: str
) -> tuple[bytes, bytes, Path]:
    first = tmp_path / "first.qdpx"
    export_project(find_project(explicit=source), first)
    fresh = tmp_path / "fresh"
    runner.invoke(cli, ["init", str(fresh), "--name", name], catch_exceptions=False)
    import_project(find_project(explicit=fresh), first, actor="tester")
    second = tmp_path / "second.qdpx"
    export_project(find_project(explicit=fresh), second)
    return first.read_bytes(), second.read_bytes(), fresh


def qde_of(archive: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        return zf.read("project.qde").decode("utf-8")


def assert_codings_point_at_their_quotes(folder: Path) -> None:
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    texts = dict(conn.execute("SELECT id, text FROM documents"))
    rows = conn.execute('SELECT document_id, start, "end", quote FROM codings').fetchall()
    assert rows
    for doc, start, end, quote in rows:
        assert texts[doc][start:end] == quote
    conn.close()


def test_the_small_project_round_trips_without_loss(tmp_path: Path, runner: CliRunner) -> None:
    source = small_with_work(tmp_path / "small")
    first, second, fresh = round_trip(source, tmp_path, runner, "small")
    PROJECT_XSD.validate(qde_of(first))
    assert second == first  # identical archive, XML and every source file
    assert content(fresh) == content(source)
    assert_codings_point_at_their_quotes(fresh)


def test_the_example_study_round_trips_without_loss(tmp_path: Path, runner: CliRunner) -> None:
    source = study_project(tmp_path / "study", runner)
    first, second, fresh = round_trip(source, tmp_path, runner, "study")
    PROJECT_XSD.validate(qde_of(first))
    assert qde_of(second) == qde_of(first)
    assert second == first
    assert content(fresh) == content(source)
    assert len(content(fresh)["codings"]) > 1000
    assert_codings_point_at_their_quotes(fresh)


def test_exports_are_reproducible_and_hold_no_absolute_path(tmp_path: Path) -> None:
    source = small_with_work(tmp_path / "small")
    project = find_project(explicit=source)
    export_project(project, tmp_path / "a.qdpx")
    export_project(project, tmp_path / "b.qdpx")
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.qdpx") as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert all(
            re.fullmatch(r"project\.qde|sources/[0-9a-f-]{36}\.txt", i.filename) for i in infos
        )
        for info in infos:
            data = zf.read(info).decode("utf-8")
            assert str(tmp_path) not in data and "/tmp/" not in data and "basePath" not in data


def test_guids_are_uuid5_of_stable_keys(tmp_path: Path) -> None:
    source = small_with_work(tmp_path / "small")
    export_project(find_project(explicit=source), tmp_path / "a.qdpx")
    qde = qde_of((tmp_path / "a.qdpx").read_bytes())
    d1 = stable_guid("source", "D1")
    assert f'<TextSource guid="{d1}" name="D1" plainTextPath="internal://{d1}.txt"' in qde
    assert uuid.UUID(d1).version == 5
    assert f'guid="{stable_guid("code", "trust")}" name="Trust"' in qde


def test_other_programs_see_accepted_codings_only(tmp_path: Path) -> None:
    source = small_with_work(tmp_path / "small")
    done = export_project(find_project(explicit=source), tmp_path / "a.qdpx")
    conn = sqlite3.connect(source / ".qualmine" / "project.db")
    accepted = conn.execute(
        "SELECT COUNT(*) FROM codings WHERE status='accepted' AND code != 'retired'"
    ).fetchone()[0]
    total = conn.execute("SELECT COUNT(*) FROM codings").fetchone()[0]
    qde = qde_of((tmp_path / "a.qdpx").read_bytes())
    assert qde.count("<Coding ") == accepted == done.codings
    assert done.codings_in_note == total - accepted
    assert qde.count(f'name="{EXTRAS_NOTE}"') == 1
    assert 'name="Turn timestamps' not in qde  # the small transcripts have no times


def test_turn_timestamps_go_to_a_note(tmp_path: Path, runner: CliRunner) -> None:
    source = study_project(tmp_path / "study", runner)
    export_project(find_project(explicit=source), tmp_path / "a.qdpx")
    qde = qde_of((tmp_path / "a.qdpx").read_bytes())
    note = re.search(r'name="Turn timestamps: P03">\s*<PlainTextContent>([^<]*)', qde)
    assert note is not None
    assert note.group(1).splitlines()[0] == "00:00:01\tEllen Marsh\tcharacters 13-97"
    assert "timeStamp" not in qde


def pack(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return out


def test_an_atlas_ti_style_project_imports(
    tmp_path: Path, runner: CliRunner, project_dir: Path
) -> None:
    archive = pack(REFI / "atlas-style", tmp_path / "breakfast.qdpx")
    result = invoke(runner, project_dir, "project", "import", str(archive))
    assert result.exit_code == 0, result.output
    assert "from another program" in result.output
    assert "REFI-QDA has no done-mark" in result.output
    data = content(project_dir)
    assert [d[0] for d in data["documents"]] == ["Mabel", "Simon"]
    by_code = {(c[0], c[4]): c for c in data["codings"]}
    # Selection by one user, coding by another: the coding's own user counts.
    assert by_code[("Mabel", "drinks.coke_diet_coke")][5] == "Friedrich Markgraf"
    assert by_code[("Mabel", "feelings")][5] == "Sebastian Petrausch"  # none on the coding
    # Simon's source has CRLF line ends and a BOM: offsets move, the quote stays.
    simon = by_code[("Simon", "food.bacon_and_eggs")]
    assert simon[3] == "No time. On Sundays I make bacon and eggs for everyone."
    assert_codings_point_at_their_quotes(project_dir)
    assert (
        "coding",
        str(("Simon", 104, 159, "food.bacon_and_eggs", "Sebastian Petrausch")),
    ) == data["memos"][2][:2]
    assert sorted({(d[0], d[1]) for d in data["done"]}) == [
        ("Mabel", "Friedrich Markgraf"),
        ("Mabel", "Sebastian Petrausch"),
        ("Simon", "Friedrich Markgraf"),
        ("Simon", "Sebastian Petrausch"),
    ]
    report = json.loads((project_dir / ".qualmine" / "last-import-report.json").read_text())
    lost = {(x["element"], x["why"]): x["count"] for x in report["losses"]}
    assert lost[("PDF source", "a PDF without a plain-text representation")] == 1
    assert lost[("Video source", "a video source; qualmine reads text sources only")] == 1
    assert lost[("Link", "qualmine has no place for it")] == 1
    assert lost[("Selection without codings", "qualmine keeps codings, not bare selections")] == 1
    assert lost[("Formatted copy of a text source", "the plain text is kept, not the file")] == 1
    codebook = (project_dir / "codebooks" / "breakfast_study.yaml").read_text()
    assert "codebooks/breakfast_study.yaml" in (project_dir / "qualmine.toml").read_text()
    assert "- id: drinks\n" in codebook and "name: Coke::diet Coke" in codebook


def test_a_legacy_transana_style_project_imports(
    tmp_path: Path, runner: CliRunner, project_dir: Path
) -> None:
    archive = pack(REFI / "transana-style", tmp_path / "episodes.qdpx")
    result = invoke(runner, project_dir, "project", "import", str(archive))
    assert result.exit_code == 0, result.output
    data = content(project_dir)
    assert data["cases"] == [
        ("Lena", '{"age": "41", "role": "founder"}'),
        ("Omar", '{"role": "engineer"}'),
    ]
    assert [(c[0], c[4], c[5]) for c in data["codings"]] == [
        ("Episode 1", "organisation.funding", "Note Taker"),
        ("Episode 1", "organisation.leadership", "Transcriber"),
        ("Episode 2", "staffing", "Note Taker"),
    ]
    lena = [t for t in data["turns"] if t[0] == "Episode 1" and t[3] == "participant"]
    assert {t[7] for t in lena} == {"Lena"}
    assert [m[0] for m in data["memos"]] == ["coding", "document"]
    assert data["memos"][1][3] == "Episode 2 note\n\nOmar's answer is the clearest of all."
    report = json.loads((project_dir / ".qualmine" / "last-import-report.json").read_text())
    lost = {x["element"]: x for x in report["losses"]}
    assert lost["Coding"]["why"] == "its code is not in the codebook"
    assert "is not in the archive" in lost["Note"]["why"]
    assert lost["Case description"]["count"] == 1


def test_importing_the_same_file_twice_adds_nothing(tmp_path: Path, project_dir: Path) -> None:
    archive = pack(REFI / "atlas-style", tmp_path / "breakfast.qdpx")
    project = find_project(explicit=project_dir)
    import_project(project, archive)
    before = {k: v for k, v in snapshot(project_dir).items() if k != "audit"}
    again = import_project(find_project(explicit=project_dir), archive)
    assert again.codings == 0 and again.memos == 0 and again.reused == ("Mabel", "Simon")
    assert {k: v for k, v in snapshot(project_dir).items() if k != "audit"} == before


def test_a_clashing_document_is_refused_before_anything_is_written(
    tmp_path: Path, runner: CliRunner, project_dir: Path
) -> None:
    (tmp_path / "Mabel.txt").write_text("Interviewer: Hello?\nMabel: A different text.\n")
    invoke(runner, project_dir, "import", str(tmp_path / "Mabel.txt"))
    before = snapshot(project_dir)
    archive = pack(REFI / "atlas-style", tmp_path / "breakfast.qdpx")
    result = invoke(runner, project_dir, "project", "import", str(archive))
    assert result.exit_code == 1
    assert "document 'Mabel' is already in the project with another text" in result.output
    assert snapshot(project_dir) == before
    assert not (project_dir / "codebooks").exists()


def test_cli_project_export_and_import(tmp_path: Path, runner: CliRunner) -> None:
    source = small_with_work(tmp_path / "small")
    out = tmp_path / "small.qdpx"
    result = invoke(runner, source, "project", "export", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "3 document(s)" in result.output and "travel in the qualmine note only" in result.output
    runner.invoke(cli, ["init", str(tmp_path / "fresh")], catch_exceptions=False)
    result = invoke(runner, tmp_path / "fresh", "project", "import", str(out), coder="carol")
    assert result.exit_code == 0, result.output
    assert "written by qualmine" in result.output and "nothing was lost" in result.output
    assert "done-mark" not in result.output  # qualmine's own done-marks come back as they were
    assert read_codings(sqlite3.connect(tmp_path / "fresh" / ".qualmine" / "project.db"))


@pytest.mark.parametrize("name", ["atlas-style", "transana-style"])
def test_imported_projects_export_valid_xml(name: str, tmp_path: Path, project_dir: Path) -> None:
    archive = pack(REFI / name, tmp_path / "in.qdpx")
    import_project(find_project(explicit=project_dir), archive)
    export_project(find_project(explicit=project_dir), tmp_path / "out.qdpx")
    PROJECT_XSD.validate(qde_of((tmp_path / "out.qdpx").read_bytes()))


def test_the_installed_command_exports_and_imports(tmp_path: Path) -> None:
    import subprocess
    import sys

    exe = Path(sys.executable).parent / "qualmine"
    source = small_with_work(tmp_path / "small")
    out = tmp_path / "small.qdpx"
    run = subprocess.run(
        [str(exe), "--project", str(source), "project", "export", "-o", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.startswith(f"wrote {out}: 3 document(s)")
    subprocess.run([str(exe), "init", str(tmp_path / "fresh")], capture_output=True, check=True)
    run = subprocess.run(
        [str(exe), "--project", str(tmp_path / "fresh"), "project", "import", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "written by qualmine" in run.stdout
    assert (tmp_path / "fresh" / ".qualmine" / "last-import-report.json").is_file()
