"""`qualmine saturation`: accumulation, 90/95 % points, Guest-Namey-Chen runs, random band."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import invoke
from qualmine.analysis.accumulation import (
    Interview,
    accumulate,
    assess_saturation,
    guest_saturation,
    interviews_to_reach,
    random_orders,
)
from qualmine.analysis.saturation import FIXED_CODEBOOK, SaturationRequest, saturation_report
from qualmine.cli import cli
from qualmine.errors import QualmineError
from qualmine.project.config import find_project
from test_reliability import CODINGS, make_project

GOLDEN = Path(__file__).parent / "golden"

# Ten interviews, ten codes a..j, written so every figure can be counted by hand.
SEQUENCE = [
    {"a", "b", "c", "d"},  # 1: new a b c d   cumulative 4
    {"a", "e"},  # 2: new e         5
    {"b", "f"},  # 3: new f         6
    {"c"},  # 4: nothing new   6   <- base of 4 ends here: 6 codes
    {"g"},  # 5: new g         7
    {"a"},  # 6: nothing new   7
    {"h", "i"},  # 7: new h i       9   <- 9 of 10 = 90 %
    {"b"},  # 8: nothing new   9
    {"c"},  # 9: nothing new   9
    {"j"},  # 10: new j       10   <- 10 of 10 = 100 % (95 % needs 9.5)
]


def _interviews(sets: list[set[str]] = SEQUENCE) -> list[Interview]:
    return [Interview(f"I{i:02d}", "", frozenset(s)) for i, s in enumerate(sets, start=1)]


def test_new_codes_and_cumulative_counts() -> None:
    steps = accumulate(_interviews())
    assert [len(s.new) for s in steps] == [4, 1, 1, 0, 1, 0, 2, 0, 0, 1]
    assert [s.cumulative for s in steps] == [4, 5, 6, 6, 7, 7, 9, 9, 9, 10]
    assert steps[6].new == ("h", "i")
    assert steps[0].share == pytest.approx(0.4) and steps[-1].share == 1.0


def test_points_where_90_and_95_percent_appeared() -> None:
    cumulative = [4, 5, 6, 6, 7, 7, 9, 9, 9, 10]
    assert interviews_to_reach(cumulative, 10, 90) == 7  # 9 >= 9.0
    assert interviews_to_reach(cumulative, 10, 95) == 10  # 9 < 9.5, 10 >= 9.5
    assert interviews_to_reach([], 0, 90) is None


def test_guest_namey_chen_base_and_run_by_hand() -> None:
    cumulative = [4, 5, 6, 6, 7, 7, 9, 9, 9, 10]
    g = guest_saturation(cumulative, base=4, run=2, threshold=0.05)
    # Base: interviews 1-4 hold 6 codes. Runs, each new code over 6:
    #   5-6: g        1/6 = 16.7 % > 5 %
    #   6-7: h, i     2/6 = 33.3 % > 5 %
    #   7-8: h, i     2/6 = 33.3 % > 5 %
    #   8-9: none     0/6 =  0 %  <= 5 %  -> saturation after interview 7
    assert g.base_codes == 6
    assert [(r.first, r.last, r.new, r.within) for r in g.runs] == [
        (5, 6, 1, False),
        (6, 7, 2, False),
        (7, 8, 2, False),
        (8, 9, 0, True),
    ]
    assert g.point == 7
    # A 20 % threshold accepts the first run (1/6 = 16.7 %): saturation after interview 4.
    assert guest_saturation(cumulative, base=4, run=2, threshold=0.2).point == 4
    # Base 6 (7 codes), run 3: 7-9 adds h, i (2/7 = 28.6 %); 8-10 adds j (1/7 = 14.3 %).
    not_reached = guest_saturation(cumulative, base=6, run=3, threshold=0.05)
    assert [(r.first, r.new) for r in not_reached.runs] == [(7, 2), (8, 1)]
    assert not_reached.point is None and not not_reached.reason
    short = guest_saturation(cumulative[:5], base=4, run=2)
    assert short.point is None and "needs 6 interviews" in short.reason


def test_a_threshold_equal_to_the_ratio_counts_as_within() -> None:
    # Base of 20 codes, one new code in the run: exactly 5 %.
    assert guest_saturation([20, 20, 21], base=1, run=2, threshold=0.05).point == 1


def test_random_orders_are_seeded_and_bracket_the_mean() -> None:
    interviews = _interviews()
    first = random_orders(interviews, permutations=2000, seed=3)
    again = random_orders(interviews, permutations=2000, seed=3)
    assert first == again
    assert first.mean[-1] == 10 and first.low[-1] == 10 and first.high[-1] == 10
    for low, mean, high in zip(first.low, first.mean, first.high, strict=True):
        assert low <= mean <= high
    # The first interview of a random order holds on average (4+2+2+1+1+1+2+1+1+1)/10 = 1.6
    assert first.mean[0] == pytest.approx(1.6, abs=0.06)
    assert 1 <= first.reach[90] <= first.reach[95] <= 10
    assert random_orders(interviews, permutations=50, seed=4) != random_orders(
        interviews, permutations=50, seed=5
    )


def test_assess_puts_it_together() -> None:
    result = assess_saturation(_interviews(), permutations=100, seed=1)
    assert result.total == 10 and result.reach == {90: 7, 95: 10}
    assert result.guest.point == 7
    assert len(result.random.mean) == 10


@pytest.fixture
def fixture_project(tmp_path: Path, runner: CliRunner) -> Path:
    return make_project(tmp_path / "sat", runner)


def test_date_order_uses_the_interview_date(fixture_project: Path) -> None:
    project = find_project(explicit=fixture_project)
    request = SaturationRequest(coders=("alice",), order="date", permutations=20)
    result, tables = saturation_report(project, request)
    # interview_date: Anna (D1) 2024-03-05, Ben (D2) 2024-01-10, Cara (D3) 2024-02-20.
    assert [s.document for s in result.steps] == ["D2", "D3", "D1"]
    assert [s.date for s in result.steps] == ["2024-01-10", "2024-02-20", "2024-03-05"]
    # alice: D2 trust peers mobile; D3 trust peers; D1 trust peers mobile.
    assert [s.cumulative for s in result.steps] == [3, 3, 3]
    assert tables[0].meta["note"] == FIXED_CODEBOOK
    by_name, _ = saturation_report(project, SaturationRequest(coders=("alice",), permutations=20))
    assert [s.document for s in by_name.steps] == ["D1", "D2", "D3"]


def test_date_order_needs_every_date(tmp_path: Path, runner: CliRunner) -> None:
    undated = "case,age_band\nAnna,20-35\nBen,36-45\nCara,36-45\n"
    folder = make_project(tmp_path / "undated", runner, codings=CODINGS, participants=undated)
    project = find_project(explicit=folder)
    with pytest.raises(QualmineError, match="no date for D1, D2, D3"):
        saturation_report(project, SaturationRequest(coders=("alice",), order="date"))


def test_cli_golden_csv_and_markdown(fixture_project: Path, runner: CliRunner) -> None:
    args = ("saturation", "--coder", "alice", "--order", "date", "--base", "1", "--run", "1")
    for fmt in ("csv", "md"):
        result = invoke(runner, fixture_project, *args, "-f", fmt)
        assert result.exit_code == 0, result.output
        assert result.output == (GOLDEN / f"saturation.{fmt}").read_text(encoding="utf-8"), fmt


def test_cli_says_when_saturation_cannot_be_assessed(
    fixture_project: Path, runner: CliRunner
) -> None:
    result = invoke(runner, fixture_project, "saturation", "--coder", "alice", "-f", "md")
    assert result.exit_code == 0, result.output
    assert "not assessable: needs 6 interviews (base 4 + run 2); there are 3" in result.output
    assert FIXED_CODEBOOK in result.output


def test_cli_plot_writes_deterministic_png_and_svg(
    fixture_project: Path, runner: CliRunner, tmp_path: Path
) -> None:
    written = []
    for name in ("one", "two"):
        plot = tmp_path / name / "curve.png"
        result = invoke(
            runner,
            fixture_project,
            "saturation",
            "--coder",
            "alice",
            "--plot",
            str(plot),
            "--permutations",
            "50",
            "-f",
            "csv",
        )
        assert result.exit_code == 0, result.output
        written.append((plot.read_bytes(), plot.with_suffix(".svg").read_bytes()))
    assert written[0] == written[1]
    png, svg = written[0]
    assert png.startswith(b"\x89PNG") and b"<svg" in svg and b"<dc:date>" not in svg


def test_cli_bad_input(fixture_project: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--project", str(fixture_project), "saturation", "--coder", "zed"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: unknown coder(s) zed; known coders: alice, bob"
    ]
