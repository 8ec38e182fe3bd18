"""Page breaks inside long tables: a group label row ("Age (years)") never ends a page, in
PDF (CSS break-after: avoid, checked on the rendered pages) and DOCX (keep-with-next)."""

import io
import zipfile

from pypdf import PdfReader

from submission_kit.documents.model import Document, TableRef, TitlePage
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.writers.docx import as_docx
from submission_kit.writers.pdf import as_pdf


def grouped_table(groups: int = 30, rows_per_group: int = 4) -> TableModel:
    rows = []
    for g in range(groups):
        rows.append(Row(f"Group label {g:02d}", ("", "")))
        rows += [Row(f"Statistic {g:02d}.{i}", ("12 (5.1)", "13 (5.5)"), 1)
                 for i in range(rows_per_group)]
    return TableModel("14.9.1", ("Table 14.9.1", "Grouped rows", "Safety Population"),
                      (Column("A", "Arm A", 100), Column("B", "Arm B", 100)), tuple(rows),
                      source="test")


def tlf(model: TableModel) -> Document:
    return Document(id="t_14_9_1", title_page=TitlePage(title=""), blocks=(TableRef(model.id),),
                    tables={model.id: model}, date_iso="2021-09-30")


def test_pdf_pages_never_end_with_a_group_label():
    reader = PdfReader(io.BytesIO(as_pdf(tlf(grouped_table()))))
    assert len(reader.pages) > 2
    for page in reader.pages:
        body = [line for line in page.extract_text().splitlines()
                if line.startswith(("Group label", "Statistic"))]
        assert not body[-1].startswith("Group label"), body[-3:]


def test_docx_group_label_rows_keep_with_next():
    data = as_docx(tlf(grouped_table(groups=3)))
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    rows = xml.split("<w:tr>")[1:]
    labels = [r for r in rows if "Group label" in r]
    stats = [r for r in rows if "Statistic" in r]
    assert len(labels) == 3 and all("<w:keepNext/>" in r for r in labels)
    assert not any("<w:keepNext/>" in r for r in stats[:-1])
