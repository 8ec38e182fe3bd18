"""Figures of stacked panels (A, B, ...): each panel a plot drawn in its own horizontal band
of one image, under a bold heading ("A. Regulatory T cells by visit"), so that one numbered
figure can show related plots (ICH E3 figures often do) and every document placing it shows
all of them.

A panel is its height and a function that draws it into a band (`draw(fig, base_in)`, the
band's bottom edge in inches up from the image's bottom, e.g. `trajectory.draw_trajectory`).
The synthetic marking is drawn once, in the image's bottom corner: the caller gives only the
bottom panel's plot a `marking`, so that only that panel keeps room for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure

from submission_kit.figures.category_frame import EDGE_IN
from submission_kit.figures.render import drawn

HEADING = 1.9  # a heading's band, in font sizes
GAP = 1.0  # between a panel and the next heading, in font sizes


@dataclass(frozen=True, slots=True)
class Panel:
    heading: str  # "A. ...", printed literally
    height_in: float  # the plot's own height (the heading's band is added)
    draw: Callable[[Figure, float], object]  # draws the plot into the band at base_in


def panels_height(panels: Sequence[Panel], font_pt: float) -> float:
    em = font_pt / 72
    return sum(p.height_in + HEADING * em for p in panels) + GAP * em * (len(panels) - 1)


def render_panels(panels: Sequence[Panel], width_in: float, font: str, font_pt: float,
                  marking: str = "") -> tuple[bytes, bytes, float, float]:
    """(svg, png, width in inches, height in inches): the panels top to bottom."""
    em = font_pt / 72
    height = panels_height(panels, font_pt)

    def draw(fig: Figure) -> None:
        top = height
        for panel in panels:
            fig.text(EDGE_IN, top - 0.35 * em, panel.heading, transform=fig.dpi_scale_trans,
                     ha="left", va="top", fontweight="bold", fontsize=font_pt)
            top -= HEADING * em + panel.height_in
            panel.draw(fig, top)
            top -= GAP * em

    svg, png = drawn(font, font_pt, width_in, height, marking, draw)
    return svg, png, width_in, height
