"""topics.html: an interactive page (plotly, with plotly.js inlined, so it opens offline).

The page shows topic sizes (hover for words, coherence and code), the topic x code matrix,
prevalence by attribute group and by case, and the topics table with quotes. Figures get
fixed element ids, so the same run gives the same bytes.
"""

from __future__ import annotations

import html
import math
from typing import Any

from qualmine.errors import QualmineError
from qualmine.models import Table
from qualmine.topics.charts import COLORS
from qualmine.topics.prevalence import prevalence_by_case, prevalence_by_group
from qualmine.topics.tables import topic_codes_table, topic_label, topic_name, topics_table
from qualmine.topics.view import TopicView

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}"
    "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:4px;"
    "vertical-align:top;text-align:left}caption{text-align:left;color:#555}"
)


def _plotly() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise QualmineError(
            "plotly is not installed, and topics.html needs it: install it with "
            "`pip install plotly` (the CSV, PNG and SVG files do not)"
        ) from None
    return go


def _sizes_figure(go: Any, view: TopicView) -> Any:
    run = view.run
    topics = list(run.topics)
    sizes = run.sizes()
    hover = []
    for t in topics:
        aligned = view.aligned(t)
        words = ", ".join(w for w, _ in run.words.get(t, ()))
        code = aligned.best_code if aligned and aligned.best_code else "-"
        hover.append(
            f"{words}<br>NPMI {_num(run.coherence('npmi', t))}, "
            f"C_V {_num(run.coherence('c_v', t))}<br>{view.status(t)}; best code {code}"
        )
    figure = go.Figure(
        go.Bar(
            x=[sizes.get(t, 0) for t in topics],
            y=[f"{topic_name(t)} {topic_label(run, t)}" for t in topics],
            orientation="h",
            hovertext=hover,
            hoverinfo="x+text",
            marker_color=[COLORS[view.status(t)] for t in topics],
        )
    )
    figure.update_layout(
        title=f"Topic sizes ({run.info.unit}s)",
        yaxis={"autorange": "reversed"},
        height=max(300, 24 * len(topics) + 120),
        margin={"l": 260},
    )
    return figure


def _num(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def _heatmap(go: Any, table: Table, first: int, rows_from: int, title: str) -> Any:
    """A heatmap of a table's numeric columns from ``first``, row names from its columns."""
    names = [" ".join(str(v) for v in row[:rows_from]) for row in table.rows]
    values = [[None if _missing(v) else v for v in row[first:]] for row in table.rows]
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=list(table.columns[first:]),
            y=names,
            colorscale="Blues",
            zmin=0,
            zmax=1,
        )
    )
    figure.update_layout(
        title=title,
        yaxis={"autorange": "reversed"},
        height=min(1600, max(300, 18 * len(names) + 160)),
        margin={"l": 260},
    )
    return figure


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in table.rows
    )
    caption = "<br>".join(html.escape(f"{k}: {v}") for k, v in table.meta.items())
    return f"<table><caption>{caption}</caption><tr>{head}</tr>{body}</table>"


def _cell(value: Any) -> str:
    if _missing(value):
        return ""
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def topics_page(view: TopicView, by: tuple[str, ...] = ()) -> str:
    """The whole page as HTML text."""
    go = _plotly()
    import plotly.io as pio

    figures = [("sizes", _sizes_figure(go, view))]
    if view.alignment is not None:
        figures.append(("codes", _heatmap(go, topic_codes_table(view), 3, 2, "Topics x codes")))
    groups = prevalence_by_group(view, by)
    if groups.rows:
        figures.append(("groups", _heatmap(go, groups, 4, 2, "Prevalence by attribute")))
    figures.append(("cases", _heatmap(go, prevalence_by_case(view), 2, 1, "Prevalence by case")))
    parts = [
        pio.to_html(fig, include_plotlyjs=(i == 0), full_html=False, div_id=f"topics-{name}")
        for i, (name, fig) in enumerate(figures)
    ]
    info = view.run.info
    title = f"Topics: {len(view.run.assignments)} {info.unit}s, seed {info.seed}"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{''.join(parts)}"
        f"<h2>Topics</h2>{_html_table(topics_table(view))}</body></html>\n"
    )
