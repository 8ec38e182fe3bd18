"""Descriptive statistics, and the tests across arms summary tables show beside them, at full
precision; rounding happens later, in `fmt`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from submission_kit.analysis.ard import Stat, stat
from submission_kit.analysis.exact import FisherTableTooLarge, fisher_exact_rxc
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
                        levels: Sequence[str], among: pd.Series | None = None) -> list[Stat]:
    """Subjects per level and column, with percentages of the column N; missing counted.
    `among` (a boolean per row) counts only those subjects, still as percentages of the
    column N (reasons for discontinuation among the subjects who discontinued)."""
    out = []
    for key, _label, rows in groups:
        kept = rows if among is None else rows[among.reindex(rows.index, fill_value=False)]
        values = level_text(kept[var])
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


def equals_text(values: pd.Series, value: str) -> pd.Series:
    """True where a value, as level text, equals `value` ignoring case (population flags are
    read the same way: "Y" or "y"); missing never matches."""
    text = level_text(values)
    return text.notna() & text.astype(str).str.upper().eq(value.upper())


def indicator_records(analysis: str, key: str, label: str, groups: Sequence[Group],
                      selected: pd.Series) -> list[Stat]:
    """Subjects of each column for whom `selected` (a boolean per row, aligned with the
    frames of `groups`) is true, with the percentage of the column N."""
    out = []
    for column, _label, rows in groups:
        n = int(selected.reindex(rows.index, fill_value=False).astype(bool).sum())
        where = {"arm": column}
        out += [stat(analysis, f"{key}.{column}.n", n, "n", label, where),
                stat(analysis, f"{key}.{column}.pct", 100 * n / len(rows) if len(rows)
                     else math.nan, "pct", label, where, 1)]
    return out


# ---- tests across arms ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ArmTest:
    statistic: float  # F or chi-square; NaN when not estimable
    df: tuple[float, ...]  # (k - 1, N - k) for ANOVA; (df,) for chi-square
    p: float
    reason: str = ""  # why it is not estimable


def oneway_anova(samples: Sequence[pd.Series]) -> ArmTest:
    """One-way ANOVA F test of equal means (scipy.stats.f_oneway) over the non-missing values
    of each sample; samples with no value are left out."""
    groups = [np.asarray(pd.to_numeric(s, errors="coerce").dropna(), dtype=float)
              for s in samples]
    groups = [g for g in groups if g.size]
    n = sum(g.size for g in groups)
    if len(groups) < 2:
        return ArmTest(math.nan, (), math.nan, "fewer than two arms with data")
    df = (float(len(groups) - 1), float(n - len(groups)))
    if df[1] < 1:
        return ArmTest(math.nan, df, math.nan, "no residual degrees of freedom")
    if all(np.all(g == g[0]) for g in groups):
        return ArmTest(math.nan, df, math.nan, "no variation within arms")
    result = stats.f_oneway(*groups)
    return ArmTest(float(result.statistic), df, float(result.pvalue))


def pearson_chisq(table: np.ndarray) -> ArmTest:
    """Pearson's chi-square test of independence (no continuity correction, as SAS PROC FREQ
    "Chi-Square" and R chisq.test(correct = FALSE)) on a levels x arms table of counts. Levels
    and arms with no subject are left out: they add nothing to the statistic."""
    counts = np.asarray(table, dtype=float)
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if min(counts.shape) < 2:
        return ArmTest(math.nan, (), math.nan,
                          "fewer than two levels or arms with subjects")
    result = stats.chi2_contingency(counts, correction=False)
    return ArmTest(float(result.statistic), (float(result.dof),), float(result.pvalue))


def anova_records(analysis: str, var: str, label: str, groups: Sequence[Group]
                  ) -> tuple[list[Stat], list[str]]:
    """F, degrees of freedom and p-value of a one-way ANOVA across the columns of `groups`
    (arms only: a Total column would count every subject twice); notes say why a test is not
    estimable."""
    test = oneway_anova([rows[var] for _, _, rows in groups])
    return _test_records(analysis, var, label, "One-way ANOVA", ("F", "df1", "df2"), test)


def chisq_records(analysis: str, var: str, label: str, groups: Sequence[Group],
                  levels: Sequence[str]) -> tuple[list[Stat], list[str]]:
    """Pearson chi-square, degrees of freedom and p-value for the levels x arms table of
    subjects (missing values left out); notes say why a test is not estimable."""
    table = np.array([[int(c.n) for c in count_levels(level_text(rows[var]), levels, len(rows))]
                      for _, _, rows in groups]).T
    test = pearson_chisq(table)
    return _test_records(analysis, var, label, "Pearson chi-square", ("chisq", "df"), test)


def _test_records(analysis: str, var: str, label: str, method: str, names: Sequence[str],
                  test: ArmTest) -> tuple[list[Stat], list[str]]:
    values = (test.statistic, *(test.df or (math.nan,) * (len(names) - 1)))
    out = [stat(analysis, f"{var}.{name}", value, name, f"{label}: {method}")
           for name, value in zip(names, values, strict=True)]
    out.append(stat(analysis, f"{var}.p", test.p, "p", f"{label}: {method} p-value"))
    notes = [f"{label}: {method} not estimable ({test.reason})."] if test.reason else []
    return out, notes


def fisher_records(analysis: str, key: str, label: str, table: np.ndarray
                   ) -> tuple[list[Stat], list[str]]:
    """The p-value of Fisher's exact test on a table of subjects (outcomes x arms), as record
    "<key>.p"; outcomes no subject has and arms with no subject are left out, as in
    `pearson_chisq`. A note says why when the test is not estimable."""
    counts = np.asarray(table)
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    reason = ""
    if min(counts.shape) < 2:
        p, reason = math.nan, "fewer than two outcomes or arms with subjects"
    else:
        try:
            p = fisher_exact_rxc(counts)
        except FisherTableTooLarge:
            p, reason = math.nan, "too many possible tables to enumerate"
    notes = [f"{label}: Fisher's exact test not estimable ({reason})."] if reason else []
    return [stat(analysis, f"{key}.p", p, "p", f"{label}: Fisher's exact test p-value")], notes
