"""The frame of a plot over categories (visits, strata), shared by the by-visit trajectories
and the box plots: a legend of the arms at the top, the axes with the categories as equally
spaced x positions, the axis labels, and the numbers of subjects under the axis, one row per
arm in its colour (as a Kaplan-Meier plot prints its numbers at risk).

Geometry is fixed before anything is drawn, in inches from text measured with the renderer;
every text is created inside `figure_style` (labels print literally: no mathtext). A frame
may sit in a band of a taller figure (`base_in`: the band's bottom edge), so that panels
stack (figures.panels).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator
from matplotlib.transforms import blended_transform_factory

from submission_kit.figures.render import (
    ARM_COLOURS,
    legend_rows,
    text_size,
    text_width,
    wrap_text,
)

EDGE_IN = 0.04  # air at the figure's edges
RIGHT_IN = 0.12  # right of the axes
SAMPLE_IN = 0.34  # a legend entry's sample
TICK_PT = 7.0  # tick length + pad: from the axis to the tick labels
ROW = 1.45  # pitch of legend lines and count rows, in font sizes


class Entry(Protocol):
    """One arm: its legend label, its count row's label and its counts per category."""

    @property
    def label(self) -> str: ...
    @property
    def short_label(self) -> str: ...
    @property
    def n(self) -> tuple[str, ...]: ...  # (): no counts


class CategoryPlot(Protocol):
    @property
    def categories(self) -> tuple[str, ...]: ...
    @property
    def series(self) -> Sequence[Entry]: ...
    @property
    def y_label(self) -> str: ...
    @property
    def x_label(self) -> str: ...
    @property
    def n_label(self) -> str: ...
    @property
    def width_in(self) -> float: ...
    @property
    def height_in(self) -> float: ...
    @property
    def font_pt(self) -> float: ...
    @property
    def marking(self) -> str: ...


@dataclass(frozen=True, slots=True)
class YAxis:
    limits: tuple[float, float]
    ticks: tuple[float, ...]
    labels: tuple[str, ...]
    log: bool = False


def linear_axis(limits: tuple[float, float]) -> YAxis:
    """At most about six ticks at 1, 2, 2.5 or 5 times a power of ten."""
    ticks = tuple(t for t in MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10])
                  .tick_values(*limits) if limits[0] <= t <= limits[1])
    return YAxis(limits, ticks, tuple(tick_text(t, ticks) for t in ticks))


def log_axis(limits: tuple[float, float]) -> YAxis:
    """A logarithmic axis with ticks at 1, 2 and 5 times powers of ten (1, 5 and 10 if that
    gives more than eight), labelled as plain numbers ('1000', not '10^3')."""
    low, high = limits
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)

    def at(steps: Sequence[int]) -> tuple[float, ...]:
        return tuple(s * 10.0 ** e for e in decades for s in steps
                     if low <= s * 10.0 ** e <= high)

    ticks = at((1, 2, 5))
    if len(ticks) > 8:
        ticks = at((1,))
    elif len(ticks) < 3:  # a narrow range: every integer multiple
        ticks = at(range(1, 10))
    return YAxis(limits, ticks, tuple(tick_text(t, ticks) for t in ticks), log=True)


def tick_text(value: float, ticks: Sequence[float]) -> str:
    """Tick labels with the fewest decimals that show every tick exactly (2.5 steps need
    one), and a true minus sign."""
    decimals = next((d for d in range(5)
                     if all(abs(round(t, d) - t) < 1e-9 * max(1.0, abs(t)) for t in ticks)), 5)
    text = f"{value:.{decimals}f}"
    text = f"{0:.{decimals}f}" if float(text) == 0 else text
    return text.replace("-", "\u2212")


# An arm's legend sample, drawn with its left end at (x, y) inches (y: the entry's centre line)
# from the figure's bottom-left corner: (fig, arm, x, y).
Sample = Callable[[Figure, int, float, float], None]


class CategoryFrame:
    """The geometry (inches from the bottom-left corner of the frame's band): legend at the
    top; the axes; category labels, the axis label and the counts below."""

    def __init__(self, fig: Figure, plot: CategoryPlot, y: YAxis, base_in: float = 0.0
                 ) -> None:
        self.fig, self.plot, self.y, self.base = fig, plot, y, base_in
        self.pt = plot.font_pt
        self.em = plot.font_pt / 72
        self.ticks_w = max((text_width(fig, t, self.pt) for t in y.labels), default=0.0)
        self.entries = self._legend_lines()
        self.legend_h = (len(self.entries) * ROW + 0.4) * self.em
        rows = sum(1 for s in plot.series if s.n)
        self.counts_h = (rows + 1) * ROW * self.em + 0.5 * self.em if rows else 0.0
        self.marking_h = 1.6 * self.em if plot.marking else 0.0
        self.left = self._left(self._y_label(plot.height_in * 0.55))
        for _ in range(2):  # the category labels wrap to the spacing the left margin leaves
            self.categories = [wrap_text(fig, v, 0.92 * self.spacing(), self.pt)
                               for v in plot.categories]
            labels_h = max((text_size(fig, v, self.pt)[1] for v in self.categories),
                           default=self.em)
            # an axis label's line, or a little air when there is none
            self.x_label_top = (self.marking_h + self.counts_h
                                + (1.7 if plot.x_label else 0.4) * self.em)
            self.bottom = self.x_label_top + TICK_PT / 72 + labels_h + 0.45 * self.em
            self.height = plot.height_in - self.bottom - self.legend_h
            self.y_label = self._y_label(0.95 * self.height)
            self.left = self._left(self.y_label)

    def spacing(self) -> float:
        """Inches between two categories."""
        return (self.plot.width_in - self.left - RIGHT_IN) / max(len(self.plot.categories), 1)

    def _y_label(self, height: float) -> str:
        return wrap_text(self.fig, self.plot.y_label, max(height, 1.0), self.pt)

    def _left(self, y_label: str) -> float:
        """Room for the rotated axis label and the tick labels, and for the count rows'
        labels, whichever is wider."""
        names = max((text_width(self.fig, s.short_label, self.pt) for s in self.plot.series
                     if s.n), default=0.0)
        return max(EDGE_IN + self._axis_w(y_label), EDGE_IN + names + 0.15, 0.6)

    def _axis_w(self, y_label: str) -> float:
        """From the rotated axis label's left edge to the axis line."""
        return (text_size(self.fig, y_label, self.pt)[1] + 0.6 * self.em + self.ticks_w
                + TICK_PT / 72)

    def _legend_lines(self) -> list[list[tuple[int, float]]]:
        """Legend entries (arm, x) on as many lines as the width needs."""
        widths = [SAMPLE_IN + 0.6 * self.em + text_width(self.fig, series.label, self.pt)
                  for series in self.plot.series]
        return legend_rows(widths, self.plot.width_in, EDGE_IN, 2.0 * self.em)

    def axes(self) -> Axes:
        w, h = self.plot.width_in, float(self.fig.get_size_inches()[1])
        ax = self.fig.add_axes((self.left / w, (self.base + self.bottom) / h,
                                (w - self.left - RIGHT_IN) / w, self.height / h))
        n = len(self.plot.categories)
        ax.set_xlim(-0.5, n - 0.5)
        if self.y.log:
            ax.set_yscale("log")
            ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylim(*self.y.limits)
        ax.xaxis.set_major_locator(FixedLocator(list(range(n))))
        ax.set_xticklabels(self.categories, multialignment="center")
        ax.yaxis.set_major_locator(FixedLocator(list(self.y.ticks)))
        ax.set_yticklabels(list(self.y.labels))
        ax.tick_params(length=3.5, pad=3.5)
        ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
        inches = self.fig.dpi_scale_trans
        self.fig.text(self.left + (w - self.left - RIGHT_IN) / 2, self.base + self.x_label_top,
                      self.plot.x_label, transform=inches, ha="center", va="top",
                      fontsize=self.pt)
        # next to the tick labels, even when the count rows' labels make the margin wider
        self.fig.text(self.left - self._axis_w(self.y_label),
                      self.base + self.bottom + self.height / 2, self.y_label,
                      transform=inches, rotation=90, rotation_mode="anchor", ha="center",
                      va="top", multialignment="center", fontsize=self.pt)
        return ax

    def legend(self, sample: Sample) -> None:
        inches = self.fig.dpi_scale_trans
        for k, line in enumerate(self.entries):
            y = self.base + self.plot.height_in - (0.9 + ROW * k) * self.em
            for i, x in line:
                sample(self.fig, i, x, y)
                self.fig.text(x + SAMPLE_IN + 0.6 * self.em, y, self.plot.series[i].label,
                              transform=inches, va="center_baseline", fontsize=self.pt)

    def counts(self, ax: Axes) -> None:
        """The counts under each category, one row per arm in its colour, under a heading."""
        if not self.counts_h:
            return
        inches = self.fig.dpi_scale_trans
        at_category = blended_transform_factory(ax.transData, inches)
        y = self.base + self.marking_h + self.counts_h - 0.3 * self.em
        self.fig.text(EDGE_IN, y, self.plot.n_label, transform=inches, va="top",
                      fontweight="bold", fontsize=self.pt)
        counted = [(arm, s) for arm, s in enumerate(self.plot.series) if s.n]
        for row, (arm, series) in enumerate(counted):
            row_y = y - (row + 1) * ROW * self.em
            colour = ARM_COLOURS[arm % len(ARM_COLOURS)]
            self.fig.text(self.left - 0.15, row_y, series.short_label, transform=inches,
                          ha="right", va="top", fontsize=self.pt, color=colour)
            for category, n in enumerate(series.n):
                self.fig.text(category, row_y, n, transform=at_category, ha="center",
                              va="top", fontsize=self.pt)
