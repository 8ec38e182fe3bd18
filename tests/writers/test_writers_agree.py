"""The DOCX and the HTML (PDF) of one document show the same heading numbers, caption labels
and anchors: both writers take them from `documents.outline`. Read back, never compared as bytes."""

from __future__ import annotations

import io
import re

import docx
import pytest
from docx.oxml.ns import qn

from submission_kit.documents.model import (
    Document,
    Heading,
    ListBlock,
    ListOfTables,
    Paragraph,
    TableOfContents,
    TableRef,
    Text,
    TitlePage,
)
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.writers.docx import as_docx
from submission_kit.writers.html import as_html

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DEMOG = TableModel("14.1.3", ("Table 14.1.3", "Demographics", "ITT Population"),
                   (Column("PBO", "Placebo", 10),), (Row("Age", ("60",)),))
AE = TableModel("14.3.1", ("Table 14.3.1", "Adverse Events"), (Column("PBO", "Placebo", 10),),
                (Row("Headache", ("1 (10.0%)",)),))
LABELS = ["Table 1: Demographics — ITT Population (Table 14.1.3)",
          "Table 2: Adverse Events (Table 14.3.1)",
          "Table 3: Demographics — ITT Population (Table 14.1.3)"]


def heading(level: int, text: str, anchor: str) -> Heading:
    return Heading(level, (Text(text),), anchor)


def document() -> Document:
    """A table inside a list item, a heading inside a list item and a repeated table."""
    questions = ListBlock(True, (
        (Paragraph((Text("Does FDA agree with the analysis of"),)), TableRef("14.3.1")),
        (heading(2, "Question 2", "h_question_2"),),
    ))
    blocks = (TableOfContents(), ListOfTables(),
              heading(1, "Baseline", "h_baseline"), TableRef("14.1.3"),
              heading(1, "Questions", "h_questions"), questions,
              heading(2, "Appendix", "h_appendix"), TableRef("14.1.3"))
    return Document("pkg", TitlePage("Package"), blocks,
                    tables={"14.1.3": DEMOG, "14.3.1": AE}, date_iso="2024-03-31")


@pytest.fixture(scope="module")
def word() -> docx.document.Document:
    return docx.Document(io.BytesIO(as_docx(document())))


@pytest.fixture(scope="module")
def html() -> str:
    return as_html(document())


def word_number(headings: list[tuple[str, str]]) -> str:
    """The number Word's multilevel heading list gives the last of `headings` (all numbered):
    a level's counter counts up, and restarts under each heading of a higher level."""
    counters = [0] * 9
    for style, _ in headings:
        level = int(style.split()[-1])
        counters[level - 1] += 1
        counters[level:] = [0] * (9 - level)
    level = int(headings[-1][0].split()[-1])
    return ".".join(str(n) for n in counters[:level])


def test_captions_agree(word: docx.document.Document, html: str) -> None:
    captions = [p.text for p in word.paragraphs if p.style.name == "Table Caption"]
    listed = [p.text.split("\t")[0] for p in word.paragraphs
              if p.style.name.lower() == "table of figures"]
    assert captions == listed == LABELS
    assert re.findall(r'class="caption bm\d" data-bookmark="([^"]*)"', html) == LABELS


def test_anchors_agree(word: docx.document.Document, html: str) -> None:
    bookmarks = [b.get(qn("w:name")) for b in word.element.body.iter(f"{W}bookmarkStart")]
    ids = re.findall(r' id="([^"]+)"', html)
    expected = ["h_baseline", "t_14_1_3", "h_questions", "t_14_3_1", "h_question_2",
                "h_appendix", "t_14_1_3_2"]
    assert bookmarks == ids == expected


def test_heading_numbers_agree(word: docx.document.Document, html: str) -> None:
    """Word numbers the headings itself (list numbering on the heading styles, docx_styles);
    the numbers it shows are those of the outline (the table of contents' cached entries)."""
    headings = [(p.style.name, p.text) for p in word.paragraphs
                if p.style.name.startswith("Heading")]
    numbers = ["1 Baseline", "2 Questions", "2.1 Question 2", "2.2 Appendix"]
    assert [word_number(headings[: k + 1]) + " " + text
            for k, (_, text) in enumerate(headings)] == numbers
    toc = [p.text.split("\t")[0] for p in word.paragraphs if p.style.name.startswith("toc")]
    assert toc == numbers
    shown = re.findall(r'<h\d id="[^"]+"><span class="heading-number">([^<]*)</span> ([^<]*)<',
                       html)
    assert [f"{n} {t}" for n, t in shown] == numbers
