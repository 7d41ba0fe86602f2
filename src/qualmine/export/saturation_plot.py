"""The code accumulation curve with its random-order band, as PNG and SVG.

Drawn with matplotlib's object interface on the Agg and SVG canvases (no pyplot state).
The files are deterministic: no dates or version strings in the metadata, a fixed SVG hash
salt, glyphs drawn as paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qualmine.analysis.accumulation import REACH, Saturation
from qualmine.analysis.saturation import guest_statement

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SUFFIXES = (".png", ".svg")


def plot_paths(path: Path) -> list[Path]:
    """The PNG and SVG files for ``path`` (its suffix, if .png or .svg, is replaced)."""
    stem = path.with_suffix("") if path.suffix.lower() in SUFFIXES else path
    return [stem.with_name(stem.name + suffix) for suffix in SUFFIXES]


def plot_saturation(saturation: Saturation, path: Path, *, title: str = "") -> list[Path]:
    """Draw the accumulation curve, the random-order mean and band, and the 90/95 % lines.

    Args:
        saturation: the result of `assess_saturation`.
        path: where to write; FILE.png and FILE.svg are written.
        title: the plot's title (default: says what is counted).

    Returns:
        The files written.
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 4.2), layout="constrained")
    axes = figure.add_subplot()
    _draw(axes, saturation)
    figure.suptitle(title or "Code accumulation against a fixed codebook", fontsize=11)
    axes.set_title(guest_statement(saturation.guest), fontsize=7, loc="left")
    written = plot_paths(path)
    written[0].parent.mkdir(parents=True, exist_ok=True)
    with rc_context({"svg.hashsalt": "qualmine", "svg.fonttype": "path"}):
        figure.savefig(written[0], format="png", dpi=150, metadata={"Software": None})
        figure.savefig(written[1], format="svg", metadata={"Date": None, "Creator": None})
    return written


def _draw(axes: Axes, saturation: Saturation) -> None:
    """The curves, the 90/95 % lines and the saturation point, on one set of axes."""
    steps, band = saturation.steps, saturation.random
    x = [s.position for s in steps]
    if x:
        axes.fill_between(
            x,
            band.low,
            band.high,
            color="#9ecae1",
            alpha=0.5,
            linewidth=0,
            label=f"95% band, {band.permutations} random orders",
        )
        axes.plot(
            x,
            band.mean,
            color="#3182bd",
            linestyle="--",
            linewidth=1.2,
            label="mean of random orders",
        )
        axes.plot(
            x,
            [s.cumulative for s in steps],
            color="#08306b",
            marker="o",
            markersize=3.5,
            linewidth=1.6,
            label="this order",
        )
    for percent, style in zip(REACH, (":", "-."), strict=True):
        axes.axhline(
            saturation.total * percent / 100,
            color="#636363",
            linestyle=style,
            linewidth=0.8,
            label=f"{percent}% of the {saturation.total} codes observed",
        )
    if saturation.guest.point is not None:
        axes.axvline(
            saturation.guest.point,
            color="#e6550d",
            linewidth=1.0,
            label="saturation (Guest, Namey and Chen)",
        )
    _label(axes, x)


def _label(axes: Axes, x: list[int]) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.set_xlabel("interviews")
    axes.set_ylabel("distinct codes observed")
    axes.set_xticks(x if len(x) <= 30 else x[:: max(1, len(x) // 15)])
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.25, linewidth=0.5)
    axes.legend(fontsize=7, loc="lower right", frameon=False)
