"""By-visit trajectories: one statistic per visit and arm (a mean, an LS mean) with ±SE error
bars, drawn from a `Trajectory` (no statistics here), and read from a table's results by key.

Visits are categories in their scheduled order (equally spaced, labelled with the visit
names); the arms sit slightly apart at each visit so their error bars do not hide each other.
Arms differ by line style and marker as well as colour (the same looks as every other
figure), so the plot reads in greyscale print. The number of subjects behind each point is
printed under the axis, one row per arm, as a Kaplan-Meier plot prints its numbers at risk.
Geometry is in inches from text measured with the renderer; every text is created inside
`figure_style` (labels print literally: no mathtext).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, MaxNLocator
from matplotlib.transforms import blended_transform_factory

from submission_kit.figures.render import (
    ARM_COLOURS,
    ARM_DASHES,
    ARM_MARKERS,
    as_images,
    figure_style,
    text_size,
    text_width,
    wrap_text,
)
from submission_kit.fmt import is_missing
from submission_kit.tables.cells import Shown

DODGE = 0.07  # between neighbouring arms at a visit, in visits (the spacing of two visits)
EDGE_IN = 0.04  # air at the figure's edges
RIGHT_IN = 0.12  # right of the axes
SAMPLE_IN = 0.34  # a legend entry's line sample
TICK_PT = 7.0  # tick length + pad: from the axis to the tick labels
ROW = 1.45  # pitch of legend lines and count rows, in font sizes
CAP = 5.0  # error bar caps, in points


@dataclass(frozen=True, slots=True)
class TrajectorySeries:
    label: str  # legend entry, e.g. "Placebo (N=110)"
    short_label: str  # row label of its counts, e.g. "Placebo"
    centre: tuple[float | None, ...]  # per visit (Trajectory.visits order); None: not drawn
    se: tuple[float | None, ...]  # per visit; None: the point without a bar
    n: tuple[str, ...] = ()  # subjects per visit, as printed ("103", "xx"); (): no counts


@dataclass(frozen=True, slots=True)
class Trajectory:
    visits: tuple[str, ...]  # x, in scheduled order
    series: tuple[TrajectorySeries, ...]  # one per arm, in arm order (its colour and marker)
    y_label: str
    x_label: str = "Visit"
    n_label: str = "Number of subjects"
    reference: float | None = None  # a horizontal line (0 for a change from baseline)
    width_in: float = 6.5
    height_in: float = 4.6
    font: str = "Liberation Serif"
    font_pt: float = 9.0
    marking: str = ""

    def x(self, arm: int) -> tuple[float, ...]:
        """Where arm `arm` is drawn at each visit: the visit's position, moved by the dodge."""
        shift = (arm - (len(self.series) - 1) / 2) * DODGE
        return tuple(i + shift for i in range(len(self.visits)))


# ---- reading a table's results ----------------------------------------------------------------

def result_number(table: Shown, key: str) -> float | None:
    """A full-precision result as drawn; None where it cannot be drawn (a mock shell, a key
    the table does not hold, a not-estimable value)."""
    if table.mock or not table.has(key):
        return None
    value = table.value(key)
    if isinstance(value, str) or is_missing(value):
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


# The results key of an arm's statistic at a visit: (arm, visit, part) -> key, part "est",
# "se" or "n"; e.g. ("PBO", "Month 3", "est") -> "chg.Month_3.PBO.mean".
Keys = Callable[[str, str, str], str]


def read_series(table: Shown, arm: str, label: str, short_label: str, visits: Sequence[str],
                key: Keys, counts: bool = True) -> TrajectorySeries:
    """One arm's points, read from the table's results by key."""
    return TrajectorySeries(
        label=label, short_label=short_label,
        centre=tuple(result_number(table, key(arm, v, "est")) for v in visits),
        se=tuple(result_number(table, key(arm, v, "se")) for v in visits),
        n=tuple(_count(table, key(arm, v, "n")) for v in visits) if counts else ())


def _count(table: Shown, key: str) -> str:
    if not table.mock and not table.has(key):
        return ""
    return table.count(key).text


def values_at(table: Shown, arms: Sequence[tuple[str, str]], visit: str, key: Keys) -> str:
    """'Placebo -13.2 (SE 0.62), IL-2LD -10.1 (SE 0.55)' at one visit, formatted as the table
    formats them (estimate to one decimal more than the data, SE to two): for alt text.
    `arms`: (key, label) pairs."""
    parts = []
    for arm, label in arms:
        est, se = key(arm, visit, "est"), key(arm, visit, "se")
        if not table.mock and result_number(table, est) is None:
            parts.append(f"{label} no estimate")
            continue
        digits = table.digits(est, 0)
        parts.append(f"{label} {table.num(est, digits + 1).text} "
                     f"(SE {table.num(se, digits + 2).text})")
    return ", ".join(parts) or "no estimate"


def alt_text(title: str, what: str, plot: Trajectory, last: str) -> str:
    """What a reader who cannot see the image needs: what is plotted against what, for which
    arms and visits, and the values at the last visit (`last`, from `values_at`)."""
    visits = plot.visits
    span = (f"{len(visits)} visits, {visits[0]} to {visits[-1]}" if len(visits) > 1 else
            f"one visit, {visits[0]}" if visits else "no visit")
    counts = (" The number of subjects behind each point is printed under the axis."
              if any(s.n for s in plot.series) else "")
    return (f"{title}. Line chart of {what} by visit ({span}), one line per arm: "
            f"{'; '.join(s.label for s in plot.series)}. Error bars: plus or minus one "
            f"standard error.{counts}" + (f" At {visits[-1]}: {last}." if visits else ""))


# ---- drawing -----------------------------------------------------------------------------------

def render_trajectory(plot: Trajectory) -> tuple[bytes, bytes, float, float]:
    """(svg, png, width in inches, height in inches)."""
    import matplotlib.pyplot as plt

    with figure_style(plot.font, plot.font_pt):
        fig = plt.figure(figsize=(plot.width_in, plot.height_in))
        frame = _Frame(fig, plot)
        ax = frame.axes()
        for i, series in enumerate(plot.series):
            _draw_series(ax, plot, i, series)
        frame.legend()
        frame.counts(ax)
        svg, png = as_images(fig, plot.marking)
        plt.close(fig)
    return svg, png, plot.width_in, plot.height_in


def style(arm: int) -> dict[str, Any]:
    """The arm's look: colour, line style and hollow marker (a point hidden behind another
    arm's stays visible)."""
    colour = ARM_COLOURS[arm % len(ARM_COLOURS)]
    return {"color": colour, "linestyle": ARM_DASHES[arm % len(ARM_DASHES)],
            "linewidth": 1.3, "marker": ARM_MARKERS[arm % len(ARM_MARKERS)],
            "markersize": 5.5, "markerfacecolor": "white", "markeredgecolor": colour,
            "markeredgewidth": 1.2}


def _draw_series(ax: Axes, plot: Trajectory, arm: int, series: TrajectorySeries) -> None:
    """Error bars first, then the line and markers on top. A visit without an estimate
    breaks the line (NaN) rather than joining its neighbours across it."""
    look = style(arm)
    xs = plot.x(arm)
    bars = [(x, c, s) for x, c, s in zip(xs, series.centre, series.se, strict=True)
            if c is not None and s is not None]
    if bars:
        ax.vlines([x for x, _, _ in bars], [c - s for _, c, s in bars],
                  [c + s for _, c, s in bars], colors=look["color"], linewidth=1.0,
                  gid=f"se-{arm}")
        ends = [(x, c + sign * s) for x, c, s in bars for sign in (-1, 1)]
        ax.plot([x for x, _ in ends], [y for _, y in ends], linestyle="none", marker="_",
                markersize=CAP, markeredgewidth=1.0, color=look["color"], gid=f"caps-{arm}")
    ys = [math.nan if c is None else c for c in series.centre]
    ax.plot(xs, ys, gid=f"mean-{arm}", zorder=3, **look)


def _finite(values: Iterable[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def y_limits(plot: Trajectory) -> tuple[float, float]:
    """Every bar's ends and the reference line, with air above and below."""
    ends = _finite(c + sign * (s or 0.0) for series in plot.series
                   for c, s in zip(series.centre, series.se, strict=True) if c is not None
                   for sign in (-1, 1))
    ends += [] if plot.reference is None else [plot.reference]
    if not ends:
        return (0.0, 1.0)
    low, high = min(ends), max(ends)
    pad = 0.08 * (high - low) if high > low else max(abs(high), 1.0) * 0.5
    return low - pad, high + pad


class _Frame:
    """The geometry, fixed before anything is drawn (inches from the bottom-left corner):
    legend at the top; the axes; visit labels, the axis label and the counts below."""

    def __init__(self, fig: Figure, plot: Trajectory) -> None:
        self.fig, self.plot, self.pt, self.em = fig, plot, plot.font_pt, plot.font_pt / 72
        self.limits = y_limits(plot)
        self.ticks = [t for t in MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10])
                      .tick_values(*self.limits) if self.limits[0] <= t <= self.limits[1]]
        self.tick_labels = [_tick_text(t, self.ticks) for t in self.ticks]
        self.ticks_w = max((text_width(fig, t, self.pt) for t in self.tick_labels),
                           default=0.0)
        self.entries = self._legend_lines()
        self.legend_h = (len(self.entries) * ROW + 0.4) * self.em
        rows = sum(1 for s in plot.series if s.n)
        self.counts_h = (rows + 1) * ROW * self.em + 0.5 * self.em if rows else 0.0
        self.marking_h = 1.6 * self.em if plot.marking else 0.0
        self.left = self._left(self._y_label(plot.height_in * 0.55))
        for _ in range(2):  # the visit labels wrap to the spacing the left margin leaves
            self.visits = [wrap_text(fig, v, 0.92 * self._spacing(), self.pt)
                           for v in plot.visits]
            visits_h = max((text_size(fig, v, self.pt)[1] for v in self.visits),
                           default=self.em)
            self.x_label_top = self.marking_h + self.counts_h + 1.7 * self.em
            self.bottom = self.x_label_top + TICK_PT / 72 + visits_h + 0.45 * self.em
            self.height = plot.height_in - self.bottom - self.legend_h
            self.y_label = self._y_label(0.95 * self.height)
            self.left = self._left(self.y_label)

    def _spacing(self) -> float:
        return (self.plot.width_in - self.left - RIGHT_IN) / max(len(self.plot.visits), 1)

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
        lines: list[list[tuple[int, float]]] = [[]]
        x = EDGE_IN
        for i, series in enumerate(self.plot.series):
            width = SAMPLE_IN + 0.6 * self.em + text_width(self.fig, series.label, self.pt)
            if lines[-1] and x + width > self.plot.width_in - EDGE_IN:
                lines.append([])
                x = EDGE_IN
            lines[-1].append((i, x))
            x += width + 2.0 * self.em
        return lines

    def axes(self) -> Axes:
        w, h = self.plot.width_in, self.plot.height_in
        ax = self.fig.add_axes((self.left / w, self.bottom / h,
                                (w - self.left - RIGHT_IN) / w, self.height / h))
        n = len(self.plot.visits)
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylim(*self.limits)
        ax.xaxis.set_major_locator(FixedLocator(list(range(n))))
        ax.set_xticklabels(self.visits, multialignment="center")
        ax.yaxis.set_major_locator(FixedLocator(self.ticks))
        ax.set_yticklabels(self.tick_labels)
        ax.tick_params(length=3.5, pad=3.5)
        ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
        if self.plot.reference is not None:
            ax.axhline(self.plot.reference, color="#555555", linewidth=0.8, zorder=1)
        inches = self.fig.dpi_scale_trans
        self.fig.text(self.left + (w - self.left - RIGHT_IN) / 2, self.x_label_top,
                      self.plot.x_label, transform=inches, ha="center", va="top",
                      fontsize=self.pt)
        # next to the tick labels, even when the count rows' labels make the margin wider
        self.fig.text(self.left - self._axis_w(self.y_label), self.bottom + self.height / 2,
                      self.y_label, transform=inches,
                      rotation=90, rotation_mode="anchor", ha="center", va="top",
                      multialignment="center", fontsize=self.pt)
        return ax

    def legend(self) -> None:
        inches = self.fig.dpi_scale_trans
        for k, line in enumerate(self.entries):
            y = self.plot.height_in - (0.9 + ROW * k) * self.em
            for i, x in line:
                look = style(i)
                self.fig.add_artist(Line2D([x, x + SAMPLE_IN / 2, x + SAMPLE_IN], [y] * 3,
                                           transform=inches, markevery=[1], **look))
                self.fig.text(x + SAMPLE_IN + 0.6 * self.em, y, self.plot.series[i].label,
                              transform=inches, va="center_baseline", fontsize=self.pt)

    def counts(self, ax: Axes) -> None:
        """The counts under each visit, one row per arm in its colour, under a heading."""
        if not self.counts_h:
            return
        inches = self.fig.dpi_scale_trans
        at_visit = blended_transform_factory(ax.transData, inches)
        y = self.marking_h + self.counts_h - 0.3 * self.em
        self.fig.text(EDGE_IN, y, self.plot.n_label, transform=inches, va="top",
                      fontweight="bold", fontsize=self.pt)
        counted = [(arm, s) for arm, s in enumerate(self.plot.series) if s.n]
        for row, (arm, series) in enumerate(counted):
            row_y = y - (row + 1) * ROW * self.em
            colour = ARM_COLOURS[arm % len(ARM_COLOURS)]
            self.fig.text(self.left - 0.15, row_y, series.short_label, transform=inches,
                          ha="right", va="top", fontsize=self.pt, color=colour)
            for visit, n in enumerate(series.n):
                self.fig.text(visit, row_y, n, transform=at_visit, ha="center", va="top",
                              fontsize=self.pt)


def _tick_text(value: float, ticks: Sequence[float]) -> str:
    """Tick labels with the fewest decimals that show every tick exactly (2.5 steps need
    one), and a true minus sign."""
    decimals = next((d for d in range(5)
                     if all(abs(round(t, d) - t) < 1e-9 * max(1.0, abs(t)) for t in ticks)), 5)
    text = f"{value:.{decimals}f}"
    text = f"{0:.{decimals}f}" if float(text) == 0 else text
    return text.replace("-", "\u2212")
