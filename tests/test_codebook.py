"""Loading, validating, hashing and writing YAML codebooks (docs/codebook.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from qualmine.codebook import (
    codebook_to_dict,
    content_hash,
    dump_codebook,
    load_codebook,
    validate_codebook,
)
from qualmine.errors import CodebookError, InputFileError
from qualmine.models import ChangelogEntry, CodeExample

CODEBOOKS = Path(__file__).parent / "data" / "codebooks"
FULL = CODEBOOKS / "full.yaml"
MALFORMED = CODEBOOKS / "malformed.yaml"


def test_full_codebook_loads_codes_in_order_with_lines() -> None:
    book = load_codebook(FULL, strict=True)
    assert book.name == "Trust in professional networks"
    assert book.format_version == 1
    assert book.path == str(FULL)
    assert [(c.id, c.parent, c.line) for c in book.codes] == [
        ("trust", None, 7),
        ("trust.online", "trust", 13),
        ("trust.online.trusts", "trust.online", 35),
        ("trust.online.distrusts", "trust.online", 41),
        ("trust.proximity", "trust", 47),
        ("channel", None, 55),
        ("channel.linkedin", "channel", 59),
        ("interviewer.probe", None, 66),
    ]
    assert [c.id for c in book.children("trust")] == ["trust.online", "trust.proximity"]


def test_full_codebook_reads_every_field() -> None:
    book = load_codebook(FULL)
    trust = book.code("trust")
    online = book.code("trust.online")
    assert trust is not None and online is not None
    assert trust.codable is False and trust.color == "#1f77b4"
    assert online.full_definition.startswith("Statements that evaluate the reliability")
    assert online.full_definition.endswith("for work decisions.")
    assert online.include == ("Explicit judgements of online sources as reliable or unreliable",)
    assert online.exclude[0].endswith("(use trust.proximity)")
    assert online.examples == (
        CodeExample(
            "If three people I follow all point to the same vendor review, I take it seriously.",
            "written for this codebook",
        ),
        CodeExample("I usually check the forums before I call a vendor."),
    )
    assert online.keywords == ("online", "forum", "social media", "review")
    assert online.patterns == (
        ({"LOWER": "read"}, {"LOWER": "it"}, {"LOWER": "online"}),
        ({"LEMMA": "google"}, {"IS_ALPHA": True, "OP": "?"}),
    )
    assert online.regex == (r"\bgoogl(e|ed|ing)\b",)
    assert online.exclude_keywords == ("offline",)
    assert online.speaker_role == "participant" and online.codable is True
    assert [book.code(i).stance for i in ("trust.online.trusts", "trust.online.distrusts")] == [  # type: ignore[union-attr]
        "for",
        "against",
    ]
    linkedin = book.code("channel.linkedin")
    assert linkedin is not None and linkedin.color == "#ff7f0e"
    assert linkedin.examples == (CodeExample("I saw it on LinkedIn first."),)
    assert book.code("interviewer.probe").speaker_role == "any"  # type: ignore[union-attr]
    assert book.changelog == (
        ChangelogEntry(
            "2026-11-20",
            "alice",
            "rename",
            "trust.web -> trust.online",
            "round 2: 'web' read as too narrow",
        ),
    )


def test_full_codebook_has_no_problems() -> None:
    report = validate_codebook(FULL, strict=True)
    assert report.ok and report.errors == () and report.warnings == ()
    assert report.codebook is not None


def test_one_load_reports_every_problem_with_its_line() -> None:
    with pytest.raises(CodebookError) as caught:
        load_codebook(MALFORMED)
    problems = caught.value.problems
    expected = [
        ("3: ", "unknown key 'descripion' at the top level (did you mean 'description'?)"),
        (
            "12: code trust.online: ",
            "unknown key 'defintion' in a code (did you mean 'definition'?)",
        ),
        (
            "14: code trust.online: ",
            "invalid regex '(unclosed': missing ), unterminated subpattern",
        ),
        (
            "16: code trust.online: ",
            "pattern attribute POS is not set by the pipeline (the blank "
            "English pipeline sets no POS; use LOWER or LEMMA)",
        ),
        ("17: code trust.online: ", "invalid spaCy pattern: token 2 OP:"),
        ("18: code trust.online: ", "each pattern must be a list of token dicts"),
        ("19: code trust: ", "duplicate id: defined on lines 5 and 19"),
        ("23: code (no id): ", "missing id"),
        ("26: code Channel Online: ", "invalid id 'Channel Online'"),
        ("30: code Channel Online: ", "bad color '#12345'"),
        ("32: code orphan: ", "unknown parent 'no.such.code'"),
        ("36: code orphan: ", "bad speaker_role 'respondent'"),
        ("38: code loop.a: ", "parent cycle: loop.a -> loop.b -> loop.a"),
        ("49: code pro: ", "stance 'for' on a top-level code"),
        ("54: code mood: ", "bad stance 'pro': use 'for' or 'against'"),
        ("56: code mood: ", "color is empty: quote it"),
    ]
    assert len(problems) == len(expected), "\n".join(problems)
    for problem, (where, what) in zip(problems, expected, strict=True):
        assert problem.startswith(f"{MALFORMED}:{where}{what}"), problem
    assert str(MALFORMED) in str(caught.value) and "16 problems" in str(caught.value)


def test_malformed_warnings_are_reported_beside_the_errors() -> None:
    report = validate_codebook(MALFORMED)
    assert report.codebook is None
    assert report.warnings == (
        f"{MALFORMED}:10: code trust.online: no definition",
        f"{MALFORMED}:52: code mood: no examples",
        f"{MALFORMED}:57: code quiet: no definition",
    )


def test_yaml_syntax_error_names_its_line() -> None:
    report = validate_codebook(CODEBOOKS / "syntax_error.yaml")
    assert report.codebook is None
    assert report.errors == (
        f"{CODEBOOKS / 'syntax_error.yaml'}:7: YAML syntax error: expected ',' or ']', but got "
        "':' (while parsing a flow sequence, which starts on line 6)",
    )


def test_warnings_do_not_stop_a_load_but_fail_it_under_strict() -> None:
    path = CODEBOOKS / "warnings.yaml"
    report = validate_codebook(path)
    assert report.errors == () and report.codebook is not None
    warnings = (
        f"{path}:10: code theme.undefined: no definition",
        f"{path}:13: code theme.no-examples: no examples",
    )
    assert report.warnings == warnings
    assert len(load_codebook(path).codes) == 3
    strict = validate_codebook(path, strict=True)
    assert strict.errors == warnings and strict.warnings == () and strict.codebook is None
    with pytest.raises(CodebookError) as caught:
        load_codebook(path, strict=True)
    assert caught.value.problems == list(warnings)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_top_level_problems(tmp_path: Path) -> None:
    path = _write(tmp_path, "format_version: 2\ndescription: no name, no codes\n")
    assert validate_codebook(path).errors == (
        f"{path}:1: missing name (a codebook needs format_version, name and codes)",
        f"{path}:1: missing codes (a codebook needs format_version, name and codes)",
        f"{path}:1: unsupported format_version '2' (this qualmine reads format_version 1)",
    )
    assert validate_codebook(_write(tmp_path, "")).errors == (
        f"{path}:1: a codebook is a mapping with format_version, name and codes, not an empty file",
    )


def test_duplicate_keys_and_a_parent_key_that_contradicts_nesting(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
format_version: 1
name: x
codes:
  - id: a
    name: A
    name: A again
    children:
      - id: a.b
        parent: c
        name: B
""",
    )
    assert validate_codebook(path).errors == (
        f"{path}:6: code a: key 'name' appears twice in a code (lines 5 and 6)",
        f"{path}:9: code a.b: parent 'c' contradicts its place among the children of a "
        "(remove the parent key)",
    )


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read codebook"):
        load_codebook(tmp_path / "missing.yaml")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputFileError, match="not UTF-8"):
        load_codebook(latin1)


def _reorder_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reorder_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reorder_keys(v) for v in value]
    return value


def test_hash_ignores_key_order_layout_and_changelog(tmp_path: Path) -> None:
    book = load_codebook(FULL)
    data = yaml.safe_load(FULL.read_text(encoding="utf-8"))
    reordered = _write(tmp_path, yaml.safe_dump(_reorder_keys(data), sort_keys=False))
    assert load_codebook(reordered).version == book.version
    data["changelog"].append(
        {"date": "2026-11-27", "coder": "bob", "action": "move", "detail": "x", "reason": "y"}
    )
    data["name"] = "Another title"
    assert load_codebook(_write(tmp_path, yaml.safe_dump(data))).version == book.version


def test_hash_changes_with_a_definition(tmp_path: Path) -> None:
    book = load_codebook(FULL)
    text = FULL.read_text(encoding="utf-8").replace(
        "by where it comes from.", "by where it came from.", 1
    )
    changed = load_codebook(_write(tmp_path, text))
    assert changed.version != book.version
    assert changed.version.startswith("1-") and len(changed.content_hash) == 12


def test_hash_is_stable_across_releases() -> None:
    # Stored codings point at this version; changing the hash recipe orphans every snapshot.
    book = load_codebook(FULL)
    assert book.version == "1-0da7c58121f8"
    assert content_hash(book.format_version, book.codes) == book.content_hash


def test_dump_writes_the_nested_form_and_loads_back_the_same(tmp_path: Path) -> None:
    book = load_codebook(FULL)
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    dump_codebook(book, first)
    dump_codebook(load_codebook(first), second)
    assert first.read_bytes() == second.read_bytes()
    again = load_codebook(first, strict=True)
    assert again.version == book.version
    assert again.changelog == book.changelog
    assert [(c.id, c.parent) for c in again.codes] == [(c.id, c.parent) for c in book.codes]
    text = first.read_text(encoding="utf-8")
    assert "parent:" not in text
    assert "  - [{LOWER: read}, {LOWER: it}, {LOWER: online}]\n" in text


def test_codebook_to_dict_nests_children_and_drops_defaults() -> None:
    data = codebook_to_dict(load_codebook(FULL))
    assert list(data) == ["format_version", "name", "codes", "changelog"]
    assert [c["id"] for c in data["codes"]] == ["trust", "channel", "interviewer.probe"]
    channel = data["codes"][1]
    assert channel == {
        "id": "channel",
        "name": "Information channel",
        "definition": "The channel through which the speaker got the information.",
        "codable": False,
        "children": [
            {
                "id": "channel.linkedin",
                "name": "LinkedIn",
                "definition": "The speaker names LinkedIn as where they found the information.",
                "examples": ["I saw it on LinkedIn first."],
                "color": "#ff7f0e",
                "keywords": ["linkedin"],
            }
        ],
    }
    assert data["codes"][2]["speaker_role"] == "any"


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    doc = (Path(__file__).parent.parent / "docs" / "codebook.md").read_text(encoding="utf-8")
    example = doc.split("## A complete example")[1].split("```yaml\n")[1].split("```")[0]
    book = load_codebook(_write(tmp_path, example), strict=True)
    assert [c.id for c in book.codes][:2] == ["trust", "trust.online"]


def test_project_codebook_is_valid() -> None:
    study = Path(__file__).parent.parent / "codebooks" / "study.yaml"
    if not study.exists():
        pytest.skip("no study codebook in this checkout")
    assert validate_codebook(study).errors == ()
