"""Tables and figures (TLFs) as HTML for the print stylesheet.

A table is laid out as the pages of the pagination model (tables.paginate, through
tlf_layout): per page a `div.tlf-page` holding the title lines (or the caption, "(continued)"
after the first page), the page_by value, one small `table-layout: fixed` table with the
column headers and that page's rows, and the footnotes and source. WeasyPrint has no page
breaking left to do, and the DOCX writer breaks at the same rows. Nor any line breaking: each
cell holds the lines the model wrapped it into, joined by <br>, so Pango breaks where the PDF
writer, the DOCX and the model do (at spaces, after a hyphen or slash, inside a word too wide
for its column). In a standalone TLF each page is as tall as the page box and the notes sit at
its foot, as in the DOCX footer.
"""

from __future__ import annotations

import base64
import html

from submission_kit.documents.model import PageSetup, Style
from submission_kit.documents.outline import MAX_LEVEL, CaptionEntry
from submission_kit.documents.results_view import cell_anchor
from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import Row, TableModel, header_rows
from submission_kit.tables.paginate import Page, TableLayout, Wrapping
from submission_kit.writers.print_css import MAX_INDENT, content_box
from submission_kit.writers.text_safety import checked
from submission_kit.writers.tlf_layout import layout_of, page_label, page_titles

LINE_IN = 0.22  # height reserved per caption or note line when fitting a figure on its page


def esc(text: str) -> str:
    """HTML text or a double- or single-quoted attribute value."""
    return html.escape(checked(text), quote=True)


def esc_lines(text: str) -> str:
    """Escaped text whose line breaks become <br> (column headers carry "\\n(N=..)")."""
    return "<br>".join(esc(line) for line in text.split("\n"))


def titles_of(model: TableModel | FigureModel) -> tuple[str, ...]:
    return model.title or (model.id,)


def standalone_label(model: TableModel | FigureModel) -> str:
    """Bookmark of a standalone TLF: 'Table 14.1.3: Demographic ... — ITT Population'."""
    titles = titles_of(model)
    return titles[0] if len(titles) == 1 else f"{titles[0]}: {' — '.join(titles[1:])}"


def bookmark_label(cap: CaptionEntry, standalone: bool) -> str:
    """The caption label, or in a standalone TLF its own title lines."""
    return standalone_label(cap.model) if standalone else cap.label


def _caption_inner(cap: CaptionEntry, model: TableModel | FigureModel, standalone: bool) -> str:
    if not standalone:
        return esc(cap.label)
    return "".join(f'<span class="title-line">{esc(t)}</span>' for t in titles_of(model))


def _caption_attrs(cap: CaptionEntry, standalone: bool) -> str:
    """Bookmarked one level below the heading the output sits under."""
    level = min(cap.level + 1, MAX_LEVEL)
    return f'class="caption bm{level}" data-bookmark="{esc(bookmark_label(cap, standalone))}"'


def _notes(footnotes: tuple[str, ...], source: str) -> str:
    parts = [f'<p class="footnote">{esc_lines(f)}</p>' for f in footnotes]
    if source:
        parts.append(f'<p class="source">Source: {esc_lines(source)}</p>')
    return "".join(parts)


def _caption_of(cap: CaptionEntry, standalone: bool) -> str:
    return "" if standalone else cap.label


def table_html(model: TableModel, cap: CaptionEntry, standalone: bool, style: Style,
               pages: range | None = None, lead: int = 0) -> str:
    """The table as the pages of the pagination model, one small fixed-layout table each;
    `pages` renders only some of them (a chunk of a long TLF rendered in another process);
    `lead` headings come right before it."""
    caption = _caption_of(cap, standalone)
    layout = layout_of(model, style, caption, lead)
    scope = f"tlf{cap.number}"
    numbers = pages if pages is not None else range(len(layout.pages))
    # In a document, each cell that shows a statistic carries its trace anchor as its id, a
    # PDF named destination; a stand-alone TLF has no trace file to point from.
    anchor = "" if standalone else cap.anchor
    body = "".join(_page_html(model, layout, cap, standalone, i, anchor) for i in numbers)
    paged = " paged" if len(layout.pages) > 1 and not standalone else ""
    kind = " standalone" if standalone else ""
    return (f'<section class="output table {layout.orientation}{paged}{kind} {scope}" '
            f'id="{esc(cap.anchor)}">{_column_css(layout, scope)}{body}</section>')


def _column_css(layout: TableLayout, scope: str) -> str:
    """Left inset of each decimal-aligned column, scoped to this table."""
    rules = [f".{scope} td.c{i} {{ padding-left: {inset:.2f}pt; text-align: left; }}"
             for i, inset in enumerate(layout.insets) if inset is not None]
    rules += [f".{scope} td.c{i} {{ text-align: left; }}"
              for i, inset in enumerate(layout.insets) if inset is None]
    return f"<style>{' '.join(rules)}</style>" if rules else ""


def _page_html(model: TableModel, layout: TableLayout, cap: CaptionEntry, standalone: bool,
               number: int, anchor: str = "") -> str:
    page = layout.pages[number]
    label = page_label(layout, number)
    height = f' style="height: {layout.height - 0.5:.2f}pt"' if standalone else ""
    titles = page_titles(model, _caption_of(cap, standalone), number)
    lines = "".join(f'<p class="title-line">{esc(t)}</p>' for t in titles)
    marks = f" {_caption_attrs(cap, standalone)}" if number == 0 else ' class="caption"'
    parts = [f'<div class="tlf-page" data-page="{esc(label)}"{height}>',
             f"<div{marks}>{lines}</div>"]
    if page.page_by:
        parts.append(f'<p class="page-by">{esc_lines(page.page_by)}</p>')
    parts.append(_table(model, layout, page, anchor))
    notes = _notes(model.footnotes, model.source)
    if not standalone and len(layout.pages) > 1:
        notes += f'<p class="table-page">{esc(label)}</p>'
    parts.append(f'<div class="notes">{notes}</div></div>')
    return "".join(parts)


def _table(model: TableModel, layout: TableLayout, page: Page, anchor: str = "") -> str:
    """One page's table; with a caption `anchor`, the cells that show a statistic carry their
    trace anchors (results_view.cell_anchor) as ids."""
    cols = "".join(f'<col style="width: {w:.2f}pt">' for w in layout.widths)
    wrapping = layout.wrapping
    indices = [page.model_index(k) for k in range(len(layout.printed(model, page)))]
    body = "".join(_row(row, cells, wrapping, _ids(anchor, index, row)
                        if anchor and row.keys and index is not None else None)
                   for index, (row, cells) in zip(indices, layout.printed(model, page),
                                                  strict=True))
    return (f'<table class="tlf" style="width: {sum(layout.widths):.2f}pt">'
            f"<colgroup>{cols}</colgroup>{_thead(model, wrapping)}<tbody>{body}</tbody></table>")


def _ids(anchor: str, index: int, row: Row) -> tuple[str, ...]:
    """The id attribute of each value cell of model row `index` ("" where no statistic)."""
    return tuple(f' id="{esc(cell_anchor(anchor, index, c))}"' if key else ""
                 for c, key in enumerate(row.keys))


def _thead(model: TableModel, wrapping: Wrapping | None = None) -> str:
    def shown(text: str, start: int, span: int = 1) -> str:
        return esc_lines(wrapping.header_text(text, start, span) if wrapping else text)

    rows = []
    for cells in header_rows(model):
        heads, at = [], 1
        for text, span in cells:
            heads.append(f'<th colspan="{span}"><span class="spanner">{shown(text, at, span)}'
                         "</span></th>" if text else f'<th colspan="{span}"></th>')
            at += span
        rows.append(f'<tr class="spanner-row"><th class="stub"></th>{"".join(heads)}</tr>')
    heads = [f'<th class="stub" scope="col">{shown(model.stub_header, 0)}</th>']
    heads += [f'<th scope="col">{shown(c.header, i)}</th>'
              for i, c in enumerate(model.columns, start=1)]
    rows.append(f'<tr class="column-row">{"".join(heads)}</tr>')
    return f"<thead>{''.join(rows)}</thead>"


def _row(row: Row, cells: tuple[str, ...], wrapping: Wrapping | None = None,
         ids: tuple[str, ...] | None = None) -> str:
    """The hot loop of a 5,000-row listing: no inline styles, classes only; `ids`: each value
    cell's id attribute (a cell that shows a statistic, in a document)."""
    if wrapping is None:
        label, texts = row.label, cells
    else:
        label = wrapping.label_text(row)
        texts = tuple(wrapping.cell_text(c, i) for i, c in enumerate(cells))
    if ids:
        tds = "".join(f'<td class="c{i}"{ids[i] if i < len(ids) else ""}>{esc_lines(c)}</td>'
                      for i, c in enumerate(texts))
    else:
        tds = "".join(f'<td class="c{i}">{esc_lines(c)}</td>' for i, c in enumerate(texts))
    level = min(max(row.indent, 0), MAX_INDENT)
    return f'<tr><th class="i{level}" scope="row">{esc_lines(label)}</th>{tds}</tr>'


def _figure_size(model: FigureModel, page: PageSetup, n_lines: int) -> tuple[float, float]:
    """The figure's own size, scaled down (never up) to fit its page with caption and notes,
    but never below the scale that keeps its text legible (FigureModel.placed_scale)."""
    avail_w, avail_h = content_box(page, model.orientation)
    avail_h -= LINE_IN * n_lines + 0.3
    width, height = max(model.width_in, 0.1), max(model.height_in, 0.1)
    scale = model.placed_scale(avail_w, avail_h)
    return width * scale, height * scale


def _image_src(model: FigureModel) -> str:
    if model.svg:
        return "data:image/svg+xml;base64," + base64.b64encode(model.svg).decode("ascii")
    return "data:image/png;base64," + base64.b64encode(model.png).decode("ascii")


def figure_html(model: FigureModel, cap: CaptionEntry, standalone: bool,
                page: PageSetup) -> str:
    n_title = len(titles_of(model)) if standalone else 2
    notes = _notes(model.footnotes, model.source)
    n_notes = len(model.footnotes) + bool(model.source)
    width, height = _figure_size(model, page, n_title + n_notes)
    alt = model.alt_text or bookmark_label(cap, standalone)
    return (
        f'<figure class="output figure {model.orientation}" id="{esc(cap.anchor)}">'
        f"<figcaption {_caption_attrs(cap, standalone)}>"
        f"{_caption_inner(cap, model, standalone)}</figcaption>"
        f'<img src="{_image_src(model)}" alt="{esc(alt)}" '
        f'style="width: {width:.3f}in; height: {height:.3f}in">'
        + (f'<div class="notes">{notes}</div>' if notes else "")
        + "</figure>"
    )
