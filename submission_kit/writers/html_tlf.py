"""Tables and figures (TLFs) as HTML for the print stylesheet.

A table is one `<table class="tlf">`: the caption (or, in a standalone TLF, the title lines)
and the column headers in `<thead>`, the footnotes and source in `<tfoot>`, so WeasyPrint
repeats both on every page of a long table. Rows never split across pages.
"""

from __future__ import annotations

import base64
import html

from submission_kit.documents.model import PageSetup
from submission_kit.documents.outline import MAX_LEVEL, CaptionEntry
from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import Row, TableModel
from submission_kit.writers.print_css import content_box
from submission_kit.writers.text_safety import checked

INDENT_EM = 1.2  # per Row.indent level
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


def _stub_percent(n_columns: int) -> float:
    return max(25.0, min(45.0, 100.0 - 15.0 * n_columns))


def _colgroup(n_columns: int) -> str:
    stub = _stub_percent(n_columns)
    each = (100.0 - stub) / n_columns if n_columns else 0.0
    cols = [f'<col class="stub" style="width: {stub:.2f}%">']
    cols += [f'<col style="width: {each:.2f}%">'] * n_columns
    return "<colgroup>" + "".join(cols) + "</colgroup>"


def _thead(model: TableModel, cap: CaptionEntry, standalone: bool) -> str:
    span = len(model.columns) + 1
    title = (
        f'<tr class="title-row"><th colspan="{span}" {_caption_attrs(cap, standalone)}>'
        f"{_caption_inner(cap, model, standalone)}</th></tr>"
    )
    heads = [f'<th class="stub" scope="col">{esc_lines(model.stub_header)}</th>']
    heads += [f'<th scope="col">{esc_lines(c.header)}</th>' for c in model.columns]
    return f'<thead>{title}<tr class="column-row">{"".join(heads)}</tr></thead>'


def _tfoot(model: TableModel) -> str:
    span = len(model.columns) + 1
    notes = _notes(model.footnotes, model.source)
    return f'<tfoot><tr><td colspan="{span}">{notes}</td></tr></tfoot>'


def _row(row: Row) -> str:
    pad = 0.4 + INDENT_EM * max(row.indent, 0)
    cells = "".join(f"<td>{esc_lines(c)}</td>" for c in row.cells)
    group = ' class="group"' if row.is_group_label else ""
    return (
        f'<tr{group}><th scope="row" style="padding-left: {pad:.1f}em">'
        f"{esc_lines(row.label)}</th>{cells}</tr>"
    )


def table_html(model: TableModel, cap: CaptionEntry, standalone: bool) -> str:
    body = "".join(_row(r) for r in model.rows)
    return (
        f'<section class="output table {model.orientation}" id="{esc(cap.anchor)}">'
        f'<table class="tlf">{_colgroup(len(model.columns))}{_thead(model, cap, standalone)}'
        f"{_tfoot(model)}<tbody>{body}</tbody></table></section>"
    )


def _figure_size(model: FigureModel, page: PageSetup, n_lines: int) -> tuple[float, float]:
    """The figure's own size, scaled down (never up) to fit its page with caption and notes."""
    avail_w, avail_h = content_box(page, model.orientation)
    avail_h -= LINE_IN * n_lines + 0.3
    width, height = max(model.width_in, 0.1), max(model.height_in, 0.1)
    scale = min(1.0, avail_w / width, avail_h / height)
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
