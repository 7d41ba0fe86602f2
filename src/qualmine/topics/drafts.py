"""Emergent topics as draft codebook entries, in the codebook YAML format (never applied).

Each emergent topic (see `qualmine.topics.alignment`) becomes a code under a grouping code
``emergent`` (not codable): its id is ``emergent.tN_word_word``, its name the topic's
first words, its definition a placeholder that names the topic and run and asks for a
rewrite, its ``include`` the topic's top words, and its examples the topic's three
representative quotes with their documents. Without codings to align with, every topic
is drafted. The file validates as a codebook; merging it into the project's codebook is
a person's decision."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from qualmine.codebook import validate_text
from qualmine.codebook.writer import codebook_to_dict, to_yaml
from qualmine.errors import QualmineError
from qualmine.models import Code, Codebook, CodeExample
from qualmine.topics.settings import OUTLIER
from qualmine.topics.tables import topic_label
from qualmine.topics.view import TopicView

GROUP_ID = "emergent"
_NOT_ID = re.compile(r"[^a-z0-9]+")


def _slug(word: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return _NOT_ID.sub("_", ascii_text.lower()).strip("_")


def draft_topics(view: TopicView) -> list[int]:
    """The topics to draft: emergent ones, or every topic when nothing could be aligned."""
    run = view.run
    if view.alignment is None:
        return [t for t in run.topics if t != OUTLIER]
    return [a.topic for a in view.alignment.topics if a.emergent]


def draft_code(view: TopicView, topic: int) -> Code:
    """One topic as a draft code."""
    run = view.run
    words = [w for w, _ in run.words.get(topic, ())]
    tokens = [t for t in dict.fromkeys(_slug(w) for w in " ".join(words).split()) if t]
    slug = "_".join(tokens[:2])
    size = run.sizes().get(topic, 0)
    examples = tuple(
        CodeExample(
            " ".join(view.texts[q.document_id][q.start : q.end].split()),
            f"{view.names[q.document_id]}, topic run {run.info.id}",
        )
        for q in run.quotes(topic)
    )
    label = topic_label(run, topic)
    return Code(
        id=f"{GROUP_ID}.t{topic}" + (f"_{slug}" if slug else ""),
        name=label[:1].upper() + label[1:],
        parent=GROUP_ID,
        definition=(
            f"DRAFT from topic {topic} of topic run {run.info.id} ({size} "
            f"{run.info.unit}s): rewrite this definition before using the code."
        ),
        include=(f"Talk about: {', '.join(words)}",) if words else (),
        examples=examples,
    )


def draft_codebook(view: TopicView) -> str:
    """The draft codebook as YAML text, with a header saying what it is.

    Raises:
        QualmineError: no topic to draft (every topic is covered by a code).
    """
    topics = draft_topics(view)
    if not topics:
        raise QualmineError(
            f"topic run {view.run.info.id}: no emergent topic; {view.coder} coded every "
            "topic's units at half the usual rate or more"
        )
    group = Code(
        GROUP_ID,
        "Emergent topics (draft)",
        codable=False,
        definition=f"Draft codes for topics of topic run {view.run.info.id} that the "
        "codebook does not cover; review, rename and define each before use.",
    )
    codes = (group, *(draft_code(view, t) for t in topics))
    book = Codebook(f"Draft codes from topic run {view.run.info.id}", 1, codes)
    text = _header(view) + to_yaml(codebook_to_dict(book))
    report = validate_text(text, source="draft")
    if report.errors:  # a bug, not bad input: the draft is built from validated parts
        raise AssertionError("\n".join(report.errors))
    return text


def _header(view: TopicView) -> str:
    basis = (
        f"topics whose units {view.coder} coded at under half the usual rate"
        if view.alignment is not None
        else "every topic (no codings to align with)"
    )
    return (
        f"# DRAFT: codes suggested by topic run {view.run.info.id} ({basis}).\n"
        "# Nothing here is applied. Review each code, rewrite its definition, then copy the\n"
        "# codes you keep into the project's codebook.\n"
    )


def write_draft(view: TopicView, path: Path) -> int:
    """Write the draft codebook; returns how many codes it drafts."""
    path.write_text(draft_codebook(view), encoding="utf-8", newline="\n")
    return len(draft_topics(view))
