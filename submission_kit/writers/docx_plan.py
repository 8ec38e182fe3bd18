"""Planning pass of the DOCX writer: heading numbers, caption numbers and bookmark names.

All of them are known before anything is written, because the table of contents and the lists
of tables and figures come first in a document but list what follows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from submission_kit.documents.model import Block, Document, FigureRef, Heading, ListBlock, TableRef
from submission_kit.errors import UserError
from submission_kit.figures.model import FigureModel, figure_file_stem
from submission_kit.tables.model import TableModel, table_file_stem


def is_standalone_tlf(doc: Document) -> bool:
    return (not doc.title_page.title and len(doc.blocks) == 1
            and isinstance(doc.blocks[0], TableRef | FigureRef))


def bookmark_name(anchor: str) -> str:
    """A Word-valid bookmark name: letters, digits, '_', starting with a letter, <= 40 chars.
    Internal links ('#anchor') go through the same function, so they always match."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", anchor)
    if not name[:1].isalpha():
        name = "b_" + name
    return name[:40]


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str  # "Heading" | "Table" | "Figure"
    level: int  # heading level; 0 for captions
    number: str  # "2.1" for a numbered heading, "3" for the third table caption
    label: str  # heading text, or caption text after "Table n: "
    anchor: str  # bookmark name

    @property
    def text(self) -> str:
        if self.kind == "Heading":
            return f"{self.number} {self.label}" if self.number else self.label
        return f"{self.kind} {self.number}: {self.label}"


@dataclass(frozen=True, slots=True)
class Plan:
    headings: dict[int, Entry]  # by index in Document.blocks
    captions: dict[int, Entry]

    def captions_of(self, kind: str) -> list[Entry]:
        return [e for e in self.captions.values() if e.kind == kind]


def plan_document(doc: Document) -> Plan:
    counters = [0] * 6
    seq = {"Table": 0, "Figure": 0}
    taken: set[str] = set()
    headings: dict[int, Entry] = {}
    captions: dict[int, Entry] = {}
    with_captions = not is_standalone_tlf(doc)
    for i, block in enumerate(doc.blocks):
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 6)
            number = _next_number(counters, level) if block.numbered else ""
            anchor = _unique(bookmark_name(block.anchor), taken)
            headings[i] = Entry("Heading", level, number, block.text, anchor)
        elif isinstance(block, TableRef | FigureRef) and with_captions:
            kind, model, stem = resolve(doc, block)
            seq[kind] += 1
            captions[i] = Entry(kind, 0, str(seq[kind]), _caption_label(model),
                                 _unique(stem, taken))
    return Plan(headings, captions)


def _next_number(counters: list[int], level: int) -> str:
    counters[level - 1] += 1
    counters[level:] = [0] * (len(counters) - level)
    return ".".join(str(c) for c in counters[:level])


def _unique(name: str, taken: set[str]) -> str:
    candidate, i = name, 2
    while candidate in taken:
        candidate = f"{name[:36]}_{i}"
        i += 1
    taken.add(candidate)
    return candidate


def _caption_label(model: TableModel | FigureModel) -> str:
    """'Demographic ... — ITT Population (Table 14.1.3)'."""
    if not model.title:
        return model.id
    return f"{model.caption} ({model.title[0]})" if len(model.title) > 1 else model.caption


def resolve(doc: Document, ref: TableRef | FigureRef
             ) -> tuple[str, TableModel | FigureModel, str]:
    if isinstance(ref, TableRef):
        return "Table", doc.tables[ref.table_id], table_file_stem(ref.table_id)
    return "Figure", doc.figures[ref.figure_id], figure_file_stem(ref.figure_id)


def standalone_model(doc: Document) -> TableModel | FigureModel | None:
    first = doc.blocks[0] if is_standalone_tlf(doc) else None
    return resolve(doc, first)[1] if isinstance(first, TableRef | FigureRef) else None


def _walk(blocks: tuple[Block, ...]) -> Iterator[Block]:
    for block in blocks:
        yield block
        if isinstance(block, ListBlock):
            for item in block.items:
                yield from _walk(item)


def require_models(doc: Document) -> None:
    missing = [f"table {b.table_id}" for b in _walk(doc.blocks)
               if isinstance(b, TableRef) and b.table_id not in doc.tables]
    missing += [f"figure {b.figure_id}" for b in _walk(doc.blocks)
                if isinstance(b, FigureRef) and b.figure_id not in doc.figures]
    if missing:
        raise UserError(f"document {doc.id!r} refers to outputs it does not contain",
                        missing)
