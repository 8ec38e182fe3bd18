"""Adverse-event dot plot, drawn from a `DotPlot` (no statistics here).

One row per preferred term, top to bottom as given. Left panel: the incidence (%) in each arm
as a dot; right panel, sharing the rows: the risk difference of each arm against the
reference, point and 95% CI whisker, with a reference line at 0. Arms differ by marker shape
as well as colour (the same shapes and colours as the other figures), so the plot reads in
greyscale. Geometry is in inches from text measured with the renderer: a long term wraps
instead of running into the panel; every text is created inside `figure_style` (no mathtext).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from submission_kit.figures.render import (
    ARM_COLOURS,
    ARM_MARKERS,
    as_images,
    extra_height,
    figure_style,
    finite,
    legend_rows,
    text_size,
    text_width,
    widest_word,
    wrap_text,
)

ROW = 1.9  # pitch of a one-line row, in font sizes
STACK = 0.65  # distance between the risk differences of several comparisons in one row
GAP_IN = 0.2  # between the label column and the incidence panel
PANEL_GAP_IN = 0.4  # between the panels: room for both axes' end tick labels
EDGE_IN = 0.04
MAX_LABEL_SHARE = 0.36  # of the figure's width; longer terms wrap
INCIDENCE_SHARE = 0.45  # of the width both panels share
GUIDE = {"color": "#d0d0d0", "linewidth": 0.5, "linestyle": ":"}


@dataclass(frozen=True, slots=True)
class Difference:
    """A risk difference in percentage points with its 95% CI; None: not estimable."""

    estimate: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True, slots=True)
class DotTerm:
    label: str  # the preferred term, as in the table
    incidence: tuple[float | None, ...]  # % per arm (DotPlot.arms order)
    differences: tuple[Difference, ...]  # per comparison (DotPlot.comparisons order)


@dataclass(frozen=True, slots=True)
class DotPlot:
    terms: tuple[DotTerm, ...]  # top to bottom
    arms: tuple[str, ...]  # legend entries, e.g. "Placebo (N=86)"
    comparisons: tuple[int, ...]  # arm position of each compared arm (its marker and colour)
    incidence_label: str = "Incidence (%)"
    difference_label: str = "Risk difference\n(percentage points, 95% CI)"
    width_in: float = 6.5
    font: str = "Liberation Serif"
    font_pt: float = 9.0
    marking: str = ""


def render_dotplot(plot: DotPlot) -> tuple[bytes, bytes, float, float]:
    """(svg, png, width in inches, height in inches)."""
    import matplotlib.pyplot as plt

    with figure_style(plot.font, plot.font_pt):
        fig = plt.figure(figsize=(plot.width_in, 4.0))
        frame = _Frame(fig, plot)
        fig.set_size_inches(plot.width_in, frame.height)
        frame.legend()
        frame.labels()
        left = frame.axes(frame.incidence_x, frame.incidence_w, frame.x_labels[0])
        right = frame.axes(frame.difference_x, frame.difference_w, frame.x_labels[1])
        _incidence(left, plot, frame.centres)
        _differences(right, plot, frame.centres, STACK * frame.em)
        svg, png = as_images(fig, plot.marking)
        plt.close(fig)
    return svg, png, plot.width_in, frame.height


class _Frame:
    """The geometry, fixed before anything is drawn: x in inches from the left edge, rows
    by their centre in inches below the top of the rows area (the panels' y data unit)."""

    def __init__(self, fig: Figure, plot: DotPlot) -> None:
        self.fig, self.plot, self.pt, self.em = fig, plot, plot.font_pt, plot.font_pt / 72
        self.label_w = _label_width(fig, plot)
        self.texts = [wrap_text(fig, t.label, self.label_w, self.pt) for t in plot.terms]
        self.centres, self.rows_h = self._rows()
        panels = plot.width_in - 2 * EDGE_IN - self.label_w - GAP_IN - PANEL_GAP_IN
        self.incidence_x = EDGE_IN + self.label_w + GAP_IN
        self.incidence_w = panels * INCIDENCE_SHARE
        self.difference_x = self.incidence_x + self.incidence_w + PANEL_GAP_IN
        self.difference_w = panels - self.incidence_w
        self.x_labels = [wrap_text(fig, t, w, self.pt) for t, w in (
            (plot.incidence_label, self.incidence_w),
            (plot.difference_label, self.difference_w))]
        self.entries = self._legend_lines()
        axis_h = max(text_size(fig, t, self.pt)[1] for t in self.x_labels)
        self.bottom = 2.4 * self.em + axis_h + (1.6 * self.em if plot.marking else 0.0)
        self.header_h = (len(self.entries) * 1.5 + 0.6) * self.em
        self.height = self.bottom + self.rows_h + self.header_h

    def _rows(self) -> tuple[list[float], float]:
        """Centre of each row and the rows' height: a wrapped term makes its row taller, and
        so do three or more comparisons stacked in a row."""
        pitch = max(ROW, 0.6 + STACK * len(self.plot.comparisons)) * self.em
        centres, y = [], 0.0
        for text in self.texts:
            centres.append(y + pitch / 2)
            y += pitch + extra_height(self.fig, text, self.pt)
        return centres, max(y, pitch)

    def _legend_lines(self) -> list[list[tuple[int, float]]]:
        """Legend entries (arm position, x) on as many lines as the width needs."""
        widths = [1.4 * self.em + text_width(self.fig, label, self.pt)
                  for label in self.plot.arms]
        return legend_rows(widths, self.plot.width_in, EDGE_IN, 2.0 * self.em)

    def top(self) -> float:
        """Figure inches (from the bottom) of the rows area's top."""
        return self.bottom + self.rows_h

    def legend(self) -> None:
        inches = self.fig.dpi_scale_trans
        for n, line in enumerate(self.entries):
            y = self.top() + self.header_h - (0.9 + 1.5 * n) * self.em
            for i, x in line:
                self.fig.add_artist(Line2D([x + 0.5 * self.em], [y], transform=inches,
                                           **_marker_style(i)))
                self.fig.text(x + 1.2 * self.em, y, self.plot.arms[i], transform=inches,
                              va="center_baseline", fontsize=self.pt)

    def labels(self) -> None:
        """Terms left-aligned; the first line of a wrapped term on its row's centre."""
        for text, centre in zip(self.texts, self.centres, strict=True):
            self.fig.text(EDGE_IN, self.top() - centre + self.em / 2, text, va="top",
                          fontsize=self.pt, transform=self.fig.dpi_scale_trans)

    def axes(self, x: float, width: float, x_label: str) -> Axes:
        """A panel over the rows area, sharing its rows (y: inches down from its top)."""
        w, h = self.fig.get_size_inches()
        ax = self.fig.add_axes((x / w, self.bottom / h, width / w, self.rows_h / h))
        ax.set_ylim(self.rows_h, 0)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.patch.set_visible(False)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], min_n_ticks=4))
        ax.set_xlabel(x_label, labelpad=3)
        for centre in self.centres:
            ax.axhline(centre, **GUIDE)  # type: ignore[arg-type]
        return ax


def _label_width(fig: Figure, plot: DotPlot) -> float:
    """The longest term's width, at most MAX_LABEL_SHARE of the figure (longer terms wrap),
    never narrower than the longest word."""
    labels = [t.label for t in plot.terms]
    natural = max((text_width(fig, t, plot.font_pt) for t in labels), default=0.5)
    return max(min(natural, MAX_LABEL_SHARE * plot.width_in),
               widest_word(fig, labels, plot.font_pt))


def _marker_style(arm: int, face: str = "none") -> dict[str, Any]:
    """Hollow markers: dots at the same incidence stay visible on top of each other (a
    white face hides the whisker behind a risk difference's point)."""
    colour = ARM_COLOURS[arm % len(ARM_COLOURS)]
    return {"marker": ARM_MARKERS[arm % len(ARM_MARKERS)], "markersize": 5.5,
            "markeredgecolor": colour, "markerfacecolor": face, "markeredgewidth": 1.2,
            "linestyle": "none", "color": colour}


def _incidence(ax: Axes, plot: DotPlot, centres: Sequence[float]) -> None:
    values = finite(v for t in plot.terms for v in t.incidence)
    ax.set_xlim(0, max([*values, 1.0]) * 1.08)
    for i in range(len(plot.arms)):
        points = [(t.incidence[i], y) for t, y in zip(plot.terms, centres, strict=True)]
        xs = [x for x, _ in points if x is not None and math.isfinite(x)]
        ys = [y for x, y in points if x is not None and math.isfinite(x)]
        if xs:
            ax.plot(xs, ys, clip_on=False, **_marker_style(i))


def _differences(ax: Axes, plot: DotPlot, centres: Sequence[float], offset: float) -> None:
    """Several comparisons sit one above the other within a row, in comparison order."""
    ends = finite(v for t in plot.terms for d in t.differences
                   for v in (d.lower, d.upper, d.estimate))
    low, high = min([*ends, 0.0]), max([*ends, 0.0])
    pad = 0.05 * (high - low or 1.0)
    ax.set_xlim(low - pad, high + pad)
    ax.axvline(0.0, color="black", linewidth=0.8)
    n = len(plot.comparisons)
    for k, arm in enumerate(plot.comparisons):
        shift = (k - (n - 1) / 2) * offset
        style = _marker_style(arm, "white")
        for term, centre in zip(plot.terms, centres, strict=True):
            d, y = term.differences[k], centre + shift
            whisker = finite((d.lower, d.upper))
            if len(whisker) == 2:
                ax.plot(whisker, [y, y], color=style["color"], linewidth=1.0)
            if finite((d.estimate,)):
                ax.plot(finite((d.estimate,)), [y], **style)


