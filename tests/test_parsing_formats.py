"""Each supported file shape: labels, time codes, roles, cases, metadata, encodings.

Text fixtures live in tests/data/transcripts/; Word files and non-UTF-8 encodings are
written here into tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from qualmine.models import ParsedDocument
from qualmine.parsing import READERS, read_transcripts

FIXTURES = Path(__file__).parent / "data" / "transcripts"


def _one(path: Path, **kwargs: object) -> ParsedDocument:
    documents = read_transcripts(path, **kwargs)  # type: ignore[arg-type]
    assert len(documents) == 1
    document = documents[0]
    for turn in document.turns:
        speech = document.text[turn.start : turn.end]
        assert speech and speech == speech.strip(), (path.name, turn)
    return document


def _table(document: ParsedDocument) -> list[tuple[str, str, str | None, str | None, str]]:
    return [
        (t.speaker, t.speaker_role, t.case, t.timestamp, document.text[t.start : t.end])
        for t in document.turns
    ]


def test_registry_lists_every_format() -> None:
    assert sorted(READERS) == [".csv", ".docx", ".md", ".srt", ".txt", ".vtt"]


def test_vtt_voice_tags_merge_cues_of_one_speaker() -> None:
    document = _one(FIXTURES / "voice_tags.vtt")
    assert _table(document) == [
        (
            "Dana Whitfield",
            "interviewer",
            None,
            "00:00:01",
            "Thanks for joining me today. How did you first start using the scheduling tool?",
        ),
        (
            "Marcus Bell",
            "participant",
            "Marcus Bell",
            "00:00:08",
            "Honestly, my manager made us use it. At first I hated it & then it grew on me.",
        ),
        ("Dana Whitfield", "interviewer", None, "00:01:02", "What changed?"),
    ]
    assert document.text.startswith("Dana Whitfield: Thanks for joining me today.")
    assert document.metadata == {
        "title": "Interview 7, voice tags",
        "interviewer": "Dana Whitfield",
        "notes": "Recorded over video call; audio drops once.",
    }


def test_vtt_speaker_prefixes_and_note_blocks() -> None:
    document = _one(FIXTURES / "speaker_prefix.vtt")
    assert [(s, r, c, ts) for s, r, c, ts, _ in _table(document)] == [
        ("Moderator", "interviewer", None, "00:00:00"),
        ("Priya Natarajan", "participant", "FG2", "00:00:03"),
        ("Moderator", "interviewer", None, "00:00:12"),
        ("Priya Natarajan", "participant", "FG2", "00:00:15"),
    ]
    priya = document.turns[1]
    # A cue without a prefix continues the speaker; inline tags are stripped.
    assert document.text[priya.start : priya.end] == (
        "I'm Priya, I work in logistics. Mostly from home these days. and I like it that way."
    )
    assert document.metadata["title"] == "Focus group on remote work"
    assert document.metadata["date"] == "2024-03-14"
    assert document.metadata["notes"] == (
        "This note is free text and has no key.\nanother note block"
    )
    assert "intro-cue" not in document.text


def test_srt_with_sidecar_metadata() -> None:
    document = _one(FIXTURES / "interview.srt")
    assert [(s, r, c, ts) for s, r, c, ts, _ in _table(document)] == [
        ("Interviewer", "interviewer", None, "00:00:00"),
        ("Respondent", "participant", "P03", "00:00:03"),
        ("Interviewer", "interviewer", None, "00:00:09"),
        ("Respondent", "participant", "P03", "00:00:11"),
    ]
    second = document.turns[1]
    assert document.text[second.start : second.end] == (
        "I started at a bakery when I was sixteen. Early mornings, every day."
    )
    assert document.metadata["title"] == "First jobs study, interview 3"
    assert document.case_attributes == {"P03": {"age_band": "30-39", "country": "Ireland"}}


def test_srt_meta_yaml_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "talk.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\nA: Hello.\n", encoding="utf-8")
    (tmp_path / "talk.meta.yaml").write_text("site: Leeds\n", encoding="utf-8")
    assert _one(path).metadata == {"site": "Leeds"}


def test_markdown_front_matter_roles_cases_attributes_and_bold_labels() -> None:
    document = _one(FIXTURES / "front_matter.md")
    assert [(s, r, c) for s, r, c, _, _ in _table(document)] == [
        ("Sam Okafor", "interviewer", None),
        ("Lena Fischer", "participant", "P12"),
        ("Sam Okafor", "interviewer", None),
        ("Lena Fischer", "participant", "P12"),
    ]
    lena = document.turns[1]
    assert document.text[lena.start : lena.end] == (
        "I had worked in other people's kitchens for fifteen years.\nI wanted my own menu."
    )
    assert document.metadata["title"] == "Café owners, interview 12"
    assert document.metadata["date"] == "2023-11-02"
    assert document.metadata["header"] == "Café owners study"
    assert document.case_attributes == {"P12": {"age_band": "40-49", "position": "owner"}}
    assert not document.text.startswith("---")


def test_roles_argument_overrides_everything() -> None:
    document = _one(FIXTURES / "front_matter.md", roles={"Lena Fischer": "interviewer"})
    assert {t.speaker: t.speaker_role for t in document.turns} == {
        "Sam Okafor": "interviewer",
        "Lena Fischer": "interviewer",
    }


def test_two_interviewees_and_one_interviewer() -> None:
    document = _one(FIXTURES / "two_interviewees.txt")
    roles = {t.speaker: (t.speaker_role, t.case) for t in document.turns}
    assert roles == {
        "Amira Haddad": ("interviewer", None),
        "Rosa Delgado": ("participant", "Rosa Delgado"),
        "Tom Hughes": ("participant", "Tom Hughes"),
    }
    assert len(document.turns) == 8
    rosa = document.turns[4]
    assert document.text[rosa.start : rosa.end].endswith("Note: we also share seeds every spring.")


def test_title_line_names_the_interviewee_who_speaks_first() -> None:
    document = _one(FIXTURES / "named_header.txt")
    roles = {t.speaker: t.speaker_role for t in document.turns}
    assert roles == {"Gwen Ashby": "participant", "Paul Ferreira": "interviewer"}


def test_header_naming_the_interviewer_is_not_a_title(tmp_path: Path) -> None:
    path = tmp_path / "header.txt"
    path.write_text(
        "# Interviewer: Ann Lee\n\nBo Chen: Shall I start?\n\nAnn Lee: Please.\n\n"
        "Bo Chen: I grew up here.\n\nAnn Lee: Where exactly?\n",
        encoding="utf-8",
    )
    roles = {t.speaker: t.speaker_role for t in _one(path).turns}
    assert roles == {"Ann Lee": "interviewer", "Bo Chen": "participant"}


def test_prose_colons_inside_turns_are_not_labels() -> None:
    document = _one(FIXTURES / "prose_colons.txt")
    assert [t.speaker for t in document.turns] == [
        "Helen Park",
        "Omar Siddiqui",
        "Helen Park",
        "Omar Siddiqui",
    ]
    omar = document.turns[1]
    speech = document.text[omar.start : omar.end]
    assert "Initial Steps:\n" in speech and "Important: none" in speech


@pytest.mark.parametrize(
    "name", ["timestamps_before.txt", "timestamps_round.txt", "timestamps_square.txt"]
)
def test_timestamped_label_shapes(name: str) -> None:
    document = _one(FIXTURES / name)
    rows = _table(document)
    assert [(s, r) for s, r, _, _, _ in rows] == [
        ("Interviewer", "interviewer"),
        ("Joan Maddox", "participant"),
    ] * 2
    assert rows[0][3] == "00:00:05" and rows[2][3] == "00:01:23"
    assert rows[1][4] == "In 1998, for a job at the port."


def test_question_and_answer_labels() -> None:
    document = _one(FIXTURES / "question_answer.txt")
    rows = _table(document)
    assert [(s, r) for s, r, _, _, _ in rows] == [("Q", "interviewer"), ("A", "participant")] * 2
    assert rows[3][2] == "question_answer"
    assert rows[3][4] == "Six years.\nMost of them on this ward."


def test_text_without_labels_is_one_participant_turn() -> None:
    document = _one(FIXTURES / "monologue.txt")
    assert len(document.turns) == 1
    assert document.turns[0].speaker == ""
    assert document.turns[0].speaker_role == "participant"
    assert document.metadata["header"] == "Field note, site visit 3"


def test_case_from_front_matter_for_the_single_participant(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text(
        "---\ncase: P07\nattributes: {age_band: 20-29}\n---\nQ: Hi?\nA: Hello.\n",
        encoding="utf-8",
    )
    document = _one(path)
    assert [t.case for t in document.turns] == [None, "P07"]
    assert document.case_attributes == {"P07": {"age_band": "20-29"}}


def test_first_speaker_who_asks_questions_is_the_interviewer(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text(
        "Ann: Where did you grow up?\n\nBo: In Hull.\n\nAnn: And school?\n\nBo: Also Hull.\n"
        "Ann: Why did you leave?\n\nBo: Work.\n",
        encoding="utf-8",
    )
    roles = {t.speaker: t.speaker_role for t in _one(path).turns}
    assert roles == {"Ann": "interviewer", "Bo": "participant"}


def test_crlf_and_nfc_are_normalized(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes("Q: Cafe\u0301?\r\nA: Oui.\rMerci.\r\n".encode())
    document = _one(path)
    assert document.text == "Q: Café?\nA: Oui.\nMerci.\n"
    assert document.text[document.turns[1].start : document.turns[1].end] == "Oui.\nMerci."


@pytest.mark.parametrize(
    ("encode", "encoding"),
    [
        (lambda s: "\ufeff".encode("utf-16-le") + s.encode("utf-16-le"), "utf-16-le"),
        (lambda s: "\ufeff".encode("utf-16-be") + s.encode("utf-16-be"), "utf-16-be"),
        (lambda s: "\ufeff".encode() + s.encode(), "utf-8-sig"),
        (lambda s: s.encode("cp1252"), "cp1252"),
    ],
)
def test_encodings(tmp_path: Path, encode: object, encoding: str) -> None:
    text = "Interviewer: Was it a café – or a bar?\nRespondent: A café, naïvely “modern”.\n"
    path = tmp_path / "encoded.txt"
    path.write_bytes(encode(text))  # type: ignore[operator]
    document = _one(path)
    assert document.encoding == encoding
    assert document.text == text
    assert [t.speaker_role for t in document.turns] == ["interviewer", "participant"]


def test_cp1252_bytes_decode(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(b"Q: caf\xe9 \x96 na\xefve?\nA: Oui.\n")
    document = _one(path)
    assert document.encoding == "cp1252"
    assert "café – naïve" in document.text


def _word_file(path: Path) -> Path:
    word = docx.Document()
    props = word.core_properties
    props.title, props.author, props.subject = "Warehouse study 4", "Field team", "Shift work"
    props.comments, props.keywords, props.category = "Second visit", "shifts; rota", "interview"
    word.add_heading("Warehouse study", level=1)
    paragraph = word.add_paragraph()
    paragraph.add_run("Interviewer:").bold = True
    paragraph.add_run(" How long have you worked nights?")
    paragraph = word.add_paragraph()
    paragraph.add_run("Kofi Mensah").bold = True
    paragraph.add_run(": About three years.")
    word.add_paragraph("Before that I drove a forklift on days.")
    word.add_paragraph("Interviewer: Do you prefer nights?")
    word.add_paragraph("Kofi Mensah: Mostly. The pay is better.")
    paragraph = word.add_paragraph("It is ")
    paragraph.add_run("really").bold = True
    paragraph.add_run(" better.")
    word.save(str(path))
    return path


def test_docx_bold_and_colon_labels_with_core_properties(tmp_path: Path) -> None:
    document = _one(_word_file(tmp_path / "warehouse.docx"))
    assert _table(document) == [
        ("Interviewer", "interviewer", None, None, "How long have you worked nights?"),
        (
            "Kofi Mensah",
            "participant",
            "Kofi Mensah",
            None,
            "About three years.\n\nBefore that I drove a forklift on days.",
        ),
        ("Interviewer", "interviewer", None, None, "Do you prefer nights?"),
        (
            "Kofi Mensah",
            "participant",
            "Kofi Mensah",
            None,
            "Mostly. The pay is better.\n\nIt is really better.",
        ),
    ]
    assert document.metadata == {
        "title": "Warehouse study 4",
        "author": "Field team",
        "subject": "Shift work",
        "comments": "Second visit",
        "keywords": "shifts; rota",
        "category": "interview",
        "header": "Warehouse study",
    }
    assert document.name == "warehouse"


def test_docx_bold_label_paragraphs(tmp_path: Path) -> None:
    word = docx.Document()
    pairs = [
        ("Mia Ortiz", "Why nights, Mr Park?"),
        ("Lee Park", "Money."),
        ("Mia Ortiz", "Only that?"),
        ("Background", "He laughs."),
        ("Lee Park", "Yes."),
    ]
    for label, text in pairs:
        word.add_paragraph().add_run(label).bold = True
        word.add_paragraph(text)
    word.save(str(tmp_path / "bold.docx"))
    document = _one(tmp_path / "bold.docx")
    assert [(s, r, x) for s, r, _, _, x in _table(document)] == [
        ("Mia Ortiz", "interviewer", "Why nights, Mr Park?"),
        ("Lee Park", "participant", "Money."),
        ("Mia Ortiz", "interviewer", "Only that?\n\nBackground\n\nHe laughs."),
        ("Lee Park", "participant", "Yes."),
    ]


def test_docx_table_rows_are_turns(tmp_path: Path) -> None:
    word = docx.Document()
    table = word.add_table(rows=2, cols=2)
    for row, (label, text) in zip(
        table.rows, [("Interviewer", "Why nights?"), ("Participant", "Money.")], strict=True
    ):
        row.cells[0].text, row.cells[1].text = label, text
    word.save(str(tmp_path / "table.docx"))
    document = _one(tmp_path / "table.docx")
    assert [(s, r, x) for s, r, _, _, x in _table(document)] == [
        ("Interviewer", "interviewer", "Why nights?"),
        ("Participant", "participant", "Money."),
    ]


def test_no_segment_boundary_falls_inside_a_transcription_mark() -> None:
    from qualmine.models import Turn
    from qualmine.parsing import segment_turns

    text = "I asked my peers about the vendor. [laughs] The group said no. Yes (pause) fine."
    segments = segment_turns(text, [Turn(0, "A", "participant", 0, len(text))])
    assert [text[s.start : s.end] for s in segments] == [
        "I asked my peers about the vendor.",
        "[laughs] The group said no.",
        "Yes (pause) fine.",
    ]


def test_a_participant_who_answers_once_is_still_a_speaker(tmp_path: Path) -> None:
    from qualmine.parsing import read_transcripts

    path = tmp_path / "one.txt"
    path.write_text(
        "Interviewer: Do you trust what you read online?\nAna: Forums are reliable for me.\n",
        encoding="utf-8",
    )
    [doc] = read_transcripts(path)
    assert [(t.speaker, t.speaker_role) for t in doc.turns] == [
        ("Interviewer", "interviewer"),
        ("Ana", "participant"),
    ]
