"""Kaplan-Meier plot with a numbers-at-risk table, drawn from `KMCurve`s (no statistics here).

The curves stay in the data's time unit (they are the table's); the drawing divides their
times by `KMPlot.time_scale` (30.4375 to draw days in months), and everything else on the
axis (x_max, the numbers-at-risk times) is in the axis' unit already.
Artists carry ids (gid) so tests can read what was drawn: km-<i> (the step curve of arm i),
ci-<i> (its confidence band), censored-<i> (its + marks), at-risk-<i>-<j> (arm i's count
at tick j).

Arms differ by line style as well as colour, so the figure reads in greyscale print.
Every text is created inside `figure_style`, which turns mathtext off: arm labels and axis
titles from the study print literally, '$' included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from submission_kit.analysis.survival import KMCurve
from submission_kit.figures.render import ARM_COLOURS, ARM_DASHES, as_images, figure_style


@dataclass(frozen=True, slots=True)
class KMSeries:
    label: str  # legend text, e.g. "Placebo (N=110)"
    short_label: str  # numbers-at-risk row label, e.g. "Placebo"
    curve: KMCurve
    at_risk: tuple[int, ...]  # numbers at risk at KMPlot.risk_times


@dataclass(frozen=True, slots=True)
class KMPlot:
    series: tuple[KMSeries, ...]
    risk_times: tuple[float, ...]
    x_label: str
    y_label: str
    x_max: float
    annotation: tuple[str, ...] = ()  # already formatted lines, e.g. "HR 0.81 (0.53, 1.23)"
    width_in: float = 6.5
    height_in: float = 4.8
    font: str = "Liberation Serif"
    font_pt: float = 9.0
    show_ci: bool = False
    marking: str = ""  # "Synthetic data — for demonstration only", drawn in the image
    time_scale: float = 1.0  # data time units per axis unit (30.4375: days drawn in months)


def render_km(plot: KMPlot) -> tuple[bytes, bytes]:
    """(svg, png) of the plot."""
    import matplotlib.pyplot as plt

    with figure_style(plot.font, plot.font_pt):
        rows = len(plot.series)
        fig = plt.figure(figsize=(plot.width_in, plot.height_in))
        table_share = 0.09 + 0.055 * rows
        left = _left_margin(fig, plot)
        ax = fig.add_axes((left, table_share + 0.12, 0.97 - left, 0.84 - table_share))
        for i, series in enumerate(plot.series):
            _draw_series(ax, series, i, plot)
        _format_axes(ax, plot)
        _draw_risk_table(fig, ax, plot, table_share)
        svg, png = as_images(fig, plot.marking)
        plt.close(fig)
    return svg, png


def _draw_series(ax: Axes, series: KMSeries, index: int, plot: KMPlot) -> None:
    c = series.curve
    colour, dash = ARM_COLOURS[index % len(ARM_COLOURS)], ARM_DASHES[index % len(ARM_DASHES)]
    x = np.asarray(c.times, dtype=float) / plot.time_scale
    ax.step(x, c.survival, where="post", color=colour, linestyle=dash, linewidth=1.4,
            label=series.label, gid=f"km-{index}")
    if plot.show_ci:
        ax.fill_between(x, c.lower, c.upper, step="post", color=colour, alpha=0.12,
                        linewidth=0, gid=f"ci-{index}")
    censored = np.array([t for t in c.censored_times if t / plot.time_scale <= plot.x_max])
    if censored.size:  # on the curve: S at the last step at or before the censoring time
        idx = np.searchsorted(c.times, censored, side="right") - 1
        ax.plot(censored / plot.time_scale, np.asarray(c.survival)[idx], linestyle="none",
                marker="+", markersize=5, color=colour, gid=f"censored-{index}")


def _format_axes(ax: Axes, plot: KMPlot) -> None:
    ax.set_xlim(0, plot.x_max)
    ax.set_ylim(0, 1.02)
    ax.set_xticks(plot.risk_times)
    ax.set_xticklabels([f"{t:g}" for t in plot.risk_times])
    ax.set_xlabel(plot.x_label)
    ax.set_ylabel(plot.y_label)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.legend(loc="best", frameon=False)
    if plot.annotation:
        ax.text(0.98, 0.97, "\n".join(plot.annotation), transform=ax.transAxes, ha="right",
                va="top", fontsize=plot.font_pt)


LABEL_GAP_IN = 0.2  # air between an arm's risk-table label and its count at time 0


def _text_width(fig: Figure, text: str, pt: float) -> float:
    """Width in pixels of `text` as the renderer draws it."""
    probe = fig.text(0, 0, text, fontsize=pt)
    width = float(probe.get_window_extent().width)
    probe.remove()
    return width


def _first_count_half(fig: Figure, plot: KMPlot) -> float:
    """Half the widest count at time 0: those counts are centred on the y axis."""
    return max((_text_width(fig, str(s.at_risk[0]), plot.font_pt) / 2
                for s in plot.series if s.at_risk), default=0.0)


def _left_margin(fig: Figure, plot: KMPlot) -> float:
    """Room for the longest risk-table label, measured with the renderer, so labels never
    run into the counts at time 0 (which sit on the y axis)."""
    widest = max((_text_width(fig, s.short_label, plot.font_pt) for s in plot.series),
                 default=0.0)
    room = widest + LABEL_GAP_IN * fig.dpi + _first_count_half(fig, plot) + 0.05 * fig.dpi
    return min(max(0.11, room / fig.bbox.width), 0.45)


def _draw_risk_table(fig: Figure, ax: Axes, plot: KMPlot, share: float) -> None:
    """Numbers at risk under the x axis, aligned with the ticks (data x, figure y)."""
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transData, fig.transFigure)
    label_trans = blended_transform_factory(fig.transFigure, fig.transFigure)
    # Labels end a clear gap before the widest count at time 0, not before the axis line.
    label_x = ax.get_position().x0 - (LABEL_GAP_IN * fig.dpi
                                      + _first_count_half(fig, plot)) / fig.bbox.width
    top = share - 0.005
    fig.text(0.01, top, "Number at risk", transform=label_trans, fontweight="bold",
             va="top", fontsize=plot.font_pt)
    for i, series in enumerate(plot.series):
        y = top - 0.055 * (i + 1)
        fig.text(label_x, y, series.short_label, transform=label_trans, va="top", ha="right",
                 fontsize=plot.font_pt, color=ARM_COLOURS[i % len(ARM_COLOURS)])
        for j, (t, n) in enumerate(zip(plot.risk_times, series.at_risk, strict=True)):
            fig.text(t, y, str(n), transform=trans, ha="center", va="top",
                     fontsize=plot.font_pt, gid=f"at-risk-{i}-{j}")
