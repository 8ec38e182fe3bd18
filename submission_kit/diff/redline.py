"""A Word redline of each changed document: the NEW text with native tracked changes.

Deleted words are `w:del` runs and inserted words `w:ins` runs, authored "submission-kit diff"
and dated with the new build's data cutoff (never the clock), so Word's Review pane lists them
and a reviewer can accept or reject each one. Whole paragraphs and table rows that came or
went carry the mark on the paragraph mark or row as well, so accepting a deletion leaves no
empty line. Tables are laid out from the table models (rows matched by label path, as in the
report) and figures are embedded, the old image deleted and the new one inserted when they
differ. The same builds give the same bytes: fixed zip entry times and order, dates from the
data cutoff (writers/docx_package, writers/docx_ooxml).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import count
from typing import Any

import docx
from docx.oxml.ns import qn
from docx.parts.document import DocumentPart
from docx.shared import Inches
from lxml import etree

from submission_kit.diff.align import (
    Step,
    align,
    align_blocks,
    align_lines,
    align_rows,
    block_location,
    row_paths,
)
from submission_kit.diff.align import block_text as text_of
from submission_kit.diff.changes import WordOp
from submission_kit.diff.compare import DiffReport, doc_artifact, figure_artifact
from submission_kit.diff.load import Pair
from submission_kit.diff.tables import column_label, table_artifact
from submission_kit.diff.words import word_diff
from submission_kit.writers.docx_ooxml import esc, normalize_zip
from submission_kit.writers.docx_package import (
    drop_template_leftovers,
    replace_body,
    set_app_properties,
)

AUTHOR = "submission-kit diff"
Model = Mapping[str, Any]
_TEXT_WIDTH = 9360  # twips: Letter with 1-inch margins
_SECT = ('<w:sectPr><w:pgSz w:w="12240" w:h="15840"/><w:pgMar w:top="1440" w:right="1440" '
         'w:bottom="1440" w:left="1440" w:header="720" w:footer="720" w:gutter="0"/>'
         "</w:sectPr>")
_GONE = ("removed", "moved-from")  # steps shown as deleted
_NEW = ("added", "moved-to")  # steps shown as inserted


def redline_name(doc_id: str) -> str:
    return f"{doc_id}-redline.docx"


def as_redlines(pair: Pair, report: DiffReport) -> dict[str, bytes]:
    """One DOCX per document that shows a change; ignored changes are written as plain new
    text, so the redline marks what the report lists."""
    ignored = {(c.artifact, c.location) for c in report.ignored}
    return {redline_name(d): as_redline_docx(pair, d, ignored) for d in report.documents}


def revision_date(cutoff: str) -> str:
    try:
        day = date.fromisoformat(cutoff)
    except ValueError:
        day = date(2000, 1, 1)
    return f"{day.isoformat()}T00:00:00Z"


def as_redline_docx(pair: Pair, doc_id: str,
                    ignored: set[tuple[str, tuple[str, ...]]] | frozenset[Any] = frozenset()
                    ) -> bytes:
    word = docx.Document()
    writer = _Writer(pair, word.part, revision_date(pair.new.data_cutoff), ignored,
                     doc_artifact(doc_id))
    old, new = pair.old.documents.get(doc_id, {}), pair.new.documents.get(doc_id, {})
    replace_body(word, writer.document(old, new) + _SECT)
    stamp = datetime.fromisoformat(writer.date.replace("Z", "+00:00")).astimezone(UTC)
    props = word.core_properties
    props.title = f"{new.get('title') or doc_id} (redline)"
    props.subject = (f"Tracked changes from build {pair.old.manifest_sha256[:12]} to "
                     f"{pair.new.manifest_sha256[:12]}")
    props.author = props.last_modified_by = AUTHOR
    props.created = props.modified = stamp
    props.revision = 1
    props.comments = props.keywords = props.category = ""
    set_app_properties(word)
    drop_template_leftovers(word)
    buffer = io.BytesIO()
    word.save(buffer)
    return normalize_zip(buffer.getvalue())


class _Writer:
    """Builds the body XML; numbers revision marks and drawings as it goes."""

    def __init__(self, pair: Pair, part: DocumentPart, when: str,
                 ignored: set[tuple[str, tuple[str, ...]]] | frozenset[Any], artifact: str
                 ) -> None:
        self.pair, self.part, self.date = pair, part, when
        self.ignored, self.artifact = ignored, artifact
        self._ids = count(1)
        self._drawings = count(1)

    # runs and paragraphs

    def mark(self, tag: str, content: str | None = None) -> str:
        head = f'<w:{tag} w:id="{next(self._ids)}" w:author="{AUTHOR}" w:date="{self.date}"'
        return head + "/>" if content is None else f"{head}>{content}</w:{tag}>"

    def runs(self, ops: Sequence[WordOp]) -> str:
        out = []
        for tag, text in ops:
            if not text:
                continue
            if tag == "equal":
                out.append(f'<w:r><w:t xml:space="preserve">{esc(text)}</w:t></w:r>')
            elif tag in ("delete", "move-from"):
                out.append(self.mark("del", '<w:r><w:delText xml:space='
                                     f'"preserve">{esc(text)}</w:delText></w:r>'))
            else:
                out.append(self.mark("ins", f'<w:r><w:t xml:space="preserve">{esc(text)}'
                                            "</w:t></w:r>"))
        return "".join(out)

    def para(self, runs: str, style: str = "", state: str = "same") -> str:
        ppr = f'<w:pStyle w:val="{style}"/>' if style else ""
        if state in _GONE or state in _NEW:
            ppr += f"<w:rPr>{self.mark('del' if state in _GONE else 'ins')}</w:rPr>"
        return f"<w:p>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{runs}</w:p>"

    def diff_ops(self, old: str | None, new: str | None, state: str,
                 location: tuple[str, ...], artifact: str = "") -> list[WordOp]:
        if state in _GONE:
            return [("delete", old or "")]
        if state in _NEW:
            return [("insert", new or "")]
        if old == new or (artifact or self.artifact, location) in self.ignored:
            return [("equal", new or "")]
        return list(word_diff(old or "", new or ""))

    def text_para(self, old: str | None, new: str | None, state: str, style: str,
                  location: tuple[str, ...], artifact: str = "") -> str:
        ops = self.diff_ops(old, new, state, location, artifact)
        return self.para(self.runs(ops), style, state)

    # the document

    def document(self, old: Model, new: Model) -> str:
        parts = [self._title_page(old, new)]
        old_blocks, new_blocks = old.get("blocks", []), new.get("blocks", [])
        for step in align_blocks(old_blocks, new_blocks):
            a = old_blocks[step.old] if step.old is not None else None
            b = new_blocks[step.new] if step.new is not None else None
            if step.kind == "moved-from":
                b = None
            parts.append(self.block(a, b, step.kind))
        return "".join(parts)

    def _title_page(self, old: Model, new: Model) -> str:
        out = []
        for name, style in (("title", "Title"), ("subtitle", "Subtitle")):
            a, b = str(old.get(name, "")), str(new.get(name, ""))
            if a or b:
                out.append(self.text_para(a, b, _presence(a, b), style, ("title page", name)))
        a_lines, b_lines = old.get("title_lines", []), new.get("title_lines", [])
        for step in _line_steps(a_lines, b_lines):
            x = a_lines[step.old] if step.old is not None else None
            y = b_lines[step.new] if step.new is not None and step.kind != "moved-from" else None
            position = (step.new if step.new is not None else step.old or 0) + 1
            out.append(self.text_para(x, y, step.kind, "", (f"title page line {position}",)))
        return "".join(out)

    def block(self, old: Model | None, new: Model | None, state: str) -> str:
        block = new if new is not None else old
        assert block is not None
        kind = str(block.get("kind"))
        where = block_location(block)
        a = text_of(old) if old is not None else None
        b = text_of(new) if new is not None else None
        if kind == "simple-table":
            return self.simple_table(old, new, state)
        if kind in ("table", "figure"):
            caption = self.text_para(a, b, state, "Caption", where)
            ref = str(block.get("ref", ""))
            return caption + (self.table(ref, state) if kind == "table" else
                              self.figure(ref, state))
        return self.text_para(a, b, state, _style(block), where)

    # tables

    def table(self, ref: str, state: str) -> str:
        old = self.pair.old.tables.get(ref) if state not in _NEW else None
        new = self.pair.new.tables.get(ref) if state not in _GONE else None
        model = new if new is not None else old
        if model is None:
            return ""
        artifact = table_artifact(ref)
        columns = list(model.get("columns", []))
        old_cols = {str(c.get("key")): i for i, c in enumerate((old or {}).get("columns", []))}
        rows = [self._header_row(old, model, columns, old_cols, state, artifact)]
        old_rows, new_rows = (old or {}).get("rows", []), (new or {}).get("rows", [])
        for step in _table_steps(old_rows, new_rows, state):
            rows.append(self._row(step, old_rows, new_rows, columns, old_cols, artifact))
        notes = [self.text_para(a, b, s, "", loc, artifact)
                 for a, b, s, loc in _notes(old, new, state)]
        widths = _widths(len(columns))
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        return ('<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
                f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
                + "".join(notes))

    def _header_row(self, old: Model | None, model: Model, columns: list[Model],
                    old_cols: Mapping[str, int], state: str, artifact: str) -> str:
        old_columns = (old or {}).get("columns", [])
        cells = [self.cell(str((old or model).get("stub_header", "")),
                           str(model.get("stub_header", "")), state, ("stub header",),
                           artifact)]
        for column in columns:
            i = old_cols.get(str(column.get("key")))
            previous = column_label(old_columns[i]) if i is not None else None
            cell_state = state if previous is not None or state in _GONE else "added"
            cells.append(self.cell(previous, column_label(column), cell_state,
                                   ("column header", str(column.get("label", ""))), artifact))
        return self.row_xml(cells, state, header=True)

    def _row(self, step: Step, old_rows: Sequence[Model], new_rows: Sequence[Model],
             columns: list[Model], old_cols: Mapping[str, int], artifact: str) -> str:
        state = step.kind
        a = old_rows[step.old] if step.old is not None else None
        b = new_rows[step.new] if step.new is not None and state not in _GONE else None
        row = b if b is not None else a
        assert row is not None
        path = " > ".join(_path(step, old_rows, new_rows))
        indent = int(row.get("indent", 0))
        cells = [self.cell(a.get("label") if a else None, b.get("label") if b else None, state,
                           (path,), artifact, indent)]
        for j, column in enumerate(columns):
            i = old_cols.get(str(column.get("key")))
            old_text = a["cells"][i] if a and i is not None and i < len(a["cells"]) else None
            new_text = b["cells"][j] if b and j < len(b["cells"]) else None
            cell_state = state if old_text is not None or state in _NEW else "added"
            if state in _GONE and i is None:
                continue  # a column that only the new table has, in a row that is gone
            cells.append(self.cell(old_text, new_text, cell_state,
                                   (path, column_label(column)), artifact))
        return self.row_xml(cells, state)

    def cell(self, old: str | None, new: str | None, state: str, location: tuple[str, ...],
             artifact: str, indent: int = 0) -> str:
        ops = self.diff_ops(old, new, state, location, artifact)
        ind = f'<w:ind w:left="{indent * 216}"/>' if indent else ""
        ppr = f'<w:pPr><w:spacing w:before="0" w:after="0"/>{ind}</w:pPr>'
        return f"<w:tc><w:p>{ppr}{self.runs(ops)}</w:p></w:tc>"

    def row_xml(self, cells: list[str], state: str, header: bool = False) -> str:
        props = "<w:tblHeader/>" if header else ""
        if state in _GONE or state in _NEW:
            props += self.mark("del" if state in _GONE else "ins")
        return f"<w:tr>{f'<w:trPr>{props}</w:trPr>' if props else ''}{''.join(cells)}</w:tr>"

    def simple_table(self, old: Model | None, new: Model | None, state: str) -> str:
        a_rows = [list(r) for r in (old or {}).get("rows", [])] if state not in _NEW else []
        b_rows = [list(r) for r in (new or {}).get("rows", [])] if state not in _GONE else []
        where = block_location(new or old or {})
        steps = align([tuple(r) for r in a_rows], [tuple(r) for r in b_rows],
                      lambda i, j: bool(a_rows[i]) and a_rows[i][:1] == b_rows[j][:1])
        width = max((len(r) for r in (*a_rows, *b_rows)), default=1)
        rows = []
        for step in steps:
            row_state = step.kind
            a = a_rows[step.old] if step.old is not None else []
            b = b_rows[step.new] if step.new is not None and row_state not in _GONE else []
            cells = [self.cell(a[k] if k < len(a) else None, b[k] if k < len(b) else None,
                               row_state, where, self.artifact) for k in range(width)]
            rows.append(self.row_xml(cells, row_state))
        grid = "".join(f'<w:gridCol w:w="{_TEXT_WIDTH // width}"/>' for _ in range(width))
        return ('<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
                f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
                + self.para(""))

    # figures

    def figure(self, ref: str, state: str) -> str:
        old = self.pair.old.figures.get(ref) if state not in _NEW else None
        new = self.pair.new.figures.get(ref) if state not in _GONE else None
        artifact = figure_artifact(ref)
        if old == new and old is not None and (artifact, ()) not in self.ignored:
            return self.para(self.picture(old))
        gone = self.mark("del", self.picture(old)) if old is not None else ""
        came = self.mark("ins", self.picture(new)) if new is not None else ""
        return self.para(gone + came)

    def picture(self, png: bytes) -> str:
        inline = self.part.new_pic_inline(io.BytesIO(png), width=Inches(6))
        inline.find(qn("wp:docPr")).set("id", str(next(self._drawings)))
        xml = etree.tostring(inline, encoding="unicode")
        return f"<w:r><w:drawing>{xml}</w:drawing></w:r>"


def _presence(old: str, new: str) -> str:
    return "added" if not old else "removed" if not new else "changed"


def _style(block: Model) -> str:
    kind = block.get("kind")
    if kind == "heading":
        return f"Heading{min(int(block.get('level', 1)), 9)}"
    if kind == "list-item" and block.get("marker") == "-":
        depth = int(block.get("depth", 0))
        return "ListBullet" if depth == 0 else f"ListBullet{min(depth + 1, 3)}"
    return ""


def _line_steps(old: Sequence[str], new: Sequence[str]) -> list[Step]:
    return align_lines(old, new)


def _table_steps(old_rows: Sequence[Model], new_rows: Sequence[Model], state: str
                 ) -> list[Step]:
    if state in _GONE:
        return [Step("removed", i, None) for i in range(len(old_rows))]
    if state in _NEW:
        return [Step("added", None, j) for j in range(len(new_rows))]
    return align_rows(old_rows, new_rows)


def _path(step: Step, old_rows: Sequence[Model], new_rows: Sequence[Model]) -> tuple[str, ...]:
    if step.new is not None and step.kind not in _GONE:
        return row_paths(new_rows)[step.new]
    return row_paths(old_rows)[step.old or 0]


def _notes(old: Model | None, new: Model | None, state: str
           ) -> Iterator[tuple[str | None, str | None, str, tuple[str, ...]]]:
    """Footnotes and source under a table, aligned like the report aligns them."""
    a, b = (old or {}).get("footnotes", []), (new or {}).get("footnotes", [])
    for step in _line_steps(a, b) if state not in _GONE and state not in _NEW else (
            [Step("removed", i, None) for i in range(len(a))] if state in _GONE else
            [Step("added", None, j) for j in range(len(b))]):
        x = a[step.old] if step.old is not None else None
        y = b[step.new] if step.new is not None and step.kind != "moved-from" else None
        position = (step.new if step.new is not None else step.old or 0) + 1
        yield x, y, step.kind, (f"footnote {position}",)
    source_a, source_b = (old or {}).get("source", ""), (new or {}).get("source", "")
    if source_a or source_b:
        yield source_a or None, source_b or None, (
            state if state in _GONE or state in _NEW else _presence(source_a, source_b)
        ), ("source",)


def _widths(columns: int) -> list[int]:
    stub = _TEXT_WIDTH * 2 // 5
    rest = (_TEXT_WIDTH - stub) // max(columns, 1)
    return [stub, *([rest] * columns)]
