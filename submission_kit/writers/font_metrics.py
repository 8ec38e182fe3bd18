"""Text widths from the study font's own TrueType file, for the pagination model.

The file is the one fontconfig picks for the family (`fc-match`), which is the file Pango draws
the PDF with and, for Liberation Serif (metric-compatible with Times New Roman), the widths
Word lays the DOCX out with. Advance widths are summed without kerning: kerning only narrows
text, so a measured width is never less than the drawn one.

Without fontconfig or the file, or for a character the font lacks (drawn by a fallback font),
a conservative width is used instead: wider than any Latin glyph of a text font.
"""

from __future__ import annotations

import subprocess
from functools import cache

from fontTools.ttLib import TTFont

# Em widths used when the real ones are unknown: as wide as a capital M, so text measured this
# way is never drawn wider than measured.
FALLBACK_EM = 0.9
WIDE_EM = 1.0  # CJK and other characters the font lacks


@cache
def font_file(family: str, bold: bool, italic: bool = False) -> str:
    """The font file fontconfig chooses for the family ("" when there is none)."""
    pattern = family.replace("-", "\\-") + (":bold" if bold else "") + (
        ":italic" if italic else "")
    try:
        done = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True,
                              text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


@cache
def advance_widths(family: str, bold: bool, italic: bool = False) -> dict[str, float]:
    """Character -> advance width in em, for every character the font maps."""
    path = font_file(family, bold, italic)
    if not path.lower().endswith((".ttf", ".otf")):
        return {}
    try:
        with TTFont(path) as font:
            units = font["head"].unitsPerEm
            metrics = font["hmtx"].metrics
            return {chr(cp): metrics[glyph][0] / units
                    for cp, glyph in font.getBestCmap().items() if glyph in metrics}
    except OSError:
        return {}


class FontMeasure:
    """Width in em of a text in one family, regular, bold or italic; widths of repeated texts
    cached (a listing repeats its dates and terms thousands of times)."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._widths = (advance_widths(family, False), advance_widths(family, True))
        self._italic: tuple[dict[str, float], dict[str, float]] | None = None
        self._cache: dict[tuple[str, bool, bool], float] = {}

    def __call__(self, text: str, bold: bool = False, italic: bool = False) -> float:
        key = (text, bold, italic)
        found = self._cache.get(key)
        if found is None:
            widths = self._faces(italic)[bold] or self._widths[False]
            default = WIDE_EM if widths else FALLBACK_EM
            found = sum(widths.get(ch, default) for ch in text)
            self._cache[key] = found
        return found

    def _faces(self, italic: bool) -> tuple[dict[str, float], dict[str, float]]:
        if not italic:
            return self._widths
        if self._italic is None:  # loaded on first use: tables never ask for italic
            self._italic = (advance_widths(self.family, False, True),
                            advance_widths(self.family, True, True))
        return self._italic


@cache
def measure_for(family: str) -> FontMeasure:
    return FontMeasure(family)


@cache
def font_line_ratio(family: str) -> float:
    """Word's "single" line height of the family, in em: the Windows ascent and descent plus
    the part of the hhea line gap they do not already cover (Times New Roman and Liberation
    Serif: 1.15, so 12 pt text has 13.8 pt lines). 1.15 when the file is unknown."""
    path = font_file(family, False)
    if not path.lower().endswith((".ttf", ".otf")):
        return 1.15
    try:
        with TTFont(path) as font:
            units, os2, hhea = font["head"].unitsPerEm, font["OS/2"], font["hhea"]
            win = os2.usWinAscent + os2.usWinDescent
            gap = max(0, hhea.lineGap - (win - (hhea.ascent - hhea.descent)))
            return float((win + gap) / units)
    except (OSError, KeyError):
        return 1.15
