"""The table model: what a table shows, already formatted, independent of any file format.

Writers (DOCX, HTML/PDF, text) only lay these strings out; they never compute or round.
The JSON form is a contract (DESIGN.md §3): `cells` align with `columns`; spanners (headers
over several columns) and a row's `page_by` group are extra, optional fields.

Labels are typeset when a model is built (`typography.typeset`: ">=" -> "≥", "m^2" -> "m²"),
so every writer and the JSON show the same characters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from submission_kit.tables.typography import typeset

Orientation = Literal["portrait", "landscape"]
# "auto": portrait unless the columns do not fit across a portrait page (tables.paginate).
TableOrientation = Literal["auto", "portrait", "landscape"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    n: int | str | None = None  # big N shown in the header as "(N=110)"; "xx" in a mock shell

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", typeset(self.label))

    @property
    def header(self) -> str:
        return self.label if self.n is None else f"{self.label}\n(N={self.n})"


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    cells: tuple[str, ...]
    indent: int = 0
    # One results key per cell ("" where the cell shows no statistic): provenance of each number.
    keys: tuple[str, ...] = ()
    # Rows with the same non-empty value are one page_by group ("Parameter: ALT (U/L)"): each
    # group starts on a new page, and the value is printed above the column headers.
    page_by: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", typeset(self.label))

    @property
    def is_group_label(self) -> bool:
        """A label with no values heads the rows below it ("Age (years)"): writers keep it on
        the same page as its first row."""
        return not any(self.cells)


@dataclass(frozen=True, slots=True)
class Spanner:
    """A header over adjacent columns ("Xanomeline" over its Low and High Dose columns).
    Level 1 sits just above the column labels, level 2 above level 1, and so on."""

    label: str
    keys: tuple[str, ...]  # the column keys it spans, adjacent and in column order
    level: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", typeset(self.label))


@dataclass(frozen=True, slots=True)
class TableModel:
    id: str  # ICH E3 number, "14.1.3"
    title: tuple[str, ...]  # ("Table 14.1.3", "Demographic ...", "ITT Population")
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    footnotes: tuple[str, ...] = ()
    source: str = ""
    stub_header: str = ""  # header over the row-label column
    orientation: TableOrientation = "auto"
    population: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # unknown JSON fields, kept as they are
    spanners: tuple[Spanner, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "stub_header", typeset(self.stub_header))
        require_spanners(self.spanners, tuple(c.key for c in self.columns))

    @property
    def caption(self) -> str:
        """Descriptive title without the 'Table x.y.z' line, for captions and TOCs."""
        return " — ".join(self.title[1:]) if len(self.title) > 1 else self.title[0]


def require_spanners(spanners: tuple[Spanner, ...], keys: tuple[str, ...]) -> None:
    """A spanner covers known, adjacent columns, and spanners of one level do not overlap
    (a bug in a spec's layout, so a ValueError rather than a user error)."""
    taken: set[tuple[int, int]] = set()
    for spanner in spanners:
        if not spanner.keys or any(k not in keys for k in spanner.keys):
            raise ValueError(f"spanner {spanner.label!r} names columns {spanner.keys} that are "
                             f"not all in the table {keys}")
        where = [keys.index(k) for k in spanner.keys]
        if where != list(range(where[0], where[0] + len(where))) or spanner.level < 1:
            raise ValueError(f"spanner {spanner.label!r} must cover adjacent columns in order "
                             "at a level >= 1")
        cells = {(spanner.level, i) for i in where}
        if cells & taken:
            raise ValueError(f"spanner {spanner.label!r} overlaps another of level "
                             f"{spanner.level}")
        taken |= cells


def header_rows(model: TableModel) -> list[list[tuple[str, int]]]:
    """The spanner rows above the column labels, top level first: per row, (label, number of
    columns spanned) cells after the stub, with ("", 1) where no spanner is."""
    levels = sorted({s.level for s in model.spanners}, reverse=True)
    keys = [c.key for c in model.columns]
    rows = []
    for level in levels:
        starts = {keys.index(s.keys[0]): s for s in model.spanners if s.level == level}
        cells: list[tuple[str, int]] = []
        i = 0
        while i < len(keys):
            spanner = starts.get(i)
            cells.append((spanner.label, len(spanner.keys)) if spanner else ("", 1))
            i += len(spanner.keys) if spanner else 1
        rows.append(cells)
    return rows


def table_file_stem(table_id: str) -> str:
    """'14.1.3' -> 't-14-1-3': deliverable file names follow the eCTD rule (lowercase
    letters, digits and hyphens only)."""
    return "t-" + table_id.replace(".", "-")


def as_dict(model: TableModel) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": model.id,
        "title": list(model.title),
        "columns": [{"key": c.key, "label": c.label, "n": c.n} for c in model.columns],
        "rows": [_row_dict(r) for r in model.rows],
        "spanners": [{"label": s.label, "keys": list(s.keys), "level": s.level}
                     for s in model.spanners],
        "footnotes": list(model.footnotes),
        "source": model.source,
        "stub_header": model.stub_header,
        "orientation": model.orientation,
        "population": model.population,
    }
    data.update(model.extra)
    return data


def _row_dict(row: Row) -> dict[str, Any]:
    data = {"label": row.label, "indent": row.indent, "cells": list(row.cells),
            "keys": list(row.keys)}
    if row.page_by:
        data["page_by"] = row.page_by
    return data


def as_json(model: TableModel) -> str:
    """Stable JSON (sorted keys, fixed indent, trailing newline): byte-identical across runs."""
    return json.dumps(as_dict(model), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def from_dict(data: dict[str, Any]) -> TableModel:
    known = {"id", "title", "columns", "rows", "footnotes", "source", "stub_header",
             "orientation", "population", "spanners"}
    return TableModel(
        id=data["id"],
        title=tuple(data["title"]),
        columns=tuple(Column(c["key"], c["label"], c.get("n")) for c in data["columns"]),
        rows=tuple(
            Row(r["label"], tuple(r["cells"]), r.get("indent", 0), tuple(r.get("keys", ())),
                r.get("page_by", ""))
            for r in data["rows"]
        ),
        footnotes=tuple(data.get("footnotes", ())),
        source=data.get("source", ""),
        stub_header=data.get("stub_header", ""),
        orientation=data.get("orientation", "auto"),
        population=data.get("population", ""),
        extra={k: v for k, v in data.items() if k not in known},
        spanners=tuple(Spanner(s["label"], tuple(s["keys"]), s.get("level", 1))
                       for s in data.get("spanners", ())),
    )
