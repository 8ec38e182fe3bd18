"""A standalone table drawn straight from its pagination (writers/pdf_tlf.py): read back with
pypdf and pdfplumber, it reads row by row, every text stays inside its column, fonts are
embedded subsets that map back to text, the bytes repeat, and a table the study font cannot
draw goes to WeasyPrint instead."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from submission_kit.documents.model import Document, Style, TableRef, TitlePage
from submission_kit.tables.model import Column, Row, Spanner, TableModel
from submission_kit.tables.paginate import Wrapping
from submission_kit.writers.font_metrics import measure_for
from submission_kit.writers.pdf import as_pdf
from submission_kit.writers.pdf_tlf import faces_of
from submission_kit.writers.print_css import sizes_for
from submission_kit.writers.tlf_layout import layout_of

HEADERS = ("Subject", "Treatment", "Adverse event", "System organ class", "Start date",
           "End date", "Severity", "Action taken", "Outcome")
TERMS = ("Headache", "Upper respiratory tract infection", "Application site pruritus")
SOCS = ("Nervous system disorders", "Infections and infestations",
        "General disorders and administration site conditions")
ARMS = ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")
ACTIONS = ("Dose not changed", "Drug withdrawn", "Dose reduced", "Not applicable")
OUTCOMES = ("Recovered/resolved", "Not recovered/not resolved", "Recovering/resolving")


def listing(rows: int = 120, extra: str = "") -> TableModel:
    """An AE listing: wrapping text columns next to dates that must not break."""
    body = tuple(Row(f"01-701-{1000 + i}{extra}",
                     (ARMS[i % 3], TERMS[i % 3], SOCS[i % 3], f"2014-{1 + i % 12:02d}-01",
                      f"2014-{1 + i % 12:02d}-15", ("MILD", "MODERATE", "SEVERE")[i % 3],
                      ACTIONS[i % 4], OUTCOMES[i % 3]))
                 for i in range(rows))
    columns = tuple(Column(f"C{i}", h) for i, h in enumerate(HEADERS[1:]))
    return TableModel("16.2.7", ("Listing 16.2.7", "Adverse Events", "Safety Population"),
                      columns, body, footnotes=("Dates are ISO 8601.",), source="ADAE",
                      stub_header=HEADERS[0], orientation="landscape")


def tlf(model: TableModel) -> Document:
    return Document(id="t_16_2_7", title_page=TitlePage(""), blocks=(TableRef(model.id),),
                    tables={model.id: model}, date_iso="2021-09-30", author="Sponsor",
                    running_header="Study X — Synthetic data", running_footer="t-16-2-7")


@pytest.fixture(scope="module")
def model() -> TableModel:
    return listing()


@pytest.fixture(scope="module")
def data(model: TableModel) -> bytes:
    return as_pdf(tlf(model))


def test_a_standalone_table_is_drawn_directly(data: bytes) -> None:
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata is not None
    assert str(reader.metadata["/Producer"]).startswith("submission-kit")
    assert str(reader.metadata["/Title"]) == "Listing 16.2.7: Adverse Events — Safety Population"
    assert str(reader.metadata["/CreationDate"]) == "D:20210930"
    assert reader.root_object["/PageMode"] == "/UseOutlines"
    assert [getattr(o, "title", None) for o in reader.outline] == [
        "Listing 16.2.7: Adverse Events — Safety Population"]
    assert data.startswith(b"%PDF-1.7")


def test_pages_are_the_pagination_models(model: TableModel, data: bytes) -> None:
    """Each page holds exactly the rows the model put on it, with titles, headers and notes."""
    pages = layout_of(model, Style()).pages
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        texts = [p.extract_text() for p in pdf.pages]
    assert len(texts) == len(pages) > 1
    for i, (text, page) in enumerate(zip(texts, pages, strict=True)):
        subjects = [line.split()[0] for line in text.splitlines() if line.startswith("01-701-")]
        assert subjects == [r.label for r in model.rows[page.start:page.stop]]
        lines = text.splitlines()
        assert lines[0] == "Study X — Synthetic data"
        assert lines[1:4] == ["Listing 16.2.7", "Adverse Events", "Safety Population"]
        assert lines[-3:] == ["Dates are ISO 8601.", "Source: ADAE",
                              f"t-16-2-7 Page {i + 1} of {len(pages)}"]


def test_text_reads_row_by_row(model: TableModel, data: bytes) -> None:
    """Copying a page gives each row's cells left to right, line by line: a wrapped cell
    continues on the row's next line, not after the whole column."""
    layout = layout_of(model, Style())
    wrapping = Wrapping(layout.widths, layout.insets, measure_for("Liberation Serif"),
                        sizes_for(Style()))
    expected: list[str] = []
    for row, cells in layout.printed(model, layout.pages[0]):
        parts = wrapping.row_lines(row, cells)
        for k in range(max(map(len, parts))):
            expected.append(" ".join(p[k] for p in parts if k < len(p)))
    assert len(expected) > len(layout.printed(model, layout.pages[0]))  # some rows wrap
    lines = PdfReader(io.BytesIO(data)).pages[0].extract_text().splitlines()
    start = lines.index(expected[0])
    assert lines[start:start + len(expected)] == expected


def test_every_text_stays_inside_its_column(model: TableModel, data: bytes) -> None:
    """No cell runs into the next one (dates are not broken: they keep their width)."""
    layout = layout_of(model, Style())
    left = 72.0  # the 1-inch left margin of the default style
    edges = [left + sum(layout.widths[:i]) for i in range(len(layout.widths) + 1)]
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        body = [w for w in page.extract_words() if 120 < w["top"] < 480]
        dates = [w["text"] for w in body if w["text"].startswith("2014-")]
    assert body and dates and all(len(d) == 10 for d in dates)
    for word in body:
        column = max(i for i, e in enumerate(edges) if e <= word["x0"] + 0.01)
        assert word["x1"] <= edges[column + 1], (word["text"], word["x1"], edges)


def test_fonts_are_embedded_subsets_that_map_back_to_text(data: bytes) -> None:
    reader = PdfReader(io.BytesIO(data))
    resources: Any = reader.pages[0]["/Resources"]
    fonts = [f.get_object() for f in resources["/Font"].values()]
    assert len(fonts) == 2  # regular and bold
    for font in fonts:
        assert font["/Subtype"] == "/Type0" and "/ToUnicode" in font
        cid = font["/DescendantFonts"][0].get_object()
        descriptor = cid["/FontDescriptor"].get_object()
        assert isinstance(descriptor, DictionaryObject) and "/FontFile2" in descriptor
        assert str(font["/BaseFont"])[7] == "+"  # ABCDEF+Name: a subset (PDF 1.7 §9.6.4)


def test_decimal_aligned_columns_line_up() -> None:
    rows = tuple(Row(f"Statistic {i}", (f"{i * 37 % 150} ({i * 3.7 % 99:.1f})",
                                        f"{i} ({i * 1.1:.1f})")) for i in range(20))
    model = TableModel("14.9.1", ("Table 14.9.1",), (Column("A", "Placebo"),
                       Column("B", "Active")), rows,
                       spanners=(Spanner("Treatment", ("A", "B")),))
    widths = layout_of(model, Style()).widths
    column = (72.0 + widths[0], 72.0 + widths[0] + widths[1])  # Placebo, after the 1" margin
    with pdfplumber.open(io.BytesIO(as_pdf(tlf(model)))) as pdf:
        page = pdf.pages[0]
        words = {w["text"]: w for w in page.extract_words()}
        parens = [c["x0"] for c in page.chars if c["text"] == "("
                  and column[0] < c["x0"] < column[1] and c["top"] > words["Placebo"]["bottom"]]
    assert len(parens) == 20 and max(parens) - min(parens) < 0.01, parens
    spanner, placebo = words["Treatment"], words["Placebo"]
    assert spanner["bottom"] < placebo["top"] and placebo["x0"] < spanner["x0"]


def test_a_table_the_study_font_cannot_draw_goes_to_weasyprint() -> None:
    doc = tlf(listing(rows=5, extra=" 中文"))
    assert faces_of(doc) is None
    reader = PdfReader(io.BytesIO(as_pdf(doc)))
    assert reader.metadata is not None
    assert str(reader.metadata["/Producer"]).startswith("WeasyPrint")
    text = reader.pages[0].extract_text()
    assert "01-701-1000" in text and "中文" in text


def test_same_bytes_in_another_process(data: bytes, tmp_path: Path) -> None:
    out = tmp_path / "again.pdf"
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import test_pdf_tlf as t; "
              "open(sys.argv[2], 'wb').write(t.as_pdf(t.tlf(t.listing())))")
    env = {**os.environ, "PYTHONHASHSEED": "4321"}
    subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent), str(out)],
                   check=True, env=env, timeout=300)
    assert out.read_bytes() == data == as_pdf(tlf(listing()))


def test_a_long_listing_costs_milliseconds_per_row() -> None:
    """WeasyPrint needed ~20 ms of CPU per row of this shape (bench/run.py --listing); the
    bound leaves room for a loaded machine."""
    model = listing(rows=2000)
    start = time.process_time()
    pages = len(PdfReader(io.BytesIO(as_pdf(tlf(model)))).pages)
    per_row = (time.process_time() - start) / 2000
    assert pages == len(layout_of(model, Style()).pages)
    assert per_row < 0.004, f"{1000 * per_row:.2f} ms per row"
