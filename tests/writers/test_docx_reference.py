"""templates/reference.docx: generated from the code, the source of every document's styles,
replaceable by a study's own (a sponsor's company template). Read back with python-docx and
as XML; nothing rendered."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from submission_kit.cli import main
from submission_kit.documents.model import (
    Document,
    Heading,
    Paragraph,
    Style,
    TableOfContents,
    TableRef,
    Text,
    TitlePage,
)
from submission_kit.errors import UserError
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.writers.docx import as_docx
from submission_kit.writers.docx_reference import (
    REFERENCE_NAME,
    reference_docx,
    shipped_reference,
)
from submission_kit.writers.docx_styles import MEASURED

SHIPPED = Path(__file__).resolve().parents[2] / "templates" / REFERENCE_NAME
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def document(style: Style | None = None) -> Document:
    table = TableModel("14.1.1", ("Table 14.1.1", "Disposition"), (Column("A", "Placebo", 10),),
                       (Row("Randomised", ("10",)),), ("N = number of subjects.",), "ADSL")
    blocks = (TableOfContents(), Heading(1, (Text("Introduction"),), "h_intro"),
              Paragraph((Text("Text, "), Text("bold", bold=True))),
              Heading(2, (Text("Detail"),), "h_detail"), TableRef("14.1.1"))
    return Document("doc", TitlePage("A Briefing Document"), blocks, tables={"14.1.1": table},
                    running_header="Study X", date_iso="2024-03-31", style=style or Style())


def styles_by_id(data: bytes) -> dict[str, bytes]:
    """Each style's XML, by id."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("word/styles.xml"))
    return {s.get(f"{W}styleId"): etree.tostring(s)
            for s in root.iter(f"{W}style")}


@pytest.fixture(scope="module")
def written() -> bytes:
    return as_docx(document())


def test_shipped_reference_is_what_the_code_generates() -> None:
    """The file is generated (scripts/make_reference_docx.py), reproducibly: fixed zip times,
    no rsids, no document id, no thumbnail; run the script after changing docx_styles."""
    generated = reference_docx()
    assert generated == reference_docx()
    assert SHIPPED.read_bytes() == generated, "run scripts/make_reference_docx.py"
    assert shipped_reference() == generated
    with zipfile.ZipFile(io.BytesIO(generated)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        settings = z.read("word/settings.xml").decode()
        names = z.namelist()
    assert "rsid" not in settings and "docId" not in settings
    assert '<w:compatSetting w:name="compatibilityMode" ' \
           'w:uri="http://schemas.microsoft.com/office/word" w:val="15"/>' in settings
    assert not [n for n in names if "thumbnail" in n or n.startswith("customXml")]


def test_reference_shows_each_style_it_defines() -> None:
    """A sample paragraph per style, for whoever edits the styles in Word."""
    word = docx.Document(io.BytesIO(reference_docx()))
    used = {p.style.style_id for p in word.paragraphs}
    assert {"Title", "Heading1", "Heading2", "Normal", "TOC1", "TableCaption", *MEASURED} <= used
    heading = word.styles["Heading 1"].element.find(f"{W}pPr/{W}numPr")
    assert heading is not None  # numbered in the reference itself


def test_documents_take_their_styles_from_the_reference(written: bytes) -> None:
    """Every style of the shipped reference reaches the document unchanged (the default
    [style] is the one it was generated for)."""
    reference, output = styles_by_id(shipped_reference()), styles_by_id(written)
    assert reference.items() <= output.items()


def test_a_study_style_restyles_the_shipped_reference() -> None:
    style = Style(font="Liberation Sans", body_pt=12, table_pt=10)
    word = docx.Document(io.BytesIO(as_docx(document(style))))
    assert word.styles["Normal"].font.name == "Liberation Sans"
    assert word.styles["Normal"].font.size == Pt(12)
    assert word.styles["Heading 1"].font.size == Pt(15)
    assert word.styles["Table Text"].font.size == Pt(10)
    assert word.styles["Heading 1"].element.find(f"{W}pPr/{W}numPr") is not None


def sponsor_reference() -> bytes:
    """A company template as Word in German would save it: Normal in Liberation Sans 12 pt,
    Heading 1 in blue with the id "berschrift1", no TOC or table styles, headings not
    numbered."""
    word = docx.Document(io.BytesIO(shipped_reference()))
    styles = word.styles.element
    for style in list(styles.iter(f"{W}style")):
        sid = style.get(qn("w:styleId"))
        if sid.startswith("TOC") or sid in ("TableText", "TLFNote"):
            styles.remove(style)
        elif sid == "Heading1":
            style.set(qn("w:styleId"), "berschrift1")
        elif sid.startswith("Heading"):
            style.find(f"{W}pPr").remove(style.find(f"{W}pPr/{W}numPr"))
    h1 = word.styles["heading 1"]
    h1.element.find(f"{W}pPr").remove(h1.element.find(f"{W}pPr/{W}numPr"))
    h1.font.color.rgb = docx.shared.RGBColor(0x1F, 0x4E, 0x79)
    word.styles["Normal"].font.name = "Liberation Sans"
    word.styles["Normal"].font.size = Pt(12)
    buf = io.BytesIO()
    word.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def sponsor() -> bytes:
    return as_docx(document(), reference=sponsor_reference())


def test_a_sponsor_reference_keeps_its_look(sponsor: bytes) -> None:
    word = docx.Document(io.BytesIO(sponsor))
    assert word.styles["Normal"].font.name == "Liberation Sans"
    assert word.styles["Normal"].font.size == Pt(12)
    h1 = word.styles["heading 1"]
    assert h1.style_id == "Heading1"  # found by name, given the id the body uses
    assert str(h1.font.color.rgb) == "1F4E79"
    ids = set(styles_by_id(sponsor))
    assert "berschrift1" not in ids
    headings = [p for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert [p.style.style_id for p in headings] == ["Heading1", "Heading2"]


def test_a_sponsor_reference_gets_what_it_lacks(sponsor: bytes) -> None:
    """Missing styles are added; the measured table styles are the study's; headings not
    numbered by the reference get the writer's numbering (the outline's numbers)."""
    word = docx.Document(io.BytesIO(sponsor))
    assert word.styles["toc 1"].style_id == "TOC1"
    assert word.styles["Table Text"].font.size == Pt(9)
    assert word.styles["Table Text"].font.name == "Liberation Serif"
    numbering = {lvl.get(qn("w:ilvl")): lvl.find(f"{W}lvlText").get(qn("w:val"))
                 for lvl in word.part.numbering_part.element.iter(f"{W}lvl")
                 if lvl.find(f"{W}pStyle") is not None}
    assert numbering["0"] == "%1" and numbering["1"] == "%1.%2"
    for level in (1, 2):
        assert word.styles[f"Heading {level}"].element.find(f"{W}pPr/{W}numPr") is not None


def test_same_bytes_with_a_sponsor_reference(sponsor: bytes) -> None:
    assert as_docx(document(), reference=sponsor_reference()) == sponsor


def test_a_study_builds_with_its_own_reference_and_rebuilds_when_it_changes(
        small_study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """templates/reference.docx next to study.toml: every DOCX of the study takes its styles
    (Normal in Liberation Sans 12 pt here), it is a recorded input of each node, and editing
    it rebuilds them."""
    study = tmp_path / "study"
    shutil.copytree(small_study, study)
    (study / "templates" / REFERENCE_NAME).write_bytes(sponsor_reference())
    out = tmp_path / "out"
    args = ["build", "--study", str(study / "study.toml"), "--out", str(out), "--no-check",
            "--only", "demography", "14.1.3"]
    assert main(args) == 0
    for path in (out / "deliverables/documents/demography.docx",
                 out / "deliverables/tables/t-14-1-3.docx"):
        normal = docx.Document(str(path)).styles["Normal"]
        assert (normal.font.name, normal.font.size) == ("Liberation Sans", Pt(12)), path
    manifest = json.loads((out / "records/manifest.json").read_text())
    for node in ("document:demography", "table:14.1.3"):
        assert f"file:templates/{REFERENCE_NAME}" in manifest["nodes"][node]["inputs"]
    (study / "templates" / REFERENCE_NAME).write_bytes(shipped_reference())
    capsys.readouterr()
    assert main(["build", "--study", str(study / "study.toml"), "--out", str(out),
                 "--plan"]) == 0
    plan = capsys.readouterr().out
    assert "rebuild  document:demography" in plan and "rebuild  table:14.1.3" in plan
    assert f"file:templates/{REFERENCE_NAME} changed" in plan


def test_a_reference_that_is_no_docx_is_a_user_error() -> None:
    with pytest.raises(UserError, match=r"reference\.docx: not a Word document"):
        as_docx(document(), reference=b"not a zip")
