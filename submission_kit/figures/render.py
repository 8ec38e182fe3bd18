"""matplotlib set-up shared by all figures: deterministic bytes, the study font, no warnings.

SVG keeps text as text (svg.fonttype "none") so figure labels stay searchable in the PDF;
the date stamp and random ids matplotlib puts in SVGs are removed (DESIGN.md §6).

Labels come from configuration and data (arm names, parameter labels), so they are shown
literally: no mathtext ('$x$', 'kg/m$^2$' print with their dollar signs, and an unbalanced '$'
cannot fail the render) and no TeX (DESIGN.md §3, escaping).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

from submission_kit.errors import UserError

PNG_DPI = 300
# One look per arm position in every figure. Blue, red, black, then pink and wine (Okabe-Ito /
# Tol): under simulated deuteranopia, protanopia and tritanopia the closest pair stays apart
# (CIELAB Delta E >= 29); line styles and markers differ too, so greyscale prints read.
ARM_COLOURS = ("#1b4f9c", "#c0392b", "#000000", "#cc79a7", "#882255")
ARM_DASHES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)))
ARM_MARKERS = ("o", "s", "^", "D", "v")
_FALLBACK_FONTS = ("Liberation Serif", "DejaVu Serif")
# Drawn after the study font for characters it lacks (CJK names, Greek), as in the PDF stack.
_GLYPH_FALLBACKS = ("Noto Serif CJK SC", "DejaVu Serif")


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
    families = [available_font(font), *(f for f in _GLYPH_FALLBACKS if _installed(f))]
    rc: Any = {
        "font.family": list(dict.fromkeys(families)),
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


def _installed(family: str) -> bool:
    try:
        font_manager.findfont(font_manager.FontProperties(family=family),
                              fallback_to_default=False)
        return True
    except ValueError:
        return False


def require_drawable_text(fig: Figure) -> None:
    """A character no font of the figure has would be drawn as an empty box: stop instead,
    naming it (the same rule as for the PDF's text, writers/glyphs.py)."""
    from matplotlib.text import Text

    from submission_kit.writers.glyphs import missing_characters

    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    missing = missing_characters("".join(texts), plt.rcParams["font.family"])
    if missing:
        where = next(t for t in texts if missing[0] in t)
        raise UserError(f"figure text {where!r}: the character U+{ord(missing[0]):04X} "
                        f"({missing[0]}) is in none of the figure fonts "
                        f"({', '.join(plt.rcParams['font.family'])}); remove or replace it (if a "
                        "font that has it was installed after matplotlib first ran, delete "
                        "matplotlib's font cache, ~/.cache/matplotlib/fontlist-*.json)")


def finite(values: Iterable[float | None]) -> list[float]:
    """The values that can be drawn: not-estimable ones (None, NaN, infinite) are left out."""
    return [v for v in values if v is not None and math.isfinite(v)]


def drawn(font: str, size_pt: float, width_in: float, height_in: float, marking: str,
          draw: Callable[[Figure], object]) -> tuple[bytes, bytes]:
    """(svg, png) of a figure of that size that `draw` fills, in the house style."""
    with figure_style(font, size_pt):
        fig = plt.figure(figsize=(width_in, height_in))
        draw(fig)
        images = as_images(fig, marking)
        plt.close(fig)
    return images


def legend_rows(widths: Sequence[float], width_in: float, edge_in: float, gap_in: float
                ) -> list[list[tuple[int, float]]]:
    """Legend entries of these widths (inches) on as many rows as `width_in` needs: per row,
    (entry, x of its left edge)."""
    rows: list[list[tuple[int, float]]] = [[]]
    x = edge_in
    for i, width in enumerate(widths):
        if rows[-1] and x + width > width_in - edge_in:
            rows.append([])
            x = edge_in
        rows[-1].append((i, x))
        x += width + gap_in
    return rows


def as_images(fig: Figure, marking: str = "") -> tuple[bytes, bytes]:
    """(svg, png). A `marking` ("Synthetic data — for demonstration only") is drawn in the
    image's corner and written to its metadata, so the file carries it wherever it travels.
    Every character must be drawable (`require_drawable_text`)."""
    require_drawable_text(fig)
    if marking:
        fig.text(0.995, 0.004, marking, ha="right", va="bottom", color="#555555",
                 fontsize=plt.rcParams["font.size"], fontstyle="italic")
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


# ---- text measured with the renderer --------------------------------------------------------
# Figures place every text in inches from these measurements (forest, dot plot, trajectory), so
# a long label wraps or the figure grows instead of a text running into its neighbour. Call them
# inside `figure_style`: the font and size must be the ones the text is drawn with.

def text_size(fig: Figure, text: str, size_pt: float, bold: bool = False
              ) -> tuple[float, float]:
    """(width, height) in inches of `text` as the renderer draws it (all its lines)."""
    if not text:
        return 0.0, 0.0
    probe = fig.text(0, 0, text, fontsize=size_pt, fontweight="bold" if bold else "normal")
    box = probe.get_window_extent(fig.canvas.get_renderer())  # type: ignore[attr-defined]
    probe.remove()
    return float(box.width) / fig.dpi, float(box.height) / fig.dpi


def text_width(fig: Figure, text: str, size_pt: float, bold: bool = False) -> float:
    return text_size(fig, text, size_pt, bold)[0]


def extra_height(fig: Figure, text: str, size_pt: float, bold: bool = False) -> float:
    """How much taller than one line a (wrapped) text is, in inches."""
    one = text_size(fig, "Ag", size_pt, bold)[1]
    return max(text_size(fig, text, size_pt, bold)[1] - one, 0.0) if "\n" in text else 0.0


def wrap_text(fig: Figure, text: str, width_in: float, size_pt: float,
              bold: bool = False) -> str:
    """Words moved to new lines until each line fits `width_in`; a word longer than the
    width keeps a line of its own (callers widen the column to the widest word)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width(fig, candidate, size_pt, bold) > width_in:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return "\n".join(lines)


def widest_word(fig: Figure, texts: Sequence[str], size_pt: float, bold: bool = False) -> float:
    words = {w for t in texts for w in t.replace("\n", " ").split(" ") if w}
    return max((text_width(fig, w, size_pt, bold) for w in words), default=0.0)
