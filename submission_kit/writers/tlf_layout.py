"""The pagination model as both writers call it: one `TableLayout` per table and document.

The frame comes from the document's page setup (print_css.content_box, FDA margin floors
included, for DOCX as for PDF), the sizes from its style, the measures from its font. A table
in a standalone TLF prints its title lines and notes on every page; a table in a document
prints its caption ("(continued)" after the first page) and its notes on every page, and
reserves a line for "Page x of y" of the table.
"""

from __future__ import annotations

from submission_kit.documents.model import Style
from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import Orientation, TableModel
from submission_kit.tables.paginate import CONTINUED, Frame, TableLayout, paginate
from submission_kit.writers.font_metrics import measure_for
from submission_kit.writers.print_css import content_box, sizes_for

PT_PER_IN = 72.0
SPACER_PT = 1.0  # the 1-pt paragraph that starts each page of a DOCX TLF


def _box(style: Style, orientation: Orientation) -> tuple[float, float]:
    width, height = content_box(style.page, orientation)
    return width * PT_PER_IN, height * PT_PER_IN


def notes_of(model: TableModel | FigureModel) -> tuple[str, ...]:
    return (*model.footnotes, *([f"Source: {model.source}"] if model.source else []))


# Room kept on the first page of a long table in a document for each heading that leads into
# it (they move to its first page): a 14-pt heading line with its space above and below.
HEADING_PT = 48.0
_CACHE: dict[tuple[int, Style, str, int], tuple[TableModel, TableLayout]] = {}
_CACHE_SIZE = 32


# A table longer than this on its own pages (a listing) is drawn as those pages in any document
# (pdf_assembled.py): laid out in HTML it would cost ~12 ms a row (3,000 rows: minutes, GBs).
LONG_TABLE_PAGES = 10


def drawn_as_its_pages(model: TableModel, style: Style) -> bool:
    return len(layout_of(model, style).pages) > LONG_TABLE_PAGES


def layout_of(model: TableModel, style: Style, caption: str = "", lead: int = 0
              ) -> TableLayout:
    """The pages of `model`: standalone when `caption` is "", else in a document under that
    caption, after `lead` headings that go with it. Remembered for the last few models (the
    model itself is unhashable: it carries a dict), so a writer asking twice pays once."""
    key = (id(model), style, caption, lead)
    found = _CACHE.get(key)
    if found is not None and found[0] is model:
        return found[1]
    sizes = sizes_for(style)
    # A caption is measured with "(continued)", the longer of its two forms.
    titles = (f"{caption} {CONTINUED}",) if caption else (model.title or (model.id,))
    reserve = SPACER_PT + (sizes.table_line if caption else 0.0)
    frame = Frame(_box(style, "portrait"), _box(style, "landscape"), tuple(titles),
                  notes_of(model), reserve, lead * HEADING_PT)
    layout = paginate(model, frame, measure_for(style.font), sizes)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (model, layout)
    return layout


def page_titles(model: TableModel, caption: str, number: int) -> tuple[str, ...]:
    """The title lines of page `number` (0-based): a standalone table's own title lines, or
    the caption, which says "(continued)" after the first page."""
    if not caption:
        return model.title or (model.id,)
    return (caption if number == 0 else f"{caption} {CONTINUED}",)


def page_label(layout: TableLayout, number: int) -> str:
    """ "Page x of y" of page `number` (0-based)."""
    return f"Page {number + 1} of {len(layout.pages)}"

