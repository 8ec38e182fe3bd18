"""Rows of a summary table (demographics, baseline characteristics): the reusable middle.

Each function runs the statistic per arm column, records every number in the ARD, and returns
formatted rows whose `keys` point back at those records. Rounding goes through `fmt` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from submission_kit import fmt
from submission_kit.analysis.ard import ArdBuilder
from submission_kit.analysis.descriptive import (
    count_levels,
    observed_levels,
    summarize_continuous,
)
from submission_kit.fmt import Rounding
from submission_kit.tables.model import Column, Row

ArmSubset = tuple[str, str, pd.DataFrame]  # (column key, label, rows of that arm)

CONTINUOUS_STATS = ("n", "mean_sd", "median", "q1_q3", "min_max")
_STAT_LABELS = {"n": "n", "mean_sd": "Mean (SD)", "median": "Median", "q1_q3": "Q1, Q3",
                "min_max": "Min, Max"}


@dataclass(frozen=True, slots=True)
class SummaryVariable:
    """One variable of a summary table, as configured in study.toml."""

    var: str
    label: str
    categorical: bool
    levels: tuple[str, ...] = ()  # category order; default: sorted observed values
    display: Mapping[str, str] | None = None  # level -> text shown ("M" -> "Male")
    stats: tuple[str, ...] = CONTINUOUS_STATS
    digits: int | None = None  # data precision; default: detected from the data


def arm_columns(subsets: Sequence[ArmSubset]) -> tuple[Column, ...]:
    return tuple(Column(key, label, len(rows)) for key, label, rows in subsets)


def record_big_n(ard: ArdBuilder, subsets: Sequence[ArmSubset]) -> None:
    for key, label, rows in subsets:
        ard.add(f"N.{key}", int(rows["USUBJID"].nunique()), "n", f"Subjects, {label}")


def continuous_rows(ard: ArdBuilder, var: SummaryVariable, subsets: Sequence[ArmSubset],
                    mode: Rounding) -> list[Row]:
    all_values = pd.concat([rows[var.var] for _, _, rows in subsets])
    d = var.digits if var.digits is not None else fmt.decimals_of(all_values.dropna().tolist())
    cells: dict[str, list[str]] = {s: [] for s in var.stats}
    keys: dict[str, list[str]] = {s: [] for s in var.stats}
    for arm, _label, rows in subsets:
        summary = summarize_continuous(rows[var.var])
        base = f"{var.var}.{arm}"
        refs = {name: ard.add(f"{base}.{name}", getattr(summary, name), name,
                              f"{var.label}: {name}", {"arm": arm}, d)
                for name in ("n", "mean", "sd", "median", "q1", "q3", "min", "max")}
        shown = {
            "n": (str(summary.n), refs["n"]),
            "mean_sd": (fmt.fmt_mean_sd(summary.mean, summary.sd, d + 1, mode), refs["mean"]),
            "median": (fmt.fmt_num(summary.median, d + 1, mode), refs["median"]),
            "q1_q3": (fmt.fmt_range(summary.q1, summary.q3, d + 1, mode), refs["q1"]),
            "min_max": (fmt.fmt_range(summary.min, summary.max, d, mode), refs["min"]),
        }
        for stat in var.stats:
            cells[stat].append(shown[stat][0])
            keys[stat].append(shown[stat][1])
    rows_out = [Row(var.label, tuple("" for _ in subsets))]
    rows_out += [Row(_STAT_LABELS[s], tuple(cells[s]), 1, tuple(keys[s])) for s in var.stats]
    return rows_out


def categorical_rows(ard: ArdBuilder, var: SummaryVariable, subsets: Sequence[ArmSubset],
                     mode: Rounding) -> list[Row]:
    all_values = pd.concat([rows[var.var] for _, _, rows in subsets]).map(
        _level_text, na_action="ignore")
    levels = var.levels or observed_levels(all_values)
    unknown = sorted(set(observed_levels(all_values)) - set(levels))
    if unknown:  # a level the config does not list would silently vanish from the table
        levels = (*levels, *unknown)
    display = var.display or {}
    per_level: dict[str, list[tuple[str, str]]] = {lv: [] for lv in levels}
    missing: list[tuple[str, str]] = []
    for arm, _label, rows in subsets:
        values = rows[var.var].map(_level_text, na_action="ignore")
        denominator = len(rows)
        for count in count_levels(values, levels, denominator):
            key = f"{var.var}.{arm}.{_key_part(count.level)}"
            ard.add(f"{key}.n", count.n, "n", f"{var.label}: {count.level}", {"arm": arm})
            ard.add(f"{key}.pct", 100 * count.fraction, "pct", f"{var.label}: {count.level}",
                    {"arm": arm}, 1)
            per_level[count.level].append(
                (fmt.fmt_n_pct(count.n, denominator, 1, mode), f"{ard.analysis}:{key}.n"))
        n_missing = int(values.isna().sum())
        ard.add(f"{var.var}.{arm}.missing.n", n_missing, "n", f"{var.label}: missing",
                {"arm": arm})
        missing.append((fmt.fmt_n_pct(n_missing, denominator, 1, mode),
                        f"{ard.analysis}:{var.var}.{arm}.missing.n"))
    rows_out = [Row(var.label, tuple("" for _ in subsets))]
    for level in levels:
        cells = per_level[level]
        rows_out.append(Row(display.get(level, level), tuple(c for c, _ in cells), 1,
                            tuple(k for _, k in cells)))
    if any(c != "0" for c, _ in missing):
        rows_out.append(Row("Missing", tuple(c for c, _ in missing), 1,
                            tuple(k for _, k in missing)))
    return rows_out


def _level_text(value: object) -> str:
    """Levels as text: 1.0 -> '1' so numeric codes read naturally."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _key_part(level: str) -> str:
    """Result-key segment for a category: dots would split the key path."""
    return level.replace(".", "_").replace(":", "_")
