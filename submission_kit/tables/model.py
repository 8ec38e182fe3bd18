"""The table model: what a table shows, already formatted, independent of any file format.

Writers (DOCX, HTML/PDF, text) only lay these strings out; they never compute or round.
The JSON form is a contract (DESIGN.md §3): `cells` align with `columns`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Orientation = Literal["portrait", "landscape"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    n: int | str | None = None  # big N shown in the header as "(N=110)"; "xx" in a mock shell

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

    @property
    def is_group_label(self) -> bool:
        """A label with no values heads the rows below it ("Age (years)"): writers keep it on
        the same page as its first row."""
        return not any(self.cells)


@dataclass(frozen=True, slots=True)
class TableModel:
    id: str  # ICH E3 number, "14.1.3"
    title: tuple[str, ...]  # ("Table 14.1.3", "Demographic ...", "ITT Population")
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    footnotes: tuple[str, ...] = ()
    source: str = ""
    stub_header: str = ""  # header over the row-label column
    orientation: Orientation = "portrait"
    population: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # reserved for spanners etc.

    @property
    def caption(self) -> str:
        """Descriptive title without the 'Table x.y.z' line, for captions and TOCs."""
        return " — ".join(self.title[1:]) if len(self.title) > 1 else self.title[0]


def table_file_stem(table_id: str) -> str:
    """'14.1.3' -> 't-14-1-3': deliverable file names follow the eCTD rule (lowercase
    letters, digits and hyphens only)."""
    return "t-" + table_id.replace(".", "-")


def as_dict(model: TableModel) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": model.id,
        "title": list(model.title),
        "columns": [{"key": c.key, "label": c.label, "n": c.n} for c in model.columns],
        "rows": [
            {"label": r.label, "indent": r.indent, "cells": list(r.cells), "keys": list(r.keys)}
            for r in model.rows
        ],
        "footnotes": list(model.footnotes),
        "source": model.source,
        "stub_header": model.stub_header,
        "orientation": model.orientation,
        "population": model.population,
    }
    data.update(model.extra)
    return data


def as_json(model: TableModel) -> str:
    """Stable JSON (sorted keys, fixed indent, trailing newline): byte-identical across runs."""
    return json.dumps(as_dict(model), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def from_dict(data: dict[str, Any]) -> TableModel:
    known = {"id", "title", "columns", "rows", "footnotes", "source", "stub_header",
             "orientation", "population"}
    return TableModel(
        id=data["id"],
        title=tuple(data["title"]),
        columns=tuple(Column(c["key"], c["label"], c.get("n")) for c in data["columns"]),
        rows=tuple(
            Row(r["label"], tuple(r["cells"]), r.get("indent", 0), tuple(r.get("keys", ())))
            for r in data["rows"]
        ),
        footnotes=tuple(data.get("footnotes", ())),
        source=data.get("source", ""),
        stub_header=data.get("stub_header", ""),
        orientation=data.get("orientation", "portrait"),
        population=data.get("population", ""),
        extra={k: v for k, v in data.items() if k not in known},
    )
