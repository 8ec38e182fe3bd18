"""Analysis results data (ARD): one record per statistic, full precision, with provenance.

Every number a table cell or a sentence shows is one `Stat`, addressed as
"<analysis>:<key>" (e.g. "t_14_2_1:cox.unadjusted.hr"). The ARD file records the population
rule and the sha256 of each dataset read, so any shown number can be traced to its inputs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Value = float | int | str | None


@dataclass(frozen=True, slots=True)
class Stat:
    analysis: str  # "t_14_2_1"
    key: str  # "cox.unadjusted.hr" — dot path, unique within the analysis
    value: Value
    stat: str  # kind of statistic: picks the default format ("hr", "p", "n", "pct", ...)
    label: str = ""
    group: tuple[tuple[str, str], ...] = ()  # (("TRT01P", "IL-2LD"),)
    digits: int | None = None  # display precision chosen by the analysis (data precision)

    @property
    def ref(self) -> str:
        return f"{self.analysis}:{self.key}"


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

    def get(self, key: str) -> Stat:
        for s in self.stats:
            if s.key == key:
                return s
        raise KeyError(f"{self.id}:{key}")

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


@dataclass(slots=True)
class ArdBuilder:
    """Collects stats while an analysis runs; `freeze` returns the immutable results."""

    analysis: str
    stats: list[Stat] = field(default_factory=list)

    def add(self, key: str, value: Value, stat: str, label: str = "",
            group: Mapping[str, str] | None = None, digits: int | None = None) -> str:
        """Record one statistic; returns its ref for table-cell provenance."""
        if isinstance(value, float) and math.isinf(value):
            value = None
        item = Stat(self.analysis, key, value, stat, label,
                    tuple(sorted((group or {}).items())), digits)
        self.stats.append(item)
        return item.ref


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
    return json.dumps(payload, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def json_value(value: Value) -> Value:
    """NaN (not estimable) is written as null: JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
