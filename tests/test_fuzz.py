"""Parsers fuzzed: whatever the bytes, nothing but a QualmineError escapes.

Each parser gets a fixed number of examples (``EXAMPLES``), derandomized so that CI runs
the same cases every time, with no deadline (the first examples load spaCy).
"""

from __future__ import annotations

import contextlib
import csv
import io
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualmine.codebook import load_codebook
from qualmine.errors import QualmineError
from qualmine.parsing import READERS, read_transcripts
from qualmine.project.codings_file import COLUMNS, import_codings
from qualmine.project.config import find_project

sys.path.insert(0, str(Path(__file__).parent / "bad_inputs"))
from make_bad_inputs import GOOD_DOCUMENT, docx  # noqa: E402

EXAMPLES = 200
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EXTENSIONS = sorted(READERS)
GOOD_DOCX = docx(GOOD_DOCUMENT)

# Text that looks like a transcript: labels, timings, quotes, separators, odd characters.
_PIECES = st.sampled_from(
    [
        "Interviewer: ",
        "Anna: ",
        "P01: ",
        "**Ann:** ",
        "[00:01:02] ",
        "00:00:01.000 --> 00:00:02.000\n",
        "00:00:01,000 --> 00:00:02,000\n",
        "WEBVTT\n\n",
        "1\n",
        "---\n",
        "case: P01\n",
        "id,text\n",
        '"',
        ",",
        ";",
        "\t",
        "\n",
        "\r\n",
        "\x00",
        "\ufeff",
        "é",
        "\u2028",
        "(laughs) ",
        "I trust my colleagues. ",
        "What? ",
    ]
)
TRANSCRIPT_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=30).map("".join)
TRANSCRIPT_BYTES = st.one_of(
    st.binary(max_size=600),
    TRANSCRIPT_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
    TRANSCRIPT_TEXT.map(lambda t: t.encode("utf-16", "surrogatepass")),
)


@st.composite
def damaged_docx(draw: st.DrawFn) -> bytes:
    """A valid small .docx with a few bytes overwritten, cut short, or its XML replaced."""
    kind = draw(st.sampled_from(["flip", "cut", "xml"]))
    if kind == "xml":
        return docx(draw(TRANSCRIPT_TEXT).encode("utf-8", "surrogatepass"))
    data = bytearray(GOOD_DOCX)
    if kind == "cut":
        return bytes(data[: draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_read_transcripts_raises_only_qualmine_errors(tmp_path: Path, extension: str) -> None:
    strategy = TRANSCRIPT_BYTES
    if extension == ".docx":
        strategy = st.one_of(TRANSCRIPT_BYTES, damaged_docx())
    path = tmp_path / f"fuzzed{extension}"

    @FUZZ
    @given(data=strategy)
    def check(data: bytes) -> None:
        path.write_bytes(data)
        with contextlib.suppress(QualmineError):
            read_transcripts(path, max_chars=5_000)

    check()


_YAML_PIECES = st.sampled_from(
    [
        "format_version: 1\n",
        "format_version: 2\n",
        "name: x\n",
        "codes:\n",
        "  - id: trust\n",
        "    name: Trust\n",
        "    definition: d\n",
        "    keywords: [a, b]\n",
        '    regex: ["(a"]\n',
        "    regex: [a+]\n",
        "    patterns: [[{LOWER: a}]]\n",
        "    parent: trust\n",
        "    children:\n",
        "      - id: trust.a\n",
        "    examples: [x, y]\n",
        "    stance: pro\n",
        "changelog:\n",
        "  - {date: 2020-01-01, change: x}\n",
        "- ",
        ": ",
        "{",
        "}",
        "[",
        "]",
        "&a ",
        "*a ",
        "!!python/object ",
        "? ",
        "|\n",
        "'",
        '"',
        "\t",
        "  ",
        "\n",
        "~",
        "1e9",
        "null",
    ]
)
YAMLISH = st.lists(st.one_of(_YAML_PIECES, st.text(max_size=8)), max_size=40).map("".join)


def test_load_codebook_raises_only_qualmine_errors(tmp_path: Path) -> None:
    path = tmp_path / "fuzzed.yaml"

    @FUZZ
    @given(text=YAMLISH)
    def check(text: str) -> None:
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        with contextlib.suppress(QualmineError):
            load_codebook(path)

    check()


_CELL = st.one_of(
    st.sampled_from(["D1", "D2", "D9", "", "0", "12", "-3", "99999", "1e3", "trust", "alice"]),
    st.sampled_from(["accepted", "suggested", "done", "orphaned", "nonsense"]),
    st.sampled_from(["I trust people I have met.", "Interviewer:", "  ", "a,b", 'say "x"']),
    st.text(max_size=10),
)
_HEADER = st.one_of(
    st.just(list(COLUMNS)),
    st.permutations(list(COLUMNS)),
    st.lists(st.sampled_from([*COLUMNS, "extra", ""]), max_size=10),
)


@st.composite
def codings_csv(draw: st.DrawFn) -> bytes:
    header = draw(_HEADER)
    rows = draw(st.lists(st.lists(_CELL, max_size=len(header) + 2), max_size=6))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    if draw(st.booleans()):
        # Break the quoting somewhere: an unmatched quote or a cut in the middle.
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(['"', '""', "\n", "\r", ",", ""])) + text[at:]
    return text.encode("utf-8", "surrogatepass")


def test_codings_import_raises_only_qualmine_errors(tmp_path: Path) -> None:
    from small_project import make_small_project

    project = find_project(explicit=make_small_project(tmp_path / "p"))
    path = tmp_path / "fuzzed.csv"

    @FUZZ
    @given(data=codings_csv())
    def check(data: bytes) -> None:
        path.write_bytes(data)
        with contextlib.suppress(QualmineError):
            import_codings(project, path, actor="fuzz")

    check()


@st.composite
def participants_csv(draw: st.DrawFn) -> bytes:
    header = draw(
        st.lists(st.sampled_from(["case", "id", "age_band", "country", "", "x"]), max_size=5)
    )
    rows = draw(st.lists(st.lists(_CELL, max_size=len(header) + 2), max_size=5))
    text = "\n".join(",".join(r) for r in [header, *rows])
    cut = draw(st.integers(0, len(text)))
    text = text[:cut] + draw(st.sampled_from(['"', "\r", "\r\n", ",", ""])) + text[cut:]
    return text.encode("utf-8", "surrogatepass")


def test_participants_csv_raises_only_qualmine_errors(tmp_path: Path) -> None:
    from qualmine.project.importer import read_attributes

    path = tmp_path / "participants.csv"

    @FUZZ
    @given(data=participants_csv())
    def check(data: bytes) -> None:
        path.write_bytes(data)
        with contextlib.suppress(QualmineError):
            read_attributes(path)

    check()


def test_the_docx_fuzzer_starts_from_a_readable_word_file(tmp_path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(GOOD_DOCX)) as archive:
        assert "word/document.xml" in archive.namelist()
    path = tmp_path / "good.docx"
    path.write_bytes(GOOD_DOCX)
    assert [t.speaker for t in read_transcripts(path)[0].turns] == ["Interviewer", "Anna"]
