"""Can the PDF's fonts draw every character of a document?

Pango draws a character the fonts cannot show as nothing at all, so before this check a CJK
name or an emoji simply vanished from the PDF. Every character a reader would see is checked
against the fonts of the print stylesheet's stacks (print_css.font_families), and a character
none of them has stops the build with its code point and where it occurs.

Only the declared stack counts, not every font that happens to be installed: Pango would fall
back to any installed font, but then how a PDF looks would depend on the build machine. Coverage
comes from fontconfig (`fc-match`), which is what Pango itself consults; one call per family and
process, cached.
"""

from __future__ import annotations

import bisect
import re
import subprocess
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from submission_kit.documents.model import Document
from submission_kit.errors import UserError
from submission_kit.writers.print_css import GENERIC_FAMILIES
from submission_kit.writers.text_safety import codepoint, shown_strings, shown_texts

# Drawn by no font: controls, format characters (ZWJ, soft hyphen), separators, and the
# variation selectors that only choose between forms of the character before them.
_NOT_DRAWN = frozenset({"Cc", "Cf", "Zl", "Zp"})
_VARIATION_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
_MAX_LISTED = 10
# fontconfig reads 'Family-12:bold' as family, size and style: escape those separators.
_FC_SPECIAL = re.compile(r"([\\:,\-])")


@dataclass(frozen=True, slots=True)
class Coverage:
    family: str
    file: str
    starts: tuple[int, ...]  # sorted, disjoint ranges of code points
    ends: tuple[int, ...]

    def __contains__(self, cp: int) -> bool:
        i = bisect.bisect_right(self.starts, cp) - 1
        return i >= 0 and cp <= self.ends[i]


def parse_charset(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """fontconfig's charset format, '20-7e a0 100-17f', as (starts, ends)."""
    starts, ends = [], []
    for item in text.split():
        lo, _, hi = item.partition("-")
        starts.append(int(lo, 16))
        ends.append(int(hi or lo, 16))
    return tuple(starts), tuple(ends)


@cache
def family_coverage(family: str) -> Coverage | None:
    """The characters of the font fontconfig picks for `family`; None when that family is
    not installed (fontconfig then answers with a substitute, which we do not count)."""
    pattern = _FC_SPECIAL.sub(r"\\\1", family)
    try:
        out = subprocess.run(["fc-match", "-f", "%{family}\t%{file}\t%{charset}", pattern],
                             capture_output=True, text=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise UserError("cannot ask fontconfig which characters the PDF fonts cover "
                        f"(fc-match {family!r}: {exc}); install fontconfig "
                        "(scripts/install-system-deps.sh)") from None
    names, file, charset = [*out.split("\t", 2), "", ""][:3]
    matched = {n.strip().casefold() for n in names.split(",")}
    if family not in GENERIC_FAMILIES and family.casefold() not in matched:
        return None
    return Coverage(names.split(",")[0], file, *parse_charset(charset))


def stack_coverage(families: Iterable[str]) -> tuple[Coverage, ...]:
    """The installed fonts of the stack, each once (a generic name resolves to one of them)."""
    found = {(c.file, c.family): c for c in map(family_coverage, families) if c is not None}
    return tuple(found.values())


def is_drawn(ch: str) -> bool:
    cp = ord(ch)
    if any(lo <= cp <= hi for lo, hi in _VARIATION_SELECTORS):
        return False
    return unicodedata.category(ch) not in _NOT_DRAWN


def missing_characters(chars: Iterable[str], families: Iterable[str]) -> list[str]:
    """The drawn characters no family covers. Families are asked in order and only while
    something is left, so an all-Latin document costs one fontconfig call, not one per font."""
    left = sorted(ch for ch in set(chars) if is_drawn(ch))
    for family in families:
        if not left:
            break
        font = family_coverage(family)
        if font is not None:
            left = [ch for ch in left if ord(ch) not in font]
    return left


def _first_place(doc: Document, ch: str) -> str:
    return next((where for where, text in shown_texts(doc) if ch in text), "?")


def require_glyphs(doc: Document, families: tuple[str, ...]) -> None:
    """UserError naming each character no font of the stack can draw, and where it is."""
    missing = missing_characters("".join(shown_strings(doc)), families)
    if not missing:
        return
    fonts = stack_coverage(families)
    details = [f"{codepoint(ch)} {ch!r} ({unicodedata.name(ch, 'unnamed')}) in "
               f"{_first_place(doc, ch)}" for ch in missing[:_MAX_LISTED]]
    if len(missing) > _MAX_LISTED:
        details.append(f"... and {len(missing) - _MAX_LISTED} more")
    installed = ", ".join(f.family for f in fonts) or "none"
    raise UserError(f"document {doc.id!r}: {len(missing)} character(s) cannot be shown by any "
                    f"font of the PDF (fonts: {installed}); replace them, or use a font that "
                    "has them ([style] font in study.toml)", details)
