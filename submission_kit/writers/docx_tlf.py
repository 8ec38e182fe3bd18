"""Tables, figures and listings (TLFs) as WordprocessingML strings.

A `TableModel` becomes title lines, one `w:tbl` built in bulk (stub column + one column per
model column, a repeating header row, rows that do not split, rules above and below the
header and at the end, no vertical lines) and footnotes plus source below.
"""

from __future__ import annotations

from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import TableModel
from submission_kit.writers.docx_ooxml import (
    EMU_PER_INCH,
    INDENT_STEP,
    RULE,
    TWIPS_PER_INCH,
    esc,
    para,
    rpr,
    run,
)

_TEXT_STYLE = '<w:pStyle w:val="TableText"/>'
_ROW_OPEN = "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
_HEAD_OPEN = "<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
_CELL_MARGINS = ('<w:tblCellMar><w:left w:w="72" w:type="dxa"/><w:right w:w="72" w:type="dxa"/>'
                 "</w:tblCellMar>")
_LOOK = ('<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" '
         'w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>')
_PIC_NS = "http://schemas.openxmlformats.org/drawingml/2006/picture"
_A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


def titles_xml(lines: tuple[str, ...], font: str) -> str:
    """Centred bold title lines, kept with what follows; a little space after the last."""
    run_pr = rpr(font, bold=True)
    out = []
    for i, line in enumerate(lines):
        spacing = 'w:after="120"' if i == len(lines) - 1 else ""
        out.append(para(run(line, run_pr), "TLFTitle", spacing=spacing))
    return "".join(out)


def notes_xml(footnotes: tuple[str, ...], source: str, font: str) -> str:
    """Footnotes, then the source line, in the small note style, kept together."""
    lines = [*footnotes, *([f"Source: {source}"] if source else [])]
    run_pr = rpr(font)
    return "".join(
        para(run(line, run_pr), "TLFNote", keep_next=i < len(lines) - 1,
             spacing='w:before="60"' if i == 0 else "")
        for i, line in enumerate(lines))


def has_notes(model: TableModel | FigureModel) -> bool:
    return bool(model.footnotes or model.source)


def column_widths(model: TableModel, total: int) -> list[int]:
    """Stub column sized by its longest label (25-50 % of the width); the rest shared evenly."""
    ncol = len(model.columns)
    if ncol == 0:
        return [total]
    stub_len = max([len(model.stub_header), 10,
                    *(len(r.label) + 2 * r.indent for r in model.rows)])
    col_len = max([6, *(len(line) for c in model.columns for line in c.header.split("\n")),
                   *(len(cell) for r in model.rows for cell in r.cells)])
    share = min(max(stub_len / (stub_len + ncol * col_len), 0.25), 0.6 if ncol == 1 else 0.5)
    stub = round(total * share)
    each = (total - stub) // ncol
    return [stub, *[each] * (ncol - 1), total - stub - each * (ncol - 1)]


def tlf_table(model: TableModel, font: str, width: int) -> str:
    """The table; its last row is kept with the next paragraph (the footnotes), so notes are
    never left alone at the top of a page."""
    widths = column_widths(model, width)
    tbl_pr = (f'<w:tblPr><w:tblW w:w="{width}" w:type="dxa"/><w:jc w:val="center"/>'
              f"<w:tblBorders><w:bottom {RULE}/></w:tblBorders>"
              f'<w:tblLayout w:type="fixed"/>{_CELL_MARGINS}{_LOOK}'
              f'<w:tblCaption w:val="{esc(model.caption)}"/></w:tblPr>')
    grid = "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths) + "</w:tblGrid>"
    rows = _body_rows(model, widths, font)
    if rows and has_notes(model):
        rows[-1] = rows[-1].replace(_TEXT_STYLE, _TEXT_STYLE + "<w:keepNext/>")
    return "<w:tbl>" + tbl_pr + grid + _header_row(model, widths, font) + "".join(rows) + "</w:tbl>"


def _header_row(model: TableModel, widths: list[int], font: str) -> str:
    """One header row, repeated on every page, ruled above and below."""
    run_pr = rpr(font)
    texts = [model.stub_header, *(c.header for c in model.columns)]
    cells = []
    for i, (text, w) in enumerate(zip(texts, widths, strict=False)):
        jc = "left" if i == 0 else "center"
        cells.append(
            f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/>'
            f"<w:tcBorders><w:top {RULE}/><w:bottom {RULE}/></w:tcBorders>"
            '<w:vAlign w:val="bottom"/></w:tcPr>'
            + para(run(text, run_pr) if text else "", "TableText", spacing='w:after="40"',
                   jc=jc) + "</w:tc>")
    return _HEAD_OPEN + "".join(cells) + "</w:tr>"


def _body_rows(model: TableModel, widths: list[int], font: str) -> list[str]:
    """All body rows from prebuilt string pieces: the hot loop of a 4,000-row listing."""
    run_pr = rpr(font)
    ncol = len(model.columns)
    stub_open = f'<w:tc><w:tcPr><w:tcW w:w="{widths[0]}" w:type="dxa"/></w:tcPr>'
    cell_open = [f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr><w:p><w:pPr>'
                 f'{_TEXT_STYLE}<w:jc w:val="center"/></w:pPr>' for w in widths[1:]]
    rows = []
    for row in model.rows:
        ind = f'<w:ind w:left="{INDENT_STEP * row.indent}"/>' if row.indent > 0 else ""
        parts = [_ROW_OPEN, stub_open, f"<w:p><w:pPr>{_TEXT_STYLE}{ind}</w:pPr>",
                 run(row.label, run_pr) if row.label else "", "</w:p></w:tc>"]
        cells = (*row.cells[:ncol], *("",) * (ncol - len(row.cells)))
        for opening, text in zip(cell_open, cells, strict=True):
            parts.extend((opening, run(text, run_pr) if text else "", "</w:p></w:tc>"))
        parts.append("</w:tr>")
        xml = "".join(parts)
        if row.is_group_label:  # never strand a group label at the foot of a page
            xml = xml.replace(_TEXT_STYLE, _TEXT_STYLE + "<w:keepNext/>")
        rows.append(xml)
    return rows


def simple_table_xml(header: list[str], rows: list[list[str]], width: int) -> str:
    """A small bordered grid; cells arrive as rendered run XML."""
    ncol = max([len(header), *(len(r) for r in rows), 1])
    each = width // ncol
    line = 'w:val="single" w:sz="4" w:space="0" w:color="000000"'
    borders = "".join(f"<w:{side} {line}/>"
                      for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    tbl_pr = (f'<w:tblPr><w:tblW w:w="{each * ncol}" w:type="dxa"/><w:tblBorders>{borders}'
              f'</w:tblBorders><w:tblLayout w:type="fixed"/>{_CELL_MARGINS}{_LOOK}</w:tblPr>')
    grid = "<w:tblGrid>" + f'<w:gridCol w:w="{each}"/>' * ncol + "</w:tblGrid>"
    out = ["<w:tbl>", tbl_pr, grid]
    for i, cells in enumerate([header, *rows] if header else rows):
        out.append(_HEAD_OPEN if header and i == 0 else _ROW_OPEN)
        for j in range(ncol):
            content = cells[j] if j < len(cells) else ""
            out.append(f'<w:tc><w:tcPr><w:tcW w:w="{each}" w:type="dxa"/></w:tcPr>'
                       f'{para(content, "TableText")}</w:tc>')
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def figure_size(model: FigureModel, width: int, height: int) -> tuple[int, int]:
    """EMU size: the model's inches, scaled down (aspect kept) to the text width and 80 % of
    the text height, so titles and footnotes fit on the same page."""
    w_in, h_in = max(model.width_in, 0.1), max(model.height_in, 0.1)
    scale = min(1.0, width / TWIPS_PER_INCH / w_in, 0.8 * height / TWIPS_PER_INCH / h_in)
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
