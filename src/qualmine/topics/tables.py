"""A topic run as tables: topics, topic x code, coherence, and the list of runs."""

from __future__ import annotations

import math
from collections.abc import Sequence

from qualmine.models import Table
from qualmine.topics.records import TopicRun, TopicRunInfo
from qualmine.topics.settings import OUTLIER
from qualmine.topics.view import TopicView

LABEL_WORDS = 3


def topic_label(run: TopicRun, topic: int) -> str:
    """A topic's short name: its first three words."""
    if topic == OUTLIER:
        return "(outliers)"
    words = [w for w, _ in run.words.get(topic, ())[:LABEL_WORDS]]
    return ", ".join(words) if words else "(no content words)"


def topic_name(topic: int) -> str:
    """A topic's column name: ``T0``, ``T1``, ... and ``outliers``."""
    return "outliers" if topic == OUTLIER else f"T{topic}"


def run_meta(view: TopicView) -> dict[str, str]:
    """What every topic table states: unit, denominator, model, seed, coder."""
    info = view.run.info
    params = info.params
    meta = {
        "unit": f"{info.unit} (participant speech)",
        "denominator": f"{len(view.run.assignments)} units in {len(view.names)} documents",
        "model": _model_text(info),
        "seed": str(info.seed),
        "filters": f"docs={','.join(params.get('docs', [])) or 'all'}; "
        f"where={','.join(params.get('where', [])) or '-'}",
    }
    if view.alignment is not None:
        meta["coder"] = f"{view.coder} (accepted codings, {view.coded_documents} documents done)"
    for number, note in enumerate(view.notes, start=1):
        meta[f"note {number}"] = note
    return meta


def _model_text(info: TopicRunInfo) -> str:
    p = info.params
    if info.method == "kmeans":
        cluster = f"k-means, k={p.get('k')}"
    else:
        cluster = (
            f"HDBSCAN min_cluster_size={p.get('min_cluster_size')} "
            f"min_samples={p.get('min_samples')} {p.get('cluster_selection')}"
        )
        if p.get("k"):
            cluster += f", clusters merged into at most {p.get('k')} topics"
    outliers = "; outliers reduced" if p.get("reduce_outliers") else ""
    return (
        f"BERTopic on {info.encoder}; UMAP n_neighbors={p.get('n_neighbors')} "
        f"n_components={p.get('n_components')}; {cluster}{outliers}"
    )


TOPIC_COLUMNS = (
    "topic",
    "label",
    "units",
    "share",
    "top words",
    "NPMI",
    "C_V",
    "code",
    "code share",
    "coded units",
    "coverage",
    "status",
)
QUOTE_COLUMNS = ("quote 1", "quote 2", "quote 3")


def _topic_row(view: TopicView, topic: int, sizes: dict[int, int]) -> tuple[object, ...]:
    run = view.run
    aligned = view.aligned(topic)
    return (
        topic,
        topic_label(run, topic),
        sizes.get(topic, 0),
        sizes.get(topic, 0) / len(run.assignments),
        ", ".join(w for w, _ in run.words.get(topic, ())),
        run.coherence("npmi", topic),
        run.coherence("c_v", topic),
        aligned.best_code if aligned else None,
        aligned.best_share if aligned and aligned.best_code else math.nan,
        aligned.coded_units if aligned else None,
        aligned.coverage if aligned and aligned.coded_units else math.nan,
        view.status(topic),
    )


def _quotes(view: TopicView, topic: int) -> tuple[str, ...]:
    shown = [view.quote_text(q.document_id, q.start, q.end) for q in view.run.quotes(topic)]
    return tuple((shown + ["", "", ""])[: len(QUOTE_COLUMNS)])


def topics_table(view: TopicView, *, quotes: bool = True) -> Table:
    """One row per topic: size, words, coherence, best code or emergent, quotes."""
    sizes = view.run.sizes()
    rows = tuple(
        _topic_row(view, t, sizes) + (_quotes(view, t) if quotes else ()) for t in view.run.topics
    )
    meta = {**run_meta(view), "share": "the topic's units / all modelled units"}
    if view.alignment is not None:
        meta["code share"] = "share of the topic's units in done documents carrying the code"
        meta["coverage"] = (
            f"share of them carrying any code; emergent below {view.alignment.threshold:.3f}, "
            f"half the coverage of all units ({view.alignment.coverage:.3f})"
        )
    columns = TOPIC_COLUMNS + (QUOTE_COLUMNS if quotes else ())
    return Table("Topics", columns, rows, meta)


def topic_codes_table(view: TopicView) -> Table:
    """The topic x code matrix: share of each topic's coded units carrying each code."""
    rows = []
    for item in view.alignment.topics if view.alignment else ():
        shares = [item.shares[c] if item.coded_units else math.nan for c in view.codes]
        rows.append((item.topic, topic_label(view.run, item.topic), item.coded_units, *shares))
    meta = {
        **run_meta(view),
        "cells": "share of the topic's units in documents the coder marked done that carry "
        "the code (a unit carries a code when a coding overlaps it)",
    }
    return Table(
        "Topics x codes", ("topic", "label", "coded units", *view.codes), tuple(rows), meta
    )


def coherence_table(view: TopicView) -> Table:
    """Per topic: size, NPMI, C_V and best code; the means over topics; the stability."""
    run = view.run
    sizes = run.sizes()
    rows: list[tuple[object, ...]] = []
    for topic in (t for t in run.topics if t != OUTLIER):
        aligned = view.aligned(topic)
        code = aligned.best_code if aligned and aligned.status == "code" else view.status(topic)
        rows.append(
            (
                topic,
                topic_label(run, topic),
                sizes[topic],
                run.coherence("npmi", topic),
                run.coherence("c_v", topic),
                code,
            )
        )
    in_topics = sum(n for t, n in sizes.items() if t != OUTLIER)
    rows.append(
        (
            "all",
            "mean over topics",
            in_topics,
            run.info.figure("coherence", "overall_npmi"),
            run.info.figure("coherence", "overall_c_v"),
            "",
        )
    )
    meta = {
        **run_meta(view),
        "NPMI": "mean over pairs of the top 10 words, units as documents (-1 to 1)",
        "C_V": "gensim's c_v over 110-token windows inside units (0 to 1)",
        "code": "best-matching code, or emergent / not coded / not aligned",
    }
    if run.info.results.get("stability"):
        meta["stability"] = stability_text(run.info)
    columns = ("topic", "label", "units", "NPMI", "C_V", "code")
    return Table("Topics: coherence and best code", columns, tuple(rows), meta)


def stability_text(info: TopicRunInfo) -> str:
    """The stability of a run in words (call only when it was measured)."""
    stability = info.results["stability"]
    return (
        f"mean adjusted Rand index {stability['mean_ari']:.3f} over seeds "
        f"{', '.join(map(str, stability['seeds']))} (lowest pair {stability['min_ari']:.3f})"
    )


def runs_table(infos: Sequence[TopicRunInfo]) -> Table:
    """Every stored topic run, oldest first."""
    rows = []
    for info in infos:
        stability = info.results.get("stability") or {}
        rows.append(
            (
                info.id,
                info.created,
                info.unit,
                info.method,
                info.seed,
                info.results.get("n_units"),
                info.results.get("n_topics"),
                info.results.get("outliers"),
                info.figure("coherence", "overall_npmi"),
                info.figure("coherence", "overall_c_v"),
                stability.get("mean_ari", math.nan),
                info.encoder,
                info.versions.get("bertopic", ""),
            )
        )
    columns = (
        "run",
        "created",
        "unit",
        "method",
        "seed",
        "units",
        "topics",
        "outliers",
        "NPMI",
        "C_V",
        "stability (ARI)",
        "encoder",
        "bertopic",
    )
    return Table("Topic runs", columns, tuple(rows), {"unit": "topic run"})
