"""Rows of a summary table (demographics, baseline characteristics): layout over results.

The statistics come from `analysis.descriptive` records; these functions only place them in
rows and columns and format them (through `Shown`). They run the same on a mock shell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from submission_kit.analysis.descriptive import key_part
from submission_kit.study import Population
from submission_kit.tables.cells import BLANK, Cell, Shown
from submission_kit.tables.model import Column, Row

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


def arm_columns(shown: Shown, columns: Sequence[tuple[str, str]]) -> tuple[Column, ...]:
    """(key, label) per column, with the big N from the results."""
    return tuple(Column(key, label, shown.big_n(key)) for key, label in columns)


def row(label: str, cells: Sequence[Cell], indent: int = 0) -> Row:
    return Row(label, tuple(c.text for c in cells), indent, tuple(c.key for c in cells))


def group_row(label: str, width: int) -> Row:
    return Row(label, ("",) * width)


def continuous_rows(shown: Shown, var: SummaryVariable, columns: Sequence[str],
                    pvalue: str = "") -> list[Row]:
    """n, Mean (SD), Median, Q1, Q3, Min, Max: mean and median one decimal more than the
    data, SD two more, range as collected. `pvalue`: results key of a test across the arms,
    shown in an extra last column (see `with_pvalue`)."""
    def cells(stat: str, key: str) -> Cell:
        d = shown.digits(f"{key}.mean", var.digits if var.digits is not None else 0)
        return {
            "n": lambda: shown.count(f"{key}.n"),
            "mean_sd": lambda: shown.mean_sd(f"{key}.mean", f"{key}.sd", d + 1),
            "median": lambda: shown.num(f"{key}.median", d + 1),
            "q1_q3": lambda: shown.pair(f"{key}.q1", f"{key}.q3", d + 1),
            "min_max": lambda: shown.pair(f"{key}.min", f"{key}.max", d),
        }[stat]()

    out = [group_row(var.label, len(columns))]
    for stat in var.stats:
        out.append(row(_STAT_LABELS[stat], [cells(stat, f"{var.var}.{c}") for c in columns], 1))
    return with_pvalue(out, shown, pvalue)


def categorical_rows(shown: Shown, var: SummaryVariable, columns: Sequence[str],
                     pvalue: str = "") -> list[Row]:
    """One row per level, n (%) of the column N; a Missing row when any value is missing.
    `pvalue`: results key of a test across the arms, shown in an extra last column."""
    display = var.display or {}
    out = [group_row(var.label, len(columns))]
    for level in shown.levels(var.var, var.levels):
        out.append(row(display.get(level, level), [
            shown.n_pct(f"{var.var}.{c}.{key_part(level)}.n", shown.big_n(c)) for c in columns
        ], 1))
    if not shown.mock and any(shown.value(f"{var.var}.{c}.missing.n") for c in columns):
        out.append(row("Missing", [shown.n_pct(f"{var.var}.{c}.missing.n", shown.big_n(c))
                                   for c in columns], 1))
    return with_pvalue(out, shown, pvalue)


def count_row(shown: Shown, label: str, key: str, columns: Sequence[str], indent: int = 0
              ) -> Row:
    """Subjects counted under `key` (records "<key>.<column>.n"), n (%) of each column N."""
    return row(label, [shown.n_pct(f"{key}.{c}.n", shown.big_n(c)) for c in columns], indent)


def with_pvalue(rows: Sequence[Row], shown: Shown, key: str) -> list[Row]:
    """The rows of one variable with one more cell each, for a p-value column (a test across
    all arms, as `survival_rows.P_COLUMN`): the p-value on the first row that shows
    statistics, blank elsewhere. An empty key leaves the rows as they are."""
    if not key:
        return list(rows)
    first = next((i for i, r in enumerate(rows) if not r.is_group_label), 0)
    return append_cells(rows, [shown.pvalue(key) if i == first else BLANK
                               for i in range(len(rows))])


def append_cells(rows: Sequence[Row], cells: Sequence[Cell]) -> list[Row]:
    """One more column: cells[i] at the end of rows[i] (a group label row stays keyless)."""
    return [replace(r, cells=(*r.cells, c.text), keys=(*r.keys, c.key) if r.keys else ())
            for r, c in zip(rows, cells, strict=True)]


# ---- subjects counted on one row (populations, disposition) -----------------------------------

SUBSET_KEYS = ("population", "var", "value", "label")


@dataclass(frozen=True, slots=True)
class Subset:
    """Subjects counted on one row: those of a [populations] flag, or those whose `var`
    equals `value` (compared as text, ignoring case, as population flags are)."""

    key: str  # results key segment: the population key, VAR, or VAR_VALUE
    label: str
    var: str
    value: str = "Y"

    @property
    def rule(self) -> str:
        return f"{self.var} = '{self.value}'"


def subset_of(item: Mapping[str, object], population: Callable[[str], Population]) -> Subset:
    """A row item of study.toml: { population = "SAF", label = "..." } or
    { var = "EOSSTT", value = "COMPLETED", label = "..." } (value defaults to "Y")."""
    if "population" in item:
        pop = population(str(item["population"]))
        return Subset(pop.key, str(item.get("label", pop.label)), pop.flag)
    var, value = str(item["var"]), str(item.get("value", "Y"))
    key = var if value.upper() == "Y" else f"{var}_{key_part(value)}"
    return Subset(key, str(item.get("label", f"{var} = {value}")), var, value)
