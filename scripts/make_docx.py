"""Build the .docx example transcripts from their Markdown sources.

Each source in ``scripts/docx_sources/<case>.md`` starts with YAML front matter
(notice, case, title, date, interviewer, participant), followed by the turns,
one per block, separated by blank lines, each written ``Speaker Name: text``.
The script writes ``transcripts/<case>.docx``: one paragraph per turn, whose
first run is the speaker label in bold, followed by ``": "`` and the text. The
front matter goes into the document's core properties only.

The output is reproducible: the core-property dates are the interview date and
every member of the zip package carries that same timestamp.

Usage (from the repository root)::

    .venv/bin/python scripts/make_docx.py          # every source
    .venv/bin/python scripts/make_docx.py P07      # selected cases
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml
from docx import Document
from docx.shared import Pt

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "scripts" / "docx_sources"
OUTPUT = ROOT / "transcripts"

SUBJECT = "qualmine example study"
CATEGORY = "Interview transcript"
REQUIRED = ("notice", "case", "title", "date", "interviewer", "participant")


def read_source(path: Path) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Return the front matter and the (speaker, text) turns of a source file."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError(f"{path}: missing YAML front matter")
    head, sep, body = text[4:].partition("\n---\n")
    if not sep:
        raise ValueError(f"{path}: unterminated YAML front matter")
    meta = yaml.safe_load(head)
    missing = [key for key in REQUIRED if key not in meta]
    if missing:
        raise ValueError(f"{path}: front matter lacks {', '.join(missing)}")

    speakers = (str(meta["interviewer"]), str(meta["participant"]))
    turns: list[tuple[str, str]] = []
    for block in body.strip().split("\n\n"):
        block = " ".join(block.split())
        if not block:
            continue
        for speaker in speakers:
            prefix = speaker + ": "
            if block.startswith(prefix):
                turns.append((speaker, block[len(prefix):]))
                break
        else:
            raise ValueError(f"{path}: turn without a known speaker label: {block[:60]!r}")
    return meta, turns


def interview_datetime(value: Any) -> dt.datetime:
    """The interview date as a midnight datetime (used for all timestamps)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return dt.datetime.strptime(str(value), "%Y-%m-%d")


def build_document(meta: dict[str, Any], turns: list[tuple[str, str]]) -> bytes:
    when = interview_datetime(meta["date"])
    document = Document()

    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    style.paragraph_format.space_after = Pt(8)

    props = document.core_properties
    props.title = str(meta["title"])
    props.author = str(meta["interviewer"])
    props.last_modified_by = str(meta["interviewer"])
    props.subject = SUBJECT
    props.comments = str(meta["notice"])
    props.keywords = "; ".join(
        [str(meta["case"]), "interview transcript", "professional networks", "decision-making",
         str(when.year)]
    )
    props.category = CATEGORY
    props.identifier = str(meta["case"])
    props.language = "en"
    props.revision = 1
    props.created = when
    props.modified = when

    for speaker, text in turns:
        paragraph = document.add_paragraph()
        label = paragraph.add_run(speaker)
        label.bold = True
        paragraph.add_run(": " + text)

    raw = io.BytesIO()
    document.save(raw)
    return normalise_zip(raw.getvalue(), when)


def normalise_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite the package with fixed member timestamps so builds are byte-identical."""
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="case ids such as P07 (default: all sources)")
    args = parser.parse_args(argv)

    if args.cases:
        paths = [SOURCES / f"{case}.md" for case in args.cases]
    else:
        paths = sorted(SOURCES.glob("*.md"))
    if not paths:
        print(f"no sources in {SOURCES}", file=sys.stderr)
        return 1

    for path in paths:
        meta, turns = read_source(path)
        target = OUTPUT / f"{meta['case']}.docx"
        target.write_bytes(build_document(meta, turns))
        print(f"{target.relative_to(ROOT)}: {len(turns)} turns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
