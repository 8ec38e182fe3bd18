"""Markdown (CommonMark + pipe tables) -> document blocks, via markdown-it-py's token stream.

Directives use fenced blocks in the MyST style, which any Markdown viewer still shows sanely:

    ```{table} 14.1.3          ```{figure} 14.2.1          ```{toc}
    ```                        ```                         ```

plus {list-of-tables}, {list-of-figures} and {pagebreak}. A heading ending in "{-}" is not
numbered (front matter). A thematic break (---) is a page break.
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from submission_kit.documents.model import (
    Block,
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
    Text,
    heading_anchor,
)
from submission_kit.documents.results_view import split_traced
from submission_kit.errors import UserError

_PARSER = MarkdownIt("commonmark", {"html": False}).enable("table")


def parse_markdown(text: str, source: str = "") -> tuple[Block, ...]:
    tokens = _PARSER.parse(text)
    blocks, end = _blocks(tokens, 0, len(tokens), set(), source)
    assert end == len(tokens)
    return tuple(blocks)


def _blocks(tokens: Sequence[Token], i: int, stop: int, anchors: set[str], source: str
            ) -> tuple[list[Block], int]:
    out: list[Block] = []
    while i < stop:
        tok = tokens[i]
        if tok.type == "heading_open":
            out.append(_heading(tokens[i + 1], int(tok.tag[1]), anchors))
            i += 3
        elif tok.type == "paragraph_open":
            out.append(Paragraph(_inlines(tokens[i + 1].children or [])))
            i += 3
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            close = _matching_close(tokens, i)
            out.append(_list(tokens, i, close, anchors, source))
            i = close + 1
        elif tok.type == "table_open":
            close = _matching_close(tokens, i)
            out.append(_simple_table(tokens[i:close + 1]))
            i = close + 1
        elif tok.type == "fence":
            out.append(_directive(tok, source))
            i += 1
        elif tok.type == "hr":
            out.append(PageBreak())
            i += 1
        else:  # code blocks, html: nothing a regulatory document should carry
            i += 1
    return out, i


def _heading(inline: Token, level: int, anchors: set[str]) -> Heading:
    children = list(inline.children or [])
    numbered = True
    if children and children[-1].type == "text" and children[-1].content.rstrip().endswith("{-}"):
        last = children[-1]
        children[-1] = Token("text", "", 0, content=last.content.rstrip()[:-3].rstrip())
        numbered = False
    inlines = _inlines(children)
    text = "".join(i.text for i in inlines)
    return Heading(level, inlines, heading_anchor(text, anchors), numbered)


def _matching_close(tokens: Sequence[Token], start: int) -> int:
    depth = 0
    for j in range(start, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    raise AssertionError("unbalanced Markdown tokens")


def _list(tokens: Sequence[Token], start: int, close: int, anchors: set[str], source: str
          ) -> ListBlock:
    items: list[tuple[Block, ...]] = []
    i = start + 1
    while i < close:
        item_close = _matching_close(tokens, i)
        blocks, _ = _blocks(tokens, i + 1, item_close, anchors, source)
        items.append(tuple(blocks))
        i = item_close + 1
    ordered = tokens[start].type == "ordered_list_open"
    first = int(tokens[start].attrGet("start") or 1) if ordered else 1
    return ListBlock(ordered, tuple(items), first)


def _simple_table(tokens: Sequence[Token]) -> SimpleTable:
    header: list[tuple[Inline, ...]] = []
    rows: list[list[tuple[Inline, ...]]] = []
    in_head = False
    for tok in tokens:
        if tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open" and not in_head:
            rows.append([])
        elif tok.type == "inline":
            cell = _inlines(tok.children or [])
            (header.append(cell) if in_head else rows[-1].append(cell))
    return SimpleTable(tuple(header), tuple(tuple(r) for r in rows))


def _directive(tok: Token, source: str) -> Block:
    info = tok.info.strip()
    name, _, arg = info.partition(" ")
    arg = arg.strip()
    simple: dict[str, Block] = {"{toc}": TableOfContents(), "{list-of-tables}": ListOfTables(),
              "{list-of-figures}": ListOfFigures(), "{pagebreak}": PageBreak()}
    if name in simple:
        return simple[name]
    if name == "{table}" and arg:
        return TableRef(arg)
    if name == "{figure}" and arg:
        return FigureRef(arg)
    raise UserError(f"{source} line {tok.map[0] + 1 if tok.map else '?'} of the rendered "
                    f"Markdown: unknown directive {info!r}; use {{table}} ID, {{figure}} ID, "
                    "{toc}, {list-of-tables}, {list-of-figures} or {pagebreak}")


def _inlines(children: Sequence[Token]) -> tuple[Inline, ...]:
    out: list[Inline] = []
    bold = italic = False
    href = ""
    for tok in children:
        kind = tok.type
        if kind == "text" or kind == "html_inline":
            out += [Text(t, bold, italic, href=href, anchor=a)
                    for t, a in split_traced(tok.content)]
        elif kind == "code_inline":
            out += [Text(t, bold, italic, code=True, href=href, anchor=a)
                    for t, a in split_traced(tok.content)]
        elif kind in ("softbreak", "hardbreak"):
            out.append(Text(" " if kind == "softbreak" else "\n", bold, italic, href=href))
        elif kind in ("strong_open", "strong_close"):
            bold = kind == "strong_open"
        elif kind in ("em_open", "em_close"):
            italic = kind == "em_open"
        elif kind == "link_open":
            href = str(tok.attrGet("href") or "")
        elif kind == "link_close":
            href = ""
    return tuple(_merge(out))


def _merge(items: list[Text]) -> list[Text]:
    """Join neighbours with the same formatting: fewer runs, identical output."""
    merged: list[Text] = []
    for item in items:
        if not item.text:
            continue
        last = merged[-1] if merged else None
        if last and not (last.anchor or item.anchor) and (
                last.bold, last.italic, last.code, last.href) == (
                item.bold, item.italic, item.code, item.href):
            merged[-1] = Text(last.text + item.text, last.bold, last.italic, last.code,
                              last.superscript, last.href)
        else:
            merged.append(item)
    return merged
