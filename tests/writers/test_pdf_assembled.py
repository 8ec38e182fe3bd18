"""An assembled book (writers/pdf_assembled.py): its own pages (contents, lists, text) from
WeasyPrint, and for each table or figure the very pages of its stand-alone file, with the
contents, lists and bookmarks pointing at them. Read back with pypdf."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from typing import Any

import pytest
from pypdf import PdfReader
from test_pdf_tlf import listing  # a 120-row landscape AE listing of several pages

from submission_kit.documents.model import (
    Document,
    Heading,
    ListOfTables,
    Paragraph,
    TableOfContents,
    TableRef,
    Text,
    TitlePage,
)
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.writers.pdf import as_pdf

DEMOG = TableModel("14.1.3", ("Table 14.1.3", "Demographics", "ITT Population"),
                   (Column("PBO", "Placebo", 10), Column("ACT", "Active", 10)),
                   (Row("Age (years)", ("", "")),
                    Row("Mean (SD)", ("60.1 (9.0)", "61.2 (8.7)"), 1)),
                   footnotes=("SD = standard deviation.",), source="ADSL")


def part(model: TableModel) -> Document:
    """The stand-alone TLF file of a table, as the build writes it."""
    return Document(id=f"t-{model.id.replace('.', '-')}", title_page=TitlePage(""),
                    blocks=(TableRef(model.id),), tables={model.id: model},
                    running_header="Study X", running_footer=f"Sponsor — {model.title[0]}",
                    date_iso="2021-09-30")


def book() -> Document:
    ae = listing()
    blocks = (TableOfContents("Table of Contents"), ListOfTables("List of Tables"),
              Heading(1, (Text("About This Book"),), "h_about", numbered=False),
              Paragraph((Text("Every table of the study, in ICH order."),)),
              Heading(1, (Text("Demographic Data"),), "h_14_1"),
              TableRef("14.1.3"),
              Heading(1, (Text("Listings"),), "h_16_2"),
              TableRef("16.2.7"))
    doc = Document(id="tlf-book", title_page=TitlePage("Tables and Listings"), blocks=blocks,
                   tables={"14.1.3": DEMOG, "16.2.7": ae}, running_header="Study X — Book",
                   running_footer="Sponsor — tlf-book", date_iso="2021-09-30",
                   output_captions=True)
    return replace(doc, parts={"table:14.1.3": part(DEMOG), "table:16.2.7": part(ae)})


@pytest.fixture(scope="module")
def data() -> bytes:
    return as_pdf(book())


def _flat(items: list[Any]) -> list[Any]:
    return [x for item in items for x in (_flat(item) if isinstance(item, list) else [item])]


def test_each_output_is_its_stand_alone_pages(data: bytes) -> None:
    reader = PdfReader(io.BytesIO(data))
    parts = {key: PdfReader(io.BytesIO(as_pdf(p))) for key, p in book().parts.items()}
    marks = {str(b.title): reader.get_destination_page_number(b) for b in _flat(reader.outline)}
    start = {"14.1.3": marks["Table 14.1.3: Demographics — ITT Population"],
             "16.2.7": marks["Listing 16.2.7: Adverse Events — Safety Population"]}
    assert marks["1 Demographic Data"] == start["14.1.3"]  # a heading leading into an output
    for ref, first in start.items():
        own = parts[f"table:{ref}"].pages
        assert len(own) >= 1 and (ref != "16.2.7" or len(own) > 1)
        for k, page in enumerate(own):
            book_page = reader.pages[first + k]
            assert book_page.extract_text() == page.extract_text()  # the same page, drawn
            assert (book_page.mediabox.width, book_page.mediabox.height) == (
                page.mediabox.width, page.mediabox.height)  # landscape stays landscape
    # Nothing else: the book's own pages, then exactly the outputs' pages.
    own = start["14.1.3"]
    assert len(reader.pages) == own + sum(len(p.pages) for p in parts.values())
    assert all(p.extract_text().strip() for p in reader.pages)  # no blank page


def test_contents_and_lists_give_the_pages_the_outputs_are_on(data: bytes) -> None:
    reader = PdfReader(io.BytesIO(data))
    marks = {str(b.title): reader.get_destination_page_number(b) + 1
             for b in _flat(reader.outline)}
    front = " ".join(p.extract_text() for p in reader.pages[:3])
    for title in ("Table 14.1.3: Demographics — ITT Population",
                  "Listing 16.2.7: Adverse Events — Safety Population"):
        listed = re.search(re.escape(title) + r"[ .]*(\d+)", front)
        assert listed and int(listed.group(1)) == marks[title], title
    assert data == as_pdf(book())  # byte-identical


# ---- a long listing in any other document ------------------------------------------------
# A document that is not a book lays its short tables out in its own pages, and draws a table
# longer than LONG_TABLE_PAGES as the pages of its stand-alone file (build.document_job picks
# them): laid out in HTML, a 3,000-row listing took minutes and gigabytes.


def briefing() -> tuple[Any, Document]:
    from submission_kit.cli import DEMO_STUDY
    from submission_kit.study import load_study

    study = load_study(DEMO_STUDY)
    long = listing(rows=600)
    blocks = (Heading(1, (Text("Demography"),), "h_demo"),
              Paragraph((Text("The arms were balanced."),)),
              TableRef("14.1.3"),
              Heading(1, (Text("Adverse Events"),), "h_ae"),
              Paragraph((Text("Every adverse event is listed."),)),
              TableRef("16.2.7"),
              Paragraph((Text("End of the listing."),)))
    doc = Document(id="brief", title_page=TitlePage("Brief"), blocks=blocks,
                   tables={"14.1.3": DEMOG, "16.2.7": long}, running_header="Study X — Brief",
                   running_footer="Sponsor — brief", date_iso="2021-09-30",
                   style=study.style)
    return study, doc


def test_only_a_long_table_is_drawn_as_its_pages_in_a_briefing_document() -> None:
    from submission_kit.build import document_job
    from submission_kit.study import DocumentConfig
    from submission_kit.writers.tlf_layout import LONG_TABLE_PAGES, layout_of

    study, doc = briefing()
    config = DocumentConfig(id="brief", template="brief.md.j2", title="Brief")
    assert document_job(study, config, doc, "docx") == ("docx", doc)  # Word lays it out
    _, job = document_job(study, config, doc, "pdf")
    assert set(job.parts) == {"table:16.2.7"}  # the short table stays in the text
    assert len(layout_of(doc.tables["16.2.7"], doc.style).pages) > LONG_TABLE_PAGES
    assert len(layout_of(DEMOG, doc.style).pages) <= LONG_TABLE_PAGES

    reader = PdfReader(io.BytesIO(as_pdf(job)))
    own = PdfReader(io.BytesIO(as_pdf(job.parts["table:16.2.7"]))).pages
    texts = [p.extract_text() for p in reader.pages]
    marks = {str(b.title): reader.get_destination_page_number(b) for b in _flat(reader.outline)}
    first = marks["Table 2: Adverse Events — Safety Population (Listing 16.2.7)"]
    assert marks["2 Adverse Events"] == first - 1  # its heading and text stay on the page before
    assert [t for t in texts[first:first + len(own)]] == [p.extract_text() for p in own]
    assert "Table 1: Demographics — ITT Population" in texts[marks["1 Demography"]]
    assert "Mean (SD)" in texts[marks["1 Demography"]]  # laid out inline, with its caption
    assert "End of the listing." in texts[first + len(own)]
    assert len(reader.pages) == first + len(own) + 1
    assert as_pdf(job) == as_pdf(job)  # byte-identical
