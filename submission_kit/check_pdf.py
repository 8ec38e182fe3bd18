"""Rule 1 of `submission-kit check`: each PDF of a build against the FDA PDF specification
(reference/regulatory.md §7, DESIGN.md §5). Read with pypdf; nothing is rendered.

Checked, each by its own function: PDF 1.4-1.7; no encryption; no JavaScript, attachment or
action that runs on opening (OpenAction other than "go to a page", AA) or launches something;
every font embedded (Type 3 fonts are drawn by the file itself, so they count as embedded);
every page Letter or A4 in either orientation; documents open on their bookmarks (an outline
and /PageMode /UseOutlines); file name of lowercase letters, digits and hyphens, at most 64
characters with its extension (the eCTD rule); at most 400 MB.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

from submission_kit.outputs import parse

Severity = Literal["error", "warning"]

MAX_PDF_BYTES = 400_000_000  # FDA: 400 MB per file (the decimal reading, the stricter one)
MAX_NAME = 64  # eCTD: a file name, extension included
PAGE_SIZES = {"Letter": (612.0, 792.0), "A4": (595.28, 841.89)}  # points
PAGE_TOLERANCE = 1.0  # points: writers round A4 to 595 x 842
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\.pdf")
# Actions that run something rather than move within the file (ISO 32000-1, 12.6.4).
_RUNNING_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/ResetForm",
                    "/Rendition", "/GoToE", "/RichMediaExecute", "/Sound", "/Movie"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that an artifact fails: the rule id, the file (build-relative) or artifact,
    what is wrong, and whether it blocks a submission (error) or is for the author to judge
    (warning)."""

    rule: str
    artifact: str
    message: str
    severity: Severity = "error"

    def as_json(self) -> dict[str, str]:
        return {"rule": self.rule, "artifact": self.artifact, "message": self.message,
                "severity": self.severity}


def pdf_findings(path: Path, rel: str, max_bytes: int = MAX_PDF_BYTES) -> list[Finding]:
    """Every rule-1 finding for one PDF; `rel` names it in the report."""
    found = file_name_findings(rel) + size_findings(rel, path.stat().st_size, max_bytes)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            found.append(Finding("pdf-security", rel, "encrypted (FDA: no password or "
                                                      "security settings)"))
            if not reader.decrypt(""):  # an owner password only: still readable
                return found
        found += version_findings(reader, rel)
        found += active_content_findings(reader, rel)
        found += font_findings(reader, rel)
        found += page_size_findings(reader, rel)
        if parse(rel).kind == "documents":
            found += bookmark_findings(reader, rel)
    except Exception as exc:  # a damaged file: pypdf raises many kinds of error
        found.append(Finding("pdf-readable", rel, f"cannot be read as a PDF: {exc}"))
    return found


def file_name_findings(rel: str) -> list[Finding]:
    name = rel.rsplit("/", 1)[-1]
    found = []
    if not _NAME.fullmatch(name):
        found.append(Finding("pdf-file-name", rel, f"file name {name!r}: use lowercase letters, "
                                                   "digits and hyphens only (eCTD)"))
    if len(name) > MAX_NAME:
        found.append(Finding("pdf-file-name", rel, f"file name has {len(name)} characters; "
                                                   f"eCTD allows {MAX_NAME} with the extension"))
    return found


def size_findings(rel: str, size: int, max_bytes: int = MAX_PDF_BYTES) -> list[Finding]:
    if size <= max_bytes:
        return []
    return [Finding("pdf-size", rel, f"{size:,} bytes; FDA accepts at most {max_bytes:,} bytes "
                                     "per file (split it)")]


def _version(text: object) -> tuple[int, int] | None:
    match = re.search(r"(\d+)\.(\d+)", str(text))
    return (int(match.group(1)), int(match.group(2))) if match else None


def version_findings(reader: PdfReader, rel: str) -> list[Finding]:
    """The header's version, or the catalog's /Version when that is later (ISO 32000-1,
    7.5.2)."""
    versions = [v for v in (_version(reader.pdf_header),
                            _version(_catalog(reader).get("/Version", ""))) if v]
    if not versions:
        return [Finding("pdf-version", rel, "no PDF version in the file header")]
    major, minor = max(versions)
    if (1, 4) <= (major, minor) <= (1, 7):
        return []
    return [Finding("pdf-version", rel, f"PDF {major}.{minor}; FDA accepts PDF 1.4 to 1.7")]


def _catalog(reader: PdfReader) -> DictionaryObject:
    root = reader.trailer["/Root"].get_object()
    assert isinstance(root, DictionaryObject)
    return root


def _dictionaries(reader: PdfReader) -> Iterator[tuple[int | None, DictionaryObject]]:
    """Every dictionary reachable from the catalog, once each, with the number of the
    indirect object that holds it (stream data is not read)."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[int | None, Any]] = [(None, reader.trailer["/Root"])]
    while stack:
        number, obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            number, obj = obj.idnum, obj.get_object()
        if isinstance(obj, DictionaryObject):  # streams too: their dictionaries
            yield number, obj
            stack.extend((number, value) for value in obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend((number, value) for value in obj)


def _active(d: DictionaryObject) -> Iterator[str]:
    """What in this dictionary runs code, attaches a file or acts on its own."""
    if "/JS" in d or d.get("/S") == "/JavaScript" or "/JavaScript" in d:
        yield "JavaScript"
    if "/EmbeddedFiles" in d or "/EF" in d or d.get("/Subtype") == "/FileAttachment":
        yield "an embedded file (attachment)"
    if "/AA" in d:
        yield "additional actions (/AA), which run on page or field events"
    action = d.get("/S")
    if isinstance(action, NameObject) and action in _RUNNING_ACTIONS - {"/JavaScript"}:
        yield f"a {action[1:]} action"


def active_content_findings(reader: PdfReader, rel: str) -> list[Finding]:
    """JavaScript, attachments and actions that run something, anywhere in the file; an
    /OpenAction is allowed only when it goes to a place in the document."""
    where: dict[str, int | None] = {}
    for number, d in _dictionaries(reader):
        for what in _active(d):
            where.setdefault(what, number)
    found = [Finding("pdf-active-content", rel,
                     f"contains {what}" + (f" (object {n})" if n is not None else "")
                     + "; FDA: no JavaScript, attachments or launching actions")
             for what, n in sorted(where.items())]
    opening = _catalog(reader).get("/OpenAction")
    if opening is not None:
        opening = opening.get_object()
        if isinstance(opening, DictionaryObject) and opening.get("/S") != "/GoTo":
            found.append(Finding("pdf-active-content", rel,
                                 f"/OpenAction runs a {str(opening.get('/S', '?'))[1:]} action "
                                 "when the file opens (only a go-to-page is allowed)"))
    return found


def _dict(obj: Any) -> DictionaryObject:
    """The dictionary an entry holds (through an indirect reference), or an empty one."""
    obj = obj.get_object() if obj is not None else None
    return obj if isinstance(obj, DictionaryObject) else DictionaryObject()


def _array(obj: Any) -> ArrayObject:
    obj = obj.get_object() if obj is not None else None
    return obj if isinstance(obj, ArrayObject) else ArrayObject()


def _fonts(resources: Any, seen: set[int]) -> Iterator[DictionaryObject]:
    """The fonts of a resource dictionary and of the forms, patterns and Type 3 glyphs it
    draws (each resource dictionary once)."""
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject) or id(resources) in seen:
        return
    seen.add(id(resources))
    for font in _dict(resources.get("/Font")).values():
        font = font.get_object()
        if isinstance(font, DictionaryObject):
            yield font
            yield from _fonts(font.get("/Resources"), seen)
    for group in ("/XObject", "/Pattern"):
        for child in _dict(resources.get(group)).values():
            child = child.get_object()
            if isinstance(child, DictionaryObject):
                yield from _fonts(child.get("/Resources"), seen)


def _appearance_resources(page: DictionaryObject) -> Iterator[Any]:
    """Resources of the appearance streams of a page's annotations (/AP: /N, /R, /D, each a
    stream or a dictionary of streams by state)."""
    for annot in _array(page.get("/Annots")):
        for entry in _dict(_dict(annot).get("/AP")).values():
            entry = entry.get_object()
            streams = [entry] if isinstance(entry, StreamObject) else _dict(entry).values()
            for stream in streams:
                yield _dict(stream).get("/Resources")


def is_embedded(font: DictionaryObject) -> bool:
    """A Type 3 font is its own glyph programs; a composite (Type 0) font keeps its
    descriptor on its descendant CIDFont; any other needs FontFile, FontFile2 or FontFile3."""
    if font.get("/Subtype") == "/Type3":
        return True
    if font.get("/Subtype") == "/Type0":
        descendants = _array(font.get("/DescendantFonts"))
        if not descendants:
            return False
        font = _dict(descendants[0])
    descriptor = _dict(font.get("/FontDescriptor"))
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def font_findings(reader: PdfReader, rel: str) -> list[Finding]:
    """Each font that is not embedded, by name, with the pages that use it."""
    missing: dict[str, list[int]] = {}
    for number, page in enumerate(reader.pages, 1):
        seen: set[int] = set()
        fonts = list(_fonts(page.get("/Resources"), seen))
        for resources in _appearance_resources(page):
            fonts += _fonts(resources, seen)
        for font in fonts:
            if not is_embedded(font):
                name = str(font.get("/BaseFont", "(unnamed)")).lstrip("/")
                if number not in missing.setdefault(name, []):
                    missing[name].append(number)
    return [Finding("pdf-fonts", rel, f"font {name} is not embedded (pages {_pages(pages)}); "
                                      "FDA: every font embedded")
            for name, pages in sorted(missing.items())]


def _pages(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:5]))
    return shown + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")


def paper(width: float, height: float) -> str | None:
    """'Letter' or 'A4' (either orientation), or None."""
    for name, (w, h) in PAGE_SIZES.items():
        for a, b in ((w, h), (h, w)):
            if abs(width - a) <= PAGE_TOLERANCE and abs(height - b) <= PAGE_TOLERANCE:
                return name
    return None


def page_size_findings(reader: PdfReader, rel: str) -> list[Finding]:
    odd: dict[tuple[float, float], list[int]] = {}
    for number, page in enumerate(reader.pages, 1):
        box = page.mediabox
        size = (round(float(box.width), 1), round(float(box.height), 1))
        if paper(*size) is None:
            odd.setdefault(size, []).append(number)
    return [Finding("pdf-page-size", rel, f"pages {_pages(pages)}: {w:g} x {h:g} pt, neither "
                                          "Letter (612 x 792) nor A4 (595 x 842)")
            for (w, h), pages in sorted(odd.items())]


def bookmark_findings(reader: PdfReader, rel: str) -> list[Finding]:
    found = []
    if not reader.outline:
        found.append(Finding("pdf-bookmarks", rel, "no bookmarks (outline); FDA: bookmarks "
                                                   "for every heading, table and figure"))
    if _catalog(reader).get("/PageMode") != "/UseOutlines":
        found.append(Finding("pdf-bookmarks", rel, "does not open on the bookmarks panel "
                                                   "(/PageMode is not /UseOutlines)"))
    return found
