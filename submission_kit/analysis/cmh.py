"""Generalized Cochran-Mantel-Haenszel statistics for stratified R x C tables, at full
precision: what SAS PROC FREQ prints under the CMH option (`TABLES strata*group*response /
CMH SCORES=...`).

Rows are the groups compared (treatment arms), columns the ordered response categories, one
table per stratum (site group). Under the null hypothesis of no association in any stratum,
each stratum's counts are multivariate hypergeometric given its margins (Landis, Heyman &
Koch, Int Stat Rev 1978; SAS/STAT PROC FREQ documentation, "Cochran-Mantel-Haenszel
Statistics"):

    E(n_hij) = n_hi. n_h.j / n_h
    Cov = n_h^2 / (n_h - 1) (D_pc - pc pc') (x) (D_pr - pr pr')

with pr, pc the stratum's row and column proportions. A statistic is Q = G' V^- G, with
G = sum_h B_h (n_h - m_h), V = sum_h B_h Cov_h B_h', referred to chi-square:

- row mean scores differ (`row_mean_scores`), B_h = a_h (x) [I_(R-1), 0]: do the groups'
  mean response scores differ? R - 1 df. With rank scores and one stratum it is the
  Kruskal-Wallis test; with modified ridit scores and two groups it is van Elteren's
  stratified Wilcoxon test (SAS documents both identities).
- general association (`general_association`): (R - 1)(C - 1) df; with one stratum it is
  (n - 1) / n times Pearson's chi-square.

Response scores (SAS SCORES=): "table" (the category values), "rank" (mid-ranks within the
stratum), "ridit" (rank / n_h, mid-point) and "modridit" (mid-rank / (n_h + 1)); rank-based
scores are computed within each stratum from its column margins, as SAS does.

Strata with fewer than two observations carry no information and are left out; groups and
categories that no stratum observes are dropped before the degrees of freedom are counted.
V is inverted with a Moore-Penrose generalized inverse when it is singular (sparse strata),
keeping the nominal degrees of freedom, as SAS does (Atorus CDISC pilot replication, README:
vcdExtra needed `MASS::ginv` in place of `solve` to match SAS on sparse tables).

A question the data cannot answer (fewer than two groups or two response values, or no
variation left) is a result, not an error: statistic and p-value NaN with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from submission_kit.analysis.ard import Stat, stat

Scores = Literal["table", "rank", "ridit", "modridit"]
SCORES: tuple[Scores, ...] = ("table", "rank", "ridit", "modridit")
SCORE_NAMES = {"table": "table scores", "rank": "rank scores", "ridit": "ridit scores",
               "modridit": "modified ridit scores"}
# A variance this small relative to the largest one is taken as zero (no information).
_TOLERANCE = 1e-10


@dataclass(frozen=True, slots=True)
class CMHResult:
    """One CMH statistic. `statistic` and `p` are NaN when not estimable (`reason` says
    why); `df` is the nominal degrees of freedom, `n` the observations in the strata used."""

    statistic: float
    df: int
    p: float
    n: int
    strata: int  # strata that contributed (two or more observations)
    reason: str = ""

    @property
    def estimable(self) -> bool:
        return not math.isnan(self.p)


@dataclass(frozen=True, slots=True)
class StratifiedTable:
    """Counts[h, i, j]: stratum h, group i, response category j, with the labels of each."""

    counts: np.ndarray
    strata: tuple[Hashable, ...]
    groups: tuple[Hashable, ...]
    categories: tuple[Hashable, ...]

    def rows(self, groups: Sequence[Hashable]) -> StratifiedTable:
        """The table of some groups only (a pairwise comparison), in the order given."""
        index = [self.groups.index(g) for g in groups]
        return StratifiedTable(self.counts[:, index, :], self.strata, tuple(groups),
                               self.categories)


def stratified_table(groups: Sequence[Hashable], responses: Sequence[Hashable],
                     strata: Sequence[Hashable] | None = None,
                     group_levels: Sequence[Hashable] | None = None,
                     categories: Sequence[Hashable] | None = None) -> StratifiedTable:
    """Cross-tabulate one record per observation. Levels default to the sorted values seen;
    a value outside the given levels is a ValueError (nothing is dropped silently)."""
    n = len(groups)
    strata = [0] * n if strata is None else list(strata)
    if not len(responses) == len(strata) == n:
        raise ValueError("groups, responses and strata differ in length")
    group_levels = _sorted(groups) if group_levels is None else tuple(group_levels)
    categories = _sorted(responses) if categories is None else tuple(categories)
    stratum_levels = _sorted(strata)
    for values, levels, what in ((groups, group_levels, "group"),
                                 (responses, categories, "response")):
        unknown = sorted({str(v) for v in values if v not in levels})
        if unknown:
            raise ValueError(f"{what} values not among the levels: {', '.join(unknown)}")
    counts = np.zeros((len(stratum_levels), len(group_levels), len(categories)))
    for g, r, s in zip(groups, responses, strata, strict=True):
        counts[stratum_levels.index(s), group_levels.index(g), categories.index(r)] += 1
    return StratifiedTable(counts, stratum_levels, group_levels, categories)


def column_scores(column_totals: np.ndarray, scores: Scores,
                  values: Sequence[float] | None = None) -> np.ndarray:
    """Scores of the response categories within one stratum, from its column totals."""
    totals = np.asarray(column_totals, dtype=float)
    if scores == "table":
        if values is None:
            return np.arange(1.0, len(totals) + 1.0)
        return np.asarray(values, dtype=float)
    below = np.cumsum(totals) - totals
    n = totals.sum()
    if scores == "rank":
        return below + (totals + 1.0) / 2.0
    if scores == "ridit":
        return (below + totals / 2.0) / n
    if scores == "modridit":
        return (below + (totals + 1.0) / 2.0) / (n + 1.0)
    raise ValueError(f"unknown scores {scores!r}; use one of {', '.join(SCORES)}")


def row_mean_scores(table: StratifiedTable | np.ndarray, scores: Scores = "table",
                    values: Sequence[float] | None = None) -> CMHResult:
    """CMH 'Row Mean Scores Differ': do the groups' mean response scores differ, controlling
    for the strata? `values` are the category values used as table scores (default 1..C)."""
    counts, values = _prepared(table, values)
    if isinstance(counts, str):
        return _not_estimable(counts, _groups(table) - 1, 0, 0)
    r = counts.shape[1]
    g, v = np.zeros(r - 1), np.zeros((r - 1, r - 1))
    for stratum in counts:
        n = stratum.sum()
        rows, cols = stratum.sum(axis=1), stratum.sum(axis=0)
        a = column_scores(cols, scores, values)
        mean = cols @ a / n
        spread = cols @ (a - mean) ** 2 / n  # variance of the scores in the stratum
        f = stratum @ a - rows * mean
        cov = n / (n - 1.0) * spread * (np.diag(rows) - np.outer(rows, rows) / n)
        g += f[:-1]
        v += cov[:-1, :-1]
    return _quadratic(g, v, r - 1, counts)


def general_association(table: StratifiedTable | np.ndarray) -> CMHResult:
    """CMH 'General Association': (R - 1)(C - 1) df, no scores."""
    counts, _ = _prepared(table, None)
    if isinstance(counts, str):
        return _not_estimable(counts, 0, 0, 0)
    r, c = counts.shape[1:]
    g, v = np.zeros((r - 1) * (c - 1)), np.zeros(((r - 1) * (c - 1),) * 2)
    for stratum in counts:
        n = stratum.sum()
        pr, pc = stratum.sum(axis=1) / n, stratum.sum(axis=0) / n
        expected = n * np.outer(pr, pc)
        g += (stratum - expected)[:-1, :-1].ravel()
        vr = (np.diag(pr) - np.outer(pr, pr))[:-1, :-1]
        vc = (np.diag(pc) - np.outer(pc, pc))[:-1, :-1]
        v += n * n / (n - 1.0) * np.kron(vr, vc)
    return _quadratic(g, v, (r - 1) * (c - 1), counts)


def cmh_records(analysis: str, key: str, label: str, result: CMHResult
                ) -> tuple[list[Stat], list[str]]:
    """Records "<key>.statistic", "<key>.df", "<key>.p" (and "<key>.n", the observations
    the test used); a note says why when the test is not estimable."""
    records = [stat(analysis, f"{key}.statistic", result.statistic, "chisq",
                    f"{label}: CMH chi-square"),
               stat(analysis, f"{key}.df", result.df, "df", f"{label}: degrees of freedom"),
               stat(analysis, f"{key}.p", result.p, "p", f"{label}: CMH p-value"),
               stat(analysis, f"{key}.n", result.n, "n", f"{label}: observations tested")]
    notes = [] if result.estimable else [f"{label}: CMH test not estimable ({result.reason})."]
    return records, notes


# ---- internals ------------------------------------------------------------------------------

def _sorted(values: Sequence[Hashable]) -> tuple[Hashable, ...]:
    """Distinct values in order (as text when they do not compare: mixed types)."""
    unique = set(values)
    try:
        return tuple(sorted(unique))  # type: ignore[type-var]
    except TypeError:
        return tuple(sorted(unique, key=str))


def _groups(table: StratifiedTable | np.ndarray) -> int:
    counts = table.counts if isinstance(table, StratifiedTable) else np.asarray(table)
    return int(counts.shape[-2]) if counts.ndim >= 2 else 0


def _prepared(table: StratifiedTable | np.ndarray, values: Sequence[float] | None
              ) -> tuple[np.ndarray | str, list[float] | None]:
    """Counts as (strata, groups, categories) floats, without strata of fewer than two
    observations and without groups or categories no stratum observes; or the reason the
    question cannot be asked."""
    counts = np.asarray(table.counts if isinstance(table, StratifiedTable) else table,
                        dtype=float)
    if counts.ndim == 2:
        counts = counts[np.newaxis]
    if counts.ndim != 3 or (counts < 0).any() or (counts != np.round(counts)).any():
        raise ValueError("counts must be a (strata, groups, categories) array of counts")
    if values is not None and len(values) != counts.shape[2]:
        raise ValueError(f"{len(values)} category values for {counts.shape[2]} categories")
    counts = counts[counts.sum(axis=(1, 2)) >= 2]
    rows = counts.sum(axis=(0, 2)) > 0 if len(counts) else np.zeros(0, bool)
    cols = counts.sum(axis=(0, 1)) > 0 if len(counts) else np.zeros(0, bool)
    if rows.sum() < 2:
        return "fewer than two groups have observations", None
    if cols.sum() < 2:
        return "every observation has the same response", None
    kept = None if values is None else [float(x) for x, k in zip(values, cols, strict=True)
                                        if k]
    return counts[:, rows][:, :, cols], kept


def _quadratic(g: np.ndarray, v: np.ndarray, df: int, counts: np.ndarray) -> CMHResult:
    n, strata = int(counts.sum()), len(counts)
    scale = float(np.abs(v).max(initial=0.0))
    if scale == 0.0:
        return _not_estimable("no stratum has variation in both groups and responses", df,
                              n, strata)
    try:
        inverse = np.linalg.inv(v) if np.linalg.cond(v) < 1 / _TOLERANCE else None
    except np.linalg.LinAlgError:
        inverse = None
    if inverse is None:
        inverse = np.linalg.pinv(v, rcond=_TOLERANCE, hermitian=True)
    q = float(g @ inverse @ g)
    return CMHResult(q, df, float(stats.chi2.sf(q, df)), n, strata)


def _not_estimable(reason: str, df: int, n: int, strata: int) -> CMHResult:
    return CMHResult(math.nan, max(df, 0), math.nan, n, strata, reason)
