"""Pages of a DOCX, estimated at build time: on which page each bookmark lands, so the table of
contents and the lists of tables and figures can carry their page numbers as cached field
results, correct before anyone updates a field.

Word is not available at build time and neither is LibreOffice, so the writer lays out its own
body (docx_flow reads the XML with the styles it will be opened with) and fills pages here the
way Word does: units in order; a run of units glued together (keep with next, keep lines
together, widow/orphan control, table rows kept with the next) moves to a new page as a whole
when it does not fit and would fit on an empty page; space before a unit is dropped at the top
of a page that the text flowed onto; the space after a unit need not fit; header rows repeat
above the rows that continue a table on a new page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import nsdecls
from lxml import etree

from submission_kit.writers.docx_flow import Flow, Geometry, Reader, Unit, section_geometry
from submission_kit.writers.docx_ooxml import (
    bookmark_name,
    field,
    field_begin,
    field_end,
    hyperlink,
    para,
    run,
)
from submission_kit.writers.docx_props import Styles, W

_FIT = 0.01  # points of rounding a line may exceed the page by
_NAMESPACES = nsdecls("w", "r", "wp")
_ROUNDS = 4  # layouts at most: numbers filled in may move what follows them
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


@dataclass(frozen=True, slots=True)
class Contents:
    """A table of contents or list of tables / figures: one TOC field over one paragraph per
    (text, anchor, style) entry, starting at `at` in the body's pieces."""

    instr: str
    entries: tuple[tuple[str, str, str], ...]
    at: int
    tab: str  # the right tab stop with a dot leader, at the text's right edge

    def paragraphs(self, pages: Mapping[str, int]) -> list[str]:
        """The entries, each linked to its bookmark, with a PAGEREF field whose cached result
        is the page in `pages` (bookmark name -> page), blank when unknown."""
        out = []
        last = len(self.entries) - 1
        for k, (text, anchor, style) in enumerate(self.entries):
            name = bookmark_name(anchor)
            page = pages.get(name)
            link = hyperlink(run(text + "\t") + field(f"PAGEREF {name} \\h",
                                                       str(page) if page else ""),
                             anchor=name)
            content = ((field_begin(self.instr) if k == 0 else "") + link
                       + (field_end() if k == last else ""))
            out.append(para(content, style, tabs=self.tab))
        return out

    def names(self) -> set[str]:
        return {bookmark_name(anchor) for _, anchor, _ in self.entries}


def fill_page_numbers(word: DocxDocument, body: list[str | bytes],
                      contents: list[Contents]) -> None:
    """Lay the body out and write each entry's page into its PAGEREF result, in place; again
    only when the numbers just written change how many lines an entry takes (then they may
    move what the entries point to)."""
    if not contents:
        return
    reader = Reader(styles_of(word))  # kept: its measures serve every round
    names = set().union(*(c.names() for c in contents))
    pages: dict[str, int] = {}
    for _ in range(_ROUNDS):
        flow = reader.children(*streamed_body(body, _NAMESPACES))
        found = {k: v for k, v in _bookmark_pages(flow).items() if k in names}
        if found == pages:
            return
        before = [p for c in contents for p in c.paragraphs(pages)]
        pages = found
        for c in contents:
            body[c.at:c.at + len(c.entries)] = c.paragraphs(pages)
        after = [p for c in contents for p in c.paragraphs(pages)]
        if _line_counts(reader, before, flow) == _line_counts(reader, after, flow):
            return


def _line_counts(reader: Reader, paragraphs: list[str], flow: Flow) -> list[int]:
    width = flow.sections[0].width if flow.sections else 468.0
    root = parse_body(paragraphs, _NAMESPACES)
    return [len(reader.paragraph(p, width)[0]) for p in root]


def styles_of(word: DocxDocument) -> Styles:
    """The package's styles and list numbering, theme fonts resolved."""
    theme: dict[str, str] = {}
    for rel in word.part.rels.values():
        if rel.reltype == RT.THEME and not rel.is_external:
            root = etree.fromstring(rel.target_part.blob)
            for kind in ("major", "minor"):
                latin = root.find(f".//{_A}{kind}Font/{_A}latin")
                if latin is not None and latin.get("typeface"):
                    theme[kind] = latin.get("typeface") or ""
    return Styles(word.styles.element, word.part.numbering_part.element, theme)


def pages_of(flow: Flow) -> list[int]:
    """The page (1-based) each unit starts on."""
    return [page for page, _ in placed(flow)]


def placed(flow: Flow) -> list[tuple[int, float]]:
    """(page, top of the unit, in points from the top of the text area) of each unit.

    Between two paragraphs the larger of the space after the one and the space before the
    other separates them, as Word and LibreOffice space them (not the sum); at the top of a
    page the text flowed onto, the space before is dropped, after a break it is kept."""
    out: list[tuple[int, float]] = []
    units, sections = flow.units, flow.sections
    height = sections[0].height if sections else 684.0
    page, y, after, fresh = 1, 0.0, 0.0, True  # y: bottom of the last unit placed
    i = 0
    while i < len(units):
        unit = units[i]
        if unit.section >= 0 or unit.break_before:
            if unit.section >= 0:
                height = sections[unit.section].height
            if out:
                page, y, after = page + 1, 0.0, 0.0
            fresh = True
        j = _chain_end(units, i)
        chain = units[i:j]
        if y > unit.repeat and y + _chain_height(chain, after) > height + _FIT \
                and unit.repeat + _chain_height(chain, None) <= height + _FIT:
            page, y, after, fresh = page + 1, unit.repeat, 0.0, False  # all to the next page
        for unit in chain:
            gap = _gap(after, unit.before, top=y <= unit.repeat and not fresh)
            if y > unit.repeat and y + gap + unit.height > height + _FIT:  # it breaks here
                page, y, gap = page + 1, unit.repeat, 0.0
            out.append((page, y + gap))
            y += gap + unit.height
            after, fresh = unit.after, False
        i = j
    return out


def _gap(after: float, before: float, top: bool) -> float:
    return 0.0 if top else max(after, before)


def _chain_end(units: list[Unit], i: int) -> int:
    """One past the last unit glued to units[i] (a unit never glues over a forced break)."""
    j = i + 1
    while units[j - 1].glue and j < len(units) and not (
            units[j].break_before or units[j].section >= 0):
        j += 1
    return j


def _chain_height(chain: list[Unit], after: float | None) -> float:
    """Height of the chain below a unit whose space after is `after` (None: at the top of a
    page)."""
    total = 0.0
    for k, unit in enumerate(chain):
        total += _gap(after or 0.0, unit.before, top=k == 0 and after is None) + unit.height
        after = unit.after
    return total


def _bookmark_pages(flow: Flow) -> dict[str, int]:
    found: dict[str, int] = {}
    for unit, page in zip(flow.units, pages_of(flow), strict=True):
        for name in unit.bookmarks:
            found.setdefault(name, page)
    return found


def streamed_body(pieces: Iterable[str | bytes], namespaces: str
                  ) -> tuple[Iterator[etree._Element], list[Geometry]]:
    """(the body's children, parsed piece by piece and freed once read; the geometry of each
    w:sectPr). The writer's pieces are whole elements. A TLF book of 60,000 rows parsed
    whole took 2.8 GB to find its page numbers."""
    data = [p if isinstance(p, bytes) else p.encode() for p in pieces]
    head = b"<w:body " + namespaces.encode() + b">"
    # A section's w:sectPr ends it, and its width is needed from its first paragraph on.
    sections = [section_geometry(s) for piece in data if b"sectPr" in piece
                for s in _parsed(head, piece).iter(W + "sectPr")]
    return (child for piece in data for child in _parsed(head, piece)), sections


def _parsed(head: bytes, piece: bytes) -> etree._Element:
    return etree.fromstring(head + piece + b"</w:body>", parser=etree.XMLParser(huge_tree=True))


def parse_body(pieces: Iterable[str | bytes], namespaces: str) -> etree._Element:
    """The body's pieces (strings and UTF-8 bytes) as one parsed `w:body`."""
    data = b"".join(p if isinstance(p, bytes) else p.encode() for p in pieces)
    return _parsed(b"<w:body " + namespaces.encode() + b">", data)
