"""Time-to-event analyses: Kaplan-Meier, log-rank (plain and stratified) and Cox regression.

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
import warnings
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
NOT_CONVERGED = "model did not converge"
# R quantile.survfit's default tolerance: a step of the curve this close to 0.5 is "at" 0.5.
_QUANTILE_TOL = math.sqrt(np.finfo(float).eps)
_EXP_MAX = math.log(np.finfo(float).max)  # exp() of anything larger overflows to inf


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


@dataclass(frozen=True, slots=True)
class CoxTerm:
    name: str
    coef: float
    se: float
    hr: float
    lower: float
    upper: float
    p: float
    note: str = ""  # "no events in ARM_B", "monotone likelihood (separation) for AGE", ...


@dataclass(frozen=True, slots=True)
class CoxResult:
    terms: tuple[CoxTerm, ...]
    n: int
    n_events: int
    ties: str = "efron"
    strata: tuple[str, ...] = ()
    note: str = ""  # about the model as a whole: "no events", "model did not converge", ...

    def term(self, name: str) -> CoxTerm:
        for t in self.terms:
            if t.name == name:
                return t
        raise KeyError(name)


def kaplan_meier(time: np.ndarray, event: np.ndarray, alpha: float = 0.05) -> KMCurve:
    """Product-limit estimate with Greenwood variance and log(-log) pointwise CIs."""
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=bool)
    _require_complete(np.isnan(time), "time")
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


def _require_complete(missing: np.ndarray, what: str) -> None:
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
    _require_complete(np.isnan(time), "time")
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


def cox_regression(frame: pd.DataFrame, duration: str, event: str, covariates: Sequence[str],
                   strata: Sequence[str] = ()) -> CoxResult:
    """Cox proportional hazards (Efron ties) on numeric columns already in `frame`.

    Terms that cannot be estimated get NaN and a note instead of a crash or a meaningless
    number: no subjects or no events; a term that does not vary or is collinear (dropped, as R
    coxph reports NA); a two-valued term with no events at one value, whose likelihood is
    monotone (separation: the MLE is ±inf). In that last case the other terms are reported at
    their limit, which is the fit without the subjects at the value with no events (they carry
    no weight as the coefficient tends to ±inf). Any remaining separation or non-convergence is
    caught after the fit."""
    covariates, strata = list(covariates), tuple(strata)
    data = frame[[duration, event, *covariates, *strata]].astype({duration: float, event: int})
    _require_complete(data.isna().to_numpy(), ", ".join(data.columns[data.isna().any()]))
    n, status = len(data), data[event].to_numpy() != 0
    reasons: dict[str, str] = {}
    fitted: dict[str, CoxTerm] = {}
    model_note = NO_SUBJECTS if n == 0 else NO_EVENTS if not status.any() else ""
    if not model_note:
        x = data[covariates].to_numpy(float)
        layers = (data.groupby(list(strata), sort=True, dropna=False).ngroup().to_numpy()
                  if strata else np.zeros(n, dtype=int))
        reasons, keep, separated = _screen_terms(x, status, layers, covariates)
        active = np.array([j for j, name in enumerate(covariates) if name not in reasons], int)
        model_note = _separation_note(separated, int((~keep).sum()), bool(active.size))
        if active.size:
            fitted, more, note = _fit_phreg(
                data[duration].to_numpy(float)[keep], status[keep], x[np.ix_(keep, active)],
                layers[keep], [covariates[j] for j in active], bool(strata))
            reasons.update(more)
            model_note = "; ".join(filter(None, [model_note, note]))
    terms = tuple(fitted.get(name) or _ne_term(name, reasons.get(name, model_note))
                  for name in covariates)
    for term in terms:
        if term.note:
            log.warning("Cox term %s not estimable: %s", term.name, term.note)
    return CoxResult(terms, n, int(status.sum()), strata=strata, note=model_note)


def _ne_term(name: str, reason: str) -> CoxTerm:
    return CoxTerm(name, *(math.nan,) * 6, note=reason)


def _screen_terms(x: np.ndarray, status: np.ndarray, layers: np.ndarray, names: list[str]
                  ) -> tuple[dict[str, str], np.ndarray, list[str]]:
    """Terms that cannot be estimated, found before fitting: (reasons, rows that keep weight,
    separated terms). Excluding a separated level can make another term constant, so repeat."""
    reasons: dict[str, str] = {}
    keep = np.ones(status.size, dtype=bool)
    separated: list[str] = []
    while True:
        active = [j for j, name in enumerate(names) if name not in reasons]
        reasons.update(_unidentifiable(x[keep][:, active], layers[keep],
                                       [names[j] for j in active]))
        active = [j for j in active if names[j] not in reasons]
        found = _separated_level(x[keep], status[keep], active, names)
        if found is None:
            return reasons, keep, separated
        j, value, reason = found
        reasons[names[j]] = reason
        separated.append(names[j])
        keep &= x[:, j] != value


def _unidentifiable(x: np.ndarray, layers: np.ndarray, names: list[str]) -> dict[str, str]:
    """Terms that do not vary (within strata) or are linear combinations of earlier terms;
    like R coxph, the later of two collinear terms is the one not estimated."""
    centred = x - _layer_means(x, layers) if x.shape[1] else x
    basis = np.zeros((x.shape[0], 0))
    reasons = {}
    for j, name in enumerate(names):
        column = centred[:, j]
        size = float(np.linalg.norm(column))
        if size <= 1e-12 * float(np.linalg.norm(x[:, j])):  # only rounding noise is left
            reasons[name] = _constant_reason(x[:, j], name)
            continue
        for _ in range(2):  # Gram-Schmidt twice keeps the basis orthogonal
            column = column - basis @ (basis.T @ column)
        if np.linalg.norm(column) <= 1e-9 * size:
            reasons[name] = f"{name} is collinear with other terms"
            continue
        basis = np.column_stack([basis, column / np.linalg.norm(column)])
    return reasons


def _layer_means(x: np.ndarray, layers: np.ndarray) -> np.ndarray:
    return pd.DataFrame(x).groupby(layers).transform("mean").to_numpy(float)


def _constant_reason(column: np.ndarray, name: str) -> str:
    values = set(np.unique(column).tolist())
    if values in ({0.0}, {1.0}):  # an indicator: all subjects on one side
        return f"no subjects {'in' if values == {0.0} else 'outside'} {name}"
    return f"{name} does not vary" + (" within strata" if len(values) > 1 else "")


def _separated_level(x: np.ndarray, status: np.ndarray, active: list[int], names: list[str]
                     ) -> tuple[int, float, str] | None:
    """The first two-valued term with no events at one of its values (monotone likelihood)."""
    for j in active:
        values = np.unique(x[:, j])
        if values.size != 2:
            continue
        for value in values:
            if not status[x[:, j] == value].any():
                name = names[j]
                if set(values.tolist()) != {0.0, 1.0}:
                    return j, float(value), f"no events with {name} = {value:g}"
                return j, float(value), f"{'no' if value == 1 else 'all'} events in {name}"
    return None


def _separation_note(separated: list[str], excluded: int, others: bool) -> str:
    note = f"monotone likelihood (separation) for {', '.join(separated)}" if separated else ""
    if note and others:  # their limit as the separated coefficients tend to ±inf
        note += f": other terms estimated without the {excluded} subjects at levels with no events"
    return note


def _fit_phreg(time: np.ndarray, status: np.ndarray, x: np.ndarray, layers: np.ndarray,
               names: list[str], stratified: bool
               ) -> tuple[dict[str, CoxTerm], dict[str, str], str]:
    """statsmodels PHReg (Efron), Newton-Raphson to |step| < 1e-8: converged to the MLE, which
    reproduces R coxph / SAS PHREG. Its warnings and numerical failures become notes."""
    from statsmodels.duration.hazard_regression import PHReg

    centred = x - x.mean(axis=0)  # as R coxph: exp(x'b) cannot overflow for a large-valued x
    model = PHReg(time, centred, status=status.astype(float), ties="efron",
                  strata=layers if stratified else None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fitted = model.fit()
            params, se = np.asarray(fitted.params, float), np.asarray(fitted.bse, float)
            flags = _infinite_coefficients(model, params)
        except (np.linalg.LinAlgError, ArithmeticError) as exc:
            log.warning("Cox model failed: %s", exc)
            return {}, dict.fromkeys(names, NOT_CONVERGED), NOT_CONVERGED
    trouble = _fit_warnings(caught)
    infinite = [name for name, flag in zip(names, flags, strict=True) if flag]
    if infinite:  # the other coefficients have converged to their limit
        reasons = {name: f"monotone likelihood (separation) for {name}" for name in infinite}
        note = f"monotone likelihood (separation) for {', '.join(infinite)}"
    elif trouble:
        reasons, note = dict.fromkeys(names, NOT_CONVERGED), NOT_CONVERGED
    else:
        reasons, note = {}, ""
    terms = {name: _wald_term(name, b, s) for name, b, s in zip(names, params, se, strict=True)
             if name not in reasons}
    return terms, reasons, note


def _fit_warnings(caught: list[warnings.WarningMessage]) -> bool:
    """True when the fit warned that it did not converge. Numerical warnings are logged (a NaN
    they leave behind is caught on the result); any other warning is passed on, not swallowed."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    trouble = False
    for w in caught:
        if issubclass(w.category, ConvergenceWarning | HessianInversionWarning | RuntimeWarning):
            log.warning("Cox model: %s", w.message)
            trouble |= not issubclass(w.category, RuntimeWarning)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return trouble


def _infinite_coefficients(model: object, params: np.ndarray) -> np.ndarray:
    """R coxph's check for coefficients that may be infinite: one more Newton step from the end
    point, flagged where it is still > 1e-9 and > sqrt(1e-9) of the coefficient (coxph's eps
    and toler.inf). At a true maximum the step is ~1e-15."""
    score = model.score(params)  # type: ignore[attr-defined]
    information = -np.asarray(model.hessian(params))  # type: ignore[attr-defined]
    try:
        step = np.abs(np.linalg.solve(information, score))
    except np.linalg.LinAlgError:
        return np.ones(params.size, dtype=bool)
    return ~np.isfinite(step) | ((step > 1e-9) & (step > math.sqrt(1e-9) * np.abs(params)))


def _wald_term(name: str, coef: float, se: float) -> CoxTerm:
    """HR, Wald CI and p from coef and se; NaN (never inf) where exp() would overflow."""
    if not (math.isfinite(coef) and math.isfinite(se) and se > 0):
        return _ne_term(name, NOT_CONVERGED)
    z = float(stats.norm.ppf(0.975))
    hr, lower, upper = (_exp(coef), _exp(coef - z * se), _exp(coef + z * se))
    note = "" if math.isfinite(upper) else "hazard ratio too large to represent"
    return CoxTerm(name=name, coef=float(coef), se=float(se), hr=hr, lower=lower, upper=upper,
                   p=float(2 * stats.norm.sf(abs(coef / se))), note=note)


def _exp(value: float) -> float:
    return math.exp(value) if value < _EXP_MAX else math.nan


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
