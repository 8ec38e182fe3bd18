"""Values by visit: descriptive and geometric summaries by visit and arm, and the ANCOVA of
change from baseline at one visit, at full precision, as results records (ARD).

The input is one long frame, one row per subject and visit, with the columns of `RECORD`:
the spec builds it from a BDS dataset (ADQS, ADLB) and ADSL. Geometric statistics are on the
natural-log scale: geometric mean exp(mean log x), geometric CV 100 sqrt(exp(s^2) - 1) with
s the SD of log x, and t-based 95% CIs back-transformed; values <= 0 cannot be logged and are
counted in a note.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats

from submission_kit.analysis.ard import Stat, stat
from submission_kit.analysis.descriptive import (
    CONTINUOUS_FIELDS,
    key_part,
    level_text,
    summarize_continuous,
)

# Columns of the long frame the analyses read.
RECORD = ("USUBJID", "ARM", "VISIT", "VISITN", "AVAL", "BASE", "CHG", "BASELINE", "IMPUTED")
SUMMARY_FIELDS = (*CONTINUOUS_FIELDS, "se")
GEOMETRIC_FIELDS = ("n", "gmean", "gcv", "lcl", "ucl")


def visit_key(label: str) -> str:
    """'Month 3' -> 'Month_3': a results-key segment (no dots, no spaces)."""
    return re.sub(r"[^0-9A-Za-z]+", "_", label).strip("_") or "visit"


def comparison_key(arm: str, versus: str) -> str:
    return f"{arm}_vs_{versus}"


def visit_times(data: pd.DataFrame, visits: Sequence[str]) -> tuple[float, ...]:
    """VISITN of each visit (NaN where the data have none): the x positions a by-visit
    figure plots at, kept with the results under series 'visit.VISITN'."""
    times = data.groupby("VISIT")["VISITN"].first()
    return tuple(float(times.get(v, math.nan)) for v in visits)


# ---- summaries -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class GeometricSummary:
    n: int  # positive values summarised
    gmean: float
    gcv: float  # percent
    lcl: float
    ucl: float
    excluded: int  # values <= 0, which have no logarithm


def summarize_geometric(values: pd.Series | np.ndarray, level: float = 0.95
                        ) -> GeometricSummary:
    """Geometric mean, geometric CV (%) and t-based CI of the positive, non-missing values."""
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce").dropna(), dtype=float)
    positive = x[x > 0]
    n, excluded = int(positive.size), int((x <= 0).sum())
    if n == 0:
        return GeometricSummary(0, math.nan, math.nan, math.nan, math.nan, excluded)
    logs = np.log(positive)
    mean = float(logs.mean())
    if n == 1:
        return GeometricSummary(1, math.exp(mean), math.nan, math.nan, math.nan, excluded)
    sd = float(logs.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return GeometricSummary(n, math.exp(mean), 100 * math.sqrt(math.expm1(sd * sd)),
                            math.exp(mean - half), math.exp(mean + half), excluded)


def summary_records(analysis: str, prefix: str, label: str, values_by_arm: dict[str, pd.Series],
                    digits: int, geometric: bool, group: Mapping[str, str] | None = None
                    ) -> list[Stat]:
    """n, mean, SD, SE, median, quartiles, range (and geometric statistics) per arm, keyed
    '<prefix>.<arm>.<stat>' (e.g. 'chg.Month_3.PBO.se'). `group` adds to each record's
    grouping (a stratum level: {"PNFHGR1": "High (>3700 pg/mL)"})."""
    out = []
    for arm, values in values_by_arm.items():
        s = summarize_continuous(values)
        se = s.sd / math.sqrt(s.n) if s.n > 1 else math.nan
        where = {**(group or {}), "arm": arm}
        out += [stat(analysis, f"{prefix}.{arm}.{name}", getattr(s, name), name,
                     f"{label}: {name}", where, digits) for name in CONTINUOUS_FIELDS]
        out.append(stat(analysis, f"{prefix}.{arm}.se", se, "se", f"{label}: SE", where, digits))
        if geometric:
            g = summarize_geometric(values)
            out += [stat(analysis, f"{prefix}.{arm}.{name}", value, name, f"{label}: {name}",
                         where, digits)
                    for name, value in (("gn", g.n), ("gmean", g.gmean), ("gcv", g.gcv),
                                        ("glcl", g.lcl), ("gucl", g.ucl))]
    return out


def stratum_prefix(var: str, by: str) -> str:
    """Results-key prefix of a variable's summaries within the levels of `by`:
    'PNFHBL.by.PNFHGR1' (then '.<level>.<arm>.<stat>', the level through `key_part`)."""
    return f"{key_part(var)}.by.{key_part(by)}"


def stratum_summary_records(analysis: str, prefix: str, label: str, subjects: pd.DataFrame,
                            var: str, by: str, levels: Sequence[str], arms: Sequence[str],
                            digits: int, geometric: bool) -> list[Stat]:
    """`summary_records` of one subject-level variable within each level of `by` (a stratum),
    keyed '<prefix>.<level>.<arm>.<stat>'; `subjects` has one row per subject with ARM (arm
    key), `var` and `by`. A level without subjects in an arm gives n = 0 and NaN."""
    strata = level_text(subjects[by])
    out: list[Stat] = []
    for level in levels:
        rows = subjects[strata == level]
        out += summary_records(analysis, f"{prefix}.{key_part(level)}", f"{label}, {level}",
                               {a: rows.loc[rows["ARM"] == a, var] for a in arms}, digits,
                               geometric, {by: level})
    return out


def ratio_records(analysis: str, prefix: str, label: str, rows_by_arm: dict[str, pd.DataFrame]
                  ) -> list[Stat]:
    """Geometric mean ratio to baseline (AVAL / BASE) per arm, with its 95% CI."""
    out = []
    for arm, rows in rows_by_arm.items():
        both = rows[(rows["AVAL"] > 0) & (rows["BASE"] > 0)]
        g = summarize_geometric(both["AVAL"] / both["BASE"])
        out += [stat(analysis, f"{prefix}.{arm}.{name}", value, name, f"{label}: {name}",
                     {"arm": arm})
                for name, value in (("n", g.n), ("gmean", g.gmean), ("lcl", g.lcl),
                                    ("ucl", g.ucl))]
    return out


@dataclass(frozen=True, slots=True)
class VisitSummaryDesign:
    """What a by-visit summary shows; known from the configuration."""

    arms: tuple[str, ...]
    visits: tuple[str, ...]  # post-baseline visits shown, in order
    digits: int  # data precision
    geometric: bool = False  # log-normal parameter: geometric statistics and ratios
    change: bool = True
    baseline: bool = True  # False: an outcome with no baseline (CIBIC+): no baseline row


def visit_summary_records(analysis: str, prefix: str, data: pd.DataFrame,
                          design: VisitSummaryDesign) -> tuple[list[Stat], list[str]]:
    """Baseline, then value and change at each visit, by arm: '<prefix>aval.<visit>.<arm>.
    <stat>', '<prefix>chg...', '<prefix>ratio...' ('<prefix>' may be '' or 'TREG.')."""
    notes: list[str] = []
    by_arm = {arm: data[data["ARM"] == arm] for arm in design.arms}
    base = {arm: rows.loc[rows["BASELINE"], "AVAL"] for arm, rows in by_arm.items()}
    out = (summary_records(analysis, f"{prefix}aval.baseline", "Baseline", base,
                           design.digits, design.geometric) if design.baseline else [])
    for visit in design.visits:
        key = visit_key(visit)
        at = {arm: rows[(rows["VISIT"] == visit) & ~rows["BASELINE"]]
              for arm, rows in by_arm.items()}
        out += summary_records(analysis, f"{prefix}aval.{key}", visit,
                               {a: r["AVAL"] for a, r in at.items()}, design.digits,
                               design.geometric)
        if design.change and design.baseline:
            out += summary_records(analysis, f"{prefix}chg.{key}", f"{visit}: change",
                                   {a: r["CHG"] for a, r in at.items()}, design.digits, False)
        if design.geometric and design.baseline:
            out += ratio_records(analysis, f"{prefix}ratio.{key}", f"{visit}: ratio", at)
    if design.geometric:
        nonpositive = int((data["AVAL"] <= 0).sum())
        if nonpositive:
            notes.append(f"{nonpositive} value(s) <= 0 have no logarithm and are left out of "
                         "the geometric statistics.")
    return out, notes


# ---- estimates of linear models (shared with analysis.mmrm) ---------------------------------

@dataclass(frozen=True, slots=True)
class Estimate:
    estimate: float
    se: float
    df: float
    lower: float
    upper: float
    p: float
    note: str = ""


NOT_ESTIMABLE = Estimate(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan,
                         "not estimable")


def is_estimable(c: np.ndarray, null_space: np.ndarray) -> bool:
    return not null_space.size or bool(
        np.linalg.norm(null_space.T @ c) <= 1e-8 * max(float(np.linalg.norm(c)), 1.0))


def t_estimate(est: float, se: float, df: float, level: float = 0.95) -> Estimate:
    """Estimate, t-based CI and two-sided p (normal when df is infinite)."""
    dist = stats.norm if math.isinf(df) else stats.t(df)
    q = float(dist.ppf(0.5 + level / 2))
    p = float(2 * dist.sf(abs(est / se))) if se > 0 else math.nan
    return Estimate(est, se, df, est - q * se, est + q * se, p)


def estimable_columns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns kept (pivoted QR: a maximal linearly independent set) and an orthonormal basis
    of the null space of X: a contrast c is estimable when it is orthogonal to it. Columns are
    scaled to unit length first, so a covariate's units do not decide what is aliased."""
    norms = np.linalg.norm(x, axis=0)
    scale = np.where(norms > 0, norms, 1.0)
    values, vectors = np.linalg.eigh((x / scale).T @ (x / scale))
    tol = 1e-10 * max(float(values[-1]), 1e-300) if values.size else 0.0
    rank = int((values > tol).sum())
    _, _, piv = linalg.qr(x / scale, mode="economic", pivoting=True)
    null = vectors[:, values <= tol] / scale[:, None]
    return np.sort(piv[:rank]), (np.linalg.qr(null)[0] if null.size else null)


# ---- covariates and ANCOVA -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Columns:
    """Model-matrix columns with their names and the value each takes in an LS mean."""

    x: np.ndarray
    names: tuple[str, ...]
    at: tuple[float, ...]  # numeric: the mean; a level indicator: 1 / number of levels


def covariate_columns(frame: pd.DataFrame, covariates: Sequence[str]) -> Columns:
    """Numeric covariates as they are; others as indicators of each level but the first
    (sorted). LS means take numeric covariates at their mean over the rows analysed and
    weight the levels of a factor equally (SAS LSMEANS default, emmeans default)."""
    blocks, names, at = [np.zeros((len(frame), 0))], [], []
    for var in covariates:
        col = frame[var]
        if pd.api.types.is_numeric_dtype(col):
            blocks.append(col.to_numpy(float)[:, None])
            names.append(var)
            at.append(float(col.mean()))
            continue
        levels = sorted(col.astype(str).unique())
        for level in levels[1:]:
            blocks.append((col.astype(str) == level).to_numpy(float)[:, None])
            names.append(f"{var}[{level}]")
            at.append(1.0 / len(levels))
    return Columns(np.hstack(blocks), tuple(names), tuple(at))


@dataclass(frozen=True, slots=True)
class AncovaResult:
    n: dict[str, int]  # subjects analysed per arm
    lsmeans: dict[str, Estimate]
    diffs: dict[tuple[str, str], Estimate]  # (arm, versus) -> arm - versus
    dose_p: float  # test of a linear dose effect (nan when no dose variable)
    df: int
    note: str = ""


def ancova(frame: pd.DataFrame, response: str, arms: Sequence[str],
           comparisons: Sequence[tuple[str, str]], covariates: Sequence[str],
           dose: str = "", baseline: bool = True) -> AncovaResult:
    """OLS of `response` on treatment (indicators of each arm but the first), BASE (unless
    `baseline` is False: an outcome with no baseline, such as CIBIC+) and the covariates; one
    row per subject. LS means and differences with residual-df t CIs and p-values; an arm
    with no subject gives NE. With `dose`, a second model replaces the arm indicators by that
    numeric column and tests its coefficient (the type III F test of one degree of freedom is
    this t test squared)."""
    counts = {a: int((frame["ARM"] == a).sum()) for a in arms}
    if frame.empty:
        ne = Estimate(*(math.nan,) * 6, note="not estimable")
        return AncovaResult(counts, dict.fromkeys(arms, ne), dict.fromkeys(comparisons, ne),
                            math.nan, 0, "no subject has a value")
    cov = covariate_columns(frame, ["BASE", *covariates] if baseline else list(covariates))
    arm_x = np.column_stack([(frame["ARM"] == a).to_numpy(float) for a in arms[1:]]
                            ) if len(arms) > 1 else np.zeros((len(frame), 0))
    x = np.hstack([np.ones((len(frame), 1)), arm_x, cov.x])
    beta, cov_beta, df = _ols(x, frame[response].to_numpy(float))
    kept, null = estimable_columns(x)

    def vector(arm: str) -> np.ndarray:
        return np.array([1.0, *[float(arm == a) for a in arms[1:]], *cov.at])

    def estimate(c: np.ndarray) -> Estimate:
        if df <= 0 or not is_estimable(c, null):
            return Estimate(*(math.nan,) * 6, note="not estimable")
        return t_estimate(float(c @ beta), math.sqrt(float(c @ cov_beta @ c)), df)

    dose_p = _dose_p(frame, response, dose, cov.x) if dose else math.nan
    note = "" if kept.size == x.shape[1] else "a treatment arm has no subject analysed"
    return AncovaResult(counts, {a: estimate(vector(a)) for a in arms},
                        {(a, b): estimate(vector(a) - vector(b)) for a, b in comparisons},
                        dose_p, df, note)


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Least squares through the pseudo-inverse (aliased columns get no weight), with
    cov(beta) = s^2 (X'X)^+ and residual df n - rank."""
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    rank = int(np.linalg.matrix_rank(x)) if x.size else 0
    df = len(y) - rank
    rss = float(((y - x @ beta) ** 2).sum())
    return beta, (rss / df if df > 0 else math.nan) * xtx_inv, df


def _dose_p(frame: pd.DataFrame, response: str, dose: str, covariates: np.ndarray) -> float:
    x = np.hstack([np.ones((len(frame), 1)), frame[[dose]].to_numpy(float), covariates])
    beta, cov_beta, df = _ols(x, frame[response].to_numpy(float))
    if df <= 0 or not cov_beta[1, 1] > 0:
        return math.nan
    return t_estimate(float(beta[1]), math.sqrt(float(cov_beta[1, 1])), df).p
