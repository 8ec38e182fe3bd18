"""Line breaking in the pagination model (issue 6): text breaks at spaces and after a hyphen
or slash that joins two words, a column is no narrower than its widest piece that cannot
break, a word is broken between characters only when it is wider than its column, and every
writer prints the model's lines: the PDF draws them, the DOCX and the HTML carry them as line
breaks."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from submission_kit.documents.model import Document, Style, TableRef, TitlePage
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.tables.paginate import Sizes, _longest_word, wrap
from submission_kit.writers.docx import as_docx
from submission_kit.writers.font_metrics import measure_for
from submission_kit.writers.html_tlf import _table
from submission_kit.writers.tlf_layout import layout_of

MEASURE = measure_for("Liberation Serif")
PT = 9.0
PILOT = Path(__file__).resolve().parents[2] / "examples" / "cdiscpilot01" / "study.toml"


def width_of(text: str) -> float:
    return MEASURE(text) * PT


# ---- wrap and the narrowest width ------------------------------------------------------------


@pytest.mark.parametrize(("text", "room", "lines"), [
    # after the slash, the slash kept on the first line
    ("NOT RECOVERED/NOT RESOLVED", "RECOVERED/", ("NOT", "RECOVERED/", "NOT", "RESOLVED")),
    ("NOT RECOVERED/NOT RESOLVED", "NOT RECOVERED/", ("NOT RECOVERED/", "NOT RESOLVED")),
    ("Hypoaesthesia/paraesthesia", "Hypoaesthesia/", ("Hypoaesthesia/", "paraesthesia")),
    # after the hyphen; what fits after it stays on its line
    ("Treatment-emergent", "Treatment-", ("Treatment-", "emergent")),
    ("non-steroidal anti-inflammatory drug", "non-steroidal anti-",
     ("non-steroidal anti-", "inflammatory", "drug")),
    # a space is as good a break as a hyphen: greedy, as Word and Pango break
    ("Skin and subcutaneous-tissue disorders", "Skin and subcutaneous-",
     ("Skin and subcutaneous-", "tissue disorders")),
    # never before a digit or at a leading hyphen: dates, subject ids, fractions, negatives
    ("2014-01-02 to 2014-02-03", "2014-01-02 to", ("2014-01-02 to", "2014-02-03")),
    ("01-701-1015 x", "01-701-1015", ("01-701-1015", "x")),
    ("dose 1/2 -5 mg", "dose 1/2 -5", ("dose 1/2 -5", "mg")),
    ("MIROCALS-SIM-101-0001 x", "MIROCALS-SIM-101-0001", ("MIROCALS-SIM-101-0001", "x")),
    ("COVID-19 pneumonia", "COVID-19", ("COVID-19", "pneumonia")),
    # nor units and short pairs
    ("ALT (U/L) baseline", "ALT (U/L)", ("ALT (U/L)", "baseline")),
    ("Glucose mg/dL", "Glucose mg/", ("Glucose", "mg/dL")),
    ("X-ray AND/OR scan", "X-ray AND/", ("X-ray", "AND/OR", "scan")),
    # the last resort: a piece wider than the line breaks between characters
    ("GASTROINTESTINAL DISORDERS", "GASTROINTEST", ("GASTROINTEST", "INAL", "DISORDERS")),
    ("RECOVERED/RESOLVED", "RECOVER", ("RECOVER", "ED/", "RESOLVE", "D")),
    # explicit line breaks stay
    ("Placebo\n(N=86)", "Placebo (N=86)", ("Placebo", "(N=86)")),
])
def test_wrap_breaks_at_spaces_and_after_joining_hyphens_and_slashes(
        text: str, room: str, lines: tuple[str, ...]) -> None:
    """`room`: the line is as wide as that text (every line below fits it)."""
    assert wrap(text, width_of(room), MEASURE, PT) == lines


@pytest.mark.parametrize(("text", "widest"), [
    ("NOT RECOVERED/NOT RESOLVED", "RECOVERED/"),
    ("Treatment-emergent", "Treatment-"),
    ("Hypoaesthesia/paraesthesia", "Hypoaesthesia/"),
    ("01-701-1015", "01-701-1015"),  # a subject id does not break
    ("MIROCALS-SIM-101-0001", "MIROCALS-SIM-101-0001"),
    ("2014-01-02", "2014-01-02"),
    ("GENERAL DISORDERS AND ADMINISTRATION SITE CONDITIONS", "ADMINISTRATION"),
    ("Placebo\n(N=86)", "Placebo"),
])
def test_the_narrowest_width_is_the_widest_piece_that_cannot_break(text: str, widest: str
                                                                   ) -> None:
    assert _longest_word(text, MEASURE, PT) == pytest.approx(width_of(widest))


# ---- the writers print the model's lines ------------------------------------------------------


def outcome_table() -> TableModel:
    """A column of slash-joined terms squeezed by a wide neighbour: it wraps after the slash."""
    texts = ("Hypoaesthesia/paraesthesia", "RECOVERED/RESOLVED", "NOT RECOVERED/NOT RESOLVED")
    rows = tuple(Row(f"01-701-{1000 + i}", (texts[i % 3], "word " * 60)) for i in range(6))
    return TableModel("16.2.9", ("Listing 16.2.9", "Terms"),
                      (Column("A", "Term"), Column("B", "Comment")), rows,
                      stub_header="Subject", orientation="portrait")


def test_a_squeezed_column_breaks_after_the_slash_in_every_format() -> None:
    model, style = outcome_table(), Style()
    layout = layout_of(model, style)
    wrapping = layout.wrapping
    assert wrapping is not None
    lines = wrapping.cell_lines("Hypoaesthesia/paraesthesia", 0)
    assert lines == ("Hypoaesthesia/", "paraesthesia")
    assert layout.widths[1] < width_of("Hypoaesthesia/paraesthesia") + 2 * Sizes().pad_x
    # DOCX: the model's lines joined by w:br, so Word breaks where the PDF does
    doc = Document(id="t", title_page=TitlePage(""), blocks=(TableRef(model.id),),
                   tables={model.id: model}, date_iso="2024-03-31")
    with zipfile.ZipFile(io.BytesIO(as_docx(doc))) as z:
        xml = z.read("word/document.xml").decode()
    assert ('Hypoaesthesia/</w:t><w:br/><w:t xml:space="preserve">paraesthesia</w:t>' in xml)
    # HTML (WeasyPrint): the same lines joined by <br>
    html = _table(model, layout, layout.pages[0])
    assert "Hypoaesthesia/<br>paraesthesia" in html


# ---- the CDISC pilot's AE listing -------------------------------------------------------------


def breaks_inside_words(text: str, lines: tuple[str, ...]) -> list[tuple[str, int]]:
    """(word, offset) of each break `lines` make inside a space-delimited word of `text`
    other than right after a hyphen or slash followed by a letter."""
    out, pos = [], 0
    for k, line in enumerate(lines):
        if k:
            if text[pos] in " \n":
                pos += 1
            elif not (text[pos - 1] in "-/" and text[pos].isalpha()):
                start = max(text.rfind(" ", 0, pos), text.rfind("\n", 0, pos)) + 1
                end = min(i for i in (text.find(" ", pos), text.find("\n", pos), len(text))
                          if i >= 0)
                out.append((text[start:end], pos - start))
        assert text.startswith(line, pos), (text, lines)
        pos += len(line)
    assert pos == len(text)
    return out


@pytest.fixture(scope="module")
def pilot_listing(pilot_computed) -> tuple[TableModel, Style]:
    from submission_kit.build import tlf_document
    from submission_kit.study import load_study

    model = pilot_computed.tables["16.2.7"]
    return model, tlf_document(load_study(PILOT), model).style


def test_the_pilot_listing_breaks_no_word_it_could_keep_whole(pilot_listing) -> None:
    """Every printed line of 16.2.7, checked against the cell texts of the listing (the ADAE
    values it prints): a line ends at a space, or after a hyphen or slash that joins two
    words, or inside a piece wider than its column (none in the pilot)."""
    model, style = pilot_listing
    layout = layout_of(model, style)
    wrapping, s = layout.wrapping, Sizes(table_pt=style.table_pt)
    assert wrapping is not None
    joined, broken = 0, []
    for row, cells in zip(model.rows, layout.cells, strict=True):
        for i, text in enumerate(cells):
            lines = wrapping.cell_lines(text, i)
            joined += any(line.endswith(("/", "-")) for line in lines[:-1])
            for word, _ in breaks_inside_words(text, lines):
                piece = re.split(r"(?<=[-/])(?=[A-Za-z])", word)
                usable = (layout.widths[i + 1] - 2 * s.pad_x) * s.fill
                wide = [p for p in piece if MEASURE(p) * s.table_pt > usable]
                assert wide, f"{word!r} broken in column {i} though it fits"
                broken.append(word)
        broken += [w for w, _ in breaks_inside_words(row.label, wrapping.label_lines(row))]
    for k, header in enumerate([model.stub_header, *(c.header for c in model.columns)]):
        broken += [w for w, _ in breaks_inside_words(header, wrapping.header_lines(header, k))]
    assert joined  # NOT RECOVERED/ + NOT RESOLVED
    assert broken == []  # with the study's columns every word fits its column
    assert wrapping.column_lines(model)[-1] == ("Treatment-", "emergent")
