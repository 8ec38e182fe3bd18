"""Long standalone tables to PDF in chunks of pages, rendered in parallel and joined.

Only for a table WeasyPrint renders: one whose text the study font cannot draw (pdf_tlf draws
every other standalone table directly, far faster than any chunking could make WeasyPrint).
WeasyPrint's layout time grows faster than the page count and uses one core. Pagination is
known before rendering (tables.paginate), so a long TLF is cut into chunks of whole pages, each
chunk is rendered on its own (in worker processes when there are cores to spare), and the
PDFs are joined with pypdf. Each page states its own "Page x of y" (print_css), so a chunk
needs no page counter of the whole. The joined file keeps the bookmark (it sits on the first
page), every chunk's embedded font subsets, the catalog settings of the first chunk (opens on
the bookmarks panel, document title, language) and its info dates, and gets the identifier of
the whole document: the same input gives the same bytes.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

from submission_kit.documents.model import Document, TableRef
from submission_kit.documents.outline import is_standalone_tlf
from submission_kit.writers.tlf_layout import layout_of

if TYPE_CHECKING:
    from pypdf import PdfWriter

CHUNK_PAGES = 24  # pages per render: small enough to keep WeasyPrint's layout near-linear
MIN_PAGES = 2 * CHUNK_PAGES  # below this, one render beats starting processes
_KEPT_CATALOG = ("/PageMode", "/ViewerPreferences", "/Lang")


def page_chunks(doc: Document) -> list[range]:
    """Ranges of page numbers of a long standalone table; [] for anything else."""
    if not is_standalone_tlf(doc) or not isinstance(doc.blocks[0], TableRef):
        return []
    model = doc.tables[doc.blocks[0].table_id]
    pages = len(layout_of(model, doc.style).pages)
    if pages < MIN_PAGES:
        return []
    count = -(-pages // CHUNK_PAGES)
    size = -(-pages // count)
    return [range(start, min(start + size, pages)) for start in range(0, pages, size)]


def _render(doc: Document, html: str, identifier: bytes) -> bytes:
    from submission_kit.writers.pdf import html_to_pdf

    return html_to_pdf(doc, html, identifier, tagged=False)  # join_pdfs keeps no tags


def workers() -> int:
    """Processes to render with: the cores this process may use, but none from inside a
    worker process (a parallel build already spreads its files over the cores)."""
    if multiprocessing.parent_process() is not None:
        return 1
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def render_chunks(doc: Document, htmls: list[str], identifier: bytes) -> list[bytes]:
    """Each chunk's PDF, in order. Workers get the document without its tables: the HTML
    already holds them, and the render only needs its id and date."""
    light = replace(doc, tables={}, figures={})
    jobs = min(workers(), len(htmls))
    if jobs <= 1:
        return [_render(light, html, identifier) for html in htmls]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        return list(pool.map(_render, [light] * len(htmls), htmls, [identifier] * len(htmls)))


def join_pdfs(parts: list[bytes], identifier: bytes) -> bytes:
    """The chunks as one PDF 1.7 file with the first chunk's catalog settings and info."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    readers = [PdfReader(io.BytesIO(data)) for data in parts]
    writer = PdfWriter()
    for reader in readers:
        writer.append(reader, import_outline=True)
    first = readers[0]
    catalog = first.root_object
    for key in _KEPT_CATALOG:
        if key in catalog:
            writer._root_object[NameObject(key)] = catalog[key].clone(writer)
    if first.metadata:
        writer.add_metadata(dict(first.metadata))
    return finished(writer, identifier)


def finished(writer: PdfWriter, identifier: bytes) -> bytes:
    """A pypdf-written PDF as the writers promise it: PDF 1.7, the document's fixed
    identifier (byte-identical builds)."""
    from pypdf.generic import ArrayObject, ByteStringObject

    writer.pdf_header = "%PDF-1.7"
    writer._ID = ArrayObject([ByteStringObject(identifier), ByteStringObject(identifier)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
