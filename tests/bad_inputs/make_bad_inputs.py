"""Write the binary bad inputs of this corpus into a folder.

The text bad inputs are committed beside this script; the binary ones (Word files, zip
bombs, REFI-QDA archives, undecodable bytes) are made here so that every byte of them can
be read in one place. Each file is small except the zip bomb, which packs 64 MiB of zeros
into about 64 KiB.

Usage: python tests/bad_inputs/make_bad_inputs.py DIR
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

_STAMP = (2020, 1, 1, 0, 0, 0)
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _body(paragraphs: str) -> str:
    return f'<w:document xmlns:w="{_W}"><w:body>{paragraphs}</w:body></w:document>'


def _para(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


GOOD_DOCUMENT = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + _body(
    _para("Interviewer: How do you decide?") + _para("Anna: I ask my colleagues.")
)
ENTITY_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE w:document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    + _body(_para("Interviewer: What is in the file?") + _para("Anna: &secret;"))
)
LAUGHS_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE w:document [\n<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    + "]>\n"
    + _body(_para("Interviewer: Hello?") + _para("Anna: &lol9;"))
)


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=_STAMP), data)
    return out.getvalue()


def docx(document_xml: str | bytes) -> bytes:
    """A minimal Word file whose main part is ``document_xml``."""
    body = document_xml.encode() if isinstance(document_xml, str) else document_xml
    return _zip(
        [
            ("[Content_Types].xml", _CONTENT_TYPES.encode()),
            ("_rels/.rels", _RELS.encode()),
            ("word/document.xml", body),
        ]
    )


def zip_bomb_docx() -> bytes:
    """A .docx whose document.xml unpacks from about 64 KiB to 64 MiB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        with archive.open("word/document.xml", "w") as stream:
            chunk = b"\0" * 2**20
            for _ in range(64):
                stream.write(chunk)
    return out.getvalue()


_QDE_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'
_GUID = "0a0f2b64-5d1a-4c11-9a1e-7e5b0e1c2d3f"
_PROJECT = (
    f'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources><TextSource guid="{_GUID}" '
    f'name="S" plainTextPath="internal://{_GUID}.txt"/></Sources></Project>'
)
_SOURCE = (f"sources/{_GUID}.txt", b"Interviewer: Hi?\nAnna: Hello.\n")
_XXE_PROJECT = (
    _QDE_HEAD + '<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    '<Project xmlns="urn:QDA-XML:project:1.0" name="&secret;"/>'
)
_XXE_CODEBOOK = (
    _QDE_HEAD + '<!DOCTYPE CodeBook [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="x"><Codes>'
    '<Code guid="7b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d" name="&secret;" isCodable="true"/>'
    "</Codes></CodeBook>"
)


def binary_files() -> dict[str, Callable[[], bytes]]:
    """Each binary bad input by file name, with the function that makes its bytes."""
    good = docx(GOOD_DOCUMENT)
    return {
        "binary-renamed.txt": lambda: (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
        ),
        "invalid-utf8.txt": lambda: (
            b"Interviewer: Where did you work?\nAnna: In the caf\xc3 \x81 \x90 downtown.\n"
        ),
        "bad-utf16.txt": lambda: b"\xff\xfeI\x00n\x00\x00\xd8t\x00",
        "too-long.txt": lambda: b"Interviewer: Tell me.\nAnna: " + b"word " * 400 + b"\n",
        "not-a-zip.docx": lambda: b"Interviewer: this was saved as text, not Word.\n",
        "truncated.docx": lambda: good[: len(good) // 2],
        "corrupt-xml.docx": lambda: docx(GOOD_DOCUMENT[:-40]),
        "no-document-part.docx": lambda: _zip([("word/styles.xml", b"<styles/>")]),
        "zip-bomb.docx": zip_bomb_docx,
        "external-entity.docx": lambda: docx(ENTITY_DOCUMENT),
        "billion-laughs.docx": lambda: docx(LAUGHS_DOCUMENT),
        "external-entity.qdpx": lambda: _zip([("project.qde", _XXE_PROJECT.encode())]),
        "dot-dot-entry.qdpx": lambda: _zip(
            [
                ("project.qde", (_QDE_HEAD + _PROJECT).encode()),
                _SOURCE,
                ("../../escaped.txt", b"outside"),
            ]
        ),
        "external-entity.qdc": lambda: _XXE_CODEBOOK.encode(),
    }


def make_all(folder: Path) -> dict[str, Path]:
    """Write every binary bad input into ``folder``; returns their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, make in binary_files().items():
        path = folder / name
        path.write_bytes(make())
        written[name] = path
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    for path in make_all(Path(sys.argv[1])).values():
        print(path)
