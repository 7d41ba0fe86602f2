"""Plots as PNG or SVG files, drawn with matplotlib's Agg canvas, the same bytes every run.

SVG output is made repeatable by a fixed ``svg.hashsalt`` and ``svg.id``, no date and a
fixed creator; PNG output by a fixed software tag. Matplotlib loads only when a plot is
drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualmine.errors import QualmineError
from qualmine.models import Table

PLOT_FORMATS = ("png", "svg")
_STABLE_RC: dict[Any, Any] = {
    "svg.hashsalt": "qualmine",
    "svg.id": "qualmine-plot",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
}
_METADATA: dict[str, dict[str, Any]] = {
    "svg": {"Date": None, "Creator": "qualmine"},
    "png": {"Software": "qualmine"},
}
# Cells are annotated with their counts up to this many codes.
_ANNOTATE_UP_TO = 25


def plot_format(path: Path) -> str:
    """The plot format named by a file's suffix.

    Raises:
        QualmineError: the suffix is neither .png nor .svg.
    """
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in PLOT_FORMATS:
        raise QualmineError(f"{path}: a plot is written as .png or .svg; rename the file")
    return suffix


def write_heatmap(table: Table, path: Path, *, title: str | None = None) -> None:
    """Draw a square code x code table (first column: row labels) as a heatmap.

    The diagonal (a code with itself) is greyed out so that the shared counts set the
    colour scale.

    Args:
        table: rows ``(code, count, count, ...)`` whose columns after the first name the
            same codes as the rows.
        path: where to write; ``.png`` or ``.svg``.
        title: the plot's title (default: the table's).

    Raises:
        QualmineError: the file suffix is not .png or .svg.
    """
    fmt = plot_format(path)
    import matplotlib
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    labels = [str(row[0]) for row in table.rows]
    values = np.array([[float(v) for v in row[1:]] for row in table.rows], dtype=float)
    if values.size:
        np.fill_diagonal(values, np.nan)
    side = min(30.0, 2.5 + 0.35 * max(1, len(labels)))
    with matplotlib.rc_context(_STABLE_RC):
        figure = Figure(figsize=(side + 1.5, side), dpi=100)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        colours = matplotlib.colormaps["Blues"].with_extremes(bad="#e6e6e6")
        image = axes.imshow(values if values.size else np.zeros((1, 1)), cmap=colours)
        figure.colorbar(
            image, ax=axes, label="units carrying both codes", ticks=MaxNLocator(integer=True)
        )
        _label_axes(axes, labels)
        if 0 < len(labels) <= _ANNOTATE_UP_TO:
            _annotate(axes, values)
        unit = table.meta.get("unit", "")
        axes.set_title(title or (f"{table.title}: {unit}" if unit else table.title))
        figure.tight_layout()
        figure.savefig(path, format=fmt, metadata=_METADATA[fmt])


def _label_axes(axes: Any, labels: list[str]) -> None:
    size = 8 if len(labels) <= 40 else 5
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=size)
    axes.set_yticks(range(len(labels)), labels, fontsize=size)


def _annotate(axes: Any, values: Any) -> None:
    top = max((v for v in values.flat if v == v), default=0.0)
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            if value == value and value > 0:
                colour = "white" if top and value > top / 2 else "black"
                axes.text(j, i, f"{value:.0f}", ha="center", va="center", color=colour, fontsize=7)
