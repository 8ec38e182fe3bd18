"""Descriptive statistics at full precision; rounding happens later, in `fmt`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


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
