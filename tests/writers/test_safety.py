"""Nothing from configuration or data reaches the PDF engine as markup, the engine fetches
nothing but the build's own data: URLs, PDFs carry no attachments or JavaScript, and text the
writers cannot write or the fonts cannot draw stops the build with the character and its place
(DESIGN.md §3, escaping and fetching)."""

# ruff: noqa: RUF001  # Greek letters are the point of the glyph tests, not look-alikes

from __future__ import annotations

import io
import re
from typing import Any

import pydyf
import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from submission_kit.analysis.survival import KMCurve
from submission_kit.documents.model import (
    Document,
    FigureRef,
    Heading,
    Paragraph,
    TableRef,
    Text,
    TitlePage,
)
from submission_kit.errors import UserError
from submission_kit.figures.km import KMPlot, KMSeries, render_km
from submission_kit.figures.model import FigureModel
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.writers import glyphs, pdf
from submission_kit.writers.docx import as_docx
from submission_kit.writers.html import as_html, style_element
from submission_kit.writers.print_css import css_string, font_families
from submission_kit.writers.text_safety import require_link, require_xml_safe

# A sponsor name that closes the <style> element, embeds a local file and loads a stylesheet,
# and one that ends the CSS string and rule to hide the whole body.
CLOSE_STYLE = ("</style><link rel=attachment href=file:///etc/hostname>"
               "<link rel=stylesheet href=http://127.0.0.1:9/x.css>")
END_RULE = '"; } body { display:none } x { content: "'


# ---- fixtures --------------------------------------------------------------------------------


def small_table(cell: str = "12.5 (1.2)", label: str = "Mean (SD)") -> TableModel:
    return TableModel(
        id="14.1.3", title=("Table 14.1.3", "Demographics", "ITT Population"),
        columns=(Column("PBO", "Placebo", 10), Column("ACT", "Active", 10)),
        rows=(Row("Age (years)", ("", "")), Row("n", ("10", "10"), 1),
              Row(label, (cell, "13.0 (2.0)"), 1)),
        footnotes=("SD = standard deviation.",), source="ADSL",
    )


def km_figure(arm: str = "Placebo") -> FigureModel:
    """A real KM plot: its SVG uses <use> references for the censoring marks."""
    curve = KMCurve((0.0, 1.0, 2.0, 3.0), (1.0, 0.8, 0.6, 0.5), (1.0, 0.7, 0.5, 0.4),
                    (1.0, 0.9, 0.7, 0.6), (10, 8, 6, 5), (0, 2, 2, 1), (1.5, 2.5), 10, 5)
    plot = KMPlot((KMSeries(f"{arm} (N=10)", arm, curve, (10, 8, 5)),), (0.0, 1.5, 3.0),
                  "Months", "Survival probability", 3.0)
    svg, png = render_km(plot)
    return FigureModel(id="14.2.1", title=("Figure 14.2.1", "Overall Survival"), svg=svg,
                       png=png, width_in=6.5, height_in=4.8, alt_text="KM plot")


def document(*blocks: Any, **fields: Any) -> Document:
    base: dict[str, Any] = {
        "id": "safety", "title_page": TitlePage("Briefing Document"),
        "blocks": blocks or (Paragraph((Text("Body text."),)),),
        "running_header": "Study SK-201", "date_iso": "2024-03-31",
    }
    return Document(**{**base, **fields})


def hostile_document() -> Document:
    return document(
        Heading(1, (Text("Results"),), "h_results"),
        Paragraph((Text("Body text stays visible."),)),
        TableRef("14.1.3"), FigureRef("14.2.1"),
        title_page=TitlePage(CLOSE_STYLE, END_RULE, (CLOSE_STYLE,)),
        tables={"14.1.3": small_table(label=END_RULE)}, figures={"14.2.1": km_figure()},
        running_header=CLOSE_STYLE, running_footer=END_RULE,
        author=CLOSE_STYLE, subject=END_RULE, keywords=CLOSE_STYLE,
    )


def all_dicts(reader: PdfReader) -> list[DictionaryObject]:
    """Every dictionary reachable from the trailer."""
    seen: set[int] = set()
    out: list[DictionaryObject] = []
    stack: list[Any] = [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            out.append(obj)
            stack.extend(v for k, v in obj.items() if k not in ("/Parent", "/P"))
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return out


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL WeasyPrint asks the fetcher for during the test."""
    urls: list[str] = []
    original = pdf.OwnAssetsFetcher.fetch

    def spy(self: pdf.OwnAssetsFetcher, url: str, headers: Any = None) -> Any:
        urls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf.OwnAssetsFetcher, "fetch", spy)
    return urls


# ---- CSS strings -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "css"), [
    ("Study SK-201 — Synthetic data", '"Study SK-201 — Synthetic data"'),
    ("α β 中文", '"α β 中文"'),
    ('say "hi"', '"say \\22 hi\\22 "'),
    ("back\\slash", '"back\\5C slash"'),
    ("</style>", '"\\3C /style\\3E "'),
    ("a & b", '"a \\26  b"'),
    ("it's", '"it\\27 s"'),
    ("} x { y; z", '"\\7D  x \\7B  y\\3B  z"'),
    ("line\nbreak", '"line\\A break"'),
    ("crlf\r\nonce", '"crlf\\A once"'),
    ("tab\there", '"tab\\9 here"'),
    ("\x07bell", '"\\7 bell"'),
    ("zero\u200bwidth", '"zero\\200B width"'),
    ("\\3C 1", '"\\5C 3C 1"'),  # an escape in the input stays text
])
def test_css_string_escapes(text: str, css: str) -> None:
    assert css_string(text) == css


@pytest.mark.parametrize("text", [CLOSE_STYLE, END_RULE, "<!--", "]]>", "\x00\x1f\x7f"])
def test_css_string_cannot_end_the_string_rule_or_element(text: str) -> None:
    inner = css_string(text)[1:-1]
    assert not set(inner) & set('"\'<>&;{}\n\r\x00\x1f\x7f')
    assert style_element(f"x {{ content: {css_string(text)}; }}")


def test_a_stylesheet_that_would_end_its_element_is_a_bug() -> None:
    with pytest.raises(RuntimeError, match="</style"):
        style_element("p { color: red } </STYLE><p>")


# ---- hostile text renders literally; nothing is fetched, nothing attached ---------------------


@pytest.fixture(scope="module")
def hostile_pdf() -> bytes:
    return pdf.as_pdf(hostile_document())


def test_hostile_values_stay_inside_their_css_string() -> None:
    html = as_html(hostile_document())
    head, body = html.split("</head>", 1)
    assert head.count("<style>") == 1 and head.count("</style>") == 1
    assert "<link" not in html
    assert "&lt;/style&gt;&lt;link rel=attachment" in body  # escaped as HTML text


def test_hostile_values_render_literally(hostile_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(hostile_pdf))
    # Spaces removed: long lines wrap on the title page.
    pages = ["".join(p.extract_text().split()) for p in reader.pages]
    close_style, end_rule = "".join(CLOSE_STYLE.split()), "".join(END_RULE.split())
    assert close_style in pages[0]  # title page
    assert all(close_style in p for p in pages[1:])  # running header
    assert all(end_rule in p for p in pages)  # running footer
    assert any("Bodytextstaysvisible." in p for p in pages)
    assert reader.metadata is not None and reader.metadata["/Author"] == CLOSE_STYLE


def test_nothing_is_attached_and_there_is_no_javascript(hostile_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(hostile_pdf))
    dicts = all_dicts(reader)
    keys = {k for d in dicts for k in d}
    assert not keys & {"/EmbeddedFiles", "/EF", "/JavaScript", "/JS", "/AA", "/OpenAction"}
    assert not [d for d in dicts if d.get("/Subtype") == "/FileAttachment"]
    assert not reader.attachments
    assert b"/EmbeddedFile" not in hostile_pdf and b"/FileAttachment" not in hostile_pdf


def test_only_data_urls_are_fetched(fetched: list[str]) -> None:
    pdf.as_pdf(hostile_document())
    assert fetched  # the figure
    assert all(url.startswith("data:") for url in fetched), fetched


@pytest.mark.parametrize(("body", "url"), [
    ('<link rel="stylesheet" href="http://127.0.0.1:9/x.css"><p>x</p>',
     "http://127.0.0.1:9/x.css"),
    ('<p><img src="file:///etc/hostname" alt=""></p>', "file:///etc/hostname"),
    ('<p><img src="figure.png" alt=""></p>', "figure.png"),  # relative: no base to resolve on
    ("<style>@import url(house.css);</style><p>x</p>", "house.css"),
    ('<p><img alt="" src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 '
     "xmlns:xlink=%22http://www.w3.org/1999/xlink%22 width=%2210%22 height=%2210%22%3E"
     "%3Cimage width=%2210%22 height=%2210%22 xlink:href=%22file:///etc/x.png%22/%3E"
     '%3C/svg%3E"></p>', "file:///etc/x.png"),  # WeasyPrint swallows errors inside SVG
])
def test_any_other_url_fails_the_build_naming_it(body: str, url: str,
                                                 fetched: list[str]) -> None:
    html = f"<!DOCTYPE html><html><head></head><body>{body}</body></html>"
    with pytest.raises(UserError, match=re.escape(repr(url))):
        pdf.html_to_pdf(document(), html)
    assert url in fetched  # asked for, refused, never opened


@pytest.mark.parametrize("body", [
    '<link rel="attachment" href="data:text/plain,secret"><p>x</p>',
    '<p><a rel="attachment" href="data:text/plain,secret">x</a></p>',
])
def test_an_attachment_is_a_bug(body: str) -> None:
    html = f"<!DOCTYPE html><html><head></head><body>{body}</body></html>"
    with pytest.raises(RuntimeError, match="attachment"):
        pdf.html_to_pdf(document(), html)


@pytest.mark.parametrize("entry", [
    {"OpenAction": pydyf.Dictionary({"S": "/JavaScript", "JS": pydyf.String("app.alert(1)")})},
    {"Names": pydyf.Dictionary({"JavaScript": b"5 0 R"})},
    {"AA": pydyf.Dictionary({})},
    {"OpenAction": pydyf.Dictionary({"S": "/Launch", "F": pydyf.String("calc.exe")})},
])
def test_javascript_and_actions_are_refused(entry: dict[str, Any]) -> None:
    document_pdf = pydyf.PDF()
    document_pdf.catalog.update(entry)
    with pytest.raises(RuntimeError, match="JavaScript"):
        pdf.require_no_active_content(document_pdf)


def test_a_plain_pdf_passes_the_active_content_check() -> None:
    pdf.require_no_active_content(pydyf.PDF())


# ---- characters XML cannot carry --------------------------------------------------------------


@pytest.mark.parametrize(("char", "name"), [
    ("\x00", "U+0000"), ("\x08", "U+0008"), ("\x0b", "U+000B"), ("\x0c", "U+000C"),
    ("\x0e", "U+000E"), ("\x1f", "U+001F"), ("\ufffe", "U+FFFE"), ("\uffff", "U+FFFF"),
    ("\ud800", "U+D800"),
])
def test_require_xml_safe_names_where_and_the_character(char: str, name: str) -> None:
    with pytest.raises(UserError, match=rf"^table 14\.1\.3 footnote: .*{re.escape(name)}"):
        require_xml_safe(f"ab{char}cd", "table 14.1.3 footnote")


@pytest.mark.parametrize("text", ["", "plain", "tab\tnew\nline\rcr", "α 中文 \u00a0 \u2028"])
def test_require_xml_safe_passes_text_xml_can_carry(text: str) -> None:
    assert require_xml_safe(text, "x") == text


@pytest.mark.parametrize("writer", [as_html, as_docx, pdf.as_pdf])
def test_every_writer_refuses_a_control_character_naming_its_cell(writer: Any) -> None:
    doc = document(TableRef("14.1.3"), tables={"14.1.3": small_table(cell="12\x07.5")})
    with pytest.raises(UserError, match=r"'safety': table 14\.1\.3 row 3 .*cell 1: .*U\+0007"):
        writer(doc)


@pytest.mark.parametrize("writer", [as_html, as_docx])
def test_control_character_in_a_property_is_refused(writer: Any) -> None:
    with pytest.raises(UserError, match=r"author: .*U\+001B"):
        writer(document(author="Sponsor\x1b[31m"))


# ---- links --------------------------------------------------------------------------------


@pytest.mark.parametrize("href", ["#h_results", "https://www.fda.gov/", "http://x.org",
                                  "mailto:a@b.org", "m5/53-clin-stud-rep/csr.pdf#page=3"])
def test_allowed_links(href: str) -> None:
    require_link(href, "doc")


@pytest.mark.parametrize("href", ["javascript:alert(1)", "file:///etc/passwd",
                                  "data:text/html,<script>", "JavaScript:x", "vbscript:x"])
def test_other_link_schemes_are_refused(href: str) -> None:
    doc = document(Paragraph((Text("click", href=href),)))
    with pytest.raises(UserError, match="scheme"):
        as_html(doc)
    with pytest.raises(UserError, match="scheme"):
        as_docx(doc)


# ---- glyphs --------------------------------------------------------------------------------


def test_parse_charset() -> None:
    starts, ends = glyphs.parse_charset("20-7e a0 100-17f\n")
    assert (starts, ends) == ((0x20, 0xA0, 0x100), (0x7E, 0xA0, 0x17F))
    cov = glyphs.Coverage("x", "x.ttf", starts, ends)
    assert [cp in cov for cp in (0x1F, 0x20, 0x7E, 0x7F, 0xA0, 0xA1, 0x17F, 0x180)] == [
        False, True, True, False, True, False, True, False]


def test_family_names_are_not_read_as_fontconfig_patterns() -> None:
    # 'Liberation Serif-12' would be Liberation Serif at 12 pt: not the family asked for.
    assert glyphs.family_coverage("Liberation Serif-12") is None
    assert glyphs.family_coverage("-h") is None  # never an fc-match option
    serif = glyphs.family_coverage("Liberation Serif")
    assert serif is not None and ord("A") in serif and ord("中") not in serif


def test_the_font_stack_covers_latin_greek_cyrillic_and_cjk() -> None:
    families = font_families(document().style)
    assert glyphs.missing_characters("Aé€—αβΩЖщ中文日本語한국어±≤≥µ°", families) == []
    assert glyphs.missing_characters("a\U0001f600b", families) == ["\U0001f600"]


def test_greek_and_cjk_render_and_can_be_searched() -> None:
    text = "Greek α β, Cyrillic Ж, Chinese 中文, Japanese 日本語"
    doc = document(Heading(1, (Text("中文 heading"),), "h_cjk"), Paragraph((Text(text),)),
                   running_header="Study 中文 α")
    reader = PdfReader(io.BytesIO(pdf.as_pdf(doc)))
    pages = [flat(p.extract_text()) for p in reader.pages]
    assert any(text in p for p in pages)
    assert any("中文 heading" in p for p in pages)
    assert "Study 中文 α" in pages[-1]
    fonts = {str(d.get("/BaseFont")) for d in all_dicts(reader) if d.get("/Type") == "/Font"}
    assert any("CJK" in f for f in fonts), fonts


@pytest.mark.parametrize(("char", "name"), [("\U0001f600", "U+1F600"),
                                            ("\U000f0000", "U+F0000")])
def test_a_character_no_font_has_is_a_user_error(char: str, name: str) -> None:
    doc = document(TableRef("14.1.3"), tables={"14.1.3": small_table(cell=f"12.5 {char}")})
    with pytest.raises(UserError, match=re.escape(name)) as err:
        pdf.as_pdf(doc)
    assert f"{name} {char!r}" in str(err.value)
    assert "table 14.1.3 row 3" in str(err.value)


def test_characters_that_are_not_drawn_are_not_checked() -> None:
    # Zero-width joiner, soft hyphen, a variation selector: format characters, no glyph needed.
    assert not [ch for ch in "\u200d\u00ad\ufe0f" if glyphs.is_drawn(ch)]


# ---- figures: no mathtext ---------------------------------------------------------------------


def test_figure_labels_are_literal_not_mathtext() -> None:
    figure = km_figure(arm="$\\alpha$ arm, 5 $ and kg/m$^2$")
    svg = figure.svg.decode("utf-8")
    assert "$\\alpha$ arm, 5 $ and kg/m$^2$" in svg
