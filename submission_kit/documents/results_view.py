"""What templates see of the results: read-only nodes over the ARD, and the formatting filters
that turn a `Stat` into text while recording where each number came from (the trace).

A template never sees a bare float: `{{ results.t_14_2_1.cox.unadjusted.IL2.hr | num(2) }}`
formats through `fmt` (the same rounding as the tables) and logs the key, value, text and
template line. A missing key fails the build with the template name and line.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Undefined

from submission_kit import fmt
from submission_kit.analysis.ard import AnalysisResults, Stat, json_value
from submission_kit.documents.model import Document
from submission_kit.documents.outline import outline_of
from submission_kit.errors import UserError
from submission_kit.fmt import Rounding
from submission_kit.tables.typography import typeset


@dataclass(frozen=True, slots=True)
class TraceEntry:
    ref: str  # "t_14_2_1:cox.unadjusted.IL2.hr"
    value: Any
    text: str  # as printed
    template: str
    line: int
    anchor: str = ""  # "trace-0007": the number's bookmark (DOCX) / named destination (PDF)


@dataclass(slots=True)
class Tracer:
    entries: list[TraceEntry] = field(default_factory=list)

    def record(self, stat: Stat, text: str) -> str:
        """The printed number, wrapped in markers that the Markdown parser turns into an
        anchored text run (`trace_marked`, `split_traced`)."""
        template, line = template_position()
        anchor = f"trace-{len(self.entries) + 1:04d}"
        self.entries.append(TraceEntry(stat.ref, stat.value, text, template, line, anchor))
        return trace_marked(anchor, text)

    def record_authored(self, text: AuthoredText) -> str:
        template, line = template_position()
        self.entries.append(TraceEntry(f"{CONFIGURED}:{text.key}", None, str(text), template,
                                       line))
        return str(text)


CONFIGURED = "config"  # trace refs "config:regulatory.events": text the author owns
# Private-use characters around a traced number in the rendered Markdown: "\ue000" anchor
# "\ue001" text "\ue002". No font has them, so one that leaked past the parser would stop the
# build (glyph check) rather than print.
_OPEN, _SEP, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARKED = re.compile(f"{_OPEN}([^{_SEP}]*){_SEP}([^{_CLOSE}]*){_CLOSE}")


def trace_marked(anchor: str, text: str) -> str:
    return f"{_OPEN}{anchor}{_SEP}{text}{_CLOSE}"


def split_traced(text: str) -> list[tuple[str, str]]:
    """(text, anchor) pieces of a string that may hold traced numbers ("" anchor: plain)."""
    pieces: list[tuple[str, str]] = []
    at = 0
    for match in _MARKED.finditer(text):
        pieces += [(text[at:match.start()], ""), (match.group(2), match.group(1))]
        at = match.end()
    pieces.append((text[at:], ""))
    return [(t, a) for t, a in pieces if t]


class AuthoredText(str):
    """A string from study.toml's [regulatory] section: words the author owns, not a
    statistic. Printing one records it in the trace as configured text, so a reviewer can tell
    a computed statement from a written one."""

    __slots__ = ("key",)
    key: str

    def __new__(cls, text: str, key: str) -> AuthoredText:
        value = super().__new__(cls, text)
        value.key = key
        return value


def authored_view(value: Any, key: str) -> Any:
    """[regulatory] with every string wrapped as `AuthoredText` carrying its TOML key path."""
    if isinstance(value, Mapping):
        return {k: authored_view(v, f"{key}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(authored_view(v, f"{key}[{i}]") for i, v in enumerate(value))
    if isinstance(value, str):
        return AuthoredText(value, key)
    return value


def template_position() -> tuple[str, int]:
    """(template name, line) of the innermost template frame on the stack. Jinja stores the
    Template in each compiled module's globals and maps code lines back to template lines."""
    frame = sys._getframe(1)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            return str(template.name), int(template.get_corresponding_lineno(frame.f_lineno))
        frame = frame.f_back  # type: ignore[assignment]
    return "", 0


class ResultNode(Mapping[str, Any]):
    """One level of the key tree: attribute or item access goes one level down."""

    __slots__ = ("_children", "_path")

    def __init__(self, path: str, children: Mapping[str, Any]) -> None:
        self._path = path
        self._children = children

    def __getitem__(self, key: str) -> Any:
        child = self._children[key]  # KeyError -> Jinja's StrictUndefined names the key
        return (ResultNode(f"{self._path}.{key}", child)
                if isinstance(child, (dict, _Trees)) else child)

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._children)

    def __len__(self) -> int:
        return len(self._children)

    def __repr__(self) -> str:
        return f"<results {self._path}>"


def as_trace_json(document: Document, trace: Sequence[TraceEntry],
                  results: Mapping[str, AnalysisResults]) -> str:
    """Every number printed in the narrative -> its results key, population and data hashes,
    its anchor (DOCX bookmark, PDF named destination) and the table cells of this document
    that show the same statistic; every configured sentence -> its study.toml key; and every
    number in the document's tables -> its key, cell and anchor. Stable JSON (sorted keys)."""
    cells = _table_cells(document)
    entries: list[dict[str, Any]] = []
    for e in trace:
        if e.ref.startswith(f"{CONFIGURED}:"):
            entries.append({"text": e.text, "ref": e.ref, "source": "configured text (study.toml)",
                            "template": e.template, "line": e.line})
            continue
        analysis = results[e.ref.split(":", 1)[0]]
        entries.append({
            "text": e.text, "ref": e.ref, "value": json_value(e.value),
            "template": e.template, "line": e.line, "anchor": e.anchor,
            "population": analysis.population,
            "datasets": dict(analysis.datasets),
            "cells": [c for c in cells if c["ref"] == e.ref],
        })
    payload = {"document": document.id, "numbers": entries, "table_cells": cells}
    return json.dumps(payload, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _table_cells(document: Document) -> list[dict[str, str]]:
    """Every cell of the document's tables that shows a statistic, with its results key and
    its anchor (DOCX bookmark, PDF named destination), once per place the table stands."""
    out = []
    for caption in outline_of(document).captions:
        if caption.kind != "table":
            continue
        table = document.tables[caption.ref_id]
        columns = [c.key for c in table.columns]
        for r, row in enumerate(table.rows):
            for c, (column, text, key) in enumerate(zip(columns, row.cells, row.keys,
                                                        strict=False)):
                if key:
                    out.append({"table": caption.ref_id, "row": row.label, "column": column,
                                "text": text, "ref": key,
                                "anchor": cell_anchor(caption.anchor, r, c)})
    return out


BOOKMARK_MAX = 40  # Word's longest bookmark name


def cell_anchor(table_anchor: str, row: int, column: int) -> str:
    """The anchor of a table cell that shows a statistic: 'c_t_14_1_3_r5_c2' for the model's
    row 5 and value column 2 (1-based) of the table placed under caption anchor 't_14_1_3'.
    The same string is the DOCX bookmark and the PDF named destination: caption anchors are
    letters, digits and '_' (output ids are digits, dots and a letter), unique in the document,
    and the '_r<n>_c<n>' tail cannot be read two ways, so cell anchors are unique too. A name
    past Word's 40 characters (an absurdly long output id) becomes a hash of itself."""
    name = f"c_{table_anchor}_r{row + 1}_c{column + 1}"
    if len(name) <= BOOKMARK_MAX:
        return name
    return "c_" + hashlib.sha256(name.encode()).hexdigest()[:24]


class _Trees(Mapping[str, Any]):
    """The top level of `results`: each analysis's key tree, built when a template first
    reads it, and the analyses read noted in `used` (the document's dependencies)."""

    def __init__(self, results: Mapping[str, AnalysisResults], used: set[str]) -> None:
        self._results, self._used, self._trees = results, used, {}  # type: ignore[var-annotated]

    def __getitem__(self, key: str) -> Any:
        if key not in self._trees:
            tree = self._results[key].as_tree()  # KeyError: StrictUndefined names it
            self._used.add(key)
            self._trees[key] = tree
        return self._trees[key]

    def __iter__(self) -> Iterator[str]:
        self._used.update(self._results)  # a template that loops over everything reads it all
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)


def results_view(results: Mapping[str, AnalysisResults], used: set[str] | None = None
                 ) -> ResultNode:
    return ResultNode("results", _Trees(results, set() if used is None else used))


def _require_stat(value: Any, filter_name: str) -> Stat:
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises here, naming the missing attribute
    if not isinstance(value, Stat):
        template, line = template_position()
        raise UserError(f"template {template} line {line}: filter '{filter_name}' needs a "
                        f"result statistic (results.<analysis>.<key>), got {value!r}")
    return value


def _require_node(value: Any, filter_name: str, parts: tuple[str, ...]) -> ResultNode:
    if isinstance(value, Undefined):
        str(value)
    if not isinstance(value, ResultNode) or any(p not in value for p in parts):
        template, line = template_position()
        raise UserError(f"template {template} line {line}: filter '{filter_name}' needs a "
                        f"result node with {', '.join(parts)}, got {value!r}")
    return value


def make_filters(tracer: Tracer, mode: Rounding) -> dict[str, Callable[..., str]]:
    """The filters templates use for numbers; each one records a trace entry."""

    def num(value: Any, digits: int = 1, scale: float = 1.0) -> str:
        stat = _require_stat(value, "num")
        shown = None if fmt.is_missing(stat.value) else float(stat.value) * scale  # type: ignore[arg-type]
        return tracer.record(stat, fmt.fmt_num(shown, digits, mode))

    def count(value: Any, grouped: bool = False) -> str:
        """'21655', or '21,655' with grouped=true (large counts, e.g. persons)."""
        stat = _require_stat(value, "count")
        return tracer.record(stat, fmt.fmt_int(stat.value, grouped))  # type: ignore[arg-type]

    def pct(value: Any, digits: int = 1) -> str:
        stat = _require_stat(value, "pct")
        return tracer.record(stat, fmt.fmt_num(stat.value, digits, mode) + "%")  # type: ignore[arg-type]

    def pvalue(value: Any) -> str:
        """'p = 0.041' or 'p < 0.001' — ready for a sentence."""
        stat = _require_stat(value, "pvalue")
        text = fmt.fmt_pvalue(stat.value, 3, mode)  # type: ignore[arg-type]
        shown = f"p {text[0]} {text[1:]}" if text[0] in "<>" else f"p = {text}"
        return tracer.record(stat, shown)

    def est_ci(value: Any, digits: int = 2, scale: float = 1.0, est: str = "hr",
               sep: str = " to ") -> str:
        """'0.81 (95% CI: 0.53 to 1.23)' from a node with <est>, lcl and ucl."""
        node = _require_node(value, "est_ci", (est, "lcl", "ucl"))
        parts = []
        for key in (est, "lcl", "ucl"):
            stat = node[key]
            scaled = None if fmt.is_missing(stat.value) else float(stat.value) * scale
            parts.append(tracer.record(stat, fmt.fmt_num(scaled, digits, mode)))
        return f"{parts[0]} (95% CI: {parts[1]}{sep}{parts[2]})"

    def typeset_label(value: Any) -> str:
        """A level or category name with the tables' typography ('<=' -> '≤', 'm2' -> 'm²'),
        so prose names a subgroup exactly as the table row does. Configured text stays
        marked as configured."""
        if isinstance(value, Undefined):
            str(value)
        if isinstance(value, (Stat, ResultNode)):
            template, line = template_position()
            raise UserError(f"template {template} line {line}: filter 'typeset' is for labels; "
                            "format a statistic with num, count, pct, pvalue or est_ci")
        text = typeset(str(value))
        return AuthoredText(text, value.key) if isinstance(value, AuthoredText) else text

    return {"num": num, "count": count, "pct": pct, "pvalue": pvalue, "est_ci": est_ci,
            "typeset": typeset_label}


def finalize_value(tracer: Tracer) -> Callable[[Any], Any]:
    """Printing a statistic without a filter is an error: a number must say how it rounds."""

    def finalize(value: Any) -> Any:
        if isinstance(value, AuthoredText):
            return tracer.record_authored(value)
        if isinstance(value, (Stat, ResultNode)):
            template, line = template_position()
            key = value.ref if isinstance(value, Stat) else repr(value)
            raise UserError(f"template {template} line {line}: {key} is printed without a "
                            "format; use a filter such as | num(1), | count, | pct, | pvalue "
                            "or | est_ci")
        return value

    return finalize
