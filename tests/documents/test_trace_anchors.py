"""records/trace/<doc>.json ties every number to its results key, and the number in the files to the
trace: each traced number is a DOCX bookmark and a PDF named destination under its trace
anchor; table numbers are listed with their table, row and column."""

import json
import zipfile

from pypdf import PdfReader

from submission_kit.documents.results_view import split_traced, trace_marked


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
