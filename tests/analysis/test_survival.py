"""Survival statistics checked against published values and independent implementations.

Data sets:
- Freireich et al. (1963) 6-MP vs placebo remission times in acute leukaemia (the "gehan"
  data): Kaplan-Meier estimates and the log-rank statistic as published in Kleinbaum & Klein,
  Survival Analysis: A Self-Learning Text (3rd ed., 2012), chapter 2 (log-rank chi2 = 16.79).
- Rossi et al. recidivism data (shipped with lifelines as load_rossi): Cox coefficients and
  standard errors as published in Fox & Weisberg (2011), "Cox Proportional-Hazards Regression
  for Survival Data in R", appendix to An R Companion to Applied Regression (R coxph, Efron).
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from submission_kit.analysis.survival import (
    cox_regression,
    dummy_code,
    kaplan_meier,
    logrank,
    median_survival,
    survival_at,
)

# 6-MP arm: weeks in remission, 1 = relapse, 0 = censored.
MP_TIME = np.array([6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34,
                    35], dtype=float)
MP_EVENT = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0])
PLACEBO_TIME = np.array([1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22,
                         23], dtype=float)
PLACEBO_EVENT = np.ones(21, dtype=int)


def test_kaplan_meier_matches_published_6mp_estimates():
    curve = kaplan_meier(MP_TIME, MP_EVENT)
    published = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}
    for week, expected in published.items():
        assert survival_at(curve, week).survival == pytest.approx(expected, abs=5e-4)
    assert median_survival(curve).median == 23  # published median remission: 23 weeks
    assert median_survival(kaplan_meier(PLACEBO_TIME, PLACEBO_EVENT)).median == 8


def test_kaplan_meier_loglog_ci_matches_hand_computation_and_lifelines():
    from lifelines import KaplanMeierFitter

    curve = kaplan_meier(MP_TIME, MP_EVENT)
    at13 = survival_at(curve, 13)
    # Hand computation at t = 13: risk sets (21, 17, 15, 12) with deaths (3, 1, 1, 1).
    s = (18 / 21) * (16 / 17) * (14 / 15) * (11 / 12)
    greenwood = 3 / (21 * 18) + 1 / (17 * 16) + 1 / (15 * 14) + 1 / (12 * 11)
    z = stats.norm.ppf(0.975)
    se = math.sqrt(greenwood) / abs(math.log(s))
    lower = math.exp(-math.exp(math.log(-math.log(s)) + z * se))
    upper = math.exp(-math.exp(math.log(-math.log(s)) - z * se))
    assert at13.survival == pytest.approx(s, rel=1e-12)
    assert (at13.lower, at13.upper) == pytest.approx((lower, upper), rel=1e-12)
    kmf = KaplanMeierFitter().fit(MP_TIME, MP_EVENT)  # lifelines: exponential Greenwood
    ci = kmf.confidence_interval_.loc[13.0].to_numpy()
    assert (at13.lower, at13.upper) == pytest.approx(tuple(ci), rel=1e-9)


def test_survival_past_last_observation_is_not_estimable():
    curve = kaplan_meier(MP_TIME, MP_EVENT)
    assert math.isnan(survival_at(curve, 40).survival)
    assert survival_at(curve, 0).survival == 1.0


def test_logrank_matches_published_chisq():
    time = np.r_[MP_TIME, PLACEBO_TIME]
    event = np.r_[MP_EVENT, PLACEBO_EVENT]
    group = np.r_[np.zeros(21), np.ones(21)]
    result = logrank(time, event, group)
    assert result.chisq == pytest.approx(16.79, abs=0.005)
    assert result.df == 1
    assert result.p == pytest.approx(stats.chi2.sf(16.793, 1), rel=1e-3)


def _hand_stratified_logrank(time, event, group, strata):
    """O - E and hypergeometric variance for group 1, summed over strata (textbook form)."""
    o_minus_e = variance = 0.0
    for s in np.unique(strata):
        t, e, g = time[strata == s], event[strata == s], group[strata == s]
        for u in np.unique(t[e == 1]):
            at_risk = t >= u
            n, n1 = at_risk.sum(), (at_risk & (g == 1)).sum()
            d = ((t == u) & (e == 1)).sum()
            d1 = ((t == u) & (e == 1) & (g == 1)).sum()
            o_minus_e += d1 - d * n1 / n
            if n > 1:
                variance += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return o_minus_e**2 / variance


def test_stratified_logrank_matches_hand_computation():
    rng = np.random.default_rng(7)
    n = 300
    group = rng.integers(0, 2, n)
    strata = rng.integers(0, 3, n)
    time = np.round(rng.exponential(10 / (1 + 0.4 * group + 0.8 * strata)), 1) + 0.1
    event = (rng.uniform(size=n) < 0.8).astype(int)
    result = logrank(time, event, group, strata)
    expected = _hand_stratified_logrank(time, event, group, strata)
    assert result.chisq == pytest.approx(expected, rel=1e-9)
    assert result.p == pytest.approx(stats.chi2.sf(expected, 1), rel=1e-9)
    assert logrank(time, event, group).chisq != pytest.approx(expected, rel=1e-3)


def test_cox_matches_published_rossi_coefficients():
    from lifelines.datasets import load_rossi

    rossi = load_rossi()
    covariates = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    result = cox_regression(rossi, "week", "arrest", covariates)
    published = {  # Fox & Weisberg (2011), R coxph output: (coef, se)
        "fin": (-0.37942, 0.19138), "age": (-0.05744, 0.02200), "race": (0.31390, 0.30799),
        "wexp": (-0.14980, 0.21222), "mar": (-0.43370, 0.38187), "paro": (-0.08487, 0.19576),
        "prio": (0.09150, 0.02865),
    }
    for name, (coef, se) in published.items():
        term = result.term(name)
        assert term.coef == pytest.approx(coef, abs=5e-5)
        assert term.se == pytest.approx(se, abs=5e-5)
    fin = result.term("fin")
    assert fin.hr == pytest.approx(0.68426, abs=5e-5)  # published exp(coef)
    assert result.n == 432 and result.n_events == 114


def test_cox_matches_statsmodels_phreg_efron():
    import statsmodels.api as sm

    frame = pd.DataFrame({
        "time": np.r_[MP_TIME, PLACEBO_TIME],
        "event": np.r_[MP_EVENT, PLACEBO_EVENT],
        "placebo": np.r_[np.zeros(21), np.ones(21)],
    })
    ours = cox_regression(frame, "time", "event", ["placebo"]).term("placebo")
    model = sm.PHReg(frame["time"], frame[["placebo"]], status=frame["event"], ties="efron")
    fit = model.fit()
    assert ours.coef == pytest.approx(fit.params[0], rel=1e-5)
    assert ours.se == pytest.approx(fit.bse[0], rel=1e-4)
    assert ours.p == pytest.approx(fit.pvalues[0], rel=1e-3)
    lower, upper = np.exp(fit.conf_int()[0])
    assert (ours.lower, ours.upper) == pytest.approx((lower, upper), rel=1e-4)


def test_dummy_code_uses_first_level_as_reference():
    frame = pd.DataFrame({"ONSET": ["Limb", "Bulbar", "Limb"]})
    coded, names = dummy_code(frame, "ONSET")
    assert names == ["ONSET=Limb"]
    assert coded["ONSET=Limb"].tolist() == [1.0, 0.0, 1.0]
