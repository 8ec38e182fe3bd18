"""By-visit trajectories: one statistic per visit and arm (a mean, an LS mean) with ±SE error
bars, drawn from a `Trajectory` (no statistics here), and read from a table's results by key.

Visits are categories in their scheduled order (equally spaced, labelled with the visit
names); the arms sit slightly apart at each visit so their error bars do not hide each other.
Arms differ by line style and marker as well as colour (the same looks as every other
figure), so the plot reads in greyscale print. The frame (legend, axes, the number of subjects
behind each point under the axis) is `category_frame.CategoryFrame`, shared with the box plots.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from submission_kit.figures.category_frame import SAMPLE_IN, CategoryFrame, linear_axis
from submission_kit.figures.render import (
    ARM_COLOURS,
    ARM_DASHES,
    ARM_MARKERS,
    drawn,
    finite,
)
from submission_kit.fmt import is_missing
from submission_kit.tables.cells import Shown

DODGE = 0.07  # between neighbouring arms at a visit, in visits (the spacing of two visits)
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

    @property
    def categories(self) -> tuple[str, ...]:
        return self.visits

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
        n=tuple(count_text(table, key(arm, v, "n")) for v in visits) if counts else ())


def count_text(table: Shown, key: str) -> str:
    """A count as printed under the axis ("xx" in a mock shell, "" where there is none)."""
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


def alt_text(title: str, what: str, plot: Trajectory, last: str, panel: str = "") -> str:
    """What a reader who cannot see the image needs: what is plotted against what, for which
    arms and visits, and the values at the last visit (`last`, from `values_at`). `panel`
    ("Panel A") names the panel the chart is."""
    visits = plot.visits
    span = (f"{len(visits)} visits, {visits[0]} to {visits[-1]}" if len(visits) > 1 else
            f"one visit, {visits[0]}" if visits else "no visit")
    counts = (" The number of subjects behind each point is printed under the axis."
              if any(s.n for s in plot.series) else "")
    chart = f"{panel}: line chart" if panel else "Line chart"
    return (f"{title}. {chart} of {what} by visit ({span}), one line per arm: "
            f"{'; '.join(s.label for s in plot.series)}. Error bars: plus or minus one "
            f"standard error.{counts}" + (f" At {visits[-1]}: {last}." if visits else ""))


# ---- drawing -----------------------------------------------------------------------------------

def render_trajectory(plot: Trajectory) -> tuple[bytes, bytes, float, float]:
    """(svg, png, width in inches, height in inches)."""
    svg, png = drawn(plot.font, plot.font_pt, plot.width_in, plot.height_in, plot.marking,
                     lambda fig: draw_trajectory(fig, plot))
    return svg, png, plot.width_in, plot.height_in


def draw_trajectory(fig: Figure, plot: Trajectory, base_in: float = 0.0) -> Axes:
    """The plot in the band of `fig` whose bottom edge is `base_in` inches up (inside
    `figure_style`); the synthetic marking itself is drawn by `as_images`."""
    frame = CategoryFrame(fig, plot, linear_axis(y_limits(plot)), base_in)
    ax = frame.axes()
    if plot.reference is not None:
        ax.axhline(plot.reference, color="#555555", linewidth=0.8, zorder=1)
    for i, series in enumerate(plot.series):
        _draw_series(ax, plot, i, series)
    frame.legend(_sample)
    frame.counts(ax)
    return ax


def _sample(fig: Figure, arm: int, x: float, y: float) -> None:
    """The arm's legend sample: a line with its marker in the middle."""
    fig.add_artist(Line2D([x, x + SAMPLE_IN / 2, x + SAMPLE_IN], [y] * 3,
                          transform=fig.dpi_scale_trans, markevery=[1], **style(arm)))


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


def y_limits(plot: Trajectory) -> tuple[float, float]:
    """Every bar's ends and the reference line, with air above and below."""
    ends = finite(c + sign * (s or 0.0) for series in plot.series
                   for c, s in zip(series.centre, series.se, strict=True) if c is not None
                   for sign in (-1, 1))
    ends += [] if plot.reference is None else [plot.reference]
    if not ends:
        return (0.0, 1.0)
    low, high = min(ends), max(ends)
    pad = 0.08 * (high - low) if high > low else max(abs(high), 1.0) * 0.5
    return low - pad, high + pad
