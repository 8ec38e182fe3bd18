"""The print stylesheet: the bundled `templates/print.css` plus a block generated from the Style.

The generated block comes after the house stylesheet and carries only what the study decides:
paper, margins, fonts and sizes, running header and footer. FDA minimums (reference/regulatory.md
§7) are floors here, so a study style cannot produce a non-compliant PDF: margins >= 3/4" left and
>= 3/8" elsewhere, body 10-12 pt, tables >= 9 pt.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from submission_kit.documents.model import Document, PageSetup, Style
from submission_kit.tables.model import Orientation

PAPERS = {"letter": (8.5, 11.0), "a4": (8.27, 11.69)}  # portrait width, height in inches
MIN_LEFT_IN = 0.75
MIN_OTHER_IN = 0.375
# Header and footer text sit in the top and bottom margins, clear of the 3/8" edge zone.
MIN_HEADER_MARGIN_IN = 0.6
SERIF_FALLBACK = ('"Liberation Serif"', '"Times New Roman"', '"DejaVu Serif"', "serif")


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


def css_string(text: str) -> str:
    """A CSS string literal: quotes, backslashes and line breaks escaped."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\A ")
    return f'"{out}"'


def font_stack(font: str) -> str:
    first = css_string(font) if font else ""
    rest = [f for f in SERIF_FALLBACK if f.strip('"') != font]
    return ", ".join([first, *rest] if first else rest)


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
    ])


def font_css(style: Style) -> str:
    body = font_stack(style.font)
    heading = font_stack(style.heading_font) if style.heading_font else body
    return "\n".join([
        f"html {{ font-family: {body}; font-size: {_fmt(body_pt(style))}pt; }}",
        "body > p, li > p { text-align: justify; }" if style.justify else "",
        f"h1, h2, h3, h4, h5, h6, .contents-title, .title-page {{ font-family: {heading}; }}",
        f"table.tlf, figure.output .notes {{ font-size: {_fmt(table_pt(style))}pt; }}",
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
    ])
    return house_css().rstrip("\n") + "\n\n" + generated + "\n"
