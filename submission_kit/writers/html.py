"""Document -> HTML with the print stylesheet embedded: the input to the PDF writer.

Heading numbers, caption numbers and labels and anchors come from the document's `Outline`
(shared with the DOCX writer), so a table of contents or list of tables can come before what
it lists. Everything taken from the model is escaped for where it lands: HTML text and
attributes here (html_tlf.esc), CSS strings in print_css; control characters and link schemes
are refused first (text_safety).

A standalone TLF (no title, one table or figure; `Outline.standalone`) has no title page, and
its table or figure shows its own title lines instead of a numbered caption.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import submission_kit
from submission_kit.documents.model import (
    Block,
    Document,
    FigureRef,
    Heading,
    Inline,
    ListBlock,
    ListOfFigures,
    ListOfTables,
    PageBreak,
    Paragraph,
    SimpleTable,
    TableOfContents,
    TableRef,
    TitlePage,
)
from submission_kit.documents.outline import (
    CaptionEntry,
    Kind,
    Outline,
    outline_of,
    walk,
)
from submission_kit.errors import UserError
from submission_kit.tables.model import TableModel
from submission_kit.writers.html_tlf import (
    esc,
    figure_html,
    standalone_label,
    table_html,
)
from submission_kit.writers.print_css import css_string, stylesheet
from submission_kit.writers.text_safety import require_writable
from submission_kit.writers.tlf_layout import layout_of


def _inlines_of(block: Block) -> Iterator[Inline]:
    if isinstance(block, Heading | Paragraph):
        yield from block.inlines
    elif isinstance(block, SimpleTable):
        for row in (block.header, *block.rows):
            for cell in row:
                yield from cell


def check_links(doc: Document, outline: Outline) -> None:
    """Every internal link ('#anchor') must land on a heading, table or figure."""
    anchors = outline.anchors()
    for block in walk(doc.blocks):
        for inline in _inlines_of(block):
            if inline.href.startswith("#") and inline.href[1:] not in anchors:
                raise UserError(
                    f"document {doc.id!r}: link {inline.href!r} (text {inline.text!r}) "
                    "points to no heading, table or figure in the document"
                )


# ---- inline text ----------------------------------------------------------------------------


def inline_html(inline: Inline) -> str:
    out = esc(inline.text)
    if inline.code:
        out = f"<code>{out}</code>"
    if inline.superscript:
        out = f"<sup>{out}</sup>"
    if inline.italic:
        out = f"<em>{out}</em>"
    if inline.bold:
        out = f"<strong>{out}</strong>"
    if inline.href:
        out = f'<a href="{esc(inline.href)}">{out}</a>'
    if inline.anchor:  # a traced number: WeasyPrint makes the id a PDF named destination
        out = f'<span id="{esc(inline.anchor)}">{out}</span>'
    return out


def inlines_html(inlines: tuple[Inline, ...]) -> str:
    return "".join(inline_html(i) for i in inlines)


# ---- blocks -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Render:
    doc: Document
    outline: Outline
    captions: Iterator[CaptionEntry]
    pages: range | None = None  # of a standalone TLF: render only these pages (a chunk)
    lead: int = 0  # headings right before the block being written
    last: CaptionEntry | None = None  # the table or figure written last
    # An assembled book (pdf_assembled): caption anchor -> the empty pages its TLF goes on.
    placeholders: Mapping[str, Placeholder] | None = None


@dataclass(frozen=True, slots=True)
class Placeholder:
    """The pages a stand-alone TLF file takes in an assembled book: how many, and their size."""

    pages: int
    width_pt: float
    height_pt: float

    @property
    def page_name(self) -> str:
        return f"tlf-{round(self.width_pt)}x{round(self.height_pt)}"


def placeholder_html(cap: CaptionEntry, space: Placeholder, leading: list[Heading],
                     ctx: _Render) -> str:
    """Empty pages for one output: the first carries its anchor and, as bookmarks without
    text, the headings that lead into it and its caption (the TLF page shows its own title)."""
    entries = {e.anchor: e for e in ctx.outline.headings}  # numbered and clamped as the TOC
    marks = [_mark(h.anchor, entries[h.anchor].level, entries[h.anchor].label) for h in leading]
    marks.append(_mark("", min(cap.level + 1, 6), cap.label))
    page = f'class="tlf-space {space.page_name}"'
    first = f'<div {page} id="{esc(cap.anchor)}">{"".join(marks)}</div>'
    return first + f"<div {page}></div>" * (space.pages - 1)


def _mark(anchor: str, level: int, label: str) -> str:
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return (f'<div class="tlf-mark"{ident} style="bookmark-level: {level}; '
            f'bookmark-label: {esc(css_string(label))}"></div>')


def placeholder_css(spaces: Mapping[str, Placeholder]) -> str:
    """One named page per TLF page size: no margins and no running header or footer (the
    TLF page brings its own)."""
    sizes = {s.page_name: s for s in spaces.values()}
    rules = [f"@page {name} {{ size: {s.width_pt:.2f}pt {s.height_pt:.2f}pt; margin: 0; "
             "@top-left { content: none; } @bottom-left { content: none; } "
             "@bottom-right { content: none; } }\n"
             f".{name} {{ page: {name}; }}" for name, s in sorted(sizes.items())]
    return "\n".join([".tlf-space { break-before: page; height: 1px; }",
                      ".tlf-mark { height: 0; }", *rules])


def heading_html(block: Heading, number: str) -> str:
    level = min(max(block.level, 1), 6)
    prefix = f'<span class="heading-number">{esc(number)}</span> ' if number else ""
    return f'<h{level} id="{esc(block.anchor)}">{prefix}{inlines_html(block.inlines)}</h{level}>'


def list_html(block: ListBlock, ctx: _Render) -> str:
    items = "".join(f"<li>{blocks_html(item, ctx)}</li>" for item in block.items)
    if not block.ordered:
        return f"<ul>{items}</ul>"
    start = f' start="{block.start}"' if block.start != 1 else ""
    return f"<ol{start}>{items}</ol>"


def simple_table_html(block: SimpleTable) -> str:
    head = "".join(f'<th scope="col">{inlines_html(c)}</th>' for c in block.header)
    rows = "".join(
        "<tr>" + "".join(f"<td>{inlines_html(c)}</td>" for c in row) + "</tr>"
        for row in block.rows
    )
    thead = f"<thead><tr>{head}</tr></thead>" if block.header else ""
    return f'<table class="simple">{thead}<tbody>{rows}</tbody></table>'


def _contents(css_class: str, title: str, entries: list[str]) -> str:
    heading = f'<p class="contents-title">{esc(title)}</p>' if title else ""
    items = "".join(entries)
    return f'<nav class="contents {css_class}">{heading}<ul>{items}</ul></nav>'


def toc_html(block: TableOfContents, outline: Outline) -> str:
    entries = []
    for h in outline.headings:
        if h.level > block.depth:
            continue
        num = f'<span class="entry-number">{esc(h.number)}</span> ' if h.number else ""
        entries.append(
            f'<li class="toc-{h.level}"><a href="#{esc(h.anchor)}">{num}{esc(h.text)}</a></li>'
        )
    return _contents("toc", block.title, entries)


def captions_list_html(kind: Kind, title: str, outline: Outline) -> str:
    entries = [
        f'<li class="toc-2"><a href="#{esc(c.anchor)}">{esc(c.label)}</a></li>'
        for c in outline.captions_of(kind)
    ]
    return _contents("lot" if kind == "table" else "lof", title, entries)


def output_html(cap: CaptionEntry, ctx: _Render) -> str:
    """The next table or figure in document order."""
    standalone = ctx.outline.standalone is not None
    ctx.last = cap
    if isinstance(cap.model, TableModel):
        return table_html(cap.model, cap, standalone, ctx.doc.style, ctx.pages, ctx.lead)
    return figure_html(cap.model, cap, standalone, ctx.doc.style.page)


def block_html(block: Block, ctx: _Render) -> str:
    match block:
        case Heading():
            return heading_html(block, ctx.outline.numbers.get(block.anchor, ""))
        case Paragraph():
            return f"<p>{inlines_html(block.inlines)}</p>"
        case ListBlock():
            return list_html(block, ctx)
        case TableRef() | FigureRef():
            return output_html(next(ctx.captions), ctx)
        case PageBreak():
            return '<div class="page-break"></div>'
        case TableOfContents():
            return toc_html(block, ctx.outline)
        case ListOfTables():
            return captions_list_html("table", block.title, ctx.outline)
        case ListOfFigures():
            return captions_list_html("figure", block.title, ctx.outline)
        case SimpleTable():
            return simple_table_html(block)
    raise TypeError(f"unknown block type {type(block).__name__}")


def _lead_class(block: Block, ctx: _Render, lead: int) -> str:
    """Headings right before a landscape output go onto its landscape page, and those before
    a table of several pages onto its first page (the pagination kept room for them)."""
    if not isinstance(block, TableRef | FigureRef) or ctx.last is None:
        return ""
    model = ctx.last.model
    if isinstance(model, TableModel):
        layout = layout_of(model, ctx.doc.style, ctx.last.label, lead)
        if layout.orientation == "landscape":
            return "landscape-lead"
        return "paged-lead" if len(layout.pages) > 1 else ""
    return "landscape-lead" if model.orientation == "landscape" else ""


def _by_placeholder(blocks: tuple[Block, ...], i: int, held: set[int]) -> bool:
    """Block i stands right after an output drawn as its own pages, or right before one
    (headings between). `held`: the positions of those outputs among the blocks."""
    after = i - 1 in held
    rest = [j for j in range(i + 1, len(blocks)) if not isinstance(blocks[j], Heading)]
    return after or (bool(rest) and rest[0] in held)


def _held_positions(blocks: tuple[Block, ...], ctx: _Render) -> set[int]:
    """Positions of the outputs that are empty pages for their stand-alone pages (the
    outline's captions are the output blocks, in order)."""
    if not ctx.placeholders:
        return set()
    outputs = [i for i, b in enumerate(blocks) if isinstance(b, TableRef | FigureRef)]
    return {i for i, cap in zip(outputs, ctx.outline.captions, strict=False)
            if cap.anchor in ctx.placeholders}


def blocks_html(blocks: tuple[Block, ...], ctx: _Render) -> str:
    """Blocks in order; headings that lead into an output are kept with it (_lead_class)."""
    out: list[str] = []
    headings: list[str] = []
    leading: list[Heading] = []
    held = _held_positions(blocks, ctx)
    for i, block in enumerate(blocks):
        ctx.lead = len(headings)
        if isinstance(block, PageBreak) and _by_placeholder(blocks, i, held):
            continue  # an output's pages are pages of their own: the break would be a blank page
        if i in held:
            cap = next(ctx.captions)
            assert ctx.placeholders is not None
            out.append(placeholder_html(cap, ctx.placeholders[cap.anchor], leading, ctx))
            headings, leading = [], []
            continue
        html = block_html(block, ctx)
        if isinstance(block, Heading):
            headings.append(html)
            leading.append(block)
            continue
        lead = _lead_class(block, ctx, len(headings)) if headings else ""
        if lead:
            out.append(f'<div class="{lead}">' + "".join(headings) + html + "</div>")
        else:
            out += [*headings, html]
        headings, leading = [], []
    return "\n".join(out + headings)


# ---- the document -----------------------------------------------------------------------------


def title_page_html(page: TitlePage) -> str:
    parts = []
    if page.banner:
        parts.append(f'<p class="banner">{esc(page.banner)}</p>')
    parts.append(f'<p class="doc-title">{esc(page.title)}</p>')
    if page.subtitle:
        parts.append(f'<p class="doc-subtitle">{esc(page.subtitle)}</p>')
    parts += [f'<p class="doc-line">{esc(line)}</p>' for line in page.lines]
    return f'<section class="title-page">{"".join(parts)}</section>'


def document_title(doc: Document, outline: Outline) -> str:
    """Title page title; for a standalone TLF its title lines; else the document id."""
    if outline.standalone is not None:
        return standalone_label(outline.standalone)
    return doc.title_page.title or doc.id


def style_element(css: str) -> str:
    """The stylesheet inline. Every study value in it is a CSS-escaped string, where '<' cannot
    occur; this refuses, as a bug, anything that would still end the element early."""
    if "</style" in css.lower():
        raise RuntimeError("the generated stylesheet contains '</style': a value escaped "
                           "its CSS escaping")
    return f"<style>\n{css}</style>"


def head_html(doc: Document, outline: Outline) -> str:
    meta = [
        ("author", doc.author),
        ("description", doc.subject),
        ("keywords", doc.keywords),
        ("generator", f"submission-kit {submission_kit.__version__}"),
        ("dcterms.created", doc.date_iso),
        ("dcterms.modified", doc.date_iso),
    ]
    tags = "".join(f'<meta name="{n}" content="{esc(v)}">\n' for n, v in meta if v)
    return (
        f'<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(document_title(doc, outline))}</title>\n{tags}"
        f"{style_element(stylesheet(doc))}\n</head>"
    )


def as_html(doc: Document, pages: range | None = None,
            placeholders: Mapping[str, Placeholder] | None = None) -> str:
    """The whole document as one self-contained HTML page (stylesheet and images inline);
    for a standalone table, `pages` keeps only those pages of it (the PDF writer renders long
    TLFs in chunks); with `placeholders`, each table and figure is empty pages for its
    stand-alone file (pdf_assembled)."""
    require_writable(doc)
    outline = outline_of(doc)
    check_links(doc, outline)
    ctx = _Render(doc, outline, iter(outline.captions), pages, placeholders=placeholders)
    front = title_page_html(doc.title_page) if doc.title_page.title else ""
    kind = "document" if outline.standalone is None else "tlf"
    head = head_html(doc, outline)
    if placeholders:
        head = head.replace("</head>", style_element(placeholder_css(placeholders)) + "\n</head>")
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(doc.language)}">\n{head}\n'
        f'<body class="{kind}">\n{front}\n{blocks_html(doc.blocks, ctx)}\n</body>\n</html>\n'
    )
