"""TrueType fonts for the direct TLF writer (pdf_tlf): glyphs, widths, and the embedded subset.

The font file is the one fontconfig picks for the study font (font_metrics.font_file), the file
the pagination model measured with, so drawn text is exactly as wide as measured: no kerning
and no ligatures (the model sums advance widths; a ligature would also make text harder to
search). Each font is embedded as FDA rules ask (reference/regulatory.md §7): a subset of the
glyphs used (fontTools, glyph ids kept so the PDF can address them directly), with a ToUnicode
map so the text can be searched and copied. The subset is deterministic: the same glyphs give
the same bytes, and the font's own timestamp is kept (fontTools would stamp the current time).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import cache

import pydyf
from fontTools import subset
from fontTools.ttLib import TTFont, TTLibError

_ITALIC, _NONSYMBOLIC, _FIXED = 64, 32, 1  # font descriptor flags (PDF 1.7 §9.8.2)
_STEM_V = 80  # stem width is only a hint for substitutes; the font is embedded
# Glyph substitution and positioning (text is drawn glyph by glyph, unkerned), hinting and
# tool tables: none of them is used by a PDF viewer drawing these glyphs.
_UNUSED_TABLES = frozenset({"GSUB", "GPOS", "GDEF", "kern", "FFTM", "DSIG", "fpgm", "prep",
                            "cvt ", "hdmx", "VDMX", "LTSH", "gasp"})


@dataclass(frozen=True, slots=True)
class Face:
    """What the writer needs of one TrueType file, read once per process."""

    path: str
    name: str  # PostScript name
    units: int  # units per em
    glyphs: dict[str, int]  # character -> glyph id
    advances: tuple[int, ...]  # per glyph id, in font units
    ascent: int
    descent: int  # negative
    bbox: tuple[int, int, int, int]
    italic_angle: float
    fixed_pitch: bool

    def em(self, value: int) -> float:
        return value / self.units

    def width(self, text: str, size: float) -> float:
        """Width in points at `size`: advance widths summed, as the pagination model does."""
        glyphs, advances = self.glyphs, self.advances
        return sum(advances[glyphs[ch]] for ch in text) * size / self.units

    def covers(self, text: str) -> bool:
        return all(ch in self.glyphs for ch in text)


@cache
def face_of(path: str) -> Face | None:
    """The file's face; None unless it is a TrueType (glyf) font fontTools can read."""
    if not path.lower().endswith(".ttf"):
        return None
    try:
        with TTFont(path, lazy=True) as font:
            if "glyf" not in font:
                return None
            order = font.getGlyphOrder()
            metrics = font["hmtx"].metrics
            ids = {name: i for i, name in enumerate(order)}
            head, hhea, post = font["head"], font["hhea"], font["post"]
            return Face(path, _ps_name(font), head.unitsPerEm,
                        {chr(cp): ids[g] for cp, g in font.getBestCmap().items() if g in ids},
                        tuple(metrics[g][0] for g in order), hhea.ascent, hhea.descent,
                        (head.xMin, head.yMin, head.xMax, head.yMax),
                        float(post.italicAngle), bool(post.isFixedPitch))
    except (OSError, TTLibError, KeyError):
        return None


def _ps_name(font: TTFont) -> str:
    name = font["name"].getDebugName(6) or "Font"
    return "".join(ch for ch in name if (ch.isascii() and ch.isalnum()) or ch in "-_") or "Font"


class EmbeddedFont:
    """One face as a PDF font resource (`key`, e.g. "F0"): encodes text as glyph ids and
    remembers the glyphs used, then embeds their subset."""

    def __init__(self, face: Face, key: str) -> None:
        self.face, self.key = face, key
        self.used: dict[int, str] = {}  # glyph id -> the character it was drawn for
        self._hex: dict[str, str] = {}

    def hex(self, text: str) -> str:
        """The text as a hex string of 2-byte glyph ids (Identity-H); cached per text, since
        a listing repeats its terms and dates thousands of times."""
        found = self._hex.get(text)
        if found is None:
            glyphs, used = self.face.glyphs, self.used
            ids = [glyphs[ch] for ch in text]
            for ch, gid in zip(text, ids, strict=True):
                used.setdefault(gid, ch)
            found = self._hex[text] = "".join(f"{gid:04x}" for gid in ids)
        return found

    def embed(self, pdf: pydyf.PDF) -> pydyf.Dictionary:
        """Add the subset, its descriptor, widths and ToUnicode map; the Type0 font to use."""
        face, used = self.face, dict(sorted(self.used.items()))
        name = f"/{_subset_tag(face, used)}+{face.name}"
        program = pydyf.Stream([_subset(face.path, tuple(used))], compress=True)
        program.extra["Length1"] = len(program.stream[0])
        pdf.add_object(program)
        descriptor = pydyf.Dictionary({
            "Type": "/FontDescriptor", "FontName": name, "Flags": _flags(face),
            "FontBBox": pydyf.Array(_thousandths(face, v) for v in face.bbox),
            "ItalicAngle": face.italic_angle, "Ascent": _thousandths(face, face.ascent),
            "Descent": _thousandths(face, face.descent),
            "CapHeight": _thousandths(face, face.ascent), "StemV": _STEM_V,
            "FontFile2": program.reference})
        pdf.add_object(descriptor)
        cid_font = pydyf.Dictionary({
            "Type": "/Font", "Subtype": "/CIDFontType2", "BaseFont": name,
            "CIDSystemInfo": pydyf.Dictionary({"Registry": pydyf.String("Adobe"),
                                               "Ordering": pydyf.String("Identity"),
                                               "Supplement": 0}),
            "CIDToGIDMap": "/Identity", "W": _widths(face, used),
            "FontDescriptor": descriptor.reference})
        pdf.add_object(cid_font)
        to_unicode = _to_unicode(used)
        pdf.add_object(to_unicode)
        font = pydyf.Dictionary({
            "Type": "/Font", "Subtype": "/Type0", "BaseFont": name, "Encoding": "/Identity-H",
            "DescendantFonts": pydyf.Array([cid_font.reference]),
            "ToUnicode": to_unicode.reference})
        pdf.add_object(font)
        return font


def _thousandths(face: Face, value: int) -> int:
    return round(value * 1000 / face.units)


def _flags(face: Face) -> int:
    return (_NONSYMBOLIC | (_ITALIC if face.italic_angle else 0)
            | (_FIXED if face.fixed_pitch else 0))


def _subset_tag(face: Face, used: dict[int, str]) -> str:
    """Six capital letters naming this subset (PDF 1.7 §9.6.4), from the glyphs in it."""
    digest = hashlib.sha256(face.name.encode() + b"\0" + repr(tuple(used)).encode()).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


@cache
def _subset(path: str, gids: tuple[int, ...]) -> bytes:
    """The font with only these glyphs (and .notdef); glyph ids unchanged."""
    options = subset.Options(retain_gids=True, notdef_outline=True, hinting=False,
                             ignore_missing_glyphs=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=gids)
    with TTFont(path, lazy=True) as font:
        for tag in _UNUSED_TABLES.intersection(font.keys()):
            del font[tag]  # unread: parsing the layout tables would cost more than the rest
        subsetter.subset(font)
        font.recalcTimestamp = False  # keep the file's own date: same glyphs, same bytes
        font.recalcBBoxes = False  # glyphs are copied as they are, not re-encoded
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()


def _widths(face: Face, used: dict[int, str]) -> pydyf.Array:
    """The W array: runs of consecutive glyph ids with their widths in 1/1000 em."""
    out = pydyf.Array()
    run: pydyf.Array | None = None
    previous = -2
    for gid in used:
        if gid != previous + 1 or run is None:
            run = pydyf.Array()
            out.extend([gid, run])
        run.append(_thousandths(face, face.advances[gid]))
        previous = gid
    return out


def _to_unicode(used: dict[int, str]) -> pydyf.Stream:
    """The CMap from glyph ids back to text (searching, copying)."""
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    items = list(used.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [f"<{gid:04x}> <{ch.encode('utf-16-be').hex()}>".encode() for gid, ch in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return pydyf.Stream(lines, compress=True)
