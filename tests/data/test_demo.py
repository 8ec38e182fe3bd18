"""The demo-study simulator: deterministic, CDISC-shaped, internally consistent, and close to
the published MIROCALS design and results (reference/demo-study.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from pandas.testing import assert_frame_equal

from submission_kit.data.contracts import needs, require_dataset
from submission_kit.data.demo import DATASET_LABELS, VARIABLE_LABELS, simulate_study
from submission_kit.data.io import read_dataset, write_dataset
from submission_kit.errors import UserError

NAMES = ["adsl", "adtte", "adqs", "adae", "adlb", "adex"]


@pytest.fixture(scope="module")
def study() -> dict[str, pd.DataFrame]:
    return simulate_study()


@pytest.fixture(scope="module")
def large() -> dict[str, pd.DataFrame]:
    """The scale-test dataset (its simulation time is measured by bench/run.py)."""
    return simulate_study(subjects=10000)


def _os(study: dict[str, pd.DataFrame]) -> pd.DataFrame:
    os_ = study["adtte"][study["adtte"]["PARAMCD"] == "OS"]
    return os_.assign(EVENT=1 - os_["CNSR"], HIGH=os_["PNFHGR1"].str.startswith("High").astype(int))


def _cox_hr(frame: pd.DataFrame, covariates: list[str]) -> float:
    fitted = CoxPHFitter().fit(frame[["AVAL", "EVENT", *covariates]], "AVAL", "EVENT")
    return float(fitted.hazard_ratios_["TRTPN"])


# ---------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_datasets(study):
    again = simulate_study(220, 20170601)
    for name in NAMES:
        assert_frame_equal(again[name], study[name])


def test_another_seed_gives_other_data(study):
    other = simulate_study(seed=1)
    assert not other["adsl"]["AGE"].equals(study["adsl"]["AGE"])
    assert not other["adtte"]["AVAL"].equals(study["adtte"]["AVAL"])


@pytest.mark.parametrize("subjects", [0, -5, 2.5, True, "220"])
def test_subject_count_must_be_a_positive_whole_number(subjects):
    with pytest.raises(UserError, match="subjects"):
        simulate_study(subjects=subjects)


# ---------------------------------------------------------------------------- structure


def test_datasets_carry_the_declared_variables_in_order(study):
    assert list(study) == NAMES
    assert list(DATASET_LABELS) == NAMES
    for name in NAMES:
        assert list(study[name].columns) == list(VARIABLE_LABELS[name])
        assert study[name].index.equals(pd.RangeIndex(len(study[name])))


def test_names_labels_and_values_fit_sas_transport_v5(study):
    assert all(len(label) <= 40 for label in DATASET_LABELS.values())
    for name, frame in study.items():
        for var, label in VARIABLE_LABELS[name].items():
            assert len(var) <= 8 and var == var.upper(), var
            assert 0 < len(label) <= 40, (name, var)
        for var in frame.columns:
            column = frame[var]
            if column.dtype == object:
                values = column.dropna()
                assert values.map(type).eq(str).all(), (name, var)
                assert values.str.len().max() <= 200, (name, var)
            else:
                assert column.dtype.kind in "ifM", (name, var, column.dtype)


def test_dates_are_whole_days(study):
    for name, frame in study.items():
        for var in frame.columns[frame.dtypes == "datetime64[ns]"]:
            dates = frame[var].dropna()
            assert (dates == dates.dt.normalize()).all(), (name, var)
    assert study["adsl"]["RANDDT"].between("2017-06-01", "2019-10-31").all()
    assert study["adtte"]["ADT"].max() <= pd.Timestamp("2021-09-30")


def test_one_adsl_row_per_subject_and_no_orphans(study):
    adsl = study["adsl"]
    assert adsl["USUBJID"].is_unique and len(adsl) == 220
    assert adsl["USUBJID"].str.fullmatch(r"MIROCALS-SIM-\d{3}-\d{4}").all()
    assert adsl["SITEID"].nunique() == 17
    for name in NAMES[1:]:
        assert study[name]["USUBJID"].isin(adsl["USUBJID"]).all(), name
    tte = study["adtte"]
    assert tte.groupby("PARAMCD")["USUBJID"].nunique().to_dict() == {"DTNIV": 220, "OS": 220}
    safety = set(adsl.loc[adsl["SAFFL"] == "Y", "USUBJID"])
    for name in ("adae", "adlb", "adex"):
        assert set(study[name]["USUBJID"]) <= safety, name
    assert study["adex"].groupby("PARAMCD").size().eq(len(safety)).all()


def test_flags_follow_adam_conventions(study):
    adsl = study["adsl"]
    for flag in ("ITTFL", "SAFFL", "EFFFL", "RILUFL"):
        assert set(adsl[flag]) <= {"Y", "N"}, flag
    assert (adsl["ITTFL"] == "Y").all()
    assert (adsl["SAFFL"] == "N").sum() == 2  # "a couple" never treated
    untreated = adsl["SAFFL"] == "N"
    assert adsl.loc[untreated, ["TRT01A", "TRTSDT", "TRTEDT"]].isna().all().all()
    treated = adsl[~untreated]
    assert (treated["TRTSDT"] == treated["RANDDT"]).all()
    assert (treated["TRTEDT"] >= treated["TRTSDT"]).all()
    assert (treated["TRTEDT"] <= treated["LSTALVDT"]).all()
    assert set(adsl["DTHFL"].dropna()) == {"Y"}
    assert set(study["adqs"]["ABLFL"].dropna()) == {"Y"}
    assert (study["adae"]["TRTEMFL"] == "Y").all()


# ---------------------------------------------------------------------------- randomisation


def test_default_study_has_110_per_arm(study):
    adsl = study["adsl"]
    assert adsl["TRT01P"].value_counts().to_dict() == {"Placebo": 110, "IL-2LD": 110}
    assert (adsl["TRT01P"] == adsl["ARM"]).all()
    assert adsl.groupby("TRT01P")["TRT01PN"].first().to_dict() == {"IL-2LD": 1, "Placebo": 0}


@pytest.mark.parametrize("subjects", [1, 2, 7, 33, 221, 1000])
def test_arms_are_balanced_at_any_size(subjects):
    counts = simulate_study(subjects=subjects, seed=7)["adsl"]["TRT01PN"].value_counts()
    assert counts.sum() == subjects
    assert counts.max() - counts.reindex([0, 1], fill_value=0).min() <= subjects % 2


# ---------------------------------------------------------------------------- consistency


def test_deaths_agree_between_adsl_and_adtte(study):
    adsl = study["adsl"].set_index("USUBJID")
    os_ = _os(study).set_index("USUBJID")
    died = adsl["DTHFL"].eq("Y")
    assert died.equals(os_["EVENT"].eq(1).reindex(adsl.index))
    assert (adsl.loc[died, "DTHDT"] == os_.loc[died[died].index, "ADT"]).all()
    assert adsl["DTHDT"].notna().equals(died)
    assert adsl["DCSREAS"].eq("Death").equals(died)
    assert (adsl.loc[died, "EOSSTT"] == "DISCONTINUED").all()
    assert adsl["EOSSTT"].eq("COMPLETED").equals(adsl["DCSREAS"].isna())
    fatal = study["adae"].loc[study["adae"]["AEOUT"] == "FATAL", "USUBJID"]
    assert set(fatal) == set(adsl.index[died & adsl["SAFFL"].eq("Y")])
    assert fatal.is_unique


def test_time_to_event_values(study):
    tte = study["adtte"]
    assert set(tte["CNSR"]) == {0, 1} and tte["CNSR"].dtype.kind == "i"
    days = (tte["ADT"] - tte["STARTDT"]).dt.days + 1
    assert (tte["AVAL"] == days).all()
    assert tte["AVAL"].between(1, 640).all()
    assert tte["EVNTDESC"].notna().equals(tte["CNSR"] == 0)
    assert tte["CNSDTDSC"].notna().equals(tte["CNSR"] == 1)
    wide = tte.pivot(index="USUBJID", columns="PARAMCD", values="AVAL")
    assert (wide["DTNIV"] <= wide["OS"]).all()
    assert (_os(study).query("CNSR == 1")["AVAL"] <= 640).all()
    adsl = study["adsl"].set_index("USUBJID")
    os_ = _os(study).set_index("USUBJID").reindex(adsl.index)
    assert (os_["ADT"] == adsl["LSTALVDT"]).all()


def test_no_visit_after_death_or_last_contact(study):
    adsl = study["adsl"].set_index("USUBJID")
    for name, var in (("adqs", "ADT"), ("adlb", "ADT"), ("adae", "ASTDT")):
        frame = study[name]
        death = frame["USUBJID"].map(adsl["DTHDT"])
        last = frame["USUBJID"].map(adsl["LSTALVDT"])
        assert not (frame[var] > last).any(), name
        if name != "adae":
            assert not (frame[var] >= death).any(), name


def test_alsfrs_domains_sum_to_total_within_bounds(study):
    adqs = study["adqs"]
    wide = adqs.pivot(index=["USUBJID", "AVISITN"], columns="PARAMCD", values="AVAL")
    domains = wide[["ALSFRSB", "ALSFRSF", "ALSFRSG", "ALSFRSR"]]
    assert (domains.sum(axis=1) == wide["ALSFRST"]).all()
    assert domains.stack().between(0, 12).all() and wide["ALSFRST"].between(0, 48).all()
    assert (adqs["AVAL"] == adqs["AVAL"].round()).all()
    assert set(adqs["AVISITN"]) == set(range(22))
    base = adqs[adqs["ABLFL"] == "Y"]
    assert (base["AVISITN"] == 0).all() and (base["AVAL"] == base["BASE"]).all()
    post = adqs[adqs["AVISITN"] > 0]
    assert (post["CHG"] == post["AVAL"] - post["BASE"]).all()
    total = base[base["PARAMCD"] == "ALSFRST"].set_index("USUBJID")["AVAL"]
    adsl = study["adsl"].set_index("USUBJID")
    assert (total.reindex(adsl.index) == adsl["ALSFRSBL"]).all()


def test_labs_and_exposure_are_consistent(study):
    adlb = study["adlb"]
    assert set(adlb["AVISITN"]) == {0, 3, 6, 9, 12, 15, 18}
    expected = np.select(
        [adlb["AVAL"] < adlb["ANRLO"], adlb["AVAL"] > adlb["ANRHI"]], ["LOW", "HIGH"], "NORMAL"
    )
    assert (adlb["ANRIND"] == expected).all()
    assert adlb["PARCAT1"].groupby(adlb["PARAMCD"]).nunique().eq(1).all()
    wide = study["adex"].pivot(index="USUBJID", columns="PARAMCD", values="AVAL")
    arm = study["adsl"].set_index("USUBJID")["TRT01PN"].reindex(wide.index)
    assert wide["NCYCLES"].between(1, 19).all()
    assert (wide["TOTDOSE"] == 2 * 5 * wide["NCYCLES"] * arm).all()
    assert wide["COMPL"].between(0, 100, inclusive="right").all()


def test_adverse_events(study):
    adae = study["adae"]
    expected_seq = adae.groupby("USUBJID").cumcount() + 1
    assert (adae["AESEQ"] == expected_seq).all()
    assert not (adae["AENDT"] < adae["ASTDT"]).any()
    assert (adae["ASTDY"] >= 1).all()
    assert adae["AENDT"].isna().equals(adae["AEOUT"] == "NOT RECOVERED/NOT RESOLVED")
    assert set(adae["AESEV"]) == {"MILD", "MODERATE", "SEVERE"}
    subjects = adae.drop_duplicates(["USUBJID", "AEDECOD"])
    incidence = pd.crosstab(subjects["AEDECOD"], subjects["TRTA"])
    for term in ("Injection site reaction", "Injection site erythema", "Influenza like illness"):
        assert incidence.loc[term, "IL-2LD"] > 2 * incidence.loc[term, "Placebo"], term
    serious = adae.loc[adae["AESER"] == "Y", "AEDECOD"].value_counts()
    assert serious.index[0] == "Respiratory failure"


# ---------------------------------------------------------------------------- calibration


def test_baseline_resembles_the_published_population(study):
    adsl = study["adsl"]
    assert adsl["AGE"].between(18, 76).all() and 57 <= adsl["AGE"].median() <= 63
    assert 0.55 <= (adsl["SEX"] == "M").mean() <= 0.70
    assert 0.07 <= (adsl["DIAGCAT"] == "Possible").mean() <= 0.15
    assert 0.22 <= (adsl["ONSET"] == "Bulbar").mean() <= 0.38
    assert set(adsl["COUNTRY"]) == {"FRA", "GBR"}
    assert (adsl["SVCBL"] >= 70).all()
    assert 36 <= adsl["ALSFRSBL"].mean() <= 40 and adsl["ALSFRSBL"].between(0, 48).all()
    assert (adsl["PNFHBL"] <= 3700).mean() == pytest.approx(0.75, abs=0.02)
    assert (adsl["PNFHGR1N"] == 2).equals(adsl["PNFHBL"] > 3700)


def test_survival_figures_of_the_default_demo(study):
    """What the default demo shows (n=220, seed 20170601), computed with lifelines. Published
    MIROCALS: 49 vs 41 deaths, unadjusted HR 0.81 (p=0.33), ~0.5 low/moderate pNFH, ~1.3 high."""
    os_ = _os(study)
    assert os_.groupby("TRTP")["EVENT"].sum().to_dict() == {"Placebo": 47, "IL-2LD": 40}
    low, high = os_[os_["HIGH"] == 0], os_[os_["HIGH"] == 1]
    assert _cox_hr(os_, ["TRTPN"]) == pytest.approx(0.81, abs=0.005)
    assert _cox_hr(low, ["TRTPN"]) == pytest.approx(0.58, abs=0.005)
    assert _cox_hr(high, ["TRTPN"]) == pytest.approx(1.39, abs=0.005)
    # With about half the deaths in the high stratum, adjusting for it moves the HR towards 1.
    assert _cox_hr(os_, ["TRTPN", "HIGH"]) == pytest.approx(0.88, abs=0.005)


def _slopes(study: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per-subject least-squares slope of the ALSFRS-R total, points per month."""
    qs = study["adqs"][study["adqs"]["PARAMCD"] == "ALSFRST"]
    x = qs["ADY"] / 30.4375
    g = pd.DataFrame({"USUBJID": qs["USUBJID"], "x": x, "y": qs["AVAL"], "xy": x * qs["AVAL"]})
    g["xx"] = x * x
    s = g.groupby("USUBJID").agg(n=("x", "size"), x=("x", "sum"), y=("y", "sum"),
                                 xy=("xy", "sum"), xx=("xx", "sum"))  # fmt: skip
    s = s[s["n"] >= 3]
    slope = (s["n"] * s["xy"] - s["x"] * s["y"]) / (s["n"] * s["xx"] - s["x"] ** 2)
    adsl = study["adsl"].set_index("USUBJID")
    return pd.DataFrame({"slope": slope}).join(adsl[["TRT01P", "PNFHGR1N"]])


def test_alsfrs_decline_of_the_default_demo(study):
    """About -1 point/month on placebo; IL-2LD ~23% slower in the low/moderate pNFH stratum."""
    slopes = _slopes(study)
    median = slopes.groupby("TRT01P")["slope"].median()
    assert median["Placebo"] == pytest.approx(-0.96, abs=0.005)
    low = slopes[slopes["PNFHGR1N"] == 1].groupby("TRT01P")["slope"].median()
    assert low["IL-2LD"] / low["Placebo"] == pytest.approx(0.77, abs=0.005)


def test_tregs_rise_on_il2_only(study):
    treg = study["adlb"][study["adlb"]["PARAMCD"] == "TREG"]
    mean = treg[treg["AVISITN"].between(3, 12)].groupby("TRTP")["CHG"].mean()
    assert mean["IL-2LD"] > 2.0 and abs(mean["Placebo"]) < 0.5


# ---------------------------------------------------------------------------- scale


def test_ten_thousand_subjects_keep_the_design(study, large):
    data = large
    adsl = data["adsl"]
    assert len(adsl) == 10000 and adsl["USUBJID"].is_unique
    assert adsl["TRT01P"].value_counts().to_dict() == {"Placebo": 5000, "IL-2LD": 5000}
    per_subject = {name: len(frame) / len(study["adsl"]) for name, frame in study.items()}
    for name, frame in data.items():
        assert len(frame) / 10000 == pytest.approx(per_subject[name], rel=0.1), name
    deaths = _os(data).groupby("TRTP")["EVENT"].mean() * 110
    assert deaths["Placebo"] == pytest.approx(47, abs=3)
    assert deaths["IL-2LD"] == pytest.approx(40, abs=3)
    assert (adsl["PNFHGR1N"] == 2).mean() == pytest.approx(0.25, abs=0.01)


# ---------------------------------------------------------------------------- files


def _write_and_read(frame: pd.DataFrame, name: str, path: Path) -> pd.DataFrame:
    write_dataset(frame, path, VARIABLE_LABELS[name], DATASET_LABELS[name])
    return read_dataset(path)


@pytest.mark.parametrize("fmt", ["xpt", "parquet"])
def test_round_trip_through_files(study, tmp_path, fmt):
    for name, frame in study.items():
        back = _write_and_read(frame, name, tmp_path / f"{name}.{fmt}")
        # SAS transport has one numeric type, so integers come back as floats.
        assert_frame_equal(back, frame, check_dtype=False)
        for var in frame.columns[frame.dtypes == "datetime64[ns]"]:
            assert back[var].dtype.kind == "M", (fmt, name, var)


def test_round_trip_through_csv_values(study, tmp_path):
    """CSV holds the values; the data contract types them (see the test below)."""
    for name, frame in study.items():
        back = _write_and_read(frame, name, tmp_path / f"{name}.csv")
        for var in frame.columns:
            if frame[var].dtype.kind == "M":
                back[var] = pd.to_datetime(back[var])
            elif frame[var].dtype == object:
                text = back[var].astype(str).astype(object)
                back[var] = text.where(back[var].notna(), None)
        assert_frame_equal(back, frame, check_dtype=False)


def test_csv_types_come_back_through_the_data_contract(study, tmp_path):
    """CSV carries no types: the variables an output declares (date, char, num) type the
    columns again when the data are checked, so dates and codes such as SITEID survive."""
    frame = study["adsl"]
    path = tmp_path / "adsl.csv"
    back = _write_and_read(frame, "adsl", path)
    kinds = [f"{c}:date" if frame[c].dtype.kind == "M" else
             f"{c}:char" if frame[c].dtype == object else f"{c}:num" for c in frame.columns]
    typed = require_dataset(back, needs("adsl", *kinds), path)
    assert_frame_equal(typed, frame, check_dtype=False)
