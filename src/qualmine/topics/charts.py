"""Bar charts of topic sizes, PNG and SVG (matplotlib): the same run gives the same bytes.

Bars are coloured by the topic's alignment: labelled with a code, emergent, not coded,
not aligned (no coder), or outliers. SVG ids come from a fixed hash salt and no date is written.
"""

from __future__ import annotations

import io
from typing import Any

from qualmine.topics.settings import OUTLIER
from qualmine.topics.tables import topic_label, topic_name
from qualmine.topics.view import TopicView

COLORS = {
    "code": "#1f77b4",
    "emergent": "#ff7f0e",
    "not coded": "#bcbd22",
    "not aligned": "#7f7f7f",
    "outliers": "#c7c7c7",
}
FORMATS = ("png", "svg")
_RC: Any = {"svg.hashsalt": "qualmine", "svg.fonttype": "path", "font.size": 9}


def _bar_label(view: TopicView, topic: int) -> str:
    if topic == OUTLIER:
        return "outliers"
    aligned = view.aligned(topic)
    code = f"  [{aligned.best_code}]" if aligned and aligned.status == "code" else ""
    return f"{topic_name(topic)}  {topic_label(view.run, topic)}{code}"


def bar_chart(view: TopicView, fmt: str) -> bytes:
    """The chart as PNG or SVG bytes."""
    # The object-oriented API: no pyplot, so no global backend or figure state.
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    run = view.run
    sizes = run.sizes()
    # Topics largest first, outliers last: their bar is often the longest.
    topics = sorted(run.topics, key=lambda t: (t == OUTLIER, t))
    labels = [_bar_label(view, t) for t in topics]
    statuses = [view.status(t) for t in topics]
    with rc_context(_RC):
        fig = Figure(figsize=(8, 0.3 * len(topics) + 1.4))
        ax = fig.subplots()
        ax.barh(
            range(len(topics)),
            [sizes.get(t, 0) for t in topics],
            color=[COLORS[s] for s in statuses],
        )
        ax.set_yticks(range(len(topics)), labels)
        ax.invert_yaxis()
        ax.set_xlabel(f"{run.info.unit}s (participant speech)")
        ax.set_title(f"Topics: {len(run.assignments)} {run.info.unit}s, seed {run.info.seed}")
        shown = [s for s in COLORS if s in statuses]
        ax.legend(handles=[Patch(color=COLORS[s], label=s) for s in shown], loc="lower right")
        fig.tight_layout()
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, dpi=120, metadata=metadata)
    return buffer.getvalue()
