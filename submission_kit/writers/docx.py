"""DOCX writer: a `Document` becomes Word bytes, byte-identical for the same input.

Word-native headings (navigation pane), real TOC / SEQ / PAGE / NUMPAGES fields whose cached
results already read correctly, captions, repeating table header rows, rows that do not split,
and portrait and landscape sections. The body is built as one XML string (docx_ooxml) and
spliced into the main part unparsed (docx_package.main_part); python-docx supplies the
package, the other parts and the relationships.

A document whose title page has no title and whose only block is one TableRef or FigureRef is
a standalone TLF: no title page and no caption. Its title lines go in the page header and its
footnotes and source in the page footer, so they sit above and below the table on every page
of a long table or listing (anchors.md pain point 2), as in pharma RTF outputs. For a table,
the margins are set so the body offers exactly the box the pagination model filled (the PDF's
content box less its title lines and notes): both formats break at the same rows.

Tables are written page by page as the pagination model decided (tables.paginate through
tlf_layout): each page after the first starts with a paragraph that breaks before it; in a
document each page repeats the caption ("(continued)") and the notes, and says "Page x of y".
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from itertools import count
from pathlib import Path

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.parts.document import DocumentPart
from docx.parts.hdrftr import FooterPart, HeaderPart

from submission_kit.documents.model import (
    Block,
    Document,
    FigureRef,
    Heading,
    Inline,
    ListBlock,
    ListOfFigures,
    ListOfTables,
    PageBreak,
    Paragraph,
    SimpleTable,
    TableOfContents,
    TableRef,
)
from submission_kit.documents.outline import CaptionEntry, Kind, Outline, outline_of
from submission_kit.figures.model import FigureModel, figure_file_stem
from submission_kit.tables.model import TableModel
from submission_kit.writers.docx_layout import Contents, fill_page_numbers
from submission_kit.writers.docx_ooxml import (
    Geometry,
    abstract_num,
    bookmark,
    bookmark_name,
    field,
    hyperlink,
    normalize_zip,
    num,
    page_break,
    para,
    right_tab,
    rpr,
    run,
    sect_pr,
    section_end,
    spacer,
    twips,
)
from submission_kit.writers.docx_package import (
    drop_template_leftovers,
    main_part,
    set_app_properties,
    set_core_properties,
    set_update_fields,
)
from submission_kit.writers.docx_reference import open_reference
from submission_kit.writers.docx_styles import TOC_LEVELS, add_lists, next_list_ids
from submission_kit.writers.docx_tlf import (
    TableXml,
    drawing_xml,
    figure_size,
    notes_xml,
    page_by_xml,
    simple_table_xml,
    simple_widths,
    titles_xml,
)
from submission_kit.writers.font_metrics import measure_for
from submission_kit.writers.print_css import sizes_for
from submission_kit.writers.text_safety import require_writable
from submission_kit.writers.tlf_layout import CONTINUED, layout_of, notes_of, page_label

__all__ = ["as_docx", "write_docx"]

_HEAD_GAP_PT = 8.64  # between the running header (footer) and the titles (notes): 0.12 in


def as_docx(doc: Document, reference: bytes | None = None) -> bytes:
    """The whole document as DOCX bytes; the same `Document` (and reference) always gives the
    same bytes. `reference`: a study's own reference.docx, whose styles the document takes
    (None: the document's own `reference_docx`, else the shipped templates/reference.docx,
    docx_reference)."""
    require_writable(doc)
    outline = outline_of(doc)
    word = open_reference(doc.style, doc.language,
                          reference if reference is not None else doc.reference_docx or None)
    geo = Geometry.from_page(doc.style.page)
    writer = _Body(doc, outline, word.part, geo)
    body = writer.build()
    fill_page_numbers(word, body, writer.contents)
    main = main_part(word, body)
    set_core_properties(word, doc, outline.standalone)
    set_app_properties(word)
    set_update_fields(word)
    drop_template_leftovers(word)
    buf = io.BytesIO()
    word.save(buf)
    return normalize_zip(buf.getvalue(), dict([main]))


def write_docx(doc: Document, path: Path, reference: bytes | None = None) -> None:
    Path(path).write_bytes(as_docx(doc, reference))


# --- the body ---

class _Body:
    """Writes the blocks in order; tracks sections, ids and list numbering while it goes."""

    def __init__(self, doc: Document, outline: Outline, part: DocumentPart,
                 geo: Geometry) -> None:
        self.doc, self.outline, self.part, self.geo = doc, outline, part, geo
        self.tlf = outline.standalone
        self.sizes = sizes_for(doc.style)
        if isinstance(self.tlf, TableModel):
            self.geo = self._tlf_geometry(self.tlf)
        self._captions = iter(outline.captions)
        self.out: list[str | bytes] = []  # bytes: the pages of a table (TableXml)
        self._bookmark_ids = count(1)
        self._drawing_ids = count(1)
        # list ids after the reference's own
        self._abstract_id, first_num = next_list_ids(part.numbering_part.element)
        self._num_ids = count(first_num)
        self._nums: list[str] = []
        self.contents: list[Contents] = []  # the TOC and lists, to get their page numbers
        self._bullet_num = 0
        self._orient = "portrait"
        self._has_content = False
        self._last_break = False
        self._header_rid = ""
        # The headings just written: (position in `out`, heading, its bookmark id).
        self._headings: list[tuple[int, Heading, int]] = []
        self._last_heading_bid = 0
        self._footer_rids: dict[str, str] = {}

    def build(self) -> list[str | bytes]:
        """The body's XML in pieces (a long table's pages apart: never one huge string)."""
        if self.doc.title_page.title:
            self._title_page()
        for block in self.doc.blocks:
            self._top_block(block)
        if self._last_break:
            self.out.pop()
        self._install_numbering()
        return [*self.out, self._sect(self._orient)]

    def _emit(self, *xml: str | bytes) -> None:
        self.out.extend(xml)
        self._has_content, self._last_break = True, False

    def _page_break(self) -> None:
        if self._has_content and not self._last_break:
            self._emit(page_break())
            self._last_break = True

    # sections, header and footer

    def _orientation(self, orient: str) -> None:
        """Close the current section when the orientation changes; a page break just before
        is dropped, the section break already starts a new page."""
        if orient == self._orient:
            return
        if self._has_content:
            if self._last_break:
                self.out.pop()
            self.out.append(section_end(self._sect(self._orient)))
            self._has_content = self._last_break = False
        self._orient = orient

    def _sect(self, orient: str) -> str:
        if not self._header_rid:
            self._header_rid = self._add_story(self.part.add_header_part, self._header_xml())
        if orient not in self._footer_rids:
            self._footer_rids[orient] = self._add_story(self.part.add_footer_part,
                                                        self._footer_xml(orient))
        return sect_pr(self.geo, orient, self._header_rid, self._footer_rids[orient])

    def _add_story(self, add: Callable[[], tuple[HeaderPart | FooterPart, str]], xml: str) -> str:
        story, rid = add()
        element = story.element
        for child in list(element):
            element.remove(child)
        element.extend(list(parse_xml(f"<w:hdr {nsdecls('w', 'r')}>{xml}</w:hdr>")))
        return rid

    def _tlf_geometry(self, model: TableModel) -> Geometry:
        """Margins that leave the body the rows' share of the PDF content box: the title lines
        above it sit in the header, the notes below it in the footer."""
        layout = layout_of(model, self.doc.style)
        head = twips((self.sizes.table_line + _HEAD_GAP_PT + 2) / 72)
        return replace(self.geo, top=self.geo.top + twips(layout.title_h / 72),
                       bottom=self.geo.bottom + twips(layout.notes_h / 72),
                       header=self.geo.top - head, footer=self.geo.bottom - head)

    def _header_xml(self) -> str:
        gap = f'w:after="{twips(_HEAD_GAP_PT / 72)}"' if self.tlf else ""
        head = para(run(self.doc.running_header), "RunningHead", spacing=gap)
        return head + (titles_xml(self.tlf.title or (self.tlf.id,), self.sizes)
                       if self.tlf else "")

    def _footer_xml(self, orient: str) -> str:
        """Running footer on the left, 'Page X of Y' (real PAGE / NUMPAGES) on the right."""
        content = (run(self.doc.running_footer + "\tPage ") + field("PAGE", "1")
                   + run(" of ") + field("NUMPAGES", "1"))
        notes = notes_xml(notes_of(self.tlf), self.sizes) if self.tlf else ""
        gap = f'w:before="{twips(_HEAD_GAP_PT / 72)}"' if notes else ""
        return notes + para(content, "RunningHead", tabs=right_tab(self.geo.text_width(orient)),
                            spacing=gap)

    # blocks

    def _title_page(self) -> None:
        tp = self.doc.title_page
        self._emit(para(run(tp.title), "Title"))
        if tp.subtitle:
            self._emit(para(run(tp.subtitle), "Subtitle"))
        for line in tp.lines:
            self._emit(para(run(line), "TitleLine"))
        if tp.banner:
            self._emit(para(run(tp.banner), "Banner"))
        self._page_break()

    def _top_block(self, block: Block) -> None:
        if isinstance(block, TableRef | FigureRef):
            self._tlf()
        elif isinstance(block, PageBreak):
            self._page_break()
        else:
            self._orientation("portrait")
            self._block(block)
        if isinstance(block, Heading):
            self._headings.append((len(self.out) - 1, block, self._last_heading_bid))
        else:
            self._headings = []

    def _block(self, block: Block) -> None:
        if isinstance(block, Heading):
            self._heading(block)
        elif isinstance(block, Paragraph):
            self._emit(para(self._inlines(block.inlines)))
        elif isinstance(block, ListBlock):
            self._list(block, 0)
        elif isinstance(block, TableOfContents):
            self._toc(block)
        elif isinstance(block, ListOfTables | ListOfFigures):
            self._list_of(block)
        elif isinstance(block, SimpleTable):
            self._simple_table(block)
        elif isinstance(block, PageBreak):
            self._page_break()
        elif isinstance(block, TableRef | FigureRef):
            self._tlf()

    def _heading(self, heading: Heading) -> None:
        """A Heading n paragraph; its number ("2.1", the outline's) is the heading style's
        list numbering, and an unnumbered heading leaves the list (numId 0)."""
        self._last_heading_bid = next(self._bookmark_ids)
        self._emit(self._heading_xml(heading, self._last_heading_bid))

    def _heading_xml(self, heading: Heading, bid: int, break_before: bool = False) -> str:
        style = f"Heading{min(max(heading.level, 1), 6)}"
        numbered = bool(self.outline.numbers.get(heading.anchor, ""))
        content = bookmark(bookmark_name(heading.anchor), bid, self._inlines(heading.inlines))
        return para(content, style, numbering=None if numbered else (0, 0),
                    break_before=break_before)

    def _inlines(self, inlines: tuple[Inline, ...], bold: bool = False) -> str:
        out = []
        for t in inlines:
            run_pr = rpr(bold=t.bold or bold, italic=t.italic, sup=t.superscript, code=t.code,
                         link=bool(t.href))
            xml = run(t.text, run_pr)
            if t.anchor:  # a traced number: bookmarked under its trace anchor
                xml = bookmark(bookmark_name(t.anchor), next(self._bookmark_ids), xml)
            out.append(self._link(t.href, xml) if t.href else xml)
        return "".join(out)

    def _link(self, href: str, content: str) -> str:
        if href.startswith("#"):
            return hyperlink(content, anchor=bookmark_name(href[1:]))
        return hyperlink(content, rid=self.part.relate_to(href, RT.HYPERLINK, is_external=True))

    # lists

    def _list(self, block: ListBlock, depth: int) -> None:
        level = min(depth, 8)
        numbering = (self._num_for(block, level), level)
        for item in block.items:
            if not item or not isinstance(item[0], Paragraph):
                self._emit(para("", "ListParagraph", numbering=numbering))
            for j, sub in enumerate(item):
                if isinstance(sub, Paragraph):
                    first = j == 0
                    self._emit(para(self._inlines(sub.inlines), "ListParagraph",
                                    numbering=numbering if first else None,
                                    ind_left=0 if first else 360 * (level + 1)))
                elif isinstance(sub, ListBlock):
                    self._list(sub, depth + 1)
                else:
                    self._block(sub)

    def _num_for(self, block: ListBlock, level: int) -> int:
        """Bullets share one list; every numbered list gets its own, starting at `start`."""
        bullets, ordered = self._abstract_id, self._abstract_id + 1
        if not block.ordered:
            if not self._bullet_num:
                self._bullet_num = next(self._num_ids)
                self._nums.append(num(self._bullet_num, bullets))
            return self._bullet_num
        num_id = next(self._num_ids)
        self._nums.append(num(num_id, ordered, level, max(block.start, 1)))
        return num_id

    def _install_numbering(self) -> None:
        if not self._nums:
            return
        root = self.part.numbering_part.element
        defs = abstract_num(self._abstract_id, False) + abstract_num(self._abstract_id + 1,
                                                                     True)
        wrapper = f"<w:numbering {nsdecls('w')}>{defs}{''.join(self._nums)}</w:numbering>"
        new = list(parse_xml(wrapper))
        add_lists(root, new[:2], new[2:])

    # tables of contents

    def _toc(self, block: TableOfContents) -> None:
        depth = min(max(block.depth, 1), TOC_LEVELS)
        self._emit(para(run(block.title), "TOCHeading"))
        entries = [(h.label, h.anchor, f"TOC{h.level}") for h in self.outline.headings
                   if h.level <= depth]
        self._field_list(f'TOC \\o "1-{depth}" \\h \\z \\u', entries,
                         "No table of contents entries found.")

    def _list_of(self, block: ListOfTables | ListOfFigures) -> None:
        kind: Kind = "table" if isinstance(block, ListOfTables) else "figure"
        self._emit(para(run(block.title), "TOCHeading"))
        entries = [(c.label, c.anchor, "TableofFigures") for c in self.outline.captions_of(kind)]
        self._field_list(f'TOC \\h \\z \\c "{kind.title()}"', entries,
                         "No table of figures entries found.")

    def _field_list(self, instr: str, entries: list[tuple[str, str, str]], empty: str) -> None:
        """A TOC field spanning one paragraph per (text, anchor, style) entry; each entry links
        to its bookmark and carries a PAGEREF field whose result, the page number, is filled in
        once the body is laid out (docx_layout.fill_page_numbers)."""
        if not entries:
            self._emit(para(field(instr, empty)))
            return
        contents = Contents(instr, tuple(entries), len(self.out),
                            right_tab(self.geo.text_width("portrait"), "dot"))
        self.contents.append(contents)
        self._emit(*contents.paragraphs({}))

    # tables and figures

    def _tlf(self) -> None:
        """The next table or figure in document order, with its numbered caption."""
        entry = next(self._captions)
        model = entry.model
        if isinstance(model, TableModel):
            self._table(entry, model)
            return
        orient = "landscape" if model.orientation == "landscape" else "portrait"
        self._orientation(orient)
        if self.tlf is None:
            self._emit(self._caption(entry))
        core = self._picture(model, orient)
        if self.tlf is None:  # in a document the numbered caption stands for the title lines
            core = core + notes_xml(notes_of(model), self.sizes)
        self._emit(core)

    def _table(self, entry: CaptionEntry, model: TableModel) -> None:
        """The pages of the table; a table of one page is kept on one page."""
        caption = "" if self.tlf is not None else entry.label
        lead = self._headings if self.tlf is None else []
        layout = layout_of(model, self.doc.style, caption, len(lead))
        self._orientation(layout.orientation)
        paged = len(layout.pages) > 1
        if paged and lead:  # the headings go onto the table's first page with it
            at, heading, bid = lead[0]
            self.out[at] = self._heading_xml(heading, bid, break_before=True)
        # In a document, the cells that show a statistic are bookmarked under their trace
        # anchors; a stand-alone TLF has no trace file to point from.
        table = (TableXml(model, layout, self.sizes) if self.tlf is not None
                 else TableXml(model, layout, self.sizes, entry.anchor, self._bookmark_ids))
        out: list[str | bytes] = []
        for i, page in enumerate(layout.pages):
            if self.tlf is not None:
                out.append(spacer(break_before=i > 0))
            elif i == 0:
                out.append(self._caption(entry, break_before=paged and not lead))
            else:
                out.append(titles_xml((f"{entry.label} {CONTINUED}",), self.sizes,
                                      break_before=True))
            if page.page_by:
                out.append(page_by_xml(page.page_by, self.sizes, False))
            out.append(table.page(page, keep=not paged))
            if self.tlf is None:
                out.append(notes_xml(notes_of(model), self.sizes))
                if paged:
                    out.append(para(run(page_label(layout, i)), "TLFNote", jc="right"))
        out.append(spacer())  # a table may not end the body or touch the next table
        self._emit(*out)

    def _caption(self, entry: CaptionEntry, break_before: bool = False) -> str:
        """'Table ' + SEQ Table + ': ' + text, bookmarked for TOC \\c and cross-references;
        a table's caption stands where its title lines would (Table Caption, measured by the
        pagination model)."""
        if entry.own:  # the output's own number; a hidden SEQ keeps the list field (TOC \\c)
            content = field(f"SEQ {entry.word} \\h", "") + run(entry.label)
        else:
            content = (run(entry.word + " ")
                       + field(f"SEQ {entry.word} \\* ARABIC", str(entry.number))
                       + run(": " + entry.text))
        marked = bookmark(bookmark_name(entry.anchor), next(self._bookmark_ids), content)
        if entry.kind == "figure":
            return para(marked, "Caption")
        return para(marked, "TableCaption", break_before=break_before)

    def _picture(self, model: FigureModel, orient: str) -> str:
        """The PNG, scaled to fit, centred, with the model's alt text."""
        rid, _image = self.part.get_or_add_image(io.BytesIO(model.png))
        size = figure_size(model, self.geo.text_width(orient), self.geo.text_height(orient))
        picture = drawing_xml(rid, next(self._drawing_ids), size,
                              f"{figure_file_stem(model.id)}.png", model.alt_text or model.caption)
        return para(picture, "Figure")

    def _simple_table(self, block: SimpleTable) -> None:
        header = [self._inlines(cell, bold=True) for cell in block.header]
        rows = [[self._inlines(cell) for cell in row] for row in block.rows]
        widths = simple_widths([_text(c) for c in block.header],
                               [[_text(c) for c in row] for row in block.rows],
                               measure_for(self.doc.style.font), self.sizes.table_pt,
                               self.geo.text_width("portrait"))
        self._emit(simple_table_xml(header, rows, widths))
        self._emit(para())


def _text(inlines: tuple[Inline, ...]) -> str:
    return "".join(t.text for t in inlines)
