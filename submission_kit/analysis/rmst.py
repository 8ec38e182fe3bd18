"""Restricted mean survival time (RMST): the area under the Kaplan-Meier curve up to a horizon
tau, per arm, and the difference between arms — a summary that needs no proportional hazards.

Conventions as R survRM2 (`rmst1`/`rmst2`, Uno et al., J Clin Oncol 2014;32:2380) and SAS
PROC LIFETEST's RMST: the variance is the Greenwood plug-in
    Var = sum over event times t_i <= tau of A_i^2 * d_i / (Y_i (Y_i - d_i)),
    A_i = integral of S(t) from t_i to tau,
with a term of 0 where Y_i = d_i (survRM2); normal-approximation CIs and, for the difference
of two independent arms, Var = Var_1 + Var_0 and a two-sided Wald p-value.

The curve is the one `analysis.survival.kaplan_meier` draws for the table. Past the last
observed time the curve is undefined unless it has reached 0, so a horizon beyond a censored
last observation is not estimable (survRM2 stops with an error there; here it is NE with a
reason, as every not-estimable statistic).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from submission_kit.analysis.ard import Stat, stat
from submission_kit.analysis.descriptive import Group
from submission_kit.analysis.survival import NO_SUBJECTS, KMCurve, kaplan_meier

BEYOND_LAST_TIME = "horizon beyond the last observed time"
METHOD = ("Restricted mean survival time: area under the Kaplan-Meier curve to the horizon; "
          "Greenwood plug-in variance (R survRM2); normal-approximation 95% CI and p-value")


@dataclass(frozen=True, slots=True)
class Rmst:
    horizon: float
    estimate: float
    se: float
    lower: float
    upper: float
    note: str = ""  # why the estimate is NaN: "no subjects", "horizon beyond ..."


@dataclass(frozen=True, slots=True)
class RmstDifference:
    estimate: float  # active - reference
    se: float
    lower: float
    upper: float
    p: float
    note: str = ""


def rmst(time: np.ndarray, event: np.ndarray, horizon: float, alpha: float = 0.05) -> Rmst:
    """RMST to `horizon` of one arm, with its Greenwood plug-in standard error and CI."""
    if not horizon > 0:
        raise ValueError(f"the RMST horizon must be a positive time, got {horizon!r}")
    return rmst_of_curve(kaplan_meier(time, event), horizon, alpha)


def rmst_of_curve(curve: KMCurve, horizon: float, alpha: float = 0.05) -> Rmst:
    nan = math.nan
    if curve.n == 0:
        return Rmst(horizon, nan, nan, nan, nan, NO_SUBJECTS)
    if horizon > curve.times[-1] and curve.survival[-1] > 0:
        return Rmst(horizon, nan, nan, nan, nan, BEYOND_LAST_TIME)
    times = np.asarray(curve.times, float)  # times[0] = 0 with S = 1
    inside = times <= horizon
    knots = np.append(times[inside], horizon)
    # S is constant from each knot to the next: the area of each step, in time order.
    areas = np.diff(knots) * np.asarray(curve.survival, float)[inside]
    estimate = float(areas.sum())
    after = np.cumsum(areas[::-1])[::-1]  # after[j] = integral of S from knots[j] to horizon
    at_risk = np.asarray(curve.at_risk, float)[inside]
    events = np.asarray(curve.events, float)[inside]
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0)
    # The step at knots[j] (j >= 1) starts after the events at that time: A_j = after[j].
    variance = float(np.sum(after[1:] ** 2 * greenwood[1:]))
    se = math.sqrt(variance)
    z = float(stats.norm.ppf(1 - alpha / 2))
    return Rmst(horizon, estimate, se, estimate - z * se, estimate + z * se)


def rmst_difference(active: Rmst, reference: Rmst, alpha: float = 0.05) -> RmstDifference:
    """active - reference, independent arms: Var = Var_a + Var_r; Wald CI and p."""
    nan = math.nan
    if active.note or reference.note:
        return RmstDifference(nan, nan, nan, nan, nan, active.note or reference.note)
    estimate = active.estimate - reference.estimate
    se = math.hypot(active.se, reference.se)
    z = float(stats.norm.ppf(1 - alpha / 2))
    lower, upper = estimate - z * se, estimate + z * se
    if se == 0:  # no event before the horizon in either arm: no variability to test against
        return RmstDifference(estimate, se, lower, upper, nan, "no events before the horizon")
    return RmstDifference(estimate, se, lower, upper, float(2 * stats.norm.sf(abs(estimate / se))))


def rmst_records(analysis: str, groups: Sequence[Group], reference: str, horizon: float,
                 notes: list[str]) -> list[Stat]:
    """`groups`: (arm key, label, rows with AVAL and EVENT) per arm. Records
    rmst.<ARM>.est/se/lcl/ucl and, for each arm but the reference,
    rmst_diff.<ARM>.est/se/lcl/ucl/p (arm - reference); reasons for NE go to `notes`."""
    label = f"RMST to {horizon:g}"
    found: dict[str, Rmst] = {}
    out: list[Stat] = []
    for arm, arm_label, rows in groups:
        analysed = rows.dropna(subset=["AVAL"])
        found[arm] = result = rmst(analysed["AVAL"].to_numpy(), analysed["EVENT"].to_numpy(),
                                   horizon)
        if result.note:
            notes.append(f"{label}, {arm_label}: {result.note} (NE).")
        out += [stat(analysis, f"rmst.{arm}.{part}", value, "time", label, {"arm": arm})
                for part, value in (("est", result.estimate), ("se", result.se),
                                    ("lcl", result.lower), ("ucl", result.upper))]
    labels = {arm: arm_label for arm, arm_label, _ in groups}
    for arm in found:
        if arm == reference:
            continue
        diff = rmst_difference(found[arm], found[reference])
        if diff.note and not (found[arm].note or found[reference].note):
            notes.append(f"{label}, {labels[arm]} - {labels[reference]}: p-value {diff.note} "
                         "(NE).")
        out += [stat(analysis, f"rmst_diff.{arm}.{part}", value, kind,
                     f"{label}: difference vs {reference}", {"arm": arm})
                for part, value, kind in (("est", diff.estimate, "time"), ("se", diff.se, "time"),
                                          ("lcl", diff.lower, "time"),
                                          ("ucl", diff.upper, "time"), ("p", diff.p, "p"))]
    return out
