"""The document outline: heading numbers, caption numbers, labels and anchors shared by the
DOCX and the HTML/PDF writers. Table-driven; the models are small and hand-made."""

from __future__ import annotations

import pytest

from submission_kit.documents.model import (
    Block,
    Document,
    FigureRef,
    Heading,
    ListBlock,
    Paragraph,
    TableRef,
    Text,
    TitlePage,
)
from submission_kit.documents.outline import caption_text, is_standalone_tlf, outline_of, walk
from submission_kit.errors import UserError
from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import Column, Row, TableModel

DEMOG = TableModel("14.1.3", ("Table 14.1.3", "Demographics", "ITT Population"),
                   (Column("PBO", "Placebo"),), (Row("Age", ("60",)),))
AE = TableModel("14.3.1", ("Table 14.3.1", "Adverse Events"), (Column("PBO", "Placebo"),), ())
KM = FigureModel("14.2.1", ("Figure 14.2.1", "Kaplan-Meier Plot"), b"<svg/>", b"", 4.0, 3.0)
UNTITLED = FigureModel("14.2.9", (), b"<svg/>", b"", 4.0, 3.0)


def h(level: int, anchor: str, numbered: bool = True) -> Heading:
    return Heading(level, (Text(anchor.removeprefix("h_").title()),), anchor, numbered)


def item_list(*items: tuple[Block, ...]) -> ListBlock:
    return ListBlock(False, tuple(items))


def doc(*blocks: Block, title: str = "Package") -> Document:
    return Document("doc", TitlePage(title), tuple(blocks),
                    tables={"14.1.3": DEMOG, "14.3.1": AE},
                    figures={"14.2.1": KM, "14.2.9": UNTITLED})


PARA = Paragraph((Text("text"),))


@pytest.mark.parametrize(("blocks", "expected"), [
    pytest.param((h(1, "h_a"), h(2, "h_b"), h(2, "h_c"), h(1, "h_d"), h(2, "h_e")),
                 ["1", "1.1", "1.2", "2", "2.1"], id="nested"),
    pytest.param((h(1, "h_toc", numbered=False), h(1, "h_a"), h(2, "h_b"),
                  h(2, "h_note", numbered=False), h(2, "h_c")),
                 ["", "1", "1.1", "", "1.2"], id="unnumbered headings leave counters alone"),
    pytest.param((h(1, "h_a"), h(3, "h_b"), h(3, "h_c"), h(2, "h_d"), h(4, "h_e")),
                 ["1", "1.0.1", "1.0.2", "1.1", "1.1.0.1"], id="level jumps"),
    pytest.param((h(2, "h_a"), h(1, "h_b")), ["0.1", "1"], id="starting below level 1"),
    pytest.param((h(0, "h_a"), h(9, "h_b")), ["1", "1.0.0.0.0.1"], id="levels clamped to 1-6"),
    pytest.param((h(1, "h_a"), item_list((PARA, h(2, "h_b")), (h(2, "h_c"),)), h(2, "h_d")),
                 ["1", "1.1", "1.2", "1.3"], id="headings inside list items"),
])
def test_heading_numbers(blocks: tuple[Block, ...], expected: list[str]) -> None:
    outline = outline_of(doc(*blocks))
    assert [e.number for e in outline.headings] == expected
    assert outline.numbers == {e.anchor: e.number for e in outline.headings}


def test_heading_entries_carry_level_text_and_toc_label() -> None:
    outline = outline_of(doc(h(1, "h_intro"), h(8, "h_deep", numbered=False)))
    assert [(e.level, e.text, e.anchor, e.label) for e in outline.headings] == [
        (1, "Intro", "h_intro", "1 Intro"), (6, "Deep", "h_deep", "Deep")]


@pytest.mark.parametrize(("blocks", "expected"), [
    pytest.param(
        (TableRef("14.1.3"), FigureRef("14.2.1"), TableRef("14.3.1")),
        [("table", 1, "t_14_1_3", 0), ("figure", 1, "f_14_2_1", 0),
         ("table", 2, "t_14_3_1", 0)],
        id="running number per kind"),
    pytest.param(
        (TableRef("14.1.3"), TableRef("14.1.3"), FigureRef("14.2.1"), TableRef("14.1.3")),
        [("table", 1, "t_14_1_3", 0), ("table", 2, "t_14_1_3_2", 0),
         ("figure", 1, "f_14_2_1", 0), ("table", 3, "t_14_1_3_3", 0)],
        id="repeated table ids get unique anchors"),
    pytest.param(
        (h(1, "h_a"), item_list((PARA, TableRef("14.1.3")), (FigureRef("14.2.1"),)),
         h(3, "h_b"), TableRef("14.3.1")),
        [("table", 1, "t_14_1_3", 1), ("figure", 1, "f_14_2_1", 1),
         ("table", 2, "t_14_3_1", 3)],
        id="lists containing tables, level of the heading above"),
    pytest.param(
        (Heading(1, (Text("T"),), "t_14_1_3"), TableRef("14.1.3")),
        [("table", 1, "t_14_1_3_2", 1)],
        id="anchor never reuses a heading anchor"),
])
def test_captions(blocks: tuple[Block, ...], expected: list[tuple[str, int, str, int]]) -> None:
    captions = outline_of(doc(*blocks)).captions
    assert [(c.kind, c.number, c.anchor, c.level) for c in captions] == expected


@pytest.mark.parametrize(("ref", "label"), [
    pytest.param(TableRef("14.1.3"),
                 "Table 1: Demographics — ITT Population (Table 14.1.3)", id="table"),
    pytest.param(TableRef("14.3.1"), "Table 1: Adverse Events (Table 14.3.1)", id="one line"),
    pytest.param(FigureRef("14.2.1"), "Figure 1: Kaplan-Meier Plot (Figure 14.2.1)",
                 id="figure"),
    pytest.param(FigureRef("14.2.9"), "Figure 1: 14.2.9", id="no title: the id"),
])
def test_caption_labels(ref: TableRef | FigureRef, label: str) -> None:
    (caption,) = outline_of(doc(ref)).captions
    assert caption.label == label
    assert caption.label == f"{caption.word} 1: {caption.text}"
    assert caption.text == caption_text(caption.model)


def test_output_captions_use_the_outputs_own_number_only() -> None:
    """A TLF book captions by the output's own number: one number per table, not two."""
    from dataclasses import replace

    book = replace(doc(TableRef("14.1.3"), FigureRef("14.2.1"), TableRef("14.3.1")),
                   output_captions=True)
    assert [c.label for c in outline_of(book).captions] == [
        "Table 14.1.3: Demographics — ITT Population", "Figure 14.2.1: Kaplan-Meier Plot",
        "Table 14.3.1: Adverse Events"]


def test_caption_model_and_filters_by_kind() -> None:
    outline = outline_of(doc(TableRef("14.1.3"), FigureRef("14.2.1"), TableRef("14.3.1")))
    assert [c.model for c in outline.captions] == [DEMOG, KM, AE]
    assert [c.ref_id for c in outline.captions_of("table")] == ["14.1.3", "14.3.1"]
    assert [c.ref_id for c in outline.captions_of("figure")] == ["14.2.1"]
    assert outline.anchors() == {"t_14_1_3", "f_14_2_1", "t_14_3_1"}


@pytest.mark.parametrize(("blocks", "missing"), [
    pytest.param((TableRef("99.9"),), ["table 99.9"], id="table"),
    pytest.param((h(1, "h_a"), item_list((FigureRef("98.1"),))), ["figure 98.1"],
                 id="figure inside a list"),
    pytest.param((TableRef("99.9"), FigureRef("98.1"), TableRef("14.1.3"), TableRef("99.8")),
                 ["table 99.9", "table 99.8", "figure 98.1"], id="all missing are named"),
])
def test_missing_model_is_a_user_error(blocks: tuple[Block, ...], missing: list[str]) -> None:
    with pytest.raises(UserError, match="refers to outputs it does not contain") as excinfo:
        outline_of(doc(*blocks))
    assert list(excinfo.value.details) == missing


@pytest.mark.parametrize(("title", "blocks", "standalone"), [
    pytest.param("", (TableRef("14.1.3"),), DEMOG, id="untitled single table"),
    pytest.param("", (FigureRef("14.2.1"),), KM, id="untitled single figure"),
    pytest.param("Package", (TableRef("14.1.3"),), None, id="titled"),
    pytest.param("", (TableRef("14.1.3"), TableRef("14.3.1")), None, id="two tables"),
    pytest.param("", (h(1, "h_a"), TableRef("14.1.3")), None, id="heading and table"),
    pytest.param("", (item_list((TableRef("14.1.3"),)),), None, id="table inside a list"),
    pytest.param("", (), None, id="empty"),
])
def test_standalone_detection(title: str, blocks: tuple[Block, ...],
                              standalone: TableModel | FigureModel | None) -> None:
    document = doc(*blocks, title=title)
    assert outline_of(document).standalone == standalone
    assert is_standalone_tlf(document) is (standalone is not None)


def test_standalone_tlf_still_gets_its_anchor() -> None:
    outline = outline_of(doc(TableRef("14.1.3"), title=""))
    assert [c.anchor for c in outline.captions] == ["t_14_1_3"]


def test_walk_visits_list_items_in_document_order() -> None:
    inner = ListBlock(True, ((TableRef("14.1.3"),),))
    outer = item_list((PARA, inner), (FigureRef("14.2.1"),))
    assert list(walk((h(1, "h_a"), outer, PARA))) == [
        h(1, "h_a"), outer, PARA, inner, TableRef("14.1.3"), FigureRef("14.2.1"), PARA]


def test_outline_is_frozen() -> None:
    outline = outline_of(doc(h(1, "h_a")))
    with pytest.raises(AttributeError):
        outline.standalone = DEMOG  # type: ignore[misc]
