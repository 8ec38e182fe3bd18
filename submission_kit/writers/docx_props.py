"""Formatting of a DOCX paragraph or run as Word resolves it, for the page estimate
(docx_flow): document defaults, the style's `basedOn` chain from its root, list numbering, then
direct formatting; theme fonts resolved. Only what changes where text falls on a page is read
(spacing, indents, keeps, breaks, font, size, bold, italic, script)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TRUE = {None, "1", "true", "on"}
Props = dict[str, Any]  # property name -> value, as read from the XML


def val(el: etree._Element | None, attr: str = "val") -> str | None:
    return None if el is None else el.get(f"{W}{attr}")


def _flag(el: etree._Element | None) -> bool | None:
    """An on/off property: absent -> None, `<w:b/>` -> True, `<w:b w:val="0"/>` -> False."""
    return None if el is None else val(el) in _TRUE


def points(el: etree._Element | None, attr: str) -> float | None:
    """An attribute in twips (twentieths of a point), in points."""
    value = val(el, attr)
    return None if value is None else float(value) / 20


def ppr_props(ppr: etree._Element | None) -> Props:
    """The paragraph properties the layout needs, as set in one pPr (unset ones left out)."""
    if ppr is None:
        return {}
    out: Props = {}
    for name, tag in (("keep_next", "keepNext"), ("keep_lines", "keepLines"),
                      ("break_before", "pageBreakBefore"), ("widow", "widowControl")):
        flag = _flag(ppr.find(W + tag))
        if flag is not None:
            out[name] = flag
    spacing = ppr.find(W + "spacing")
    if spacing is not None:
        for name, attr in (("before", "before"), ("after", "after")):
            value = points(spacing, attr)
            if value is not None:
                out[name] = value
        if val(spacing, "line") is not None:
            out["line"] = float(val(spacing, "line") or 240)
            out["rule"] = val(spacing, "lineRule") or "auto"
    ind = ppr.find(W + "ind")
    if ind is not None:
        for name, attrs in (("left", ("left", "start")), ("right", ("right", "end")),
                            ("first", ("firstLine",)), ("hanging", ("hanging",))):
            for attr in attrs:
                value = points(ind, attr)
                if value is not None:
                    out[name] = value
                    if name in ("first", "hanging"):
                        out.pop("hanging" if name == "first" else "first", None)
                    break
    num = ppr.find(W + "numPr")
    if num is not None:
        out["num"] = (val(num.find(W + "numId")), val(num.find(W + "ilvl")))
    return out


def rpr_props(rpr: etree._Element | None, theme: dict[str, str]) -> Props:
    if rpr is None:
        return {}
    out: Props = {}
    fonts = rpr.find(W + "rFonts")
    if fonts is not None:
        name = val(fonts, "ascii") or val(fonts, "hAnsi")
        theme_name = val(fonts, "asciiTheme") or val(fonts, "hAnsiTheme")
        if theme_name and theme_name[:5] in theme:  # "minorHAnsi" -> the theme's minor font
            name = theme[theme_name[:5]]
        if name:
            out["font"] = name
    size = val(rpr.find(W + "sz"))
    if size is not None:
        out["size"] = float(size) / 2
    for name, tag in (("bold", "b"), ("italic", "i")):
        flag = _flag(rpr.find(W + tag))
        if flag is not None:
            out[name] = flag
    if val(rpr.find(W + "vertAlign")) in ("superscript", "subscript"):
        out["script"] = True
    return out


class Styles:
    """Resolved paragraph and character formatting: document defaults, then the style's
    `basedOn` chain from its root, then list numbering, then direct formatting."""

    def __init__(self, styles: etree._Element, numbering: etree._Element | None,
                 theme: dict[str, str] | None = None) -> None:
        self.theme = theme or {}
        defaults = styles.find(W + "docDefaults")
        self.p_default = ppr_props(defaults.find(f"{W}pPrDefault/{W}pPr")
                                   if defaults is not None else None)
        self.r_default = rpr_props(defaults.find(f"{W}rPrDefault/{W}rPr")
                                   if defaults is not None else None, self.theme)
        self.by_id = {s.get(W + "styleId"): s for s in styles.iter(W + "style")}
        self.default_para = next((i for i, s in self.by_id.items()
                                  if s.get(W + "type") == "paragraph"
                                  and s.get(W + "default") in ("1", "true")), None)
        self.levels = _numbering_levels(numbering, self.theme) if numbering is not None else {}
        self._paragraph: dict[str | None, tuple[Props, Props]] = {}
        self._character: dict[str | None, Props] = {}

    def _chain(self, style_id: str | None) -> list[etree._Element]:
        chain: list[etree._Element] = []
        while style_id and style_id in self.by_id and len(chain) < 20:
            style = self.by_id[style_id]
            chain.insert(0, style)
            style_id = val(style.find(W + "basedOn"))
        return chain

    def paragraph(self, style_id: str | None) -> tuple[Props, Props]:
        """(paragraph props, run props) of a paragraph style, defaults included."""
        found = self._paragraph.get(style_id)
        if found is None:
            p, r = dict(self.p_default), dict(self.r_default)
            for style in self._chain(style_id or self.default_para):
                p.update(ppr_props(style.find(W + "pPr")))
                r.update(rpr_props(style.find(W + "rPr"), self.theme))
            found = self._paragraph[style_id] = (p, r)
        return found

    def character(self, style_id: str | None) -> Props:
        found = self._character.get(style_id)
        if found is None:
            found = self._character[style_id] = {}
            for style in self._chain(style_id):
                found.update(rpr_props(style.find(W + "rPr"), self.theme))
        return found


@dataclass(frozen=True, slots=True)
class Level:
    """One list level: its indents and the width-relevant parts of its label."""

    props: Props
    run: Props
    text: str  # lvlText with each %n shown as a digit: the label's typical width
    suffix: str  # "tab", "space" or "nothing"


def _numbering_levels(numbering: etree._Element, theme: dict[str, str]
                      ) -> dict[tuple[str, str], Level]:
    abstract = {a.get(W + "abstractNumId"): a for a in numbering.iter(W + "abstractNum")}
    out: dict[tuple[str, str], Level] = {}
    for num in numbering.iter(W + "num"):
        source = abstract.get(val(num.find(W + "abstractNumId")))
        if source is None:
            continue
        for lvl in source.iter(W + "lvl"):
            text = re.sub(r"%\d", "8", val(lvl.find(W + "lvlText")) or "")
            if val(lvl.find(W + "numFmt")) == "bullet":
                text = text or "\u2022"
            out[(num.get(W + "numId") or "", lvl.get(W + "ilvl") or "0")] = Level(
                ppr_props(lvl.find(W + "pPr")), rpr_props(lvl.find(W + "rPr"), theme), text,
                val(lvl.find(W + "suff")) or "tab")
    return out
