"""Document -> HTML with the print stylesheet embedded: the input to the PDF writer.

Two passes. The first (`plan`) numbers the headings ("1", "1.1", ...) and the tables and
figures ("Table 3: ..."), and gives each caption an anchor and a bookmark level one below the
heading it follows, so a table of contents or list of tables can come before what it lists.
The second renders the blocks. Everything taken from the model is escaped.

A Document without a title (`title_page.title == ""`) is a standalone TLF: no title page, and
each table or figure shows its own title lines instead of a numbered caption.
"""

from __future__ import annotations

from collections.abc import Iterator
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
from submission_kit.errors import UserError
from submission_kit.figures.model import figure_file_stem
from submission_kit.tables.model import table_file_stem
from submission_kit.writers.html_tlf import (
    Caption,
    Kind,
    caption_label,
    esc,
    figure_html,
    standalone_label,
    table_html,
)
from submission_kit.writers.print_css import stylesheet


@dataclass(frozen=True, slots=True)
class Plan:
    numbers: dict[str, str]  # heading anchor -> "2.1" ("" when not numbered)
    headings: tuple[Heading, ...]
    captions: tuple[Caption, ...]  # tables and figures in document order
    standalone: bool


def walk(blocks: tuple[Block, ...]) -> Iterator[Block]:
    """Every block in document order, list items included."""
    for block in blocks:
        yield block
        if isinstance(block, ListBlock):
            for item in block.items:
                yield from walk(item)


def _heading_number(counters: list[int], level: int) -> str:
    counters[level - 1] += 1
    counters[level:] = [0] * (6 - level)
    return ".".join(str(n) for n in counters[:level])


def _caption(doc: Document, block: TableRef | FigureRef, count: int, level: int,
             taken: set[str]) -> Caption:
    kind: Kind = "table" if isinstance(block, TableRef) else "figure"
    ref_id = block.table_id if isinstance(block, TableRef) else block.figure_id
    pool = doc.tables if kind == "table" else doc.figures
    if ref_id not in pool:
        raise UserError(f"document {doc.id!r}: {kind} {ref_id!r} is referenced but not provided")
    model = pool[ref_id]
    base = table_file_stem(ref_id) if kind == "table" else figure_file_stem(ref_id)
    anchor, i = base, 2
    while anchor in taken:
        anchor, i = f"{base}_{i}", i + 1
    taken.add(anchor)
    standalone = not doc.title_page.title
    label = standalone_label(model) if standalone else caption_label(kind, count, model)
    return Caption(kind, ref_id, anchor, count, label, min(level + 1, 6))


def plan(doc: Document) -> Plan:
    counters, numbers, headings = [0] * 6, {}, []
    captions: list[Caption] = []
    counts = {"table": 0, "figure": 0}
    taken: set[str] = set()
    level = 0
    for block in walk(doc.blocks):
        if isinstance(block, Heading):
            level = _level(block)
            numbers[block.anchor] = _heading_number(counters, level) if block.numbered else ""
            headings.append(block)
            taken.add(block.anchor)
        elif isinstance(block, TableRef | FigureRef):
            kind = "table" if isinstance(block, TableRef) else "figure"
            counts[kind] += 1
            captions.append(_caption(doc, block, counts[kind], level, taken))
    return Plan(numbers, tuple(headings), tuple(captions), not doc.title_page.title)


def _inlines_of(block: Block) -> Iterator[Inline]:
    if isinstance(block, Heading | Paragraph):
        yield from block.inlines
    elif isinstance(block, SimpleTable):
        for row in (block.header, *block.rows):
            for cell in row:
                yield from cell


def check_links(doc: Document, document_plan: Plan) -> None:
    """Every internal link ('#anchor') must land on a heading, table or figure."""
    anchors = {h.anchor for h in document_plan.headings}
    anchors |= {c.anchor for c in document_plan.captions}
    for block in walk(doc.blocks):
        for inline in _inlines_of(block):
            if inline.href.startswith("#") and inline.href[1:] not in anchors:
                raise UserError(
                    f"document {doc.id!r}: link {inline.href!r} (text {inline.text!r}) "
                    "points to no heading, table or figure in the document"
                )


def _level(heading: Heading) -> int:
    return min(max(heading.level, 1), 6)


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
    return out


def inlines_html(inlines: tuple[Inline, ...]) -> str:
    return "".join(inline_html(i) for i in inlines)


# ---- blocks -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Render:
    doc: Document
    plan: Plan
    captions: Iterator[Caption]


def heading_html(block: Heading, number: str) -> str:
    level = _level(block)
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


def toc_html(block: TableOfContents, plan: Plan) -> str:
    entries = []
    for h in plan.headings:
        if _level(h) > block.depth:
            continue
        number = plan.numbers.get(h.anchor, "")
        num = f'<span class="entry-number">{esc(number)}</span> ' if number else ""
        entries.append(
            f'<li class="toc-{_level(h)}"><a href="#{esc(h.anchor)}">{num}{esc(h.text)}</a></li>'
        )
    return _contents("toc", block.title, entries)


def captions_list_html(kind: Kind, title: str, plan: Plan) -> str:
    entries = [
        f'<li class="toc-2"><a href="#{esc(c.anchor)}">{esc(c.label)}</a></li>'
        for c in plan.captions
        if c.kind == kind
    ]
    return _contents("lot" if kind == "table" else "lof", title, entries)


def block_html(block: Block, ctx: _Render) -> str:
    match block:
        case Heading():
            return heading_html(block, ctx.plan.numbers.get(block.anchor, ""))
        case Paragraph():
            return f"<p>{inlines_html(block.inlines)}</p>"
        case ListBlock():
            return list_html(block, ctx)
        case TableRef():
            return table_html(ctx.doc.tables[block.table_id], next(ctx.captions),
                              ctx.plan.standalone)
        case FigureRef():
            return figure_html(ctx.doc.figures[block.figure_id], next(ctx.captions),
                               ctx.plan.standalone, ctx.doc.style.page)
        case PageBreak():
            return '<div class="page-break"></div>'
        case TableOfContents():
            return toc_html(block, ctx.plan)
        case ListOfTables():
            return captions_list_html("table", block.title, ctx.plan)
        case ListOfFigures():
            return captions_list_html("figure", block.title, ctx.plan)
        case SimpleTable():
            return simple_table_html(block)
    raise TypeError(f"unknown block type {type(block).__name__}")


def _is_landscape(block: Block, doc: Document) -> bool:
    if isinstance(block, TableRef):
        return doc.tables[block.table_id].orientation == "landscape"
    if isinstance(block, FigureRef):
        return doc.figures[block.figure_id].orientation == "landscape"
    return False


def blocks_html(blocks: tuple[Block, ...], ctx: _Render) -> str:
    """Blocks in order; headings just before a landscape output go onto its landscape page."""
    out: list[str] = []
    headings: list[str] = []
    for block in blocks:
        html = block_html(block, ctx)
        if isinstance(block, Heading):
            headings.append(html)
            continue
        if headings and _is_landscape(block, ctx.doc):
            out.append('<div class="landscape-lead">' + "".join(headings) + html + "</div>")
        else:
            out += [*headings, html]
        headings = []
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


def document_title(doc: Document) -> str:
    """Title page title; for a standalone TLF its title lines; else the document id."""
    if doc.title_page.title:
        return doc.title_page.title
    for block in walk(doc.blocks):
        if isinstance(block, TableRef) and block.table_id in doc.tables:
            return standalone_label(doc.tables[block.table_id])
        if isinstance(block, FigureRef) and block.figure_id in doc.figures:
            return standalone_label(doc.figures[block.figure_id])
    return doc.id


def head_html(doc: Document) -> str:
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
        f'<head>\n<meta charset="utf-8">\n<title>{esc(document_title(doc))}</title>\n{tags}'
        f"<style>\n{stylesheet(doc)}</style>\n</head>"
    )


def as_html(doc: Document) -> str:
    """The whole document as one self-contained HTML page (stylesheet and images inline)."""
    document_plan = plan(doc)
    check_links(doc, document_plan)
    ctx = _Render(doc, document_plan, iter(document_plan.captions))
    front = "" if document_plan.standalone else title_page_html(doc.title_page)
    kind = "tlf" if document_plan.standalone else "document"
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(doc.language)}">\n{head_html(doc)}\n'
        f'<body class="{kind}">\n{front}\n{blocks_html(doc.blocks, ctx)}\n</body>\n</html>\n'
    )
