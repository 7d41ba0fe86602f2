"""Bad input gives one InputFileError, one line long, naming the file; nothing else escapes."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

from qualmine.errors import InputFileError
from qualmine.parsing import decode_bytes, read_transcripts


def _error(path: Path, **kwargs: object) -> str:
    with pytest.raises(InputFileError) as caught:
        read_transcripts(path, **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    word = docx.Document()
    word.add_paragraph("Interviewer: Hello?")
    word.add_paragraph("Participant: Hi.")
    word.save(buffer)
    return buffer.getvalue()


def _rezip(data: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """A copy of a zip archive with members changed (None drops a member)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = change(info.filename, source.read(info))
            if content is not None:
                target.writestr(info.filename, content)
    return out.getvalue()


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in _error(tmp_path / "absent.txt")


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert "not a file" in _error(folder)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "the file is empty"),
        (b" \n\t\r\n  \n", "only white space"),
        (b"\xef\xbb\xbf", "the file is empty"),
    ],
)
def test_empty_and_blank_files(tmp_path: Path, data: bytes, problem: str) -> None:
    assert problem in _error(_write(tmp_path, "blank.txt", data))


def test_binary_file_renamed_txt(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256))
    assert "binary file" in _error(_write(tmp_path, "image.txt", png))


def test_text_full_of_control_characters_is_binary(tmp_path: Path) -> None:
    data = ("Q: hi\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" * 3).encode()
    assert "binary file" in _error(_write(tmp_path, "controls.txt", data))


def test_unknown_extension_lists_the_known_ones(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "notes.pdf", b"%PDF-1.4"))
    assert "unknown file type ('.pdf')" in message
    assert "known types: .csv, .docx, .md, .srt, .txt, .vtt" in message
    assert "no extension" in _error(_write(tmp_path, "README", b"text"))


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b"\x81\x8d\x8f\x01 Q: hi", 0),
        (b"Q: hello \x81\x8d\x8f world\n", 9),
        (b"Q: caf\xc3\xa9 \x90\x02 bad", 9),
    ],
)
def test_undecodable_bytes_name_the_offset(tmp_path: Path, data: bytes, offset: int) -> None:
    message = _error(_write(tmp_path, "bad.txt", data))
    assert f"at offset {offset} is not UTF-8" in message


def test_undecodable_with_nul_is_binary(tmp_path: Path) -> None:
    assert "NUL byte at offset 3" in _error(_write(tmp_path, "nul.txt", b"\x81\x8d\x8f\x00"))


def test_bad_utf16_after_its_bom(tmp_path: Path) -> None:
    data = b"\xff\xfe" + "Q: hi".encode("utf-16-le") + b"\x00\xdc"
    assert "not valid UTF-16" in _error(_write(tmp_path, "bad16.txt", data))


def test_decode_bytes_directly() -> None:
    assert decode_bytes("café".encode(), "x") == ("café", "utf-8")
    assert decode_bytes(b"caf\xe9", "x") == ("café", "cp1252")
    with pytest.raises(InputFileError, match="offset 1"):
        decode_bytes(b"a\x81\x0b", "x")


def test_over_max_chars(tmp_path: Path) -> None:
    path = _write(tmp_path, "long.txt", ("Q: " + "word " * 40).encode())
    assert "203 characters, over the --max-chars limit of 100" in _error(path, max_chars=100)
    big = _write(tmp_path, "big.txt", b"x" * 1000)
    assert "at least 250 characters, over the --max-chars limit of 10" in _error(big, max_chars=10)


def test_docx_over_max_chars(tmp_path: Path) -> None:
    path = _write(tmp_path, "long.docx", _docx_bytes())
    assert "over the --max-chars limit of 10" in _error(path, max_chars=10)


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda: b"this is not a zip archive at all", "corrupt .docx file"),
        (lambda: _docx_bytes()[:600], "corrupt .docx file"),
        (
            lambda: _rezip(_docx_bytes(), lambda n, c: None if n == "word/document.xml" else c),
            "word/document.xml is missing",
        ),
        (
            lambda: _rezip(
                _docx_bytes(), lambda n, c: b"<w:document><broken" if n.endswith("t.xml") else c
            ),
            "corrupt .docx file",
        ),
    ],
)
def test_corrupt_docx(tmp_path: Path, make: Callable[[], bytes], problem: str) -> None:
    assert problem in _error(_write(tmp_path, "broken.docx", make()))


def test_zip_bomb_docx_is_refused(tmp_path: Path) -> None:
    data = _rezip(_docx_bytes(), lambda n, c: c)
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/padding.bin", b"\x00" * (20 * 1024 * 1024))
    message = _error(_write(tmp_path, "bomb.docx", out.getvalue()))
    assert "zip bomb" in message


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("open.md", "---\ntitle: x\nQ: hi\n", "front matter opened on line 1 is never closed"),
        ("yaml.md", "---\ntitle: x\nroles: [a\n---\nQ: hi\n", "front matter line "),
        ("list.md", "---\n- a\n- b\n---\nQ: hi\n", "front matter on line 2 is not a mapping"),
        ("role.md", "---\nroles: {Ann: boss}\n---\nAnn: hi\n", "unknown role 'boss'"),
        ("attrs.md", "---\nattributes: {x: 1}\n---\n" + "Ann: hi?\nBo: a\nCy: b\n" * 2, "2 cases"),
        ("case.md", "---\ncase: P1\n---\n" + "Q: hi?\nAnn: a\nBo: b\n" * 2, "2 participant"),
        (
            "cases.md",
            "---\ncases: {Ann Lea: P1}\n---\nQ: hi?\nAnn Lee: a\n",
            "no speaker 'Ann Lea'",
        ),
        ("cue.vtt", "WEBVTT\n\nno timing here\njust text\n", "line 3: a cue without a timing"),
        ("head.vtt", "00:00:01.000 --> 00:00:02.000\nhi\n", "must start with WEBVTT"),
        ("cue.srt", "1\nnot a time\nhello\n", "line 1: a cue without a timing"),
    ],
)
def test_malformed_structure_names_the_place(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    assert problem in _error(_write(tmp_path, name, content.encode()))


def test_yaml_alias_bomb_and_deep_nesting_are_refused(tmp_path: Path) -> None:
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n"
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        bomb += f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    bomb += "---\nQ: hi\n"
    message = _error(_write(tmp_path, "bomb.md", bomb.encode()))
    assert "front matter line 3: YAML aliases (*name) are not allowed" in message
    deep = "---\na: " + "[" * 5000 + "]" * 5000 + "\n---\nQ: hi\n"
    assert "nested too deeply" in _error(_write(tmp_path, "deep.md", deep.encode()))


def test_bad_roles_argument(tmp_path: Path) -> None:
    path = _write(tmp_path, "ok.txt", b"Q: hi\nA: yo\n")
    assert "unknown role 'chief'" in _error(path, roles={"Q": "chief"})


def test_bad_sidecar_names_the_sidecar(tmp_path: Path) -> None:
    path = _write(tmp_path, "talk.srt", b"1\n00:00:01,000 --> 00:00:02,000\nA: hi\n")
    sidecar = _write(tmp_path, "talk.srt.yaml", b"title: [unclosed\n")
    with pytest.raises(InputFileError) as caught:
        read_transcripts(path)
    assert str(caught.value).startswith(f"{sidecar}: line ")


_PIECES = [
    "Interviewer:", "A:", "Q:", "User:", "**Bob**", "**Ann Lee:**", "[00:01:23] Ann:",
    "Ann Lee (1:02:03):", "Bo [00:00:01]:", "Note:", "---", "# title", "title: x", "roles:",
    "{Ann: interviewer}", "cases: {Ann: P1}", "case: P2", "\n", "\n\n", " ", "\t", "text",
    "why?", "é", "\r\n", "\r", "\u2028", "[laughs]", "(pause)", ":", "**", "WEBVTT",
    "00:00:01.000 --> 00:00:02.000", "<v Ann>", "</v>", "NOTE", "1", '"', ",", "id,text",
]  # fmt: skip


@pytest.mark.parametrize("suffix", [".txt", ".md", ".vtt", ".srt", ".csv"])
def test_random_label_soup_only_raises_input_file_error(tmp_path: Path, suffix: str) -> None:
    generator = random.Random(f"qualmine-{suffix}")
    for attempt in range(120):
        words = generator.choices(_PIECES, k=generator.randint(0, 40))
        text = "".join(w + generator.choice(["", " ", "\n"]) for w in words)
        path = _write(tmp_path, f"soup{attempt}{suffix}", text.encode())
        try:
            documents = read_transcripts(path)
        except InputFileError as error:
            assert "\n" not in str(error)
            continue
        for document in documents:
            for turn in document.turns:
                assert 0 <= turn.start < turn.end <= len(document.text), (text, turn)
                speech = document.text[turn.start : turn.end]
                assert speech == speech.strip() and speech, (text, turn)
                assert turn.speaker_role in ("interviewer", "participant")
