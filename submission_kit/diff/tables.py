"""Table models compared cell by cell (pure).

Rows are matched by their label path (group label > row label) and columns by their key, so
a row added near the top does not make every later cell look changed. A cell whose results
key is the same and whose text differs is a number change; rows and columns that come or go
are structure; title lines, footnotes, source and population are titles/footnotes. A listing
cell (data, no results key) that shows another value is a number change too: it is a value in
a table, not prose.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from submission_kit.diff.align import align_lines, align_rows, row_paths
from submission_kit.diff.changes import Change
from submission_kit.diff.words import word_diff

Model = Mapping[str, Any]
_KNOWN = {"id", "title", "columns", "rows", "footnotes", "source", "stub_header",
          "orientation", "population"}


def table_artifact(table_id: str) -> str:
    return f"Table {table_id}"


def natural_key(output_id: str) -> tuple[Any, ...]:
    """'14.2.10' after '14.2.9'."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                 for p in re.split(r"[.-]", output_id))


def results_index(results: Mapping[str, Model]) -> dict[str, Any]:
    """'<analysis>:<key>' -> full-precision value, for the detail of a changed number."""
    return {f"{analysis}:{r['key']}": r.get("value")
            for analysis, payload in results.items() for r in payload.get("records", [])}


def compare_tables(old: Mapping[str, Model], new: Mapping[str, Model],
                   old_values: Mapping[str, Any], new_values: Mapping[str, Any]
                   ) -> Iterator[Change]:
    for table_id in sorted(set(old) | set(new), key=natural_key):
        artifact = table_artifact(table_id)
        if table_id not in old or table_id not in new:
            model = old.get(table_id) or new[table_id]
            title = " / ".join(model.get("title", []))
            yield Change("structure", "table-removed" if table_id in old else "table-added",
                         artifact, (), title if table_id in old else "",
                         title if table_id in new else "")
        else:
            yield from compare_table(artifact, old[table_id], new[table_id], old_values,
                                     new_values)


def compare_table(artifact: str, old: Model, new: Model, old_values: Mapping[str, Any],
                  new_values: Mapping[str, Any]) -> Iterator[Change]:
    yield from compare_lines(artifact, "title line", old.get("title", []),
                             new.get("title", []))
    yield from compare_lines(artifact, "footnote", old.get("footnotes", []),
                             new.get("footnotes", []))
    for name in ("source", "population", "stub_header"):
        a, b = str(old.get(name, "")), str(new.get(name, ""))
        if a != b:
            yield Change("titles-footnotes", name.replace("_", "-"), artifact,
                         (name.replace("_", " "),), a, b, word_diff(a, b))
    for name in sorted((set(old) | set(new)) - (_KNOWN - {"orientation"})):
        if old.get(name) != new.get(name):  # orientation, spanners and other layout fields
            yield Change("structure", "layout", artifact, (name,), _text(old.get(name)),
                         _text(new.get(name)))
    yield from _columns(artifact, old.get("columns", []), new.get("columns", []))
    yield from _rows(artifact, old, new, old_values, new_values)


def _text(value: Any) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def compare_lines(artifact: str, label: str, old: Sequence[str], new: Sequence[str]
                  ) -> Iterator[Change]:
    """Title lines or footnotes, matched by their words so one inserted footnote is one
    change. Located by their number in the new version (the old one when removed)."""
    base = label.split()[0]  # "title" or "footnote"
    for step in align_lines(old, new):
        if step.kind in ("same", "moved-from"):
            continue
        a = old[step.old] if step.old is not None else ""
        b = new[step.new] if step.new is not None else ""
        position = step.new if step.new is not None else step.old
        kind = base if step.kind == "changed" else f"{base}-{step.kind.removesuffix('-to')}"
        yield Change("titles-footnotes", kind, artifact, (f"{label} {(position or 0) + 1}",),
                     a, b, word_diff(a, b) if step.kind == "changed" else ())


def column_label(column: Model) -> str:
    """'IL-2LD (N=110)': how the header reads, so a reviewer finds the column."""
    n = column.get("n")
    return str(column.get("label", "")) + ("" if n is None else f" (N={n})")


def _columns(artifact: str, old: Sequence[Model], new: Sequence[Model]) -> Iterator[Change]:
    a = {str(c.get("key")): c for c in old}
    b = {str(c.get("key")): c for c in new}
    for key in [k for k in a if k not in b]:
        yield Change("structure", "column-removed", artifact, (column_label(a[key]),),
                     column_label(a[key]), "")
    for key in [k for k in b if k not in a]:
        yield Change("structure", "column-added", artifact, (column_label(b[key]),), "",
                     column_label(b[key]))
    common = [k for k in b if k in a]
    for key in common:
        where = ("column header", str(b[key].get("label", "")))
        if a[key].get("label") != b[key].get("label"):
            yield Change("titles-footnotes", "column-label", artifact, where,
                         str(a[key].get("label", "")), str(b[key].get("label", "")))
        if a[key].get("n") != b[key].get("n"):
            yield Change("numbers", "big-n", artifact, where, f"N={a[key].get('n')}",
                         f"N={b[key].get('n')}")
    if [k for k in a if k in b] != common:
        yield Change("structure", "columns-reordered", artifact, ("column header",),
                     ", ".join(column_label(a[k]) for k in a if k in b),
                     ", ".join(column_label(b[k]) for k in common))


def _rows(artifact: str, old: Model, new: Model, old_values: Mapping[str, Any],
          new_values: Mapping[str, Any]) -> Iterator[Change]:
    old_rows, new_rows = old.get("rows", []), new.get("rows", [])
    old_paths, new_paths = row_paths(old_rows), row_paths(new_rows)
    old_cols = {str(c.get("key")): i for i, c in enumerate(old.get("columns", []))}
    columns = new.get("columns", [])
    for step in align_rows(old_rows, new_rows):
        if step.kind in ("removed", "added"):
            index, rows, paths = ((step.old, old_rows, old_paths) if step.kind == "removed"
                                  else (step.new, new_rows, new_paths))
            assert index is not None
            text = row_text(rows[index], old.get("columns", []) if step.kind == "removed"
                            else columns)
            yield Change("structure", f"row-{step.kind}", artifact, (" > ".join(paths[index]),),
                         text if step.kind == "removed" else "",
                         text if step.kind == "added" else "")
        elif step.kind in ("same", "moved-to", "changed"):
            assert step.old is not None and step.new is not None
            where = " > ".join(new_paths[step.new])
            if step.kind == "moved-to":
                yield Change("structure", "row-moved", artifact, (where,),
                             f"row {step.old + 1}", f"row {step.new + 1}")
            if step.kind == "changed":
                label_a, label_b = old_paths[step.old][-1], new_paths[step.new][-1]
                yield Change("text", "row-label", artifact, (where,), label_a, label_b,
                             word_diff(label_a, label_b))
            yield from _cells(artifact, where, old_rows[step.old], new_rows[step.new],
                              old_cols, columns, (old_values, new_values))


def row_text(row: Model, columns: Sequence[Model]) -> str:
    cells = row.get("cells", [])
    shown = [f"{column_label(c)}: {cells[i]}" for i, c in enumerate(columns)
             if i < len(cells) and cells[i]]
    return "; ".join(shown) if shown else "(label row)"


def _cells(artifact: str, where: str, old: Model, new: Model, old_cols: Mapping[str, int],
           columns: Sequence[Model], values: tuple[Mapping[str, Any], Mapping[str, Any]]
           ) -> Iterator[Change]:
    old_cells, new_cells = old.get("cells", []), new.get("cells", [])
    old_keys, new_keys = old.get("keys", []), new.get("keys", [])
    for j, column in enumerate(columns):
        i = old_cols.get(str(column.get("key")))
        if i is None or j >= len(new_cells) or i >= len(old_cells):
            continue
        a, b = str(old_cells[i]), str(new_cells[j])
        if a == b:
            continue
        ref_a = old_keys[i] if i < len(old_keys) else ""
        ref_b = new_keys[j] if j < len(new_keys) else ""
        words = word_diff(a, b)
        detail = ""
        if ref_b and ref_b in values[1]:
            detail = (f"value in the results: {values[0].get(ref_a, '')!r} → "
                      f"{values[1].get(ref_b)!r}")
        # Same results key (or, in a listing, same data cell): the value moved. Another key
        # means the layout now shows another statistic there.
        yield Change("numbers" if ref_a == ref_b else "structure",
                     "cell" if ref_a == ref_b else "cell-statistic", artifact,
                     (where, column_label(column)), a, b, words,
                     tuple(r for r in dict.fromkeys((ref_a, ref_b)) if r), detail)
