"""Team work: blind copies, merging them back, blind review, adjudication into `consensus`."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from conftest import snapshot
from qualmine.cli import cli
from qualmine.cli.lazy import GuardedGroup
from qualmine.cli.team_commands import AdjudicationScreen, clone, merge
from qualmine.coding.adjudication import CONSENSUS, AdjudicationSession
from qualmine.coding.manual import mark_document_done, memo, tag
from qualmine.coding.review import ReviewFilter, ReviewSession
from qualmine.errors import ProjectError, QualmineError
from qualmine.models import Coding
from qualmine.project.codebook_sync import sync_codebook
from qualmine.project.config import find_project
from qualmine.project.importer import import_transcripts
from qualmine.project.team import clone_project, merge_project, set_project_keys
from qualmine.storage import transaction
from qualmine.storage.codings import add_codings, read_codings, read_memos
from qualmine.storage.documents import all_documents, document_segments, find_document
from small_project import add_keyword_suggestions, make_small_project

CodingRow = tuple[str, int, int, str, str]  # document, start, end, code, coder

ALICE = [
    ("D1", "I trust people I have met.", "trust"),
    ("D1", "I asked my peers about the vendor.", "peers"),
    ("D2", "Yes, my BlackBerry goes everywhere with me.", "mobile"),
    ("D3", "I trust her because she has done it before.", "trust"),
]
BOB = [
    ("D1", "I trust people I have met.", "trust"),
    ("D1", "On my phone, mostly on the train.", "mobile"),
    ("D2", "Yes, my BlackBerry goes everywhere with me.", "mobile"),
    ("D2", "I do not trust strangers online.", "trust"),
    ("D3", "A peer in the forum warned me.", "peers"),
]


def _segment(folder: Path, doc: str, words: str) -> str:
    project = find_project(explicit=folder)
    with project.session() as conn:
        document = find_document(conn, doc)
        for seg in document_segments(conn, document.id):
            if document.text[seg.start : seg.end] == words:
                return f"s{seg.id}"
    raise AssertionError(f"no segment {words!r} in {doc}")


def _code(folder: Path, coder: str, plan: list[tuple[str, str, str]]) -> None:
    project = find_project(explicit=folder)
    for doc, words, code in plan:
        tag(project, doc, code, coder=coder, target=_segment(folder, doc, words))
    for doc in sorted({d for d, _, _ in plan}):
        mark_document_done(project, doc, coder=coder)


def _run(folder: Path, *args: str, coder: str | None = None, keys: str = "") -> Result:
    """The real CLI on a project folder, with keys typed in."""
    prefix = ["--project", str(folder), *(["--as", coder] if coder else [])]
    return CliRunner().invoke(cli, [*prefix, *args], input=keys, catch_exceptions=False)


def _rows(folder: Path, coder: str | None = None) -> list[CodingRow]:
    project = find_project(explicit=folder)
    with project.session() as conn:
        names = {d.id: d.name for d in all_documents(conn)}
        return sorted(
            (names[c.document_id], c.start, c.end, c.code, c.coder)
            for c in read_codings(conn)
            if coder is None or c.coder == coder
        )


def _coders(folder: Path) -> set[str]:
    return {row[4] for row in _rows(folder)}


def _done(folder: Path) -> set[tuple[str, str]]:
    project = find_project(explicit=folder)
    with project.session() as conn:
        return set(
            conn.execute(
                "SELECT d.name, m.coder FROM done m JOIN documents d ON d.id = m.document_id"
            ).fetchall()
        )


def _memos(folder: Path, coder: str | None = None) -> list[tuple[str, str, str, str]]:
    project = find_project(explicit=folder)
    with project.session() as conn:
        return [
            (kind, target, who, text)
            for _, kind, target, who, text, _ in read_memos(conn)
            if coder is None or who == coder
        ]


@pytest.fixture
def original(tmp_path: Path) -> Path:
    """A project with auto-coder suggestions, and carol's own coding already in it."""
    folder = make_small_project(tmp_path / "study")
    config = folder / "qualmine.toml"
    config.write_text(config.read_text() + 'codings = ["codings/reference.csv"]\n')
    add_keyword_suggestions(folder)
    _code(folder, "carol", [("D1", "The group said no.", "peers")])
    memo(find_project(explicit=folder), "document", "D1", "carol's note", coder="carol")
    return folder


@pytest.fixture
def copies(original: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Blind copies for alice and bob, each coded differently."""
    project = find_project(explicit=original)
    alice = clone_project(project, tmp_path / "alice", coder="alice").folder
    bob = clone_project(project, tmp_path / "bob", coder="bob").folder
    _code(alice, "alice", ALICE)
    _code(bob, "bob", BOB)
    memo(find_project(explicit=alice), "document", "D1", "alice: Anna trusts people", coder="alice")
    memo(find_project(explicit=alice), "code", "trust", "alice: a broad code", coder="alice")
    return alice, bob


# --- blind copies ----------------------------------------------------------------------------


def test_a_blind_copy_holds_documents_and_codebook_but_no_one_elses_work(
    original: Path, tmp_path: Path
) -> None:
    project = find_project(explicit=original)
    made = clone_project(project, tmp_path / "alice", coder="alice")
    copy = find_project(explicit=made.folder)
    assert copy.config.report_coder == "alice" and copy.config.codings == ()
    assert copy.config.codebook == "codebook.yaml" and (made.folder / "codebook.yaml").is_file()
    assert (made.folder / "participants.csv").is_file()
    assert (made.folder / "transcripts" / "D1.txt").is_file()
    assert _rows(made.folder) == [] and _done(made.folder) == set()
    assert _memos(made.folder) == []
    with copy.session() as conn, project.session() as source:
        for table in ("documents", "turns", "segments", "cases", "codes"):
            assert sorted(conn.execute(f"SELECT * FROM {table}").fetchall()) == sorted(
                source.execute(f"SELECT * FROM {table}").fetchall()
            ), table
        log = conn.execute("SELECT command, payload FROM audit").fetchall()
    assert [entry[0] for entry in log] == ["project clone"]
    assert "carol" not in log[0][1]
    assert made.documents == 3 and made.codings == 0 and made.suggestions == 0
    assert made.left_out == len(_rows(original))


def test_each_copy_holds_only_its_coders_work(original: Path, copies: tuple[Path, Path]) -> None:
    alice, bob = copies
    assert _coders(alice) == {"alice"} and _coders(bob) == {"bob"}
    assert {c for _, c in _done(alice)} == {"alice"} and {c for _, c in _done(bob)} == {"bob"}
    # A second copy for alice carries her own work along, still nobody else's.
    project = find_project(explicit=alice)
    again = clone_project(project, alice.parent / "alice-2", coder="alice")
    assert _rows(again.folder) == _rows(alice) and again.memos == 2
    assert clone_project(project, alice.parent / "bob-2", coder="bob").codings == 0


def test_suggestions_come_along_only_when_asked(original: Path, tmp_path: Path) -> None:
    project = find_project(explicit=original)
    with_them = clone_project(project, tmp_path / "dave", coder="dave", with_suggestions=True)
    assert _coders(with_them.folder) == {"auto:rules"}
    assert with_them.suggestions == len(_rows(original, "auto:rules"))
    assert "carol" not in {c for _, c in _done(with_them.folder)}


def test_a_clone_refuses_a_folder_in_use_and_bad_names(original: Path, tmp_path: Path) -> None:
    project = find_project(explicit=original)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ProjectError, match="not empty"):
        clone_project(project, tmp_path / "busy", coder="alice")
    with pytest.raises(QualmineError, match="auto:"):
        clone_project(project, tmp_path / "auto", coder="auto:rules")
    assert not (tmp_path / "auto").exists()
    with pytest.raises(ProjectError, match="elsewhere"):
        clone_project(project, original / "copies" / "alice", coder="alice")
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_setting_project_keys_keeps_the_rest_of_the_file() -> None:
    text = (
        '# settings\n[project]\nname = "x"\ncodings = [\n  "a.csv",\n  "b.csv",\n]\n'
        'report_coder = "old"  # whose\n\n[roles]\n"Dr. S" = "interviewer"\n'
    )
    out = set_project_keys(text, {"report_coder": '"alice"', "codings": "[]"})
    assert out.count("codings") == 1 and out.count("report_coder") == 1
    assert 'report_coder = "alice"' in out and "codings = []" in out
    assert out.startswith("# settings\n") and '"Dr. S" = "interviewer"' in out


# --- merging ---------------------------------------------------------------------------------


def test_merging_both_copies_brings_every_coding_in_once(
    original: Path, copies: tuple[Path, Path]
) -> None:
    alice, bob = copies
    before = _rows(original)
    first = merge_project(find_project(explicit=original), alice, actor="carol")
    second = merge_project(find_project(explicit=original), bob, actor="carol")
    merged = _rows(original)
    assert Counter(merged).most_common(1)[0][1] == 1
    assert set(merged) == set(before) | set(_rows(alice)) | set(_rows(bob))
    assert _rows(original, "alice") == _rows(alice) and _rows(original, "bob") == _rows(bob)
    assert first.added["codings"] == len(ALICE) and second.added["codings"] == len(BOB)
    assert {("D1", "alice"), ("D3", "bob"), ("D1", "carol")} <= _done(original)
    assert ("code", "trust", "alice", "alice: a broad code") in _memos(original)
    assert ("document", "D1", "carol", "carol's note") in _memos(original)
    assert not first.unmatched_documents and not first.unmatched_codes and not first.conflicts


def test_merging_the_same_copy_twice_changes_nothing(
    original: Path, copies: tuple[Path, Path]
) -> None:
    alice, _ = copies
    project = find_project(explicit=original)
    merge_project(project, alice)
    before = snapshot(original)
    again = merge_project(project, alice)
    assert snapshot(original) == before
    assert not again.changed
    assert again.already == {"codings": len(ALICE), "memos": 2, "done_marks": 3}
    saved = json.loads((original / ".qualmine" / "last-merge-report.json").read_text())
    assert saved["already"]["codings"] == len(ALICE) and saved["added"]["codings"] == 0


def test_a_changed_document_and_an_unknown_code_are_reported(
    original: Path, copies: tuple[Path, Path]
) -> None:
    _, bob = copies
    transcript = bob / "transcripts" / "D3.txt"
    transcript.write_text(transcript.read_text().replace("No, that is all.", "No, that is it."))
    copy = find_project(explicit=bob)
    assert import_transcripts(copy, [str(transcript)]).updated == ("D3",)
    book = bob / "codebook.yaml"
    book.write_text(
        book.read_text() + "  - id: cost\n    name: Cost\n    definition: Prices and budgets.\n"
    )
    sync_codebook(copy)
    tag(copy, "D2", "cost", coder="bob", target=_segment(bob, "D2", "My colleagues matter most."))
    before = _rows(original)
    report = merge_project(find_project(explicit=original), bob)
    (unmatched,) = report.unmatched_documents
    assert unmatched.name == "D3" and "differs" in unmatched.reason
    assert (unmatched.codings, unmatched.done_marks) == (1, 1)
    assert report.unmatched_codes == {"cost": 1}
    came = set(_rows(original)) - set(before)
    expected = {("D1", "trust"), ("D1", "mobile"), ("D2", "mobile"), ("D2", "trust")}
    assert {(d, code) for d, _, _, code, _ in came} == expected
    saved = json.loads((original / ".qualmine" / "last-merge-report.json").read_text())
    assert saved["unmatched_documents"][0]["name"] == "D3"
    assert saved["unmatched_codes"] == {"cost": 1}


def test_review_decisions_come_in_and_conflicts_keep_this_projects_version(
    original: Path, tmp_path: Path
) -> None:
    project = find_project(explicit=original)
    dave = clone_project(project, tmp_path / "dave", coder="dave", with_suggestions=True).folder
    copy = find_project(explicit=dave)
    session = ReviewSession(copy, "dave", ReviewFilter(blind=True))
    try:
        first, second = session.queue()[:2]
        session.accept(first)
        session.reject(second)
    finally:
        session.close()
    here = ReviewSession(project, "carol")  # meanwhile carol accepts the second one here
    try:
        here.accept(second)
    finally:
        here.close()
    report = merge_project(project, dave)
    assert report.added["decisions"] == 1 and report.added["codings"] == 0
    with project.session() as conn:
        statuses = {c.id: (c.status, c.reviewer) for c in read_codings(conn)}
    assert statuses[first] == ("accepted", "dave") and statuses[second] == ("accepted", "carol")
    (conflict,) = report.conflicts
    assert conflict.coder == "auto:rules" and "carol" in conflict.here and "dave" in conflict.there
    before = snapshot(original)
    assert not merge_project(project, dave).changed and snapshot(original) == before


def test_merge_refuses_itself_and_qdpx(original: Path, tmp_path: Path) -> None:
    project = find_project(explicit=original)
    with pytest.raises(ProjectError, match="itself"):
        merge_project(project, original)
    archive = tmp_path / "other.qdpx"
    archive.write_bytes(b"PK")
    with pytest.raises(ProjectError, match="qualmine project import"):
        merge_project(project, archive)


# --- the commands ----------------------------------------------------------------------------


def _project_group(folder: Path, *args: str, coder: str | None = None) -> Result:
    """Run clone or merge as the lead attaches them: under a group with the error boundary."""
    group = GuardedGroup(commands={"clone": clone, "merge": merge})
    return CliRunner().invoke(group, list(args), obj={"project": str(folder), "as": coder})


def test_clone_and_merge_commands(original: Path, tmp_path: Path) -> None:
    copy = tmp_path / "erin"
    result = _project_group(original, "clone", "--blind", "--for-coder", "erin", str(copy))
    assert result.exit_code == 0, result.output
    assert "for erin: 3 document(s)" in result.output and "left out" in result.output
    _code(copy, "erin", [("D2", "I do not trust strangers online.", "trust")])
    result = _project_group(original, "merge", str(copy), coder="carol")
    assert result.exit_code == 0, result.output
    assert "came in: 1 coding(s)" in result.output and "last-merge-report.json" in result.output
    result = _project_group(original, "merge", str(copy))
    assert "came in: 0 coding(s)" in result.output and "already here: 1 coding(s)" in result.output
    again = _project_group(original, "clone", "--blind", "--for-coder", "erin", str(copy))
    assert again.exit_code == 1 and "Error: " in again.output and "not empty" in again.output
    unblind = _project_group(original, "clone", "--for-coder", "erin", str(tmp_path / "x"))
    assert unblind.exit_code == 2 and "--blind" in unblind.output


def test_commands_run_standalone_from_the_project_folder(
    original: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(original)
    result = CliRunner().invoke(clone, ["--blind", "--for-coder", "fay", str(tmp_path / "fay")])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(merge, [str(tmp_path / "fay")])
    assert result.exit_code == 0 and "came in: 0 coding(s)" in result.output


def test_merge_command_lists_what_could_not_be_matched(
    original: Path, copies: tuple[Path, Path]
) -> None:
    _, bob = copies
    (bob / "transcripts" / "D3.txt").write_text("Interviewer: Hello?\nCara: Hello again.\n")
    import_transcripts(find_project(explicit=bob), [str(bob / "transcripts" / "D3.txt")])
    result = _project_group(original, "merge", str(bob))
    assert result.exit_code == 0, result.output
    assert "Documents not matched" in result.output and "D3" in result.output


# --- blind review ----------------------------------------------------------------------------


def test_blind_review_shows_only_suggestions_and_ones_own_pending_codings(
    original: Path,
) -> None:
    project = find_project(explicit=original)
    with project.session() as conn, transaction(conn):
        doc = find_document(conn, "D1")
        pending = [
            Coding(0, doc.id, 0, 12, doc.text[0:12], code, who, "suggested", pending="split")
            for who, code in (("bob", "peers"), ("alice", "trust"))
        ]
        bobs, alices = add_codings(conn, pending)
    seen = {}
    for blind in (False, True):
        session = ReviewSession(project, "alice", ReviewFilter(blind=blind))
        try:
            seen[blind] = session.queue()
        finally:
            session.close()
    assert seen[False][:2] == [bobs, alices] and seen[True][0] == alices
    assert bobs not in seen[True] and len(seen[True]) == len(seen[False]) - 1
    with project.session() as conn:
        shown = {c.id: c.coder for c in read_codings(conn) if c.id in seen[True]}
    assert set(shown.values()) == {"auto:rules", "alice"}
    open_review = _run(original, "review", coder="alice", keys="q")
    assert "by bob" in open_review.output
    blind_review = _run(original, "review", "--blind", coder="alice", keys="q")
    assert blind_review.exit_code == 0, blind_review.output
    assert "by bob" not in blind_review.output and "by alice" in blind_review.output


# --- adjudication ----------------------------------------------------------------------------


@pytest.fixture
def merged(original: Path, copies: tuple[Path, Path]) -> Path:
    """The original with alice's and bob's copies merged back in."""
    for copy in copies:
        merge_project(find_project(explicit=original), copy)
    return original


def _adjudicate(folder: Path, keys: str, lines: list[str] | None = None) -> tuple[int, str]:
    session = AdjudicationSession(find_project(explicit=folder), ["alice", "bob"], "carol")
    out = io.StringIO()
    feed = iter(keys)
    answers = iter(lines or [])
    try:
        n = AdjudicationScreen(
            session, lambda: next(feed), lambda _p: next(answers), Console(file=out, width=100)
        ).run()
    finally:
        session.close()
    return n, out.getvalue()


def _consensus(folder: Path) -> set[tuple[str, str, str]]:
    project = find_project(explicit=folder)
    with project.session() as conn:
        docs = {d.id: d for d in all_documents(conn)}
        codings = read_codings(conn)
    assert all(c.status == "accepted" and c.reviewer == "carol" for c in codings
               if c.coder == CONSENSUS)  # fmt: skip
    return {(docs[c.document_id].name, c.quote, c.code) for c in codings if c.coder == CONSENSUS}


def test_the_disagreements_are_the_units_where_the_coders_differ(merged: Path) -> None:
    session = AdjudicationSession(find_project(explicit=merged), ["alice", "bob"], "carol")
    try:
        queue = [(d.document, d.code, d.coded) for d in session.queue()]
        assert session.agreements == 2 and session.copied == 2
    finally:
        session.close()
    assert queue == [
        ("D1", "peers", (True, False)),
        ("D1", "mobile", (False, True)),
        ("D2", "trust", (False, True)),
        ("D3", "peers", (False, True)),
        ("D3", "trust", (True, False)),
    ]
    assert _consensus(merged) == {
        ("D1", "I trust people I have met.", "trust"),
        ("D2", "Yes, my BlackBerry goes everywhere with me.", "mobile"),
    }


def test_adjudication_decides_undoes_quits_and_resumes(merged: Path) -> None:
    n, shown = _adjudicate(merged, "axuq", ["alice's reading fits the definition", ""])
    assert n == 2 and "1/5" in shown and "1/4" in shown and "undid" in shown
    assert "resume" in shown
    assert "2 agreement(s)" in shown and "2 coding(s) copied now" in shown
    assert ("D1", "I asked my peers about the vendor.", "peers") in _consensus(merged)
    memos = _memos(merged, "carol")
    reasons = [text for _, _, _, text in memos if text.startswith("adjudication")]
    assert len(reasons) == 1  # the undone decision took its memo with it
    assert "alice's reading fits the definition" in reasons[0]
    assert "took alice's version (peers present)" in reasons[0]
    assert [kind for kind, _, _, text in memos if text == reasons[0]] == ["coding"]
    assert CONSENSUS not in {c for _, c in _done(merged)}
    # Resume: the first disagreement is decided, the undone one is back in the queue.
    n, shown = _adjudicate(merged, "kbxaq", ["", "", "", "she says she trusts her"])
    assert n == 4 and "1/4" in shown and "nothing left to adjudicate" in shown
    assert "0 coding(s) copied now" in shown
    assert _consensus(merged) == {
        ("D1", "I trust people I have met.", "trust"),
        ("D1", "I asked my peers about the vendor.", "peers"),
        ("D1", "On my phone, mostly on the train.", "mobile"),
        ("D2", "Yes, my BlackBerry goes everywhere with me.", "mobile"),
        ("D2", "I do not trust strangers online.", "trust"),
        ("D3", "I trust her because she has done it before.", "trust"),
    }
    reasons = [t for _, _, _, t in _memos(merged, "carol") if t.startswith("adjudication")]
    assert len(reasons) == 5
    assert any("took bob's version (mobile present)" in r for r in reasons)
    assert any("took alice's version (peers absent)" in r for r in reasons)  # x on D3 peers
    assert any(r.endswith("she says she trusts her [took alice's version (trust present)]")
               for r in reasons)  # fmt: skip
    assert {d for d, c in _done(merged) if c == CONSENSUS} == {"D1", "D2", "D3"}


def test_each_verdict_takes_the_version_it_names(merged: Path) -> None:
    session = AdjudicationSession(find_project(explicit=merged), ["alice", "bob"], "carol")
    try:
        peers, mobile = session.queue()[:2]
        assert session.chosen_coder(peers, "first") == "alice"
        assert session.chosen_coder(peers, "present") == "alice"
        assert session.chosen_coder(peers, "absent") == "bob"
        assert session.chosen_coder(mobile, "present") == "bob"
        assert session.decide(peers, "second") == 0
        with pytest.raises(QualmineError, match="already decided"):
            session.decide(peers, "first")
        assert session.undo().startswith("the decision on peers")
        assert session.decide(peers, "first", "on reflection") == 1
    finally:
        session.close()


def test_adjudication_refuses_wrong_coders_and_units(merged: Path) -> None:
    project = find_project(explicit=merged)
    with pytest.raises(QualmineError, match="exactly two"):
        AdjudicationSession(project, ["alice"], "carol")
    with pytest.raises(QualmineError, match="consensus"):
        AdjudicationSession(project, ["alice", "bob"], CONSENSUS)
    with pytest.raises(QualmineError, match="character"):
        AdjudicationSession(project, ["alice", "bob"], "carol", "character")


def test_agree_adjudicate_command_resumes_and_sets_the_report_coder(merged: Path) -> None:
    args = ["agree", "--coders", "alice,bob", "--adjudicate"]
    result = _run(merged, *args, coder="carol", keys="a\nq")
    assert result.exit_code == 0, result.output
    assert "2/5" not in result.output and "resume" in result.output
    assert "report_coder" not in result.output  # not yet: disagreements are left
    result = _run(merged, *args, coder="carol", keys="b\nk\nx\na\n")
    assert result.exit_code == 0, result.output
    assert "1/4" in result.output and 'report_coder = "consensus"' in result.output
    assert find_project(explicit=merged).config.report_coder == ""
    result = _run(merged, *args, "--set-report-coder", coder="carol")
    assert result.exit_code == 0, result.output
    assert find_project(explicit=merged).config.report_coder == CONSENSUS
    assert find_project(explicit=merged).config.codebook == "codebook.yaml"
    wrong = _run(merged, "agree", "--coders", "alice,bob", "--set-report-coder")
    assert wrong.exit_code == 2
    whole = _run(merged, *args, "--unit", "document", coder="carol", keys="q")
    assert whole.exit_code == 0 and "whole document" in whole.output


def test_the_help_lists_the_adjudication_keys() -> None:
    result = CliRunner().invoke(cli, ["agree", "--help"])
    assert "--adjudicate" in result.output and "x absent" in " ".join(result.output.split())
