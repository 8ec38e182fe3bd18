"""The outline of a `Document`: heading numbers, caption numbers and labels, and anchors.

Computed once, here, for both writers, so the DOCX and the PDF of a document show the same
"2.1", the same "Table 3: ..." and link to the same anchors. Everything is known before a
writer starts, because the table of contents and the lists of tables and figures come first
in a document but list what follows.

Blocks are walked in document order, list items included: a table inside a list item is
numbered like any other. Numbering follows Word's multi-level lists: a level-3 heading right
after a level-1 heading is "1.0.1"; an unnumbered heading (front matter) leaves the counters
alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from submission_kit.documents.model import Block, Document, FigureRef, Heading, ListBlock, TableRef
from submission_kit.errors import UserError
from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import TableModel

Kind = Literal["table", "figure"]
Model = TableModel | FigureModel
MAX_LEVEL = 6


@dataclass(frozen=True, slots=True)
class HeadingEntry:
    level: int  # 1..6, clamped
    number: str  # "2.1"; "" for an unnumbered heading
    text: str
    anchor: str  # the heading's own anchor (HTML id; DOCX bookmark via a name filter)

    @property
    def label(self) -> str:
        """'2.1 Agenda' as a table of contents shows it."""
        return f"{self.number} {self.text}" if self.number else self.text


@dataclass(frozen=True, slots=True)
class CaptionEntry:
    kind: Kind
    ref_id: str  # "14.1.3"
    number: int  # running number per kind: Table 1, Table 2, Figure 1
    model: Model
    text: str  # "Demographic ... — ITT Population (Table 14.1.3)": the caption after "Table n: "
    anchor: str  # "t_14_1_3"; "t_14_1_3_2" for the second reference to the same table
    level: int  # level of the heading it sits under; 0 before the first heading
    own: str = ""  # "Table 14.1.3": the output's own number, for a document that captions by it

    @property
    def word(self) -> str:
        return "Table" if self.kind == "table" else "Figure"

    @property
    def label(self) -> str:
        """'Table 1: Demographic ... — ITT Population (Table 14.1.3)', or with the output's own
        number (a TLF book): 'Table 14.1.3: Demographic ... — ITT Population'."""
        return f"{self.own}: {self.text}" if self.own else f"{self.word} {self.number}: {self.text}"


@dataclass(frozen=True, slots=True)
class Outline:
    headings: tuple[HeadingEntry, ...]  # document order
    numbers: dict[str, str]  # heading anchor -> number ("" when not numbered)
    captions: tuple[CaptionEntry, ...]  # tables and figures in document order
    standalone: Model | None  # the one table or figure of a standalone TLF file

    def captions_of(self, kind: Kind) -> tuple[CaptionEntry, ...]:
        return tuple(c for c in self.captions if c.kind == kind)

    def anchors(self) -> set[str]:
        """Every anchor an internal link ('#anchor') may point to."""
        return {h.anchor for h in self.headings} | {c.anchor for c in self.captions}


def walk(blocks: tuple[Block, ...]) -> Iterator[Block]:
    """Every block in document order, list items included."""
    for block in blocks:
        yield block
        if isinstance(block, ListBlock):
            for item in block.items:
                yield from walk(item)


def kind_of(ref: TableRef | FigureRef) -> Kind:
    return "table" if isinstance(ref, TableRef) else "figure"


def model_of(doc: Document, ref: TableRef | FigureRef) -> Model:
    """The model a reference points to; `outline_of` has checked that it exists."""
    if isinstance(ref, TableRef):
        return doc.tables[ref.table_id]
    return doc.figures[ref.figure_id]


def require_models(doc: Document) -> None:
    """Every TableRef / FigureRef must have its model in the document; all missing are named."""
    missing = [f"table {b.table_id}" for b in walk(doc.blocks)
               if isinstance(b, TableRef) and b.table_id not in doc.tables]
    missing += [f"figure {b.figure_id}" for b in walk(doc.blocks)
                if isinstance(b, FigureRef) and b.figure_id not in doc.figures]
    if missing:
        raise UserError(f"document {doc.id!r} refers to outputs it does not contain",
                        missing)


def is_standalone_tlf(doc: Document) -> bool:
    """No title and a single table or figure: a TLF file, not a document."""
    return (not doc.title_page.title and len(doc.blocks) == 1
            and isinstance(doc.blocks[0], TableRef | FigureRef))


def caption_text(model: Model) -> str:
    """'Demographic ... — ITT Population (Table 14.1.3)': descriptive lines, then the id line."""
    titles = model.title or (model.id,)
    return titles[0] if len(titles) == 1 else f"{' — '.join(titles[1:])} ({titles[0]})"


def outline_of(doc: Document) -> Outline:
    """Number the headings and the tables and figures; raise `UserError` for a missing model."""
    require_models(doc)
    counters = [0] * MAX_LEVEL
    counts: dict[Kind, int] = {"table": 0, "figure": 0}
    taken = {b.anchor for b in walk(doc.blocks) if isinstance(b, Heading)}
    headings: list[HeadingEntry] = []
    captions: list[CaptionEntry] = []
    level = 0
    for block in walk(doc.blocks):
        if isinstance(block, Heading):
            headings.append(_heading(block, counters))
            level = headings[-1].level
        elif isinstance(block, TableRef | FigureRef):
            kind = kind_of(block)
            counts[kind] += 1
            captions.append(_caption(doc, block, counts[kind], level, taken))
    standalone = captions[0].model if is_standalone_tlf(doc) else None
    return Outline(tuple(headings), {h.anchor: h.number for h in headings}, tuple(captions),
                   standalone)


def _heading(block: Heading, counters: list[int]) -> HeadingEntry:
    level = min(max(block.level, 1), MAX_LEVEL)
    number = ""
    if block.numbered:
        counters[level - 1] += 1
        counters[level:] = [0] * (MAX_LEVEL - level)
        number = ".".join(str(n) for n in counters[:level])
    return HeadingEntry(level, number, block.text, block.anchor)


def _caption(doc: Document, ref: TableRef | FigureRef, number: int, level: int,
             taken: set[str]) -> CaptionEntry:
    ref_id = ref.table_id if isinstance(ref, TableRef) else ref.figure_id
    # Word bookmark names allow letters, digits and underscores only: 't_14_1_3', not the
    # hyphenated file stem.
    base = ("t_" if isinstance(ref, TableRef) else "f_") + ref_id.replace(".", "_")
    anchor, i = base, 2
    while anchor in taken:
        anchor, i = f"{base}_{i}", i + 1
    taken.add(anchor)
    model = model_of(doc, ref)
    titles = model.title or (model.id,)
    if doc.output_captions:  # no running number beside the output's own: one number only
        text = " — ".join(titles[1:]) or titles[0]
        return CaptionEntry(kind_of(ref), ref_id, number, model, text, anchor, level, titles[0])
    return CaptionEntry(kind_of(ref), ref_id, number, model, caption_text(model), anchor, level)
