"""Pseudonymisation on the public-domain oral histories: no name leaks, offsets hold, reversible.

The names looked for are built mechanically from yield-v1-train-014.json, the source the
transcripts were rendered from: every speaker, elicitor and respondent, the interviewee
named in the metadata (``subtitle_interviewee``, ``interviewee_name``), and the people the
opening turn introduces (a name after "assisted by", "interview with", "This is",
"My name is", "speaking with", "interviewing", "Our guest is" ..., and after "and" or a
comma that follows such a name). Each full name is searched for, and each surname (the last
word) of at least 4 letters that is not an ordinary English word, i.e. whose lowercase form
is not in spaCy's English lookup lemmatizer table (spacy-lookups-data ``en_lemma_lookup``,
its forms and lemmas): "Horowitz" is searched, "Butler" and "Smith" alone are not, as they
stand for ordinary words too. The search is case-sensitive.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA, invoke, snapshot
from oral_histories import use_oral_codebook
from qualmine.coding.manual import memo, tag
from qualmine.project.config import find_project
from qualmine.storage.documents import all_documents

ORAL = DATA / "oral-histories"
_WORD = r"[A-Z][a-z]+(?:[-’'][A-Z][a-z]+)?"
_NAME = rf"(?:Dr\. )?{_WORD}(?: (?:[A-Z]\.|[A-Z][A-Za-z]+(?:[-’'][A-Z][a-z]+)?))+"
_CUE = (
    r"(?:assisted by|[Ii]nterviewer is|interview with|history with|conducted with|This is|"
    r"I'm|I am|[Mm]y name is|speaking with|interviewing|speak with|[Oo]ur guest is|"
    r"conversation with)"
)
INTRODUCED = re.compile(rf"{_CUE}\s+({_NAME}(?:(?:,| and|, and)\s+{_NAME})*)")


def ordinary_words() -> set[str]:
    import spacy_lookups_data
    import srsly

    table = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    return {w.lower() for pair in srsly.read_gzip_json(table).items() for w in pair}


def names_to_find() -> list[str]:
    """Full names and distinctive surnames, from the JSON (see the module docstring)."""
    dialogues = json.loads((ORAL / "yield-v1-train-014.json").read_text(encoding="utf-8"))
    people: set[str] = set()
    for dialogue in dialogues:
        people.update(t["speaker"] for t in dialogue["turns"])
        people.update(dialogue.get("elicitors") or [])
        people.update(dialogue.get("respondents") or [])
        meta = dialogue.get("metadata") or {}
        people.update(meta[k] for k in ("subtitle_interviewee", "interviewee_name") if meta.get(k))
        opening = dialogue["turns"][0]["utterance"].replace("\\n", " ")
        for match in INTRODUCED.finditer(opening):
            people.update(re.split(r",\s+and\s+|,\s+|\s+and\s+", match.group(1)))
    common = ordinary_words()
    found = set()
    for person in people:
        person = re.sub(r"^Dr\. ", "", person.strip())
        found.add(person)
        surname = person.split()[-1]
        if len(surname) >= 4 and surname.lower() not in common:
            found.add(surname)
    return sorted(found)


@pytest.fixture(scope="module")
def names() -> list[str]:
    found = names_to_find()
    assert {"Carol Butler", "Kevin Rusnak", "Tim Farrell", "Robert D. Cabana"} <= set(found)
    assert "Horowitz" in found and "Butler" not in found
    return found


@pytest.fixture(scope="module")
def oral(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The 32 oral histories imported, coded by rules and by a person, with a memo."""
    base = tmp_path_factory.mktemp("oral")
    folder = base / "project"
    runner = CliRunner()
    invoke(runner, folder.parent, "init", str(folder))
    shutil.copytree(ORAL / "rendered_txt", folder / "transcripts")
    use_oral_codebook(folder, training=("training", "trained"))
    assert invoke(runner, folder, "import", str(folder / "transcripts")).exit_code == 0
    assert invoke(runner, folder, "code", "--method", "rules").exit_code == 0
    project = find_project(explicit=folder)
    tagged = tag(
        project,
        "jsc-oral-history-00055",
        "flight",
        coder="alice",
        quote="This interview with Bob Cabana is being conducted in Houston",
    )
    memo(
        project,
        "document",
        "jsc-oral-history-00311",
        "Ask Carol Butler about Dottie.",
        coder="alice",
    )
    before = snapshot(folder)
    key = base / "keys" / "oral.json"
    key.parent.mkdir()
    result = invoke(runner, folder, "redact", "--key-file", str(key), coder="alice")
    assert result.exit_code == 0, result.output
    return {"folder": folder, "key": key, "before": before, "tagged": tagged.id, "base": base}


def exports(folder: Path, base: Path) -> dict[str, bytes]:
    """Everything a redacted project hands out: tables, texts, the report, the .qdpx."""
    runner = CliRunner()
    out: dict[str, bytes] = {}
    for name, args in {
        "codings.csv": ("codings", "export"),
        "documents.csv": ("documents", "--format", "csv"),
        "cases.csv": ("cases", "--format", "csv"),
        "log.csv": ("log", "--limit", "100000", "--format", "csv"),
        "quotes.csv": ("quotes", "--code", "flight", "--coder", "auto:rules", "--format", "csv"),
    }.items():
        result = invoke(runner, folder, *args, coder="alice")
        assert result.exit_code == 0, (name, result.output)
        out[name] = result.output.encode()
    with find_project(explicit=folder).session() as conn:
        docs = [d.name for d in all_documents(conn)]
    for doc in docs:
        result = invoke(runner, folder, "show", doc, "--plain")
        out[f"show {doc}"] = result.output.encode()
    report = base / "report.html"
    result = invoke(runner, folder, "report", "-o", str(report), coder="alice")
    assert result.exit_code == 0, result.output
    out["report.html"] = report.read_bytes()
    qdpx = base / "export.qdpx"
    result = invoke(runner, folder, "project", "export", "-o", str(qdpx), coder="alice")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(io.BytesIO(qdpx.read_bytes())) as archive:
        for entry in archive.namelist():
            out[f"qdpx:{entry}"] = archive.read(entry)
    database = folder / ".qualmine"
    for path in sorted(database.glob("project.db*")):
        out[path.name] = path.read_bytes()
    return out


def test_no_name_survives_in_any_export_or_the_database(
    oral: dict[str, object], names: list[str]
) -> None:
    folder, base = oral["folder"], oral["base"]
    assert isinstance(folder, Path) and isinstance(base, Path)
    found = exports(folder, base)
    leaks = [
        (name, where)
        for where, data in found.items()
        for name in names
        if name.encode() in data or name.encode("utf-16-le") in data
    ]
    assert not leaks, leaks[:20]
    assert len(names) > 100
    # Nor does any export carry an absolute path of this machine.
    paths = [
        w
        for w, data in found.items()
        if not w.startswith("project.db") and str(base).encode() in data
    ]
    assert not paths, paths


def test_the_key_file_is_outside_the_project_and_owner_only(oral: dict[str, object]) -> None:
    key = oral["key"]
    assert isinstance(key, Path)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    data = json.loads(key.read_text(encoding="utf-8"))
    assert data["pseudonyms"]["P01"] == "Robert D. Cabana"
    assert any(p.startswith("[PERSON-") for p in data["pseudonyms"])
    assert any(p.startswith("[URL-") for p in data["pseudonyms"])


def document_edits(key: Path) -> dict[int, list[tuple[int, int, int]]]:
    """For each document, (old start, old end, new length) of each replacement, from the key."""
    out: dict[int, list[tuple[int, int, int]]] = {}
    for field in json.loads(key.read_text(encoding="utf-8"))["fields"]:
        if field["table"] != "documents" or field["column"] != "text":
            continue
        spans, shift = out.setdefault(field["key"]["id"], []), 0
        for start, new, old in field["edits"]:
            old_start = start - shift
            spans.append((old_start, old_start + len(old), len(new)))
            shift += len(new) - len(old)
    return out


def shifted(spans: list[tuple[int, int, int]], pos: int) -> int:
    """Where an old offset lies in the new text (no coding starts or ends inside a name)."""
    return pos + sum(n - (e - s) for s, e, n in spans if e <= pos)


def test_codings_point_at_the_same_words(oral: dict[str, object]) -> None:
    folder, key, before = oral["folder"], oral["key"], oral["before"]
    assert isinstance(folder, Path) and isinstance(key, Path) and isinstance(before, dict)
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    texts = dict(conn.execute("SELECT id, text FROM documents"))
    after = {
        r[0]: r for r in conn.execute('SELECT id, document_id, start, "end", quote FROM codings')
    }
    conn.close()
    edits = document_edits(key)
    moved = 0
    for row in before["codings"]:
        coding_id, doc_id, start, end = row[0], row[1], row[2], row[3]
        now = after[coding_id]
        assert texts[doc_id][now[2] : now[3]] == now[4]
        spans = edits.get(doc_id, [])
        assert (now[2], now[3]) == (shifted(spans, start), shifted(spans, end)), coding_id
        moved += (now[2], now[3]) != (start, end)
    assert moved > 100
    tagged = after[oral["tagged"]]
    assert tagged[4].startswith("This interview with ") and "Cabana" not in tagged[4]
    assert tagged[4].endswith(" is being conducted in Houston")


def test_memos_and_the_log_are_rewritten_and_the_redaction_logged(
    oral: dict[str, object],
) -> None:
    folder = oral["folder"]
    assert isinstance(folder, Path)
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    (text,) = conn.execute("SELECT text FROM memos").fetchone()
    last = conn.execute("SELECT command, action, payload FROM audit ORDER BY id DESC").fetchone()
    embeddings = conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    triggers = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type='trigger'").fetchone()
    conn.close()
    assert "Carol Butler" not in text and text.startswith("Ask [PERSON-")
    assert last[:2] == ("redact", "redact") and set(json.loads(last[2])) == {
        "redaction",
        "replacements",
    }
    assert embeddings == 0 and triggers[0] >= 1


def test_reverse_restores_the_text_byte_for_byte(oral: dict[str, object], tmp_path: Path) -> None:
    folder, key, before = oral["folder"], oral["key"], oral["before"]
    assert isinstance(folder, Path) and isinstance(key, Path) and isinstance(before, dict)
    runner = CliRunner()
    result = invoke(runner, folder, "redact", "--reverse", "--key-file", str(key), coder="alice")
    assert result.exit_code == 0, result.output
    after = snapshot(folder)
    for table in ("documents", "turns", "segments", "codings", "cases", "memos", "codebooks"):
        assert after[table] == before[table], table
    old_audit = {r[0]: r for r in before["audit"]}
    restored = [r for r in after["audit"] if r[0] in old_audit]
    for row in restored:
        assert (
            json.loads(row[6]) == json.loads(old_audit[row[0]][6])
            and row[:6] == old_audit[row[0]][:6]
        )
    again = invoke(runner, folder, "redact", "--reverse", "--key-file", str(key), coder="alice")
    assert again.exit_code == 1 and "already reversed" in again.output


def test_a_key_file_inside_the_project_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    from small_project import make_small_project

    folder = make_small_project(tmp_path / "p")
    before = snapshot(folder)
    result = invoke(runner, folder, "redact", "--key-file", str(folder / "key.json"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "must not be inside the project" in result.output
    assert snapshot(folder) == before and not (folder / "key.json").exists()
    key = tmp_path / "key.json"
    key.write_text("{}")
    result = invoke(runner, folder, "redact", "--key-file", str(key))
    assert result.exit_code == 1 and "never overwritten" in result.output
    assert snapshot(folder) == before


def test_lists_emails_phones_urls_and_attributes(runner: CliRunner, tmp_path: Path) -> None:
    from small_project import make_small_project

    folder = make_small_project(tmp_path / "p")
    extra = folder / "transcripts" / "D4.txt"
    extra.write_text(
        "Interviewer: How can people reach you?\n"
        "Anna: Write to anna.berg@example.org or call +44 20 7946 0958, or see "
        "https://example.org/anna. I worked at Acme Widgets with Jonas Lind.\n"
    )
    assert invoke(runner, folder, "import", str(extra)).exit_code == 0
    conn = sqlite3.connect(folder / ".qualmine" / "project.db")
    conn.execute(
        "INSERT INTO topic_runs (id, created, unit, method, seed, encoder) "
        "VALUES (1, 'now', 'segment', 'bertopic', 1, 'x')"
    )
    conn.execute("INSERT INTO topic_words VALUES (1, 0, 0, 'lind', 0.5), (1, 0, 1, 'trust', 0.4)")
    conn.commit()
    conn.close()
    names, orgs = tmp_path / "names.txt", tmp_path / "orgs.txt"
    names.write_text("# people to hide\nJonas Lind\n")
    orgs.write_text("Acme Widgets\n")
    key = tmp_path / "k.json"
    result = invoke(
        runner, folder, "redact", "--names", str(names), "--orgs", str(orgs), "--key-file", str(key)
    )
    assert result.exit_code == 0, result.output
    with find_project(explicit=folder).session() as conn:
        text = next(d.text for d in all_documents(conn) if d.name == "D4")
        cases = [r[0] for r in conn.execute("SELECT id FROM cases")]
    for gone in ("anna.berg@example.org", "7946", "https://example.org", "Acme", "Jonas"):
        assert gone not in text, gone
    for shown in ("[EMAIL-1]", "[PHONE-1]", "[URL-1]", "[ORG-1]", "[PERSON-"):
        assert shown in text, (shown, text)
    assert "Anna" not in " ".join(cases) and "Anna:" not in text
    with find_project(explicit=folder).session() as conn:
        words = [r[0] for r in conn.execute("SELECT word FROM topic_words ORDER BY rank")]
    assert words[0].startswith("[PERSON-") and words[1] == "trust"
    pseudonyms = json.loads(key.read_text())["pseudonyms"]
    assert pseudonyms["[ORG-1]"] == "Acme Widgets"


def test_project_files_are_owner_only_and_exports_name_no_absolute_path(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "study"
    assert invoke(runner, tmp_path, "init", str(folder)).exit_code == 0
    outside = tmp_path / "elsewhere" / "interviews"
    outside.mkdir(parents=True)
    (outside / "P01.txt").write_text("Interviewer: Who helps you?\nP01: My colleagues do.\n")
    inside = folder / "transcripts"
    inside.mkdir()
    (inside / "P02.txt").write_text("Interviewer: And you?\nP02: I ask nobody.\n")
    assert invoke(runner, folder, "import", str(outside / "P01.txt"), str(inside)).exit_code == 0
    reader = sqlite3.connect(folder / ".qualmine" / "project.db")
    reader.execute("SELECT COUNT(*) FROM documents").fetchone()  # keeps the WAL open
    invoke(runner, folder, "memo", "project", "a", "note", coder="alice")
    private = folder / ".qualmine"
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    for name in ("project.db", "project.db-wal", "project.db-shm"):
        assert stat.S_IMODE((private / name).stat().st_mode) == 0o600, name
    reader.close()
    shown = [
        invoke(runner, folder, *args, coder="alice").output
        for args in (
            ("documents", "--format", "csv"),
            ("codings", "export"),
            ("log", "--format", "csv"),
            ("show", "P01", "--plain"),
            ("cases", "--format", "csv"),
        )
    ]
    assert "transcripts/P02.txt" in shown[0] and ",P01.txt" in shown[0]
    for text in shown:
        assert str(tmp_path) not in text, text
