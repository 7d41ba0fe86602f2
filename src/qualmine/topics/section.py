"""The topic section of the project report: tables and a chart from a stored run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qualmine.models import Table
from qualmine.project.config import Project
from qualmine.topics.charts import bar_chart
from qualmine.topics.prevalence import prevalence_by_group
from qualmine.topics.tables import coherence_table, topic_codes_table, topics_table
from qualmine.topics.view import load_topic_view


@dataclass(frozen=True, slots=True)
class TopicsSection:
    """What the report shows about topics.

    Attributes:
        title: the section heading.
        tables: topics (with quotes), coherence, topic x code (when aligned), prevalence
            by attribute group.
        svg: the topic-size bar chart, as SVG text to inline.
    """

    title: str
    tables: tuple[Table, ...]
    svg: str


def topics_section(
    project: Project,
    *,
    run_id: int | None = None,
    coder: str | None = None,
    by: Sequence[str] = (),
) -> TopicsSection:
    """The report's topic section for a stored run (None: the newest).

    Args:
        project: the project.
        run_id: the topic run.
        coder: whose codings the alignment reads (default: ``report_coder``).
        by: attributes for the prevalence table (default: those that form groups).

    Raises:
        NotFoundError: no such run, or no run yet.
    """
    view = load_topic_view(project, run_id, coder)
    tables = [topics_table(view), coherence_table(view)]
    if view.alignment is not None:
        tables.append(topic_codes_table(view))
    tables.append(prevalence_by_group(view, by))
    title = f"Topics (topic run {view.run.info.id})"
    return TopicsSection(title, tuple(tables), bar_chart(view, "svg").decode("utf-8"))
