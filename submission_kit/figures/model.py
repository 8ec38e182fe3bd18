"""The figure model: a rendered figure plus the words around it (title, footnotes, source)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from submission_kit.tables.model import Orientation

# No figure text prints smaller than this once placed on a page (the house style: legible at
# print size).
LEGIBLE_PT = 8.0
_FONT_SIZE = re.compile(rb"font-size: ?([0-9.]+)px")


@dataclass(frozen=True, slots=True)
class FigureModel:
    id: str  # ICH E3 number, "14.2.1"
    title: tuple[str, ...]  # ("Figure 14.2.1", "Kaplan-Meier ...", "ITT Population")
    svg: bytes
    png: bytes
    width_in: float
    height_in: float
    footnotes: tuple[str, ...] = ()
    source: str = ""
    orientation: Orientation = "portrait"
    population: str = ""
    # What the image shows, for a reader who cannot see it (DOCX descr, PDF <img alt>): the
    # spec computes it from the results it draws; "" falls back to the caption.
    alt_text: str = ""

    @property
    def min_text_pt(self) -> float:
        """The smallest text the image draws, in points at its own size (matplotlib's SVG
        gives font sizes in user units of one point). 0 when it draws no text."""
        sizes = [float(s) for s in _FONT_SIZE.findall(self.svg)]
        return min(sizes, default=0.0)

    def placed_scale(self, width_in: float, height_in: float) -> float:
        """The scale to place the image at in a box of width_in x height_in: shrunk to fit,
        never enlarged, and never so far that its smallest text prints below LEGIBLE_PT (the
        text stays legible; the image may then take a little more than the box)."""
        fit = min(1.0, width_in / max(self.width_in, 0.1), height_in / max(self.height_in, 0.1))
        floor = min(1.0, LEGIBLE_PT / self.min_text_pt) if self.min_text_pt else 0.0
        return max(fit, floor)

    @property
    def caption(self) -> str:
        return " — ".join(self.title[1:]) if len(self.title) > 1 else self.title[0]


def figure_file_stem(figure_id: str) -> str:
    """'14.2.1' -> 'f-14-2-1' (eCTD rule: lowercase letters, digits and hyphens)."""
    return "f-" + figure_id.replace(".", "-")
