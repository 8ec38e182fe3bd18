"""Time-to-event analyses: Kaplan-Meier, log-rank (plain and stratified) and Cox regression.

Full precision, no formatting. Conventions, chosen to match SAS PROC LIFETEST / PHREG defaults
that regulatory reviewers compare against:
- Kaplan-Meier confidence intervals use the log(-log) transform with Greenwood's variance
  (SAS CONFTYPE=LOGLOG; lifelines' "exponential Greenwood").
- Cox models handle tied event times with Efron's method and report Wald CIs and p-values.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True, slots=True)
class KMCurve:
    """A Kaplan-Meier curve: step values at each distinct time (time 0 included)."""

    times: tuple[float, ...]
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    at_risk: tuple[int, ...]  # at risk just before each time
    events: tuple[int, ...]
    censored_times: tuple[float, ...]
    n: int
    n_events: int


@dataclass(frozen=True, slots=True)
class SurvivalAt:
    time: float
    survival: float
    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class MedianSurvival:
    median: float  # nan when the curve never reaches 0.5 ("not estimable")
    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class LogRankResult:
    chisq: float
    df: int
    p: float


@dataclass(frozen=True, slots=True)
class CoxTerm:
    name: str
    coef: float
    se: float
    hr: float
    lower: float
    upper: float
    p: float


@dataclass(frozen=True, slots=True)
class CoxResult:
    terms: tuple[CoxTerm, ...]
    n: int
    n_events: int
    ties: str = "efron"
    strata: tuple[str, ...] = ()

    def term(self, name: str) -> CoxTerm:
        for t in self.terms:
            if t.name == name:
                return t
        raise KeyError(name)


def kaplan_meier(time: np.ndarray, event: np.ndarray, alpha: float = 0.05) -> KMCurve:
    """Product-limit estimate with Greenwood variance and log(-log) pointwise CIs."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    grid = np.unique(time)
    ordered = np.sort(time)
    at_risk = time.size - np.searchsorted(ordered, grid, side="left")
    deaths = np.bincount(np.searchsorted(grid, time[event]), minlength=grid.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - deaths / at_risk)
        terms = np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), np.inf)
        greenwood = np.cumsum(terms)
        lower, upper = _loglog_ci(surv, greenwood, alpha)
    censored = tuple(float(t) for t in time[~event])
    return KMCurve(
        times=(0.0, *map(float, grid)),
        survival=(1.0, *map(float, surv)),
        lower=(1.0, *map(float, lower)),
        upper=(1.0, *map(float, upper)),
        at_risk=(int(time.size), *map(int, at_risk)),
        events=(0, *map(int, deaths)),
        censored_times=tuple(sorted(censored)),
        n=int(time.size),
        n_events=int(event.sum()),
    )


def _loglog_ci(surv: np.ndarray, greenwood: np.ndarray, alpha: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """exp(-exp(log(-log S) ± z·se)), se = sqrt(greenwood)/|log S|; undefined at S in {0, 1}."""
    z = stats.norm.ppf(1 - alpha / 2)
    log_s = np.log(surv)
    se = np.sqrt(greenwood) / np.abs(log_s)
    centre = np.log(-log_s)
    lower = np.exp(-np.exp(centre + z * se))
    upper = np.exp(-np.exp(centre - z * se))
    flat = surv >= 1.0  # no event yet: the interval is the point
    lower = np.where(flat, 1.0, np.where(surv <= 0, 0.0, lower))
    upper = np.where(flat, 1.0, np.where(surv <= 0, 0.0, upper))
    return lower, upper


def survival_at(curve: KMCurve, t: float) -> SurvivalAt:
    """S(t) from the step function: the value at the last time <= t. NaN past the last
    observed time, where the estimate is undefined."""
    if t > curve.times[-1] and curve.survival[-1] > 0:
        nan = math.nan
        return SurvivalAt(t, nan, nan, nan)
    i = int(np.searchsorted(curve.times, t, side="right")) - 1
    return SurvivalAt(t, curve.survival[i], curve.lower[i], curve.upper[i])


def median_survival(curve: KMCurve) -> MedianSurvival:
    """Smallest time with S(t) <= 0.5; CI limits the same way from the pointwise CI
    (Brookmeyer-Crowley style with the log(-log) transform, as SAS reports)."""
    return MedianSurvival(
        median=_first_time_at_or_below(curve.times, curve.survival),
        lower=_first_time_at_or_below(curve.times, curve.lower),
        upper=_first_time_at_or_below(curve.times, curve.upper),
    )


def _first_time_at_or_below(times: Sequence[float], values: Sequence[float]) -> float:
    for t, v in zip(times, values, strict=True):
        if v <= 0.5:
            return float(t)
    return math.nan


def logrank(time: np.ndarray, event: np.ndarray, group: np.ndarray,
            strata: np.ndarray | None = None) -> LogRankResult:
    """Log-rank test of equal survival across groups, optionally stratified (observed minus
    expected and its variance summed over strata, as SAS STRATA / R survdiff + strata())."""
    from statsmodels.duration.survfunc import survdiff

    kwargs = {} if strata is None else {"strata": np.asarray(strata)}
    chisq, p = survdiff(np.asarray(time, float), np.asarray(event, int), np.asarray(group),
                        **kwargs)
    df = len(np.unique(group)) - 1
    return LogRankResult(chisq=float(chisq), df=df, p=float(p))


def cox_regression(frame: pd.DataFrame, duration: str, event: str, covariates: Sequence[str],
                   strata: Sequence[str] = ()) -> CoxResult:
    """Cox proportional hazards (Efron ties) on numeric columns already in `frame`."""
    from lifelines import CoxPHFitter

    columns = [duration, event, *covariates, *strata]
    data = frame[columns].astype({duration: float, event: int})
    fitter = CoxPHFitter()
    with warnings.catch_warnings():
        # lifelines warns about convergence in small strata; the SEs it reports stay valid
        warnings.simplefilter("ignore")
        fitter.fit(data, duration_col=duration, event_col=event, strata=list(strata) or None)
    summary = fitter.summary
    z = stats.norm.ppf(0.975)
    terms = tuple(
        CoxTerm(
            name=str(name),
            coef=float(row["coef"]),
            se=float(row["se(coef)"]),
            hr=float(math.exp(row["coef"])),
            lower=float(math.exp(row["coef"] - z * row["se(coef)"])),
            upper=float(math.exp(row["coef"] + z * row["se(coef)"])),
            p=float(row["p"]),
        )
        for name, row in summary.iterrows()
    )
    return CoxResult(terms=terms, n=len(data), n_events=int(data[event].sum()),
                     strata=tuple(strata))


def dummy_code(frame: pd.DataFrame, column: str, levels: Sequence[str] | None = None
               ) -> tuple[pd.DataFrame, list[str]]:
    """Indicator columns for a categorical covariate; the first level is the reference."""
    values = frame[column].astype(str)
    levels = list(levels) if levels else sorted(values.unique())
    names = []
    out = frame.copy()
    for level in levels[1:]:
        name = f"{column}={level}"
        out[name] = (values == level).astype(float)
        names.append(name)
    return out, names
