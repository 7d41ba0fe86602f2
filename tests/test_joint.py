"""The joint display on a hand-built project: every column checked against hand counts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA, invoke
from qualmine.analysis.joint import joint_display, read_stance
from qualmine.models import Coding
from qualmine.project.codings_file import find_quote
from qualmine.project.config import find_project
from qualmine.storage import transaction
from qualmine.storage.codings import add_codings, mark_done
from qualmine.storage.documents import all_documents

JOINT = DATA / "joint"
CODINGS = [  # document, quote, code, score
    ("T1", "Forums are reliable for me.", "trust.yes", 0.6),
    ("T1", "I read them on my phone.", "mobile", None),
    ("T2", "I believe what my peers post.", "trust.yes", 0.9),
    ("T2", "Mostly I check it on the train.", "mobile", None),
    ("T3", "Anyone can write anything online.", "trust.no", 0.8),
    ("T4", "Peers online have never misled me.", "trust.yes", None),
]


@pytest.fixture
def joint_project(tmp_path: Path, runner: CliRunner) -> Path:
    folder = tmp_path / "joint"
    runner.invoke(__import__("qualmine.cli", fromlist=["cli"]).cli, ["init", str(folder)])
    (folder / "transcripts").mkdir()
    for name in ("T1.txt", "T2.txt", "T3.txt", "T4.txt"):
        shutil.copy(JOINT / name, folder / "transcripts" / name)
    for name in ("codebook.yaml", "participants.csv", "findings.yaml"):
        shutil.copy(JOINT / name, folder / name)
    (folder / "qualmine.toml").write_text(
        '[project]\nname = "joint"\ntranscripts = ["transcripts"]\n'
        'participants = "participants.csv"\ncodebook = "codebook.yaml"\n'
        'findings = "findings.yaml"\nreport_coder = "alice"\nnotice = "hand-built fixture"\n'
    )
    assert invoke(runner, folder, "import", str(folder / "transcripts")).exit_code == 0
    project = find_project(explicit=folder)
    with project.session() as conn:
        docs = {d.name: d for d in all_documents(conn)}
        rows = []
        for name, quote, code, score in CODINGS:
            [(start, end)] = find_quote(docs[name].text, quote)
            rows.append(Coding(0, docs[name].id, start, end, quote, code, "alice", score=score))
        with transaction(conn):
            add_codings(conn, rows)
            for doc in docs.values():
                mark_done(conn, doc.id, "alice")
    return folder


def _rows(folder: Path) -> dict[str, dict[str, object]]:
    table = joint_display(find_project(explicit=folder))
    return {row[0]: dict(zip(table.columns, row, strict=True)) for row in table.rows}


def test_counts_group_split_and_stance(joint_project: Path) -> None:
    row = _rows(joint_project)["F1_online_trust"]
    assert row["cases with code"] == "4 of 4"  # Ana, Bo, Cy, Di all carry a trust code
    assert row["by group (* = groups the finding names)"] == (
        "age_band=20-35*: 2 of 2; age_band=36-45: 1 of 1; age_band=55+: 1 of 1"
    )
    assert row["stance cases"] == "3 support, 1 contradict"  # Ana, Bo, Di vs Cy
    assert row["denominator"] == "n=356 (assumed)"
    assert row["value"] == "83 % of respondents"


def test_exemplars_follow_the_stated_rule_and_a_disconfirming_quote_is_shown(
    joint_project: Path,
) -> None:
    row = _rows(joint_project)["F1_online_trust"]
    # Highest score first: Bo (0.9), then Ana (0.6); Di has no score and comes after.
    assert row["exemplar quotes"] == (
        "Bo: I believe what my peers post. | Ana: Forums are reliable for me."
    )
    assert row["disconfirming quote"] == "Cy: Anyone can write anything online."
    mobile = _rows(joint_project)["F2_mobile"]
    # No scores: document order, then position.
    assert mobile["exemplar quotes"] == (
        "Ana: I read them on my phone. | Bo: Mostly I check it on the train."
    )
    assert mobile["disconfirming quote"] == ""


def test_readings_by_rule_and_by_the_analysts_override(joint_project: Path) -> None:
    rows = _rows(joint_project)
    assert (rows["F1_online_trust"]["reading"], rows["F1_online_trust"]["reading from"]) == (
        "convergent",
        "rule",
    )  # 3 >= 2 x 1
    assert rows["F2_mobile"]["reading"] == "complementary"  # evidence, no stance codes
    assert rows["F2_mobile"]["cases with code"] == "2 of 4"
    assert rows["F3_silent"]["reading"] == "silent"
    assert rows["F3_silent"]["cases with code"] == "0 of 4"
    assert rows["F4_overridden"]["reading"] == "divergent"
    assert rows["F4_overridden"]["reading from"] == (
        "analyst: the distrusting case is the only decision-maker"
    )
    assert rows["F4_overridden"]["denominator"] == "n=356 (stated)"


def test_the_reading_rule_at_its_edges() -> None:
    assert read_stance(0, 0, True, False) == "silent"
    assert read_stance(2, 1, True, True) == "convergent"
    assert read_stance(3, 2, True, True) == "complementary"
    assert read_stance(1, 2, True, True) == "divergent"
    assert read_stance(0, 0, True, True) == "complementary"
    assert read_stance(5, 0, False, True) == "complementary"


def test_the_table_says_it_is_no_estimate(joint_project: Path, runner: CliRunner) -> None:
    result = invoke(runner, joint_project, "joint", "--format", "md")
    assert result.exit_code == 0, result.output
    assert "not estimates of the survey's percentages" in result.output
    assert "hand-built fixture" in result.output
    assert "4 documents marked done by alice" in result.output
