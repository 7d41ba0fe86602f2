"""`qualmine evaluate` on a hand-computed three-document fixture."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import invoke
from qualmine.coding.assessment import EvaluateRequest, evaluate_project
from qualmine.coding.runs import UnitScores, store_run
from qualmine.coding.units import read_units
from qualmine.models import Coding
from qualmine.project.config import find_project
from qualmine.storage import transaction
from qualmine.storage.codings import add_codings, mark_done
from qualmine.storage.documents import all_documents
from small_project import make_small_project

# Participant segments: D1 a..e, D2 a..c, D3 a..c (11 units).
GOLD = {  # alice
    ("D1", "I trust people I have met."): "trust",
    ("D1", "I rely on it every day."): "trust",
    ("D2", "I do not trust strangers online."): "trust",
    ("D3", "I trust her because she has done it before."): "trust",
    ("D1", "I asked my peers about the vendor."): "peers",
    ("D2", "My colleagues matter most."): "peers",
    ("D3", "A peer in the forum warned me."): "peers",
}
SCORES = {  # the auto-coder's ranked codes; 0.5 and above become suggestions
    ("D1", "I trust people I have met."): [("trust", 0.9)],
    ("D1", "I asked my peers about the vendor."): [("peers", 0.8), ("trust", 0.2)],
    ("D1", "The group said no."): [("peers", 0.7)],
    ("D2", "My colleagues matter most."): [("mobile", 0.3)],
    ("D2", "I do not trust strangers online."): [("trust", 0.9)],
    ("D3", "A peer in the forum warned me."): [("trust", 0.6)],
}


@pytest.fixture
def scored(tmp_path: Path) -> Path:
    folder = make_small_project(tmp_path / "p")
    project = find_project(explicit=folder)
    with project.session() as conn:
        docs = {d.id: d.name for d in all_documents(conn)}
        units = read_units(conn, "segment", speaker_role="participant")
        by_text = {(docs[u.document_id], u.text): u for u in units}
        gold = [
            Coding(0, u.document_id, u.start, u.end, u.text, GOLD[key], "alice")
            for key, u in by_text.items()
            if key in GOLD
        ]
        with transaction(conn):
            add_codings(conn, gold)
            for doc_id in docs:
                mark_done(conn, doc_id, "alice")
        ranked = [
            UnitScores(u, tuple((c, s, "hand") for c, s in SCORES.get(key, [])))
            for key, u in by_text.items()
        ]
        store_run(
            conn,
            method="hand",
            unit="segment",
            scored=ranked,
            thresholds={"trust": 0.5, "peers": 0.5, "mobile": 0.5},
            params={},
            codebook_version="",
        )
    return folder


def test_scores_match_the_hand_computation(scored: Path) -> None:
    result, meta = evaluate_project(
        find_project(explicit=scored), EvaluateRequest("alice", "auto:hand")
    )
    assert result.units == 11
    codes = {s.code: s for s in result.per_code}
    assert set(codes) == {"trust", "peers"}  # mobile: no gold and no prediction
    trust, peers = codes["trust"], codes["peers"]
    # trust: gold 4, predicted 3, both 2 -> P 2/3, R 1/2, F1 4/7.
    assert (trust.gold_units, trust.pred_units, trust.true_positive) == (4, 3, 2)
    assert math.isclose(trust.precision, 2 / 3) and math.isclose(trust.recall, 0.5)
    assert math.isclose(trust.f1, 4 / 7)
    # kappa: po = 8/11, pe = (4*3 + 7*8)/121 = 68/121 -> (88 - 68) / (121 - 68) = 20/53.
    assert math.isclose(trust.kappa, 20 / 53)
    # peers: gold 3, predicted 2, both 1 -> P 1/2, R 1/3, F1 2/5, kappa 10/43.
    assert math.isclose(peers.f1, 0.4) and math.isclose(peers.kappa, 10 / 43)
    assert math.isclose(trust.chance_precision, 4 / 11)
    assert math.isclose(trust.chance_recall, 3 / 11)
    # micro: 3 true positives, 5 predicted, 7 gold.
    assert math.isclose(result.micro_precision, 0.6)
    assert math.isclose(result.micro_recall, 3 / 7)
    assert math.isclose(result.micro_f1, 0.5)
    assert math.isclose(result.macro_f1, (4 / 7 + 0.4) / 2)
    assert math.isclose(result.macro_kappa, (20 / 53 + 10 / 43) / 2)
    # recall@5 over the 7 gold units: hits in D1 a, D1 b, D2 b -> 3/7; chance 5/3 capped at 1.
    assert math.isclose(result.recall_at[5], 3 / 7)
    assert result.chance_recall_at[5] == 1.0
    assert "11 units in 3 documents marked done by alice" in meta["denominator"]


def test_only_documents_the_gold_coder_finished_count(scored: Path) -> None:
    project = find_project(explicit=scored)
    with project.session() as conn, transaction(conn):
        conn.execute(
            "DELETE FROM done WHERE document_id = (SELECT id FROM documents WHERE name = 'D3')"
        )
    result, _ = evaluate_project(project, EvaluateRequest("alice", "auto:hand"))
    assert result.units == 8


def test_the_cli_prints_both_tables_with_chance(scored: Path, runner: CliRunner) -> None:
    result = invoke(
        runner, scored, "evaluate", "--gold", "alice", "--pred", "auto:hand", "-f", "md"
    )
    assert result.exit_code == 0, result.output
    assert (
        "## Evaluation per code" in result.output
        and "| recall@5 | 0.429 | 1.000 |" in result.output
    )
    assert "| micro F1 | 0.500 |" in result.output
