"""Document -> PDF: FDA-ready and byte-identical across runs.

A standalone table (TLF) is drawn straight from its pagination model (pdf_tlf: WeasyPrint's
per-cell layout cost ~20 ms of CPU per listing row, the direct drawing well under 1 ms); every
other document, figure, and a table whose text the study font cannot draw, goes through
WeasyPrint from the HTML writer's output.

Determinism (DESIGN.md §3, §6): the PDF identifier is a hash of the document (its HTML, or a
drawn table's pages), the info dates come from `Document.date_iso`, and `SOURCE_DATE_EPOCH` is
set from the same date while WeasyPrint renders, because fontTools stamps each subset font's
`head` table with the current time otherwise (pdf_fonts keeps the font's own date instead).
The previous environment is restored afterwards.

FDA rules (reference/regulatory.md §7): PDF 1.7, fonts embedded (subsets), text searchable, no
encryption, JavaScript or attachments, bookmarks for headings, tables and figures, and the file
opens on the bookmarks panel (`/PageMode /UseOutlines`, which WeasyPrint does not set).

Accessibility: what WeasyPrint renders is a tagged PDF, WeasyPrint's PDF/UA-1 variant (PDF 1.7,
a structure tree of headings, paragraphs, lists, tables with header cells, figures with their
alt text, links; /MarkInfo, the document language, XMP metadata naming PDF/UA-1), so screen
readers and Acrobat's accessibility check can read it. Two kinds of file stay untagged: a
standalone table drawn directly (pdf_tlf draws text, no structure), and a long table rendered
in chunks (joining the chunks with pypdf would not join their structure trees).

Fetching (DESIGN.md §3): the HTML is self-contained (stylesheet inline, figures as data: URLs),
so WeasyPrint gets a fetcher that serves data: URLs and nothing else. Any other request (a file,
a network address, a relative path) can only come from text that escaped its escaping or from a
bug, so it stops the build with the URL named instead of quietly rendering without the resource
(or with it). The finished PDF is then checked for attachments and JavaScript.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import threading
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pydyf

from submission_kit.documents.model import Document
from submission_kit.errors import UserError
from submission_kit.writers.glyphs import require_glyphs
from submission_kit.writers.html import as_html
from submission_kit.writers.pdf_chunks import join_pdfs, page_chunks, render_chunks
from submission_kit.writers.pdf_tlf import faces_of, table_of, tlf_pdf
from submission_kit.writers.print_css import font_families

with warnings.catch_warnings():
    # WeasyPrint 70 warns on import when libharfbuzz-subset is missing, then subsets fonts with
    # fontTools, which is the pinned, measured path (DESIGN.md §6; pinned_epoch below).
    warnings.filterwarnings("ignore", "HarfBuzz-Subset will be required", DeprecationWarning)
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

PDF_VERSION = "1.7"
PDF_VARIANT = "pdf/ua-1"  # tagged, PDF 1.7: the FDA's ceiling is also PDF/UA-1's version
# Relative URLs resolve against this; its scheme is one the fetcher refuses, and it names no
# folder, so a relative reference can neither reach the file system nor pass unnoticed.
BASE_URL = "about:blank"
# Used when a document has no date: a fixed instant, never the clock.
FALLBACK_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest zip timestamp
_ENV_LOCK = threading.Lock()


def source_date_epoch(doc: Document) -> int:
    """Seconds since 1970 at midnight UTC of the document date (the data cutoff)."""
    if not doc.date_iso:
        return FALLBACK_EPOCH
    try:
        day = dt.date.fromisoformat(doc.date_iso)
    except ValueError as exc:
        raise UserError(
            f"document {doc.id!r}: date {doc.date_iso!r} is not an ISO date (YYYY-MM-DD)"
        ) from exc
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


@contextmanager
def pinned_epoch(epoch: int) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH for the duration of a render, then restore the environment.

    The lock keeps two threads from interleaving their settings; separate processes have
    separate environments.
    """
    with _ENV_LOCK:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
        try:
            yield
        finally:
            if before is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


def pdf_identifier(doc: Document, html: str) -> bytes:
    digest = hashlib.sha256(doc.id.encode("utf-8") + b"\0" + html.encode("utf-8"))
    return digest.hexdigest()[:32].encode("ascii")


# ---- fetching: the build's own assets only ----------------------------------------------------


class RefusedFetch(FatalURLFetchingError):
    """WeasyPrint catches ordinary fetch errors and renders without the resource; a
    FatalURLFetchingError is the one kind it lets through, which stops the render."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class OwnAssetsFetcher(URLFetcher):
    """Serves data: URLs (figures are embedded by the HTML writer) and refuses any other URL.

    data: URLs are decoded by urllib's DataHandler directly, not through an opener, so no proxy
    or network handler is ever involved. Refused URLs are also recorded: WeasyPrint swallows
    even a fatal fetch error in some places (an <image> inside an SVG), and the build must
    still fail.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False,
                         fail_on_errors=True)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url[:5].lower() != "data:":
            self.refused.append(url)
            raise RefusedFetch(url)
        with urllib.request.DataHandler().data_open(urllib.request.Request(url)) as response:
            body = response.read()
            content_type = response.headers.get("Content-Type", "text/plain")
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


# ---- no attachments, no JavaScript ----------------------------------------------------------

# Keys that carry an embedded file, JavaScript or an automatic action (reference/regulatory.md
# §7: no JavaScript, no attachments); names of actions and annotations that do the same.
_FORBIDDEN_KEYS = frozenset({"EmbeddedFiles", "EmbeddedFile", "EF", "JavaScript", "JS", "AA"})
_FORBIDDEN_NAMES = frozenset({"/FileAttachment", "/JavaScript", "/Launch", "/EmbeddedFile",
                              "/ImportData", "/SubmitForm", "/RichMedia", "/Sound", "/Movie"})


def _forbidden_in(value: Any, path: str) -> str | None:
    """Where in `value` a forbidden key or name sits, or None."""
    if isinstance(value, pydyf.Stream):
        value = value.extra
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _FORBIDDEN_KEYS:
                return f"{path}/{key}"
            if key in ("S", "Subtype", "Type") and item in _FORBIDDEN_NAMES:
                return f"{path}/{key} {item}"
            found = _forbidden_in(item, f"{path}/{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _forbidden_in(item, f"{path}[{i}]")
            if found:
                return found
    return None


def require_no_active_content(pdf: pydyf.PDF) -> None:
    """Raise (a bug, not a user error) if the PDF would carry an attachment or JavaScript."""
    for number, obj in enumerate(pdf.objects):
        found = _forbidden_in(obj, f"object {number}")
        if found:
            raise RuntimeError(f"the PDF would carry an attachment, JavaScript or an automatic "
                               f"action ({found}), which FDA PDF rules forbid")


def _finish(_document: Any, pdf: pydyf.PDF) -> None:
    """Open on the bookmarks panel and show the document title in the window bar; refuse
    active content."""
    pdf.catalog["PageMode"] = "/UseOutlines"
    pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})
    require_no_active_content(pdf)


# ---- the document ---------------------------------------------------------------------------


def _refused(doc: Document, url: str) -> UserError:
    return UserError(f"document {doc.id!r}: the PDF would load {url[:200]!r}; a document may "
                     "only use its own text and embedded figures, never a file or a network "
                     "address")


def html_to_pdf(doc: Document, html: str, identifier: bytes = b"", tagged: bool = True
                ) -> bytes:
    """Render the HTML of `doc`, a tagged PDF (PDF/UA-1) unless `tagged` is False; UserError
    naming the URL if it asks for anything external."""
    fetcher = OwnAssetsFetcher()
    try:
        with pinned_epoch(source_date_epoch(doc)):
            data = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf(
                finisher=_finish,
                pdf_identifier=identifier or pdf_identifier(doc, html),
                pdf_version=PDF_VERSION,
                pdf_variant=PDF_VARIANT if tagged else None,
            )
    except RefusedFetch as refused:
        raise _refused(doc, refused.url) from None
    if fetcher.refused:
        raise _refused(doc, fetcher.refused[0])
    assert isinstance(data, bytes)
    return data


def direct_pdf(doc: Document) -> bytes | None:
    """A standalone table drawn straight from its pagination (pdf_tlf), or None when the study
    font cannot draw all of it (WeasyPrint then renders it with the fallback fonts)."""
    model = table_of(doc)
    faces = faces_of(doc) if model is not None else None
    if model is None or faces is None:
        return None
    pdf, identifier = tlf_pdf(doc, model, faces)
    require_no_active_content(pdf)
    out = io.BytesIO()
    pdf.write(out, version=PDF_VERSION.encode("ascii"), identifier=identifier, compress=True)
    return out.getvalue()


def weasyprint_pdf(doc: Document) -> bytes:
    """The document rendered from its HTML by WeasyPrint; a long standalone table in chunks of
    pages, in parallel processes, then joined."""
    chunks = page_chunks(doc)
    if len(chunks) <= 1:
        return html_to_pdf(doc, as_html(doc))
    htmls = [as_html(doc, pages=chunk) for chunk in chunks]
    identifier = pdf_identifier(doc, "\0".join(htmls))
    return join_pdfs(render_chunks(doc, htmls, identifier), identifier)


def as_pdf(doc: Document) -> bytes:
    """The document as PDF bytes; the same Document always gives the same bytes. A standalone
    table is drawn directly when its font allows (direct_pdf), anything else by WeasyPrint."""
    require_glyphs(doc, font_families(doc.style))
    if doc.parts:  # a book of outputs: their stand-alone pages behind its own
        from submission_kit.writers.pdf_assembled import assembled_pdf

        return assembled_pdf(doc)
    direct = direct_pdf(doc)
    return direct if direct is not None else weasyprint_pdf(doc)


def write_pdf(doc: Document, path: Path | str) -> Path:
    path = Path(path)
    path.write_bytes(as_pdf(doc))
    return path
