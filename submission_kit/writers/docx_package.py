"""Package-level parts of the DOCX writer: main part swap, core properties, settings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.oxml import serialize_part_xml
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from lxml import etree

from submission_kit.documents.model import Document
from submission_kit.errors import UserError
from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import TableModel

_NO_DATE = date(2000, 1, 1)
_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def replace_body(word: DocxDocument, body_xml: str) -> None:
    """Parse the whole main part at once and swap it in. Moving a parsed body into the
    template's tree makes lxml reconcile namespaces node by node (~25 s for 4,000 rows)."""
    root = word.element
    body = root.body
    for child in list(body):
        body.remove(child)
    shell = etree.tostring(root, encoding="unicode")
    head, tail = shell.split("<w:body/>")
    word.part._element = parse_xml(f"{head}<w:body>{body_xml}</w:body>{tail}")


def main_part(word: DocxDocument, body_xml: Iterable[str | bytes]) -> tuple[str, list[bytes]]:
    """(zip entry name, its bytes in pieces) of the main part with the pieces of `body_xml` as
    its body, spliced as text into the template's serialized shell and never parsed: for a
    5,000-row listing, parsing and re-serializing its 17 MB of XML took longer than building
    it. The body in `word` is left empty; the caller puts these bytes in its place
    (docx_ooxml.normalize_zip). Every text in `body_xml` went through `esc` / `esc_text`, so
    it is well formed by construction (the tests parse what they read back), and the bytes
    are those lxml would have written."""
    body = word.element.body
    for child in list(body):
        body.remove(child)
    head, tail = serialize_part_xml(word.element).split(b"<w:body/>")
    return word.part.partname.membername, [
        head, b"<w:body>", *(p if isinstance(p, bytes) else p.encode() for p in body_xml),
        b"</w:body>", tail]


_APP_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>submission-kit</Application><DocSecurity>0</DocSecurity>"
    "<ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate>"
    "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged></Properties>"
)


def set_app_properties(word: DocxDocument) -> None:
    """Replace the template's app.xml, which names "Microsoft Macintosh Word" as the producer
    and carries stale page and word counts."""
    for part in word.part.package.iter_parts():
        if str(part.partname) == "/docProps/app.xml":
            part._blob = _APP_XML.encode()


def set_core_properties(word: DocxDocument, doc: Document,
                        standalone: TableModel | FigureModel | None) -> None:
    """Document properties from the study; both dates are the data cutoff, never the clock.
    A standalone TLF file is titled by its own title lines."""
    stamp = _cutoff(doc)
    props = word.core_properties
    props.title = " ".join(standalone.title) if standalone else doc.title_page.title
    props.subject = doc.subject
    props.author = doc.author
    props.keywords = doc.keywords
    props.language = doc.language
    props.comments = ""
    props.category = ""
    props.created = stamp
    props.modified = stamp
    props.revision = 1
    props.last_modified_by = doc.author


def _cutoff(doc: Document) -> datetime:
    try:
        day = date.fromisoformat(doc.date_iso) if doc.date_iso else _NO_DATE
    except ValueError:
        raise UserError(f"document {doc.id!r}: date_iso {doc.date_iso!r} is not a "
                        "YYYY-MM-DD date") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# CT_Settings children that must follow w:updateFields (ECMA-376 schema order).
_AFTER_UPDATE_FIELDS = {
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
    "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
    "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol",
    "listSeparator",
}


def set_update_fields(word: DocxDocument) -> None:
    """Ask Word to refresh fields (TOC page numbers, NUMPAGES) when the file is opened."""
    settings = word.settings.element
    element = parse_xml(f'<w:updateFields {nsdecls("w")} w:val="true"/>')
    for child in settings:
        if isinstance(child.tag, str) and child.tag.split("}")[-1] in _AFTER_UPDATE_FIELDS:
            child.addprevious(element)
            return
    settings.append(element)


def drop_template_leftovers(word: DocxDocument) -> None:
    """The template's thumbnail shows a blank page and its stylesWithEffects part carries the
    old blue theme styles; neither describes this document."""
    for rels, reltype in ((word.part.package.rels, RT.THUMBNAIL),
                          (word.part.rels, _STYLES_WITH_EFFECTS)):
        for rid, rel in list(rels.items()):
            if rel.reltype == reltype:
                del rels[rid]
