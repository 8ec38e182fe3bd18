"""The pagination model's speed-ups (issue 6: each distinct text measured, wrapped and
decimal-aligned once per column, numeric columns decided once, page capacities per page_by
value worked out once) change nothing: on real and synthetic tables the fast model gives the
same orientation, widths, insets, aligned cells, titles, notes, heights and pages, and every
printed row wraps into the same lines, as the plain model it replaced (paginate_reference.py,
the module as it was). The same for the writers' text check: the one search over all texts
refuses what the per-text check refused, with the same message."""

# ruff: noqa: RUF001  # full-width CJK punctuation is the point of the CJK table

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import paginate_reference as reference
import pytest

from submission_kit.documents.model import (
    Document,
    FigureRef,
    Heading,
    PageSetup,
    Paragraph,
    SimpleTable,
    Style,
    TableRef,
    Text,
    TitlePage,
)
from submission_kit.errors import UserError
from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import Column, Row, Spanner, TableModel
from submission_kit.tables.paginate import Frame, Sizes, TableLayout, Wrapping, paginate
from submission_kit.writers import text_safety, tlf_layout
from submission_kit.writers.font_metrics import measure_for
from submission_kit.writers.text_safety import metadata_texts, require_writable, shown_texts

PORTRAIT, LANDSCAPE = (486.0, 684.0), (666.0, 504.0)  # Letter, 1"/0.75" margins, points
PILOT = Path(__file__).resolve().parents[2] / "examples" / "cdiscpilot01" / "study.toml"
MEASURE = measure_for("Liberation Serif")


# ---- tables -------------------------------------------------------------------------------


_TERMS = ("Headache", "Nausea", "Application site pruritus", "Dizziness",
          "Upper respiratory tract infection", "General disorders and administration site "
          "conditions", "Erythema")


def listing(rows: int = 1500, orientation: Any = "landscape") -> TableModel:
    """The shape of listing 16.2.7: subject ids in the stub, repeated terms, dates, flags."""
    body = []
    for i in range(rows):
        day = 1 + i % 28
        body.append(Row(f"01-{701 + i // 40:03d}-{1000 + i:04d}", (
            ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")[i % 3],
            _TERMS[i % 7], _TERMS[(i * 3) % 7], f"2014-{1 + i % 12:02d}-{day:02d}",
            f"{1 + i % 40}" if i % 5 else "", ("MILD", "MODERATE", "SEVERE")[i % 3],
            "Y" if i % 17 == 0 else "N")))
    headers = ("Treatment", "Adverse event", "System organ class", "Start date",
               "Study day", "Severity", "Serious")
    return TableModel("16.2.7", ("Listing 16.2.7", "Adverse Events", "Safety Population"),
                      tuple(Column(f"C{i}", h) for i, h in enumerate(headers)), tuple(body),
                      footnotes=("Dates are ISO 8601.",), source="ADAE; program test",
                      stub_header="Subject", orientation=orientation)


_SHAPES = ("{a} ({p:.1f})", "{x:.2f}", "{x:.3f} ({lo:.3f}, {hi:.3f})", "-{x:.1f}", "<0.001",
           "NE", "{a}", "{x:.1f} [{lo:.2f}; {hi:.1f}]", "", "{a}/{b} ({p:.1f})")


def numeric(groups: int = 60, orientation: Any = "auto") -> TableModel:
    """Statistics under variable labels, numbers of many shapes and widths, a total column,
    a text column and spanners: decimal alignment, equal arm widths, insets, groups."""
    rows = []
    for g in range(groups):
        rows.append(Row(f"Parameter {g:02d} (unit^{g % 3 + 1})", ("", "", "", "")))
        for k in range(2 + g % 6):
            i = g * 7 + k
            values = {"a": i * 13 % 1000, "b": 100 + i % 7, "p": (i * 7.3) % 100,
                      "x": (i * 1.37) % 250, "lo": i % 9 / 7, "hi": 12.5 + i % 11}
            cells = tuple(_SHAPES[(k + j) % len(_SHAPES)].format(**values) for j in range(3))
            rows.append(Row(f"Statistic {k} of parameter {g}", (*cells, f"note {i % 4}"),
                            1 + (k % 3 == 2)))
    return TableModel("14.9.2", ("Table 14.9.2", "Numbers of every shape", "ITT Population"),
                      (Column("A", "Placebo", 86), Column("B", "Low Dose", 84),
                       Column("C", "High Dose", 1234), Column("D", "Comment")), tuple(rows),
                      footnotes=("NE = not estimable.",), source="ADLB",
                      stub_header="Parameter\nStatistic", orientation=orientation,
                      spanners=(Spanner("Xanomeline", ("B", "C")),))


def page_by(big: int = 90) -> TableModel:
    """page_by runs (one with a label long enough to wrap), nested groups, and one group
    longer than a page, so pages start with "(continued)" rows."""
    rows = []
    for p, param in enumerate(("ALT (U/L)", "Bilirubin (umol/L) " + "long " * 40, "ALT (U/L)")):
        by = f"Parameter: {param}"
        for v in range(3):
            rows.append(Row(f"Visit {v}", ("", ""), 0, page_by=by))
            count = big if (p, v) == (1, 1) else 4 + v
            for s in range(count):
                rows.append(Row(f"Shift {s} from baseline", ("", ""), 1, page_by=by))
                rows += [Row(f"Category {c}", (f"{c * s} ({c * 1.5:.1f})", f"{s}"), 2,
                             page_by=by) for c in range(1 + s % 3)]
    return TableModel("14.3.4.1", ("Table 14.3.4.1", "Shifts", "Safety Population"),
                      (Column("A", "Placebo", 86), Column("B", "Active", 84)), tuple(rows),
                      stub_header="Visit")


def cjk() -> TableModel:
    """CJK text (no spaces: broken between characters), explicit line breaks, long words,
    rows with fewer cells than columns, a column squeezed below its natural width."""
    words = ("不良事件", "头痛", "恶心和呕吐（轻度）", "日本語のテキスト", "한국어 텍스트")
    rows = [Row(f"受试者 {i:03d} " + words[i % 5] * (1 + i % 4), (
        words[(i + 1) % 5] * (1 + i % 6), f"{i} ({i * 0.7:.1f})",
        "line one\nline two" if i % 9 == 0 else "Supercalifragilisticexpialidocious" * (i % 3),
        "2021-03-04"), i % 2) for i in range(120)]
    rows.append(Row("短行", ("只有一个",)))
    # The same texts in columns of different widths, and the same label at different indents:
    # each must wrap for its own column and indent.
    shared = "Application site pruritus and erythema " * 2
    rows += [Row(shared, (shared, "1 (0.5)", shared, ""), indent) for indent in (0, 3, 1)]
    return TableModel("14.9.3", ("Table 14.9.3", "中文标题 and a long English title " * 3),
                      (Column("A", "事件"), Column("B", "n (%)", 12), Column("C", "Text"),
                       Column("D", "Date")), tuple(rows),
                      footnotes=("脚注：" + "说明" * 80,), stub_header="受试者")


def edge_tables() -> list[TableModel]:
    empty = TableModel("14.9.4", ("Table 14.9.4", "No rows"), (Column("A", "Placebo"),), ())
    no_columns = TableModel("14.9.5", ("Table 14.9.5", "Labels only"), (),
                            tuple(Row(f"Label {i}", (), i % 3) for i in range(40)))
    blank = TableModel("14.9.6", ("Table 14.9.6",), (Column("A", "A"), Column("B", "B")),
                       (Row("All blank", ("", " ")), Row("", ("", ""))))
    return [empty, no_columns, blank]


SYNTHETIC = {"listing": listing(), "listing-auto": listing(300, "auto"),
             "numeric": numeric(), "numeric-landscape": numeric(40, "landscape"),
             "numeric-portrait": numeric(40, "portrait"), "page_by": page_by(), "cjk": cjk(),
             **{m.id: m for m in edge_tables()}}


@pytest.fixture(scope="module")
def real_tables() -> dict[str, TableModel]:
    """The demo's long listing and some numeric tables with data; every table of both
    studies as a mock shell."""
    from submission_kit.build import compute, compute_mock
    from submission_kit.cli import DEMO_STUDY
    from submission_kit.study import load_study

    demo = load_study(DEMO_STUDY)
    ids = ("16.2.7", "14.1.3", "14.3.1.3", "14.3.4.1", "14.2.3")
    out = {f"demo {k}": v for k, v in compute(demo, only=ids).tables.items()}
    for name, study in (("demo", demo), ("pilot", load_study(PILOT))):
        out |= {f"{name} mock {k}": v for k, v in compute_mock(study).tables.items()}
    return out


# ---- comparing ----------------------------------------------------------------------------


def plain(layout: Any) -> tuple[Any, ...]:
    """A layout of either module as plain values (the two modules' classes differ)."""
    pages = tuple((p.rows, p.start, p.stop, p.page_by, p.continued) for p in layout.pages)
    return (layout.orientation, layout.width, layout.height, layout.widths, layout.insets,
            layout.cells, layout.titles, layout.notes, layout.title_h, layout.notes_h,
            layout.header_h, pages)


def assert_same(model: TableModel, frame: Frame, sizes: Sizes, measure: Any = MEASURE
                ) -> TableLayout:
    new = paginate(model, frame, measure, sizes)
    old = reference.paginate(model, frame, measure, sizes)
    assert plain(new) == plain(old)
    fast = Wrapping(new.widths, new.insets, measure, sizes)
    slow = reference.Wrapping(old.widths, old.insets, measure, sizes)
    heights = fast.rows(model.rows, list(zip(*new.cells, strict=True)) if model.columns
                        else [])
    assert heights == [slow.row(r, c) for r, c in zip(model.rows, new.cells, strict=True)]
    for page in new.pages:  # every printed row, "(continued)" rows too, as the PDF draws it
        for row, cells in new.printed(model, page):
            assert fast.row_lines(row, cells) == slow.row_lines(row, cells)
            assert fast.row(row, cells) == slow.row(row, cells)
    assert fast.spanner_rows(model) == slow.spanner_rows(model)
    assert fast.column_lines(model) == slow.column_lines(model)
    assert fast.header(model) == slow.header(model)
    return new


FRAMES = {
    "letter": Frame(PORTRAIT, LANDSCAPE),
    "titled": Frame(PORTRAIT, LANDSCAPE, ("Table 14.9.9", "A title " * 30), ("Note one.",
                                                                              "Note " * 60)),
    "reserved": Frame(PORTRAIT, LANDSCAPE, ("Caption (continued)",), (), 12.0, 96.0),
}
SIZES = {"9pt": Sizes(), "8pt-tight": Sizes(table_pt=8.0, title_pt=10.0, pad_y=0.5)}


@pytest.mark.parametrize("sizes", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("frame", FRAMES.values(), ids=FRAMES.keys())
@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_tables_paginate_as_before(name: str, frame: Frame, sizes: Sizes) -> None:
    model = SYNTHETIC[name]
    if name == "page_by" and frame.first_reserve:
        model = page_by(big=30)  # a wrapped page_by label and a reserve leave too little room
    layout = assert_same(model, Frame(frame.portrait, frame.landscape,
                                      frame.titles or model.title, frame.notes,
                                      frame.reserve, frame.first_reserve), sizes)
    assert layout.pages or not model.rows


def test_the_synthetic_tables_exercise_what_was_changed() -> None:
    """Continued rows, page_by pages, decimal-aligned columns, broken words, squeezed and
    auto-oriented columns: each happens somewhere above, or the comparison proves less."""
    layouts = {name: paginate(m, Frame(PORTRAIT, LANDSCAPE, m.title, m.footnotes), MEASURE)
               for name, m in SYNTHETIC.items()}
    assert any(p.continued for p in layouts["page_by"].pages)
    runs = [value for value, _ in itertools.groupby(p.page_by for p in layouts["page_by"].pages)]
    assert len(runs) == 3 and runs[0] == runs[2]  # a value that comes back starts a new page
    assert len(layouts["listing"].pages) > 30
    assert sum(i is not None for i in layouts["numeric"].insets) == 3
    assert any("\u2007" in c for row in layouts["numeric"].cells for c in row)
    assert layouts["numeric"].orientation == "portrait"  # "auto" both ways
    assert layouts["listing-auto"].orientation == "landscape"
    wrapping = Wrapping(layouts["cjk"].widths, layouts["cjk"].insets, MEASURE, Sizes())
    lines = [wrapping.row_lines(r, c) for r, c in zip(SYNTHETIC["cjk"].rows,
                                                       layouts["cjk"].cells, strict=True)]
    assert any(len(part) > 2 for row in lines for part in row)


def test_real_tables_paginate_as_before(real_tables: dict[str, TableModel]) -> None:
    assert real_tables["demo 16.2.7"].rows and len(real_tables) > 40
    for model in real_tables.values():
        assert_same(model, Frame(PORTRAIT, LANDSCAPE, model.title, model.footnotes), Sizes())
        assert_same(model, Frame(PORTRAIT, LANDSCAPE, model.title, model.footnotes),
                    SIZES["8pt-tight"])


STYLES = {"default": Style(), "a4-10pt": Style(table_pt=10.0, page=PageSetup(paper="a4")),
          "narrow": Style(table_pt=8.0, page=PageSetup(margin_left=1.5, margin_right=1.5))}


@pytest.mark.parametrize("style", STYLES.values(), ids=STYLES.keys())
def test_layout_of_is_unchanged_standalone_and_in_documents(
        real_tables: dict[str, TableModel], style: Style, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through tlf_layout, as both writers ask: standalone, and under a caption after a
    heading (the frames, reserves and "(continued)" captions of a document)."""
    models = [real_tables["demo 16.2.7"], real_tables["demo 14.1.3"], *SYNTHETIC.values()]
    asks = [("", 0), ("Table 14.9.2 Numbers of every shape", 1)]
    tlf_layout._CACHE.clear()
    new = [plain(tlf_layout.layout_of(m, style, c, n)) for m in models for c, n in asks]
    tlf_layout._CACHE.clear()
    monkeypatch.setattr(tlf_layout, "paginate", reference.paginate)
    old = [plain(tlf_layout.layout_of(m, style, c, n)) for m in models for c, n in asks]
    tlf_layout._CACHE.clear()
    assert new == old


# ---- the writers' text check ----------------------------------------------------------------


def old_require_writable(doc: Document) -> None:
    """text_safety.require_writable as it was: every text located, then searched."""
    prefix = f"document {doc.id!r}"
    located = [*shown_texts(doc), *metadata_texts(doc)]
    if text_safety._NOT_XML.search("\n".join(text for _, text in located)):
        for where, text in located:
            text_safety.require_xml_safe(text, f"{prefix}: {where}")
    for href in text_safety.links_of(doc):
        text_safety.require_link(href, prefix)


def document(**changes: Any) -> Document:
    table = changes.pop("table", SYNTHETIC["numeric"])
    figure = changes.pop("figure", FigureModel(id="14.2.1", title=("Figure 14.2.1", "KM"),
                                               svg=b"", png=b"", width_in=6.0, height_in=4.0,
                                               alt_text="KM plot"))
    blocks = (Heading(1, (Text("Results"),), "h_results"),
              Paragraph((Text("See "), Text("the table", href="#t"), Text(".")),),
              SimpleTable(((Text("a"),), (Text("b"),)), (((Text("1"),), (Text("2"),)),)),
              TableRef(table.id), FigureRef(figure.id))
    base: dict[str, Any] = {
        "id": "csr", "title_page": TitlePage("Report", "Sub", ("Line one", "Line two")),
        "blocks": changes.pop("blocks", blocks), "tables": {table.id: table},
        "figures": {figure.id: figure}, "running_header": "Study X", "date_iso": "2024-03-31",
    }
    return Document(**{**base, **changes})


def _with_cell(model: TableModel, row: int, column: int, text: str) -> TableModel:
    rows = list(model.rows)
    cells = list(rows[row].cells)
    cells[column] = text
    rows[row] = Row(rows[row].label, tuple(cells), rows[row].indent)
    return TableModel(model.id, model.title, model.columns, tuple(rows), model.footnotes,
                      model.source, model.stub_header)


BAD = {
    "cell": lambda c: {"table": _with_cell(SYNTHETIC["numeric"], 57, 2, f"12{c}.5")},
    "two cells": lambda c: {"table": _with_cell(_with_cell(SYNTHETIC["numeric"], 80, 0, c),
                                                9, 3, f"x{c}")},
    "label": lambda c: {"table": TableModel("16.2.7", ("Listing",), (Column("A", "A"),),
                                            (Row(f"01-{c}-1", ("x",)),))},
    "footnote": lambda c: {"table": TableModel("14.1.1", ("T",), (), (),
                                               footnotes=("ok", f"bad{c}"))},
    "running footer": lambda c: {"running_footer": f"p{c}"},
    "title page line": lambda c: {"title_page": TitlePage("Report", "", ("ok", f"x{c}"))},
    "paragraph": lambda c: {"blocks": (Paragraph((Text("a"), Text(f"b{c}"))),)},
    "figure title": lambda c: {"figure": FigureModel(id="14.2.1", title=("F", f"K{c}M"),
                                                     svg=b"", png=b"", width_in=6.0,
                                                     height_in=4.0)},
    "author": lambda c: {"author": f"Sponsor{c}"},
    "alt text": lambda c: {"figure": FigureModel(id="14.2.1", title=("F",), svg=b"", png=b"",
                                                 width_in=6.0, height_in=4.0,
                                                 alt_text=f"a{c}")},
}


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\ufffe", "\ud800"])
@pytest.mark.parametrize("where", BAD)
def test_the_text_check_refuses_as_before(where: str, char: str) -> None:
    doc = document(**BAD[where](char))
    with pytest.raises(UserError) as old:
        old_require_writable(doc)
    with pytest.raises(UserError) as new:
        require_writable(doc)
    assert str(new.value) == str(old.value)


@pytest.mark.parametrize("href", ["javascript:x", "https://ok.org"])
def test_the_text_check_passes_and_checks_links_as_before(href: str) -> None:
    doc = document(blocks=(Paragraph((Text("a", href=href),)), TableRef("14.9.2")))
    outcome = []
    for check in (old_require_writable, require_writable):
        try:
            check(doc)
            outcome.append("ok")
        except UserError as exc:
            outcome.append(str(exc))
    assert outcome[0] == outcome[1]
    require_writable(document(table=SYNTHETIC["cjk"]))  # CJK, tabs and breaks are writable


def test_shown_strings_are_the_shown_texts_in_order() -> None:
    doc = document(table=SYNTHETIC["page_by"])
    strings = list(text_safety.shown_strings(doc))
    assert strings == [text for _, text in shown_texts(doc)]
    assert len(strings) > 3 * len(SYNTHETIC["page_by"].rows) and strings[0] == "Study X"
