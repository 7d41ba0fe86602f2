"""A small real project (three transcripts, three codes) that several test files share."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from qualmine.cli import cli
from qualmine.models import Coding
from qualmine.project.config import find_project
from qualmine.storage import transaction
from qualmine.storage.codings import add_codings
from qualmine.storage.documents import all_documents, document_segments

SMALL = Path(__file__).parent / "data" / "small"


def make_small_project(folder: Path) -> Path:
    """Init a project in ``folder`` and import the three small transcripts."""
    runner = CliRunner()
    runner.invoke(cli, ["init", str(folder)], catch_exceptions=False)
    for name in ("codebook.yaml", "D1.txt", "D2.txt", "D3.txt", "participants.csv"):
        target = folder / ("transcripts" if name.endswith(".txt") else "") / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SMALL / name, target)
    (folder / "qualmine.toml").write_text(
        '[project]\nname = "small"\nseed = 7\ntranscripts = ["transcripts"]\n'
        'participants = "participants.csv"\ncodebook = "codebook.yaml"\n'
    )
    result = runner.invoke(
        cli,
        ["--project", str(folder), "import", str(folder / "transcripts")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return folder


def add_keyword_suggestions(folder: Path, coder: str = "auto:rules") -> list[int]:
    """Suggest each code on the participant segments that contain one of its keywords."""
    words = {
        "trust": ("trust", "rely"),
        "peers": ("peer", "colleague", "group"),
        "mobile": ("phone", "blackberry"),
    }
    project = find_project(explicit=folder)
    suggestions = []
    with project.session() as conn:
        for doc in all_documents(conn):
            for seg in document_segments(conn, doc.id):
                if seg.speaker_role != "participant":
                    continue
                text = doc.text[seg.start : seg.end]
                for code, keys in words.items():
                    hits = [k for k in keys if k in text.lower()]
                    if hits:
                        suggestions.append(
                            Coding(
                                0,
                                doc.id,
                                seg.start,
                                seg.end,
                                text,
                                code,
                                coder,
                                "suggested",
                                score=round(0.5 + 0.1 * len(text) % 0.5, 3),
                                evidence="keywords: " + ", ".join(hits),
                            )
                        )
        with transaction(conn):
            return add_codings(conn, suggestions)
