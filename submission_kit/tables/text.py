"""Plain-text rendering of a table model, for golden snapshots and quick review in a terminal.

Fixed-width, like a SAS listing: titles centred, spanners over their columns (underlined),
one rule under the header and one at the end, a page_by value as a line where its group
starts, footnotes and source below. Used by the tests to pin every rendered cell.
"""

from __future__ import annotations

from submission_kit.tables.model import TableModel, header_rows

_INDENT = "  "
_GAP = 2


def as_text(model: TableModel) -> str:
    stub = max([len(model.stub_header)] + [len(_INDENT * r.indent + r.label)
                                            for r in model.rows])
    headers = [c.header.split("\n") for c in model.columns]
    widths = [max([len(line) for line in lines] + [len(r.cells[i]) for r in model.rows])
              for i, lines in enumerate(headers)]
    total = stub + sum(w + _GAP for w in widths)
    lines = [t.center(total).rstrip() for t in model.title] + [""]
    lines += _spanner_lines(model, widths, stub)
    depth = max((len(h) for h in headers), default=1)
    for level in range(depth):
        label = model.stub_header if level == depth - 1 else ""
        cells = [(h[level - depth + len(h)] if level >= depth - len(h) else "").center(w)
                 for h, w in zip(headers, widths, strict=True)]
        lines.append(_line(label, cells, stub))
    lines.append("-" * total)
    page_by = ""
    for row in model.rows:
        if row.page_by != page_by:
            lines.append(row.page_by)
            page_by = row.page_by
        cells = [c.center(w) for c, w in zip(row.cells, widths, strict=True)]
        lines.append(_line(_INDENT * row.indent + row.label, cells, stub))
    lines.append("-" * total)
    lines += list(model.footnotes)
    if model.source:
        lines.append(f"Source: {model.source}")
    return "\n".join(lines) + "\n"


def _line(label: str, cells: list[str], stub: int) -> str:
    return (label.ljust(stub) + "".join(" " * _GAP + c for c in cells)).rstrip()


def _spanner_lines(model: TableModel, widths: list[int], stub: int) -> list[str]:
    """Each spanner centred over its columns, with a line of dashes under it."""
    out = []
    for cells in header_rows(model):
        text, rule, at = [" " * stub], [" " * stub], 0
        for label, span in cells:
            width = sum(widths[at:at + span]) + _GAP * (span - 1)
            text.append(" " * _GAP + label.center(width))
            rule.append(" " * _GAP + ("-" * width if label else " " * width))
            at += span
        out += ["".join(text).rstrip(), "".join(rule).rstrip()]
    return out
