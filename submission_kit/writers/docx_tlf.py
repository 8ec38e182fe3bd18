"""Tables, figures and listings (TLFs) as WordprocessingML strings.

A `TableModel` is written as the pages of the pagination model (tables.paginate through
tlf_layout), the same pages as the PDF: per page one `w:tbl` built in bulk (stub column + one
column per model column, spanner and column header rows, rows that do not split, rules above
and below the header and at the end, no vertical lines). Every size is exact (line heights,
cell margins, rules), and so are the lines: every cell (and header) holds the lines the model
wrapped it into, joined by `w:br`. Left to itself Word would break after a slash or not, break
a too-long word wherever it pleases, and use the few points of room the model keeps as a
measuring margin (Sizes.fill), so its lines, and the PDF's, would differ; with the breaks
written in, a page holds exactly what the model put on it, line for line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from submission_kit.documents.results_view import cell_anchor
from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import Row, TableModel, header_rows
from submission_kit.tables.paginate import Measure, Page, Sizes, TableLayout, Wrapping
from submission_kit.writers.docx_ooxml import (
    EMU_PER_INCH,
    RULE,
    TWIPS_PER_INCH,
    bookmark,
    esc,
    para,
    run,
)

_TEXT_STYLE = '<w:pStyle w:val="TableText"/>'
_ROW_OPEN = "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
_HEAD_OPEN = "<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
_CELL_CLOSE = "</w:p></w:tc>"
_ROW_OPEN_B = _ROW_OPEN.encode()
_CELL_CLOSE_B = _CELL_CLOSE.encode()
_PPR_CLOSE = b"</w:pPr>"
_PAD = 72  # left and right cell padding, twips (Sizes.pad_x = 3.6 pt)
_CELL_MARGINS = (f'<w:tblCellMar><w:left w:w="{_PAD}" w:type="dxa"/>'
                 f'<w:right w:w="{_PAD}" w:type="dxa"/></w:tblCellMar>')
_LOOK = ('<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" '
         'w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>')
_PIC_NS = "http://schemas.openxmlformats.org/drawingml/2006/picture"
_A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _exact(line_pt: float) -> str:
    return f'w:line="{round(line_pt * 20)}" w:lineRule="exact"'


def titles_xml(lines: tuple[str, ...], sizes: Sizes, *, break_before: bool = False) -> str:
    """Centred bold title lines (the TLF Title style), `title_gap` below the last."""
    out = []
    for i, line in enumerate(lines):
        gap = (f'w:after="{round(sizes.title_gap * 20)}"' if i == len(lines) - 1 else "")
        out.append(para(run(line), "TLFTitle", spacing=gap,
                        break_before=break_before and i == 0))
    return "".join(out)


def notes_xml(lines: tuple[str, ...], sizes: Sizes) -> str:
    """Footnotes and source in the TLF Note style, `notes_gap` below the rule that ends the
    table, kept together."""
    return "".join(
        para(run(line), "TLFNote", keep_next=i < len(lines) - 1,
             spacing=f'w:before="{round(sizes.notes_gap * 20)}"' if i == 0 else "")
        for i, line in enumerate(lines))


def page_by_xml(text: str, sizes: Sizes, break_before: bool) -> str:
    gap = round(sizes.page_by_gap * 20)
    return para(run(text), "TableText", keep_next=True, break_before=break_before,
                spacing=f'w:after="{gap}"')


def grid_twips(widths: tuple[float, ...]) -> list[int]:
    """Column widths in twips that add up to the rounded total."""
    cols = [round(w * 20) for w in widths]
    cols[-1] += round(sum(widths) * 20) - sum(cols)
    return cols


class TableXml:
    """One table's WordprocessingML, page by page, as UTF-8 bytes. What every page repeats
    (tblPr, tblGrid, the header rows) is built once per table, and so is the opening of each
    body cell; a page's rows are then joined from cells kept per column and per distinct text,
    each escaped and encoded once (a listing repeats its terms, arms and dates thousands of
    times). No per-cell objects and no per-element lxml calls: the hot loop of a 5,000-row
    listing is one dict lookup and one list append per cell. Bytes, not str: one non-ASCII
    character (an em dash in the caption) would make every page a two-byte-per-character
    string, twice the memory to join and then a slow encode.

    In a document (`anchor`, the caption's bookmark name, and `bookmark_ids`, the body's
    bookmark ids), each cell that shows a statistic (a key in `Row.keys`) has its run inside
    a bookmark named by its trace anchor (results_view.cell_anchor); rows without keys, every
    row of a listing, take the cached path above."""

    def __init__(self, model: TableModel, layout: TableLayout, sizes: Sizes,
                 anchor: str = "", bookmark_ids: Iterator[int] | None = None) -> None:
        self.model, self.layout, self._wrapping = model, layout, layout.wrapping
        self._anchor, self._bookmark_ids = anchor, bookmark_ids
        grid = grid_twips(layout.widths)
        self._head = ("<w:tbl>" + _tbl_pr(model, sum(grid), sizes) + _grid(grid)
                      + _header_rows(model, grid, sizes, layout.wrapping)).encode()
        self._line = line = f'<w:spacing w:after="0" {_exact(sizes.table_line)}/>'
        self._step = round(sizes.indent * 20)
        self._stub_open = f'<w:tc><w:tcPr><w:tcW w:w="{grid[0]}" w:type="dxa"/></w:tcPr>'
        self._cell_ppr = []  # per value column: (width, the pPr after the style)
        for w, inset in zip(grid[1:], layout.insets, strict=True):
            # Decimal-aligned columns by their inset, text columns (a listing's) flush left.
            ind = ("" if inset is None
                   else f'<w:ind w:left="{round((inset - sizes.pad_x) * 20)}"/>')
            self._cell_ppr.append((w, f'{line}{ind}<w:jc w:val="left"/></w:pPr>'))
        self._cells: dict[bool, list[tuple[dict[str, bytes], Callable[[str], bytes]]]] = {}
        self._labels: dict[tuple[bool, int, str], bytes] = {}

    def page(self, page: Page, keep: bool) -> bytes:
        """One page: header rows (repeated should Word ever break it) and the page's rows;
        `keep` keeps every row with the next (a table that fits one page stays on one)."""
        columns = self._columns(keep)
        labels, label = self._labels, self._label
        anchored = bool(self._anchor) and self._bookmark_ids is not None
        out = [self._head]
        append = out.append
        for k, (row, cells) in enumerate(self.layout.printed(self.model, page)):
            append(_ROW_OPEN_B)
            key = (keep, row.indent, row.label)
            append(labels.get(key) or label(key, row))
            index = page.model_index(k)
            if anchored and row.keys and index is not None:
                append(self._marked(keep, index, row, cells))
            else:
                for (known, make), text in zip(columns, cells, strict=False):
                    append(known.get(text) or make(text))
            append(b"</w:tr>")
        append(b"</w:tbl>")
        return b"".join(out)

    def _marked(self, keep: bool, index: int, row: Row, cells: tuple[str, ...]) -> bytes:
        """The value cells of model row `index`, each statistic's run in its bookmark."""
        assert self._bookmark_ids is not None
        out = []
        for c, ((known, make), text) in enumerate(zip(self._columns(keep), cells,
                                                      strict=False)):
            xml = known.get(text) or make(text)
            if c < len(row.keys) and row.keys[c]:
                at, end = xml.index(_PPR_CLOSE) + len(_PPR_CLOSE), len(xml) - len(_CELL_CLOSE_B)
                marked = bookmark(cell_anchor(self._anchor, index, c), next(self._bookmark_ids),
                                  xml[at:end].decode())
                xml = xml[:at] + marked.encode() + xml[end:]
            out.append(xml)
        return b"".join(out)

    def _run(self, text: str) -> str:
        return run(text) if text else ""

    def _columns(self, keep: bool) -> list[tuple[dict[str, bytes], Callable[[str], bytes]]]:
        """Per value column: its cells' XML by text, and what makes the XML of a new text."""
        found = self._cells.get(keep)
        if found is None:
            style = _TEXT_STYLE + ("<w:keepNext/>" if keep else "")
            found = self._cells[keep] = [
                self._column(i, f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr><w:p>'
                             f"<w:pPr>{style}{ppr}")
                for i, (w, ppr) in enumerate(self._cell_ppr)]
        return found

    def _column(self, i: int, opening: str) -> tuple[dict[str, bytes], Callable[[str], bytes]]:
        known: dict[str, bytes] = {}
        wrapping = self._wrapping

        def make(text: str) -> bytes:
            shown = wrapping.cell_text(text, i) if wrapping and text else text
            xml = known[text] = (opening + self._run(shown) + _CELL_CLOSE).encode()
            return xml

        return known, make

    def _label(self, key: tuple[bool, int, str], row: Row) -> bytes:
        """The stub cell of a row: its label, indented by level."""
        keep, indent, text = key
        ind = f'<w:ind w:left="{self._step * indent}"/>' if indent > 0 else ""
        style = _TEXT_STYLE + ("<w:keepNext/>" if keep else "")
        shown = self._wrapping.label_text(row) if self._wrapping else text
        xml = self._labels[key] = (f"{self._stub_open}<w:p><w:pPr>{style}{self._line}{ind}"
                                   f"</w:pPr>{self._run(shown)}{_CELL_CLOSE}").encode()
        return xml


def _tbl_pr(model: TableModel, total: int, sizes: Sizes) -> str:
    pad_y = round(sizes.pad_y * 20)
    return (f'<w:tblPr><w:tblW w:w="{total}" w:type="dxa"/><w:jc w:val="center"/>'
            f"<w:tblBorders><w:bottom {RULE}/></w:tblBorders>"
            f'<w:tblLayout w:type="fixed"/><w:tblCellMar><w:top w:w="{pad_y}" w:type="dxa"/>'
            f'<w:left w:w="{_PAD}" w:type="dxa"/><w:bottom w:w="{pad_y}" w:type="dxa"/>'
            f'<w:right w:w="{_PAD}" w:type="dxa"/></w:tblCellMar>{_LOOK}'
            f'<w:tblCaption w:val="{esc(model.caption)}"/></w:tblPr>')


def _grid(grid: list[int]) -> str:
    return "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in grid) + "</w:tblGrid>"


def _head_cell(text: str, width: int, sizes: Sizes, *, span: int = 1,
               borders: str = "", jc: str = "center", spanner: bool = False) -> str:
    pad = round(sizes.head_pad_y * 20)
    grid = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    rule = (f"<w:pBdr><w:bottom {RULE}/></w:pBdr>" if spanner and text else "")
    ind = '<w:ind w:left="40" w:right="40"/>' if spanner else ""
    ppr = (f"{_TEXT_STYLE}<w:keepNext/>{rule}<w:spacing w:after=\"0\" "
           f'{_exact(sizes.table_line)}/>{ind}<w:jc w:val="{jc}"/>')
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{grid}'
            f"{f'<w:tcBorders>{borders}</w:tcBorders>' if borders else ''}"
            f'<w:tcMar><w:top w:w="{pad}" w:type="dxa"/><w:bottom w:w="{pad}" w:type="dxa"/>'
            f'</w:tcMar><w:vAlign w:val="bottom"/></w:tcPr><w:p><w:pPr>{ppr}</w:pPr>'
            f"{run(text) if text else ''}</w:p></w:tc>")


def _header_rows(model: TableModel, grid: list[int], sizes: Sizes,
                 wrapping: Wrapping | None = None) -> str:
    """Spanner rows (each spanner underlined) and the column label row, ruled above the first
    and below the last, repeated on every page; in the model's lines."""
    top, bottom = f"<w:top {RULE}/>", f"<w:bottom {RULE}/>"

    def shown(text: str, start: int, span: int = 1) -> str:
        return wrapping.header_text(text, start, span) if wrapping and text else text

    out = []
    for n, cells in enumerate(header_rows(model)):
        edge = top if n == 0 else ""
        xml = [_head_cell("", grid[0], sizes, borders=edge, jc="left")]
        at = 1
        for text, span in cells:
            xml.append(_head_cell(shown(text, at, span), sum(grid[at:at + span]), sizes,
                                  span=span, borders=edge, spanner=True))
            at += span
        out.append(_HEAD_OPEN + "".join(xml) + "</w:tr>")
    edge = (top if not out else "") + bottom
    texts = [shown(t, i) for i, t in
             enumerate([model.stub_header, *(c.header for c in model.columns)][:len(grid)])]
    labels = [_head_cell(t, w, sizes, borders=edge, jc="left" if i == 0 else "center")
              for i, (t, w) in enumerate(zip(texts, grid, strict=False))]
    out.append(_HEAD_OPEN + "".join(labels) + "</w:tr>")
    return "".join(out)


def simple_widths(header: list[str], rows: list[list[str]], measure: Measure, size: float,
                  width: int) -> list[int]:
    """Column widths (twips, adding up to `width`) of a small grid, from what its cells hold,
    as a browser lays out a full-width table: columns whose longest line fits in a fair share
    keep it unwrapped, the others share what is left in proportion to their longest line
    (never below their longest word); room to spare goes to every column in proportion."""
    ncol = max([len(header), *(len(r) for r in rows), 1])
    pad = 2 * _PAD / 20 + 1.0  # cell padding, and a point for the rules
    natural, minimum = [1.0] * ncol, [1.0] * ncol
    for k, cells in enumerate([header, *rows]):
        bold = k == 0 and bool(header)
        for i, text in enumerate(cells):
            natural[i] = max(natural[i], *(measure(t, bold) * size for t in text.split("\n")))
            minimum[i] = max(minimum[i], *(measure(w, bold) * size
                                           for w in text.split() or [""]))
    room = width / 20 - pad * ncol
    if sum(natural) <= room:
        points = [n * room / sum(natural) for n in natural]
    elif sum(minimum) >= room:
        points = [m * room / sum(minimum) for m in minimum]
    else:
        points = _share(natural, minimum, room)
    twips = [round((p + pad) * 20) for p in points]
    twips[-1] += width - sum(twips)
    return twips


def _share(natural: list[float], minimum: list[float], room: float) -> list[float]:
    """Narrow columns get their natural width; the wide ones split the rest."""
    fixed: dict[int, float] = {}
    while True:
        wide = [i for i in range(len(natural)) if i not in fixed]
        rest = room - sum(fixed.values())
        total = sum(natural[i] for i in wide)
        fits = [i for i in wide if natural[i] <= rest * natural[i] / total
                or natural[i] <= rest / len(wide)]
        if not fits or len(fits) == len(wide):
            break
        fixed.update({i: natural[i] for i in fits})
    shares = {i: max(minimum[i], rest * natural[i] / total) for i in wide}
    over = sum(shares.values()) - rest  # minimums taken above the proportional share
    loose = [i for i in wide if shares[i] > minimum[i]]
    for i in loose:
        shares[i] -= over * (shares[i] - minimum[i]) / sum(shares[j] - minimum[j] for j in loose)
    return [fixed.get(i, shares.get(i, 0.0)) for i in range(len(natural))]


def simple_table_xml(header: list[str], rows: list[list[str]], widths: list[int]) -> str:
    """A small bordered grid; cells arrive as rendered run XML, `widths` in twips."""
    ncol = len(widths)
    line = 'w:val="single" w:sz="4" w:space="0" w:color="000000"'
    borders = "".join(f"<w:{side} {line}/>"
                      for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    tbl_pr = (f'<w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:tblBorders>{borders}'
              f'</w:tblBorders><w:tblLayout w:type="fixed"/>{_CELL_MARGINS}{_LOOK}</w:tblPr>')
    grid = "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths) + "</w:tblGrid>"
    out = ["<w:tbl>", tbl_pr, grid]
    for i, cells in enumerate([header, *rows] if header else rows):
        out.append(_HEAD_OPEN if header and i == 0 else _ROW_OPEN)
        for j in range(ncol):
            content = cells[j] if j < len(cells) else ""
            out.append(f'<w:tc><w:tcPr><w:tcW w:w="{widths[j]}" w:type="dxa"/></w:tcPr>'
                       f'{para(content, "TableText")}</w:tc>')
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def figure_size(model: FigureModel, width: int, height: int) -> tuple[int, int]:
    """EMU size: the model's inches, scaled down (aspect kept) to the text width and 80 % of
    the text height, so titles and footnotes fit on the same page; never below the scale that
    keeps its text legible (FigureModel.placed_scale)."""
    w_in, h_in = max(model.width_in, 0.1), max(model.height_in, 0.1)
    scale = model.placed_scale(width / TWIPS_PER_INCH, 0.8 * height / TWIPS_PER_INCH)
    return round(w_in * scale * EMU_PER_INCH), round(h_in * scale * EMU_PER_INCH)


def drawing_xml(rid: str, docpr_id: int, size: tuple[int, int], name: str, descr: str) -> str:
    """An inline picture with alt text (wp:docPr descr)."""
    cx, cy = size
    return (
        '<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{docpr_id}" name="{esc(name)}" descr="{esc(descr)}"/>'
        f'<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="{_A_NS}" noChangeAspect="1"/>'
        f'</wp:cNvGraphicFramePr><a:graphic xmlns:a="{_A_NS}"><a:graphicData uri="{_PIC_NS}">'
        f'<pic:pic xmlns:pic="{_PIC_NS}"><pic:nvPicPr><pic:cNvPr id="0" name="{esc(name)}"/>'
        f'<pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="{rid}"/>'
        "<a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr>"
        f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
        "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>")
