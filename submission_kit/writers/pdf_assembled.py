"""A document whose outputs (all of them in a TLF book, `assemble = true`; a long listing in
any other document) are drawn as their stand-alone pages: its own pages (title, contents,
lists, text, the other outputs) laid out by WeasyPrint with an empty page of the right size for
each page of each such output, then the stand-alone pages drawn onto those pages.

Why: the tables inside a book are the very pages a reviewer has as stand-alone files (same
pagination, headers, "Page x of y" per output), and drawing a table directly is some fifty
times faster than laying it out in HTML. The contents, lists, bookmarks and links are
WeasyPrint's, pointing at the empty pages, which keep their place when the TLF content is drawn
onto them. The result is not tagged: the TLF pages are drawn, not laid out from HTML
(DESIGN.md §5). A 3,000-row listing laid out in HTML took minutes and gigabytes; drawn, seconds.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pypdf.generic import NameObject

from submission_kit.documents.model import Document, part_key
from submission_kit.documents.outline import CaptionEntry, outline_of
from submission_kit.documents.results_view import cell_anchor
from submission_kit.writers.html import Placeholder, as_html
from submission_kit.writers.pdf_chunks import finished

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader, PdfWriter


def _part(caption: CaptionEntry) -> str:
    return part_key(caption.kind, caption.ref_id)


def assembled_pdf(doc: Document) -> bytes:
    from pypdf import PdfReader, PdfWriter

    from submission_kit.writers.pdf import as_pdf, html_to_pdf, pdf_identifier

    outline = outline_of(doc)
    held = [c for c in outline.captions if _part(c) in doc.parts]
    readers = {key: PdfReader(io.BytesIO(as_pdf(part))) for key, part in sorted(doc.parts.items())}
    placeholders = {c.anchor: _placeholder(readers[_part(c)]) for c in held}
    html = as_html(doc, placeholders=placeholders)
    identifier = pdf_identifier(doc, html)
    main = PdfReader(io.BytesIO(html_to_pdf(doc, html, identifier, tagged=False)))
    starts = _first_pages(main, [c.anchor for c in held])
    writer = PdfWriter(clone_from=main)
    for caption in held:
        for k, page in enumerate(readers[_part(caption)].pages):
            _draw_onto(writer.pages[starts[caption.anchor] + k], page, writer)
        _mark_cells(writer, caption, doc.parts[_part(caption)], starts[caption.anchor])
    return finished(writer, identifier)


def _mark_cells(writer: PdfWriter, caption: CaptionEntry, part: Document, start: int) -> None:
    """A named destination on each cell that shows a statistic, under the anchor the trace
    gives it (as a document laid out in HTML has one on the cell)."""
    from pypdf.generic import Fit

    from submission_kit.writers.pdf_tlf import cell_marks, faces_of, table_of

    model = table_of(part)
    if model is None or not any(key for row in model.rows for key in row.keys):
        return  # a figure, or a table without results keys (a listing)
    faces = faces_of(part)
    if faces is None:  # a table WeasyPrint drew (a fallback font)
        return
    for k, marks in enumerate(cell_marks(part, model, faces)):
        height = float(writer.pages[start + k].mediabox.height)
        for row, column, x, top in marks:
            writer.add_named_destination(cell_anchor(caption.anchor, row, column), start + k,
                                         Fit.xyz(round(x, 2), round(height - top, 2)))


def _draw_onto(target: PageObject, source: PageObject, writer: PdfWriter) -> None:
    """The TLF page's content and resources become the empty page's own. The page object
    stays the same, so the contents, bookmarks and links that point at it stay valid. This
    is merge_page for a page that draws nothing (placeholder pages have no margin boxes):
    merge_page rewrites both pages' resources and streams, minutes and gigabytes for a
    10,000-subject book; cloning is linear in what the TLF page holds."""
    for key in ("/Contents", "/Resources"):
        value = source.raw_get(key) if key in source else None
        if value is None:
            target.pop(NameObject(key), None)
        else:
            target[NameObject(key)] = value.clone(writer)


def _placeholder(reader: PdfReader) -> Placeholder:
    box = reader.pages[0].mediabox
    return Placeholder(len(reader.pages), float(box.width), float(box.height))


def _first_pages(reader: PdfReader, anchors: list[str]) -> Mapping[str, int]:
    """The page each output's placeholder starts on (its anchor's named destination)."""
    named = reader.named_destinations
    pages = {a: reader.get_destination_page_number(named[a]) for a in anchors if a in named}
    found = {a: page for a, page in pages.items() if page is not None}
    if len(found) != len(anchors):  # a bug, not the user's input: the HTML put them there
        raise AssertionError(f"placeholders without a destination: {set(anchors) - set(found)}")
    return found
