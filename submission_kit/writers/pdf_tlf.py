"""A standalone table (TLF) drawn straight to PDF from the pagination model.

Why not WeasyPrint here: it lays out every table cell as CSS boxes (cascade, table layout,
a Pango line per cell, a text run to draw), about 1.3 ms of CPU per cell even for the plainest
HTML, so a 5,000-row listing of 9 columns took minutes of CPU (bench/run.py --listing).
Yet nothing is left for a layout engine to decide: the pagination model (tables.paginate) has
chosen the orientation, the column widths, the decimal insets, how every text wraps and which
rows go on which page. So each page is drawn as it was decided: text at its position, rules
as filled rectangles, in the sizes the model measured with (Sizes, print_css). A row costs
tens of microseconds, and the PDF breaks where the DOCX does by construction.

What the WeasyPrint path guarantees is kept: the look of templates/print.css (running header
and footer in the margins, bold centred titles, rules, notes at the foot of each page), fonts
embedded as subsets with text searchable in reading order (each row left to right, line by
line), a bookmark on the first page, the document's metadata, no active content, and the same
bytes for the same document. A table whose text the study font cannot draw (a character only
a fallback font has) is rendered by WeasyPrint, which falls back per character.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pydyf

import submission_kit
from submission_kit.documents.model import Document, TableRef
from submission_kit.documents.outline import is_standalone_tlf, outline_of
from submission_kit.tables.model import Row, TableModel
from submission_kit.tables.paginate import CONTINUED, Page, Sizes, TableLayout, Wrapping, wrap
from submission_kit.writers.font_metrics import font_file, measure_for
from submission_kit.writers.glyphs import family_coverage, is_drawn
from submission_kit.writers.html_tlf import standalone_label
from submission_kit.writers.pdf_fonts import EmbeddedFont, Face, face_of
from submission_kit.writers.print_css import MAX_INDENT, PAPERS, margins, paper_name, sizes_for
from submission_kit.writers.text_safety import require_writable, shown_strings
from submission_kit.writers.tlf_layout import PT_PER_IN, layout_of, page_label

# The margin boxes of templates/print.css: 9-pt text, line height 1.25 (html), kept 0.12 in
# clear of the content box; a standalone page is 0.5 pt shorter than its box (html_tlf).
MARGIN_PT = 9.0
MARGIN_LINE = 1.25 * MARGIN_PT
MARGIN_GAP = 0.12 * PT_PER_IN
PAGE_SHORTFALL = 0.5
SPANNER_INSET = 2.0  # a spanner's rule stops short of its columns' edges (margin: 0 2pt)
_FIXED_TEXT = "Page of 0123456789" + CONTINUED


def table_of(doc: Document) -> TableModel | None:
    """The table of a standalone table TLF, else None."""
    if is_standalone_tlf(doc) and isinstance(doc.blocks[0], TableRef):
        return doc.tables.get(doc.blocks[0].table_id)
    return None


def faces_of(doc: Document) -> tuple[Face, Face] | None:
    """The study font's regular and bold TrueType faces, when it is installed as such and has
    every character the table shows; None sends the table to WeasyPrint."""
    family = doc.style.font
    if not family or family_coverage(family) is None:
        return None  # WeasyPrint would take the next family of the stack
    regular, bold = face_of(font_file(family, False)), face_of(font_file(family, True))
    if regular is None or bold is None or regular.path == bold.path:
        return None
    chars = set(_FIXED_TEXT).union(*shown_strings(doc)) - {"\n"}
    # A character the font lacks, or one WeasyPrint does not draw (soft hyphen, joiners).
    if not all(ch in regular.glyphs and ch in bold.glyphs and is_drawn(ch) for ch in chars):
        return None
    return regular, bold


@dataclass(frozen=True, slots=True)
class _Box:
    """The page and its content box, in points from the top left."""

    width: float
    height: float
    left: float
    top: float
    right: float


def _box(doc: Document, layout: TableLayout) -> _Box:
    width, height = PAPERS[paper_name(doc.style.page)]
    if layout.orientation == "landscape":
        width, height = height, width
    m = margins(doc.style.page)
    left = m.left * PT_PER_IN
    return _Box(width * PT_PER_IN, height * PT_PER_IN, left, m.top * PT_PER_IN,
                left + layout.width)


class _Canvas:
    """One page's content stream: text runs and filled rules, in reading order."""

    def __init__(self, height: float) -> None:
        self.height = height
        self.ops: list[str] = []

    def text(self, font: EmbeddedFont, size: float, x: float, top: float, line: float,
             text: str) -> None:
        """`text` on a line box of height `line` whose top is `top`, centred in it as CSS
        centres a line's glyphs (half the leading above, half below)."""
        if not text:
            return
        face = font.face
        base = top + (line - face.em(face.ascent - face.descent) * size) / 2
        base += face.em(face.ascent) * size
        self.ops.append(f"BT /{font.key} {size:.2f} Tf {x:.2f} {self.height - base:.2f} Td "
                        f"<{font.hex(text)}> Tj ET")

    def rule(self, x: float, top: float, width: float, thickness: float) -> None:
        self.ops.append(f"{x:.2f} {self.height - top - thickness:.2f} {width:.2f} "
                        f"{thickness:.2f} re f")


@dataclass(slots=True)
class _Tlf:
    """What every page of one table shares."""

    doc: Document
    model: TableModel
    layout: TableLayout
    wrapping: Wrapping
    sizes: Sizes
    box: _Box
    regular: EmbeddedFont
    bold: EmbeddedFont
    edges: tuple[float, ...]  # x of each column's left edge, then the table's right edge

    @property
    def line(self) -> float:
        return self.sizes.table_line

    def centred(self, x0: float, x1: float, text: str, font: EmbeddedFont | None = None,
                size: float = 0.0) -> float:
        face = (font or self.regular).face
        return x0 + (x1 - x0 - face.width(text, size or self.sizes.table_pt)) / 2


def prepare(doc: Document, model: TableModel, faces: tuple[Face, Face]) -> _Tlf:
    style = doc.style
    layout, sizes = layout_of(model, style), sizes_for(style)
    box = _box(doc, layout)
    edges = [box.left]
    for width in layout.widths:
        edges.append(edges[-1] + width)
    # The lines the pages were filled with, already worked out for most texts.
    wrapping = layout.wrapping or Wrapping(layout.widths, layout.insets,
                                           measure_for(style.font), sizes)
    return _Tlf(doc, model, layout, wrapping, sizes, box, EmbeddedFont(faces[0], "F0"),
                EmbeddedFont(faces[1], "F1"), tuple(edges))


# ---- one page -------------------------------------------------------------------------------


def draw_page(t: _Tlf, number: int) -> list[str]:
    """The content stream operators of page `number` (0-based)."""
    page = t.layout.pages[number]
    canvas = _Canvas(t.box.height)
    text = " ".join(t.doc.running_header.split())
    canvas.text(t.regular, MARGIN_PT, t.box.left, t.box.top - MARGIN_GAP - MARGIN_LINE,
                MARGIN_LINE, text)
    y = _titles(canvas, t, t.box.top)
    y = _page_by(canvas, t, page.page_by, y)
    y = _header(canvas, t, y)
    y = _body(canvas, t, page, y)
    canvas.rule(t.box.left, y, t.edges[-1] - t.box.left, t.sizes.rule)
    _notes(canvas, t)
    _footer(canvas, t, page_label(t.layout, number))
    return canvas.ops


def _titles(canvas: _Canvas, t: _Tlf, y: float) -> float:
    s, box = t.sizes, t.box
    lines = [line for title in t.layout.titles for line in title]
    for line in lines:
        x = t.centred(box.left, box.right, line, t.bold, s.title_pt)
        canvas.text(t.bold, s.title_pt, x, y, s.title_line, line)
        y += s.title_line
    return y + (s.title_gap if lines else 0.0)


def _page_by(canvas: _Canvas, t: _Tlf, text: str, y: float) -> float:
    if not text:
        return y
    s = t.sizes
    for line in wrap(text, t.layout.width * s.fill, t.wrapping.measure, s.table_pt):
        canvas.text(t.regular, s.table_pt, t.box.left, y, t.line, line)
        y += t.line
    return y + s.page_by_gap


def _lines_row(canvas: _Canvas, t: _Tlf, cells: list[tuple[float, tuple[str, ...]]],
               top: float) -> int:
    """Cells (x, lines) side by side, drawn line by line across the row so the text reads
    row-wise (copy and paste gives rows, not columns); the row's line count."""
    count = max([1, *(len(lines) for _, lines in cells)])
    for k in range(count):
        for x, lines in cells:
            if k < len(lines):
                canvas.text(t.regular, t.sizes.table_pt, x, top + k * t.line, t.line, lines[k])
    return count


def _header(canvas: _Canvas, t: _Tlf, y: float) -> float:
    """Rule, spanner rows (each spanner ruled below its text), column labels, rule."""
    s, e, table = t.sizes, t.edges, t.edges[-1] - t.edges[0]
    canvas.rule(e[0], y, table, s.rule)
    y += s.rule
    for cells in t.wrapping.spanner_rows(t.model):
        spanners = [(e[at] + s.pad_x + SPANNER_INSET, e[at + span] - s.pad_x - SPANNER_INSET,
                     lines, True) for at, span, lines in cells if any(lines)]
        count = _header_row(canvas, t, spanners, y + s.head_pad_y)
        for x0, x1, _, _ in spanners:
            canvas.rule(x0, y + s.head_pad_y + count * t.line, x1 - x0, s.rule)
        y += count * t.line + s.rule + 2 * s.head_pad_y
    labels = [(e[i] + s.pad_x, e[i + 1] - s.pad_x, lines, i > 0)
              for i, lines in enumerate(t.wrapping.column_lines(t.model))]
    y += _header_row(canvas, t, labels, y + s.head_pad_y) * t.line + 2 * s.head_pad_y
    canvas.rule(e[0], y, table, s.rule)
    return y + s.rule


def _header_row(canvas: _Canvas, t: _Tlf,
                cells: list[tuple[float, float, tuple[str, ...], bool]], top: float) -> int:
    """Header cells (x0, x1, lines, centred) bottom-aligned in their row (vertical-align:
    bottom), drawn line by line across the row; the row's line count."""
    count = max([1, *(len(lines) for _, _, lines, _ in cells)])
    for k in range(count):
        for x0, x1, lines, centred in cells:
            i = k - (count - len(lines))
            if 0 <= i < len(lines):
                x = t.centred(x0, x1, lines[i]) if centred else x0
                canvas.text(t.regular, t.sizes.table_pt, x, top + k * t.line, t.line, lines[i])
    return count


# (model row, value column, x, top) of a cell that shows a statistic, as drawn
CellMark = tuple[int, int, float, float]


def _body(canvas: _Canvas, t: _Tlf, page: Page, y: float,
          marks: list[CellMark] | None = None) -> float:
    s, e = t.sizes, t.edges
    value_x = [e[i + 1] + (s.pad_x if inset is None else inset)
               for i, inset in enumerate(t.layout.insets)]
    for k, (row, cells) in enumerate(t.layout.printed(t.model, page)):
        parts = t.wrapping.row_lines(row, cells)
        xs = [_label_x(t, row), *value_x]
        index = page.model_index(k)  # None: a continued group label, not a model row
        if marks is not None and index is not None:
            marks += [(index, j, value_x[j], y + s.pad_y)
                      for j, key in enumerate(row.keys) if key and j < len(value_x)]
        count = _lines_row(canvas, t, list(zip(xs, parts, strict=False)), y + s.pad_y)
        y += count * t.line + 2 * s.pad_y
    return y


def cell_marks(doc: Document, model: TableModel, faces: tuple[Face, Face]
               ) -> list[list[CellMark]]:
    """Per page, where each cell that carries a results key is drawn (x and the top of its
    first line, from the top of the page): an assembled book puts a named destination there,
    as the HTML path does on the cell (the trace's anchor)."""
    t = prepare(doc, model, faces)
    pages = []
    for page in t.layout.pages:
        scratch, marks = _Canvas(t.box.height), list[CellMark]()
        y = _header(scratch, t, _page_by(scratch, t, page.page_by, _titles(scratch, t, t.box.top)))
        _body(scratch, t, page, y, marks)
        pages.append(marks)
    return pages


def _label_x(t: _Tlf, row: Row) -> float:
    return t.edges[0] + t.sizes.pad_x + min(max(row.indent, 0), MAX_INDENT) * t.sizes.indent


def _notes(canvas: _Canvas, t: _Tlf) -> None:
    """Footnotes and source at the foot of the page, as in the DOCX page footer."""
    lines = [line for note in t.layout.notes for line in note]
    top = t.box.top + t.layout.height - PAGE_SHORTFALL - len(lines) * t.line
    for k, line in enumerate(lines):
        canvas.text(t.regular, t.sizes.table_pt, t.box.left, top + k * t.line, t.line, line)


def _footer(canvas: _Canvas, t: _Tlf, label: str) -> None:
    top = t.box.height - margins(t.doc.style.page).bottom * PT_PER_IN + MARGIN_GAP
    footer = " ".join(t.doc.running_footer.split())
    canvas.text(t.regular, MARGIN_PT, t.box.left, top, MARGIN_LINE, footer)
    x = t.box.right - t.regular.face.width(label, MARGIN_PT)
    canvas.text(t.regular, MARGIN_PT, x, top, MARGIN_LINE, label)


# ---- the file -------------------------------------------------------------------------------


def tlf_pdf(doc: Document, model: TableModel, faces: tuple[Face, Face]
            ) -> tuple[pydyf.PDF, bytes]:
    """The PDF objects of a standalone table and its identifier (a hash of its pages)."""
    require_writable(doc)
    t = prepare(doc, model, faces)
    streams = [draw_page(t, i) for i in range(len(t.layout.pages))]
    pdf = pydyf.PDF()
    fonts = pydyf.Dictionary({"F0": t.regular.embed(pdf).reference,
                              "F1": t.bold.embed(pdf).reference})
    resources = pydyf.Dictionary({"Font": fonts, "ProcSet": pydyf.Array(["/PDF", "/Text"])})
    pdf.add_object(resources)
    digest = hashlib.sha256(doc.id.encode("utf-8"))
    for ops in streams:
        content = "\n".join(ops)
        digest.update(content.encode("ascii"))
        _add_page(pdf, t.box, pydyf.Stream([content], compress=True), resources)
    _outline(pdf, doc, t)
    _describe(pdf, doc, model)
    return pdf, digest.hexdigest()[:32].encode("ascii")


def _add_page(pdf: pydyf.PDF, box: _Box, content: pydyf.Stream,
              resources: pydyf.Dictionary) -> None:
    pdf.add_object(content)
    pdf.add_page(pydyf.Dictionary({
        "Type": "/Page", "Parent": pdf.pages.reference,
        "MediaBox": pydyf.Array([0, 0, box.width, box.height]),
        "Contents": content.reference, "Resources": resources.reference}))


def _outline(pdf: pydyf.PDF, doc: Document, t: _Tlf) -> None:
    """One bookmark, the table's title lines, and the table's anchor as a named destination."""
    first = pdf.page_references[0]
    target = pydyf.Array([first, "/XYZ", t.box.left, t.box.height - t.box.top, 0])
    outlines = pydyf.Dictionary({"Type": "/Outlines", "Count": 1})
    pdf.add_object(outlines)
    item = pydyf.Dictionary({"Title": pydyf.String(standalone_label(t.model)),
                             "Parent": outlines.reference, "Dest": target})
    pdf.add_object(item)
    outlines["First"] = outlines["Last"] = item.reference
    pdf.catalog["Outlines"] = outlines.reference
    anchor = outline_of(doc).captions[0].anchor
    pdf.catalog["Names"] = pydyf.Dictionary({"Dests": pydyf.Dictionary(
        {"Names": pydyf.Array([pydyf.String(anchor), target])})})


def _describe(pdf: pydyf.PDF, doc: Document, model: TableModel) -> None:
    """Document properties as the WeasyPrint path writes them; opens on the bookmarks."""
    maker = f"submission-kit {submission_kit.__version__}"
    info = {"Title": standalone_label(model), "Author": doc.author, "Subject": doc.subject,
            "Keywords": doc.keywords, "Creator": maker, "Producer": maker}
    for key, value in info.items():
        if value:
            pdf.info[key] = pydyf.String(value)
    if doc.date_iso:
        stamp = "D:" + doc.date_iso.replace("-", "")
        pdf.info["CreationDate"] = pdf.info["ModDate"] = pydyf.String(stamp)
    pdf.catalog["Lang"] = pydyf.String(doc.language)
    pdf.catalog["PageMode"] = "/UseOutlines"
    pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})
