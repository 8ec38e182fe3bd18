"""The document model: what a rendered template says, independent of DOCX or PDF.

A template (Jinja + Markdown) becomes a `Document`: a flat sequence of blocks. Tables and
figures are referenced by id and resolved from `Document.tables` / `Document.figures`, so a
writer never computes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import TableModel


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    superscript: bool = False
    href: str = ""  # "#anchor" for internal links, "https://..." for external ones
    # A traced number: its trace entry's anchor ("trace-0007"), written as a DOCX bookmark and
    # a PDF named destination, so a reviewer can go from trace/<doc>.json to the number.
    anchor: str = ""


Inline = Text


@dataclass(frozen=True, slots=True)
class Heading:
    level: int  # 1..6
    inlines: tuple[Inline, ...]
    anchor: str  # unique within the document; bookmark / id target
    numbered: bool = True  # False for front matter such as "Table of contents"

    @property
    def text(self) -> str:
        return "".join(i.text for i in self.inlines)


@dataclass(frozen=True, slots=True)
class Paragraph:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class ListBlock:
    ordered: bool
    items: tuple[tuple[Block, ...], ...]  # each item: its own blocks (paragraphs, nested lists)
    start: int = 1


@dataclass(frozen=True, slots=True)
class TableRef:
    table_id: str  # "14.1.3"; the model is in Document.tables


@dataclass(frozen=True, slots=True)
class FigureRef:
    figure_id: str  # "14.2.1"; the model is in Document.figures


@dataclass(frozen=True, slots=True)
class PageBreak:
    pass


@dataclass(frozen=True, slots=True)
class TableOfContents:
    title: str = "Table of Contents"
    depth: int = 3


@dataclass(frozen=True, slots=True)
class ListOfTables:
    title: str = "List of Tables"


@dataclass(frozen=True, slots=True)
class ListOfFigures:
    title: str = "List of Figures"


@dataclass(frozen=True, slots=True)
class SimpleTable:
    """A small table written directly in Markdown (agenda, attendees): no statistics."""

    header: tuple[tuple[Inline, ...], ...]
    rows: tuple[tuple[tuple[Inline, ...], ...], ...]


Block = (
    Heading | Paragraph | ListBlock | TableRef | FigureRef | PageBreak | TableOfContents
    | ListOfTables | ListOfFigures | SimpleTable
)


@dataclass(frozen=True, slots=True)
class TitlePage:
    """Front page facts; writers lay them out. All strings, already formatted."""

    title: str
    subtitle: str = ""
    lines: tuple[str, ...] = ()  # product, sponsor, protocol, version, date ...
    banner: str = ""  # e.g. "Synthetic data — for demonstration only"


@dataclass(frozen=True, slots=True)
class PageSetup:
    paper: str = "letter"  # "letter" | "a4"
    # Margins in inches: FDA asks >= 3/4" left and >= 3/8" elsewhere.
    margin_left: float = 1.0
    margin_right: float = 0.75
    margin_top: float = 0.75
    margin_bottom: float = 0.75


@dataclass(frozen=True, slots=True)
class Style:
    font: str = "Liberation Serif"  # metric-compatible with Times New Roman, free to embed
    body_pt: float = 11.0
    table_pt: float = 9.0
    heading_font: str = ""  # "" = same as body
    page: PageSetup = field(default_factory=PageSetup)
    justify: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    id: str  # "fda-meeting-package": also the output file stem
    title_page: TitlePage
    blocks: tuple[Block, ...]
    tables: dict[str, TableModel] = field(default_factory=dict)
    figures: dict[str, FigureModel] = field(default_factory=dict)
    running_header: str = ""  # on every page, e.g. study id + "Synthetic data ..."
    running_footer: str = ""  # left part of the footer; "Page X of Y" is added by writers
    # Document properties (DOCX core properties, PDF info); from the study, never the clock.
    author: str = ""
    subject: str = ""
    keywords: str = ""
    language: str = "en-US"
    date_iso: str = ""  # YYYY-MM-DD, the data cutoff
    style: Style = field(default_factory=Style)
    reference_docx: bytes = b""  # a study's own reference.docx (b"": the shipped styles)
    output_captions: bool = False  # caption "Table 14.1.3: ..." (a TLF book), not "Table 5: ..."
    # An assembled book's stand-alone files ("table:14.1.3" -> its TLF document): its PDF
    # draws their pages instead of laying the outputs out again (writers/pdf_assembled.py).
    parts: dict[str, Document] = field(default_factory=dict)


def heading_anchor(text: str, taken: set[str]) -> str:
    """A stable, unique, bookmark-safe anchor ('_'-joined ASCII words, <= 40 chars)."""
    words = "".join(ch if ch.isalnum() else " " for ch in text.lower()).split()
    base = ("h_" + "_".join(words))[:40].rstrip("_") or "h"
    anchor, i = base, 2
    while anchor in taken:
        anchor = f"{base}_{i}"
        i += 1
    taken.add(anchor)
    return anchor


def part_key(kind: str, output_id: str) -> str:
    """How `Document.parts` names an output's stand-alone document: "table:14.1.3"."""
    return f"{kind}:{output_id}"
