"""The figure model: a rendered figure plus the words around it (title, footnotes, source)."""

from __future__ import annotations

from dataclasses import dataclass

from submission_kit.tables.model import Orientation


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
    def caption(self) -> str:
        return " — ".join(self.title[1:]) if len(self.title) > 1 else self.title[0]


def figure_file_stem(figure_id: str) -> str:
    """'14.2.1' -> 'f-14-2-1' (eCTD rule: lowercase letters, digits and hyphens)."""
    return "f-" + figure_id.replace(".", "-")
