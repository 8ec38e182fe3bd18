"""Forest plot of hazard ratios by subgroup, drawn from a `ForestPlot` (no statistics here).

The plot is a table with a picture in it: text columns at the left (subgroup and level,
events/N per arm), one panel per comparison on a log axis with its "HR (95% CI)" text beside
it, and the interaction p-value at the right. Everything is placed in inches from text
measured with the renderer, so a long label wraps (or the figure grows) instead of running
into its neighbour. Comparisons differ by marker shape as well as colour (greyscale print);
every text is created inside `figure_style`, so labels print literally (no mathtext).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullLocator
from matplotlib.transforms import blended_transform_factory, offset_copy

from submission_kit.figures.render import (
    ARM_COLOURS,
    ARM_MARKERS,
    as_images,
    extra_height,
    figure_style,
    text_size,
    text_width,
    widest_word,
    wrap_text,
)

LINE = 1.25  # pitch of wrapped text lines, in font sizes
ROW = 1.8  # pitch of a one-line row, in font sizes
GAP_IN = 0.1  # air between columns
EDGE_IN = 0.04  # air at the figure's left and right edges
MIN_PANEL_IN, MAX_PANEL_IN, MIN_LABEL_IN = 1.35, 2.6, 1.0
MAX_FAVOURS_IN = 2.0  # a "Favours ..." line wider than this wraps
INDENT_IN = 0.16
NICE = (1.0, 2.0, 5.0)  # log-axis ticks: 0.1, 0.2, 0.5, 1, 2, 5, 10 ...


@dataclass(frozen=True, slots=True)
class Estimate:
    """One hazard ratio as drawn: full-precision values for the point and whisker, and the
    text printed beside the panel (already formatted, e.g. "0.58 (0.32, 1.04)" or "NE")."""

    hr: float | None
    lcl: float | None
    ucl: float | None
    text: str

    @property
    def drawn(self) -> bool:
        return _positive(self.hr)


@dataclass(frozen=True, slots=True)
class ForestRow:
    label: str  # "All subjects", a subgroup's label, or a level's display name
    indent: int = 0
    counts: tuple[str, ...] = ()  # "18/83" per arm (ForestPlot.arms order); () on a heading
    estimates: tuple[Estimate, ...] = ()  # per comparison; () on a heading
    p_text: str = ""  # interaction p-value, on a subgroup's heading row
    heading: bool = False  # a subgroup's name (bold)
    overall: bool = False  # the all-subjects row: drawn as a diamond


@dataclass(frozen=True, slots=True)
class Comparison:
    title: str  # "IL-2LD vs Placebo"
    favours_left: str  # "Favours IL-2LD" (hazard ratios below 1, by default)
    favours_right: str
    arm_index: int  # position of the compared arm: its colour and marker


@dataclass(frozen=True, slots=True)
class ForestPlot:
    rows: tuple[ForestRow, ...]
    arms: tuple[str, ...]  # headers of the events/N columns
    comparisons: tuple[Comparison, ...]
    stub_header: str = "Subgroup"
    count_header: str = "Events/N"
    estimate_header: str = "HR (95% CI)"
    p_header: str = "Interaction p-value"
    x_label: str = "Hazard ratio (log scale)"
    x_limits: tuple[float, float] | None = None  # None: from the intervals shown
    max_width_in: float = 6.5
    font: str = "Liberation Serif"
    font_pt: float = 9.0
    marking: str = ""


# ---- geometry --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Grid:
    """Columns (x in inches from the figure's left edge) and the wrapped texts that fit them."""

    labels: tuple[str, ...]  # row labels, wrapped to the label column
    arm_headers: tuple[str, ...]  # arm label (wrapped) over "Events/N"
    panel_titles: tuple[str, ...]
    p_header: str
    n_arms: int
    n_comp: int
    label_w: float
    count_w: float
    panel_w: float
    est_w: float
    p_w: float

    def count_x(self, i: int) -> float:  # centre of events/N column i
        return EDGE_IN + self.label_w + GAP_IN + i * (self.count_w + GAP_IN) + self.count_w / 2

    def panel_x(self, k: int) -> float:  # left edge of panel k
        start = EDGE_IN + self.label_w + GAP_IN + self.n_arms * (self.count_w + GAP_IN)
        return start + k * (self.panel_w + self.est_w + 2 * GAP_IN)

    def est_x(self, k: int) -> float:  # left edge of HR text column k
        return self.panel_x(k) + self.panel_w + GAP_IN

    @property
    def p_x(self) -> float:  # centre of the p-value column
        return self.panel_x(self.n_comp) + self.p_w / 2

    @property
    def width(self) -> float:
        return self.panel_x(self.n_comp) + self.p_w + EDGE_IN


def _grid(fig: Figure, plot: ForestPlot) -> _Grid:
    pt = plot.font_pt
    counts = [c for r in plot.rows for c in r.counts]
    count_w = max([text_width(fig, c, pt) for c in counts]
                  + [text_width(fig, plot.count_header, pt, True),
                     widest_word(fig, plot.arms, pt, True)])
    arm_headers = tuple(wrap_text(fig, a, max(count_w, 0.8), pt, True) for a in plot.arms)
    count_w = max([count_w, *(text_width(fig, h, pt, True) for h in arm_headers)])
    est_w = max([text_width(fig, plot.estimate_header, pt, True)]
                + [text_width(fig, e.text, pt) for r in plot.rows for e in r.estimates])
    p_w = max([text_width(fig, r.p_text, pt) for r in plot.rows]
              + [widest_word(fig, [plot.p_header], pt, True)])
    n_arms, k = len(plot.arms), len(plot.comparisons)
    fixed = 2 * EDGE_IN + GAP_IN + n_arms * (count_w + GAP_IN) + k * (est_w + 2 * GAP_IN) + p_w
    label_w = _label_width(fig, plot, plot.max_width_in - fixed - k * MIN_PANEL_IN)
    labels = tuple(wrap_text(fig, r.label, label_w - r.indent * INDENT_IN, pt, _bold(r))
                   for r in plot.rows)
    panel_w = min(max((plot.max_width_in - fixed - label_w) / max(k, 1), MIN_PANEL_IN),
                  MAX_PANEL_IN)
    titles = tuple(wrap_text(fig, c.title, panel_w, pt, True) for c in plot.comparisons)
    return _Grid(labels, arm_headers, titles, wrap_text(fig, plot.p_header, p_w, pt, True),
                 n_arms, k, label_w, count_w, panel_w, est_w, p_w)


def _label_width(fig: Figure, plot: ForestPlot, room: float) -> float:
    """The longest label's width if there is room, else the room (labels wrap) — never
    narrower than MIN_LABEL_IN or the longest word (the figure grows instead)."""
    pt = plot.font_pt
    natural = max(text_width(fig, r.label, pt, _bold(r)) + r.indent * INDENT_IN
                  for r in plot.rows)
    longest_word = max(widest_word(fig, [r.label], pt, _bold(r)) + r.indent * INDENT_IN
                       for r in plot.rows)
    return max(min(natural, max(room, MIN_LABEL_IN)), longest_word)


def _bold(row: ForestRow) -> bool:
    return row.heading or row.overall


def _row_tops(fig: Figure, grid: _Grid, rows: Sequence[ForestRow], pt: float
              ) -> tuple[list[float], float]:
    """Top of each row (inches below the top of the rows area) and the area's height; a
    wrapped label makes its row taller, a subgroup's heading gets half a line of air above."""
    tops, y = [], 0.06
    for i, (label, row) in enumerate(zip(grid.labels, rows, strict=True)):
        if row.heading and i:
            y += 0.5 * pt / 72
        tops.append(y)
        y += ROW * pt / 72 + extra_height(fig, label, pt, _bold(row))
    return tops, y


def _limits(plot: ForestPlot) -> tuple[float, float]:
    """The configured limits, else the nice log ticks around every interval shown, either
    side of 1, kept within 0.01 to 100 (a wider interval gets an arrow)."""
    if plot.x_limits is not None:
        return plot.x_limits
    values = [1.0] + [v for r in plot.rows for e in r.estimates if e.drawn
                      for v in (e.hr, e.lcl, e.ucl) if v is not None and _positive(v)]
    ticks = _nice_ticks(0.01, 100.0)
    low = max([t for t in ticks if t <= min(values) and t < 1], default=ticks[0])
    high = min([t for t in ticks if t >= max(values) and t > 1], default=ticks[-1])
    return low, high


def _nice_ticks(low: float, high: float) -> list[float]:
    out = []
    for decade in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        out += [round(m * 10.0 ** decade, 6) for m in NICE]
    return [t for t in out if low * (1 - 1e-9) <= t <= high * (1 + 1e-9)]


def _positive(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0


# ---- drawing ---------------------------------------------------------------------------------

def render_forest(plot: ForestPlot) -> tuple[bytes, bytes, float, float]:
    """(svg, png, width in inches, height in inches)."""
    import matplotlib.pyplot as plt

    with figure_style(plot.font, plot.font_pt):
        fig = plt.figure(figsize=(plot.max_width_in, 4.0))
        frame = _Frame(fig, plot)
        fig.set_size_inches(frame.grid.width, frame.height)
        frame.header()
        frame.text_columns()
        for k, comparison in enumerate(plot.comparisons):
            frame.panel(k, comparison)
        svg, png = as_images(fig, plot.marking)
        plt.close(fig)
    return svg, png, frame.grid.width, frame.height


class _Frame:
    """The figure's geometry, fixed before anything is drawn: x in inches from the left
    edge; rows by their top in inches below the top of the rows area."""

    def __init__(self, fig: Figure, plot: ForestPlot) -> None:
        self.fig, self.plot, self.pt = fig, plot, plot.font_pt
        self.em = plot.font_pt / 72
        self.grid = _grid(fig, plot)
        self.tops, self.rows_h = _row_tops(fig, self.grid, plot.rows, plot.font_pt)
        self.limits = _limits(plot)
        self.favours = self._wrap_favours()
        headers = (*(f"{h}\n{plot.count_header}" for h in self.grid.arm_headers),
                   *self.grid.panel_titles, self.grid.p_header, plot.stub_header)
        header_h = max(text_size(fig, h, self.pt, True)[1] for h in headers) + 0.12
        favours_h = max((text_size(fig, t, self.pt)[1] for pair in self.favours for t in pair),
                        default=0.0)
        # tick labels, the "favours" lines, the axis label; the marking below them all
        self.axis_h = 2.1 * self.em + favours_h + 1.8 * self.em
        self.bottom = self.axis_h + (1.6 * self.em if plot.marking else 0.0)
        self.height = self.bottom + self.rows_h + header_h

    def _wrap_favours(self) -> list[tuple[str, str]]:
        """Each side's "Favours ..." wrapped to the room either side of the line at 1, under
        the axes: a right-hand text may reach half-way to the next panel's line at 1, and the
        next left-hand text starts where it ends (the outer sides reach the figure's edges)."""
        g, (low, high) = self.grid, self.limits
        ones = [g.panel_x(k) + g.panel_w * math.log(1 / low) / math.log(high / low)
                for k in range(g.n_comp)]
        out, start = [], EDGE_IN
        for k, c in enumerate(self.plot.comparisons):
            end = g.width - EDGE_IN if k == g.n_comp - 1 else (ones[k] + ones[k + 1]) / 2
            left = wrap_text(self.fig, c.favours_left, _room(ones[k] - start), self.pt)
            right = wrap_text(self.fig, c.favours_right, _room(end - ones[k]), self.pt)
            out.append((left, right))
            start = ones[k] + 0.06 + text_width(self.fig, right, self.pt) + 2 * GAP_IN
        return out

    def y(self, y_down: float) -> float:
        """Figure inches (from the bottom) of a point `y_down` below the rows area's top."""
        return self.bottom + self.rows_h - y_down

    def text(self, x: float, y_down: float, s: str, **kw: Any) -> None:
        self.fig.text(x, self.y(y_down), s, fontsize=self.pt,
                      transform=self.fig.dpi_scale_trans, **kw)

    def header(self) -> None:
        g, plot = self.grid, self.plot
        bold = {"va": "bottom", "fontweight": "bold"}
        self.text(EDGE_IN, -0.06, plot.stub_header, **bold)
        for i, arm in enumerate(g.arm_headers):
            self.text(g.count_x(i), -0.06, f"{arm}\n{plot.count_header}", ha="center", **bold)
        for k, title in enumerate(g.panel_titles):
            self.text(g.panel_x(k) + g.panel_w / 2, -0.06, title, ha="center", **bold)
            self.text(g.est_x(k), -0.06, plot.estimate_header, **bold)
        self.text(g.p_x, -0.06, g.p_header, ha="center", **bold)
        self.fig.add_artist(Line2D([EDGE_IN, g.width - EDGE_IN], [self.y(0.0)] * 2,
                                   transform=self.fig.dpi_scale_trans, color="black",
                                   linewidth=0.6))

    def text_columns(self) -> None:
        """Every text is top-aligned so that its first line is centred on the row's point."""
        g = self.grid
        for row, label, top in zip(self.plot.rows, g.labels, self.tops, strict=True):
            y = top + ROW * self.em / 2 - self.em / 2
            weight = "bold" if _bold(row) else "normal"
            self.text(EDGE_IN + row.indent * INDENT_IN, y, label, va="top", fontweight=weight)
            for i, count in enumerate(row.counts):
                self.text(g.count_x(i), y, count, ha="center", va="top")
            for k, est in enumerate(row.estimates):
                self.text(g.est_x(k), y, est.text, va="top")
            if row.p_text:
                self.text(g.p_x, y, row.p_text, ha="center", va="top")

    def panel(self, k: int, comparison: Comparison) -> None:
        g, fig = self.grid, self.fig
        w, h = fig.get_size_inches()
        ax = fig.add_axes((g.panel_x(k) / w, self.bottom / h, g.panel_w / w, self.rows_h / h))
        _axis(ax, self.limits, self.rows_h)
        style = _Style(ARM_COLOURS[comparison.arm_index % len(ARM_COLOURS)],
                       ARM_MARKERS[comparison.arm_index % len(ARM_MARKERS)],
                       0.3 * ROW * self.em)
        for row, top in zip(self.plot.rows, self.tops, strict=True):
            if k < len(row.estimates) and row.estimates[k].drawn:
                _draw_estimate(ax, row.estimates[k], top + ROW * self.em / 2, self.limits,
                               style, row.overall)
        self._under_axis(ax, self.favours[k])

    def _under_axis(self, ax: Axes, favours: tuple[str, str]) -> None:
        """The "favours" lines either side of the reference line at 1, then the axis label."""
        trans = blended_transform_factory(ax.transData, self.fig.dpi_scale_trans)
        y = self.bottom - 2.1 * self.em
        for text, dx, ha in ((favours[0], -3, "right"), (favours[1], 3, "left")):
            self.fig.text(1.0, y, text, transform=offset_copy(trans, fig=self.fig, x=dx,
                                                              units="points"),
                          ha=ha, multialignment=ha, va="top", fontsize=self.pt,
                          fontstyle="italic")
        centre = blended_transform_factory(ax.transAxes, self.fig.dpi_scale_trans)
        self.fig.text(0.5, self.bottom - self.axis_h + 0.2 * self.em, self.plot.x_label,
                      transform=centre, ha="center", va="bottom", fontsize=self.pt)


def _room(width: float) -> float:
    """Width for a "Favours ..." text: what there is less the offset from the line at 1,
    at least a short word's width, at most MAX_FAVOURS_IN."""
    return min(max(width - 0.06, 0.45), MAX_FAVOURS_IN)


@dataclass(frozen=True, slots=True)
class _Style:
    colour: str
    marker: str
    half_height: float  # of the overall diamond, in inches (the rows' data unit)


def _axis(ax: Axes, limits: tuple[float, float], rows_h: float) -> None:
    ax.set_xscale("log")
    ax.set_xlim(*limits)
    ax.set_ylim(rows_h, 0)
    ticks = _nice_ticks(*limits)
    if len(ticks) > 7:  # a wide axis: decades (and the ends) only
        ticks = [t for t in ticks if t in limits or math.log10(t).is_integer()]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.patch.set_visible(False)
    ax.axvline(1.0, color="black", linewidth=0.8)


def _draw_estimate(ax: Axes, est: Estimate, y: float, limits: tuple[float, float],
                   style: _Style, overall: bool) -> None:
    """Point and whisker, with an arrow where the interval runs past the axis; the overall
    row as a diamond spanning its interval."""
    low, high = limits
    hr = float(est.hr)  # type: ignore[arg-type]
    lcl = est.lcl if est.lcl is not None and _positive(est.lcl) else None
    ucl = est.ucl if est.ucl is not None and _positive(est.ucl) else None
    if lcl is not None and ucl is not None:
        if overall:
            half = style.half_height
            ax.fill([max(lcl, low), hr, min(ucl, high), hr], [y, y - half, y, y + half],
                    color=style.colour, linewidth=0)
        else:
            ax.plot([max(lcl, low), min(ucl, high)], [y, y], color=style.colour,
                    linewidth=1.1, solid_capstyle="butt")
        for end, edge, arrow in ((lcl, low, "<"), (ucl, high, ">")):
            if (end < edge) if arrow == "<" else (end > edge):
                ax.plot([edge], [y], marker=arrow, color=style.colour, markersize=4,
                        clip_on=False)
        if overall:
            return
    if low <= hr <= high:
        ax.plot([hr], [y], marker=style.marker, color=style.colour, markersize=5,
                linestyle="none")
