"""A topic run's files: CSV tables, an interactive page, bar charts; deterministic bytes.

Nothing written depends on the run's id or time, so the same units, cache and seed give
byte-identical files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from qualmine.export.tables import to_csv
from qualmine.models import Table
from qualmine.topics.charts import bar_chart
from qualmine.topics.page import topics_page
from qualmine.topics.prevalence import prevalence_by_case, prevalence_by_group
from qualmine.topics.tables import topic_codes_table, topics_table
from qualmine.topics.view import TopicView

DEFAULT_FOLDER = Path("report") / "topics"


def units_table(view: TopicView) -> Table:
    """Every modelled unit with its topic and text."""
    rows = tuple(
        (
            view.names[a.document_id],
            a.start,
            a.end,
            a.case or "",
            a.topic,
            " ".join(view.texts[a.document_id][a.start : a.end].split()),
        )
        for a in view.run.assignments
    )
    columns = ("document", "start", "end", "case", "topic", "text")
    return Table("Units and topics", columns, rows, {"unit": view.run.info.unit})


def output_tables(view: TopicView, by: Sequence[str] = ()) -> dict[str, Table]:
    """The CSV files by name."""
    tables = {"topics.csv": topics_table(view)}
    if view.alignment is not None:
        tables["topic-codes.csv"] = topic_codes_table(view)
    tables["prevalence-cases.csv"] = prevalence_by_case(view)
    tables["prevalence-groups.csv"] = prevalence_by_group(view, by)
    tables["units.csv"] = units_table(view)
    return tables


def write_topic_files(view: TopicView, folder: Path, by: Sequence[str] = ()) -> list[Path]:
    """Write every file of a run into ``folder`` (created if needed); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, table in output_tables(view, by).items():
        written.append(_write(folder / name, to_csv(table).encode("utf-8")))
    written.append(_write(folder / "topics.html", topics_page(view, tuple(by)).encode("utf-8")))
    for fmt in ("png", "svg"):
        written.append(_write(folder / f"topics.{fmt}", bar_chart(view, fmt)))
    # A file an earlier run wrote and this one has no content for would mislead.
    stale = folder / "topic-codes.csv"
    if stale not in written and stale.exists():
        stale.unlink()
    return written


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
