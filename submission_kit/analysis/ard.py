"""Analysis results data (ARD): one record per statistic, full precision, with provenance.

Every number a table cell, a figure or a sentence shows is one `Stat`, addressed as
"<analysis>:<key>" (e.g. "t_14_2_1:cox.unadjusted.IL2.hr"). Analyses return these records;
table and figure layouts only read them (DESIGN.md §1, results first). The ARD file records
the population rule and the sha256 of each dataset read, so any shown number can be traced
to its inputs.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Value = float | int | str | None


@dataclass(frozen=True, slots=True)
class Stat:
    analysis: str  # "t_14_2_1"
    key: str  # "cox.unadjusted.IL2.hr" — dot path, unique within the analysis
    value: Value  # None or NaN: not estimable (the reason is in AnalysisResults.notes)
    stat: str  # kind of statistic: picks the default format ("hr", "p", "n", "pct", ...)
    label: str = ""
    group: tuple[tuple[str, str], ...] = ()  # (("arm", "IL2"), ("level", "M"))
    digits: int | None = None  # display precision chosen by the analysis (data precision)

    @property
    def ref(self) -> str:
        return f"{self.analysis}:{self.key}"


def stat(analysis: str, key: str, value: Value, kind: str, label: str = "",
         group: Mapping[str, str] | None = None, digits: int | None = None) -> Stat:
    """One record; infinities (an overflowing estimate) become None: not estimable."""
    if isinstance(value, float) and math.isinf(value):
        value = None
    return Stat(analysis, key, value, kind, label, tuple(sorted((group or {}).items())), digits)


@dataclass(frozen=True, slots=True)
class ListingGroup:
    key: str  # arm key ("PBO"), in configured arm order
    rows: tuple[tuple[str, ...], ...]  # one tuple of text values per record, in listed order


@dataclass(frozen=True, slots=True)
class Listing:
    """The records a listing shows, selected and ordered by its analysis (results first: the
    layout only places them). Values are the data as text, never rounded: dates ISO 8601
    (YYYY-MM-DD), whole numbers without '.0', missing as "". Written to the results JSON;
    not to the long ARD CSV, which holds statistics."""

    columns: tuple[str, ...]  # variable names, one per value in each row
    groups: tuple[ListingGroup, ...]  # every arm, also one with no records

    def rows(self, key: str) -> tuple[tuple[str, ...], ...]:
        return next((g.rows for g in self.groups if g.key == key), ())


@dataclass(frozen=True, slots=True)
class AnalysisResults:
    id: str  # "t_14_2_1"
    output_id: str  # "14.2.1"
    title: str
    population: str  # "ITT: ITTFL = 'Y'"
    datasets: tuple[tuple[str, str], ...]  # (("adsl", "<sha256>"), ...)
    stats: tuple[Stat, ...]
    methods: tuple[str, ...] = ()  # one line per method used, for footnotes and the ARD
    subjects: int = 0
    # Ordered levels of each categorical dimension ("SEX": ("M", "F")): layouts build rows
    # from these, so a level present in the data can never vanish from a table.
    levels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Named numeric series at full precision (Kaplan-Meier step functions) for figures.
    series: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    # Why something is not estimable, or who was left out: footnotes a table must show.
    notes: tuple[str, ...] = ()
    # The listed records of a listing (16.2.x, 14.3.2.x); None for every other analysis.
    listing: Listing | None = None
    _index: dict[str, Stat] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update((s.key, s) for s in self.stats)

    def get(self, key: str) -> Stat:
        try:
            return self._index[key]
        except KeyError:
            raise KeyError(f"{self.id}:{key}") from None

    def has(self, key: str) -> bool:
        return key in self._index

    def as_tree(self) -> dict[str, Any]:
        """Nested dict by key path: {'cox': {'unadjusted': {'hr': Stat}}} (for templates)."""
        tree: dict[str, Any] = {}
        for s in self.stats:
            node = tree
            *parents, leaf = s.key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = s
        return tree


def as_ard_json(results: AnalysisResults) -> str:
    """Stable JSON: sorted keys, NaN written as null, full float precision (repr)."""
    payload = {
        "analysis": results.id,
        "output": results.output_id,
        "title": results.title,
        "population": results.population,
        "subjects": results.subjects,
        "datasets": [{"name": n, "sha256": h} for n, h in results.datasets],
        "methods": list(results.methods),
        "notes": list(results.notes),
        "levels": {k: list(v) for k, v in results.levels.items()},
        "series": {k: [json_value(x) for x in v] for k, v in results.series.items()},
        "records": [
            {
                "key": s.key,
                "value": json_value(s.value),
                "stat": s.stat,
                "label": s.label,
                "group": dict(s.group),
                "digits": s.digits,
            }
            for s in results.stats
        ],
    }
    if results.listing is not None:  # only listings carry the key: other files unchanged
        payload["listing"] = {
            "columns": list(results.listing.columns),
            "groups": [{"arm": g.key, "rows": [list(r) for r in g.rows]}
                       for g in results.listing.groups],
        }
    return json.dumps(payload, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def ard_columns(depth: int) -> tuple[str, ...]:
    """The CSV's columns with `depth` (at least two) grouping variable/level pairs."""
    groups = [name for i in range(1, max(depth, 2) + 1)
              for name in (f"group{i}", f"group{i}_level")]
    return ("analysis_id", "output_id", "population", *groups, "result_key", "stat_name",
            "stat_label", "value", "methods")


def as_ard_csv(all_results: Iterable[AnalysisResults]) -> str:
    """Every result of a build in the long, one-row-per-statistic form of CDISC Analysis
    Results Data (the shape of R `cards` and the ARS ARD), for checking in SAS or R. There
    are as many group columns as the deepest grouping needs (arm, subgroup and its level,
    visit ...): no grouping is ever cut off."""
    everything = list(all_results)
    depth = max([2, *(len(s.group) for r in everything for s in r.stats)])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ard_columns(depth))
    for results in everything:
        methods = "; ".join(results.methods)
        for s in results.stats:
            groups = [part for pair in s.group for part in pair]
            groups += [""] * (2 * depth - len(groups))
            writer.writerow([results.id, results.output_id, results.population, *groups,
                             s.key, s.key.rsplit(".", 1)[-1], s.label, _csv_value(s.value),
                             methods])
    return buffer.getvalue()


def _csv_value(value: Value) -> str:
    value = json_value(value)
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def json_value(value: Value) -> Value:
    """NaN (not estimable) is written as null: JSON has no NaN."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value
