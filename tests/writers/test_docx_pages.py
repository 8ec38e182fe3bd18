"""Page numbers of the DOCX table of contents and lists of tables and figures, filled in at
build time from the writer's own layout of the body (writers/docx_flow, docx_layout), so they
read correctly before anyone updates a field.

The independent measure is LibreOffice: the DOCX converted headless, with Word bookmarks
exported as PDF named destinations, gives the page LibreOffice puts each heading, table and
figure on; every cached number must equal it. The layout rules themselves are checked on
hand-made units."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader
from test_docx import demographics, km_figure, wide_listing
from test_docx_reference import sponsor_reference

from submission_kit.documents.model import (
    Document,
    FigureRef,
    Heading,
    ListBlock,
    ListOfFigures,
    ListOfTables,
    Paragraph,
    SimpleTable,
    Style,
    TableOfContents,
    TableRef,
    Text,
    TitlePage,
)
from submission_kit.writers.docx import as_docx
from submission_kit.writers.docx_flow import Flow, Geometry, Unit, break_lines
from submission_kit.writers.docx_layout import pages_of, placed

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WORDS = ["the", "primary", "analysis", "of", "overall", "survival", "used", "a", "Cox", "model",
         "stratified", "by", "site", "and", "CSF", "pNFH", "category;", "subjects", "without",
         "an", "event", "were", "censored", "at", "their", "last", "contact", "date,", "and",
         "the", "treatment-emergent", "adverse", "events", "were", "coded", "with", "MedDRA"]


# ---- hand-made units: the rules of the page filler ------------------------------------------

def flow(*units: Unit, height: float = 100.0) -> Flow:
    return Flow(list(units), [Geometry(400.0, height)])


def test_lines_break_at_spaces_and_after_hyphens() -> None:
    """Not after a hyphen before a digit ("IL-2"), as Word and LibreOffice (UAX 14)."""
    text = list("aa bb-cc x-99")
    lines = break_lines(text, [1.0] * len(text), 4.0, 4.0)
    assert ["".join(text[a:b]).strip() for a, b in lines] == ["aa", "bb-", "cc", "x-99"]


def test_the_larger_of_space_after_and_space_before_separates_paragraphs() -> None:
    tops = placed(flow(Unit(10, after=6), Unit(10, before=12), Unit(10, after=6)))
    assert [y for _, y in tops] == [0.0, 22.0, 32.0]


def test_space_before_is_dropped_at_the_top_of_a_page_unless_a_break_started_it() -> None:
    tops = placed(flow(Unit(95), Unit(10, before=12), Unit(90), Unit(10, before=12,
                                                                       break_before=True)))
    assert tops == [(1, 0.0), (2, 0.0), (2, 10.0), (3, 12.0)]


def test_a_chain_of_kept_units_moves_whole_and_a_taller_one_breaks() -> None:
    kept = [Unit(30, glue=True), Unit(30, glue=True), Unit(30)]
    assert pages_of(flow(Unit(50), *kept)) == [1, 2, 2, 2]
    tall = [Unit(40, glue=True), Unit(40, glue=True), Unit(40)]
    assert pages_of(flow(Unit(50), *tall)) == [1, 1, 2, 2]


def test_rows_continuing_a_table_sit_under_its_repeated_header() -> None:
    rows = [Unit(20, glue=True), *[Unit(20, repeat=20) for _ in range(6)]]
    tops = placed(flow(*rows))
    assert tops[5] == (2, 20.0)


# ---- the writer's numbers against LibreOffice -----------------------------------------------

def sentence(k: int, n: int) -> str:
    return " ".join(WORDS[(k + i) % len(WORDS)] for i in range(n)).capitalize() + "."


def long_document(style: Style | None = None) -> Document:
    """Eleven pages or so of what documents hold: headings on three levels, paragraphs of
    varied length with emphasis, lists, a small grid, tables of one page and of several (one
    landscape), a figure."""
    blocks: list = [TableOfContents(), ListOfTables(), ListOfFigures()]
    refs = [TableRef("14.1.3"), FigureRef("14.2.1"), TableRef("16.2.4"), None, None]
    for s in range(5):
        blocks.append(Heading(1, (Text(f"Section {s + 1} {WORDS[s]}"),), f"h_s{s}"))
        for k in range(3):
            blocks.append(Heading(2, (Text(f"Part {k + 1} on {WORDS[s + k]}"),), f"h_s{s}_{k}"))
            blocks += [Paragraph((Text(sentence(s * 7 + k + j, 12 + 9 * j)),
                                  Text(" emphasised", italic=True), Text(" and bold.", bold=True)))
                       for j in range(3 + (s + k) % 3)]
            if k == 1:
                blocks.append(Heading(3, (Text("Detail"),), f"h_s{s}_{k}_d"))
                blocks.append(ListBlock(s % 2 == 0, tuple(
                    (Paragraph((Text(sentence(j, 6 + 4 * j)),)),) for j in range(4))))
        if s == 1:
            blocks.append(SimpleTable(((Text("Term"),), (Text("Meaning"),)), tuple(
                ((Text(WORDS[j]),), (Text(sentence(j, 8)),)) for j in range(12))))
        if refs[s] is not None:
            blocks.append(refs[s])
    return Document("long", TitlePage("A Long Document", "For page numbers", ("Version 1.0",)),
                    tuple(blocks), tables={"14.1.3": demographics(), "16.2.4": wide_listing(60)},
                    figures={"14.2.1": km_figure()}, running_header="Study EX-001",
                    running_footer="Confidential", date_iso="2024-03-31", style=style or Style())


def cached_numbers(data: bytes) -> dict[str, str]:
    """Bookmark -> the cached result of its TOC entry's PAGEREF field."""
    word = docx.Document(io.BytesIO(data))
    out = {}
    for link in word.element.body.iter(f"{W}hyperlink"):
        if "PAGEREF" in "".join(t.text for t in link.iter(f"{W}instrText")):
            texts = [t.text for t in link.iter(f"{W}t")]
            out[link.get(f"{W}anchor")] = texts[-1] if texts[-1].isdigit() else ""
    return out


def libreoffice_pages(files: list[Path], out: Path) -> dict[str, dict[str, int]]:
    """File stem -> bookmark -> the page LibreOffice lays it out on."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is needed (scripts/install-system-deps.sh test installs it)"
    export = ('pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":'
              '{"type":"boolean","value":"true"}}')
    subprocess.run([soffice, f"-env:UserInstallation={(out / 'profile').as_uri()}",
                    "--headless", "--convert-to", export, "--outdir", str(out),
                    *map(str, files)], check=True, capture_output=True, timeout=300)
    found = {}
    for path in files:
        reader = PdfReader(out / f"{path.stem}.pdf")
        found[path.stem] = {re.sub("5F", "_", name.lstrip("/")):
                            reader.get_destination_page_number(dest) + 1
                            for name, dest in reader.named_destinations.items()}
    return found


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return {"long": as_docx(long_document()),
            "long-sponsor": as_docx(long_document(), reference=sponsor_reference()),
            "long-a4": as_docx(long_document(Style(font="Liberation Sans", body_pt=10,
                                                   justify=True)))}


@pytest.fixture(scope="module")
def libreoffice(written: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
                ) -> dict[str, dict[str, int]]:
    folder = tmp_path_factory.mktemp("lo")
    files = []
    for stem, data in written.items():
        (folder / f"{stem}.docx").write_bytes(data)
        files.append(folder / f"{stem}.docx")
    return libreoffice_pages(files, folder)


def test_every_entry_has_a_plausible_cached_page_number(written: dict[str, bytes]) -> None:
    numbers = cached_numbers(written["long"])
    headings = [int(v) for k, v in numbers.items() if k.startswith("h_")]
    assert len(numbers) == 5 + 15 + 5 + 2 + 1  # headings on 3 levels, tables, figure
    assert all(v.isdigit() for v in numbers.values())
    assert headings == sorted(headings) and headings[0] >= 2 and headings[-1] >= 8


@pytest.mark.parametrize("stem", ["long", "long-sponsor", "long-a4"])
def test_cached_page_numbers_are_where_libreoffice_puts_them(
        written: dict[str, bytes], libreoffice: dict[str, dict[str, int]], stem: str) -> None:
    """The shipped styles, a sponsor's (Liberation Sans 12 pt, other ids), and a study style
    (10 pt sans, justified): each entry's cached number is LibreOffice's page."""
    cached = cached_numbers(written[stem])
    actual = {k: str(libreoffice[stem].get(k)) for k in cached}
    assert cached == actual


def test_demo_documents_agree_with_libreoffice(demo_build: Path, tmp_path: Path) -> None:
    """The demo's briefing documents, as built: the number of entries whose cached page is
    not LibreOffice's (0 of 25 and 0 of 38 when written), and never by more than a page."""
    files = [demo_build / f"deliverables/documents/{d}.docx"
             for d in ("fda-meeting-package", "ema-scientific-advice")]
    pages = libreoffice_pages(files, tmp_path)
    for path in files:
        cached = cached_numbers(path.read_bytes())
        off = {k: (v, pages[path.stem].get(k)) for k, v in cached.items()
               if v != str(pages[path.stem].get(k))}
        assert len(off) <= len(cached) // 20, off
        assert all(abs(int(v) - (lo or 0)) <= 1 for v, lo in off.values()), off
