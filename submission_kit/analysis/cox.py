"""Cox proportional hazards regression (Efron ties), fitted to full convergence, with terms
that cannot be estimated reported as NaN and a reason instead of a crash.

Conventions as SAS PROC PHREG / R coxph: Efron ties, covariates centred, Newton-Raphson until
the step is below 1e-8, Wald CIs and p-values; R coxph's check for infinite coefficients
(monotone likelihood) runs after the fit. Notes follow `analysis/survival.py`'s convention.
The maximised log partial likelihood (`loglik`, R coxph's `loglik[2]`) is reported for
likelihood-ratio tests between nested models fitted to the same subjects.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from submission_kit.analysis.survival import NO_EVENTS, NO_SUBJECTS, log, require_complete

NOT_CONVERGED = "model did not converge"
_EXP_MAX = math.log(np.finfo(float).max)  # exp() of anything larger overflows to inf


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
    # Maximised log partial likelihood (Efron). Where a likelihood is monotone it is the
    # supremum (the limit as the separated coefficients tend to ±inf); 0.0 with no events (an
    # empty product); NaN when the model did not converge.
    loglik: float = math.nan

    def term(self, name: str) -> CoxTerm:
        for t in self.terms:
            if t.name == name:
                return t
        raise KeyError(name)


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
    require_complete(data.isna().to_numpy(), ", ".join(data.columns[data.isna().any()]))
    n, status = len(data), data[event].to_numpy() != 0
    reasons: dict[str, str] = {}
    fitted: dict[str, CoxTerm] = {}
    model_note = NO_SUBJECTS if n == 0 else NO_EVENTS if not status.any() else ""
    loglik = 0.0
    if not model_note:
        x = data[covariates].to_numpy(float)
        layers = (data.groupby(list(strata), sort=True, dropna=False).ngroup().to_numpy()
                  if strata else np.zeros(n, dtype=int))
        reasons, keep, separated = _screen_terms(x, status, layers, covariates)
        active = np.array([j for j, name in enumerate(covariates) if name not in reasons], int)
        model_note = _separation_note(separated, int((~keep).sum()), bool(active.size))
        time = data[duration].to_numpy(float)[keep]
        if active.size:
            fitted, more, note, loglik = _fit_phreg(
                time, status[keep], x[np.ix_(keep, active)],
                layers[keep], [covariates[j] for j in active], bool(strata))
            reasons.update(more)
            model_note = "; ".join(filter(None, [model_note, note]))
        else:  # nothing to estimate: the likelihood of the model with no terms
            loglik = _null_loglik(time, status[keep], layers[keep], bool(strata))
    terms = tuple(fitted.get(name) or _ne_term(name, reasons.get(name, model_note))
                  for name in covariates)
    for term in terms:
        if term.note:
            log.warning("Cox term %s not estimable: %s", term.name, term.note)
    return CoxResult(terms, n, int(status.sum()), strata=strata, note=model_note,
                     loglik=loglik)


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


def _null_loglik(time: np.ndarray, status: np.ndarray, layers: np.ndarray, stratified: bool
                 ) -> float:
    """Log partial likelihood at beta = 0 (Efron), as R coxph's loglik[1]."""
    from statsmodels.duration.hazard_regression import PHReg

    if not status.any():
        return 0.0
    model = PHReg(time, np.zeros((time.size, 1)), status=status.astype(float), ties="efron",
                  strata=layers if stratified else None)
    return float(model.loglike(np.zeros(1)))


def _fit_phreg(time: np.ndarray, status: np.ndarray, x: np.ndarray, layers: np.ndarray,
               names: list[str], stratified: bool
               ) -> tuple[dict[str, CoxTerm], dict[str, str], str, float]:
    """statsmodels PHReg (Efron), Newton-Raphson to |step| < 1e-8: converged to the MLE, which
    reproduces R coxph / SAS PHREG. Its warnings and numerical failures become notes; the
    last value is the maximised log partial likelihood (NaN when not converged)."""
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
            loglik = float(model.loglike(params))
        except (np.linalg.LinAlgError, ArithmeticError) as exc:
            log.warning("Cox model failed: %s", exc)
            return {}, dict.fromkeys(names, NOT_CONVERGED), NOT_CONVERGED, math.nan
    trouble = _fit_warnings(caught)
    infinite = [name for name, flag in zip(names, flags, strict=True) if flag]
    if infinite:  # the other coefficients have converged to their limit
        reasons = {name: f"monotone likelihood (separation) for {name}" for name in infinite}
        note = f"monotone likelihood (separation) for {', '.join(infinite)}"
    elif trouble:
        reasons, note = dict.fromkeys(names, NOT_CONVERGED), NOT_CONVERGED
        loglik = math.nan
    else:
        reasons, note = {}, ""
    terms = {name: _wald_term(name, b, s) for name, b, s in zip(names, params, se, strict=True)
             if name not in reasons}
    return terms, reasons, note, loglik if math.isfinite(loglik) else math.nan


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
