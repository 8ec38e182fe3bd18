"""Text that a writer cannot put into a file, refused before any writing starts.

XML 1.0 (DOCX parts, and the HTML that becomes the PDF) cannot carry most C0 control characters,
U+FFFE / U+FFFF or lone surrogates: lxml refuses them, Word calls such a file corrupt, and an
HTML parser silently drops or replaces them. The study loader already rejects them in study.toml;
this is the writers' own check, in one place, for every text of a `Document` (templates,
results and table models reach the writers by other roads). A control character is a mistake in
the source, so it is reported (where, and which character), never silently removed.

Link targets are checked here too: a document may link inside itself ('#anchor'), to the web
(http, https, mailto) or to another file of the submission by relative path (eCTD
cross-document links); any other scheme (file:, javascript:, data:) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from submission_kit.documents.model import (
    Document,
    Heading,
    Inline,
    ListOfFigures,
    ListOfTables,
    Paragraph,
    SimpleTable,
    TableOfContents,
)
from submission_kit.documents.outline import walk
from submission_kit.errors import UserError
from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import TableModel

# XML 1.0 Char excludes these; TAB, LF and CR are allowed (writers turn them into tabs/breaks).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
LINK_SCHEMES = frozenset({"http", "https", "mailto"})

Located = tuple[str, str]  # (where, text)


def codepoint(ch: str) -> str:
    """'U+00A0': how a character is named in messages."""
    return f"U+{ord(ch):04X}"


def require_xml_safe(text: str, where: str) -> str:
    """The text unchanged, or UserError naming where and the offending character."""
    found = _NOT_XML.search(text)
    if found:
        raise UserError(f"{where}: contains the control character {codepoint(found.group())}, "
                        "which cannot be written to a DOCX or PDF file; remove it at its source")
    return text


def checked(text: str) -> str:
    """Last line of defence inside the escaping functions, where only the text is known."""
    if _NOT_XML.search(text):
        require_xml_safe(text, f"text {text[:60]!r}")
    return text


def require_link(href: str, where: str) -> None:
    match = _SCHEME.match(href)
    if match and match.group(1).lower() not in LINK_SCHEMES:
        raise UserError(f"{where}: link {href[:80]!r} uses the scheme {match.group(1)!r}; "
                        "links may point inside the document (#...), to http(s) or mailto "
                        "addresses, or to another file of the submission by relative path")


# ---- every text of a document, with where it sits ----------------------------------------


def _inline_texts(inlines: tuple[Inline, ...], where: str) -> Iterator[Located]:
    for inline in inlines:
        yield where, inline.text


def _block_texts(doc: Document) -> Iterator[Located]:
    for block in walk(doc.blocks):
        if isinstance(block, Heading):
            yield from _inline_texts(block.inlines, f"heading {block.text[:40]!r}")
        elif isinstance(block, Paragraph):
            start = "".join(i.text for i in block.inlines)[:40]
            yield from _inline_texts(block.inlines, f"paragraph starting {start!r}")
        elif isinstance(block, SimpleTable):
            for r, row in enumerate((block.header, *block.rows)):
                for c, cell in enumerate(row):
                    yield from _inline_texts(cell, f"Markdown table row {r + 1} cell {c + 1}")
        elif isinstance(block, TableOfContents | ListOfTables | ListOfFigures):
            yield f"{type(block).__name__} title", block.title


def _table_texts(model: TableModel) -> Iterator[Located]:
    where = f"table {model.id}"
    yield from ((f"{where} title", t) for t in model.title)
    yield f"{where} stub header", model.stub_header
    yield from ((f"{where} column {c.key!r}", c.header) for c in model.columns)
    for i, row in enumerate(model.rows, start=1):
        yield f"{where} row {i} label", row.label
        yield from ((f"{where} row {i} ({row.label[:30]!r}) cell {j}", cell)
                    for j, cell in enumerate(row.cells, start=1))
    yield from ((f"{where} footnote", f) for f in model.footnotes)
    yield f"{where} source", model.source


def _table_strings(model: TableModel) -> Iterator[str]:
    """The texts of `_table_texts`, in its order, without naming where each sits: what a
    search over a long listing needs (the place is only worked out for a hit)."""
    yield from model.title
    yield model.stub_header
    yield from (c.header for c in model.columns)
    for row in model.rows:
        yield row.label
        yield from row.cells
    yield from model.footnotes
    yield model.source


def _figure_texts(model: FigureModel) -> Iterator[Located]:
    where = f"figure {model.id}"
    yield from ((f"{where} title", t) for t in model.title)
    yield from ((f"{where} footnote", f) for f in model.footnotes)
    yield f"{where} source", model.source


def _page_texts(doc: Document) -> Iterator[Located]:
    """The shown texts that are not a table's or a figure's own."""
    page = doc.title_page
    yield "running header", doc.running_header
    yield "running footer", doc.running_footer
    yield "title page", page.title
    yield "title page subtitle", page.subtitle
    yield "title page banner", page.banner
    yield from (("title page line", line) for line in page.lines)
    yield from _block_texts(doc)


def shown_texts(doc: Document) -> Iterator[Located]:
    """Every text a reader sees on a page: what the fonts must be able to draw."""
    yield from _page_texts(doc)
    for table in doc.tables.values():
        yield from _table_texts(table)
    for figure in doc.figures.values():
        yield from _figure_texts(figure)


def shown_strings(doc: Document) -> Iterator[str]:
    """The texts of `shown_texts`, in its order, without where each sits (cheaper for a long
    table: no place is formatted per cell)."""
    yield from (text for _, text in _page_texts(doc))
    for table in doc.tables.values():
        yield from _table_strings(table)
    for figure in doc.figures.values():
        yield from (text for _, text in _figure_texts(figure))


def metadata_texts(doc: Document) -> Iterator[Located]:
    """Texts that go into the file but are not drawn: properties, alt text, link targets."""
    yield from (("author", doc.author), ("subject", doc.subject), ("keywords", doc.keywords),
                ("language", doc.language), ("date", doc.date_iso))
    yield from ((f"figure {f.id} alt text", f.alt_text) for f in doc.figures.values())
    yield from (("link target", href) for href in links_of(doc))


def links_of(doc: Document) -> Iterator[str]:
    for block in walk(doc.blocks):
        inlines: list[Inline] = []
        if isinstance(block, Heading | Paragraph):
            inlines = list(block.inlines)
        elif isinstance(block, SimpleTable):
            inlines = [i for row in (block.header, *block.rows) for cell in row for i in cell]
        yield from (i.href for i in inlines if i.href)


def require_writable(doc: Document) -> None:
    """Every text of the document is XML-safe and every link has an allowed scheme."""
    prefix = f"document {doc.id!r}"
    # One search over all the text; where each text sits is only worked out for a hit.
    texts = [*shown_strings(doc), *(text for _, text in metadata_texts(doc))]
    if _NOT_XML.search("\n".join(texts)):
        for where, text in [*shown_texts(doc), *metadata_texts(doc)]:
            require_xml_safe(text, f"{prefix}: {where}")
    for href in links_of(doc):
        require_link(href, prefix)
