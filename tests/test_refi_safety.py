"""Hostile .qdpx archives are refused in one line, writing nothing anywhere."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import invoke, snapshot
from qualmine.errors import InputFileError
from qualmine.project.config import find_project
from qualmine.project.interchange import import_project
from qualmine.refi import ArchiveLimits

REFI = Path(__file__).parent / "data" / "refi"
QDE_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'
PROJECT = (
    '<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources>'
    '<TextSource guid="0a0f2b64-5d1a-4c11-9a1e-7e5b0e1c2d3f" name="S" '
    'plainTextPath="internal://0a0f2b64-5d1a-4c11-9a1e-7e5b0e1c2d3f.txt"/>'
    "</Sources></Project>"
)
SOURCE = ("sources/0a0f2b64-5d1a-4c11-9a1e-7e5b0e1c2d3f.txt", b"Interviewer: Hi?\nAnna: Hello.\n")
XXE = (
    QDE_HEAD + '<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    '<Project xmlns="urn:QDA-XML:project:1.0" name="&secret;"/>'
)
LAUGHS = (
    QDE_HEAD
    + "<!DOCTYPE Project [\n"
    + '<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    + ']>\n<Project xmlns="urn:QDA-XML:project:1.0" name="&lol9;"/>'
)


@pytest.fixture(autouse=True)
def _away_from_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a scratch folder: a command that looks for its project from the current
    folder must never find the example study at the top of the repository."""
    monkeypatch.chdir(tmp_path)


def archive(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return path


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def bomb(path: Path) -> Path:
    """A deflated entry of 64 MiB of zeros: about 64 KiB packed, over 1000 to 1."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", QDE_HEAD + PROJECT)
        with zf.open("sources/padding.txt", "w") as stream:
            chunk = b"\0" * 2**20
            for _ in range(64):
                stream.write(chunk)
    return path


HOSTILE = {
    "external entity": lambda p: archive(p, [("project.qde", XXE.encode())]),
    "billion laughs": lambda p: archive(p, [("project.qde", LAUGHS.encode())]),
    "dot-dot entry": lambda p: archive(
        p, [("project.qde", (QDE_HEAD + PROJECT).encode()), ("../../escaped.txt", b"out")]
    ),
    "absolute entry": lambda p: archive(
        p, [("project.qde", (QDE_HEAD + PROJECT).encode()), ("/tmp/escaped-abs.txt", b"out")]
    ),
    "backslash dot-dot entry": lambda p: archive(
        p, [("project.qde", (QDE_HEAD + PROJECT).encode()), ("sources\\..\\..\\x.txt", b"o")]
    ),
    "zip bomb": bomb,
}
MESSAGES = {
    "external entity": "refused: the XML declares a document type or entities",
    "billion laughs": "refused: the XML declares a document type or entities",
    "dot-dot entry": "refused: the entry's path leaves the archive",
    "absolute entry": "refused: the entry's path leaves the archive",
    "backslash dot-dot entry": "refused: the entry's path leaves the archive",
    "zip bomb": "refused as a zip bomb",
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_archive_is_refused_and_changes_nothing(
    kind: str, tmp_path: Path, runner: CliRunner, project_dir: Path
) -> None:
    (project_dir / "D1.txt").write_text("Interviewer: Hello?\nAnna: Hi there.\n")
    invoke(runner, project_dir, "import", str(project_dir / "D1.txt"))
    outside = tmp_path / "outside"
    outside.mkdir()
    hostile = HOSTILE[kind](outside / "hostile.qdpx")
    before, files, around = snapshot(project_dir), listing(project_dir), listing(outside)
    old = Path.cwd()
    os.chdir(outside)
    try:
        result = invoke(runner, project_dir, "project", "import", str(hostile))
    finally:
        os.chdir(old)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert MESSAGES[kind] in result.output
    assert str(hostile) in result.output  # names the file (and the entry, where there is one)
    assert snapshot(project_dir) == before
    assert listing(project_dir) == files and listing(outside) == around
    assert not Path("/tmp/escaped-abs.txt").exists()


def test_an_entry_over_the_size_limit_is_refused(tmp_path: Path, project_dir: Path) -> None:
    big = archive(
        tmp_path / "big.qdpx",
        [("project.qde", (QDE_HEAD + PROJECT).encode()), (SOURCE[0], os.urandom(4096))],
    )
    before = snapshot(project_dir)
    limits = ArchiveLimits(max_entry_bytes=2048)
    with pytest.raises(InputFileError, match=r"big\.qdpx:sources/.*refused: 4,096 bytes unpacked"):
        import_project(find_project(explicit=project_dir), big, limits=limits)
    assert snapshot(project_dir) == before


def test_archives_over_the_total_or_entry_count_are_refused(tmp_path: Path) -> None:
    many = archive(
        tmp_path / "many.qdpx",
        [("project.qde", (QDE_HEAD + PROJECT).encode())]
        + [(f"sources/{i}.bin", b"x") for i in range(5)],
    )
    from qualmine.refi.archive import read_qdpx

    with pytest.raises(InputFileError, match="6 entries, over 3"):
        read_qdpx(many, ArchiveLimits(max_entries=3))
    with pytest.raises(InputFileError, match="bytes unpacked, over 10"):
        read_qdpx(many, ArchiveLimits(max_total_bytes=10))


def test_a_well_formed_archive_still_imports(tmp_path: Path, project_dir: Path) -> None:
    good = archive(tmp_path / "good.qdpx", [("project.qde", (QDE_HEAD + PROJECT).encode()), SOURCE])
    done = import_project(find_project(explicit=project_dir), good)
    assert done.documents == ("S",)


def test_external_paths_are_never_read(tmp_path: Path, project_dir: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Interviewer: Do not read me.\n")
    qde = PROJECT.replace(
        'plainTextPath="internal://0a0f2b64-5d1a-4c11-9a1e-7e5b0e1c2d3f.txt"',
        f'plainTextPath="absolute://{secret}"',
    )
    path = archive(tmp_path / "external.qdpx", [("project.qde", (QDE_HEAD + qde).encode())])
    done = import_project(find_project(explicit=project_dir), path)
    assert done.documents == ()
    assert [(x.element, x.why) for x in done.losses] == [
        ("Text source", "an external file (absolute://), never read")
    ]


def test_not_a_zip_and_no_qde_are_one_line_errors(
    tmp_path: Path, runner: CliRunner, project_dir: Path
) -> None:
    (tmp_path / "plain.qdpx").write_text("hello")
    result = invoke(runner, project_dir, "project", "import", str(tmp_path / "plain.qdpx"))
    assert result.exit_code == 1 and "not a zip archive" in result.output
    empty = archive(tmp_path / "empty.qdpx", [SOURCE])
    result = invoke(runner, project_dir, "project", "import", str(empty))
    assert result.exit_code == 1 and "no .qde file in the archive" in result.output
    broken = archive(tmp_path / "broken.qdpx", [("a.qde", b"<Project><Sources></Project>")])
    result = invoke(runner, project_dir, "project", "import", str(broken))
    assert result.exit_code == 1 and "a.qde:1: not well-formed XML" in result.output
    assert result.output.count("\n") == 1


def test_a_hostile_codebook_workbook_is_refused(tmp_path: Path) -> None:
    from qualmine.project.interchange import import_codebook

    workbook = archive(
        tmp_path / "codes.xlsx", [("[Content_Types].xml", b"<Types/>"), ("../evil.xml", b"x")]
    )
    with pytest.raises(InputFileError, match=r"codes\.xlsx:\.\./evil\.xml: refused"):
        import_codebook(workbook, tmp_path / "out.yaml")
    assert not (tmp_path / "out.yaml").exists()
