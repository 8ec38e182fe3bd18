"""records/trace/<doc>.json ties every number to its results key, and the number in the files to the
trace: each traced number is a DOCX bookmark and a PDF named destination under its trace
anchor; table numbers are listed with their table, row and column, and each table cell that
shows a statistic is a bookmark and a named destination too, under the anchor its trace entry
names (the demo's FDA meeting package, from the session's demo build)."""

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from submission_kit.build import tlf_document
from submission_kit.cli import DEMO_STUDY
from submission_kit.documents.model import Document, TableRef, TitlePage
from submission_kit.documents.results_view import (
    as_trace_json,
    cell_anchor,
    split_traced,
    trace_marked,
)
from submission_kit.study import load_study
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.tables.typography import FIGURE_SPACE
from submission_kit.writers.docx import as_docx
from submission_kit.writers.html import as_html

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOC = "fda-meeting-package"
BOOKMARK = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")  # what Word accepts as a name


def test_marked_text_splits_back_into_plain_and_anchored_pieces():
    text = (f"Median {trace_marked('trace-0001', '58.0')} years; "
            f"HR {trace_marked('trace-0002', '0.71')}")
    assert split_traced(text) == [("Median ", ""), ("58.0", "trace-0001"), (" years; HR ", ""),
                                  ("0.71", "trace-0002")]
    assert split_traced("no numbers") == [("no numbers", "")]


def test_numbers_in_prose_carry_their_key_anchor_and_table_cell(small_build):
    trace = json.loads((small_build / "records/trace/demography.json").read_text())
    [number] = trace["numbers"]
    assert number["ref"] == "t_14_1_3:AGE.PBO.mean" and number["anchor"] == "trace-0001"
    results = json.loads((small_build / "records/results/t_14_1_3.json").read_text())
    mean = next(r for r in results["records"] if r["key"] == "AGE.PBO.mean")
    assert number["value"] == mean["value"]
    # The table of the same document shows that statistic in one cell: named with it.
    assert [(c["table"], c["column"]) for c in number["cells"]] == [("14.1.3", "PBO")]
    assert number["cells"][0]["text"].startswith(number["text"])
    # Every statistic shown in the document's tables is listed with its cell.
    table = json.loads((small_build / "records/tables/t-14-1-3.json").read_text())
    keyed = sum(1 for row in table["rows"] for key in row["keys"] if key)
    assert len(trace["table_cells"]) == keyed


def test_docx_bookmark_and_pdf_destination_hold_the_number(small_build):
    number = json.loads((small_build / "records/trace/demography.json").read_text())["numbers"][0]
    with zipfile.ZipFile(small_build / "deliverables/documents/demography.docx") as package:
        xml = package.read("word/document.xml").decode()
    start = xml.index('w:name="trace_0001"')
    end = xml.index("<w:bookmarkEnd", start)
    assert f">{number['text']}</w:t>" in xml[start:end]
    pdf = small_build / "deliverables/documents/demography.pdf"
    destinations = PdfReader(pdf).named_destinations
    assert "trace-0001" in destinations
    # No marker character survives into the text of either file.
    assert "\ue000" not in xml and "\ue001" not in xml


# --- table cells: the FDA meeting package of the demo build ---------------------------------


def _squeezed(text: str) -> str:
    """Text without the figure spaces that align decimals or the breaks that wrap a cell."""
    return "".join(text.replace(FIGURE_SPACE, " ").split())


@pytest.fixture(scope="module")
def trace(demo_build: Path) -> dict:
    return json.loads((demo_build / f"records/trace/{DOC}.json").read_text())


def _picked(trace: dict) -> list[dict]:
    """The first, middle and last statistic of each table (the last on a later page)."""
    by_table: dict[str, list[dict]] = {}
    for cell in trace["table_cells"]:
        by_table.setdefault(cell["table"], []).append(cell)
    assert "14.1.3" in by_table and len(by_table) >= 3
    return [c for cells in by_table.values() for c in (cells[0], cells[len(cells) // 2],
                                                       cells[-1])]


@pytest.fixture(scope="module")
def picked(trace: dict) -> list[dict]:
    return _picked(trace)


def test_every_table_cell_in_the_trace_has_a_unique_valid_anchor(trace):
    cells = trace["table_cells"]
    anchors = [c["anchor"] for c in cells]
    assert cells and all(BOOKMARK.match(a) for a in anchors)
    prose = [n["anchor"] for n in trace["numbers"] if n.get("anchor")]
    assert len(set(anchors + prose)) == len(anchors) + len(prose)
    # A number in the prose names the anchors of the cells that show the same statistic.
    shown = [c for n in trace["numbers"] for c in n.get("cells", [])]
    assert shown and all(c in cells for c in shown)


def test_docx_bookmark_encloses_exactly_the_cell(demo_build, trace, picked):
    with zipfile.ZipFile(demo_build / f"deliverables/documents/{DOC}.docx") as package:
        body = etree.fromstring(package.read("word/document.xml"))
    starts = {b.get(f"{W}name"): b for b in body.iter(f"{W}bookmarkStart")}
    names = [b.get(f"{W}name") for b in body.iter(f"{W}bookmarkStart")]
    assert len(names) == len(set(names)) and all(BOOKMARK.match(n) for n in names)
    assert {c["anchor"] for c in trace["table_cells"]} == {n for n in names
                                                           if n.startswith("c_")}
    for cell in picked:
        start = starts[cell["anchor"]]
        paragraph = start.getparent()
        inside, texts = False, []
        for child in paragraph:
            if child is start:
                inside = True
            elif child.tag == f"{W}bookmarkEnd" and child.get(f"{W}id") == start.get(f"{W}id"):
                break
            elif inside:
                texts += ["\n" if e.tag == f"{W}br" else e.text or ""
                          for e in child.iter(f"{W}t", f"{W}br")]
        else:
            pytest.fail(f"bookmark {cell['anchor']} does not end in its paragraph")
        # Everything the cell's paragraph prints is inside the bookmark, and it is the cell.
        printed = "".join(t.text or "" for t in paragraph.iter(f"{W}t"))
        assert _squeezed("".join(texts)) == _squeezed(printed) == _squeezed(cell["text"])
        tc = paragraph.getparent()
        tr = tc.getparent()
        assert tc.tag == f"{W}tc" and tr.tag == f"{W}tr"
        stub, *values = tr.findall(f"{W}tc")
        table = json.loads((demo_build / "records/tables"
                            / f"t-{cell['table'].replace('.', '-')}.json").read_text())
        column = [c["key"] for c in table["columns"]].index(cell["column"])
        assert values[column] is tc
        assert _squeezed("".join(t.text or "" for t in stub.iter(f"{W}t"))) == _squeezed(
            cell["row"])


def _text_at(page) -> list[tuple[str, float, float]]:
    """(text, x, y) of each piece drawn on a PDF page, in page coordinates (points)."""
    out = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            out.append((text, x, y))

    page.extract_text(visitor_text=visit)
    return out


def test_pdf_named_destination_points_at_the_cell(demo_build, trace, picked):
    _destinations_point_at_the_cells(demo_build / f"deliverables/documents/{DOC}.pdf", trace,
                                     picked)


def test_the_assembled_tlf_book_pdf_has_them_too(demo_build):
    """The TLF book's table pages are drawn from the stand-alone files (pdf_assembled): the
    destinations are put where pdf_tlf draws each cell."""
    trace = json.loads((demo_build / "records/trace/tlf-book.json").read_text())
    _destinations_point_at_the_cells(demo_build / "deliverables/documents/tlf-book.pdf",
                                     trace, _picked(trace))


def _destinations_point_at_the_cells(pdf: Path, trace: dict, picked: list[dict]) -> None:
    reader = PdfReader(pdf)
    named = reader.named_destinations
    assert {c["anchor"] for c in trace["table_cells"]} <= set(named)
    for cell in picked:
        destination = named[cell["anchor"]]
        page = reader.pages[reader.get_destination_page_number(destination)]
        left, top = float(destination.left), float(destination.top)
        # The cell's first line starts right of the destination and just below it (its
        # padding and the decimal inset; one 9-pt line).
        near = [text for text, x, y in _text_at(page)
                if 0 <= x - left < 120 and 0 < top - y < 14]
        assert any(_squeezed(cell["text"]).startswith(_squeezed(t)) for t in near), (
            cell, near)


def test_the_build_wrote_what_the_writer_writes_again(demo_build, demo_computed):
    """Nothing in the anchors depends on the process (ids, counters, hashing): the DOCX
    written here, in this process, is the build's, byte for byte."""
    document = demo_computed.documents[DOC].document
    built = (demo_build / f"deliverables/documents/{DOC}.docx").read_bytes()
    assert as_docx(document, document.reference_docx or None) == built


# --- a table placed twice, a stand-alone TLF, a long output id -------------------------------


def _keyed_table() -> TableModel:
    columns = (Column("A", "Arm A", 10), Column("B", "Arm B", 12))
    rows = (Row("Age (years)", ("", "")),
            Row("Mean (SD)", ("50.1 (9.2)", "51.3 (8.8)"), 1, ("t_9:AGE.A.mean", "t_9:AGE.B.mean")),
            Row("Footnote row", ("x", ""), 1, ("", "")))
    return TableModel("9.1", ("Table 9.1", "Ages"), columns, rows)


def test_a_table_placed_twice_has_its_cells_anchored_twice():
    table = _keyed_table()
    doc = Document("twice", TitlePage("Twice"), (TableRef("9.1"), TableRef("9.1")),
                   tables={"9.1": table})
    cells = json.loads(as_trace_json(doc, (), {}))["table_cells"]
    assert [c["anchor"] for c in cells] == ["c_t_9_1_r2_c1", "c_t_9_1_r2_c2",
                                            "c_t_9_1_2_r2_c1", "c_t_9_1_2_r2_c2"]
    xml = zipfile.ZipFile(io.BytesIO(as_docx(doc))).read(
        "word/document.xml").decode()
    html = as_html(doc)
    for cell in cells:
        assert xml.count(f'w:name="{cell["anchor"]}"') == 1
        assert html.count(f'id="{cell["anchor"]}"') == 1
    ids = re.findall(r'w:bookmarkStart w:id="(\d+)"', xml)
    assert len(ids) == len(set(ids))


def test_a_standalone_tlf_has_no_cell_anchors():
    """A TLF file has no trace file to point from: no bookmark or id per cell (its table
    model, records/tables/t-*.json, keeps each cell's key)."""
    study = load_study(DEMO_STUDY)
    doc = tlf_document(study, _keyed_table())
    xml = zipfile.ZipFile(io.BytesIO(as_docx(doc))).read(
        "word/document.xml").decode()
    assert 'w:name="c_' not in xml
    assert 'id="c_' not in as_html(doc)


def test_a_cell_anchor_too_long_for_word_is_hashed_to_a_valid_name():
    assert cell_anchor("t_14_1_3", 4, 1) == "c_t_14_1_3_r5_c2"
    long = cell_anchor("t_" + "_".join(["14"] * 20), 4, 1)
    assert BOOKMARK.match(long) and long == cell_anchor("t_" + "_".join(["14"] * 20), 4, 1)
    assert long != cell_anchor("t_" + "_".join(["14"] * 20), 4, 2)
