"""Degenerate survival data: every analysis returns NaN plus a reason (DESIGN §3, "Not estimable
is a result"), never raises, never returns inf, and logs the problem.

Where a number is still expected it is checked against an identity that holds exactly:
- a stratum that holds one arm adds nothing to the log-rank U and V, so the stratified test
  equals the test on the other strata alone;
- a two-valued term with no events at one value has a monotone likelihood (its coefficient tends
  to -inf, or +inf when the other value has none): those subjects' weight exp(b) tends to 0 in
  every risk set while they contribute no event, so the other terms' limit is the fit without
  them (Bryson & Johnson 1981, "The incidence of monotone likelihood in the Cox model",
  Technometrics 23:381-383).
"""

import dataclasses
import logging
import math

import numpy as np
import pandas as pd
import pytest

from submission_kit.analysis.cox import cox_regression
from submission_kit.analysis.survival import (
    kaplan_meier,
    logrank,
    median_survival,
    survival_at,
)


def _no_inf(result) -> None:
    """No field of a result (or of its terms) is ±inf."""
    values = dataclasses.asdict(result)
    for term in values.pop("terms", []):
        values.update({f"{term['name']}.{k}": v for k, v in term.items()})
    for key, value in values.items():
        if isinstance(value, float):
            assert not math.isinf(value), key


# --- Kaplan-Meier ---

def test_km_with_no_subjects_is_an_empty_curve():
    curve = kaplan_meier(np.array([]), np.array([]))
    assert (curve.times, curve.survival, curve.n, curve.n_events) == ((), (), 0, 0)
    median = median_survival(curve)
    assert all(math.isnan(v) for v in (median.median, median.lower, median.upper))
    assert median.note == "no subjects"
    at = survival_at(curve, 10)
    assert math.isnan(at.survival) and at.note == "no subjects"


def test_km_all_censored_median_not_reached():
    curve = kaplan_meier(np.array([3.0, 5.0, 8.0]), np.array([0, 0, 0]))
    assert curve.survival == (1.0, 1.0, 1.0, 1.0)
    median = median_survival(curve)
    assert math.isnan(median.median) and median.note == "median not reached"
    assert survival_at(curve, 4) == survival_at(curve, 4.0)  # S = 1, CI collapses to (1, 1)
    assert (survival_at(curve, 4).survival, survival_at(curve, 4).note) == (1.0, "")


def test_km_single_subject_with_event():
    curve = kaplan_meier(np.array([5.0]), np.array([1]))
    median = median_survival(curve)
    assert median.median == 5.0  # S drops from 1 to 0 at t = 5
    # log(-log S) is undefined at S = 0, so are the limits there (as R's survfit gives NA)
    assert math.isnan(median.lower) and math.isnan(median.upper)
    assert median.note == ("lower confidence limit not estimable; "
                           "upper confidence limit not estimable")
    assert survival_at(curve, 7).survival == 0.0  # after the curve reached 0 it stays 0


def test_km_single_censored_subject():
    curve = kaplan_meier(np.array([5.0]), np.array([0]))
    assert median_survival(curve).note == "median not reached"
    beyond = survival_at(curve, 6)
    assert math.isnan(beyond.survival) and beyond.note == "beyond the last observed time"
    assert survival_at(curve, -1).survival == 1.0  # before time 0


# --- log-rank ---

@pytest.mark.parametrize(
    ("time", "event", "group", "note"),
    [
        ([], [], [], "no subjects"),
        ([1.0, 2.0, 3.0], [1, 1, 0], ["A", "A", "A"], "fewer than two arms with subjects"),
        ([1.0, 2.0, 3.0, 4.0], [0, 0, 0, 0], ["A", "B", "A", "B"], "no events"),
        # events only after the other arm has left: never two arms at risk together
        ([1.0, 2.0, 5.0, 6.0], [0, 0, 1, 1], ["A", "A", "B", "B"],
         "no event with two or more arms at risk in the same stratum"),
    ],
)
def test_logrank_not_estimable(time, event, group, note, caplog):
    with caplog.at_level(logging.WARNING, logger="submission_kit.analysis"):
        result = logrank(np.array(time), np.array(event), np.array(group))
    assert math.isnan(result.chisq) and math.isnan(result.p)
    assert (result.df, result.note) == (0, note)
    assert note in caplog.text


def test_logrank_every_stratum_with_one_arm_is_not_estimable():
    result = logrank(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 1, 1, 1]),
                     np.array(["A", "A", "B", "B"]), strata=np.array([1, 1, 2, 2]))
    assert result.note == "no event with two or more arms at risk in the same stratum"


def test_logrank_stratum_with_one_arm_contributes_nothing():
    rng = np.random.default_rng(5)
    time = np.round(rng.exponential(10, 60), 1) + 0.1
    event = (rng.uniform(size=60) < 0.8).astype(int)
    group = np.tile(["A", "B"], 30)
    alone = np.r_[time, [3.0, 4.0, 9.0]], np.r_[event, [1, 1, 0]]  # a stratum of arm A only
    stratified = logrank(alone[0], alone[1], np.r_[group, ["A", "A", "A"]],
                         strata=np.r_[np.zeros(60), np.ones(3)])
    assert stratified.chisq == pytest.approx(logrank(time, event, group).chisq, rel=1e-12)
    assert (stratified.df, stratified.note) == (1, "")


def test_logrank_arm_without_subjects_drops_out():
    time = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    event = np.array([1, 1, 0, 1, 1, 0])
    group = np.array(["A", "B", "A", "B", "A", "B"])
    three = logrank(time, event, group, groups=["A", "B", "C"])
    two = logrank(time, event, group)
    assert (three.chisq, three.df, three.note) == (two.chisq, 1, "")
    assert three.groups == ("A", "B")
    with pytest.raises(ValueError, match="outside groups"):
        logrank(time, event, group, groups=["A", "C"])  # a caller's bug, not the data's


# --- Cox ---

def _three_arms(events_b: bool = True, events_a: bool = True) -> pd.DataFrame:
    """Arms A (reference), B, C with interleaved follow-up; events in every arm unless turned
    off, so none of the arms is separated by accident."""
    time = np.arange(1.0, 31.0)
    arm = np.tile(["A", "B", "C"], 10)
    event = np.tile([1, 1, 0, 0, 1, 1], 5)
    event = np.where(((arm == "B") & ~events_b) | ((arm == "A") & ~events_a), 0, event)
    return pd.DataFrame({"time": time, "event": event, "arm": arm,
                         "B": (arm == "B").astype(float), "C": (arm == "C").astype(float)})


def test_cox_no_events_every_term_not_estimable(caplog):
    frame = _three_arms().assign(event=0)
    with caplog.at_level(logging.WARNING, logger="submission_kit.analysis"):
        result = cox_regression(frame, "time", "event", ["B", "C"])
    assert result.note == "no events" and result.n_events == 0
    assert [t.note for t in result.terms] == ["no events", "no events"]
    assert all(math.isnan(t.hr) for t in result.terms)
    assert "no events" in caplog.text


def test_cox_no_subjects():
    result = cox_regression(_three_arms().iloc[:0], "time", "event", ["B", "C"])
    assert (result.n, result.note, result.term("B").note) == (0, "no subjects", "no subjects")


def test_cox_arm_without_events_is_not_estimable_and_the_other_arm_is_its_limit():
    frame = _three_arms(events_b=False)
    result = cox_regression(frame, "time", "event", ["B", "C"])
    b, c = result.term("B"), result.term("C")
    assert math.isnan(b.hr) and b.note == "no events in B"
    assert result.note.startswith("monotone likelihood (separation) for B")
    without_b = cox_regression(frame[frame["arm"] != "B"], "time", "event", ["C"]).term("C")
    assert (c.coef, c.se, c.note) == (pytest.approx(without_b.coef, rel=1e-12),
                                      pytest.approx(without_b.se, rel=1e-12), "")
    _no_inf(result)


def test_cox_reference_arm_without_events_two_arms():
    frame = _three_arms(events_a=False)
    frame = frame[frame["arm"] != "C"]
    result = cox_regression(frame, "time", "event", ["B"])
    assert math.isnan(result.term("B").hr)
    assert result.term("B").note == "all events in B"  # HR -> +inf
    assert result.note == "monotone likelihood (separation) for B"


def test_cox_reference_arm_without_events_three_arms_found_after_the_fit():
    """No single term has a level without events: the separation is along B + C jointly,
    found by R coxph's check (one more Newton step still large)."""
    result = cox_regression(_three_arms(events_a=False), "time", "event", ["B", "C"])
    assert [t.note for t in result.terms] == ["monotone likelihood (separation) for B",
                                              "monotone likelihood (separation) for C"]
    assert all(math.isnan(t.hr) for t in result.terms)
    _no_inf(result)


def test_cox_continuous_covariate_that_orders_the_events_is_separation():
    frame = pd.DataFrame({"time": np.arange(1.0, 21.0), "event": 1,
                          "score": np.arange(20.0, 0.0, -1.0)})  # highest score fails first
    result = cox_regression(frame, "time", "event", ["score"])
    assert result.term("score").note == "monotone likelihood (separation) for score"
    assert math.isnan(result.term("score").coef)


def test_cox_covariate_level_without_events_leaves_the_arm_estimable():
    frame = _three_arms()
    frame = frame[frame["arm"] != "C"].assign(male=np.tile([0.0, 0.0, 1.0, 1.0], 5))
    frame.loc[frame["male"] == 1, "event"] = 0
    result = cox_regression(frame, "time", "event", ["B", "male"])
    assert result.term("male").note == "no events in male"
    females = cox_regression(frame[frame["male"] == 0], "time", "event", ["B"]).term("B")
    assert result.term("B").coef == pytest.approx(females.coef, rel=1e-12)
    assert result.term("B").note == ""


def test_cox_terms_that_cannot_be_identified():
    age = np.random.default_rng(2).integers(40, 70, 30).astype(float)
    frame = _three_arms().assign(age=age, twice=2 * age, site=np.tile([1, 1, 1, 2, 2, 2], 5))
    frame["site2"] = (frame["site"] == 2).astype(float)
    frame["D"] = 0.0  # an arm with no subjects
    result = cox_regression(frame, "time", "event", ["B", "C", "D", "age", "twice", "site2"],
                            strata=["site"])
    assert result.term("D").note == "no subjects in D"
    assert result.term("twice").note == "twice is collinear with other terms"
    assert result.term("site2").note == "site2 does not vary within strata"
    reduced = cox_regression(frame, "time", "event", ["B", "C", "age"], strata=["site"])
    for name in ("B", "C", "age"):
        assert result.term(name).coef == pytest.approx(reduced.term(name).coef, rel=1e-12)


def test_cox_stratum_with_one_arm_contributes_nothing():
    frame = _three_arms()
    frame = frame[frame["arm"] != "C"].assign(stratum=1)
    extra = pd.DataFrame({"time": [2.5, 7.5, 9.5], "event": [1, 1, 0], "arm": "A", "B": 0.0,
                          "C": 0.0, "stratum": 2})
    both = cox_regression(pd.concat([frame, extra]), "time", "event", ["B"],
                          strata=["stratum"]).term("B")
    alone = cox_regression(frame, "time", "event", ["B"]).term("B")
    assert both.coef == pytest.approx(alone.coef, rel=1e-12)
    assert both.se == pytest.approx(alone.se, rel=1e-12)


@pytest.mark.parametrize(("event", "note"), [([1], "no subjects in B"), ([0], "no events")])
def test_cox_single_subject(event, note):
    frame = pd.DataFrame({"time": [4.0], "event": event, "B": [0.0]})
    term = cox_regression(frame, "time", "event", ["B"]).term("B")
    assert math.isnan(term.hr) and term.note == note


def test_cox_hazard_ratio_that_overflows_is_nan_not_inf():
    """A covariate in tiny units: coef = log HR / 1e-3 is finite, exp(coef) is not."""
    frame = _three_arms()
    frame = frame[frame["arm"] != "C"].assign(tiny=lambda f: f["B"] * 1e-3)
    frame.loc[frame["arm"] == "A", "event"] = np.tile([1, 0, 0, 0, 0], 2)
    term = cox_regression(frame, "time", "event", ["tiny"]).term("tiny")
    assert math.isfinite(term.coef) and term.coef > 710
    assert math.isnan(term.hr) and math.isnan(term.upper)
    assert term.note == "hazard ratio too large to represent"


def test_missing_values_are_the_callers_to_handle():
    """Dropping them inside the analysis would drop subjects silently (DESIGN §3)."""
    with pytest.raises(ValueError, match="missing values in time"):
        kaplan_meier(np.array([1.0, np.nan]), np.array([1, 0]))
    with pytest.raises(ValueError, match="missing values in time"):
        logrank(np.array([1.0, np.nan]), np.array([1, 0]), np.array(["A", "B"]))
    frame = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 0], "age": [50.0, np.nan]})
    with pytest.raises(ValueError, match="missing values in age"):
        cox_regression(frame, "time", "event", ["age"])
