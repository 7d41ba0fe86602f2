"""Codebook exchange: REFI-QDA .qdc, and codebook tables from other QDA programs."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner

from conftest import invoke
from qualmine.codebook import load_codebook
from qualmine.errors import CodebookError, InputFileError
from qualmine.models import Code, Codebook, CodeExample
from qualmine.project.interchange import export_codebook, import_codebook
from qualmine.refi.descriptions import describe_code, read_description

REPO = Path(__file__).resolve().parent.parent
REFI = Path(__file__).parent / "data" / "refi"
STANDARD = REFI / "example-codebook-from-standard.qdc"
STUDY = REPO / "codebooks" / "study.yaml"
SMALL = Path(__file__).parent / "data" / "small" / "codebook.yaml"
CODEBOOK_XSD = xmlschema.XMLSchema(str(REFI / "Codebook.xsd"))


@pytest.fixture(autouse=True)
def _away_from_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a scratch folder: a command that looks for its project from the current
    folder must never find the example study at the top of the repository."""
    monkeypatch.chdir(tmp_path)


def plain(codes: tuple[Code, ...]) -> list[Code]:
    """Codes without their line numbers (which depend on the file's layout)."""
    return [replace(c, line=0) for c in codes]


def test_the_standards_example_codebook_imports_code_by_code(tmp_path: Path) -> None:
    target = tmp_path / "codebook.yaml"
    done = import_codebook(STANDARD, target)
    book = load_codebook(target)
    assert done.codes == 6 and len(book.codes) == 6
    expected = [
        # name, parent, colour, definition, isCodable
        ("Topics", None, "", "", False),
        ("Economy", None, "#ffff00", "Anything about jobs or taxes or business", True),
        ("Health care", None, "#33cc33", "Health care issues, doctor, patients, etc.", True),
        ("Values", None, "", "", False),
        ("Conservatives", None, "#ff0000", "Republicans or right-wing libertarians", True),
        ("Liberals", None, "#0000ff", "Democrats, socialists, or progressive independents", True),
    ]
    # The example nests nothing: every <Code> is closed before the next opens.
    for code, (name, parent, color, definition, codable) in zip(book.codes, expected, strict=True):
        assert code.name == name
        assert code.parent == parent
        assert code.color == color
        assert code.definition == definition
        assert code.codable is codable
    assert [c.id for c in book.codes] == [
        "topics",
        "economy",
        "health_care",
        "values",
        "conservatives",
        "liberals",
    ]


@pytest.mark.parametrize("source", [STUDY, SMALL], ids=["study", "small"])
def test_qdc_exports_validate_and_come_back_whole(source: Path, tmp_path: Path) -> None:
    data = export_codebook(source, "qdc")
    CODEBOOK_XSD.validate(data.decode("utf-8"))
    qdc = tmp_path / "out.qdc"
    qdc.write_bytes(data)
    import_codebook(qdc, tmp_path / "back.yaml")
    back = load_codebook(tmp_path / "back.yaml")
    original = load_codebook(source)
    assert plain(back.codes) == plain(original.codes)  # hints, stances, examples, sources
    assert back.version == original.version
    assert export_codebook(source, "qdc") == data  # the same codebook, the same bytes


def test_the_description_layout_reads_as_text_and_reads_back() -> None:
    book = load_codebook(STUDY)
    code = book.code("trust.online")
    assert code is not None
    text = describe_code(code)
    assert text.startswith(code.definition + "\n\nFull definition:\n")
    assert "\n\nInclude:\n- " in text and "\n\nExclude:\n- " in text
    assert "\n\nExamples:\n- " in text and "\n  Source: written for this codebook" in text
    assert text.splitlines()[-1].startswith('qualmine: {"exclude_keywords"')
    read = read_description(text)
    assert (read.definition, read.include, read.examples) == (
        code.definition,
        code.include,
        code.examples,
    )


def test_awkward_values_survive_the_round_trip_exactly(tmp_path: Path) -> None:
    awkward = Code(
        id="odd",
        name="Odd\tname\x01",
        definition="ends with a newline\n",
        full_definition="Include:\nlooks like a heading",
        include=("two\nlines", "  padded  "),
        examples=(CodeExample("quote\n  Source: not a source", "the real source"),),
        color="#ABCDEF",
        stance="",
    )
    book = Codebook(
        "Awkward", 1, (Code("top", "Top", codable=False), replace(awkward, parent="top"))
    )
    (tmp_path / "a.yaml").write_text(
        __import__("qualmine.codebook.writer", fromlist=["to_yaml"]).to_yaml(
            __import__("qualmine.codebook", fromlist=["codebook_to_dict"]).codebook_to_dict(book)
        )
    )
    data = export_codebook(tmp_path / "a.yaml", "qdc")
    CODEBOOK_XSD.validate(data.decode("utf-8"))
    (tmp_path / "a.qdc").write_bytes(data)
    import_codebook(tmp_path / "a.qdc", tmp_path / "b.yaml")
    assert plain(load_codebook(tmp_path / "b.yaml").codes) == plain(
        load_codebook(tmp_path / "a.yaml").codes
    )


def test_a_description_from_another_program_is_all_definition() -> None:
    read = read_description("  Anything about jobs.\n\nOr taxes.  ")
    assert read.definition == "Anything about jobs.\n\nOr taxes."
    assert read.include == () and read.extras is None


def test_the_legacy_codebook_namespace_with_braced_guids(tmp_path: Path) -> None:
    done = import_codebook(REFI / "legacy-namespace.qdc", tmp_path / "c.yaml")
    book = load_codebook(tmp_path / "c.yaml")
    assert [(c.id, c.parent, c.codable, c.color) for c in book.codes] == [
        ("emotions", None, False, ""),
        ("emotions.joy", "emotions", True, "#FFCC00"),
    ]
    assert [(x.element, x.count) for x in done.losses] == [("Set membership", 1)]


def test_hostile_codebook_xml_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.qdc"
    evil.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE CodeBook [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="'
        '5215cc69-b628-4e02-afb9-9beeaee55808" name="&x;" isCodable="true"/></Codes></CodeBook>'
    )
    with pytest.raises(InputFileError, match="refused: the XML declares a document type"):
        import_codebook(evil, tmp_path / "out.yaml")
    assert not (tmp_path / "out.yaml").exists()


def test_csv_and_xlsx_exports_read_back(tmp_path: Path) -> None:
    original = load_codebook(STUDY)
    for fmt in ("csv", "xlsx"):
        path = tmp_path / f"cb.{fmt}"
        path.write_bytes(export_codebook(STUDY, fmt))
        assert export_codebook(STUDY, fmt) == path.read_bytes()  # reproducible bytes
        import_codebook(path, tmp_path / f"{fmt}.yaml")
        back = load_codebook(tmp_path / f"{fmt}.yaml")
        no_hints = [
            replace(
                c,
                keywords=(),
                patterns=(),
                regex=(),
                exclude_keywords=(),
                stance="",
                speaker_role="participant",
            )
            for c in plain(original.codes)
        ]
        assert plain(back.codes) == no_hints  # tables carry no auto-coding hints
    header = next(csv.reader(io.StringIO((tmp_path / "cb.csv").read_text())))
    assert header[:3] == ["id", "name", "parent"]


def test_atlas_ti_code_manager_export(tmp_path: Path) -> None:
    # ATLAS.ti 9/22 Code Manager > Export > Excel/CSV: UTF-8 with BOM, this exact header;
    # a code's code groups are comma-joined in "Groups".
    text = (
        "Code,Groundedness,Density,Groups,Number of Groups,Comment,Creator,Creation Date,"
        "Modifier,Modification Date\n"
        'trust online,12,3,"Trust, Online",2,Judging online sources.,Anna,'
        "2023-01-05 10:00,Anna,2023-01-06 11:00\n"
        "trust offline,4,0,Trust,1,,Anna,2023-01-05 10:01,Anna,2023-01-05 10:01\n"
        "mobile,7,1,,0,Phones and tablets.,Ben,2023-01-07 09:00,Ben,2023-01-07 09:00\n"
    )
    source = tmp_path / "atlas.csv"
    source.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    done = import_codebook(source, tmp_path / "cb.yaml")
    book = load_codebook(tmp_path / "cb.yaml")
    assert [(c.id, c.name, c.parent, c.codable, c.definition) for c in book.codes] == [
        ("trust", "Trust", None, False, ""),
        ("trust.trust_online", "trust online", "trust", True, "Judging online sources."),
        ("trust.trust_offline", "trust offline", "trust", True, ""),
        ("mobile", "mobile", None, True, "Phones and tablets."),
    ]
    lost = {x.element: x for x in done.losses}
    assert lost["Set membership"].count == 1  # also in "Online": one parent per code
    assert "Column 'Groundedness'" in lost and "Column 'Creator'" in lost


def test_maxqda_code_and_memo_table(tmp_path: Path) -> None:
    # MAXQDA "Import codes and code memos from an Excel table": columns Code and Memo,
    # sub-codes written with a backslash (MAXQDA 12 manual,
    # https://www.maxqda.com/help-max12/how-to-code/importing-codes-and-code-memos-from-an-excel-table)
    # or with ">" (MAXQDA 2022 manual,
    # https://www.maxqda.com/de/hilfe-mx22/04-codes/codes-und-code-memos-aus-einer-excel-tabelle-importieren).
    from openpyxl import Workbook

    sheet_book = Workbook()
    sheet = sheet_book.active
    assert sheet is not None
    for row in (
        ("Code", "Memo"),
        ("Codename 1", "Here is a text with the code definition"),
        ("Codename 1\\Subcode 1.1", "Defines the subcode"),
        ("Codename 2 > Subcode 2.1 > Subcode 2.1.1", "Deep"),
    ):
        sheet.append(row)
    source = tmp_path / "maxqda.xlsx"
    sheet_book.save(source)
    import_codebook(source, tmp_path / "cb.yaml")
    book = load_codebook(tmp_path / "cb.yaml")
    assert [(c.name, c.parent, c.codable, c.definition) for c in book.codes] == [
        ("Codename 1", None, True, "Here is a text with the code definition"),
        ("Subcode 1.1", "codename_1", True, "Defines the subcode"),
        ("Codename 2", None, False, ""),
        ("Subcode 2.1", "codename_2", False, ""),
        ("Subcode 2.1.1", "codename_2.subcode_2_1", True, "Deep"),
    ]


def test_nvivo_codebook_tables(tmp_path: Path) -> None:
    # NVivo's codebook export to Excel (Share > Export Codebook) and its code list export:
    # Name, Description, Files, References. The layout is taken from what the NVivo
    # documentation describes and what such exports look like, not from a published
    # file; the "Hierarchical Name" form (Codes\\Parent\Child) is the one NVivo reports use.
    from openpyxl import Workbook

    flat = Workbook()
    sheet = flat.active
    assert sheet is not None
    sheet.append(("Name", "Description", "Files", "References"))
    sheet.append(("Barriers", "What stands in the way", 3, 9))
    sheet.append(("Enablers", None, 2, 4))
    flat.save(tmp_path / "nvivo.xlsx")
    import_codebook(tmp_path / "nvivo.xlsx", tmp_path / "a.yaml")
    assert [(c.id, c.definition) for c in load_codebook(tmp_path / "a.yaml").codes] == [
        ("barriers", "What stands in the way"),
        ("enablers", ""),
    ]
    (tmp_path / "nvivo.csv").write_text(
        "Hierarchical Name,Description,Files,References\n"
        "Codes\\\\Barriers,What stands in the way,3,9\n"
        "Codes\\\\Barriers\\Cost,Money,2,5\n"
    )
    import_codebook(tmp_path / "nvivo.csv", tmp_path / "b.yaml")
    assert [(c.id, c.parent) for c in load_codebook(tmp_path / "b.yaml").codes] == [
        ("barriers", None),
        ("barriers.cost", "barriers"),
    ]


def test_taguette_codebook_csv(tmp_path: Path) -> None:
    # Taguette's codebook export (taguette/export.py, codebook_csv: "tag", "description",
    # "number of highlights"); its importer (taguette/import_codebook.py) also reads an
    # optional "parent" column, https://gitlab.com/remram44/taguette.
    (tmp_path / "taguette.csv").write_text(
        "tag,description,number of highlights\r\n"
        "interesting,Worth a second look,4\r\n"
        "people.managers,About managers,2\r\n"
    )
    import_codebook(tmp_path / "taguette.csv", tmp_path / "a.yaml")
    assert [(c.id, c.name, c.definition) for c in load_codebook(tmp_path / "a.yaml").codes] == [
        ("interesting", "interesting", "Worth a second look"),
        ("people_managers", "people.managers", "About managers"),
    ]
    (tmp_path / "parents.csv").write_text("tag,description,parent\nchild,,top\ntop,Top level,\n")
    import_codebook(tmp_path / "parents.csv", tmp_path / "b.yaml")
    assert [(c.id, c.parent) for c in load_codebook(tmp_path / "b.yaml").codes] == [
        ("top", None),
        ("top.child", "top"),
    ]


def test_a_table_without_a_name_column_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("label,notes\na,b\n")
    with pytest.raises(InputFileError, match="no column names the codes"):
        import_codebook(tmp_path / "bad.csv", tmp_path / "out.yaml")


def test_merge_adds_new_codes_in_place_and_keeps_the_rest(tmp_path: Path) -> None:
    target = tmp_path / "codebook.yaml"
    target.write_text(SMALL.read_text().replace("codes:\n", "# our own codebook\ncodes:\n", 1))
    (tmp_path / "new.csv").write_text(
        "name,definition,parent\n"
        "Trust,A different definition,\n"
        "Trust in peers,Peers are trusted,Trust\n"
        "Costs,Money,\n"
    )
    done = import_codebook(tmp_path / "new.csv", target, merge=True)
    text = target.read_text()
    assert "# our own codebook" in text  # the file's own text is kept
    book = load_codebook(target)
    assert [(c.id, c.parent) for c in book.codes] == [
        ("trust", None),
        ("trust.trust_in_peers", "trust"),
        ("peers", None),
        ("mobile", None),
        ("costs", None),
    ]
    assert book.code("trust").definition == "The speaker says whom or what they trust."  # type: ignore[union-attr]
    assert done.added == ("trust.trust_in_peers", "costs") and done.kept == ("trust",)


def test_an_existing_codebook_is_not_overwritten_by_accident(tmp_path: Path) -> None:
    target = tmp_path / "codebook.yaml"
    target.write_text(SMALL.read_text())
    with pytest.raises(InputFileError, match="already exists"):
        import_codebook(STANDARD, target)
    assert target.read_text() == SMALL.read_text()
    import_codebook(STANDARD, target, overwrite=True)
    assert len(load_codebook(target).codes) == 6


def test_a_bad_colour_is_dropped_and_reported(tmp_path: Path) -> None:
    (tmp_path / "odd.csv").write_text("id,name,color\nx,X,red\n")
    done = import_codebook(tmp_path / "odd.csv", tmp_path / "out.yaml")
    assert load_codebook(tmp_path / "out.yaml").codes[0].color == ""
    assert [(x.element, x.count) for x in done.losses] == [("Code color", 1)]


def test_an_invalid_imported_codebook_names_its_problems(tmp_path: Path) -> None:
    (tmp_path / "bad.qdc").write_text(
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        '<Code guid="5215cc69-b628-4e02-afb9-9beeaee55808" name="X" isCodable="true">'
        '<Description>qualmine: {"id": "x", "regex": ["("]}</Description></Code>'
        "</Codes></CodeBook>"
    )
    with pytest.raises(CodebookError, match=r"bad.qdc: code x: invalid regex '\('"):
        import_codebook(tmp_path / "bad.qdc", tmp_path / "out.yaml")
    assert not (tmp_path / "out.yaml").exists()


def test_cli_codebook_export_and_import(runner: CliRunner, project_dir: Path) -> None:
    (project_dir / "codebook.yaml").write_text(SMALL.read_text())
    config = project_dir / "qualmine.toml"
    config.write_text(
        config.read_text().replace("[project]\n", '[project]\ncodebook = "codebook.yaml"\n')
    )
    result = invoke(runner, project_dir, "codebook", "export", "-f", "qdc")
    assert result.exit_code == 0 and result.output.startswith("<?xml")
    CODEBOOK_XSD.validate(result.output)
    result = invoke(runner, project_dir, "codebook", "export", "-f", "xlsx")
    assert result.exit_code == 2 and "-o FILE.xlsx" in result.output
    out = project_dir / "cb.csv"
    result = invoke(runner, project_dir, "codebook", "export", "-f", "csv", "-o", str(out))
    assert result.exit_code == 0 and out.read_text().startswith("id,name,parent")
    result = invoke(runner, project_dir, "codebook", "import", str(STANDARD))
    assert result.exit_code == 1 and "--merge" in result.output
    result = invoke(runner, project_dir, "codebook", "import", str(STANDARD), "--merge")
    assert result.exit_code == 0, result.output
    assert "merged into" in result.output and "6 code(s) added, 9 in all" in result.output
    assert len(load_codebook(project_dir / "codebook.yaml").codes) == 9
