"""Paragraph and character styles of the DOCX writer, defined in code from `Document.style`.

Styles replace the template's own definitions with the same id, so Word still sees its
built-in names (navigation pane, TOC \\o, captions) while fonts, sizes and colours come from the
study: no theme fonts and no theme colours (blue is kept for hyperlinks).
"""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from lxml import etree

from submission_kit.documents.model import Style
from submission_kit.writers.docx_ooxml import (
    LINK_COLOR,
    Geometry,
    esc,
    half_points,
    rfonts,
    right_tab,
)
from submission_kit.writers.print_css import sizes_for

TOC_LEVELS = 6


def install_styles(word: DocxDocument, style: Style, geo: Geometry, language: str) -> None:
    root = word.styles.element
    for old in root.findall(qn("w:docDefaults")):
        root.remove(old)
    root.insert(0, parse_xml(_doc_defaults(style, language)))
    style_id = qn("w:styleId")
    by_id: dict[str | None, list[etree._Element]] = {}
    for old in root.iterchildren(qn("w:style")):
        by_id.setdefault(old.get(style_id), []).append(old)
    for xml in _style_defs(style, geo):
        new = parse_xml(xml)
        for old in by_id.get(new.get(style_id), []):
            root.remove(old)
        by_id[new.get(style_id)] = [new]
        root.append(new)


def _doc_defaults(style: Style, language: str) -> str:
    hp = half_points(style.body_pt)
    lang = esc(language or "en-US")
    return (f"<w:docDefaults {nsdecls('w')}><w:rPrDefault><w:rPr>{rfonts(style.font)}"
            f'<w:sz w:val="{hp}"/><w:szCs w:val="{hp}"/>'
            f'<w:lang w:val="{lang}" w:eastAsia="{lang}" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
            '<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
            "</w:pPr></w:pPrDefault></w:docDefaults>")


def _style(style_id: str, name: str, *, ppr: str = "", rpr: str = "", kind: str = "paragraph",
           based_on: str = "Normal", extra: str = "") -> str:
    default = ' w:default="1"' if style_id == "Normal" else ""
    based = f'<w:basedOn w:val="{based_on}"/>' if based_on else ""
    return (f'<w:style {nsdecls("w")} w:type="{kind}"{default} w:styleId="{style_id}">'
            f'<w:name w:val="{name}"/>{based}{extra}'
            f'{f"<w:pPr>{ppr}</w:pPr>" if ppr else ""}{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}'
            "</w:style>")


def _size(pt: float) -> str:
    hp = half_points(pt)
    return f'<w:sz w:val="{hp}"/><w:szCs w:val="{hp}"/>'


def _style_defs(style: Style, geo: Geometry) -> list[str]:
    body = style.body_pt
    black = '<w:color w:val="000000"/>'
    heading_font = rfonts(style.heading_font or style.font)
    justify = '<w:jc w:val="both"/>' if style.justify else ""
    toc_tab = f"<w:tabs>{right_tab(geo.text_width('portrait'), 'dot')}</w:tabs>"
    sizes = sizes_for(style)
    table = _size(sizes.table_pt)
    # Exact line heights for everything the pagination model measures (tables.paginate).
    exact = f'w:line="{round(sizes.table_line * 20)}" w:lineRule="exact"'
    title_exact = f'w:line="{round(sizes.title_line * 20)}" w:lineRule="exact"'
    return [
        _style("Normal", "Normal", based_on="",
               ppr=f'<w:spacing w:after="120" w:line="240" w:lineRule="auto"/>{justify}',
               rpr=rfonts(style.font) + _size(body),
               extra="<w:qFormat/>"),
        *_heading_defs(heading_font, body),
        _style("Title", "Title",
               ppr='<w:spacing w:before="2160" w:after="360"/><w:jc w:val="center"/>',
               rpr=f"{heading_font}<w:b/><w:bCs/>{black}{_size(body + 9)}",
               extra='<w:next w:val="Normal"/><w:qFormat/>'),
        _style("Subtitle", "Subtitle", ppr='<w:spacing w:after="360"/><w:jc w:val="center"/>',
               rpr=f"{heading_font}{black}{_size(body + 3)}", extra="<w:qFormat/>"),
        _style("Caption", "caption", ppr='<w:keepNext/><w:spacing w:before="240" w:after="120"/>'
               '<w:jc w:val="left"/>', rpr=f"<w:b/><w:bCs/>{black}{_size(body)}",
               extra="<w:qFormat/>"),
        _style("TOCHeading", "TOC Heading",
               ppr='<w:keepNext/><w:spacing w:before="240" w:after="240"/><w:jc w:val="left"/>',
               rpr=f"{heading_font}<w:b/><w:bCs/>{black}{_size(body + 3)}"),
        *[_style(f"TOC{n}", f"toc {n}", ppr=f'{toc_tab}<w:spacing w:after="60"/>'
                 f'<w:ind w:left="{220 * (n - 1)}"/><w:jc w:val="left"/>')
          for n in range(1, TOC_LEVELS + 1)],
        _style("TableofFigures", "table of figures",
               ppr=f'{toc_tab}<w:spacing w:after="60"/><w:jc w:val="left"/>'),
        _style("Hyperlink", "Hyperlink", kind="character", based_on="DefaultParagraphFont",
               rpr=f'<w:color w:val="{LINK_COLOR}"/><w:u w:val="single"/>'),
        _style("ListParagraph", "List Paragraph", ppr='<w:spacing w:after="60"/>'),
        _style("TableText", "Table Text",
               ppr=f'<w:spacing w:after="0" {exact}/><w:jc w:val="left"/>', rpr=table),
        _style("TLFTitle", "TLF Title",
               ppr=f'<w:keepNext/><w:spacing w:after="0" {title_exact}/><w:jc w:val="center"/>',
               rpr=f"<w:b/><w:bCs/>{_size(sizes.title_pt)}"),
        _style("TLFNote", "TLF Note",
               ppr=f'<w:spacing w:after="0" {exact}/><w:jc w:val="left"/>', rpr=table),
        _style("RunningHead", "Running Head",
               ppr=f'<w:spacing w:after="0" {exact}/><w:jc w:val="left"/>', rpr=table),
    ]


def _heading_defs(font_xml: str, body: float) -> list[str]:
    """Heading 1-6: bold black, outline levels 0-5 so Word's navigation pane lists them."""
    sizes = (body + 3, body + 1, body, body, body, body)
    before = (360, 240, 200, 160, 160, 160)
    defs = []
    for level in range(1, 7):
        italic = "<w:i/><w:iCs/>" if level >= 5 else ""
        defs.append(_style(
            f"Heading{level}", f"heading {level}",
            ppr=(f'<w:keepNext/><w:keepLines/><w:spacing w:before="{before[level - 1]}" '
                 f'w:after="120"/><w:jc w:val="left"/><w:outlineLvl w:val="{level - 1}"/>'),
            rpr=f'{font_xml}<w:b/><w:bCs/>{italic}<w:color w:val="000000"/>'
                f"{_size(sizes[level - 1])}",
            extra='<w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/>'))
    return defs
