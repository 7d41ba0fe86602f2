"""Topic runs end to end with the real embedding model: interviews from the anthropic-interviewer
CSVs (participant speech only) and the example study with its reference codings."""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import DATA, REPO, invoke
from qualmine.cli import cli
from qualmine.codebook import load_codebook
from qualmine.project.config import find_project
from qualmine.topics import TopicRun, load_topic_view, read_topic_run, topics_section
from qualmine.topics.fillers import make_vectorizer
from test_topics import assert_clean

pytestmark = pytest.mark.slow

FILES = {
    "topics.csv",
    "prevalence-cases.csv",
    "prevalence-groups.csv",
    "units.csv",
    "topics.html",
    "topics.png",
    "topics.svg",
}
FIFTY = "creativity_0001"  # 50 participant sentences


@pytest.fixture(scope="session")
def interviews(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the first four creatives' interviews."""
    folder = tmp_path_factory.mktemp("interviews") / "project"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(folder)]).exit_code == 0
    csv.field_size_limit(sys.maxsize)
    source = DATA / "anthropic-interviewer" / "creatives_transcripts.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:4]
    subset = folder / "interviews.csv"
    with subset.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["transcript_id", "text"])
        writer.writeheader()
        writer.writerows(rows)
    result = invoke(runner, folder, "import", str(subset))
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="session")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example study with the reference coder's codings."""
    folder = tmp_path_factory.mktemp("study") / "study"
    folder.mkdir()
    for name in ("transcripts", "codebooks", "codings"):
        shutil.copytree(REPO / name, folder / name)
    shutil.copy(REPO / "qualmine.toml", folder / "qualmine.toml")
    runner = CliRunner()
    for args in (
        ["import", str(folder / "transcripts")],
        ["codings", "import", str(folder / "codings" / "reference.csv")],
    ):
        result = invoke(runner, folder, *args)
        assert result.exit_code == 0, result.output
    return folder


def run(project: Path, *args: str) -> Result:
    result = invoke(CliRunner(), project, "topics", "run", *args)
    assert result.exit_code == 0, result.output
    return result


def latest(project: Path) -> TopicRun:
    with find_project(explicit=project).session() as conn:
        return read_topic_run(conn)


def test_fifty_units_each_get_a_topic_with_outliers_reduced(
    interviews: Path, tmp_path: Path
) -> None:
    result = run(interviews, "--docs", FIFTY, "--reduce-outliers", "-o", str(tmp_path))
    stored = latest(interviews)
    assert len(stored.assignments) == 50
    assert stored.info.results["n_topics"] >= 1
    assert all(a.topic >= 0 for a in stored.assignments)
    assert stored.info.params["reduce_outliers"] is True
    assert "50 segments of participant speech" in " ".join(result.output.split())
    assert {p.name for p in tmp_path.iterdir()} == FILES


def test_the_same_seed_gives_byte_identical_files(interviews: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    run(interviews, "--docs", FIFTY, "--seed", "11", "-o", str(first))
    run(interviews, "--docs", FIFTY, "--seed", "11", "-o", str(second))
    assert {p.name for p in first.iterdir()} == FILES
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    page = (first / "topics.html").read_text(encoding="utf-8")
    assert "<script" in page and len(page) > 1_000_000  # plotly.js itself is inlined
    assert "<dc:date>" not in (first / "topics.svg").read_text(encoding="utf-8")


def test_topic_words_hold_no_stop_word_or_filler(interviews: Path, tmp_path: Path) -> None:
    result = run(interviews, "-o", str(tmp_path))
    stored = latest(interviews)
    assert stored.info.results["n_units"] > 100
    assert stored.words and any(stored.words.values())
    view = load_topic_view(find_project(explicit=interviews))
    analyzer = make_vectorizer().build_analyzer()
    inside: dict[int, set[str]] = {}
    for a in stored.assignments:
        inside.setdefault(a.topic, set()).update(
            analyzer(view.texts[a.document_id][a.start : a.end])
        )
    for topic, words in stored.words.items():
        for word, _ in words:
            assert_clean(word)
            assert word in inside[topic], (topic, word)  # never a pair spanning two units
    output = " ".join(result.output.split())
    assert "mean over topics" in output and "coherence (mean over topics): NPMI" in output
    for topic in stored.words:
        if topic >= 0:
            assert -1 <= stored.coherence("npmi", topic) <= 1
            assert 0 <= stored.coherence("c_v", topic) <= 1


def test_kmeans_with_stability(interviews: Path, tmp_path: Path) -> None:
    result = run(
        interviews,
        "--docs",
        FIFTY,
        "--method",
        "kmeans",
        "--k",
        "3",
        "--stability",
        "2",
        "-o",
        str(tmp_path),
    )
    stored = latest(interviews)
    assert sorted({a.topic for a in stored.assignments}) == [0, 1, 2]
    stability = stored.info.results["stability"]
    assert stability["seeds"] == [42, 43] and -1 <= stability["mean_ari"] <= 1
    assert "stability: mean adjusted Rand index" in " ".join(result.output.split())
    listed = invoke(CliRunner(), interviews, "topics", "list", "--format", "csv")
    rows = list(csv.DictReader(listed.output.splitlines()))
    assert rows[-1]["method"] == "kmeans" and rows[-1]["stability (ARI)"]
    assert rows[-1]["bertopic"]


def test_suggest_codes_without_codings_drafts_every_topic(interviews: Path, tmp_path: Path) -> None:
    run(interviews, "--docs", FIFTY, "--method", "kmeans", "--k", "2", "-o", str(tmp_path))
    draft = tmp_path / "draft.yaml"
    result = invoke(CliRunner(), interviews, "topics", "suggest-codes", "-o", str(draft))
    assert result.exit_code == 0, result.output
    book = load_codebook(draft, strict=True)
    assert [c.id.split("_")[0] for c in book.codes] == ["emergent", "emergent.t0", "emergent.t1"]


def test_the_study_aligned_with_the_reference_coder(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(study, "--docs", "P01..P03", "--seed", "5", "-o", str(out))
    assert "codebook (reference):" in result.output
    assert (out / "topic-codes.csv").is_file()
    with (out / "topics.csv").open(encoding="utf-8") as handle:
        topics = list(csv.DictReader(handle))
    assert {t["status"] for t in topics} <= {"code", "emergent", "not coded", "outliers"}
    coded = [t for t in topics if t["status"] == "code"]
    assert coded and all(t["code"] for t in coded)
    assert all(t["quote 1"].startswith(("P01: ", "P02: ", "P03: ")) for t in coded)
    section = topics_section(find_project(explicit=study))
    assert [t.title for t in section.tables] == [
        "Topics",
        "Topics: coherence and best code",
        "Topics x codes",
        "Topic prevalence by attribute",
    ]
    assert section.svg.lstrip().startswith("<?xml")
    draft = tmp_path / "draft.yaml"
    drafted = invoke(CliRunner(), study, "topics", "suggest-codes", "-o", str(draft))
    emergent = [t for t in topics if t["status"] == "emergent"]
    if emergent:
        assert drafted.exit_code == 0 and load_codebook(draft)
    else:
        assert drafted.exit_code == 1 and "no emergent topic" in drafted.output


def test_a_corpus_over_the_sample_size_is_fitted_on_a_sample_and_fully_assigned(
    interviews: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qualmine.distributed import model_topics, sampling
    from qualmine.topics import TopicRequest

    monkeypatch.setattr(sampling, "SAMPLE_UNITS", 60)
    project = find_project(explicit=interviews)
    request = TopicRequest(method="kmeans", k=3, output=tmp_path)
    result = model_topics(project, request)
    stored = latest(interviews)
    assert stored.info.id == result.view.run.info.id
    assert "assignment" in result.timings  # the rest took their nearest sampled unit's topic
    assert len(stored.assignments) > 60  # every unit, not only the 60 fitted
    assert {a.topic for a in stored.assignments} <= {0, 1, 2}
    assert {p.name for p in tmp_path.iterdir()} == FILES
