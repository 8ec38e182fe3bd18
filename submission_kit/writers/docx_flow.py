"""The body of a DOCX as Word stacks it on the page: a flat list of `Unit`s (a line of a
paragraph, a table row), each with its height, what it must stay on a page with, and the
bookmarks it carries. docx_layout then fills pages with them.

Read from the WordprocessingML itself, with the styles part it will be opened with (defaults,
`basedOn` chains, character styles, list numbering), so the estimate follows a sponsor's
reference.docx as Word would. Text is measured with the advance widths of the font file
fontconfig picks for each family (font_metrics); line heights are Word's "single" spacing for
that font (ascent + descent + line gap of the Windows metrics, font_line_ratio), scaled by
the paragraph's `w:spacing/@w:line` or exact.

What Word does and is modelled: greedy line breaking at spaces and after hyphens and dashes,
space between paragraphs (the larger of after and before), keep with next, keep lines together,
widow/orphan control, page break before, page breaks in runs, section breaks (orientation),
table rows that do not split, repeated header rows, inline pictures, list indents. What is not
(none of it occurs in what this writer produces): floating objects, columns, footnotes,
frames, text boxes, hyphenation, tables nested in tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from submission_kit.writers.docx_props import (
    Level,
    Props,
    Styles,
    W,
    points,
    ppr_props,
    rpr_props,
    val,
)
from submission_kit.writers.font_metrics import font_line_ratio, measure_for

WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
EMU_PER_PT = 12700


# ---- units --------------------------------------------------------------------------------

@dataclass(slots=True)
class Unit:
    """What cannot be split across pages: a line of a paragraph, a table row, or a whole
    paragraph or row kept together. `before` is space above it that Word drops at the top of
    a page it did not start by a break; `after` follows it and need not fit on the page."""

    height: float
    before: float = 0.0
    after: float = 0.0
    glue: bool = False  # must be on the same page as the next unit
    break_before: bool = False
    section: int = -1  # >= 0: this unit starts that section (on a new page)
    repeat: float = 0.0  # header rows repeated above it when it starts a page mid-table
    bookmarks: tuple[str, ...] = ()


@dataclass(slots=True)
class Geometry:
    width: float  # text width, points
    height: float  # text height, points


@dataclass(slots=True)
class Flow:
    units: list[Unit] = field(default_factory=list)
    sections: list[Geometry] = field(default_factory=list)


def section_geometry(sect: etree._Element) -> Geometry:
    size, margins = sect.find(W + "pgSz"), sect.find(W + "pgMar")
    width, height = points(size, "w") or 612.0, points(size, "h") or 792.0

    def margin(side: str) -> float:
        return points(margins, side) or 0.0

    return Geometry(width - margin("left") - margin("right"),
                    height - margin("top") - margin("bottom"))


# ---- paragraphs -----------------------------------------------------------------------------

@dataclass(slots=True)
class _Text:
    """A paragraph's visible content in order: characters with their run formatting."""

    chars: list[str] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    heights: list[float] = field(default_factory=list)  # line height each character needs
    page_break: bool = False


def _font(props: Props) -> tuple[str, float, bool, bool]:
    return (str(props.get("font") or "Liberation Serif"), float(props.get("size") or 10.0),
            bool(props.get("bold")), bool(props.get("italic")))


class Paragraphs:
    """Lays out paragraphs: lines and their heights for a given text width. What repeats in
    a long table is worked out once: the formatting of each distinct pPr, and the lines of
    each distinct plain text (a one-run paragraph) at each width."""

    def __init__(self, styles: Styles) -> None:
        self.styles = styles
        self._props: dict[bytes, tuple[Props, Props, Level | None]] = {}
        self._plain: dict[tuple[bytes, bytes, str, float], list[float]] = {}

    def props(self, p: etree._Element) -> tuple[Props, Props, Level | None]:
        ppr = p.find(W + "pPr")
        key = etree.tostring(ppr) if ppr is not None else b""
        found = self._props.get(key)
        if found is None:
            found = self._props[key] = self._resolve(ppr)
        return found

    def _resolve(self, ppr: etree._Element | None) -> tuple[Props, Props, Level | None]:
        style = val(ppr.find(W + "pStyle")) if ppr is not None else None
        pp, rp = self.styles.paragraph(style)
        pp = dict(pp)
        direct = ppr_props(ppr)
        num = direct.get("num") or pp.get("num")
        level = None
        if isinstance(num, tuple) and num[0] not in (None, "0"):
            level = self.styles.levels.get((num[0], num[1] or "0"))
            if level is not None:
                pp.update(level.props)
        pp.update(direct)
        return pp, rp, level

    def run_props(self, r: etree._Element, rp: Props) -> Props:
        rpr = r.find(W + "rPr")
        if rpr is None:
            return rp
        props = dict(rp)
        props.update(self.styles.character(val(rpr.find(W + "rStyle"))))
        props.update(rpr_props(rpr, self.styles.theme))
        return props

    def text(self, p: etree._Element, rp: Props, level: Level | None) -> _Text:
        out = _Text()
        if level is not None and level.suffix != "tab":  # a label inline with the text
            label = level.text + (" " if level.suffix == "space" else "")
            self._add(out, label, {**rp, **level.run})
        for r in p.iter(W + "r"):
            props = self.run_props(r, rp)
            for child in r:
                tag = child.tag
                if tag == W + "t":
                    self._add(out, child.text or "", props)
                elif tag == W + "tab":
                    self._add(out, "\t", props)
                elif tag == W + "br":
                    if val(child, "type") == "page":
                        out.page_break = True
                    else:
                        self._add(out, "\n", props)
                elif tag == W + "drawing":
                    extent = next(child.iter(WP + "extent"), None)
                    if extent is not None:
                        out.chars.append("\ufffc")
                        out.widths.append(float(extent.get("cx") or 0) / EMU_PER_PT)
                        out.heights.append(float(extent.get("cy") or 0) / EMU_PER_PT)
        return out

    def _add(self, out: _Text, text: str, props: Props) -> None:
        family, size, bold, italic = _font(props)
        if props.get("script"):
            size *= 0.65  # super- and subscripts are drawn smaller
        measure = measure_for(family)
        line = font_line_ratio(family) * float(props.get("size") or 10.0)
        for ch in text:
            out.chars.append(ch)
            out.widths.append(measure(ch, bold, italic) * size)
            out.heights.append(line)

    def lines(self, p: etree._Element, width: float) -> tuple[list[float], Props, bool]:
        """(height of each line, paragraph props, contains a page break)."""
        pp, rp, level = self.props(p)
        left, right = float(pp.get("left") or 0), float(pp.get("right") or 0)
        first = float(pp.get("first") or 0) - float(pp.get("hanging") or 0)
        if level is not None and level.suffix == "tab":
            first = 0.0  # the label sits in the hanging indent; text starts at the left one
        avail = max(width - left - right, 36.0)
        plain = _plain_run(p) if level is None else None
        if plain is not None:
            run_el, text = plain
            rpr = run_el.find(W + "rPr")
            key = (etree.tostring(rpr) if rpr is not None else b"",
                   etree.tostring(p.find(W + "pPr")) if p.find(W + "pPr") is not None else b"",
                   text, round(avail - first, 2))
            found = self._plain.get(key)
            if found is None:
                found = self._plain[key] = self._plain_lines(text, self.run_props(run_el, rp),
                                                             pp, avail, first)
            return found, pp, False
        text_ = self.text(p, rp, level)
        empty = font_line_ratio(_font(rp)[0]) * _font(rp)[1]
        spans = break_lines(text_.chars, text_.widths, avail, avail - first)
        naturals = [max(text_.heights[a:b], default=empty) if b > a else empty
                    for a, b in spans] or [empty]
        return [_line_height(h, pp) for h in naturals], pp, text_.page_break

    def _plain_lines(self, text: str, props: Props, pp: Props, avail: float, first: float
                     ) -> list[float]:
        family, size, bold, italic = _font(props)
        natural = font_line_ratio(family) * size
        if props.get("script"):
            size *= 0.65
        if measure_for(family)(text, bold, italic) * size <= avail - first + 0.01:
            return [_line_height(natural, pp)]  # one line: no need to break it
        out = _Text()
        self._add(out, text, props)
        spans = break_lines(out.chars, out.widths, avail, avail - first)
        return [_line_height(natural, pp)] * max(len(spans), 1)


def _plain_run(p: etree._Element) -> tuple[etree._Element, str] | None:
    """The run and text of a paragraph that holds one run of plain text and nothing else
    (most table cells), or None."""
    runs = [c for c in p if c.tag != W + "pPr"]
    if len(runs) > 1 or (runs and runs[0].tag != W + "r"):
        return None
    if not runs:
        return None
    parts = [c for c in runs[0] if c.tag != W + "rPr"]
    if not parts or any(c.tag != W + "t" for c in parts):
        return None
    return runs[0], "".join(c.text or "" for c in parts)


def _line_height(natural: float, pp: Props) -> float:
    rule, line = pp.get("rule", "auto"), float(pp.get("line") or 240)
    if rule == "exact":
        return line / 20
    if rule == "atLeast":
        return max(line / 20, natural)
    return natural * line / 240


_BREAK_AFTER = frozenset("-\u2013\u2014\u2010")


def break_lines(chars: list[str], widths: list[float], width: float, first: float
                ) -> list[tuple[int, int]]:
    """Greedy line breaking, as Word: at spaces (a trailing space hangs in the margin), after
    a hyphen or dash followed by a letter, and at explicit line breaks; a word wider than the
    line is broken between characters. `first`: the first line's width. (start, stop) of
    each line."""
    lines: list[tuple[int, int]] = []
    start, x, limit = 0, 0.0, first
    last_break = -1  # index after which the line may break
    n = len(chars)
    i = 0
    while i < n:
        ch = chars[i]
        if ch == "\n":
            lines.append((start, i))
            start, x, limit, last_break = i + 1, 0.0, width, -1
            i += 1
            continue
        # A tab reaches the next default tab stop (every half inch).
        w = max(widths[i], 36.0 - x % 36.0) if ch == "\t" else widths[i]
        if ch == " ":
            x += w
            last_break = i
            i += 1
            continue
        if x + w > limit + 0.01 and i > start:
            cut = last_break + 1 if last_break >= start else i
            lines.append((start, cut))
            start, limit, last_break = cut, width, -1
            x = sum(widths[start:i])
            continue
        x += w
        if ch in _BREAK_AFTER and i + 1 < n and chars[i + 1].isalpha():
            last_break = i
        i += 1
    lines.append((start, n))
    return lines


# ---- the body -------------------------------------------------------------------------------

class Reader:
    """Turns body elements into units, section by section."""

    def __init__(self, styles: Styles) -> None:
        self.paragraphs = Paragraphs(styles)
        self.flow = Flow()
        self._cells: dict[tuple[bytes, tuple[float, float, float, float]],
                          tuple[float, bool, float, float, tuple[str, ...], bool]] = {}

    def children(self, children: Iterable[etree._Element], sections: list[Geometry]) -> Flow:
        """The flow of the body's children, read one at a time (a streamed body is freed as
        it goes); `sections`: the geometry of every w:sectPr in the body, in order."""
        self.flow = Flow()
        self.flow.sections = sections or [Geometry(468, 684)]
        section = 0
        start_section = broken = False
        for child in children:
            if child.tag == W + "p":
                units, breaks = self.paragraph(child, self.flow.sections[section].width)
                if start_section and units:
                    units[0].section = section
                    start_section = False
                if broken:
                    units[0].break_before = True
                broken = breaks
                self.flow.units += units
                if child.find(f"{W}pPr/{W}sectPr") is not None:
                    section = min(section + 1, len(self.flow.sections) - 1)
                    start_section = True
            elif child.tag == W + "tbl":
                units = self.table(child)
                if start_section and units:
                    units[0].section = section
                    start_section = False
                if broken and units:
                    units[0].break_before = True
                broken = False
                self.flow.units += units
        return self.flow

    def paragraph(self, p: etree._Element, width: float) -> tuple[list[Unit], bool]:
        """The paragraph's lines, and whether it ends in a page break: Word (since 2013) and
        LibreOffice keep a paragraph that holds a page break on its page, and start the next
        one on a new page."""
        heights, pp, page_break = self.paragraphs.lines(p, width)
        marks = tuple(b.get(W + "name") or "" for b in p.iter(W + "bookmarkStart"))
        keep_lines = bool(pp.get("keep_lines"))
        widow = bool(pp.get("widow"))
        units = [Unit(h) for h in heights]
        n = len(units)
        for k, unit in enumerate(units[:-1]):
            # Keep lines together, or widow/orphan control: never one line alone on a page.
            unit.glue = keep_lines or (widow and (k == 0 or k == n - 2))
        units[0].before = float(pp.get("before") or 0)
        units[0].break_before = bool(pp.get("break_before"))
        units[0].bookmarks = marks
        units[-1].after = float(pp.get("after") or 0)
        units[-1].glue = bool(pp.get("keep_next")) and not page_break
        return units, page_break

    def table(self, tbl: etree._Element) -> list[Unit]:
        tbl_pr = tbl.find(W + "tblPr")
        margins = _cell_margins(tbl_pr.find(W + "tblCellMar") if tbl_pr is not None else None,
                                (0.0, 5.4, 0.0, 5.4))
        borders = tbl_pr.find(W + "tblBorders") if tbl_pr is not None else None
        rows = tbl.findall(W + "tr")
        units: list[Unit] = []
        header = 0.0
        for k, tr in enumerate(rows):
            height, keep, marks = self.row(tr, margins, borders, k == 0, k == len(rows) - 1)
            is_header = tr.find(f"{W}trPr/{W}tblHeader") is not None
            units.append(Unit(height, glue=keep, repeat=0.0 if is_header else header,
                              bookmarks=marks))
            if is_header and k == len(units) - 1 and all(
                    tr2.find(f"{W}trPr/{W}tblHeader") is not None for tr2 in rows[:k + 1]):
                header += height
        return units

    def row(self, tr: etree._Element, margins: tuple[float, float, float, float],
            borders: etree._Element | None, first: bool, last: bool
            ) -> tuple[float, bool, tuple[str, ...]]:
        """(height, kept with the next row, bookmarks) of a table row: its tallest cell, and
        the rules above and below it."""
        tallest, keep = 0.0, True
        marks: tuple[str, ...] = ()
        rule_top = _border(borders, "top" if first else "insideH")
        rule_bottom = _border(borders, "bottom") if last else 0.0
        any_para = False
        for tc in tr.findall(W + "tc"):
            key = (etree.tostring(tc), margins)
            cell = self._cells.get(key)
            if cell is None:
                cell = self._cells[key] = self.cell(tc, margins)
            height, cell_keep, top, bottom, cell_marks, paras = cell
            tallest = max(tallest, height)
            keep, any_para = keep and cell_keep, any_para or paras
            rule_top, rule_bottom = max(rule_top, top), max(rule_bottom, bottom)
            marks += cell_marks
        return tallest + rule_top + rule_bottom, keep and any_para, marks

    def cell(self, tc: etree._Element, margins: tuple[float, float, float, float]
             ) -> tuple[float, bool, float, float, tuple[str, ...], bool]:
        """(height with its margins, every paragraph kept with the next, its rules above and
        below, its bookmarks, whether it holds a paragraph) of a table cell; a listing
        repeats its cells, each distinct one is measured once."""
        tc_pr = tc.find(W + "tcPr")
        top, left, bottom, right = _cell_margins(
            tc_pr.find(W + "tcMar") if tc_pr is not None else None, margins)
        width = (points(tc_pr.find(W + "tcW") if tc_pr is not None else None, "w")
                 or 72.0) - left - right
        cell_borders = tc_pr.find(W + "tcBorders") if tc_pr is not None else None
        content, keep, paras = 0.0, True, False
        marks: tuple[str, ...] = ()
        for p in tc.findall(W + "p"):
            heights, pp, _ = self.paragraphs.lines(p, width)
            content += (sum(heights) + float(pp.get("before") or 0)
                        + float(pp.get("after") or 0))
            keep = keep and bool(pp.get("keep_next"))
            paras = True
            marks += tuple(b.get(W + "name") or "" for b in p.iter(W + "bookmarkStart"))
        return (content + top + bottom, keep, _border(cell_borders, "top"),
                _border(cell_borders, "bottom"), marks, paras)


def _cell_margins(mar: etree._Element | None, default: tuple[float, float, float, float]
                  ) -> tuple[float, float, float, float]:
    if mar is None:
        return default
    out: list[float] = []
    for side, value in zip(("top", "left", "bottom", "right"), default, strict=True):
        el = mar.find(W + side)
        if el is None and side in ("left", "right"):
            el = mar.find(W + ("start" if side == "left" else "end"))
        found = points(el, "w")
        out.append(value if found is None else found)
    return out[0], out[1], out[2], out[3]


def _border(borders: etree._Element | None, side: str) -> float:
    el = borders.find(W + side) if borders is not None else None
    if el is None or val(el) in (None, "nil", "none"):
        return 0.0
    return float(val(el, "sz") or 0) / 8
