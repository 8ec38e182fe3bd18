"""The print stylesheet: the bundled `templates/print.css` plus a block generated from the Style.

The generated block comes after the house stylesheet and carries only what the study decides:
paper, margins, fonts and sizes, running header and footer. FDA minimums (reference/regulatory.md
§7) are floors here, so a study style cannot produce a non-compliant PDF: margins >= 3/4" left and
>= 3/8" elsewhere, body 10-12 pt, tables >= 9 pt.
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from submission_kit.documents.model import Document, PageSetup, Style, TableRef
from submission_kit.documents.outline import is_standalone_tlf
from submission_kit.tables.model import Orientation
from submission_kit.tables.paginate import Sizes

PAPERS = {"letter": (8.5, 11.0), "a4": (8.27, 11.69)}  # portrait width, height in inches
MIN_LEFT_IN = 0.75
MIN_OTHER_IN = 0.375
# Header and footer text sit in the top and bottom margins, clear of the 3/8" edge zone.
MIN_HEADER_MARGIN_IN = 0.6
# Families after the study's own font. Liberation and DejaVu cover Latin, Greek and Cyrillic;
# Noto CJK (Debian fonts-noto-cjk) covers Chinese, Japanese and Korean, so such text is drawn
# instead of silently vanishing. The PDF writer checks every character against these fonts.
SERIF_FALLBACK = ("Liberation Serif", "Times New Roman", "DejaVu Serif", "Noto Serif CJK SC",
                  "serif")
MONO_FALLBACK = ("Liberation Mono", "DejaVu Sans Mono", "Noto Sans Mono CJK SC", "monospace")
GENERIC_FAMILIES = frozenset({"serif", "sans-serif", "monospace", "cursive", "fantasy",
                              "system-ui"})
# Characters a CSS string may carry as they are; everything else becomes a hex escape, so a
# value can neither end the string ('"', newline), nor the rule ('}', ';'), nor the <style>
# element it is embedded in ('<', '>', '&').
_CSS_PLAIN = frozenset(string.ascii_letters + string.digits + " !#$%()*+,-./:=?@[]^_`|~")
_CSS_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True, slots=True)
class Margins:
    top: float
    right: float
    bottom: float
    left: float


@cache
def house_css() -> str:
    path = resources.files("submission_kit") / "bundled" / "templates" / "print.css"
    return path.read_text(encoding="utf-8")


def margins(page: PageSetup) -> Margins:
    """Margins in inches, raised to the FDA minimums where the style asks for less."""
    edge = max(MIN_OTHER_IN, MIN_HEADER_MARGIN_IN)
    return Margins(
        top=max(page.margin_top, edge),
        right=max(page.margin_right, MIN_OTHER_IN),
        bottom=max(page.margin_bottom, edge),
        left=max(page.margin_left, MIN_LEFT_IN),
    )


def paper_name(page: PageSetup) -> str:
    return "a4" if page.paper.lower() == "a4" else "letter"


def content_box(page: PageSetup, orientation: Orientation) -> tuple[float, float]:
    """Width and height in inches of the area inside the margins."""
    width, height = PAPERS[paper_name(page)]
    if orientation == "landscape":
        width, height = height, width
    m = margins(page)
    return width - m.left - m.right, height - m.top - m.bottom


def body_pt(style: Style) -> float:
    return min(max(style.body_pt, 10.0), 12.0)


def table_pt(style: Style) -> float:
    return max(style.table_pt, 9.0)


def sizes_for(style: Style) -> Sizes:
    """Type sizes of tables: the numbers the pagination model, this stylesheet and the DOCX
    writer share."""
    return Sizes(table_pt=table_pt(style), title_pt=body_pt(style))


MAX_INDENT = 9


def tlf_css(style: Style) -> str:
    """Sizes of paginated tables, exact, so a page holds what the pagination model put on it."""
    s = sizes_for(style)
    rule = f"{_fmt(s.rule)}pt solid #000"
    text = f"font-size: {_fmt(s.table_pt)}pt; line-height: {_fmt(s.table_line)}pt;"
    indents = [f"table.tlf tbody th.i{n} {{ padding-left: {_fmt(s.pad_x + n * s.indent)}pt; }}"
               for n in range(MAX_INDENT + 1)]
    return "\n".join([
        f"table.tlf {{ {text} border-bottom: {rule}; }}",
        f"table.tlf th, table.tlf td {{ padding: {_fmt(s.pad_y)}pt {_fmt(s.pad_x)}pt; }}",
        f"table.tlf thead th {{ padding-top: {_fmt(s.head_pad_y)}pt; "
        f"padding-bottom: {_fmt(s.head_pad_y)}pt; }}",
        f"table.tlf thead tr:first-child th {{ border-top: {rule}; }}",
        f"table.tlf thead tr.column-row th {{ border-bottom: {rule}; }}",
        f"table.tlf .spanner {{ border-bottom: {rule}; }}",
        *indents,
        f".tlf-page .caption {{ font-size: {_fmt(s.title_pt)}pt; "
        f"line-height: {_fmt(s.title_line)}pt; margin: 0 0 {_fmt(s.title_gap)}pt 0; }}",
        f".tlf-page .page-by {{ {text} margin: 0 0 {_fmt(s.page_by_gap)}pt 0; }}",
        f".tlf-page .notes {{ {text} padding-top: {_fmt(s.notes_gap)}pt; }}",
    ])


def _css_char(ch: str) -> str:
    if ch in _CSS_PLAIN:
        return ch
    if ord(ch) > 0x7F and unicodedata.category(ch) not in _CSS_ESCAPED_CATEGORIES:
        return ch  # printable non-ASCII text (accents, em dash, Greek, CJK) stays readable
    # The space ends the hex escape, so a following hex digit is not read as part of it.
    return f"\\{ord(ch):X} "


def css_string(text: str) -> str:
    """A CSS string literal that shows `text` literally, whatever it contains.

    Line breaks become '\\A ' (one per line break, CR LF counted once); quotes, backslash,
    '<', '>', '&', braces, semicolons and every control or format character become hex escapes.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return '"' + "".join(_css_char(ch) for ch in text) + '"'


def css_family(name: str) -> str:
    return name if name in GENERIC_FAMILIES else css_string(name)


def serif_families(font: str) -> tuple[str, ...]:
    """The study font, then the fallbacks (without repeating the study font)."""
    return (*([font] if font else []), *(f for f in SERIF_FALLBACK if f != font))


def font_families(style: Style) -> tuple[str, ...]:
    """Every family the PDF may draw text with: body, headings and code."""
    heading = serif_families(style.heading_font) if style.heading_font else ()
    return tuple(dict.fromkeys((*serif_families(style.font), *heading, *MONO_FALLBACK)))


def font_stack(font: str) -> str:
    return ", ".join(css_family(f) for f in serif_families(font))


def _fmt(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def page_css(doc: Document) -> str:
    page, m = doc.style.page, margins(doc.style.page)
    paper = paper_name(page)
    box = f"{_fmt(m.top)}in {_fmt(m.right)}in {_fmt(m.bottom)}in {_fmt(m.left)}in"
    return "\n".join([
        "@page {",
        f"  size: {paper};",
        f"  margin: {box};",
        f"  @top-left {{ content: {css_string(doc.running_header)}; }}",
        f"  @bottom-left {{ content: {css_string(doc.running_footer)}; }}",
        "}",
        f"@page landscape {{ size: {paper} landscape; }}",
        *(_tlf_page_number() if _standalone_table(doc) else []),
    ])


def _standalone_table(doc: Document) -> bool:
    return is_standalone_tlf(doc) and isinstance(doc.blocks[0], TableRef)


def _tlf_page_number() -> list[str]:
    """A standalone table numbers its pages itself ("Page x of y" set by each page): the
    PDF writer may render it in chunks, each of which would count its own pages."""
    return ["@page { @bottom-right { content: string(tlfpage); } }"]


def font_css(style: Style) -> str:
    body = font_stack(style.font)
    heading = font_stack(style.heading_font) if style.heading_font else body
    return "\n".join([
        f"html {{ font-family: {body}; font-size: {_fmt(body_pt(style))}pt; }}",
        "body > p, li > p { text-align: justify; }" if style.justify else "",
        f"h1, h2, h3, h4, h5, h6, .contents-title, .title-page {{ font-family: {heading}; }}",
        f"figure.output .notes {{ font-size: {_fmt(table_pt(style))}pt; }}",
        "code { font-family: " + ", ".join(css_family(f) for f in MONO_FALLBACK) + "; }",
        "@page { @top-left { font-family: " + body + "; }",
        "  @bottom-left { font-family: " + body + "; }",
        "  @bottom-right { font-family: " + body + "; } }",
    ])


def stylesheet(doc: Document) -> str:
    """The complete stylesheet for one document: house style, then the study's settings."""
    generated = "\n".join([
        "/* ---- generated from the document style ---- */",
        page_css(doc),
        font_css(doc.style),
        tlf_css(doc.style),
    ])
    return house_css().rstrip("\n") + "\n\n" + generated + "\n"
