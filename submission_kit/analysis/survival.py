"""Time-to-event analyses: Kaplan-Meier and log-rank (plain and stratified); Cox regression is
in `analysis/cox.py`.

Full precision, no formatting. Conventions, chosen to match SAS PROC LIFETEST / PHREG defaults
that regulatory reviewers compare against:
- Kaplan-Meier confidence intervals use the log(-log) transform with Greenwood's variance
  (SAS CONFTYPE=LOGLOG; lifelines' "exponential Greenwood").
- Cox models handle tied event times with Efron's method, are fitted to full convergence
  (Newton-Raphson until the step is below 1e-8, i.e. the MLE to machine precision) and report
  Wald CIs and p-values.

Not estimable is a result: every function here returns, whatever the data (no subjects, no
events, one arm, a covariate level without events). What cannot be estimated is NaN and the
result's `note` says why: a short lowercase phrase without "not estimable", ready for a
footnote after "NE: " (e.g. "no events", "median not reached"). `note` is "" when everything in
the result is estimable. Problems are logged on the "submission_kit.analysis" logger.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

log = logging.getLogger("submission_kit.analysis")

NO_SUBJECTS = "no subjects"
NO_EVENTS = "no events"
MEDIAN_NOT_REACHED = "median not reached"
FEWER_THAN_TWO_ARMS = "fewer than two arms with subjects"
# R quantile.survfit's default tolerance: a step of the curve this close to 0.5 is "at" 0.5.
_QUANTILE_TOL = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True, slots=True)
class KMCurve:
    """A Kaplan-Meier curve: step values at each distinct time (time 0 included).
    With no subjects every tuple is empty."""

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
    note: str = ""  # why survival is NaN: "no subjects", "beyond the last observed time"


@dataclass(frozen=True, slots=True)
class MedianSurvival:
    median: float  # nan when the curve never reaches 0.5
    lower: float
    upper: float
    note: str = ""  # "median not reached", "upper confidence limit not reached", ...


@dataclass(frozen=True, slots=True)
class LogRankResult:
    chisq: float
    df: int
    p: float
    note: str = ""  # "no events", "fewer than two arms with subjects", ...
    groups: tuple[str, ...] = ()  # the arms that contributed to the test


def kaplan_meier(time: np.ndarray, event: np.ndarray, alpha: float = 0.05) -> KMCurve:
    """Product-limit estimate with Greenwood variance and log(-log) pointwise CIs."""
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=bool)
    require_complete(np.isnan(time), "time")
    if time.size == 0:
        return KMCurve((), (), (), (), (), (), (), 0, 0)
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


def require_complete(missing: np.ndarray, what: str) -> None:
    """Missing values are the caller's to handle (complete cases, counted and footnoted):
    dropping them here would drop subjects silently."""
    if missing.any():
        raise ValueError(f"missing values in {what}: select complete cases first")


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
    nan = math.nan
    if curve.n == 0:
        return SurvivalAt(t, nan, nan, nan, NO_SUBJECTS)
    if t > curve.times[-1] and curve.survival[-1] > 0:
        return SurvivalAt(t, nan, nan, nan, "beyond the last observed time")
    i = max(int(np.searchsorted(curve.times, t, side="right")) - 1, 0)  # t < 0: S = 1
    return SurvivalAt(t, curve.survival[i], curve.lower[i], curve.upper[i])


def median_survival(curve: KMCurve) -> MedianSurvival:
    """Median and its Brookmeyer-Crowley CI with the log(-log) transform (SAS LIFETEST's
    default, CONFTYPE=LOGLOG): the CI is the set of times whose pointwise log(-log)
    (1 - alpha) CI contains 0.5, so its lower limit is where the pointwise lower limit reaches
    0.5 and its upper limit where the pointwise upper limit does.

    Each of the three is read off its curve by the rule of SAS LIFETEST and R survival's
    quantile.survfit: the first time the curve is <= 0.5, except that a curve lying exactly at
    0.5 (within R's tolerance sqrt(machine eps)) from t_j until the next step t_k gives the
    midpoint (t_j + t_k) / 2; a curve that ends at exactly 0.5 gives the midpoint of t_j and
    the last observed time (R). Where S = 0 the log(-log) limits are undefined; as in R they
    are skipped when reading the CI (the stored curve keeps 0 there, for plotting)."""
    nan = math.nan
    if curve.n == 0:
        return MedianSurvival(nan, nan, nan, NO_SUBJECTS)
    undefined = np.asarray(curve.survival) <= 0
    median = _quantile_time(curve.times, curve.survival)
    lower = _quantile_time(curve.times, np.where(undefined, nan, curve.lower))
    upper = _quantile_time(curve.times, np.where(undefined, nan, curve.upper))
    return MedianSurvival(median, lower, upper, _median_note(curve, median, lower, upper))


def _quantile_time(times: Sequence[float], values: Sequence[float] | np.ndarray,
                   level: float = 0.5) -> float:
    """When a step curve reaches `level`, by R's survival:::findq (quantile.survfit)."""
    t, v = np.asarray(times, dtype=float), np.asarray(values, dtype=float)
    last_time = float(t[-1])
    defined = ~np.isnan(v)
    t, v = t[defined], v[defined]
    first = np.sort(np.unique(v, return_index=True)[1])  # censorings repeat a level: drop them
    t, v = t[first], v[first]
    reached = np.flatnonzero(v <= level + _QUANTILE_TOL)
    if reached.size == 0:
        return math.nan
    start = float(t[reached[0]])
    if abs(v[-1] - level) < _QUANTILE_TOL:  # the curve ends on the level
        return (start + last_time) / 2
    below = np.flatnonzero(v <= level - _QUANTILE_TOL)
    if below.size == 0:  # touches the level, then rises again (a CI limit can): as R, NaN
        return math.nan
    return (start + float(t[below[0]])) / 2  # the same time unless the curve sits on `level`


def _median_note(curve: KMCurve, median: float, lower: float, upper: float) -> str:
    if math.isnan(median):
        return MEDIAN_NOT_REACHED
    notes = []
    if math.isnan(lower):
        notes.append("lower confidence limit not estimable")
    if math.isnan(upper):
        ended = curve.survival[-1] <= 0  # the limit is undefined where S = 0, not unreached
        notes.append(f"upper confidence limit not {'estimable' if ended else 'reached'}")
    return "; ".join(notes)


def logrank(time: np.ndarray, event: np.ndarray, group: np.ndarray,
            strata: np.ndarray | None = None, groups: Sequence[object] | None = None
            ) -> LogRankResult:
    """k-sample log-rank test, optionally stratified (SAS LIFETEST STRATA / R survdiff with
    strata()): observed minus expected events per arm and their hypergeometric covariance are
    summed over strata, and chisq = U' V⁻ U with a generalized inverse, df = rank(V).

    So a stratum with one arm contributes nothing, and an arm with no subjects (listed in
    `groups`, the arms expected) drops out instead of making V singular."""
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=bool)
    require_complete(np.isnan(time), "time")
    codes, labels = _codes(group, groups)
    arms = int((np.bincount(codes, minlength=len(labels)) > 0).sum())
    reason = (NO_SUBJECTS if time.size == 0 else FEWER_THAN_TWO_ARMS if arms < 2
              else NO_EVENTS if not event.any() else "")
    if reason:
        return _logrank_ne(reason)
    layers = np.zeros(time.size, dtype=int) if strata is None else pd.factorize(
        np.asarray(strata))[0]
    u, v = np.zeros(len(labels)), np.zeros((len(labels), len(labels)))
    for layer in np.unique(layers):
        rows = layers == layer
        du, dv = _logrank_sums(time[rows], event[rows], codes[rows], len(labels))
        u, v = u + du, v + dv
    informative = np.diag(v) > 0  # arms never at risk beside another arm carry no information
    chisq, df = _generalized_quadratic(u[informative], v[np.ix_(informative, informative)])
    if df == 0:
        return _logrank_ne("no event with two or more arms at risk in the same stratum")
    tested = tuple(str(label) for label, keep in zip(labels, informative, strict=True) if keep)
    return LogRankResult(chisq=chisq, df=df, p=float(stats.chi2.sf(chisq, df)), groups=tested)


def _codes(group: np.ndarray, groups: Sequence[object] | None) -> tuple[np.ndarray, list[object]]:
    """Integer arm codes; `groups` fixes the arms (and their order) when given."""
    arms = pd.Categorical(np.asarray(group), categories=None if groups is None else list(groups))
    codes, labels = arms.codes, list(arms.categories)
    if (codes < 0).any():  # a caller's bug (missing arm), not a property of the data
        raise ValueError(f"group values missing or outside groups={labels!r}")
    return np.asarray(codes, dtype=int), labels


def _logrank_sums(time: np.ndarray, event: np.ndarray, codes: np.ndarray, k: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """O - E per arm and its covariance over the event times of one stratum."""
    event_times = np.unique(time[event])
    at_risk = np.zeros((event_times.size, k))
    deaths = np.zeros((event_times.size, k))
    for arm in range(k):
        mine = codes == arm
        ordered = np.sort(time[mine])
        at_risk[:, arm] = ordered.size - np.searchsorted(ordered, event_times, side="left")
        died = np.searchsorted(event_times, time[mine & event])
        deaths[:, arm] = np.bincount(died, minlength=event_times.size)
    n, d = at_risk.sum(axis=1), deaths.sum(axis=1)
    share = at_risk / n[:, None]  # n >= 1 at an event time: whoever died was at risk
    u = (deaths - d[:, None] * share).sum(axis=0)
    weight = d * (n - d) / np.maximum(n - 1, 1)  # 0 when n == 1, as then d == n
    weighted = weight[:, None] * share
    v = np.diag(weighted.sum(axis=0)) - weighted.T @ share
    return u, v


def _generalized_quadratic(u: np.ndarray, v: np.ndarray) -> tuple[float, int]:
    """u' V⁻ u with the Moore-Penrose inverse of the symmetric V, and rank(V). V's rows sum to
    zero, so rank <= arms - 1; eigenvalues below 1e-10 of the largest are that null space
    (rounding makes them ~1e-14, not 0), far below any arm's real information."""
    if u.size == 0:
        return math.nan, 0
    values, vectors = np.linalg.eigh(v)
    kept = values > 1e-10 * values.max()
    projected = vectors[:, kept].T @ u
    return float(np.sum(projected**2 / values[kept])), int(kept.sum())


def _logrank_ne(reason: str) -> LogRankResult:
    log.warning("log-rank test not estimable: %s", reason)
    return LogRankResult(chisq=math.nan, df=0, p=math.nan, note=reason)
