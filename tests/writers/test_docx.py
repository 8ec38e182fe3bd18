"""DOCX writer, checked by reading the file back (python-docx, raw XML) and by converting it
with LibreOffice headless (DESIGN §4): never by comparing binary snapshots."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import matplotlib
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Inches, Twips

matplotlib.use("Agg")
import matplotlib.pyplot as plt

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
from submission_kit.writers.docx import as_docx, write_docx
from submission_kit.writers.tlf_layout import layout_of

CUTOFF = datetime(2024, 3, 31, tzinfo=UTC)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# --- fixtures: small, hand-made models -----------------------------------------------------

def small_png() -> bytes:
    fig, ax = plt.subplots(figsize=(4, 3), dpi=40)
    ax.step([0, 1, 2, 3], [1.0, 0.8, 0.6, 0.5], where="post")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def demographics() -> TableModel:
    """30 rows: 10 parameters, each a header row and two indented statistic rows."""
    rows = []
    for g in range(10):
        rows.append(Row(f"Parameter {g}", ("", ""), 0))
        rows.append(Row("n", ("110", "109"), 1, (f"p{g}.n.PBO", f"p{g}.n.IL2")))
        rows.append(Row("Mean (SD)", (f"5{g}.8 (10.1)", "60.4 (9.7)"), 2,
                        (f"p{g}.mean.PBO", f"p{g}.mean.IL2")))
    return TableModel(
        id="14.1.3",
        title=("Table 14.1.3", "Demographic and Baseline Characteristics", "ITT Population"),
        columns=(Column("PBO", "Placebo", 110), Column("IL2", "IL-2LD", 110)),
        rows=tuple(rows),
        footnotes=("SD = standard deviation.",),
        source="ADSL; program t_14_1_3_demographics.py",
        stub_header="Characteristic",
    )


def wide_listing(n_rows: int = 40) -> TableModel:
    columns = tuple(Column(f"C{i}", f"Visit {i}", 50 + i) for i in range(8))
    rows = tuple(Row(f"Subject 01-{i:04d}", tuple(f"{i * j}.{j}" for j in range(8)))
                 for i in range(n_rows))
    title = ("Listing 16.2.4", "Laboratory Values by Visit", "Safety Population")
    return TableModel("16.2.4", title, columns, rows, ("Values in SI units.",), "ADLB",
                      orientation="landscape")


def km_figure() -> FigureModel:
    return FigureModel("14.2.1", ("Figure 14.2.1", "Kaplan-Meier Plot of Overall Survival",
                                  "ITT Population"), b"<svg/>", small_png(), 6.0, 4.5,
                       ("+ = censored.",), "ADTTE", alt_text="Two Kaplan-Meier curves")


def build_document() -> Document:
    """A briefing document with every block type; used in-process and in a subprocess."""
    blocks = (
        TableOfContents(), ListOfTables(), ListOfFigures(), PageBreak(),
        Heading(1, (Text("Introduction"),), "h_introduction"),
        Paragraph((Text("Plain, "), Text("bold", bold=True), Text(", "),
                   Text("italic", italic=True), Text(", see "),
                   Text("the results", href="#h_results"), Text(" and "),
                   Text("FDA", href="https://www.fda.gov/"), Text("1", superscript=True),
                   Text(" ADSL.TRT01P", code=True))),
        ListBlock(False, ((Paragraph((Text("first bullet"),)),),
                          (Paragraph((Text("second bullet"),)),
                           ListBlock(True, ((Paragraph((Text("nested one"),)),),
                                            (Paragraph((Text("nested two"),)),)))))),
        ListBlock(True, ((Paragraph((Text("question three"),)),),
                         (Paragraph((Text("question four"),)),)), start=3),
        Heading(2, (Text("Agenda"),), "h_agenda"),
        SimpleTable(((Text("Time"),), (Text("Topic"),)),
                    (((Text("10:00"),), (Text("Introductions"),)),
                     ((Text("10:10"),), (Text("Question 1"),)))),
        Heading(1, (Text("Results"),), "h_results"),
        TableRef("14.1.3"), TableRef("16.2.4"), FigureRef("14.2.1"),
        Heading(1, (Text("References"),), "h_references", numbered=False),
        Paragraph((Text("End."),)),
    )
    return Document(
        id="fda-meeting-package",
        title_page=TitlePage("Type B Meeting Package", "IL-2LD in ALS",
                             ("Sponsor: Example Pharma", "Version 1.0"),
                             "Synthetic data - for demonstration only"),
        blocks=blocks,
        tables={"14.1.3": demographics(), "16.2.4": wide_listing()},
        figures={"14.2.1": km_figure()},
        running_header="Study EX-001 - Synthetic data",
        running_footer="Confidential",
        author="Example Pharma", subject="Type B meeting", keywords="ALS; IL-2",
        date_iso="2024-03-31",
    )


def standalone(model: TableModel | FigureModel) -> Document:
    ref = TableRef(model.id) if isinstance(model, TableModel) else FigureRef(model.id)
    return Document(
        id="tlf", title_page=TitlePage(""), blocks=(ref,),
        tables={model.id: model} if isinstance(model, TableModel) else {},
        figures={model.id: model} if isinstance(model, FigureModel) else {},
        running_header="Study EX-001", running_footer="t_14_1_3.docx", date_iso="2024-03-31")


@pytest.fixture(autouse=True, scope="module")
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    return as_docx(build_document())


@pytest.fixture(scope="module")
def word(docx_bytes: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(docx_bytes))


def part_xml(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name).decode("utf-8")


def table_texts(table) -> list[list[str]]:
    """Cell texts without the figure spaces (U+2007) that decimal-align numbers."""
    return [[cell.text.replace("\u2007", "") for cell in row.cells] for row in table.rows]


def find_table(word, first_cell: str):
    return next(t for t in word.tables if t.rows[0].cells[0].text == first_cell)


# --- structure -------------------------------------------------------------------------------

def test_headings_are_word_headings_numbered_by_word_list_numbering(word, docx_bytes):
    """The number is not typed: Heading n carries level n-1 of one multilevel list ("1",
    "1.1", a space after), and an unnumbered heading leaves the list (numId 0)."""
    headings = [(p.style.name, p.text) for p in word.paragraphs
                if p.style.name.startswith("Heading")]
    assert headings == [("Heading 1", "Introduction"), ("Heading 2", "Agenda"),
                        ("Heading 1", "Results"), ("Heading 1", "References")]
    outline = word.styles["Heading 2"].element.find(f"{W}pPr/{W}outlineLvl")
    assert outline.get(qn("w:val")) == "1"
    nums = {}
    for level in (1, 2, 3):
        num = word.styles[f"Heading {level}"].element.find(f"{W}pPr/{W}numPr")
        assert num.find(f"{W}ilvl").get(qn("w:val")) == str(level - 1)
        nums[level] = num.find(f"{W}numId").get(qn("w:val"))
    assert len(set(nums.values())) == 1
    numbering = part_xml(docx_bytes, "word/numbering.xml")
    assert '<w:pStyle w:val="Heading2"/><w:suff w:val="space"/><w:lvlText w:val="%1.%2"/>' \
        in numbering
    references = next(p for p in word.paragraphs if p.text == "References")
    assert references._p.find(f"{W}pPr/{W}numPr/{W}numId").get(qn("w:val")) == "0"


def test_title_page_comes_first_then_a_page_break(word):
    paragraphs = word.paragraphs
    assert (paragraphs[0].style.name, paragraphs[0].text) == ("Title", "Type B Meeting Package")
    assert paragraphs[1].style.name == "Subtitle"
    banner = next(p for p in paragraphs if p.text.startswith("Synthetic data"))
    assert banner.style.name == "Banner" and banner.style.font.bold
    assert 'w:type="page"' in paragraphs[paragraphs.index(banner) + 1]._p.xml


def test_table_cells_equal_the_model_strings(word):
    model = demographics()
    table = find_table(word, "Characteristic")
    expected = [[model.stub_header, *(c.header for c in model.columns)]]
    expected += [[r.label, *r.cells] for r in model.rows]
    assert table_texts(table) == expected
    assert table.rows[0].cells[1].text == "Placebo\n(N=110)"


def test_header_row_repeats_and_no_row_splits(word):
    table = find_table(word, "Characteristic")
    rows = table._tbl.findall(f"{W}tr")
    assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
    assert all(r.find(f"{W}trPr/{W}tblHeader") is None for r in rows[1:])
    assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)


def test_row_labels_are_indented_by_level(word):
    model = demographics()
    table = find_table(word, "Characteristic")
    for row, model_row in zip(table.rows[1:], model.rows, strict=True):
        indent = row.cells[0].paragraphs[0].paragraph_format.left_indent
        assert (indent or 0) == Inches(0.15) * model_row.indent


def test_table_layout_is_fixed_to_the_text_width_with_a_wider_stub(word):
    table = find_table(word, "Characteristic")
    widths = [int(g.get(qn("w:w"))) for g in table._tbl.findall(f"{W}tblGrid/{W}gridCol")]
    text_width = round((8.5 - 1.0 - 0.75) * 1440)
    assert sum(widths) == text_width
    assert widths[0] > widths[1]
    assert table._tbl.find(f"{W}tblPr/{W}tblLayout").get(qn("w:type")) == "fixed"


def test_caption_above_and_notes_below_each_table_in_a_document(word):
    """In a document the numbered caption replaces the TLF title lines (as in the PDF)."""
    texts = [p.text for p in word.paragraphs]
    assert "Table 14.1.3" not in texts
    # the first match is the list-of-tables entry (text + tab + page field), then the caption
    captions = [t.rstrip("\t") for t in texts if t.startswith("Table 1:")]
    assert captions[-1] == ("Table 1: Demographic and Baseline Characteristics — ITT Population "
                            "(Table 14.1.3)")
    assert "SD = standard deviation." in texts
    assert "Source: ADSL; program t_14_1_3_demographics.py" in texts


def test_landscape_table_gets_its_own_landscape_section(word):
    orientations = [s.orientation for s in word.sections]
    assert WD_ORIENT.LANDSCAPE in orientations
    i = orientations.index(WD_ORIENT.LANDSCAPE)
    landscape = word.sections[i]
    assert (landscape.page_width, landscape.page_height) == (Inches(11), Inches(8.5))
    after = word.sections[i + 1]
    assert after.orientation == WD_ORIENT.PORTRAIT
    assert (after.page_width, after.page_height) == (Inches(8.5), Inches(11))
    assert landscape.left_margin == Inches(1.0)


def test_a4_paper_and_margins_come_from_the_page_setup():
    style = Style(page=PageSetup(paper="a4", margin_left=1.25, margin_top=0.5), justify=True)
    doc = Document(**{**_fields(standalone(demographics())), "style": style})
    section = docx.Document(io.BytesIO(as_docx(doc))).sections[0]
    assert (section.page_width, section.page_height) == (Twips(11906), Twips(16838))  # 210 x 297 mm
    # The top margin is the PDF's (raised to 0.6 in, clear of the running header), plus the
    # title lines a standalone table carries in its page header.
    titles = layout_of(demographics(), style).title_h
    assert section.left_margin == Inches(1.25)
    assert section.top_margin == Twips(round((0.6 * 72 + titles) * 20))


def test_every_section_has_the_running_header_and_page_x_of_y_footer(word, docx_bytes):
    for section in word.sections:
        assert section.header.paragraphs[0].text == "Study EX-001 - Synthetic data"
        footer = section.footer.paragraphs[-1].text
        assert footer.startswith("Confidential\tPage ") and " of " in footer
    footer_xml = part_xml(docx_bytes, "word/footer1.xml")
    assert "> PAGE </w:instrText>" in footer_xml and "> NUMPAGES </w:instrText>" in footer_xml


# --- fields, captions, links ---------------------------------------------------------------

def test_toc_and_list_fields_are_real_fields(docx_bytes):
    xml = part_xml(docx_bytes, "word/document.xml")
    assert '> TOC \\o "1-3" \\h \\z \\u </w:instrText>' in xml
    assert '> TOC \\h \\z \\c "Table" </w:instrText>' in xml
    assert '> TOC \\h \\z \\c "Figure" </w:instrText>' in xml
    assert "> SEQ Table \\* ARABIC </w:instrText>" in xml
    assert "> SEQ Figure \\* ARABIC </w:instrText>" in xml
    assert '<w:updateFields w:val="true"/>' in part_xml(docx_bytes, "word/settings.xml")


def test_toc_cached_result_lists_headings_linked_to_their_bookmarks(word):
    body = word.element.body
    bookmarks = {b.get(qn("w:name")) for b in body.iter(f"{W}bookmarkStart")}
    toc = [p for p in word.paragraphs if p.style.name.lower() in ("toc 1", "toc 2", "toc 3")]
    assert [p.text.split("\t")[0] for p in toc] == [
        "1 Introduction", "1.1 Agenda", "2 Results", "References"]
    anchors = [p._p.find(f"{W}hyperlink").get(qn("w:anchor")) for p in toc]
    assert anchors == ["h_introduction", "h_agenda", "h_results", "h_references"]
    assert set(anchors) <= bookmarks


def test_captions_number_tables_and_figures_and_feed_the_lists(word):
    captions = [p.text for p in word.paragraphs if p.style.name in ("Caption", "Table Caption")]
    assert captions == [
        "Table 1: Demographic and Baseline Characteristics — ITT Population (Table 14.1.3)",
        "Table 2: Laboratory Values by Visit — Safety Population (Listing 16.2.4)",
        "Figure 1: Kaplan-Meier Plot of Overall Survival — ITT Population (Figure 14.2.1)",
    ]
    listed = [p.text.split("\t")[0] for p in word.paragraphs
              if p.style.name.lower() == "table of figures"]
    assert listed == captions
    bookmarks = {b.get(qn("w:name")) for b in word.element.body.iter(f"{W}bookmarkStart")}
    assert {"t_14_1_3", "t_16_2_4", "f_14_2_1"} <= bookmarks


def test_inline_formatting_and_hyperlinks(word):
    p = next(p for p in word.paragraphs if p.text.startswith("Plain, "))
    runs = {r.text: r for r in p.runs}
    assert runs["bold"].bold and runs["italic"].italic
    assert runs["1"].font.superscript
    assert runs[" ADSL.TRT01P"].style.name == "Verbatim Char"
    assert word.styles["Verbatim Char"].font.name == "Liberation Mono"
    links = p._p.findall(f"{W}hyperlink")
    assert links[0].get(qn("w:anchor")) == "h_results"
    rid = links[1].get(qn("r:id"))
    assert word.part.rels[rid].target_ref == "https://www.fda.gov/"
    link_run = links[0].find(f"{W}r/{W}rPr")
    assert link_run.find(f"{W}rStyle").get(qn("w:val")) == "Hyperlink"
    link_style = word.styles["Hyperlink"].element.find(f"{W}rPr")
    assert link_style.find(f"{W}color").get(qn("w:val")) == "0563C1"
    assert link_style.find(f"{W}u").get(qn("w:val")) == "single"


def test_lists_are_numbered_paragraphs_with_nesting_and_start(word, docx_bytes):
    items = {p.text: p._p.find(f"{W}pPr/{W}numPr") for p in word.paragraphs
             if p.style.name == "List Paragraph"}
    level = {text: int(n.find(f"{W}ilvl").get(qn("w:val"))) for text, n in items.items()}
    assert level == {"first bullet": 0, "second bullet": 0, "nested one": 1, "nested two": 1,
                     "question three": 0, "question four": 0}
    num_id = items["question three"].find(f"{W}numId").get(qn("w:val"))
    root = docx.oxml.parse_xml(part_xml(docx_bytes, "word/numbering.xml").encode())
    num = next(n for n in root.iter(f"{W}num") if n.get(qn("w:numId")) == num_id)
    assert num.find(f"{W}lvlOverride/{W}startOverride").get(qn("w:val")) == "3"
    abstract_id = num.find(f"{W}abstractNumId").get(qn("w:val"))
    abstract = next(a for a in root.iter(f"{W}abstractNum")
                    if a.get(qn("w:abstractNumId")) == abstract_id)
    assert abstract.find(f"{W}lvl/{W}numFmt").get(qn("w:val")) == "decimal"


def test_simple_table_is_a_bordered_grid(word):
    table = find_table(word, "Time")
    assert table_texts(table) == [["Time", "Topic"], ["10:00", "Introductions"],
                                  ["10:10", "Question 1"]]
    assert table._tbl.find(f"{W}tblPr/{W}tblBorders/{W}insideV") is not None


def test_figure_is_embedded_with_alt_text_and_fits_the_text_width(word, docx_bytes):
    doc_pr = next(word.element.body.iter(
        "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"))
    assert doc_pr.get("descr") == "Two Kaplan-Meier curves"
    shape = word.inline_shapes[0]
    assert shape.width == Inches(6.0) and shape.height == Inches(4.5)
    assert "word/media/image1.png" in zipfile.ZipFile(io.BytesIO(docx_bytes)).namelist()


def test_text_is_formatted_by_styles_only(word, docx_bytes):
    """No run carries a font, a size or a colour (a company template restyles the text);
    emphasis (bold, italic, superscript) and character styles are all a run may have."""
    allowed = {"rStyle", "b", "bCs", "i", "iCs", "vertAlign"}
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as z:
        parts = [n for n in z.namelist() if n.startswith("word/") and n.endswith(".xml")
                 and n.split("/")[-1].startswith(("document", "header", "footer"))]
        for name in parts:
            root = docx.oxml.parse_xml(z.read(name))
            props = {c.tag.split("}")[-1] for r in root.iter(f"{W}r")
                     for c in r.findall(f"{W}rPr/*")}
            assert props <= allowed, (name, props - allowed)
    assert word.styles["Normal"].font.name == "Liberation Serif"
    assert word.styles["Normal"].font.size.pt == 11
    assert word.styles["Table Text"].font.size.pt == 9


# --- properties and reproducibility -----------------------------------------------------------

def test_core_properties_come_from_the_document_not_the_clock(word):
    props = word.core_properties
    assert props.created == CUTOFF and props.modified == CUTOFF
    assert props.revision == 1
    assert (props.title, props.author, props.last_modified_by) == (
        "Type B Meeting Package", "Example Pharma", "Example Pharma")
    assert (props.subject, props.keywords, props.language) == (
        "Type B meeting", "ALS; IL-2", "en-US")
    assert props.comments == ""


def test_app_properties_name_this_tool_not_the_template(docx_bytes):
    app = part_xml(docx_bytes, "docProps/app.xml")
    assert "<Application>submission-kit</Application>" in app
    assert "Macintosh" not in app and "<Pages>" not in app


def test_missing_cutoff_date_falls_back_to_2000(tmp_path):
    doc = standalone(demographics())
    path = tmp_path / "t.docx"
    write_docx(Document(**{**_fields(doc), "date_iso": ""}), path)
    assert docx.Document(str(path)).core_properties.created == datetime(2000, 1, 1, tzinfo=UTC)


def _fields(doc: Document) -> dict:
    return {name: getattr(doc, name) for name in Document.__slots__}


def test_bad_cutoff_date_and_missing_table_are_user_errors():
    doc = standalone(demographics())
    with pytest.raises(UserError, match="date_iso"):
        as_docx(Document(**{**_fields(doc), "date_iso": "31/03/2024"}))
    with pytest.raises(UserError, match=r"outputs it does not contain") as excinfo:
        as_docx(Document(**{**_fields(doc), "blocks": (TableRef("99.9"),)}))
    assert "table 99.9" in str(excinfo.value)


def test_two_calls_give_identical_bytes(docx_bytes):
    assert as_docx(build_document()) == docx_bytes


def test_bytes_are_identical_across_processes(docx_bytes):
    code = ("import hashlib, runpy, sys; ns = runpy.run_path(sys.argv[1]); "
            "from submission_kit.writers.docx import as_docx; "
            "sys.stdout.write(hashlib.sha256(as_docx(ns['build_document']())).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-c", code, __file__], capture_output=True, text=True,
                         check=True, env=env, timeout=120)
    assert out.stdout == hashlib.sha256(docx_bytes).hexdigest()


def test_zip_entries_have_fixed_times_and_order(docx_bytes):
    infos = zipfile.ZipFile(io.BytesIO(docx_bytes)).infolist()
    names = [i.filename for i in infos]
    assert names[0] == "[Content_Types].xml" and names[1:] == sorted(names[1:])
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert "docProps/thumbnail.jpeg" not in names


def test_no_template_dates_or_revision_ids_in_the_body(docx_bytes):
    xml = part_xml(docx_bytes, "word/document.xml")
    assert "rsid" not in xml
    assert "2013" not in part_xml(docx_bytes, "docProps/core.xml")


# --- standalone TLF files ------------------------------------------------------------------

def test_standalone_table_is_a_clean_tlf():
    model = demographics()
    word = docx.Document(io.BytesIO(as_docx(standalone(model))))
    assert not [p for p in word.paragraphs if p.style and p.style.name in ("Title", "Caption")]
    assert len(word.sections) == 1 and word.sections[0].orientation == WD_ORIENT.PORTRAIT
    assert len(word.tables) == 1
    assert table_texts(word.tables[0])[1:] == [[r.label, *r.cells] for r in model.rows]
    # Title lines above and notes below the table on every page: page header and footer.
    header = [p.text for p in word.sections[0].header.paragraphs]
    assert header == ["Study EX-001", *model.title]
    footer = [p.text for p in word.sections[0].footer.paragraphs]
    assert footer[:2] == ["SD = standard deviation.", f"Source: {model.source}"]
    assert footer[2].startswith("t_14_1_3.docx\tPage ")
    assert word.core_properties.title == " ".join(model.title)


def test_standalone_landscape_listing_and_figure():
    word = docx.Document(io.BytesIO(as_docx(standalone(wide_listing()))))
    assert [s.orientation for s in word.sections] == [WD_ORIENT.LANDSCAPE]
    assert word.sections[0].page_width == Inches(11)
    fig = docx.Document(io.BytesIO(as_docx(standalone(km_figure()))))
    assert len(fig.inline_shapes) == 1
    assert fig.sections[0].header.paragraphs[1].text == "Figure 14.2.1"


def test_4000_row_table_builds_in_bulk():
    """Correctness of the bulk path on a long listing, one table per page of the pagination
    model; bench/run.py --writers times it."""
    model = wide_listing(4000)
    data = as_docx(standalone(model))
    word = docx.Document(io.BytesIO(data))
    pages = layout_of(model, Style()).pages
    assert len(word.tables) == len(pages) > 1
    assert sum(len(t.rows) - 1 for t in word.tables) == 4000
    assert word.tables[-1].rows[-1].cells[0].text == "Subject 01-3999"


# --- LibreOffice round trip --------------------------------------------------------------

def test_libreoffice_converts_the_docx_to_pdf(tmp_path, docx_bytes):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is needed (scripts/install-system-deps.sh test installs it)"
    pypdf = pytest.importorskip("pypdf")
    source = tmp_path / "briefing.docx"
    source.write_bytes(docx_bytes)
    profile = (tmp_path / "lo-profile").as_uri()  # own profile: parallel runs do not collide
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=300)
    reader = pypdf.PdfReader(tmp_path / "briefing.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "59.8 (10.1)" in text and "Subject 01-0039" in text
    assert "1 Introduction" in text and "Page 1 of" in text
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
             for p in reader.pages}
    assert sizes == {(612, 792), (792, 612)}


def test_write_docx_writes_the_same_bytes(tmp_path: Path, docx_bytes):
    path = tmp_path / "out.docx"
    write_docx(build_document(), path)
    assert path.read_bytes() == docx_bytes


def test_simple_table_columns_follow_their_content():
    """The abbreviation column as wide as its terms need, the meanings get the rest; no
    word is broken (docx_tlf.simple_widths, measured with the font's advance widths)."""
    from submission_kit.writers.docx_tlf import simple_widths
    from submission_kit.writers.font_metrics import measure_for

    measure = measure_for("Liberation Serif")
    rows = [["ALS", "amyotrophic lateral sclerosis"], ["pNFH", "phosphorylated neurofilament "
                                                              "heavy chain " * 4]]
    widths = simple_widths(["Abbreviation", "Meaning"], rows, measure, 9.0, 9360)
    assert sum(widths) == 9360 and widths[0] < widths[1] / 3
    assert widths[0] / 20 > measure("Abbreviation", True) * 9.0 + 7.2
