"""Descriptive statistics at full precision; rounding happens later, in `fmt`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from submission_kit.analysis.ard import Stat, stat
from submission_kit.fmt import decimals_of  # data precision, not display formatting


@dataclass(frozen=True, slots=True)
class ContinuousSummary:
    n: int
    mean: float
    sd: float
    median: float
    q1: float
    q3: float
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class CategoryCount:
    level: str
    n: int
    denominator: int

    @property
    def fraction(self) -> float:
        return self.n / self.denominator if self.denominator else math.nan


def summarize_continuous(values: pd.Series | np.ndarray) -> ContinuousSummary:
    """n, mean, SD (n-1), median, quartiles, range of the non-missing values.

    Quartiles use SAS's default definition (PCTLDEF=5, Hyndman-Fan type 2: the average of the
    two order statistics at an exact boundary), so Q1/Q3 match SAS PROC MEANS/UNIVARIATE."""
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce").dropna(), dtype=float)
    n = int(x.size)
    if n == 0:
        nan = math.nan
        return ContinuousSummary(0, nan, nan, nan, nan, nan, nan, nan)
    q1, median, q3 = np.percentile(x, [25, 50, 75], method="averaged_inverted_cdf")
    return ContinuousSummary(
        n=n,
        mean=float(np.mean(x)),
        sd=float(np.std(x, ddof=1)) if n > 1 else math.nan,
        median=float(median),
        q1=float(q1),
        q3=float(q3),
        min=float(np.min(x)),
        max=float(np.max(x)),
    )


def count_levels(
    values: pd.Series, levels: Sequence[str], denominator: int
) -> tuple[CategoryCount, ...]:
    """Subjects per level, in the order given; levels absent from the data count 0."""
    counts = values.value_counts(dropna=True)
    return tuple(CategoryCount(level, int(counts.get(level, 0)), denominator) for level in levels)


def observed_levels(values: pd.Series) -> tuple[str, ...]:
    """Levels in the data, sorted, as strings (a stable default order)."""
    return tuple(sorted(str(v) for v in values.dropna().unique()))


# ---- results records (ARD) --------------------------------------------------------------------

Group = tuple[str, str, pd.DataFrame]  # (column key, label, the rows of that column)
CONTINUOUS_FIELDS = ("n", "mean", "sd", "median", "q1", "q3", "min", "max")


def big_n_records(analysis: str, groups: Sequence[Group]) -> list[Stat]:
    """Subjects per column: the denominators of every percentage in a table."""
    return [stat(analysis, f"N.{key}", int(rows["USUBJID"].nunique()), "n",
                 f"Subjects, {label}", {"arm": key}) for key, label, rows in groups]


def continuous_records(analysis: str, var: str, label: str, groups: Sequence[Group],
                       digits: int | None = None) -> list[Stat]:
    """n, mean, SD, median, quartiles and range per column. `digits` is the precision the data
    were collected at (detected from the values when not given); layouts show one more."""
    if digits is None:
        values = pd.concat([rows[var] for _, _, rows in groups]).dropna().tolist()
        digits = decimals_of(values)
    out = []
    for key, _label, rows in groups:
        summary = summarize_continuous(rows[var])
        out += [stat(analysis, f"{var}.{key}.{name}", getattr(summary, name), name,
                     f"{label}: {name}", {"arm": key}, digits) for name in CONTINUOUS_FIELDS]
    return out


def category_levels(groups: Sequence[Group], var: str, configured: Sequence[str]
                    ) -> tuple[str, ...]:
    """The configured order, then any level the data hold that the configuration does not
    list (it would otherwise vanish from the table and change its totals silently)."""
    observed = observed_levels(pd.concat([level_text(rows[var]) for _, _, rows in groups]))
    levels = tuple(configured) or observed
    return (*levels, *sorted(set(observed) - set(levels)))


def categorical_records(analysis: str, var: str, label: str, groups: Sequence[Group],
                        levels: Sequence[str]) -> list[Stat]:
    """Subjects per level and column, with percentages of the column N; missing counted."""
    out = []
    for key, _label, rows in groups:
        values = level_text(rows[var])
        for count in count_levels(values, levels, len(rows)):
            base = f"{var}.{key}.{key_part(count.level)}"
            where = {"arm": key, "level": count.level}
            out += [stat(analysis, f"{base}.n", count.n, "n", f"{label}: {count.level}", where),
                    stat(analysis, f"{base}.pct", 100 * count.fraction, "pct",
                         f"{label}: {count.level}", where, 1)]
        out.append(stat(analysis, f"{var}.{key}.missing.n", int(values.isna().sum()), "n",
                        f"{label}: missing", {"arm": key}))
    return out


def level_text(values: pd.Series) -> pd.Series:
    """Levels as text: 1.0 -> '1' so numeric codes read naturally."""
    def text(value: object) -> str:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return values.map(text, na_action="ignore")


def key_part(level: str) -> str:
    """Result-key segment for a category: dots would split the key path."""
    return level.replace(".", "_").replace(":", "_")

