"""A document's structure as stable JSON (`output/documents/<id>.json`): what QA compares.

Each block is listed in reading order with the section it sits in (the heading path, numbered
as both writers number it), so a change can be located as document → section → paragraph, and
tables and figures appear by id with their caption. Text only: layout and page breaks are the
writers' business and are not compared.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from submission_kit.documents.model import (
    Block,
    Document,
    FigureRef,
    Heading,
    ListBlock,
    Paragraph,
    SimpleTable,
    TableRef,
)
from submission_kit.documents.outline import Outline, outline_of


def _text(inlines: tuple[Any, ...]) -> str:
    return "".join(i.text for i in inlines)


def _entries(blocks: tuple[Block, ...], outline: Outline, captions: Iterator[Any],
             path: list[str], depth: int = 0) -> Iterator[dict[str, Any]]:
    """Blocks in reading order; `captions` is consumed in step with table and figure refs."""
    for block in blocks:
        if isinstance(block, Heading):
            number = outline.numbers.get(block.anchor, "")
            label = f"{number} {block.text}".strip()
            del path[block.level - 1:]
            path.extend([""] * (block.level - 1 - len(path)) + [label])
            yield {"kind": "heading", "level": block.level, "text": label,
                   "anchor": block.anchor}
        elif isinstance(block, Paragraph):
            yield {"kind": "paragraph", "text": _text(block.inlines)}
        elif isinstance(block, ListBlock):
            for n, item in enumerate(block.items, start=block.start):
                text = " ".join(_text(b.inlines) for b in item if isinstance(b, Paragraph))
                yield {"kind": "list-item", "marker": f"{n}." if block.ordered else "-",
                       "text": text, "depth": depth}
                nested = tuple(b for b in item if not isinstance(b, Paragraph))
                yield from _entries(nested, outline, captions, path, depth + 1)
        elif isinstance(block, TableRef | FigureRef):
            cap = next(captions)
            yield {"kind": cap.kind, "ref": cap.ref_id, "text": cap.label}
        elif isinstance(block, SimpleTable):
            rows = [block.header, *block.rows] if block.header else list(block.rows)
            yield {"kind": "simple-table",
                   "rows": [[_text(cell) for cell in row] for row in rows]}


def as_document_json(doc: Document) -> str:
    """Stable JSON: every block with its section path and its position within the section."""
    outline = outline_of(doc)
    path: list[str] = []
    blocks: list[dict[str, Any]] = []
    position: dict[str, int] = {}
    for entry in _entries(doc.blocks, outline, iter(outline.captions), path):
        section = " > ".join(p for p in path if p)
        position[section] = position.get(section, 0) + 1
        blocks.append({"section": section, "index": position[section], **entry})
    payload = {"document": doc.id, "title": doc.title_page.title,
               "subtitle": doc.title_page.subtitle, "title_lines": list(doc.title_page.lines),
               "blocks": blocks}
    return json.dumps(payload, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
