"""Survival statistics checked against published values and independent implementations.

Data sets:
- Freireich et al. (1963) 6-MP vs placebo remission times in acute leukaemia (the "gehan"
  data): Kaplan-Meier estimates and the log-rank statistic as published in Kleinbaum & Klein,
  Survival Analysis: A Self-Learning Text (3rd ed., 2012), chapter 2 (log-rank chi2 = 16.79).
- Rossi et al. recidivism data (shipped with lifelines as load_rossi): Cox coefficients and
  standard errors as published in Fox & Weisberg (2011), "Cox Proportional-Hazards Regression
  for Survival Data in R", appendix to An R Companion to Applied Regression (R coxph, Efron).

Independent implementations: lifelines' CoxPHFitter (its own Efron Newton-Raphson, run here to
|step| < 1e-14 so that both sides sit at the MLE), lifelines' KaplanMeierFitter, statsmodels'
survdiff (log-rank). Rules for the KM median: R survival's quantile.survfit
(R/quantile.survfit.R, findq: "the average of the given x and the x value of the next jump
point, i.e., the usual midpoint rule used for medians", tolerance sqrt(.Machine$double.eps))
and SAS/STAT LIFETEST, "Breslow, Fleming-Harrington, and Kaplan-Meier Methods" ("If S(t) is
exactly equal to 0.5 from t_j to t_j+1, the median is taken to be (t_j + t_j+1)/2").
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from submission_kit.analysis.cox import cox_regression, dummy_code
from submission_kit.analysis.survival import (
    KMCurve,
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


def _lifelines_at_mle(frame, duration, event, strata=None):
    """lifelines' Efron fit, iterated until the Newton step is below 1e-14 (its defaults stop
    at a relative log-likelihood change of 1e-9, ~1e-8 short of the maximum)."""
    from lifelines import CoxPHFitter

    return CoxPHFitter().fit(frame, duration, event, strata=strata,
                             fit_options={"precision": 1e-14, "r_precision": 0.0})


def _assert_cox_agrees(ours, reference, names):
    z = stats.norm.ppf(0.975)
    for name in names:
        term, coef, se = ours.term(name), reference.params_[name], reference.standard_errors_[name]
        assert term.note == ""
        assert term.coef == pytest.approx(coef, rel=1e-8)
        assert term.se == pytest.approx(se, rel=1e-8)
        assert (term.hr, term.lower, term.upper) == pytest.approx(
            (math.exp(coef), math.exp(coef - z * se), math.exp(coef + z * se)), rel=1e-8)
        assert term.p == pytest.approx(reference.summary.loc[name, "p"], rel=1e-6)


def test_cox_reaches_the_mle_rossi():
    from lifelines.datasets import load_rossi

    rossi = load_rossi()
    covariates = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    ours = cox_regression(rossi, "week", "arrest", covariates)
    _assert_cox_agrees(ours, _lifelines_at_mle(rossi, "week", "arrest"), covariates)
    assert ours.note == ""


def test_cox_reaches_the_mle_stratified_adjusted_with_ties():
    rng = np.random.default_rng(11)
    n = 400
    frame = pd.DataFrame({"arm": rng.integers(0, 2, n).astype(float),
                          "age": rng.normal(60, 10, n).round(),
                          "sex": rng.integers(0, 2, n).astype(float),
                          "site": rng.integers(0, 4, n)})
    risk = -0.5 * frame["arm"] + 0.03 * (frame["age"] - 60) + 0.3 * frame["sex"]
    frame["days"] = np.ceil(rng.exponential(20 * np.exp(-risk)))  # whole days: many ties
    frame["event"] = (rng.uniform(size=n) < 0.75).astype(int)
    ours = cox_regression(frame, "days", "event", ["arm", "age", "sex"], strata=["site"])
    reference = _lifelines_at_mle(frame, "days", "event", strata=["site"])
    _assert_cox_agrees(ours, reference, ["arm", "age", "sex"])


def test_cox_freireich_matches_lifelines():
    frame = pd.DataFrame({
        "time": np.r_[MP_TIME, PLACEBO_TIME],
        "event": np.r_[MP_EVENT, PLACEBO_EVENT],
        "placebo": np.r_[np.zeros(21), np.ones(21)],
    })
    ours = cox_regression(frame, "time", "event", ["placebo"])
    _assert_cox_agrees(ours, _lifelines_at_mle(frame, "time", "event"), ["placebo"])


def test_dummy_code_uses_first_level_as_reference():
    frame = pd.DataFrame({"ONSET": ["Limb", "Bulbar", "Limb"]})
    coded, names = dummy_code(frame, "ONSET")
    assert names == ["ONSET=Limb"]
    assert coded["ONSET=Limb"].tolist() == [1.0, 0.0, 1.0]


def test_median_ci_matches_lifelines_first_crossing():
    """Brookmeyer-Crowley limits with the log(-log) transform = first times the pointwise
    log(-log) limits reach 0.5 (no plateau at 0.5 here); lifelines reports inf where we say
    "not reached"."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import qth_survival_times

    for time, event in ((MP_TIME, MP_EVENT), (PLACEBO_TIME, PLACEBO_EVENT)):
        ours = median_survival(kaplan_meier(time, event))
        fitted = KaplanMeierFitter().fit(time, event)
        lower, upper = qth_survival_times(0.5, fitted.confidence_interval_).to_numpy()[0]
        assert ours.lower == lower
        assert ours.upper == upper or (math.isnan(ours.upper) and upper == math.inf)
    mp = median_survival(kaplan_meier(MP_TIME, MP_EVENT))
    assert (mp.median, mp.lower, mp.note) == (23, 13, "upper confidence limit not reached")


@pytest.mark.parametrize(
    ("time", "event", "median", "why"),
    [
        ([1, 2, 3, 4], [1, 1, 1, 1], 2.5, "S = 0.5 on [2, 3): midpoint, the usual median"),
        (range(1, 21), [1] * 20, 10.5, "R's help example: 20 uncensored, S(10) = 10/20"),
        ([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 0], 4.0,
         "S = 0.5 from 3 to the next event at 5; the censoring at 4 is no step"),
        ([1, 3], [1, 0], 2.0, "curve ends at 0.5: midpoint of 1 and the last time 3 (R)"),
        ([9, 1, 1, 6, 6, 8, 10], [1, 1, 0, 1, 1, 0, 0], 9.0,
         "R survival tests/quantile.R, test1 data: quantile(fit1, .5) = 9"),
        ([1, 2, 3, 4, 5], [1, 1, 1, 1, 1], 3.0, "no plateau at 0.5: first time S <= 0.5"),
    ],
)
def test_median_midpoint_rule_when_the_curve_sits_at_one_half(time, event, median, why):
    result = median_survival(kaplan_meier(np.asarray(time, float), np.asarray(event)))
    assert result.median == median, why


def test_median_ci_limits_use_the_same_midpoint_rule():
    """A hand-made curve whose pointwise lower limit sits exactly at 0.5 from t=2 to the next
    step at t=5 (with a censoring at 3 in between): lower CL = (2 + 5) / 2."""
    curve = KMCurve(times=(0.0, 2.0, 3.0, 5.0, 8.0), survival=(1.0, 0.8, 0.8, 0.6, 0.4),
                    lower=(1.0, 0.5, 0.5, 0.3, 0.1), upper=(1.0, 0.95, 0.95, 0.8, 0.5),
                    at_risk=(4, 4, 3, 2, 1), events=(0, 1, 0, 1, 1), censored_times=(3.0,),
                    n=4, n_events=3)
    result = median_survival(curve)
    assert result.lower == 3.5
    assert result.median == 8.0  # no plateau: first time S <= 0.5
    assert result.upper == 8.0  # ends at 0.5: R's end rule, midpoint of 8 and the last time 8


def test_logrank_matches_statsmodels_survdiff_k_groups():
    from statsmodels.duration.survfunc import survdiff

    rng = np.random.default_rng(3)
    n = 500
    group = rng.integers(0, 4, n)
    strata = rng.integers(0, 3, n)
    time = np.round(rng.exponential(10 / (1 + 0.2 * group + 0.5 * strata)), 1) + 0.1
    event = (rng.uniform(size=n) < 0.7).astype(int)
    for kwargs in ({}, {"strata": strata}):
        expected_chisq, expected_p = survdiff(time, event, group, **kwargs)
        ours = logrank(time, event, group, kwargs.get("strata"))
        assert ours.chisq == pytest.approx(expected_chisq, rel=1e-9)
        assert ours.p == pytest.approx(expected_p, rel=1e-7)
        assert (ours.df, ours.note, ours.groups) == (3, "", ("0", "1", "2", "3"))


def test_tiny_p_value_is_not_zero():
    """chi2 ~ 370: 1 - cdf rounds to 0.0, the survival function does not."""
    time = np.r_[np.arange(1, 151.0), np.full(150, 200.0)]
    event = np.r_[np.ones(150), np.zeros(150)]
    result = logrank(time, event, np.r_[np.zeros(150), np.ones(150)])
    assert result.chisq > 200
    assert 1 - stats.chi2.cdf(result.chisq, 1) == 0.0
    assert result.p == stats.chi2.sf(result.chisq, 1) > 0
