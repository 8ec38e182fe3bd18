"""Adverse-event statistics, checked against independent computations and published values:

- counts: a direct computation written differently here (sets of subjects per row and arm);
- risk difference, Newcombe hybrid score interval:
  N98: Newcombe RG (1998), Stat Med 17:873-890, Table II, method 10 (examples a, b, d-h);
  F15: Fagerland MW, Lydersen S, Laake P (2015), Stat Methods Med Res 24:224-254: 7/34 vs
       1/34 -> 0.019 to 0.34 (as transcribed in statsmodels stats/tests/test_proportion.py,
       test_confint_2indep);
  SM:  statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb"), an
       independent implementation;
  by hand: Wilson limits from the closed form written out in the test;
- Fisher's exact test across three arms (k x 2): R 4.2.2 `stats::fisher.test` (Debian
  r-base-core 4.2.2.20221110-2), run on the CDISC pilot counts of Table 14-5.01 (Atorus
  replication, see tests/tables/test_ae_tables.py for the published pairwise values):
      fisher.test(matrix(c(65,77,76,21,7,8),3))$p.value   = 0.00564413216153
      fisher.test(matrix(c(2,7,8,84,77,76),3))$p.value    = 0.123513336237
      fisher.test(matrix(c(21,47,40,65,37,44),3))$p.value = 7.75559336286e-05
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from submission_kit.analysis.adverse_events import (
    ARM,
    AeDesign,
    alphabetical_order,
    count_rows,
    frequency_order,
    incidence_stats,
    missing_notes,
    newcombe_difference,
    overview_rows,
    rule_mask,
    severity_rows,
    soc_pt_rows,
    teae_records,
    wilson_interval,
)

A = "t_test"


def _records() -> pd.DataFrame:
    """Six subjects, two arms; subject 3 has two records of the same PT, subject 5 none."""
    rows = [
        ("S1", "A", "SKIN", "RASH", "MILD", "Y", "N"),
        ("S1", "A", "SKIN", "PRURITUS", "SEVERE", "Y", "N"),
        ("S2", "A", "GI", "NAUSEA", "MODERATE", "Y", "Y"),
        ("S3", "B", "SKIN", "RASH", "MILD", "Y", "N"),
        ("S3", "B", "SKIN", "RASH", "MODERATE", "Y", None),
        ("S4", "B", "GI", "NAUSEA", None, "Y", "N"),
        ("S4", "B", "GI", "VOMITING", "MILD", "N", "N"),  # not treatment-emergent
        ("S9", "B", "GI", "NAUSEA", "MILD", "Y", "N"),  # not in the population
    ]
    return pd.DataFrame(rows, columns=["USUBJID", "TRTA", "AEBODSYS", "AEDECOD", "AESEV",
                                       "TRTEMFL", "AESER"])


def _population() -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4", "S5", "S6"],
                         "TRT01A": ["Drug", "Drug", "Placebo", "Placebo", "Placebo", "Drug"]})


def _teae() -> pd.DataFrame:
    return teae_records(_population(), _records(), "TRT01A", {"Placebo": "PBO", "Drug": "ACT"},
                        "TRTEMFL")


DESIGN = AeDesign(arms=("PBO", "ACT"), big_n={"PBO": 3, "ACT": 3}, reference="PBO")


def _values(stats) -> dict:
    return {s.key: s.value for s in stats}


def test_teae_records_use_adsl_arms_and_drop_non_emergent_and_outsiders():
    teae = _teae()
    # ADSL's TRT01A wins over ADAE's TRTA (S1 is 'A' in ADAE, Drug in ADSL)
    assert dict(zip(teae["USUBJID"], teae[ARM], strict=False)) == {
        "S1": "ACT", "S2": "ACT", "S3": "PBO", "S4": "PBO"}
    assert len(teae) == 6 and "VOMITING" not in set(teae["AEDECOD"])


def test_subject_counted_once_per_row_events_counted_per_record():
    teae = _teae()
    rows = soc_pt_rows(A, teae, DESIGN, "AEBODSYS", "AEDECOD")
    v = _values(rows.stats)
    # independent: sets of subjects per (SOC, PT, arm)
    for (soc, pt, arm), group in teae.groupby(["AEBODSYS", "AEDECOD", ARM]):
        key = f"soc.{soc}.pt.{pt}.{arm}"
        assert v[f"{key}.n"] == len(set(group["USUBJID"]))
        assert v[f"{key}.events"] == len(group)
    assert v["soc.SKIN.pt.RASH.PBO.n"] == 1 and v["soc.SKIN.pt.RASH.PBO.events"] == 2
    assert v["any.ACT.n"] == 2 and v["any.TOTAL.n"] == 4 and v["any.TOTAL.events"] == 6
    assert v["any.PBO.pct"] == pytest.approx(200 / 3)
    assert v["soc.SKIN.TOTAL.n"] == 2  # S1 (two PTs) once, S3 once


def test_rows_sorted_by_descending_frequency_then_alphabetically():
    rows = soc_pt_rows(A, _teae(), DESIGN, "AEBODSYS", "AEDECOD")
    # GI: S2, S4 -> 2; SKIN: S1, S3 -> 2: a tie, alphabetical
    assert rows.levels["soc"] == ("GI", "SKIN")
    assert rows.levels["pt.SKIN"] == ("RASH", "PRURITUS")  # 2 subjects, then 1
    counts = {k[0]: c for k, c in count_rows(_teae(), ["AEDECOD"]).items()}
    # Total: NAUSEA 2 (S2, S4), RASH 2 (S1, S3), PRURITUS 1
    assert frequency_order(counts, "TOTAL") == ("NAUSEA", "RASH", "PRURITUS")
    assert alphabetical_order(list(counts)) == ("NAUSEA", "PRURITUS", "RASH")
    assert frequency_order(counts, "ACT") == ("NAUSEA", "PRURITUS", "RASH")  # 1 each: a-z
    assert frequency_order(counts, "PBO") == ("NAUSEA", "RASH", "PRURITUS")  # PRURITUS 0
    assert alphabetical_order(["b", "A", "a", "C"]) == ("A", "a", "b", "C")


def test_worst_severity_once_per_row_and_missing_ranked_lowest():
    rows = severity_rows(A, _teae(), DESIGN, "AEBODSYS", "AEDECOD", "AESEV",
                         ("MILD", "MODERATE", "SEVERE"))
    v = _values(rows.stats)
    # S3: RASH mild and moderate -> moderate only
    assert v["soc.SKIN.pt.RASH.sev.MODERATE.PBO.n"] == 1
    assert v["soc.SKIN.pt.RASH.sev.MILD.PBO.n"] == 0
    # S1: RASH mild, PRURITUS severe -> SKIN severe, any severe
    assert v["soc.SKIN.sev.SEVERE.ACT.n"] == 1 and v["any.sev.SEVERE.ACT.n"] == 1
    # S4: NAUSEA with no severity -> Missing (its only record)
    assert rows.levels["severity"] == ("MILD", "MODERATE", "SEVERE", "Missing")
    assert v["soc.GI.pt.NAUSEA.sev.Missing.PBO.n"] == 1
    # each row's grades add up to the row
    for key in ("any", "soc.SKIN", "soc.GI.pt.NAUSEA"):
        for arm in ("PBO", "ACT", "TOTAL"):
            grades = sum(v[f"{key}.sev.{g}.{arm}.n"] for g in rows.levels["severity"])
            assert grades == v[f"{key}.{arm}.n"]


def test_rules_and_or_and_missing_values():
    teae = _teae()
    assert list(rule_mask(teae, ({"AESER": ("Y",)},))) == [False, False, True, False, False,
                                                            False]
    both = ({"AEDECOD": ("RASH",), "AESEV": ("MILD",)},)
    either = ({"AEDECOD": ("NAUSEA",)}, {"AESEV": ("SEVERE",)})
    assert int(rule_mask(teae, both).sum()) == 2
    assert int(rule_mask(teae, either).sum()) == 3
    notes = missing_notes(teae, ({"AESER": ("Y",)},), "'serious'")
    assert notes == ["AESER is missing on 1 TEAE record(s); they do not count as 'serious' "
                     "(AESER = Y)."]
    rows = overview_rows(A, teae, DESIGN, [("serious", "Serious", ({"AESER": ("Y",)},)),
                                           ("either", "Either", either)])
    v = _values(rows.stats)
    assert (v["cat.any.TOTAL.n"], v["cat.serious.TOTAL.n"], v["cat.either.TOTAL.n"]) == (4, 1, 3)


def test_empty_arm_and_no_events_are_not_estimable_not_errors():
    design = AeDesign(arms=("PBO", "ACT"), big_n={"PBO": 0, "ACT": 3}, reference="PBO",
                      pvalue="pairwise")
    active = _teae()[_teae()[ARM] == "ACT"]  # no placebo subject in the population
    v = _values(incidence_stats(A, "any", "Any", count_rows(active, ()).get(()), design))
    assert v["any.PBO.n"] == 0 and v["any.ACT.n"] == 2
    assert math.isnan(v["any.PBO.pct"]) and math.isnan(v["any.p.ACT"])
    empty = _teae().iloc[0:0]
    rows = soc_pt_rows(A, empty, AeDesign(("PBO", "ACT"), {"PBO": 3, "ACT": 3},
                                          reference="PBO", pvalue="global"),
                       "AEBODSYS", "AEDECOD")
    v = _values(rows.stats)
    assert v["any.PBO.n"] == 0 and rows.levels["soc"] == () and math.isnan(v["any.p.all"])
    rd = newcombe_difference(2, 10, 0, 0)
    assert math.isnan(rd.estimate) and math.isnan(rd.lower)


@pytest.mark.parametrize(("events", "totals", "expected"), [
    ((65, 77, 76), (86, 84, 84), 0.00564413216153),  # R fisher.test, see module docstring
    ((2, 7, 8), (86, 84, 84), 0.123513336237),
    ((21, 47, 40), (86, 84, 84), 7.75559336286e-05),
])
def test_global_fisher_across_three_arms_matches_r(events, totals, expected):
    design = AeDesign(("PBO", "LOW", "HIGH"), dict(zip(("PBO", "LOW", "HIGH"), totals,
                                                       strict=True)), pvalue="global")
    counts = count_rows(pd.DataFrame({
        "USUBJID": [f"{arm}{i}" for arm, n in zip(design.arms, events, strict=True)
                    for i in range(n)],
        ARM: [arm for arm, n in zip(design.arms, events, strict=True) for _ in range(n)]}), ())
    v = _values(incidence_stats(A, "any", "Any", counts[()], design))
    assert v["any.p.all"] == pytest.approx(expected, rel=1e-9)


def _wilson_by_hand(x: int, n: int) -> tuple[float, float]:
    """Wilson (1927) score limits: roots of (p - x/n)^2 = z^2 p (1 - p) / n."""
    z = 1.959963984540054
    a = 1 + z * z / n
    b = -(2 * x / n + z * z / n)
    c = (x / n) ** 2
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


@pytest.mark.parametrize(("x", "n"), [(0, 10), (3, 10), (10, 10), (26, 84), (5, 86)])
def test_wilson_interval_by_hand(x, n):
    assert wilson_interval(x, n) == pytest.approx(_wilson_by_hand(x, n), abs=1e-12)


@pytest.mark.parametrize(("case", "expected"), [
    ((56, 70, 48, 80), (0.0524, 0.3339)),  # N98 (a)
    ((9, 10, 3, 10), (0.1705, 0.8090)),  # N98 (b)
    ((5, 56, 0, 29), (-0.0381, 0.1926)),  # N98 (d)
    ((0, 10, 0, 20), (-0.1611, 0.2775)),  # N98 (e)
    ((0, 10, 0, 10), (-0.2775, 0.2775)),  # N98 (f)
    ((10, 10, 0, 20), (0.6791, 1.0000)),  # N98 (g)
    ((10, 10, 0, 10), (0.6075, 1.0000)),  # N98 (h)
])
def test_newcombe_matches_published_table(case, expected):
    rd = newcombe_difference(*case)
    assert (round(rd.lower, 4), round(rd.upper, 4)) == expected


def test_newcombe_matches_fagerland_and_statsmodels():
    rd = newcombe_difference(7, 34, 1, 34)
    assert (round(rd.lower, 3), round(rd.upper, 2)) == (0.019, 0.34)  # F15
    for case in [(7, 34, 1, 34), (26, 84, 8, 86), (5, 84, 0, 86), (4, 84, 9, 86),
                 (0, 84, 0, 86), (84, 84, 0, 86)]:
        rd = newcombe_difference(*case)
        low, high = confint_proportions_2indep(*case, method="newcomb", compare="diff")
        assert (rd.lower, rd.upper) == pytest.approx((low, high), abs=1e-10)  # SM
        assert rd.estimate == pytest.approx(case[0] / case[1] - case[2] / case[3])


def test_newcombe_by_hand_from_wilson_limits():
    """The square-and-add combination written out from the hand Wilson limits."""
    x1, n1, x2, n2 = 5, 84, 0, 86  # CDISC pilot BLISTER: low dose vs placebo
    l1, u1 = _wilson_by_hand(x1, n1)
    l2, u2 = _wilson_by_hand(x2, n2)
    d = x1 / n1 - x2 / n2
    rd = newcombe_difference(x1, n1, x2, n2)
    assert rd.lower == pytest.approx(d - math.hypot(x1 / n1 - l1, u2 - x2 / n2), abs=1e-12)
    assert rd.upper == pytest.approx(d + math.hypot(u1 - x1 / n1, x2 / n2 - l2), abs=1e-12)
