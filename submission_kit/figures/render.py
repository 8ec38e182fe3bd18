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


def as_svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def as_png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return buffer.getvalue()
