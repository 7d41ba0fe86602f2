"""CSV files of transcripts: the 250 Anthropic Interviewer transcripts and a small fixture."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qualmine.errors import InputFileError
from qualmine.models import ParsedDocument
from qualmine.parsing import read_transcripts

ANTHROPIC = Path(__file__).parent / "data" / "anthropic-interviewer"
FIXTURES = Path(__file__).parent / "data" / "transcripts"
LABEL_AT_LINE_START = re.compile(r"^\s*(?:Assistant|AI|User)\s*:", re.MULTILINE)


@pytest.fixture(scope="module")
def interviews() -> list[ParsedDocument]:
    documents = []
    for name in ("creatives_transcripts.csv", "scientists_transcripts.csv"):
        documents.extend(read_transcripts(ANTHROPIC / name))
    return documents


def test_all_250_transcripts_are_imported(interviews: list[ParsedDocument]) -> None:
    assert len(interviews) == 250
    assert len({d.name for d in interviews}) == 250
    assert interviews[0].name == "creativity_0000"
    assert all(d.source.endswith(".csv") for d in interviews)


def test_every_transcript_has_interviewer_and_participant_turns(
    interviews: list[ParsedDocument],
) -> None:
    for document in interviews:
        roles = {t.speaker_role for t in document.turns}
        assert roles == {"interviewer", "participant"}, document.name


def test_roles_follow_the_labels(interviews: list[ParsedDocument]) -> None:
    for document in interviews:
        for turn in document.turns:
            assert turn.speaker in ("Assistant", "AI", "User"), (document.name, turn.speaker)
            if turn.speaker in ("Assistant", "AI"):
                assert turn.speaker_role == "interviewer", (document.name, turn.index)
                assert turn.case is None
            else:
                assert turn.speaker_role == "participant", (document.name, turn.index)
                # A bare "User" is a different person in every interview.
                assert turn.case == document.name


def test_labels_never_leak_into_turn_text(interviews: list[ParsedDocument]) -> None:
    for document in interviews:
        for turn in document.turns:
            speech = document.text[turn.start : turn.end]
            assert speech and speech == speech.strip()
            assert not LABEL_AT_LINE_START.search(speech), (document.name, turn.index)


def test_headings_with_colons_inside_answers_stay_in_the_answer(
    interviews: list[ParsedDocument],
) -> None:
    found = [
        (d, t) for d in interviews for t in d.turns if "Initial Steps:\n" in d.text[t.start : t.end]
    ]
    assert len(found) == 1
    document, turn = found[0]
    assert turn.speaker == "User"
    assert "Addressing Anomalies:\n" in document.text[turn.start : turn.end]


def test_columns_become_metadata_and_case_attributes() -> None:
    first, second = read_transcripts(FIXTURES / "transcripts.csv")
    assert first.name == "T01" and second.name == "T02"
    assert first.metadata == {"site": "north", "age_band": "30-39"}
    assert first.case_attributes == {"T01": {"site": "north", "age_band": "30-39"}}
    assert [t.speaker_role for t in first.turns] == ["interviewer", "participant"]
    # Row 2 carries front matter naming the interviewer.
    assert second.metadata["interviewer"] == "Kim Lowe"
    roles = {t.speaker: t.speaker_role for t in second.turns}
    assert roles == {"Kim Lowe": "interviewer", "Ravi Shah": "participant"}
    assert second.case_attributes == {"Ravi Shah": {"site": "south", "age_band": "50-59"}}


def _write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "table.csv"
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("id,notes\n1,hello\n", "line 1: no transcript column among: id, notes"),
        ('id,text\n1,"Q: hi\nA: yo"\n1,"Q: again"\n', "line 4: id '1' already used on line 2"),
        ("id,text\n1,\n", "line 2 (id 1): the transcript text is empty"),
        ('id,text\n,"Q: hi"\n', "line 2: the id is empty"),
        ('id,text\n1,"Q: hi",extra\n', "line 2: 3 fields, but the header has 2"),
        ('id,text\n1,"---\nroles: [\n---\nQ: hi"\n', "line 2 (id 1): front matter line 3"),
    ],
)
def test_bad_tables_name_the_line(tmp_path: Path, content: str, problem: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(InputFileError) as caught:
        read_transcripts(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert problem in message


def test_without_an_id_column_rows_are_numbered(tmp_path: Path) -> None:
    path = _write(tmp_path, 'transcript;site\n"Q: hi\nA: hello";x\n"Q: bye\nA: ok";y\n')
    documents = read_transcripts(path)
    assert [d.name for d in documents] == ["table-1", "table-2"]
    assert documents[1].metadata == {"site": "y"}
