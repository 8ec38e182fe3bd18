"""WordprocessingML building blocks for the DOCX writer, as XML strings.

The document body is assembled as one string and written as it is (never parsed). String
building is far faster than python-docx's object API on long tables (DESIGN §6) and keeps every
element, attribute and id under our control, which is what makes the output byte-stable.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from submission_kit.documents.model import PageSetup
from submission_kit.writers.print_css import margins
from submission_kit.writers.text_safety import checked

TWIPS_PER_INCH = 1440
EMU_PER_INCH = 914400
MONO_FONT = "Liberation Mono"
LINK_COLOR = "0563C1"
RULE = 'w:val="single" w:sz="6" w:space="0" w:color="000000"'  # 0.75 pt, as Sizes.rule

_PAPER = {"letter": (12240, 15840), "a4": (11906, 16838)}  # twips; A4 is 210 x 297 mm
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def esc(text: str) -> str:
    """Escape text for element content or a double-quoted attribute. Characters XML cannot
    carry are refused (text_safety), not dropped: they are a mistake at the source."""
    return escape(checked(text), {'"': "&quot;"})


def esc_text(text: str) -> str:
    """Escape text for element content only: as `esc`, but quotes stay as they are, which is
    how lxml writes them (so the body reads the same whether or not it went through lxml)."""
    return escape(checked(text))


def twips(inches: float) -> int:
    return round(inches * TWIPS_PER_INCH)


def half_points(pt: float) -> int:
    return round(pt * 2)


@dataclass(frozen=True, slots=True)
class Geometry:
    """Page size and margins in twips, portrait; landscape swaps width and height. Margins are
    the PDF's (print_css.margins, FDA floors included), so both formats offer a table the same
    box. `header` / `footer`: distance of the header and footer from the page edge (0: half
    the margin, at most 1/2 inch)."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    header: int = 0
    footer: int = 0

    @classmethod
    def from_page(cls, page: PageSetup) -> Geometry:
        w, h = _PAPER.get(page.paper.lower(), _PAPER["letter"])
        m = margins(page)
        return cls(w, h, twips(m.left), twips(m.right), twips(m.top), twips(m.bottom))

    def size(self, orient: str) -> tuple[int, int]:
        return (self.height, self.width) if orient == "landscape" else (self.width, self.height)

    def text_width(self, orient: str) -> int:
        return self.size(orient)[0] - self.left - self.right

    def text_height(self, orient: str) -> int:
        return self.size(orient)[1] - self.top - self.bottom


def rfonts(font: str) -> str:
    f = esc(font)
    return f'<w:rFonts w:ascii="{f}" w:hAnsi="{f}" w:cs="{f}" w:eastAsia="{f}"/>'


def rpr(*, bold: bool = False, italic: bool = False, sup: bool = False, code: bool = False,
        link: bool = False) -> str:
    """Run properties in schema order (rStyle, b, i, vertAlign): emphasis only. Fonts, sizes
    and colours come from styles (docx_styles), so a company template restyles the text; a
    link or code span is a character style ("Hyperlink", "Verbatim Char")."""
    parts = []
    if link or code:
        parts.append(f'<w:rStyle w:val="{"Hyperlink" if link else "VerbatimChar"}"/>')
    if bold:
        parts.append("<w:b/><w:bCs/>")
    if italic:
        parts.append("<w:i/><w:iCs/>")
    if sup:
        parts.append('<w:vertAlign w:val="superscript"/>')
    return "<w:rPr>" + "".join(parts) + "</w:rPr>" if parts else ""


def run(text: str, run_pr: str = "") -> str:
    """One run; '\\n' becomes a line break and '\\t' a tab."""
    if "\n" not in text and "\t" not in text:
        body = f'<w:t xml:space="preserve">{esc_text(text)}</w:t>' if text else ""
        return f"<w:r>{run_pr}{body}</w:r>"
    pieces = []
    for i, line in enumerate(text.split("\n")):
        if i:
            pieces.append("<w:br/>")
        for j, chunk in enumerate(line.split("\t")):
            if j:
                pieces.append("<w:tab/>")
            if chunk:
                pieces.append(f'<w:t xml:space="preserve">{esc_text(chunk)}</w:t>')
    return f"<w:r>{run_pr}{''.join(pieces)}</w:r>"


def field_begin(instr: str, run_pr: str = "") -> str:
    return (f'<w:r>{run_pr}<w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r>{run_pr}<w:instrText xml:space="preserve"> {esc_text(instr)} </w:instrText>'
            "</w:r>"
            f'<w:r>{run_pr}<w:fldChar w:fldCharType="separate"/></w:r>')


def field_end(run_pr: str = "") -> str:
    return f'<w:r>{run_pr}<w:fldChar w:fldCharType="end"/></w:r>'


def field(instr: str, cached: str, run_pr: str = "") -> str:
    """A complex field whose cached result reads correctly before Word updates it."""
    return field_begin(instr, run_pr) + run(cached, run_pr) + field_end(run_pr)


def bookmark_name(anchor: str) -> str:
    """A Word-valid bookmark name: letters, digits, '_', starting with a letter, <= 40 chars.
    Internal links ('#anchor') go through the same function, so they always match."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", anchor)
    if not name[:1].isalpha():
        name = "b_" + name
    return name[:40]


def bookmark(name: str, bid: int, content: str) -> str:
    return (f'<w:bookmarkStart w:id="{bid}" w:name="{esc(name)}"/>{content}'
            f'<w:bookmarkEnd w:id="{bid}"/>')


def hyperlink(content: str, *, anchor: str = "", rid: str = "") -> str:
    target = f'w:anchor="{esc(anchor)}"' if anchor else f'r:id="{rid}"'
    return f'<w:hyperlink {target} w:history="1">{content}</w:hyperlink>'


def para(content: str = "", style: str = "", *, keep_next: bool = False,
         numbering: tuple[int, int] | None = None, tabs: str = "", spacing: str = "",
         ind_left: int = 0, jc: str = "", break_before: bool = False) -> str:
    """A paragraph, pPr children in schema order; `spacing` holds w:spacing attributes."""
    ppr = [f'<w:pStyle w:val="{style}"/>'] if style else []
    if keep_next:
        ppr.append("<w:keepNext/>")
    if break_before:
        ppr.append("<w:pageBreakBefore/>")
    if numbering is not None:
        num_id, level = numbering
        ppr.append(f'<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>')
    if tabs:
        ppr.append(f"<w:tabs>{tabs}</w:tabs>")
    if spacing:
        ppr.append(f"<w:spacing {spacing}/>")
    if ind_left:
        ppr.append(f'<w:ind w:left="{ind_left}"/>')
    if jc:
        ppr.append(f'<w:jc w:val="{jc}"/>')
    inner = "".join(ppr)
    return f"<w:p><w:pPr>{inner}</w:pPr>{content}</w:p>" if inner else f"<w:p>{content}</w:p>"


_TINY = ('<w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/>'
         '<w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr>')


def page_break() -> str:
    """A page break in a 1-pt paragraph, so the next page starts without a blank line."""
    return f'<w:p><w:pPr>{_TINY}</w:pPr><w:r><w:br w:type="page"/></w:r></w:p>'


def spacer(break_before: bool = False) -> str:
    """A 1-pt paragraph: keeps two tables apart (Word would merge them) at no visible cost;
    with `break_before` it starts the next page of a paginated table (a page break that never
    leaves an empty page behind, as a break after a full page would)."""
    brk = "<w:pageBreakBefore/>" if break_before else ""
    return f"<w:p><w:pPr>{brk}{_TINY}</w:pPr></w:p>"


def right_tab(pos: int, leader: str = "") -> str:
    lead = f' w:leader="{leader}"' if leader else ""
    return f'<w:tab w:val="right"{lead} w:pos="{pos}"/>'


def sect_pr(geo: Geometry, orient: str, header_rid: str, footer_rid: str) -> str:
    w, h = geo.size(orient)
    orient_attr = ' w:orient="landscape"' if orient == "landscape" else ""
    hdr = geo.header or min(geo.top // 2, 720)
    ftr = geo.footer or min(geo.bottom // 2, 720)
    return (f'<w:sectPr><w:headerReference w:type="default" r:id="{header_rid}"/>'
            f'<w:footerReference w:type="default" r:id="{footer_rid}"/>'
            f'<w:pgSz w:w="{w}" w:h="{h}"{orient_attr}/>'
            f'<w:pgMar w:top="{geo.top}" w:right="{geo.right}" w:bottom="{geo.bottom}" '
            f'w:left="{geo.left}" w:header="{hdr}" w:footer="{ftr}" w:gutter="0"/>'
            '<w:cols w:space="720"/><w:docGrid w:linePitch="360"/></w:sectPr>')


def section_end(sect: str) -> str:
    """A near-invisible paragraph that closes a section (1 pt, no spacing)."""
    return f"<w:p><w:pPr>{_TINY}{sect}</w:pPr></w:p>"


def abstract_num(abstract_id: int, ordered: bool) -> str:
    """A 9-level list definition: 1./a./i. when ordered, bullet/dash/square otherwise."""
    formats = ("decimal", "lowerLetter", "lowerRoman")
    bullets = ("\u2022", "\u2013", "\u25aa")
    levels = []
    for i in range(9):
        fmt, text = (formats[i % 3], f"%{i + 1}.") if ordered else ("bullet", bullets[i % 3])
        levels.append(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{360 * (i + 1)}" w:hanging="360"/></w:pPr></w:lvl>')
    return (f'<w:abstractNum w:abstractNumId="{abstract_id}">'
            f'<w:multiLevelType w:val="multilevel"/>{"".join(levels)}</w:abstractNum>')


def num(num_id: int, abstract_id: int, level: int = 0, start: int = 0) -> str:
    override = (f'<w:lvlOverride w:ilvl="{level}"><w:startOverride w:val="{start}"/>'
                "</w:lvlOverride>") if start else ""
    return (f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>'
            f"{override}</w:num>")


def normalize_zip(data: bytes, parts: Mapping[str, Sequence[bytes]] | None = None) -> bytes:
    """Rewrite a package with fixed entry times, order, compression and attributes; `parts`
    (entry name -> its bytes in pieces) take the place of the package's entries of those
    names, streamed into the zip piece by piece."""
    parts = parts or {}
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        entries = {name: parts.get(name) or [src.read(name)] for name in src.namelist()}
    names = sorted(entries, key=lambda n: (n != "[Content_Types].xml", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:  # deflate at zlib's default level, 6
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            with dst.open(info, "w") as entry:
                for piece in entries[name]:
                    entry.write(piece)
    return out.getvalue()
