"""Topic modelling logic without the embedding model: words, settings, coherence,
alignment, stability, storage, drafts, prevalence, and the CLI's refusals."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from conftest import invoke
from qualmine.codebook import validate_text
from qualmine.errors import NotFoundError, QualmineError
from qualmine.storage import open_database
from qualmine.topics import MIN_UNITS, align_topics, scaled_settings
from qualmine.topics.alignment import CodebookAlignment
from qualmine.topics.coherence import count_windows, cv_score, npmi_score, topic_coherence
from qualmine.topics.drafts import draft_codebook, draft_topics
from qualmine.topics.fillers import (
    FILLER_PHRASES,
    FILLERS,
    is_filler_term,
    make_vectorizer,
    mark_unit,
    prepare_text,
    topic_stop_words,
)
from qualmine.topics.model import (
    assign_outliers,
    clean_words,
    cluster_units,
    merge_clusters,
    representative_units,
)
from qualmine.topics.prevalence import group_attributes, prevalence_by_case, prevalence_by_group
from qualmine.topics.records import (
    Assignment,
    TopicRun,
    TopicRunInfo,
    list_topic_runs,
    read_topic_run,
    store_topic_run,
)
from qualmine.topics.settings import default_k, min_cluster_size_for, n_neighbors_for
from qualmine.topics.stability import mean_adjusted_rand
from qualmine.topics.tables import coherence_table, topic_codes_table, topics_table
from qualmine.topics.view import TopicView


def assert_clean(term: str) -> None:
    """A topic term holds no English stop word, no filler and no filler phrase."""
    words = term.split()
    assert words, term
    for word in words:
        assert word not in ENGLISH_STOP_WORDS, term
        assert word not in FILLERS, term
    for phrase in FILLER_PHRASES:
        assert phrase not in term, term


# --- topic words -----------------------------------------------------------------------------


def test_fillers_contractions_and_marks_never_become_terms() -> None:
    text = (
        "Yeah, um, I mean, you know, it's kind of like, really, the spreadsheet stuff. "
        "I don't think I'm gonna, uh, trust the vendor's pitch, okay? Dont ask. "
        "Well, sort of a lot of things, right. Honestly the spreadsheet pitch."
    )
    analyzer = make_vectorizer().build_analyzer()
    terms = analyzer(text)
    for term in terms:
        assert_clean(term)
    assert "spreadsheet" in terms and "vendor pitch" in terms and "spreadsheet pitch" in terms
    assert not any("don" in t or "gon" in t or t == "im" for t in terms)


def test_prepare_text_splits_contractions_and_drops_filler_phrases() -> None:
    assert (
        prepare_text("I Don’t know, you know, what it's worth") == "i do not know,  , what it worth"
    )
    assert prepare_text("We can't and won't") == "we can not and will not"
    assert "kind" in make_vectorizer().build_analyzer()("a kind person")


def test_every_filler_is_a_stop_word_and_terms_are_checked_word_by_word() -> None:
    assert set(FILLERS) <= topic_stop_words()
    assert set(ENGLISH_STOP_WORDS) <= topic_stop_words()
    assert is_filler_term("yeah") and is_filler_term("vendor actually")
    assert is_filler_term("you know") and not is_filler_term("vendor pitch")
    ranked = [("", 1e-5), ("ai ai", 0.9), ("tools", 0.5), ("yeah", 0.4), ("tools begin", 0.3)]
    assert clean_words(ranked, 5) == (("tools", 0.5), ("tools begin", 0.3))
    # Terms are read unit by unit: no two-word term joins the end of one to the next.
    joined = " ".join(mark_unit(t) for t in ("We used the spreadsheet", "Vendor pitches"))
    terms = make_vectorizer().build_analyzer()(joined)
    assert "spreadsheet" in terms and "vendor pitches" in terms
    assert "spreadsheet vendor" not in terms


# --- settings --------------------------------------------------------------------------------


def test_settings_scale_with_the_corpus() -> None:
    assert [n_neighbors_for(n) for n in (20, 50, 60, 10_000)] == [5, 12, 15, 15]
    assert [min_cluster_size_for(n) for n in (20, 150, 199, 200, 8_700)] == [5, 7, 9, 10, 10]
    assert [default_k(n) for n in (20, 473, 2_579, 50_000)] == [2, 5, 13, 30]
    # BERTopic's default HDBSCAN (min_samples = min_cluster_size, eom), merged into k topics.
    hdbscan = scaled_settings(8_700, seed=3)
    assert (hdbscan.min_cluster_size, hdbscan.min_samples, hdbscan.cluster_selection) == (
        10,
        10,
        "eom",
    )
    assert hdbscan.k == 23 and hdbscan.seed == 3
    assert scaled_settings(8_700, k=40).k == 40
    assert scaled_settings(100, method="kmeans", k=4).k == 4


def test_merging_keeps_outliers_and_joins_clusters_with_one_meaning() -> None:
    # Six clusters whose embeddings point three ways: merged into three topics, each the
    # two clusters that share a direction; outliers stay outliers, whatever their vectors.
    rng = np.random.default_rng(0)
    directions = np.eye(384, dtype=np.float32)[:3]
    labels = np.repeat(np.arange(-1, 6), 10).astype(np.int64)
    vectors = np.zeros((len(labels), 384), dtype=np.float32)
    for row, label in enumerate(labels.tolist()):
        base = directions[label % 3] if label >= 0 else rng.normal(size=384)
        vectors[row] = base + rng.normal(scale=0.01, size=384)
    merged = merge_clusters(labels, vectors, 3, 42)
    assert (merged == -1).tolist() == (labels == -1).tolist()
    assert len(set(merged.tolist()) - {-1}) == 3
    for first in range(3):
        assert set(merged[(labels == first) | (labels == first + 3)].tolist()) == {
            merged[labels == first][0]
        }
    assert merge_clusters(labels, vectors, 6, 42) is labels


def test_hdbscan_leaves_out_what_bertopics_default_leaves_out() -> None:
    # The clusters are BERTopic's default HDBSCAN's, merged: the same units are outliers.
    from bertopic import BERTopic
    from sklearn.datasets import make_blobs

    reduced, _ = make_blobs(n_samples=3_000, centers=60, n_features=5, random_state=1)
    noise = np.random.default_rng(2).uniform(reduced.min(), reduced.max(), size=(300, 5))
    reduced = np.vstack([reduced, noise])
    vectors = np.random.default_rng(3).normal(size=(len(reduced), 384)).astype(np.float32)
    settings = scaled_settings(len(reduced))
    ours = cluster_units(reduced, vectors, settings)
    default = BERTopic().hdbscan_model.fit(reduced).labels_
    assert len(set(default.tolist()) - {-1}) > settings.k
    assert len(set(ours.tolist()) - {-1}) == settings.k
    assert ((ours == -1) == (default == -1)).all() and (default == -1).sum() > 0


def test_too_few_units_names_the_minimum() -> None:
    assert MIN_UNITS == 20
    with pytest.raises(QualmineError, match="needs at least 20"):
        scaled_settings(19)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "kmeans", "k": 1}, "--k 1"),
        ({"method": "kmeans", "k": 50}, "--k 50"),
        ({"k": 1}, "--k 1"),
        ({"method": "lda"}, "unknown topic method"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(QualmineError, match=message):
        scaled_settings(50, **kwargs)  # type: ignore[arg-type]


# --- coherence -------------------------------------------------------------------------------


def test_npmi_on_hand_made_units() -> None:
    tokens = [["apple", "pear"], ["apple", "pear"], ["plum"], ["fig"]]
    counts = count_windows(tokens, ["apple", "pear", "plum", "fig"], None)
    assert counts.windows == 4
    assert npmi_score(counts, ["apple", "pear"]) == pytest.approx(1.0)
    assert npmi_score(counts, ["apple", "plum"]) == pytest.approx(-1.0)
    # apple in 2 of 4 units, plum in 2 of 4, together in 1: independent, NPMI 0.
    independent = count_windows(
        [["apple", "plum"], ["apple"], ["plum"], []], ["apple", "plum"], None
    )
    assert npmi_score(independent, ["apple", "plum"]) == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(npmi_score(counts, ["apple"]))
    assert math.isnan(npmi_score(counts, ["apple", "unseen"]))


def test_sliding_windows_and_two_word_terms() -> None:
    unit = ["a1"] * 3 + ["red", "apple"] + ["b1"] * 200 + ["pear"]
    counts = count_windows([unit], ["red apple", "apple", "pear"], 110)
    assert counts.windows == len(unit) - 110 + 1
    # "red apple" starts at 3: windows 0..3 hold it; "pear" (last token) only the last window.
    assert counts.single[counts.terms["red apple"]] == 4
    assert counts.single[counts.terms["pear"]] == 1
    assert counts.pairs[counts.terms["apple"], counts.terms["pear"]] == 0


def test_c_v_is_high_for_words_that_always_appear_together() -> None:
    tokens = [["apple", "pear"]] * 5 + [["plum", "fig"]] * 5 + [["kiwi"]] * 10
    counts = count_windows(tokens, ["apple", "pear", "plum", "fig"], 110)
    assert cv_score(counts, ["apple", "pear"]) == pytest.approx(1.0)
    assert cv_score(counts, ["apple", "pear", "plum", "fig"]) < 0.8
    coherence = topic_coherence(
        ["apple pear", "apple pear", "plum fig", "plum fig"],
        {-1: ["apple", "fig"], 0: ["apple", "pear"], 1: ["plum", "apple"]},
    )
    assert set(coherence.npmi) == {0, 1}
    assert coherence.npmi[0] == pytest.approx(1.0) and coherence.npmi[1] == pytest.approx(-1.0)
    assert coherence.overall_npmi == pytest.approx(0.0)


# --- alignment with the codebook -------------------------------------------------------------


def test_alignment_on_hand_made_assignments_and_codings() -> None:
    topics = {
        (1, 0, 10): 0,
        (1, 10, 20): 0,
        (1, 20, 30): 0,
        (1, 30, 40): 0,
        (1, 40, 50): 1,
        (1, 50, 60): 1,
        (1, 60, 70): 1,
        (1, 70, 80): 1,
        (2, 0, 10): 2,
        (1, 80, 90): -1,
    }
    codes = {
        (1, 0, 10): {"trust"},
        (1, 10, 20): {"trust", "peers"},
        (1, 20, 30): {"peers"},
        (1, 30, 40): {"trust"},
        (1, 40, 50): set(),
        (1, 50, 60): set(),
        (1, 60, 70): set(),
        (1, 70, 80): {"mobile"},
        (1, 80, 90): {"peers"},
    }
    result = align_topics(topics, codes, ["mobile", "peers", "trust"])
    # 6 of the 9 units in coded documents carry a code: emergent below half of 2/3.
    assert result.coverage == pytest.approx(6 / 9)
    assert result.threshold == pytest.approx(1 / 3)
    outliers, zero, one, two = result.topics
    assert outliers.status == "outliers" and outliers.best_code == "peers"
    assert zero.shares == {"mobile": 0.0, "peers": 0.5, "trust": 0.75}
    assert (zero.best_code, zero.coverage, zero.status) == ("trust", 1.0, "code")
    assert one.shares == {"mobile": 0.25, "peers": 0.0, "trust": 0.0}
    assert (one.best_code, one.coverage, one.status) == ("mobile", 0.25, "emergent")
    assert (two.coded_units, two.best_code, two.status) == (0, None, "not coded")


def test_alignment_ties_go_to_codebook_order() -> None:
    topics = {(1, 0, 5): 0, (1, 5, 9): 0}
    codes = {(1, 0, 5): {"b"}, (1, 5, 9): {"a"}}
    assert align_topics(topics, codes, ["b", "a"]).topics[0].best_code == "b"
    assert align_topics(topics, codes, ["a", "b"]).topics[0].best_code == "a"


# --- model pieces ----------------------------------------------------------------------------


def test_outliers_move_to_the_nearest_centroid() -> None:
    embeddings = np.array(
        [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [0.8, 0.2], [0.2, 0.8]], dtype=np.float32
    )
    labels = np.array([0, 0, 1, 1, -1, -1])
    assert assign_outliers(labels, embeddings).tolist() == [0, 0, 1, 1, 0, 1]
    assert assign_outliers(np.array([-1, -1]), embeddings[:2]).tolist() == [-1, -1]


def test_representative_units_are_near_the_centroid_distinct_and_long() -> None:
    embeddings = np.array(
        [[1, 0], [1, 0], [0.9, 0.1], [0.7, 0.3], [0.6, 0.4], [0, 1]], dtype=np.float32
    )
    texts = [
        "Yes.",
        "one two three four five six",
        "One two three four five  six",
        "seven eight nine ten eleven twelve",
        "a b c d e f",
        "other words here and there ok",
    ]
    labels = np.array([0, 0, 0, 0, 0, 1])
    quotes = representative_units(embeddings, labels, texts)
    assert quotes == {0: (1, 3, 4), 1: (5,)}


def test_stability_is_the_mean_adjusted_rand_index() -> None:
    same = mean_adjusted_rand([np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0])], [7, 8])
    assert same.pairs == ((7, 8, 1.0),) and same.mean_ari == 1.0
    mixed = mean_adjusted_rand(
        [np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1])], [1, 2, 3]
    )
    assert mixed.pairs == ((1, 2, -0.5), (1, 3, 1.0), (2, 3, -0.5))
    assert (mixed.mean_ari, mixed.min_ari) == (0.0, -0.5)


# --- a stored run, its tables and drafts -----------------------------------------------------

TEXT = (
    "We check every supplier twice before we sign. The supplier list is long. "
    "Our vendors call every week. LinkedIn groups help me find people. "
    "I read LinkedIn every morning. Yes."
)


def hand_run(run_id: int = 1) -> TopicRun:
    spans = [(0, 45), (46, 72), (73, 101), (102, 138), (139, 170), (171, 175)]
    topics = [0, 0, 0, 1, 1, -1]
    cases = ["P1", "P1", "P2", "P2", "P3", "P3"]
    ranks = [1, 2, None, 1, 2, None]
    assignments = tuple(
        Assignment(1, s, e, c, t, r)
        for (s, e), t, c, r in zip(spans, topics, cases, ranks, strict=True)
    )
    info = TopicRunInfo(
        run_id,
        "2026-01-01T00:00:00+00:00",
        "segment",
        "hdbscan",
        7,
        "all-MiniLM-L6-v2",
        {"n_neighbors": 2, "min_cluster_size": 5, "docs": [], "where": []},
        {"bertopic": "0.17.4"},
        {
            "n_units": 6,
            "n_topics": 2,
            "outliers": 1,
            "documents": 1,
            "coherence": {
                "npmi": {"0": 0.5, "1": -0.25},
                "c_v": {"0": 0.6, "1": 0.4},
                "overall_npmi": 0.125,
                "overall_c_v": 0.5,
            },
            "stability": None,
            "timings": {},
        },
    )
    words = {0: (("supplier", 0.5), ("vendors", 0.3)), 1: (("linkedin", 0.7), ("groups", 0.2))}
    return TopicRun(info, words, assignments)


def hand_view(alignment: CodebookAlignment | None) -> TopicView:
    cases = {"P1": {"age": "young"}, "P2": {"age": "young"}, "P3": {"age": "old"}}
    return TopicView(
        hand_run(),
        {1: "D1"},
        {1: TEXT},
        cases,
        "alice" if alignment else None,
        ("purchasing", "networks") if alignment else (),
        alignment,
        1 if alignment else 0,
    )


def aligned_view() -> TopicView:
    run = hand_run()
    keys = {(a.document_id, a.start, a.end): a.topic for a in run.assignments}
    coded = {k: ({"purchasing"} if t == 0 else set()) for k, t in keys.items()}
    coded[(1, 171, 175)] = {"networks"}
    return hand_view(align_topics(keys, coded, ["purchasing", "networks"]))


def test_a_run_is_stored_and_read_back(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "p.db")
    with pytest.raises(NotFoundError, match="no topic run yet"):
        read_topic_run(conn)
    conn.execute(
        "INSERT INTO documents (id, name, source, content_hash, text, encoding, imported) "
        "VALUES (1, 'D1', 'D1.txt', 'x', ?, 'utf-8', 'now')",
        (TEXT,),
    )
    run = hand_run()
    run_id = store_topic_run(conn, run, actor="alice")
    back = read_topic_run(conn)
    assert back.info.id == run_id and back.info.created
    assert (back.info.params, back.info.versions, back.info.results) == (
        run.info.params,
        run.info.versions,
        run.info.results,
    )
    assert back.words == run.words and back.assignments == run.assignments
    assert back.quotes(0) == run.assignments[:2] and back.coherence("npmi", 1) == -0.25
    assert [i.id for i in list_topic_runs(conn)] == [run_id]
    with pytest.raises(NotFoundError, match="no topic run 9"):
        read_topic_run(conn, 9)
    conn.close()


def test_tables_of_an_aligned_run() -> None:
    view = aligned_view()
    table = topics_table(view)
    rows = {row[0]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    assert rows[0]["code"] == "purchasing" and rows[0]["status"] == "code"
    assert rows[1]["status"] == "emergent" and rows[-1]["status"] == "outliers"
    assert rows[0]["quote 1"] == "D1: We check every supplier twice before we sign."
    assert rows[0]["top words"] == "supplier, vendors" and rows[0]["units"] == 3
    matrix = topic_codes_table(view)
    assert matrix.columns == ("topic", "label", "coded units", "purchasing", "networks")
    assert matrix.rows[1][3:] == (1.0, 0.0)
    coherence = coherence_table(view)
    assert coherence.rows[-1][3:5] == (0.125, 0.5)


def test_suggested_codes_are_the_emergent_topics_as_a_valid_draft() -> None:
    view = aligned_view()
    assert draft_topics(view) == [1]
    text = draft_codebook(view)
    report = validate_text(text, source="draft.yaml", strict=True)
    assert report.ok, report.errors
    assert report.codebook is not None
    ids = [c.id for c in report.codebook.codes]
    assert ids == ["emergent", "emergent.t1_linkedin_groups"]
    code = report.codebook.codes[1]
    assert code.examples[0].quote == "LinkedIn groups help me find people."
    assert code.examples[0].source == "D1, topic run 1"
    assert text.startswith("# DRAFT")


def test_without_codings_every_topic_is_drafted() -> None:
    view = hand_view(None)
    assert draft_topics(view) == [0, 1]
    assert validate_text(draft_codebook(view), source="draft.yaml").ok


def test_prevalence_by_case_and_by_group() -> None:
    view = hand_view(None)
    by_case = prevalence_by_case(view)
    assert by_case.columns == ("case", "units", "outliers", "T0", "T1")
    assert by_case.rows == (
        ("P1", 2, 0.0, 1.0, 0.0),
        ("P2", 2, 0.0, 0.5, 0.5),
        ("P3", 2, 0.5, 0.0, 0.5),
    )
    # "age" splits the cases 2 + 1: not every group holds two cases.
    assert group_attributes(view.cases, ["P1", "P2", "P3"]) == []
    by_group = prevalence_by_group(view, ["age"])
    assert by_group.rows == (
        ("age", "old", 1, 2, 0.5, 0.0, 0.5),
        ("age", "young", 2, 4, 0.0, 0.75, 0.25),
    )
    with pytest.raises(QualmineError, match="--by country"):
        prevalence_by_group(view, ["country"])


# --- the command line without the model ------------------------------------------------------


def test_five_units_exit_1_naming_the_minimum(runner: CliRunner, project_dir: Path) -> None:
    transcript = project_dir / "short.txt"
    transcript.write_text(
        "Interviewer: How do you choose suppliers?\n"
        "Participant: I ask around. I read reviews. I call two people. I decide. Done.\n",
        encoding="utf-8",
    )
    assert invoke(runner, project_dir, "import", str(transcript)).exit_code == 0
    result = invoke(runner, project_dir, "topics", "run")
    assert result.exit_code == 1
    assert "5 unit(s) to model" in result.output and "at least 20" in result.output
    assert invoke(runner, project_dir, "topics", "list", "--format", "csv").exit_code == 0
    missing = invoke(runner, project_dir, "topics", "suggest-codes", "-o", "d.yaml")
    assert missing.exit_code == 1 and "no topic run yet" in missing.output


def test_help_says_seeded_umap_runs_on_one_thread(runner: CliRunner) -> None:
    from qualmine.cli import cli

    result = runner.invoke(cli, ["topics", "run", "--help"])
    assert result.exit_code == 0
    assert "one thread" in " ".join(result.output.split())


def test_topics_help_loads_no_model_library() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from qualmine.cli import cli\n"
        "for args in (['topics', '--help'], ['topics', 'run', '--help']):\n"
        "    assert CliRunner().invoke(cli, args).exit_code == 0\n"
        "heavy = ('torch', 'bertopic', 'sentence_transformers', 'umap', 'hdbscan', 'plotly')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
