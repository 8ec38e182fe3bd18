"""By-visit summaries, geometric statistics and the ANCOVA (analysis/longitudinal.py), each
against an independent computation: scipy.stats.gmean / gstd / sem / t, statsmodels OLS
(formula API, treatment coding) for the ANCOVA and its dose-response test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from submission_kit.analysis.longitudinal import (
    VisitSummaryDesign,
    ancova,
    summarize_geometric,
    visit_key,
    visit_summary_records,
)


def test_geometric_mean_cv_and_ci_match_scipy():
    x = np.array([3.2, 5.5, 7.1, 4.4, 12.0, 6.3, 8.8])
    g = summarize_geometric(x)
    assert g.gmean == pytest.approx(stats.gmean(x), rel=1e-13)
    s = math.log(stats.gstd(x))  # gstd = exp(SD of ln x), ddof=1
    assert g.gcv == pytest.approx(100 * math.sqrt(math.exp(s * s) - 1), rel=1e-12)
    half = stats.t.ppf(0.975, len(x) - 1) * s / math.sqrt(len(x))
    assert g.lcl == pytest.approx(stats.gmean(x) * math.exp(-half), rel=1e-12)
    assert g.ucl == pytest.approx(stats.gmean(x) * math.exp(half), rel=1e-12)
    assert (g.n, g.excluded) == (7, 0)


def test_geometric_statistics_leave_out_values_without_a_logarithm():
    g = summarize_geometric(pd.Series([2.0, 0.0, -1.0, 8.0, None]))
    assert (g.n, g.excluded) == (2, 2)
    assert g.gmean == pytest.approx(4.0)
    one = summarize_geometric([5.0])
    assert one.gmean == pytest.approx(5.0) and math.isnan(one.gcv) and math.isnan(one.lcl)
    none = summarize_geometric([])
    assert none.n == 0 and math.isnan(none.gmean)


def _records():
    rng = np.random.default_rng(11)
    rows = []
    for i in range(40):
        arm = "A" if i % 2 else "B"
        base = float(rng.integers(20, 40))
        rows.append((f"S{i}", arm, "Baseline", 0.0, base, base, math.nan, True, False))
        for visit, n in (("Month 3", 3.0), ("Month 6", 6.0)):
            if arm == "B" and visit == "Month 6":
                continue  # no data for arm B at Month 6: NE, never a crash
            value = base - n + float(rng.integers(-3, 4))
            rows.append((f"S{i}", arm, visit, n, value, base, value - base, False, False))
    return pd.DataFrame(rows, columns=["USUBJID", "ARM", "VISIT", "VISITN", "AVAL", "BASE",
                                       "CHG", "BASELINE", "IMPUTED"])


def test_visit_summaries_by_arm_with_an_empty_visit():
    data = _records()
    found, notes = visit_summary_records("t", "", data, VisitSummaryDesign(
        ("A", "B"), ("Month 3", "Month 6"), 0, geometric=True))
    got = {s.key: s.value for s in found}
    chg = data[(data["ARM"] == "A") & (data["VISIT"] == "Month 3")]["CHG"]
    assert got["chg.Month_3.A.mean"] == pytest.approx(chg.mean())
    assert got["chg.Month_3.A.se"] == pytest.approx(stats.sem(chg))
    aval = data[(data["ARM"] == "A") & (data["VISIT"] == "Month 3")]["AVAL"]
    assert got["aval.Month_3.A.gmean"] == pytest.approx(stats.gmean(aval))
    ratio = aval.to_numpy() / data.loc[aval.index, "BASE"].to_numpy()
    assert got["ratio.Month_3.A.gmean"] == pytest.approx(stats.gmean(ratio))
    assert got["aval.baseline.B.n"] == 20
    assert got["chg.Month_6.B.n"] == 0 and math.isnan(got["chg.Month_6.B.mean"])
    assert got["ratio.Month_6.B.n"] == 0 and math.isnan(got["ratio.Month_6.B.gmean"])
    assert notes == []


def test_visit_key_is_a_key_segment():
    assert visit_key("Month 3") == "Month_3"
    assert visit_key("Week 24 (LOCF)") == "Week_24_LOCF"


def _ancova_frame(n=90, seed=2):
    rng = np.random.default_rng(seed)
    arm = np.array(["P", "L", "H"])[np.arange(n) % 3]
    dose = pd.Series(arm).map({"P": 0.0, "L": 54.0, "H": 81.0}).to_numpy()
    site = np.array(["s1", "s2", "s3", "s4"])[rng.integers(0, 4, n)]
    base = rng.normal(25, 10, n)
    chg = 2 - 0.01 * dose + 0.05 * base + rng.normal(0, 5, n)
    return pd.DataFrame({"ARM": arm, "BASE": base, "CHG": chg, "SITE": site, "DOSE": dose})


def test_ancova_matches_statsmodels_ols():
    frame = _ancova_frame()
    found = ancova(frame, "CHG", ("P", "L", "H"), (("L", "P"), ("H", "P"), ("H", "L")),
                   ["SITE"], dose="DOSE")
    ref = smf.ols("CHG ~ C(ARM, Treatment('P')) + BASE + C(SITE)", frame).fit()
    for arm in ("L", "H"):
        term = f"C(ARM, Treatment('P'))[T.{arm}]"
        diff = found.diffs[(arm, "P")]
        assert diff.estimate == pytest.approx(ref.params[term], abs=1e-10)
        assert diff.se == pytest.approx(ref.bse[term], rel=1e-10)
        assert diff.p == pytest.approx(ref.pvalues[term], rel=1e-8)
        low, high = ref.conf_int().loc[term]
        assert diff.lower == pytest.approx(low, abs=1e-9)
        assert diff.upper == pytest.approx(high, abs=1e-9)
    assert found.df == ref.df_resid
    # LS mean: the prediction at the mean baseline, sites weighted equally.
    grid = pd.DataFrame({"ARM": "H", "BASE": frame["BASE"].mean(), "SITE": ["s1", "s2", "s3",
                                                                            "s4"]})
    assert found.lsmeans["H"].estimate == pytest.approx(ref.predict(grid).mean(), abs=1e-10)
    dose = smf.ols("CHG ~ DOSE + BASE + C(SITE)", frame).fit()
    assert found.dose_p == pytest.approx(dose.pvalues["DOSE"], rel=1e-8)


def test_ancova_arm_without_subjects_is_not_estimable():
    frame = _ancova_frame()
    frame = frame[frame["ARM"] != "H"]
    found = ancova(frame, "CHG", ("P", "L", "H"), (("L", "P"), ("H", "P")), [])
    assert found.n["H"] == 0 and found.note
    assert math.isnan(found.diffs[("H", "P")].estimate)
    assert math.isfinite(found.diffs[("L", "P")].estimate)
    empty = ancova(frame.iloc[:0], "CHG", ("P", "L"), (("L", "P"),), [])
    assert math.isnan(empty.lsmeans["P"].estimate) and empty.note


def test_ancova_without_baseline_matches_statsmodels_ols():
    """An outcome with no baseline (CIBIC+): treatment and site only; the frame's BASE column
    (here all missing, as the spec fills it) is never read."""
    frame = _ancova_frame().assign(VALUE=lambda f: f["CHG"] + f["BASE"], BASE=math.nan)
    found = ancova(frame, "VALUE", ("P", "L", "H"), (("L", "P"), ("H", "L")), ["SITE"],
                   dose="DOSE", baseline=False)
    ref = smf.ols("VALUE ~ C(ARM, Treatment('P')) + C(SITE)", frame).fit()
    diff = found.diffs[("L", "P")]
    term = "C(ARM, Treatment('P'))[T.L]"
    assert diff.estimate == pytest.approx(ref.params[term], abs=1e-10)
    assert diff.se == pytest.approx(ref.bse[term], rel=1e-10)
    assert diff.p == pytest.approx(ref.pvalues[term], rel=1e-8)
    assert found.df == ref.df_resid
    grid = pd.DataFrame({"ARM": "H", "SITE": ["s1", "s2", "s3", "s4"]})
    assert found.lsmeans["H"].estimate == pytest.approx(ref.predict(grid).mean(), abs=1e-10)
    dose = smf.ols("VALUE ~ DOSE + C(SITE)", frame).fit()
    assert found.dose_p == pytest.approx(dose.pvalues["DOSE"], rel=1e-8)


def test_visit_summaries_without_baseline_have_values_only():
    data = _records()
    found, _ = visit_summary_records("t", "", data, VisitSummaryDesign(
        ("A", "B"), ("Month 3",), 0, geometric=True, baseline=False))
    keys = {s.key for s in found}
    assert "aval.Month_3.A.mean" in keys and "aval.Month_3.A.gmean" in keys
    assert not [k for k in keys if k.startswith(("aval.baseline", "chg.", "ratio."))]
