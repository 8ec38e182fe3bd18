"""One pagination model (tables/paginate.py) for DOCX and PDF: its decisions, and both formats
breaking at the rows it chose, read back from the files (pdfplumber page texts; the DOCX's
one table per page, and the same DOCX converted by LibreOffice)."""

from __future__ import annotations

import io
import itertools
import re
import shutil
import subprocess
import zipfile

import docx
import pdfplumber
import pytest
from pypdf import PdfReader

from submission_kit.documents.model import Document, Style, TableRef, TitlePage
from submission_kit.tables.model import Column, Row, Spanner, TableModel
from submission_kit.tables.paginate import CONTINUED, Frame, Sizes, Wrapping, paginate
from submission_kit.writers import pdf_chunks
from submission_kit.writers.docx import as_docx
from submission_kit.writers.font_metrics import measure_for
from submission_kit.writers.pdf import as_pdf
from submission_kit.writers.tlf_layout import layout_of

LABEL = re.compile(r"^(Group label \d\d|Statistic \d\d\.\d\d)")
PORTRAIT, LANDSCAPE = (486.0, 684.0), (666.0, 504.0)  # Letter, 1"/0.75" margins, points


def grouped_table(groups: int = 30, big: int = -1) -> TableModel:
    """Groups of 3-7 statistic rows; group `big` has 80, more than a page holds."""
    rows = []
    for g in range(groups):
        rows.append(Row(f"Group label {g:02d}", ("", "", "")))
        count = 80 if g == big else 3 + g % 5
        rows += [Row(f"Statistic {g:02d}.{i:02d}", (f"{g * i} ({i * 1.5:.1f})", "13 (5.5)",
                                                    f"{100 + g} ({g * 3.1:.1f})"), 1)
                 for i in range(count)]
    return TableModel("14.9.1", ("Table 14.9.1", "Grouped rows", "Safety Population"),
                      (Column("A", "Placebo", 86), Column("B", "Low Dose", 84),
                       Column("C", "High Dose", 84)), tuple(rows),
                      footnotes=("N = number of subjects.",), source="ADSL; program test.py",
                      stub_header="Characteristic",
                      spanners=(Spanner("Xanomeline", ("B", "C")),))


def tlf(model: TableModel) -> Document:
    return Document(id="t_14_9_1", title_page=TitlePage(title=""), blocks=(TableRef(model.id),),
                    tables={model.id: model}, date_iso="2021-09-30",
                    running_header="Study X", running_footer="t-14-9-1")


def layout(model: TableModel):
    frame = Frame(PORTRAIT, LANDSCAPE, model.title, model.footnotes)
    return paginate(model, frame, measure_for("Liberation Serif"))


def page_labels(texts: list[str]) -> list[list[str]]:
    """Per page, the row labels printed on it, in order."""
    return [[m.group(1) for line in text.splitlines() if (m := LABEL.match(line.strip()))]
            for text in texts]


def model_labels(model: TableModel) -> list[list[str]]:
    """Per page of the model, the labels of its own rows (continued rows excluded)."""
    pages = layout_of(model, Style()).pages
    return [[LABEL.match(model.rows[i].label).group(1) for i in range(p.start, p.stop)]
            for p in pages]


# ---- the model's decisions ---------------------------------------------------------------------


def test_pages_cover_every_row_once_in_order():
    pages = layout(grouped_table(big=5)).pages
    assert pages[0].start == 0 and pages[-1].stop == len(grouped_table(big=5).rows)
    assert all(a.stop == b.start for a, b in itertools.pairwise(pages))


def test_no_page_ends_with_a_group_label_and_small_groups_stay_together():
    model = grouped_table()
    pages = layout(model).pages
    assert len(pages) > 2
    for page in pages:
        assert not model.rows[page.stop - 1].is_group_label
        # every group that fits a page starts on the page it ends on: no continued rows
        assert page.continued == 0 and model.rows[page.start].is_group_label


def test_a_group_longer_than_a_page_is_split_with_continued_rows():
    model = grouped_table(big=5)
    pages = layout(model).pages
    split = [p for p in pages if p.continued]
    assert split, "the 80-row group must continue onto another page"
    for page in split:
        assert page.rows[0].label == f"Group label 05 {CONTINUED}"
        assert page.rows[0].cells == ("", "", "") and page.rows[0].indent == 0
        assert model.rows[page.start].label.startswith("Statistic 05.")


def test_page_by_starts_a_new_page_for_each_value():
    rows = [Row(f"Statistic {i:02d}", ("1",), page_by=f"Parameter: P{i // 4}")
            for i in range(12)]
    model = TableModel("1", ("T",), (Column("A", "A"),), tuple(rows))
    pages = layout(model).pages
    assert [p.page_by for p in pages] == ["Parameter: P0", "Parameter: P1", "Parameter: P2"]
    assert [(p.start, p.stop) for p in pages] == [(0, 4), (4, 8), (8, 12)]


def test_orientation_is_landscape_only_when_the_columns_do_not_fit_portrait():
    narrow = grouped_table(groups=2)
    assert layout(narrow).orientation == "portrait"
    wide = TableModel("2", ("T",), tuple(Column(f"C{i}", f"Visit {i}") for i in range(9)),
                      (Row("Subject 0001", tuple("123.4 (56.7)" for _ in range(9))),))
    assert layout(wide).orientation == "landscape"
    fixed = TableModel("2", ("T",), wide.columns, wide.rows, orientation="portrait")
    assert layout(fixed).orientation == "portrait"


def test_squeezed_columns_wrap_text_between_words_and_never_break_dates():
    """A listing wider than the page: the subject id keeps its natural width (not a quarter
    of the page), dates and numbers keep theirs, and only text columns wrap."""
    rows = tuple(Row(f"01-701-{1000 + i}", ("Xanomeline High Dose", "2014-03-01", "12.5",
                                           "General disorders and administration site "
                                           "conditions", "Upper respiratory tract infection",
                                           "Not recovered/not resolved"))
                 for i in range(5))
    columns = tuple(Column(f"C{i}", h) for i, h in enumerate(
        ("Treatment", "Start date", "Dose (mg)", "System organ class", "Adverse event",
         "Outcome")))
    model = TableModel("16.2.7", ("Listing 16.2.7",), columns, rows, orientation="portrait")
    lay = layout(model)
    measure, s = measure_for("Liberation Serif"), Sizes()
    natural = [measure(c) * s.table_pt / s.fill + 2 * s.pad_x for c in rows[0].cells]
    assert sum(natural) + lay.widths[0] > PORTRAIT[0]  # it must squeeze
    assert lay.widths[0] < 0.25 * PORTRAIT[0]
    assert lay.widths[0] == pytest.approx(measure("01-701-1000") * 9 / s.fill + 2 * s.pad_x)
    assert lay.widths[2] >= natural[1] - 1e-6 and lay.widths[3] >= natural[2] - 1e-6
    assert all(lay.widths[i + 1] < natural[i] for i in (0, 3, 4, 5))
    assert sum(lay.widths) == pytest.approx(PORTRAIT[0])


PILOT_HEADS = ("System organ class", "Preferred term", "Reported term", "Start day",
               "End day", "Severity", "Serious", "Related", "Outcome", "Treatment-emergent")


def pilot_shaped(*records: tuple[str, ...]) -> TableModel:
    """Eleven columns of capitals, as in the CDISC pilot's AE listing 16.2.7."""
    rows = tuple(Row(f"01-701-{1000 + i}", records[i % len(records)], 1) for i in range(4))
    return TableModel("16.2.7", ("Listing 16.2.7",), tuple(
        Column(f"C{i}", h) for i, h in enumerate(PILOT_HEADS)), rows, orientation="landscape")


def test_eleven_columns_fit_by_breaking_after_hyphens_and_slashes():
    """The pilot listing's shape: "Treatment-emergent" and "RECOVERED/RESOLVED" may break
    after their hyphen and slash, which leaves room for GASTROINTESTINAL and
    ATRIOVENTRICULAR whole; subject ids, study days and short codes stay whole."""
    cells = ("GASTROINTESTINAL DISORDERS", "ATRIOVENTRICULAR BLOCK SECOND DEGREE",
             "APPLICATION SITE ERYTHEMA", "10", "126", "MODERATE", "N", "POSSIBLE",
             "NOT RECOVERED/NOT RESOLVED", "Y")
    model = pilot_shaped(cells)
    lay = layout(model)
    wrapping = Wrapping(lay.widths, lay.insets, measure_for("Liberation Serif"), Sizes())
    assert sum(lay.widths) == pytest.approx(LANDSCAPE[0])
    assert wrapping.row_lines(model.rows[0], lay.cells[0]) == [
        ("01-701-1000",), ("GASTROINTESTINAL", "DISORDERS"),
        ("ATRIOVENTRICULAR", "BLOCK SECOND", "DEGREE"), ("APPLICATION", "SITE", "ERYTHEMA"),
        ("10",), ("126",), ("MODERATE",), ("N",), ("POSSIBLE",),
        ("NOT", "RECOVERED/", "NOT", "RESOLVED"), ("Y",)]
    assert wrapping.column_lines(model)[-1] == ("Treatment-", "emergent")


def test_when_words_cannot_all_fit_only_the_longest_break():
    """Still too wide with every break after a hyphen or slash (the pilot's longest terms):
    short codes stay whole; the longest words break, all at one width."""
    cells = ("GASTROINTESTINAL DISORDERS", "HYPERCHOLESTEROLAEMIA", "HYPERCHOLESTEROLAEMIA",
             "10", "126", "MODERATE", "N", "POSSIBLE", "NOT RECOVERED/NOT RESOLVED", "Y")
    terms = "APPLICATION SITE ERYTHEMA"
    model = pilot_shaped(cells, (cells[0], terms, terms, *cells[3:]))
    lay = layout(model)
    wrapping = Wrapping(lay.widths, lay.insets, measure_for("Liberation Serif"), Sizes())
    parts = wrapping.row_lines(model.rows[0], lay.cells[0])
    assert sum(lay.widths) == pytest.approx(LANDSCAPE[0])
    assert parts[0] == ("01-701-1000",) and parts[4] == ("10",) and parts[5] == ("126",)
    assert all(len(p) == 1 for p in (parts[6], parts[7], parts[8], parts[10]))
    assert parts[9] == ("NOT", "RECOVERED/", "NOT", "RESOLVED")  # its pieces fit: not capped
    # something had to give: the three term columns are capped at one width
    assert lay.widths[1] == pytest.approx(lay.widths[2]) == pytest.approx(lay.widths[3])
    assert parts[1:4] == [("GASTROINTESTINA", "L DISORDERS"), ("HYPERCHOLESTER", "OLAEMIA"),
                          ("HYPERCHOLESTER", "OLAEMIA")]


# ---- both formats follow it ------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_model() -> TableModel:
    return grouped_table(groups=24, big=5)


@pytest.fixture(scope="module")
def pdf_bytes(long_model) -> bytes:
    return as_pdf(tlf(long_model))


@pytest.fixture(scope="module")
def docx_bytes(long_model) -> bytes:
    return as_docx(tlf(long_model))


def pdf_texts(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def test_pdf_breaks_where_the_model_does(long_model, pdf_bytes):
    texts = pdf_texts(pdf_bytes)
    expected = model_labels(long_model)
    printed = page_labels(texts)
    assert len(printed) == len(expected)
    for page, own in zip(printed, expected, strict=True):
        assert [label for label in page if label in own] == own
    continued = [t for t in texts if f"Group label 05 {CONTINUED}" in t]
    assert continued and all("Table 14.9.1" in t and "Source: ADSL" in t for t in texts)
    assert [t.strip().splitlines()[-1] for t in texts] == [
        f"t-14-9-1 Page {i} of {len(texts)}" for i in range(1, len(texts) + 1)]


def test_docx_has_one_table_per_page_of_the_model(long_model, docx_bytes):
    word = docx.Document(io.BytesIO(docx_bytes))
    tables = [[LABEL.match(r.cells[0].text).group(1) for r in t.rows
               if LABEL.match(r.cells[0].text) and CONTINUED not in r.cells[0].text]
              for t in word.tables]
    assert tables == model_labels(long_model)
    xml = zipfile.ZipFile(io.BytesIO(docx_bytes)).read("word/document.xml").decode()
    assert xml.count("<w:pageBreakBefore/>") == len(tables) - 1


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_docx_and_pdf_break_at_the_same_rows(long_model, pdf_bytes, docx_bytes, tmp_path):
    """The DOCX as a word processor lays it out (LibreOffice) has the PDF's pages."""
    source = tmp_path / "t.docx"
    source.write_bytes(docx_bytes)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(source)], check=True, capture_output=True, timeout=300)
    from_docx = page_labels(pdf_texts((tmp_path / "t.pdf").read_bytes()))
    assert from_docx == page_labels(pdf_texts(pdf_bytes))


# ---- decimal alignment and spanners, read back ------------------------------------------------


def _paren_x(data: bytes) -> list[float]:
    """x of the opening parenthesis of the Placebo column on page 1, row by row."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        stub_end = next(w for w in page.extract_words() if w["text"] == "Placebo")["x0"] - 30
        return [c["x0"] for c in page.chars
                if c["text"] == "(" and stub_end < c["x0"] < stub_end + 80
                and c["top"] > 150]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_numbers_are_decimal_aligned_in_both_formats(pdf_bytes, docx_bytes, tmp_path):
    source = tmp_path / "t.docx"
    source.write_bytes(docx_bytes)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(source)], check=True, capture_output=True, timeout=300)
    for data in (pdf_bytes, (tmp_path / "t.pdf").read_bytes()):
        xs = _paren_x(data)
        assert len(xs) > 10 and max(xs) - min(xs) < 0.5, xs  # "104 (94.5)" over "  4 ( 3.6)"


def test_spanner_sits_over_its_columns_in_both_formats(pdf_bytes, docx_bytes):
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        words = {w["text"]: w for w in pdf.pages[1].extract_words()}
    span, low, high = words["Xanomeline"], words["Low"], words["High"]
    assert span["bottom"] < low["top"] and low["x0"] < span["x0"] < high["x1"]
    word = docx.Document(io.BytesIO(docx_bytes))
    for table in word.tables:
        first = table.rows[0]._tr
        spans = [tc for tc in first.tc_lst if tc.grid_span == 2]
        assert len(spans) == 1 and "Xanomeline" in "".join(spans[0].itertext())


# ---- chunked rendering -------------------------------------------------------------------------


def test_chunked_pdf_is_joined_whole_and_byte_identical(monkeypatch, tmp_path):
    """A long TLF rendered in chunks (here of 2 pages) and joined: same bytes twice, every page,
    the bookmark, opens on the bookmarks panel, every font embedded."""
    monkeypatch.setattr(pdf_chunks, "CHUNK_PAGES", 2)
    monkeypatch.setattr(pdf_chunks, "MIN_PAGES", 4)
    model = grouped_table(groups=24)
    doc = tlf(model)
    assert len(pdf_chunks.page_chunks(doc)) >= 2
    first, second = as_pdf(doc), as_pdf(doc)
    assert first == second
    reader = PdfReader(io.BytesIO(first))
    assert len(reader.pages) == len(layout_of(model, Style()).pages)
    assert [o.title for o in reader.outline] == ["Table 14.9.1: Grouped rows — Safety Population"]
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"
    assert first.startswith(b"%PDF-1.7")
    assert page_labels(pdf_texts(first)) == page_labels(pdf_texts(_unchunked(monkeypatch, doc)))
    if shutil.which("pdffonts"):
        path = tmp_path / "t.pdf"
        path.write_bytes(first)
        listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                                 check=True).stdout.splitlines()[2:]
        assert listing and all(line.split()[-5] == "yes" for line in listing)


def _unchunked(monkeypatch, doc: Document) -> bytes:
    monkeypatch.setattr(pdf_chunks, "MIN_PAGES", 10_000)
    return as_pdf(doc)


def test_pdf_pages_never_end_with_a_group_label():
    texts = pdf_texts(as_pdf(tlf(grouped_table())))
    assert len(texts) > 2
    for labels in page_labels(texts):
        assert not labels[-1].startswith("Group label"), labels[-3:]
