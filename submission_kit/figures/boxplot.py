"""Box plots by category and arm, drawn from a `BoxPlot` (no statistics here: the median,
quartiles, range and centre marker of each box are results read by key from a table).

Categories (strata) are equally spaced on x; within a category the arms' boxes stand side by
side in arm order. A box spans Q1 to Q3 with the median as a thick line, whiskers run to the
minimum and maximum, and the arm's marker (hollow) marks a centre statistic such as the
geometric mean. Arms differ by colour, by fill (white, hatched, dotted...) and by marker, so
the plot reads in greyscale print. The frame (legend, axes, numbers of subjects under the
axis) is `category_frame.CategoryFrame`, shared with the by-visit trajectories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from submission_kit.figures.category_frame import (
    SAMPLE_IN,
    CategoryFrame,
    YAxis,
    linear_axis,
    log_axis,
)
from submission_kit.figures.render import (
    ARM_COLOURS,
    ARM_MARKERS,
    finite,
)

GROUP = 0.72  # width of a category's boxes together, in categories
BOX = 0.75  # a box's width, as a share of its arm's slot
ARM_HATCHES = ("", "////", "....", "xxxx", "\\\\\\\\")  # white, hatched, dotted...
CAP = 0.35  # whisker caps, as a share of the box width
TINT = 0.45  # a hatch's colour: the arm's, this far towards white


@dataclass(frozen=True, slots=True)
class Box:
    median: float
    q1: float
    q3: float
    low: float  # the whisker's ends: the minimum and maximum
    high: float
    centre: float | None = None  # the marker (a geometric mean); None: no marker


@dataclass(frozen=True, slots=True)
class BoxSeries:
    label: str  # legend entry, e.g. "Placebo (N=110)"
    short_label: str  # row label of its counts, e.g. "Placebo"
    boxes: tuple[Box | None, ...]  # per category; None: nothing to draw (no subject)
    n: tuple[str, ...] = ()  # subjects per category, as printed; (): no counts


@dataclass(frozen=True, slots=True)
class BoxPlot:
    categories: tuple[str, ...]  # x, in order (stratum levels)
    series: tuple[BoxSeries, ...]  # one per arm, in arm order (its colour, fill and marker)
    y_label: str
    x_label: str = ""
    n_label: str = "Number of subjects"
    log: bool = False  # a logarithmic y axis (log-normal data)
    width_in: float = 6.5
    height_in: float = 3.2
    font: str = "Liberation Serif"
    font_pt: float = 9.0
    marking: str = ""

    def uses_log(self) -> bool:
        """A log axis as asked, unless a value is not positive (then linear)."""
        return self.log and all(v > 0 for v in _ends(self))

    def slot(self) -> float:
        """Width of one arm's slot within a category, in categories."""
        return GROUP / max(len(self.series), 1)

    def x(self, arm: int) -> tuple[float, ...]:
        """The centre of arm `arm`'s box in each category."""
        shift = (arm - (len(self.series) - 1) / 2) * self.slot()
        return tuple(i + shift for i in range(len(self.categories)))


def draw_boxplot(fig: Figure, plot: BoxPlot, base_in: float = 0.0) -> Axes:
    """The plot in the band of `fig` whose bottom edge is `base_in` inches up (inside
    `figure_style`)."""
    frame = CategoryFrame(fig, plot, y_axis(plot), base_in)
    ax = frame.axes()
    for arm, series in enumerate(plot.series):
        _draw_boxes(ax, plot, arm, series)
    frame.legend(_sample_for(plot))
    frame.counts(ax)
    return ax


def fill(arm: int) -> dict[str, Any]:
    """The arm's fill: white, or a hatch in a light tint of its colour (drawn as its own
    patch, so the median line and the outline stay clear over it)."""
    colour = to_rgb(ARM_COLOURS[arm % len(ARM_COLOURS)])
    tint = tuple(c + TINT * (1 - c) for c in colour)
    return {"edgecolor": tint, "facecolor": "white", "linewidth": 0,
            "hatch": ARM_HATCHES[arm % len(ARM_HATCHES)]}


def outline(arm: int) -> dict[str, Any]:
    return {"edgecolor": ARM_COLOURS[arm % len(ARM_COLOURS)], "facecolor": "none",
            "linewidth": 1.1}


def marker(arm: int) -> dict[str, Any]:
    colour = ARM_COLOURS[arm % len(ARM_COLOURS)]
    return {"marker": ARM_MARKERS[arm % len(ARM_MARKERS)], "markersize": 5.0,
            "markerfacecolor": "white", "markeredgecolor": colour, "markeredgewidth": 1.1,
            "linestyle": "none"}


def _draw_boxes(ax: Axes, plot: BoxPlot, arm: int, series: BoxSeries) -> None:
    """Whiskers first, then the boxes over them, the medians and the markers on top."""
    width = BOX * plot.slot()
    drawn = [(x, b) for x, b in zip(plot.x(arm), series.boxes, strict=True) if b is not None]
    if not drawn:
        return
    colour = ARM_COLOURS[arm % len(ARM_COLOURS)]
    ax.vlines([x for x, _ in drawn for _ in (0, 1)],
              [v for _, b in drawn for v in (b.q1, b.q3)],
              [v for _, b in drawn for v in (b.low, b.high)],
              colors=colour, linewidth=1.0, gid=f"whiskers-{arm}", zorder=2)
    half = CAP * width / 2
    ax.hlines([v for _, b in drawn for v in (b.low, b.high)],
              [x - half for x, _ in drawn for _ in (0, 1)],
              [x + half for x, _ in drawn for _ in (0, 1)],
              colors=colour, linewidth=1.0, gid=f"caps-{arm}", zorder=2)
    for i, (x, b) in enumerate(drawn):
        corner = (x - width / 2, b.q1)
        ax.add_patch(Rectangle(corner, width, b.q3 - b.q1, zorder=3, **fill(arm)))
        ax.add_patch(Rectangle(corner, width, b.q3 - b.q1, zorder=3, gid=f"box-{arm}-{i}",
                               **outline(arm)))
    ax.hlines([b.median for _, b in drawn], [x - width / 2 for x, _ in drawn],
              [x + width / 2 for x, _ in drawn], colors=colour, linewidth=2.2,
              gid=f"median-{arm}", zorder=4)
    centres = [(x, b.centre) for x, b in drawn if b.centre is not None]
    if centres:
        ax.plot([x for x, _ in centres], [c for _, c in centres], gid=f"centre-{arm}",
                zorder=5, **marker(arm))


def _sample_for(plot: BoxPlot) -> Any:
    def sample(fig: Figure, arm: int, x: float, y: float) -> None:
        """A small box with the arm's fill, its median line, and the marker beside it."""
        inches = fig.dpi_scale_trans
        h = 0.8 * plot.font_pt / 72
        w = 0.55 * SAMPLE_IN
        for style in (fill(arm), outline(arm)):
            fig.add_artist(Rectangle((x, y - h / 2), w, h, transform=inches, **style))
        fig.add_artist(Line2D([x, x + w], [y, y], transform=inches, linewidth=2.2,
                              color=ARM_COLOURS[arm % len(ARM_COLOURS)]))
        if any(b is not None and b.centre is not None for b in plot.series[arm].boxes):
            fig.add_artist(Line2D([x + 0.8 * SAMPLE_IN], [y], transform=inches,
                                  **marker(arm)))
    return sample


def _ends(plot: BoxPlot) -> list[float]:
    return finite([v for s in plot.series for b in s.boxes if b is not None
                    for v in (b.low, b.high, b.centre)])


def y_axis(plot: BoxPlot) -> YAxis:
    """Every whisker's ends, with air above and below (a twentieth of the range, in log
    units on a log axis); a log axis needs positive values (else a linear axis)."""
    ends = _ends(plot)
    if plot.uses_log():
        if not ends:
            return log_axis((1.0, 100.0))
        low, high = math.log10(min(ends)), math.log10(max(ends))
        pad = 0.05 * (high - low) if high > low else 0.5
        return log_axis((10 ** (low - pad), 10 ** (high + pad)))
    if not ends:
        return linear_axis((0.0, 1.0))
    low, high = min(ends), max(ends)
    pad = 0.05 * (high - low) if high > low else max(abs(high), 1.0) * 0.5
    return linear_axis((low - pad, high + pad))
