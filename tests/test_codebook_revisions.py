"""Revisions of a codebook file: rename, merge, split, move (each on a copy of full.yaml)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TypedDict

import pytest

from qualmine.codebook import (
    Revision,
    load_codebook,
    merge_codes,
    move_code,
    rename_code,
    split_code,
)
from qualmine.errors import CodebookError
from qualmine.models import ChangelogEntry

FULL = Path(__file__).parent / "data" / "codebooks" / "full.yaml"


class _Who(TypedDict):
    coder: str
    reason: str
    date: str


WHO: _Who = {"coder": "bob", "reason": "round 3", "date": "2026-11-26"}


@pytest.fixture
def codebook(tmp_path: Path) -> Path:
    path = tmp_path / "codebook.yaml"
    shutil.copy(FULL, path)
    return path


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def _check_written(path: Path, revision: Revision, action: str, detail: str) -> str:
    """The file loads, keeps its comments, and ends with the new changelog entry."""
    text = path.read_text(encoding="utf-8")
    book = load_codebook(path)
    entry = ChangelogEntry("2026-11-26", "bob", action, detail, "round 3")
    assert book.changelog[-1] == entry == revision.entry
    assert len(book.changelog) == 2
    assert text.endswith(
        f'  - date: "2026-11-26"\n    coder: bob\n    action: {action}\n'
        f'    detail: "{detail}"\n    reason: round 3\n'
    )
    assert revision.codebook.version == book.version != revision.previous_version
    assert revision.codebook.path == str(path)
    assert text.startswith("# Codebook used by the tests")
    return text


def test_rename_changes_the_id_and_the_parent_keys_naming_it(codebook: Path) -> None:
    revision = rename_code(codebook, "channel", "source", new_name="Information source", **WHO)
    text = _check_written(codebook, revision, "rename", "channel -> source")
    assert revision.action == "rename" and revision.mapping == {"channel": "source"}
    assert revision.removed == ("channel",) and revision.pending == {}
    assert "  - id: source\n    name: Information source\n" in text
    assert "    parent: source\n" in text
    assert _comments(text) == _comments(FULL.read_text(encoding="utf-8"))
    book = load_codebook(codebook)
    assert [c.id for c in book.children("source")] == ["channel.linkedin"]


def test_rename_of_a_nested_code_keeps_everything_else_byte_for_byte(codebook: Path) -> None:
    before = codebook.read_text(encoding="utf-8")
    revision = rename_code(codebook, "trust.online", "trust.web", **WHO)
    after = codebook.read_text(encoding="utf-8")
    _check_written(codebook, revision, "rename", "trust.online -> trust.web")
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=False) if a != b
    ]
    assert changed == [("      - id: trust.online", "      - id: trust.web")]
    children = load_codebook(codebook).children("trust.web")
    assert [c.id for c in children] == ["trust.online.trusts", "trust.online.distrusts"]


def test_failed_rename_leaves_the_file_byte_identical(codebook: Path) -> None:
    before = codebook.read_bytes()
    with pytest.raises(CodebookError) as caught:
        rename_code(codebook, "trust.online", "trust.proximity", **WHO)
    assert caught.value.problems == [
        f"{codebook}:47: code trust.proximity: already exists; choose another id (or merge into it)"
    ]
    assert codebook.read_bytes() == before
    assert [p.name for p in codebook.parent.iterdir()] == ["codebook.yaml"]


def test_unknown_id_lists_close_matches(codebook: Path) -> None:
    before = codebook.read_bytes()
    with pytest.raises(CodebookError) as caught:
        move_code(codebook, "trust.onlin", "channel", **WHO)
    assert caught.value.problems[0].startswith(
        f"{codebook}: code trust.onlin: no such code; close matches: trust.online"
    )
    assert codebook.read_bytes() == before


def test_merge_moves_children_and_hints_to_the_target(codebook: Path) -> None:
    revision = merge_codes(codebook, ["trust.online", "channel.linkedin"], "trust.proximity", **WHO)
    text = _check_written(
        codebook, revision, "merge", "trust.online, channel.linkedin -> trust.proximity"
    )
    assert revision.mapping == {
        "trust.online": "trust.proximity",
        "channel.linkedin": "trust.proximity",
    }
    assert revision.removed == ("trust.online", "channel.linkedin")
    book = load_codebook(codebook)
    assert book.code("trust.online") is None and book.code("channel.linkedin") is None
    target = book.code("trust.proximity")
    assert target is not None
    assert [c.id for c in book.children("trust.proximity")] == [
        "trust.online.trusts",
        "trust.online.distrusts",
    ]
    assert target.keywords == (
        "colleague",
        "word of mouth",
        "online",
        "forum",
        "social media",
        "review",
        "linkedin",
    )
    assert [e.quote[:20] for e in target.examples] == [
        "If my old colleague ",
        "If three people I fo",
        "I usually check the ",
        "I saw it on LinkedIn",
    ]
    assert len(target.patterns) == 2 and target.regex == (r"\bgoogl(e|ed|ing)\b",)
    assert target.definition == "The speaker trusts information because of who passes it on."
    assert '        keywords: [colleague, "word of mouth", online, forum' in text
    assert "# Grouping code: never applied to text." in text


def test_merge_into_a_code_inside_a_merged_one_is_refused(codebook: Path) -> None:
    before = codebook.read_bytes()
    with pytest.raises(CodebookError, match="inside trust.online, which is merged into it"):
        merge_codes(codebook, ["trust.online"], "trust.online.trusts", **WHO)
    assert codebook.read_bytes() == before


def test_split_adds_siblings_after_the_code_and_removes_it(codebook: Path) -> None:
    new = [
        ("trust.proximity.close", "Close ties", "Family and friends."),
        ("trust.proximity.work", "Work ties", ""),
    ]
    revision = split_code(codebook, "trust.proximity", new, **WHO)
    text = _check_written(
        codebook,
        revision,
        "split",
        "trust.proximity -> trust.proximity.close, trust.proximity.work",
    )
    assert revision.pending == {
        "trust.proximity": ("trust.proximity.close", "trust.proximity.work")
    }
    assert revision.mapping == {} and revision.removed == ("trust.proximity",)
    book = load_codebook(codebook)
    assert [c.id for c in book.children("trust")] == [
        "trust.online",
        "trust.proximity.close",
        "trust.proximity.work",
    ]
    assert (
        "      - id: trust.proximity.work\n        name: Work ties\n"
        "  # Codes below use the flat form"
    ) in text


def test_split_with_keep_writes_flat_siblings_for_a_flat_code(codebook: Path) -> None:
    revision = split_code(
        codebook, "channel.linkedin", [("channel.x", "X", "Twitter or X.")], keep=True, **WHO
    )
    text = _check_written(
        codebook, revision, "split", "channel.linkedin -> channel.x (channel.linkedin kept)"
    )
    assert revision.pending == {"channel.linkedin": ("channel.linkedin", "channel.x")}
    assert revision.removed == ()
    assert "  - id: channel.x\n    name: X\n    parent: channel\n" in text
    assert [c.id for c in load_codebook(codebook).children("channel")] == [
        "channel.linkedin",
        "channel.x",
    ]


def test_split_of_a_code_with_children_needs_keep(codebook: Path) -> None:
    before = codebook.read_bytes()
    with pytest.raises(CodebookError, match=r"has children \(trust.online.trusts"):
        split_code(codebook, "trust.online", [("trust.peers", "Peers", "")], **WHO)
    assert codebook.read_bytes() == before


def test_move_a_nested_code_to_the_top_level_with_its_children(codebook: Path) -> None:
    revision = move_code(codebook, "trust.online", None, **WHO)
    text = _check_written(codebook, revision, "move", "trust.online: trust -> (top level)")
    assert revision.mapping == {} and revision.removed == ()
    book = load_codebook(codebook)
    assert book.code("trust.online").parent is None  # type: ignore[union-attr]
    assert [c.id for c in book.children("trust.online")] == [
        "trust.online.trusts",
        "trust.online.distrusts",
    ]
    assert "  - id: trust.online\n    name: Trust in online information\n" in text
    assert '    keywords: [online, forum, "social media", review]  # matched on lemmas\n' in text
    assert _comments(text) == _comments(FULL.read_text(encoding="utf-8"))


def test_move_under_a_code_without_children_adds_them(codebook: Path) -> None:
    revision = move_code(codebook, "trust.proximity", "interviewer.probe", **WHO)
    text = _check_written(codebook, revision, "move", "trust.proximity: trust -> interviewer.probe")
    assert "    children:\n      - id: trust.proximity\n" in text
    assert load_codebook(codebook).code("trust.proximity").parent == "interviewer.probe"  # type: ignore[union-attr]


def test_move_of_a_flat_code_edits_its_parent_key(codebook: Path) -> None:
    revision = move_code(codebook, "channel.linkedin", "trust", **WHO)
    text = _check_written(codebook, revision, "move", "channel.linkedin: channel -> trust")
    assert "  - id: channel.linkedin\n    parent: trust\n" in text
    move_code(codebook, "channel.linkedin", None, **WHO)
    assert load_codebook(codebook).code("channel.linkedin").parent is None  # type: ignore[union-attr]
    assert "parent: trust" not in codebook.read_text(encoding="utf-8")


def test_move_under_its_own_descendant_is_refused(codebook: Path) -> None:
    before = codebook.read_bytes()
    with pytest.raises(CodebookError, match="under itself or one of its descendants"):
        move_code(codebook, "trust", "trust.online.trusts", **WHO)
    assert codebook.read_bytes() == before


def test_a_revision_whose_result_does_not_validate_is_not_written(codebook: Path) -> None:
    before = codebook.read_bytes()
    with pytest.raises(CodebookError) as caught:
        move_code(codebook, "trust.online.trusts", None, **WHO)
    assert caught.value.problems[0].startswith(f"{codebook} (after move):")
    assert "stance 'for' on a top-level code" in caught.value.problems[0]
    assert codebook.read_bytes() == before


def test_revision_keeps_windows_line_ends(codebook: Path) -> None:
    codebook.write_bytes(FULL.read_bytes().replace(b"\n", b"\r\n"))
    rename_code(codebook, "channel", "source", **WHO)
    data = codebook.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n")
    assert load_codebook(codebook).code("source") is not None
