"""matplotlib set-up shared by all figures: deterministic bytes, the study font, no warnings.

SVG keeps text as text (svg.fonttype "none") so figure labels stay searchable in the PDF;
the date stamp and random ids matplotlib puts in SVGs are removed (DESIGN.md §6).

Labels come from configuration and data (arm names, parameter labels), so they are shown
literally: no mathtext ('$x$', 'kg/m$^2$' print with their dollar signs, and an unbalanced '$'
cannot fail the render) and no TeX (DESIGN.md §3, escaping).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

PNG_DPI = 200
_FALLBACK_FONTS = ("Liberation Serif", "DejaVu Serif")


def available_font(preferred: str) -> str:
    """The preferred family if matplotlib can find it, else a serif that ships with it."""
    for family in (preferred, *_FALLBACK_FONTS):
        try:
            font_manager.findfont(font_manager.FontProperties(family=family),
                                  fallback_to_default=False)
            return family
        except ValueError:
            continue
    return "DejaVu Sans"


@contextmanager
def figure_style(font: str, size_pt: float) -> Iterator[None]:
    rc: Any = {
        "font.family": available_font(font),
        "font.size": size_pt,
        "text.parse_math": False,
        "text.usetex": False,
        "svg.fonttype": "none",
        "svg.hashsalt": "submission-kit",
        "path.simplify": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with plt.rc_context(rc):
        yield


def as_images(fig: Figure, marking: str = "") -> tuple[bytes, bytes]:
    """(svg, png). A `marking` ("Synthetic data — for demonstration only") is drawn in the
    image's corner and written to its metadata, so the file carries it wherever it travels."""
    if marking:
        fig.text(0.995, 0.004, marking, ha="right", va="bottom", color="#555555",
                 fontsize=max(plt.rcParams["font.size"] - 1, 6), fontstyle="italic")
    return as_svg(fig, marking), as_png(fig, marking)


def as_svg(fig: Figure, description: str = "") -> bytes:
    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"Date": None, "Creator": None}
    if description:
        metadata["Description"] = description
    fig.savefig(buffer, format="svg", metadata=metadata)
    return buffer.getvalue()


def as_png(fig: Figure, description: str = "") -> bytes:
    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"Software": None}
    if description:
        metadata["Description"] = description
    fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata=metadata)
    return buffer.getvalue()
