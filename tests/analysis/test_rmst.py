"""Restricted mean survival time checked against an independent implementation and a hand
computation on published data.

- Estimate: lifelines' `restricted_mean_survival_time` (numerical integral of its own
  KaplanMeierFitter curve), on the 6-MP data, the demo study and random data with ties.
- Variance: the Greenwood plug-in estimator of R survRM2 (cran/survRM2, R/rmst1.R at commit
  451e25eb04781a5ba11ecd19c64027105ef20caf: `rmst.var = sum(cumsum(rev(areas[-1]))^2 *
  rev(wk.var)[-1])`, wk.var = d / (Y (Y - d)), 0 where Y = d), worked by hand below in exact
  fractions on the Freireich et al. (1963) 6-MP remission data (Klein & Moeschberger, Survival
  Analysis, 2nd ed., Table 1.1; shipped with lifelines as datasets/gehan.dat). The Kaplan-Meier
  steps used are the published ones (Klein & Moeschberger Table 4.1A: 0.857, 0.807, 0.753,
  0.690, 0.627, 0.538, 0.448 at weeks 6, 7, 10, 13, 16, 22, 23).
- Difference: survRM2's rmst2 (R/rmst2.R, commit 044089fcdd77b46e754cd18ac6d7f21498ce5e73):
  se = sqrt(var1 + var0), CI diff -/+ z se, p = 2 pnorm(-|diff| / se).
"""

import importlib.resources
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from submission_kit.analysis.rmst import (
    BEYOND_LAST_TIME,
    rmst,
    rmst_difference,
    rmst_records,
)
from submission_kit.analysis.survival import NO_SUBJECTS

# 6-MP arm (weeks in remission; 1 = relapse, 0 = censored) and placebo arm (all relapsed).
MP_TIME = np.array([6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34,
                    35], dtype=float)
MP_EVENT = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0])
PLACEBO_TIME = np.array([1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22,
                         23], dtype=float)
PLACEBO_EVENT = np.ones(21, dtype=int)


def _lifelines_rmst(time, event, horizon):
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    return float(restricted_mean_survival_time(KaplanMeierFitter().fit(time, event), t=horizon))


def _hand_rmst(time, event, horizon):
    """The survRM2 formulas in exact fractions: (RMST, variance)."""
    times = sorted({t for t in time if t <= horizon})
    surv, steps = Fraction(1), []  # (time, S after the step, d, Y)
    for t in times:
        d = sum(1 for u, e in zip(time, event, strict=True) if u == t and e)
        y = sum(1 for u in time if u >= t)
        surv *= Fraction(y - d, y)
        steps.append((Fraction(t), surv, d, y))
    knots = [Fraction(0)] + [t for t, *_ in steps] + [Fraction(horizon)]
    levels = [Fraction(1)] + [s for _, s, _, _ in steps]
    areas = [(knots[i + 1] - knots[i]) * levels[i] for i in range(len(levels))]
    variance = Fraction(0)
    for i, (_, _, d, y) in enumerate(steps, start=1):
        if d and y > d:
            variance += sum(areas[i:]) ** 2 * Fraction(d, y * (y - d))
    return sum(areas), variance


def test_the_6mp_data_are_the_published_ones():
    shipped = importlib.resources.files("lifelines.datasets") / "gehan.dat"
    data = pd.read_csv(shipped, sep=r"\s+", header=None, names=["arm", "time", "event"])
    assert data[data["arm"] == 2]["time"].tolist() == MP_TIME.tolist()
    assert data[data["arm"] == 2]["event"].tolist() == MP_EVENT.tolist()
    assert data[data["arm"] == 1]["time"].tolist() == PLACEBO_TIME.tolist()


def test_6mp_rmst_and_variance_by_hand_at_23_weeks():
    ours = rmst(MP_TIME, MP_EVENT, 23)
    # By hand from the published KM steps: 6 + 1(18/21) + 3 S(7) + 3 S(10) + 3 S(13) +
    # 6 S(16) + 1 S(22) with S(7) = 18/21 16/17, S(10) = S(7) 14/15, S(13) = S(10) 11/12,
    # S(16) = S(13) 10/11, S(22) = S(16) 6/7; the step at 23 adds no area before the horizon.
    s6 = Fraction(18, 21)
    s7 = s6 * Fraction(16, 17)
    s10 = s7 * Fraction(14, 15)
    s13 = s10 * Fraction(11, 12)
    s16 = s13 * Fraction(10, 11)
    s22 = s16 * Fraction(6, 7)
    area = 6 + s6 + 3 * s7 + 3 * s10 + 3 * s13 + 6 * s16 + s22
    assert [float(s) for s in (s6, s7, s10, s13, s16, s22)] == pytest.approx(
        [0.857, 0.807, 0.753, 0.690, 0.627, 0.538], abs=5e-4)  # Klein & Moeschberger 4.1A
    # Variance: sum over relapse times t_i <= 23 of A_i^2 d_i / (Y_i (Y_i - d_i)), where A_i
    # is the area from t_i to 23; risk sets 21, 17, 15, 12, 11, 7, 6 with d = 3, 1, 1, 1, 1, 1, 1.
    a = {6: area - 6, 7: area - 6 - s6, 10: area - 6 - s6 - 3 * s7,
         13: 6 * s16 + s22 + 3 * s13, 16: 6 * s16 + s22, 22: s22, 23: Fraction(0)}
    risk = {6: (3, 21), 7: (1, 17), 10: (1, 15), 13: (1, 12), 16: (1, 11), 22: (1, 7),
            23: (1, 6)}
    variance = sum(a[t] ** 2 * Fraction(d, y * (y - d)) for t, (d, y) in risk.items())
    assert ours.estimate == pytest.approx(float(area), rel=1e-12)
    assert ours.se == pytest.approx(math.sqrt(variance), rel=1e-12)
    assert (float(area), math.sqrt(variance)) == pytest.approx((17.9092, 1.5532), abs=1e-4)
    z = stats.norm.ppf(0.975)
    assert (ours.lower, ours.upper) == pytest.approx(
        (float(area) - z * math.sqrt(variance), float(area) + z * math.sqrt(variance)),
        rel=1e-12)
    assert ours.note == ""


def test_rmst_matches_lifelines_and_the_exact_formula_at_many_horizons():
    rng = np.random.default_rng(3)
    time = rng.integers(1, 60, 150).astype(float)  # integer times: many ties
    event = (rng.random(150) < 0.6).astype(int)
    for horizon in (0.5, 1, 17, 17.5, 40, float(time.max())):
        ours = rmst(time, event, horizon)
        assert ours.estimate == pytest.approx(_lifelines_rmst(time, event, horizon), rel=1e-9)
        estimate, variance = _hand_rmst(time.tolist(), event.tolist(), horizon)
        assert ours.estimate == pytest.approx(float(estimate), rel=1e-12)
        assert ours.se == pytest.approx(math.sqrt(variance), rel=1e-10)


def test_rmst_of_the_demo_matches_lifelines():
    from submission_kit.data.demo import simulate_study

    adtte = simulate_study()["adtte"]
    os_ = adtte[adtte["PARAMCD"] == "OS"]
    for _, rows in os_.groupby("TRTP"):
        time, event = rows["AVAL"].to_numpy(), (rows["CNSR"] == 0).to_numpy(int)
        ours = rmst(time, event, 640)
        assert ours.estimate == pytest.approx(_lifelines_rmst(time, event, 640), rel=1e-9)
        _, variance = _hand_rmst(time.tolist(), event.tolist(), 640)
        assert ours.se == pytest.approx(math.sqrt(variance), rel=1e-10)


def test_difference_follows_survrm2():
    mp, placebo = rmst(MP_TIME, MP_EVENT, 23), rmst(PLACEBO_TIME, PLACEBO_EVENT, 23)
    # Placebo by hand: every subject relapsed by week 23, so RMST = mean of min(T, 23).
    assert placebo.estimate == pytest.approx(np.minimum(PLACEBO_TIME, 23).mean(), rel=1e-12)
    diff = rmst_difference(mp, placebo)
    se = math.sqrt(mp.se**2 + placebo.se**2)
    z = stats.norm.ppf(0.975)
    assert diff.estimate == pytest.approx(mp.estimate - placebo.estimate, rel=1e-12)
    assert diff.se == pytest.approx(se, rel=1e-12)
    assert (diff.lower, diff.upper) == pytest.approx(
        (diff.estimate - z * se, diff.estimate + z * se), rel=1e-12)
    assert diff.p == pytest.approx(2 * stats.norm.sf(diff.estimate / se), rel=1e-9)


# ---------------------------------------------------------------- not estimable is a result


def test_horizon_past_a_censored_last_time_is_not_estimable():
    result = rmst(MP_TIME, MP_EVENT, 36)  # last 6-MP observation: censored at 35
    assert math.isnan(result.estimate) and result.note == BEYOND_LAST_TIME
    assert rmst(MP_TIME, MP_EVENT, 35).note == ""  # up to the last time is fine (survRM2)
    diff = rmst_difference(result, rmst(PLACEBO_TIME, PLACEBO_EVENT, 36))
    assert math.isnan(diff.p) and diff.note == BEYOND_LAST_TIME


def test_a_curve_that_reached_zero_is_defined_past_its_last_time():
    result = rmst(PLACEBO_TIME, PLACEBO_EVENT, 40)  # all relapsed by 23: S = 0 after
    assert result.estimate == pytest.approx(PLACEBO_TIME.mean(), rel=1e-12)
    assert result.note == ""


def test_no_subjects_and_no_events():
    empty = rmst(np.array([]), np.array([]), 10)
    assert math.isnan(empty.estimate) and empty.note == NO_SUBJECTS
    censored = rmst(np.array([12.0, 15.0]), np.array([0, 0]), 10)
    assert (censored.estimate, censored.se) == (10.0, 0.0)  # no events: RMST = horizon
    diff = rmst_difference(censored, censored)
    assert diff.estimate == 0.0 and math.isnan(diff.p) and diff.note


def test_horizon_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        rmst(MP_TIME, MP_EVENT, 0)


def test_records_per_arm_and_difference_against_the_reference():
    rows = pd.DataFrame({"AVAL": np.r_[MP_TIME, PLACEBO_TIME, [np.nan]],
                         "EVENT": np.r_[MP_EVENT, PLACEBO_EVENT, [0]]})
    groups = [("PBO", "Placebo", rows.iloc[21:]), ("MP", "6-MP", rows.iloc[:21])]
    notes: list[str] = []
    records = {s.key: s.value for s in rmst_records("t", groups, "PBO", 23, notes)}
    assert records["rmst.MP.est"] == pytest.approx(rmst(MP_TIME, MP_EVENT, 23).estimate)
    assert records["rmst.PBO.est"] == pytest.approx(
        rmst(PLACEBO_TIME, PLACEBO_EVENT, 23).estimate)  # the row without AVAL is not used
    assert set(records) >= {f"rmst_diff.MP.{p}" for p in ("est", "se", "lcl", "ucl", "p")}
    assert not any(k.startswith("rmst_diff.PBO") for k in records)
    assert notes == []
    records = {s.key: s.value for s in rmst_records("t", groups, "PBO", 36, notes)}
    assert math.isnan(records["rmst.MP.est"]) and math.isnan(records["rmst_diff.MP.p"])
    assert notes == [f"RMST to 36, 6-MP: {BEYOND_LAST_TIME} (NE)."]
