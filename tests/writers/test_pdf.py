"""PDF writer: render small documents, read them back (pypdf, pdfplumber) and check the FDA
PDF rules (reference/regulatory.md §7), the layout facts a TLF needs, and byte-identity."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import matplotlib
import pdfplumber
import pytest
from matplotlib.figure import Figure
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from submission_kit.documents.model import (
    Document,
    FigureRef,
    Heading,
    ListBlock,
    ListOfFigures,
    ListOfTables,
    PageBreak,
    PageSetup,
    Paragraph,
    SimpleTable,
    Style,
    TableOfContents,
    TableRef,
    Text,
    TitlePage,
)
from submission_kit.errors import UserError
from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.writers.html import as_html
from submission_kit.writers.pdf import as_pdf, write_pdf

PT_PER_IN = 72.0
HEADER = "Study SK-201 — Synthetic data for demonstration only"


# ---- fixtures: a small briefing document and its tables and figure -------------------------


def demographics() -> TableModel:
    """60 rows (12 parameters x 5 rows, indented): long enough for two portrait pages."""
    rows: list[Row] = []
    for g in range(1, 13):
        rows.append(Row(f"Parameter {g} (units)", ("", "", ""), 0))
        rows.append(Row("n", ("110", "110", "220"), 1))
        rows.append(Row("Mean (SD)", (f"{g}1.5 (1.{g})", f"{g}2.5 (2.{g})", f"{g}3.5 (3.{g})"), 1))
        rows.append(Row("Median", (f"{g}1.0", f"{g}2.0", f"{g}3.0"), 1))
        rows.append(Row("Min, Max", (f"{g}0, {g}9", f"{g}1, {g}8", f"{g}0, {g}9"), 2))
    return TableModel(
        id="14.1.3",
        title=("Table 14.1.3", "Demographic and Baseline Characteristics", "ITT Population"),
        columns=(Column("PBO", "Placebo", 110), Column("IL2", "IL-2LD", 110),
                 Column("TOT", "Total", 220)),
        rows=tuple(rows),
        footnotes=("SD = standard deviation.", "Percentages are based on N & <n>."),
        source="ADSL; program t_14_1_3_demographics.py",
        stub_header="Parameter\nStatistic",
    )


def adverse_events() -> TableModel:
    arms = [Column(f"A{i}", f"Arm {i}", 50 + i) for i in range(1, 8)]
    rows = tuple(
        Row(f"Preferred term {i}", tuple(f"{i + j} ({i + j}.{j}%)" for j in range(7)), i % 2)
        for i in range(12)
    )
    return TableModel(
        id="14.3.1",
        title=("Table 14.3.1", "Adverse Events by Preferred Term", "Safety Population"),
        columns=tuple(arms),
        rows=rows,
        footnotes=("Each subject is counted once per preferred term.",),
        source="ADAE",
        stub_header="Preferred term",
        orientation="landscape",
    )


def km_figure() -> FigureModel:
    fig = Figure(figsize=(6.0, 4.0))
    ax = fig.add_subplot()
    ax.step([0, 1, 2, 3, 4], [1.0, 0.9, 0.75, 0.6, 0.5], where="post", label="Placebo")
    ax.step([0, 1, 2, 3, 4], [1.0, 0.95, 0.85, 0.8, 0.7], where="post", label="IL-2LD")
    ax.set_xlabel("Months")
    ax.set_ylabel("Survival probability")
    ax.legend()
    svg, png = io.BytesIO(), io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "submission-kit"}):
        fig.savefig(svg, format="svg", metadata={"Date": None})
    fig.savefig(png, format="png", dpi=50)
    return FigureModel(
        id="14.2.1",
        title=("Figure 14.2.1", "Kaplan-Meier Plot of Overall Survival", "ITT Population"),
        svg=svg.getvalue(), png=png.getvalue(), width_in=6.0, height_in=4.0,
        footnotes=("Tick marks show censored subjects.",), source="ADTTE",
        alt_text="Two survival curves; IL-2LD above placebo",
    )


def heading(level: int, text: str, anchor: str, numbered: bool = True) -> Heading:
    return Heading(level, (Text(text),), anchor, numbered)


def para(*inlines: Text) -> Paragraph:
    return Paragraph(tuple(inlines))


def sample_document() -> Document:
    blocks = (
        TableOfContents(), ListOfTables(), ListOfFigures(), PageBreak(),
        heading(1, "Introduction", "h_introduction"),
        para(Text("This briefing document summarises the study. "), Text("Bold claim", bold=True),
             Text(", see "), Text("the demographics", href="#h_demographics"),
             Text(" and "), Text("FDA guidance", href="https://www.fda.gov/"), Text("."),
             Text("a", superscript=True)),
        ListBlock(False, ((para(Text("First point")),),
                          (para(Text("Second point with "), Text("code", code=True)),
                           ListBlock(True, ((para(Text("Nested one")),),), start=3)))),
        heading(2, "Background", "h_background"),
        para(Text("Amyotrophic lateral sclerosis is "), Text("rare", italic=True), Text(".")),
        SimpleTable(((Text("Time"),), (Text("Topic"),)),
                    (((Text("09:00"),), (Text("Welcome"),)),
                     ((Text("09:15"),), (Text("Efficacy"),)))),
        heading(1, "Results", "h_results"),
        heading(2, "Demographics", "h_demographics"),
        TableRef("14.1.3"),
        heading(2, "Adverse events", "h_adverse_events"),
        TableRef("14.3.1"),
        heading(2, "Survival", "h_survival"),
        FigureRef("14.2.1"),
    )
    return Document(
        id="fda-meeting-package",
        title_page=TitlePage("Type B Meeting Briefing Package", "IL-2LD in ALS",
                             ("Protocol SK-201", "Version 1.0"), "Synthetic data"),
        blocks=blocks,
        tables={"14.1.3": demographics(), "14.3.1": adverse_events()},
        figures={"14.2.1": km_figure()},
        running_header=HEADER,
        running_footer="Confidential",
        author="Submission Kit Demo", subject="Briefing package", keywords="ALS, IL-2LD",
        date_iso="2024-03-31",
    )


def standalone_table() -> Document:
    return Document(id="t_14_1_3", title_page=TitlePage(""), blocks=(TableRef("14.1.3"),),
                    tables={"14.1.3": demographics()}, running_header=HEADER,
                    date_iso="2024-03-31")


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return as_pdf(sample_document())


@pytest.fixture(scope="module")
def reader(pdf_bytes: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf_bytes))


@pytest.fixture(scope="module")
def page_texts(reader: PdfReader) -> list[str]:
    """Page text with runs of spaces collapsed (the gap after a heading number reads as two)."""
    return ["\n".join(" ".join(line.split()) for line in p.extract_text().splitlines())
            for p in reader.pages]


# ---- helpers -------------------------------------------------------------------------------


def all_dicts(reader: PdfReader) -> list[DictionaryObject]:
    """Every dictionary reachable from the trailer (pages, fonts, annotations, ...)."""
    seen: set[int] = set()
    out: list[DictionaryObject] = []
    stack: list[Any] = [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            out.append(obj)
            stack.extend(v for k, v in obj.items() if k not in ("/Parent", "/P"))
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return out


def outline(reader: PdfReader) -> list[tuple[int, str]]:
    flat: list[tuple[int, str]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                flat.append((depth, item.title))

    walk(reader.outline, 0)
    return flat


def page_of(texts: list[str], needle: str) -> int:
    return next(i for i, t in enumerate(texts) if needle in t)


# ---- FDA PDF rules -------------------------------------------------------------------------


def test_pdf_version_between_1_4_and_1_7(pdf_bytes: bytes) -> None:
    assert pdf_bytes[:5] == b"%PDF-"
    assert pdf_bytes[5:8] in (b"1.4", b"1.5", b"1.6", b"1.7")


def test_no_encryption_javascript_or_attachments(reader: PdfReader) -> None:
    assert not reader.is_encrypted
    keys = {k for d in all_dicts(reader) for k in d}
    assert not keys & {"/Encrypt", "/JavaScript", "/JS", "/EmbeddedFiles", "/AA"}


def test_opens_on_bookmarks_panel(reader: PdfReader) -> None:
    assert reader.root_object["/PageMode"] == "/UseOutlines"


def test_metadata_comes_from_the_document(reader: PdfReader) -> None:
    info = reader.metadata
    assert info is not None
    assert info["/Title"] == "Type B Meeting Briefing Package"
    assert info["/Author"] == "Submission Kit Demo"
    assert info["/Subject"] == "Briefing package"
    assert info["/Keywords"] == "ALS, IL-2LD"
    assert str(info["/CreationDate"]).startswith("D:20240331")
    assert str(info["/ModDate"]).startswith("D:20240331")
    assert reader.root_object["/Lang"] == "en-US"


def structure(reader: PdfReader) -> list[DictionaryObject]:
    """Every structure element of the tagged PDF, in document order."""
    out: list[DictionaryObject] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)
        elif isinstance(node, DictionaryObject) and node.get("/Type") != "/MCR":
            if "/S" in node:
                out.append(node)
            if "/K" in node:
                walk(node["/K"])

    walk(reader.root_object["/StructTreeRoot"]["/K"])
    return out


def test_tagged_pdf_ua(reader: PdfReader) -> None:
    """WeasyPrint's PDF/UA-1 variant: marked content under a structure tree of headings,
    tables with header cells and figures with their alt text, declared in the XMP metadata,
    still PDF 1.7 (FDA) and showing the document title."""
    root = reader.root_object
    assert bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    tags = structure(reader)
    kinds = {str(t["/S"]) for t in tags}
    assert {"/H1", "/H2", "/P", "/Table", "/TH", "/TD", "/Figure", "/Link", "/L"} <= kinds
    figures = [t for t in tags if t["/S"] == "/Figure"]
    assert [str(f["/Alt"]) for f in figures] == ["Two survival curves; IL-2LD above placebo"]
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfuaid:part="1"' in xmp or b"<pdfuaid:part>1</pdfuaid:part>" in xmp


def test_every_font_is_embedded(reader: PdfReader) -> None:
    dicts = all_dicts(reader)
    fonts = [d for d in dicts if d.get("/Type") == "/Font" and d.get("/Subtype") != "/Type0"]
    assert fonts
    for font in fonts:
        assert font.get("/Subtype") != "/Type3"
        descriptor = font["/FontDescriptor"].get_object()
        assert isinstance(descriptor, DictionaryObject)
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font


def test_text_is_searchable(page_texts: list[str]) -> None:
    text = "\n".join(page_texts)
    for needle in (HEADER, "Type B Meeting Briefing Package", "1 Introduction", "Bold claim",
                   "Demographic and Baseline Characteristics", "121.5 (1.12)", "Preferred term 11",
                   "Source: ADSL; program t_14_1_3_demographics.py",
                   "Percentages are based on N & <n>."):
        assert needle in text, needle


def test_page_x_of_y_on_every_page(page_texts: list[str]) -> None:
    n = len(page_texts)
    for i, text in enumerate(page_texts, start=1):
        assert f"Page {i} of {n}" in text
    assert "Confidential" in page_texts[-1]


def test_running_header_not_on_title_page(page_texts: list[str]) -> None:
    assert HEADER not in page_texts[0]
    assert all(HEADER in t for t in page_texts[1:])


def test_landscape_table_is_stored_landscape(reader: PdfReader, page_texts: list[str]) -> None:
    landscape = page_of(page_texts, "Preferred term 11")
    for i, page in enumerate(reader.pages):
        box = page.mediabox
        assert page.get("/Rotate", 0) == 0
        if i == landscape:
            assert (float(box.width), float(box.height)) == (792.0, 612.0)
            assert "2.2 Adverse events" in page_texts[i]  # the heading moved with its table
        else:
            assert (float(box.width), float(box.height)) == (612.0, 792.0)


def test_bookmarks_cover_headings_tables_and_figures(reader: PdfReader) -> None:
    marks = outline(reader)
    assert (0, "Table of Contents") in marks
    assert (0, "1 Introduction") in marks
    assert (1, "1.1 Background") in marks
    assert (0, "2 Results") in marks
    demo = marks.index((1, "2.1 Demographics"))
    caption = "Table 1: Demographic and Baseline Characteristics — ITT Population (Table 14.1.3)"
    assert marks[demo + 1] == (2, caption)
    ae = "Table 2: Adverse Events by Preferred Term — Safety Population (Table 14.3.1)"
    km = "Figure 1: Kaplan-Meier Plot of Overall Survival — ITT Population (Figure 14.2.1)"
    assert marks[marks.index((1, "2.2 Adverse events")) + 1] == (2, ae)
    assert marks[marks.index((1, "2.3 Survival")) + 1] == (2, km)
    assert not any("Type B Meeting" in title for _, title in marks)


def test_toc_links_point_inside_the_document(reader: PdfReader, page_texts: list[str]) -> None:
    toc = page_of(page_texts, "Table of Contents")
    links = [a.get_object() for a in reader.pages[toc].get("/Annots", [])]
    internal = [a for a in links if a["/Subtype"] == "/Link"
                and ("/Dest" in a or a.get("/A", {}).get("/S") == "/GoTo")]
    assert len(internal) >= 6 + 3  # six headings, two tables, one figure
    uris = [a["/A"].get("/URI") for p in reader.pages for a in
            (x.get_object() for x in p.get("/Annots", [])) if "/A" in a]
    assert "https://www.fda.gov/" in uris


def test_toc_has_page_numbers(page_texts: list[str]) -> None:
    demographics_page = page_of(page_texts, "Parameter 1 (units)") + 1
    toc = page_texts[page_of(page_texts, "Table of Contents")]
    assert any(line.startswith("2.1 Demographics") and line.endswith(f" {demographics_page}")
               for line in toc.splitlines())


# ---- layout ----------------------------------------------------------------------------------


def test_margins_leave_edges_clear(pdf_bytes: bytes) -> None:
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            assert page.chars
            for ch in page.chars:
                assert ch["x0"] >= 0.75 * PT_PER_IN - 0.01
                assert ch["x1"] <= page.width - 0.375 * PT_PER_IN
                assert ch["top"] >= 0.375 * PT_PER_IN
                assert ch["bottom"] <= page.height - 0.375 * PT_PER_IN


def test_font_sizes_body_10_to_12_tables_at_least_9(pdf_bytes: bytes) -> None:
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        words = [w for p in pdf.pages for w in p.extract_words(extra_attrs=["size"])]
    body = [w for w in words if w["text"] in ("briefing", "Amyotrophic", "Welcome")]
    assert body and all(10 <= round(w["size"], 2) <= 12 for w in body)
    table = [w for w in words if w["text"] in ("Parameter", "Mean", "(N=110)", "ADSL;")]
    assert table and all(round(w["size"], 2) == 9 for w in table)
    # Nothing is set below 9 pt except the superscript footnote marker "a".
    assert min(round(w["size"], 2) for w in words if w["text"] != "a") >= 9


def test_long_table_repeats_headers_and_footnotes(page_texts: list[str]) -> None:
    first = page_of(page_texts, "Parameter 1 (units)")
    last = page_of(page_texts, "Parameter 12 (units)")
    assert last > first
    for text in page_texts[first:last + 1]:
        assert "Table 1: Demographic and Baseline Characteristics" in text
        assert "Placebo" in text and "(N=110)" in text and "(N=220)" in text
        assert "SD = standard deviation." in text


def test_rows_keep_their_indent(pdf_bytes: bytes, page_texts: list[str]) -> None:
    page = page_of(page_texts, "Parameter 1 (units)")
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        words = pdf.pages[page].extract_words()
    x = {w["text"]: w["x0"] for w in words}
    assert x["Parameter"] < x["n"] < x["Min,"]


# ---- standalone TLF --------------------------------------------------------------------------


def test_standalone_table_is_a_clean_tlf() -> None:
    reader = PdfReader(io.BytesIO(as_pdf(standalone_table())))
    first = reader.pages[0].extract_text()
    lines = first.splitlines()
    assert HEADER in lines
    start = lines.index("Table 14.1.3")
    assert lines[start:start + 3] == ["Table 14.1.3", "Demographic and Baseline Characteristics",
                                      "ITT Population"]
    n = len(reader.pages)
    assert n == 2 and f"Page 1 of {n}" in first
    assert "Table 14.1.3" in reader.pages[1].extract_text()
    assert outline(reader) == [
        (0, "Table 14.1.3: Demographic and Baseline Characteristics — ITT Population")]
    assert reader.metadata is not None
    assert str(reader.metadata["/Title"]).startswith("Table 14.1.3")


def test_standalone_landscape_table_and_a4_figure() -> None:
    table = Document(id="t_14_3_1", title_page=TitlePage(""), blocks=(TableRef("14.3.1"),),
                     tables={"14.3.1": adverse_events()}, date_iso="2024-03-31")
    pages = PdfReader(io.BytesIO(as_pdf(table))).pages
    assert [(float(p.mediabox.width), float(p.mediabox.height)) for p in pages] == [(792, 612)]
    figure = replace(km_figure(), orientation="landscape", width_in=12.0, height_in=8.0)
    doc = Document(id="f_14_2_1", title_page=TitlePage(""), blocks=(FigureRef("14.2.1"),),
                   figures={"14.2.1": figure}, date_iso="2024-03-31",
                   style=Style(page=PageSetup(paper="a4")))
    reader = PdfReader(io.BytesIO(as_pdf(doc)))
    assert len(reader.pages) == 1  # scaled down to fit with its title and notes
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    assert outline(reader) == [(0, "Figure 14.2.1: Kaplan-Meier Plot of Overall Survival — "
                                   "ITT Population")]


def test_missing_table_is_a_user_error() -> None:
    doc = Document(id="x", title_page=TitlePage("X"), blocks=(TableRef("14.9.9"),))
    with pytest.raises(UserError, match=r"14\.9\.9"):
        as_html(doc)


def test_broken_internal_link_is_a_user_error() -> None:
    doc = Document(id="x", title_page=TitlePage("X"),
                   blocks=(para(Text("see"), Text("nowhere", href="#h_nowhere")),))
    with pytest.raises(UserError, match="#h_nowhere"):
        as_html(doc)


def test_weasyprint_reports_no_css_or_layout_problems(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        as_pdf(sample_document())
    problems = [r.getMessage() for r in caplog.records
                if "instead of HarfBuzz-Subset" not in r.getMessage()]
    assert problems == []


# ---- HTML -------------------------------------------------------------------------------------


def test_html_is_escaped_and_linked() -> None:
    html = as_html(sample_document())
    assert html.startswith('<!DOCTYPE html>\n<html lang="en-US">')
    assert "Percentages are based on N &amp; &lt;n&gt;." in html
    assert ('<h2 id="h_demographics"><span class="heading-number">2.1</span> Demographics</h2>'
            in html)
    assert '<a href="#h_demographics">' in html and '<a href="#t_14_1_3">' in html
    assert "target-counter(attr(href), page)" in html
    assert "Placebo<br>(N=110)" in html
    assert '<ol start="3">' in html and "<sup>a</sup>" in html


# ---- reproducibility ------------------------------------------------------------------------


def test_two_renders_are_byte_identical(pdf_bytes: bytes) -> None:
    assert as_pdf(sample_document()) == pdf_bytes


def test_environment_is_restored_after_a_render(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "42")
    as_pdf(standalone_table())
    assert os.environ["SOURCE_DATE_EPOCH"] == "42"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    as_pdf(standalone_table())
    assert "SOURCE_DATE_EPOCH" not in os.environ


def test_render_in_another_process_is_byte_identical(pdf_bytes: bytes, tmp_path: Path) -> None:
    out = tmp_path / "again.pdf"
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import test_pdf; "
        "from submission_kit.writers.pdf import write_pdf; "
        "write_pdf(test_pdf.sample_document(), sys.argv[2])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env.pop("SOURCE_DATE_EPOCH", None)
    subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent), str(out)],
                   check=True, env=env, timeout=300)
    assert out.read_bytes() == pdf_bytes


def test_write_pdf_writes_the_bytes(tmp_path: Path) -> None:
    path = write_pdf(standalone_table(), tmp_path / "t-14-1-3.pdf")
    assert path.read_bytes() == as_pdf(standalone_table())
