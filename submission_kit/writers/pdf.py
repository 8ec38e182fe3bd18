"""Document -> PDF through WeasyPrint: FDA-ready and byte-identical across runs.

Determinism (DESIGN.md §3, §6): the PDF identifier is a hash of the document, the info dates
come from `Document.date_iso`, and `SOURCE_DATE_EPOCH` is set from the same date while
WeasyPrint renders, because fontTools stamps each subset font's `head` table with the current
time otherwise. The previous environment is restored afterwards.

FDA rules (reference/regulatory.md §7): PDF 1.7, fonts embedded (subsets), text searchable, no
encryption, JavaScript or attachments, bookmarks for headings, tables and figures, and the file
opens on the bookmarks panel (`/PageMode /UseOutlines`, which WeasyPrint does not set).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pydyf

from submission_kit.documents.model import Document
from submission_kit.errors import UserError
from submission_kit.writers.html import as_html

with warnings.catch_warnings():
    # WeasyPrint 70 warns on import when libharfbuzz-subset is missing, then subsets fonts with
    # fontTools, which is the pinned, measured path (DESIGN.md §6; pinned_epoch below).
    warnings.filterwarnings("ignore", "HarfBuzz-Subset will be required", DeprecationWarning)
    import weasyprint

PDF_VERSION = "1.7"
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


def _finish(_document: Any, pdf: pydyf.PDF) -> None:
    """Open on the bookmarks panel and show the document title in the window bar."""
    pdf.catalog["PageMode"] = "/UseOutlines"
    pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})


def as_pdf(doc: Document) -> bytes:
    """The document as PDF bytes; the same Document always gives the same bytes."""
    html = as_html(doc)
    with pinned_epoch(source_date_epoch(doc)):
        data = weasyprint.HTML(string=html).write_pdf(
            finisher=_finish,
            pdf_identifier=pdf_identifier(doc, html),
            pdf_version=PDF_VERSION,
        )
    assert isinstance(data, bytes)
    return data


def write_pdf(doc: Document, path: Path | str) -> Path:
    path = Path(path)
    path.write_bytes(as_pdf(doc))
    return path
