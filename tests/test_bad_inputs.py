"""Every bad input through the real CLI: one `Error:` line naming the file and the place,
exit code 1, no traceback, and the project exactly as it was.

The corpus is tests/bad_inputs/: text files committed as they are, binary ones made by
tests/bad_inputs/make_bad_inputs.py (into a temporary folder, once per session).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import invoke, snapshot
from qualmine.cli import cli
from qualmine.project.codebook_sync import sync_codebook
from qualmine.project.config import find_project
from qualmine.storage.documents import all_documents
from small_project import make_small_project

CORPUS = Path(__file__).parent / "bad_inputs"
sys.path.insert(0, str(CORPUS))
from make_bad_inputs import make_all  # noqa: E402


@dataclass(frozen=True)
class Case:
    """One bad input: the file, the command that reads it, and what the error must say.

    ``args`` holds ``{file}`` where the file's path goes; ``says`` must appear in the
    output and ``place`` is where in the file (line, offset, entry, code) it went wrong.
    """

    file: str
    args: tuple[str, ...]
    says: str
    place: str
    codebook: bool = False


IMPORT = ("import", "{file}")
CASES = [
    Case("empty.txt", IMPORT, "the file is empty", "empty.txt"),
    Case("whitespace-only.txt", IMPORT, "only white space", "whitespace-only.txt"),
    Case("bom-only.md", IMPORT, "only white space", "bom-only.md"),
    Case("binary-renamed.txt", IMPORT, "looks like a binary file", "offset 8"),
    Case("invalid-utf8.txt", IMPORT, "is not UTF-8", "offset 49"),
    Case("bad-utf16.txt", IMPORT, "not valid UTF-16", "offset 6"),
    Case(
        "too-long.txt",
        ("import", "--max-chars", "1000", "{file}"),
        "over the --max-chars limit of 1,000",
        "2,029 characters",
    ),
    Case("not-a-zip.docx", IMPORT, "corrupt .docx file", "not a zip file"),
    Case("truncated.docx", IMPORT, "corrupt .docx file", "not a zip file"),
    Case("corrupt-xml.docx", IMPORT, "corrupt .docx file", "line 2, column"),
    Case("no-document-part.docx", IMPORT, "word/document.xml is missing", "word/document.xml"),
    Case("zip-bomb.docx", IMPORT, "looks like a zip bomb", "67,109,592 bytes"),
    Case("billion-laughs.docx", IMPORT, "corrupt .docx file", "amplification"),
    Case("transcripts-no-text-column.csv", IMPORT, "no transcript column", "line 1"),
    Case("transcripts-ragged.csv", IMPORT, "4 fields, but the header has 2", "line 2"),
    Case("bad-timestamps.vtt", IMPORT, "a cue without a timing line", "line 3"),
    Case("bad-timestamps.srt", IMPORT, "a cue without a timing line", "line 4"),
    Case(
        "participants-missing-columns.csv",
        ("import", "--attributes", "{file}", "{project}/transcripts"),
        "but the header has 3",
        "participants-missing-columns.csv:2",
    ),
    Case(
        "participants-open-quote.csv",
        ("import", "--attributes", "{file}", "{project}/transcripts"),
        "malformed CSV",
        "participants-open-quote.csv:2",
    ),
    Case(
        "codings-missing-columns.csv",
        ("codings", "import", "{file}"),
        "missing column(s) quote, coder",
        "the header must hold",
    ),
    Case(
        "codings-unbalanced-quotes.csv",
        ("codings", "import", "{file}"),
        "nothing imported",
        "codings-unbalanced-quotes.csv:2:",
    ),
    Case(
        "codings-quote-mismatch.csv",
        ("codings", "import", "{file}"),
        "quote does not match the text at 0-12 of D1",
        "codings-quote-mismatch.csv:2:",
    ),
    Case(
        "malformed-codebook.yaml",
        ("code", "--method", "rules"),
        "YAML syntax error",
        "malformed-codebook.yaml:8:",
        codebook=True,
    ),
    Case(
        "invalid-regex-codebook.yaml",
        ("code", "--method", "rules"),
        "invalid regex '(trust|rely'",
        "invalid-regex-codebook.yaml:9: code trust",
        codebook=True,
    ),
    Case(
        "invalid-regex-codebook.yaml",
        ("codebook", "validate", "{file}"),
        "invalid regex",
        "invalid-regex-codebook.yaml:9:",
    ),
    Case(
        "external-entity.qdpx",
        ("project", "import", "{file}"),
        "declares a document type or entities",
        "external-entity.qdpx:project.qde",
    ),
    Case(
        "dot-dot-entry.qdpx",
        ("project", "import", "{file}"),
        "path leaves the archive",
        "dot-dot-entry.qdpx:../../escaped.txt",
    ),
    Case(
        "external-entity.qdc",
        ("codebook", "import", "{file}", "-o", "{project}/imported.yaml"),
        "declares a document type or entities",
        "external-entity.qdc",
    ),
]
TAG_UNKNOWN_CODE = ("tag", "D1", "s1", "no.such.code")


@pytest.fixture(scope="session")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_all(tmp_path_factory.mktemp("bad_inputs"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The small project with its codebook loaded, so that reading it writes nothing."""
    folder = make_small_project(tmp_path / "p")
    sync_codebook(find_project(explicit=folder))
    return folder


def corpus_file(name: str, made: dict[str, Path]) -> Path:
    return made.get(name) or CORPUS / name


def listing(folder: Path) -> dict[str, bytes]:
    """Every file in the project folder but the database files, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".qualmine" not in p.parts
    }


def assert_one_error_line(output: str, *fragments: str) -> None:
    # The import's progress bar (transient, on a non-terminal) leaves one empty line.
    lines = output.lstrip("\n").splitlines()
    assert lines and lines[0].startswith("Error: "), output
    assert sum(line.startswith("Error:") for line in lines) == 1, output
    assert "Traceback" not in output, output
    for fragment in fragments:
        assert fragment.lower() in output.lower(), (fragment, output)


def assert_refused(
    runner: CliRunner,
    project: Path,
    args: Sequence[str],
    *fragments: str,
    coder: str | None = "alice",
) -> str:
    """Run a command that must fail: exit code 1, one `Error:` line holding ``fragments``,
    and the project's database and files exactly as they were. Returns the error line."""
    before, files = snapshot(project), listing(project)
    result = invoke(runner, project, *args, coder=coder)
    assert result.exit_code == 1, result.output
    assert_one_error_line(result.output, *fragments)
    assert snapshot(project) == before
    assert listing(project) == files
    return result.output.lstrip("\n").splitlines()[0]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file}-{c.args[0]}-{c.args[1]}" for c in CASES])
def test_a_bad_input_gives_one_error_line_and_changes_nothing(
    case: Case, project: Path, made: dict[str, Path], runner: CliRunner
) -> None:
    path = corpus_file(case.file, made)
    if case.codebook:
        toml = project / "qualmine.toml"
        toml.write_text(toml.read_text().replace("codebook.yaml", str(path)))
    args = [a.format(file=path, project=project) for a in case.args]
    first = assert_refused(runner, project, args, case.says, case.place)
    assert path.name in first or str(path) in first, first


def test_a_codings_csv_with_old_mac_line_ends_is_refused(project: Path, runner: CliRunner) -> None:
    path = CORPUS / "codings-cr-line-ends.csv"
    before = snapshot(project)
    result = runner.invoke(
        cli, ["--project", str(project), "codings", "import", str(path)], catch_exceptions=True
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code in (0, 1)
    if result.exit_code == 1:
        assert_one_error_line(result.output, "codings-cr-line-ends.csv")
        assert snapshot(project) == before


def test_an_unknown_code_names_the_code(project: Path, runner: CliRunner) -> None:
    assert_refused(runner, project, TAG_UNKNOWN_CODE, "no code 'no.such.code'", "codebook show")


def test_one_bad_file_among_good_ones_imports_nothing(
    project: Path, made: dict[str, Path], runner: CliRunner, tmp_path: Path
) -> None:
    good = tmp_path / "D4.txt"
    good.write_text("Interviewer: Who do you ask?\nAnna: My colleagues, always.\n")
    args = ["import", str(good), str(made["zip-bomb.docx"])]
    assert_refused(runner, project, args, "zip-bomb.docx", coder=None)


def test_an_entity_in_a_word_file_is_never_expanded(
    project: Path, made: dict[str, Path], runner: CliRunner
) -> None:
    # python-docx parses with entity resolution off: the file imports, the entity stays out.
    result = invoke(runner, project, "import", str(made["external-entity.docx"]))
    assert result.exit_code == 0, result.output
    with find_project(explicit=project).session() as conn:
        doc = next(d for d in all_documents(conn) if d.name == "external-entity")
    assert "root:" not in doc.text and "secret" not in doc.text


def test_the_installed_command_gives_the_same_single_line(
    project: Path, made: dict[str, Path]
) -> None:
    env = {**os.environ, "QUALMINE_CODER": "alice"}
    for name in ("binary-renamed.txt", "zip-bomb.docx"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "qualmine",
                "--project",
                str(project),
                "import",
                str(made[name]),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 1
        assert done.stdout == ""
        shown = done.stderr.lstrip("\n")
        assert shown.count("\n") == 1 and shown.startswith(f"Error: {made[name]}")


def test_the_corpus_is_small_and_complete(made: dict[str, Path]) -> None:
    names = {c.file for c in CASES} | {"external-entity.docx"}
    for name in names:
        assert corpus_file(name, made).is_file(), name
    committed = [p for p in CORPUS.iterdir() if p.suffix != ".py" and p.is_file()]
    assert all(p.stat().st_size < 1024 for p in committed)
    assert all(p.stat().st_size < 100 * 1024 for p in made.values())
