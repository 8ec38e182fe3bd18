"""The DOCX writer's bulk table path (writers/docx_tlf.TableXml, docx_package.main_part)
against the path it replaced: one run() per cell joined per row, and the whole body parsed
and re-serialized by lxml through python-docx. Both checks are independent of the new code:
the per-cell reference below is the former row builder, and python-docx's own parser and
serializer stand for the former main part."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import docx
import pytest
from docx.opc.oxml import serialize_part_xml
from docx.oxml import parse_xml
from lxml import etree

from submission_kit.documents.model import (
    Document,
    Heading,
    Paragraph,
    Style,
    TableRef,
    Text,
    TitlePage,
)
from submission_kit.tables.model import Column, Row, Spanner, TableModel
from submission_kit.tables.paginate import Page, Sizes, TableLayout
from submission_kit.writers.docx import as_docx
from submission_kit.writers.docx_ooxml import esc
from submission_kit.writers.docx_tlf import TableXml
from submission_kit.writers.print_css import sizes_for
from submission_kit.writers.tlf_layout import layout_of

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"


def awkward_table(groups: int = 24) -> TableModel:
    """Everything a body row can hold: label rows and indented statistic rows (groups that
    split with "(continued)" rows), decimal-aligned numbers, a text column, empty cells,
    characters XML escapes, quotes, line breaks and tabs, non-ASCII text, page_by values.
    Group 5 is longer than a page."""
    rows = []
    for g in range(groups):
        visit = f"Visit {g // 12} \u2014 \u00b5g/L \u2265 5"
        rows.append(Row(f"SOC <{g}> & \"quoted\" 'term'", ("", "", ""), 0, page_by=visit))
        for k in range(40 if g == 5 else 3 + g % 9):
            rows.append(Row(f"PT {k}\nsecond line\twith a tab",
                            (f"{g * k} ({g * 1.5:.1f})", "" if k == 2 else f"{k}.5",
                             "a > b & c \"q\""), 1 + k % 2, page_by=visit))
    return TableModel("14.3.2", ("Table 14.3.2", "Adverse events \u2014 <all> & \"some\""),
                      (Column("A", "Placebo", 10), Column("B", "Dose & \"more\"", 12),
                       Column("T", "Comment")), tuple(rows), ("Note & <x>",), "ADAE",
                      stub_header="SOC / PT", spanners=(Spanner("Active", ("B", "T")),))


def standalone(model: TableModel) -> Document:
    return Document(id="tlf", title_page=TitlePage(""), blocks=(TableRef(model.id),),
                    tables={model.id: model}, running_header="Study EX-001",
                    running_footer="t-14-3-2", date_iso="2024-03-31")


def in_a_document(model: TableModel) -> Document:
    blocks = (Heading(1, (Text("Results \"quoted\" & <more>"),), "h_results"),
              Paragraph((Text("See the table."),)), TableRef(model.id))
    return Document(id="doc", title_page=TitlePage("Title & \"more\""), blocks=blocks,
                    tables={model.id: model}, date_iso="2024-03-31")


# --- the former per-cell row builder, kept as the reference ---------------------------------

def reference_rows(model: TableModel, layout: TableLayout, page: Page, sizes: Sizes,
                   keep: bool) -> str:
    """Each cell built on its own (a run per text, escaped each time), keepNext added by
    replacing the style: how writers/docx_tlf.py built a page's rows before TableXml. Runs
    carry no properties: the Table Text style sets the font and size."""
    style = '<w:pStyle w:val="TableText"/>'
    run_pr = ""
    line = f'<w:spacing w:after="0" w:line="{round(sizes.table_line * 20)}" w:lineRule="exact"/>'
    cols = [round(w * 20) for w in layout.widths]
    cols[-1] += round(sum(layout.widths) * 20) - sum(cols)
    openings = []
    for width, inset in zip(cols[1:], layout.insets, strict=True):
        ind = "" if inset is None else f'<w:ind w:left="{round((inset - sizes.pad_x) * 20)}"/>'
        openings.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p>'
                        f'<w:pPr>{style}{line}{ind}<w:jc w:val="left"/></w:pPr>')
    rows = []
    for row, cells in layout.printed(model, page):
        ind = f'<w:ind w:left="{round(sizes.indent * 20) * row.indent}"/>' if row.indent else ""
        xml = (f'<w:tr><w:trPr><w:cantSplit/></w:trPr><w:tc><w:tcPr><w:tcW w:w="{cols[0]}" '
               f'w:type="dxa"/></w:tcPr><w:p><w:pPr>{style}{line}{ind}</w:pPr>'
               f"{reference_run(row.label, run_pr)}</w:p></w:tc>")
        for opening, text in zip(openings, cells, strict=False):
            xml += f"{opening}{reference_run(text, run_pr)}</w:p></w:tc>"
        rows.append(xml + "</w:tr>")
    if keep:
        rows = [r.replace(style, style + "<w:keepNext/>") for r in rows]
    return "".join(rows)


def reference_run(text: str, run_pr: str) -> str:
    if not text:
        return ""
    lines = []
    for line in text.split("\n"):
        chunks = [f'<w:t xml:space="preserve">{esc(c)}</w:t>' if c else ""
                  for c in line.split("\t")]
        lines.append("<w:tab/>".join(chunks))
    return f"<w:r>{run_pr}{'<w:br/>'.join(lines)}</w:r>"


def canonical(xml: str) -> bytes:
    root = etree.fromstring(f'<w:body xmlns:w="{W_NS}">{xml}</w:body>')
    return etree.tostring(root, method="c14n2")


def body_rows(table_xml: bytes) -> str:
    """The body rows of one page's w:tbl: every w:tr that is not a header row."""
    tbl = etree.fromstring(f'<w:body xmlns:w="{W_NS}">'.encode() + table_xml + b"</w:body>")
    rows = [tr for tr in tbl.iter(f"{W}tr") if tr.find(f"{W}trPr/{W}tblHeader") is None]
    return "".join(etree.tostring(tr, encoding="unicode") for tr in rows)


@pytest.mark.parametrize("keep", [False, True])
def test_each_page_equals_the_per_cell_reference(keep: bool):
    model, style = awkward_table(), Style()
    layout, sizes = layout_of(model, style), sizes_for(style)
    assert len(layout.pages) > 2 and any(p.continued for p in layout.pages)
    assert len({p.page_by for p in layout.pages}) == 2
    table = TableXml(model, layout, sizes)
    for page in layout.pages:
        new = body_rows(table.page(page, keep))
        old = reference_rows(model, layout, page, sizes, keep)
        assert canonical(new) == canonical(old)


def test_pages_hold_the_printed_rows_read_back_by_python_docx():
    """Same rows per page as the pagination model (so as the PDF), cell texts unchanged
    (line breaks and tabs included), header rows repeated, no row split."""
    model = awkward_table()
    layout = layout_of(model, Style())
    word = docx.Document(io.BytesIO(as_docx(standalone(model))))
    assert len(word.tables) == len(layout.pages)
    for table, page in zip(word.tables, layout.pages, strict=True):
        rows = table._tbl.tr_lst
        heads = [tr for tr in rows if tr.find(f"{W}trPr/{W}tblHeader") is not None]
        assert len(heads) == 2  # the spanner row and the column labels
        assert all(tr.find(f"{W}trPr/{W}cantSplit") is not None for tr in rows)
        texts = [[c.text for c in row.cells] for row in table.rows[len(heads):]]
        assert texts == [[r.label, *cells] for r, cells in layout.printed(model, page)]


@pytest.mark.parametrize("make", [standalone, in_a_document])
def test_main_part_is_what_parsing_and_reserializing_would_write(make):
    """The body is spliced in unparsed: its bytes are those python-docx's parser and
    serializer (the former path) give for it, so it is well formed and nothing changed."""
    data = as_docx(make(awkward_table()))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml")
    assert serialize_part_xml(parse_xml(xml)) == xml


def test_same_bytes_for_the_same_table_however_built():
    """Reproducible: two calls, and a fresh copy of the model (no cached pagination)."""
    model = awkward_table()
    first = as_docx(standalone(model))
    assert as_docx(standalone(model)) == first
    assert as_docx(standalone(dataclasses.replace(model))) == first


def test_a_one_page_table_keeps_every_row_with_the_next():
    model = dataclasses.replace(awkward_table(2), rows=awkward_table(2).rows[:8])
    word = docx.Document(io.BytesIO(as_docx(standalone(model))))
    assert len(word.tables) == 1
    paragraphs = [p for tr in word.tables[0]._tbl.tr_lst for p in tr.iter(f"{W}p")]
    assert all(p.find(f"{W}pPr/{W}keepNext") is not None for p in paragraphs)
