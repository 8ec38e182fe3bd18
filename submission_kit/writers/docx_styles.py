"""The paragraph and character styles of the DOCX writer.

Every text the writer puts in a document is formatted by a style (no fonts or sizes on runs),
so a company template restyles it. The styles come from `templates/reference.docx`
(docx_reference), which is generated from the definitions here; a study may replace it with
its own. Word finds its built-in styles by name (navigation pane, TOC \\o, captions), so a
sponsor's reference keeps its own look and its own ids; the writer's own styles are added
where the reference lacks them.

Two kinds of styles are not the reference's to decide, and are always set from the study's
`[style]`: the ones the pagination model measured (table text, TLF titles and notes, table
captions, the running header and footer: exact line heights, so a page of a table holds what
the model put on it), and heading numbering when the reference's headings have none (the
numbers in the table of contents and in the PDF are the outline's).
"""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from lxml import etree

from submission_kit.documents.model import Style
from submission_kit.writers.docx_ooxml import LINK_COLOR, MONO_FONT, esc, half_points, rfonts
from submission_kit.writers.print_css import sizes_for

TOC_LEVELS = 6
HEADING_LEVELS = 6
# Styles whose sizes the pagination model measured: always the study's.
MEASURED = ("TableText", "TLFTitle", "TLFNote", "TableCaption", "RunningHead")


def doc_defaults_xml(style: Style, language: str) -> str:
    """Font, size and language of every text; widow/orphan control on, as in Word's own
    Normal template."""
    hp = half_points(style.body_pt)
    lang = esc(language or "en-US")
    return (f"<w:docDefaults {nsdecls('w')}><w:rPrDefault><w:rPr>{rfonts(style.font)}"
            f'<w:sz w:val="{hp}"/><w:szCs w:val="{hp}"/>'
            f'<w:lang w:val="{lang}" w:eastAsia="{lang}" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
            '<w:pPrDefault><w:pPr><w:widowControl/>'
            '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
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


_BLACK = '<w:color w:val="000000"/>'
_BOLD = "<w:b/><w:bCs/>"


def style_defs(style: Style, heading_num: int = 0) -> list[str]:
    """Every style the writer uses, as `w:style` XML; `heading_num`: the list that numbers
    Heading 1-6 (0: none)."""
    return [*prose_defs(style), *heading_defs(style, heading_num), *measured_defs(style)]


def prose_defs(style: Style) -> list[str]:
    body = style.body_pt
    head = rfonts(style.heading_font or style.font)
    justify = '<w:jc w:val="both"/>' if style.justify else ""
    return [
        _style("Normal", "Normal", based_on="",
               ppr=f'<w:spacing w:after="120" w:line="240" w:lineRule="auto"/>{justify}',
               rpr=rfonts(style.font) + _size(body), extra="<w:qFormat/>"),
        _style("Title", "Title",
               ppr='<w:spacing w:before="2160" w:after="360"/><w:jc w:val="center"/>',
               rpr=f"{head}{_BOLD}{_BLACK}{_size(body + 9)}",
               extra='<w:next w:val="Normal"/><w:qFormat/>'),
        _style("Subtitle", "Subtitle", ppr='<w:spacing w:after="360"/><w:jc w:val="center"/>',
               rpr=f"{head}{_BLACK}{_size(body + 3)}", extra="<w:qFormat/>"),
        _style("TitleLine", "Title Page Line", ppr='<w:jc w:val="center"/>'),
        _style("Banner", "Banner", ppr='<w:spacing w:before="480"/><w:jc w:val="center"/>',
               rpr=_BOLD),
        _style("Caption", "caption", ppr='<w:keepNext/><w:spacing w:before="240" w:after="120"/>'
               '<w:jc w:val="left"/>', rpr=f"{_BOLD}{_BLACK}{_size(body)}",
               extra="<w:qFormat/>"),
        _style("Figure", "Figure", ppr='<w:keepNext/><w:spacing w:after="120"/>'
               '<w:jc w:val="center"/>'),
        _style("TOCHeading", "TOC Heading",
               ppr='<w:keepNext/><w:spacing w:before="240" w:after="240"/><w:jc w:val="left"/>',
               rpr=f"{head}{_BOLD}{_BLACK}{_size(body + 3)}"),
        *[_style(f"TOC{n}", f"toc {n}", ppr=f'<w:spacing w:after="60"/>'
                 f'<w:ind w:left="{220 * (n - 1)}"/><w:jc w:val="left"/>',
                 extra='<w:next w:val="Normal"/>')
          for n in range(1, TOC_LEVELS + 1)],
        _style("TableofFigures", "table of figures",
               ppr='<w:spacing w:after="60"/><w:jc w:val="left"/>',
               extra='<w:next w:val="Normal"/>'),
        _style("Hyperlink", "Hyperlink", kind="character", based_on="DefaultParagraphFont",
               rpr=f'<w:color w:val="{LINK_COLOR}"/><w:u w:val="single"/>'),
        _style("VerbatimChar", "Verbatim Char", kind="character",
               based_on="DefaultParagraphFont", rpr=rfonts(MONO_FONT)),
        _style("ListParagraph", "List Paragraph", ppr='<w:spacing w:after="60"/>'),
    ]


def heading_defs(style: Style, num_id: int = 0) -> list[str]:
    """Heading 1-6: bold black, outline levels 0-5 so Word's navigation pane lists them,
    numbered by list `num_id` (level n-1) when it is not 0."""
    font, body = rfonts(style.heading_font or style.font), style.body_pt
    sizes = (body + 3, body + 1, body, body, body, body)
    before = (360, 240, 200, 160, 160, 160)
    defs = []
    for level in range(1, HEADING_LEVELS + 1):
        italic = "<w:i/><w:iCs/>" if level >= 5 else ""
        numbered = (f'<w:numPr><w:ilvl w:val="{level - 1}"/><w:numId w:val="{num_id}"/>'
                    "</w:numPr>") if num_id else ""
        defs.append(_style(
            f"Heading{level}", f"heading {level}",
            ppr=(f"<w:keepNext/><w:keepLines/>{numbered}"
                 f'<w:spacing w:before="{before[level - 1]}" w:after="120"/>'
                 f'<w:jc w:val="left"/><w:outlineLvl w:val="{level - 1}"/>'),
            rpr=f"{font}{_BOLD}{italic}{_BLACK}{_size(sizes[level - 1])}",
            extra='<w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/>'))
    return defs


def measured_defs(style: Style) -> list[str]:
    """Exact line heights and sizes of what the pagination model measures (tables.paginate)."""
    sizes = sizes_for(style)
    font = rfonts(style.font)
    exact = f'w:line="{round(sizes.table_line * 20)}" w:lineRule="exact"'
    title = f'w:line="{round(sizes.title_line * 20)}" w:lineRule="exact"'
    table = f"{font}{_size(sizes.table_pt)}"
    return [
        _style("TableText", "Table Text",
               ppr=f'<w:spacing w:after="0" {exact}/><w:jc w:val="left"/>', rpr=table),
        _style("TLFTitle", "TLF Title",
               ppr=f'<w:keepNext/><w:spacing w:after="0" {title}/><w:jc w:val="center"/>',
               rpr=f"{font}{_BOLD}{_size(sizes.title_pt)}"),
        # Notes are short: one is never split over two pages (nor, in a document, from the
        # table, through keep-with-next on all but the last).
        _style("TLFNote", "TLF Note", ppr=f'<w:keepLines/><w:spacing w:after="0" {exact}/>'
               '<w:jc w:val="left"/>', rpr=table),
        _style("TableCaption", "Table Caption", based_on="Caption",
               ppr=f'<w:keepNext/><w:spacing w:before="0" '
                   f'w:after="{round(sizes.title_gap * 20)}" {title}/><w:jc w:val="center"/>',
               rpr=f"{font}{_BOLD}{_BLACK}{_size(sizes.title_pt)}"),
        _style("RunningHead", "Running Head",
               ppr=f'<w:spacing w:after="0" {exact}/><w:jc w:val="left"/>', rpr=table),
    ]


def heading_numbering_xml(abstract_id: int, num_id: int) -> tuple[str, str]:
    """(abstractNum, num) of the heading list: "1", "1.1", ... each level restarting under the
    one above, a space after the number (as the PDF shows it), no indent."""
    levels = []
    for i in range(9):
        text = ".".join(f"%{k + 1}" for k in range(i + 1))
        link = f'<w:pStyle w:val="Heading{i + 1}"/>' if i < HEADING_LEVELS else ""
        levels.append(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
                      f'{link}<w:suff w:val="space"/><w:lvlText w:val="{text}"/>'
                      '<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="0" w:firstLine="0"/>'
                      "</w:pPr></w:lvl>")
    abstract = (f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
                f'<w:multiLevelType w:val="multilevel"/>{"".join(levels)}</w:abstractNum>')
    num = (f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>'
           "</w:num>")
    return abstract, num


# ---- installing styles into a package ------------------------------------------------------

def set_doc_defaults(word: DocxDocument, style: Style, language: str) -> None:
    root = word.styles.element
    for old in root.findall(qn("w:docDefaults")):
        root.remove(old)
    root.insert(0, parse_xml(doc_defaults_xml(style, language)))


def set_language(word: DocxDocument, language: str) -> None:
    """The document's language on the defaults, whatever else the reference sets there."""
    lang = word.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/"
                                    f"{qn('w:rPr')}/{qn('w:lang')}")
    if lang is not None:
        for attr in ("w:val", "w:eastAsia"):
            lang.set(qn(attr), language or "en-US")


def install(word: DocxDocument, defs: list[str], *, replace: bool) -> None:
    """Add each style; one with the same id is replaced when `replace`, else kept."""
    root = word.styles.element
    style_id = qn("w:styleId")
    by_id: dict[str | None, list[etree._Element]] = {}
    for old in root.iterchildren(qn("w:style")):
        by_id.setdefault(old.get(style_id), []).append(old)
    for xml in defs:
        new = parse_xml(xml)
        found = by_id.get(new.get(style_id), [])
        if found and not replace:
            continue
        for old in found:
            root.remove(old)
        by_id[new.get(style_id)] = [new]
        root.append(new)


def adopt_ids(word: DocxDocument, defs: list[str]) -> None:
    """Give the reference's styles the ids the writer uses, found by name (case-insensitive):
    Word names its built-in styles in English in every language, while their ids follow the
    language of the Word that saved the file ("berschrift1" for "heading 1")."""
    root = word.styles.element
    wanted = {}
    for xml in defs:
        new = parse_xml(xml)
        wanted[new.find(qn("w:name")).get(qn("w:val")).lower()] = (new.get(qn("w:styleId")),
                                                                   new.get(qn("w:type")))
    renames = {}
    for style in root.iterchildren(qn("w:style")):
        name = style.find(qn("w:name"))
        key = name.get(qn("w:val")).lower() if name is not None else ""
        target = wanted.get(key)
        if target and target[1] == style.get(qn("w:type")) and \
                style.get(qn("w:styleId")) != target[0]:
            renames[style.get(qn("w:styleId"))] = target[0]
    if not renames:
        return
    taken = {s.get(qn("w:styleId")) for s in root.iterchildren(qn("w:style"))}
    for old, new_id in renames.items():
        if new_id in taken:  # the reference already uses the id for another style
            continue
        for el in root.iter():
            if el.get(qn("w:styleId")) == old:
                el.set(qn("w:styleId"), new_id)
            elif el.tag in (qn("w:basedOn"), qn("w:next"), qn("w:link")) and \
                    el.get(qn("w:val")) == old:
                el.set(qn("w:val"), new_id)
        numbering = word.part.numbering_part.element
        for el in numbering.iter(qn("w:pStyle")):
            if el.get(qn("w:val")) == old:
                el.set(qn("w:val"), new_id)


def heading_numbered(word: DocxDocument) -> bool:
    """Whether the reference's Heading 1 style carries list numbering."""
    for style in word.styles.element.iterchildren(qn("w:style")):
        if style.get(qn("w:styleId")) == "Heading1":
            return style.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None
    return False


def next_list_ids(numbering: etree._Element) -> tuple[int, int]:
    """(abstractNumId, numId) of a new list, after the ones the numbering part holds."""
    abstract_id = 1 + max((int(a.get(qn("w:abstractNumId")))
                           for a in numbering.iterchildren(qn("w:abstractNum"))), default=0)
    num_id = 1 + max((int(n.get(qn("w:numId"))) for n in numbering.iterchildren(qn("w:num"))),
                     default=0)
    return abstract_id, num_id


def add_lists(numbering: etree._Element, abstracts: list[etree._Element],
              nums: list[etree._Element]) -> None:
    """Add list definitions where the schema wants them: every w:abstractNum before the
    first w:num, the w:num elements at the end."""
    first_num = numbering.find(qn("w:num"))
    for element in abstracts:
        if first_num is not None:
            first_num.addprevious(element)
        else:
            numbering.append(element)
    numbering.extend(nums)


def number_headings(word: DocxDocument) -> None:
    """Give Heading 1-6 the writer's numbering (a new list, ids after the reference's)."""
    root = word.part.numbering_part.element
    abstract_id, num_id = next_list_ids(root)
    abstract, num = heading_numbering_xml(abstract_id, num_id)
    add_lists(root, [parse_xml(abstract)], [parse_xml(num)])
    for level in range(1, HEADING_LEVELS + 1):
        _set_numbering(word, f"Heading{level}", level - 1, num_id)


def _set_numbering(word: DocxDocument, style_id: str, level: int, num_id: int) -> None:
    for style in word.styles.element.iterchildren(qn("w:style")):
        if style.get(qn("w:styleId")) != style_id:
            continue
        ppr = style.find(qn("w:pPr"))
        if ppr is None:
            ppr = parse_xml(f"<w:pPr {nsdecls('w')}/>")
            rpr = style.find(qn("w:rPr"))
            if rpr is not None:
                rpr.addprevious(ppr)
            else:
                style.append(ppr)
        numbered = parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/>'
                             f'<w:numId w:val="{num_id}"/></w:numPr>')
        # Schema order: numPr follows keepNext, keepLines, pageBreakBefore, framePr and
        # widowControl.
        before = [c for c in ppr if isinstance(c.tag, str) and c.tag.split("}")[-1] in (
            "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl")]
        if before:
            before[-1].addnext(numbered)
        else:
            ppr.insert(0, numbered)
