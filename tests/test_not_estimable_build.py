"""Degenerate data build: not-estimable statistics are `NE` with a footnote saying why, the
build goes on (exit 0); only an empty population is an error (exit 2). DESIGN.md §3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from submission_kit.cli import main
from submission_kit.data.io import read_dataset, write_dataset


@pytest.fixture
def study(tmp_path) -> Path:
    target = tmp_path / "study"
    assert main(["init", str(target)]) == 0
    return target


def _edit(study: Path, name: str, change) -> None:
    path = study / f"data/{name}.parquet"
    frame = read_dataset(path)
    write_dataset(change(frame), path)


def _build(study: Path, out: Path, capsys, *only: str) -> tuple[int, str]:
    code = main(["build", "--study", str(study / "study.toml"), "--out", str(out),
                 "--format", "pdf", *(["--only", *only] if only else [])])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _rows(out: Path, stem: str) -> dict[str, list[str]]:
    table = json.loads((out / f"records/tables/{stem}.json").read_text())
    return {r["label"]: r["cells"] for r in table["rows"]}, table["footnotes"]


def test_arm_without_events_gives_ne_and_a_footnote(study, tmp_path, capsys):
    adsl = read_dataset(study / "data/adsl.parquet")
    il2 = set(adsl.loc[adsl["TRT01P"] == "IL-2LD", "USUBJID"])

    def censor_il2(frame):
        frame.loc[frame["USUBJID"].isin(il2), "CNSR"] = 1
        return frame

    _edit(study, "adtte", censor_il2)
    out = tmp_path / "out"
    code, text = _build(study, out, capsys, "14.2.1", "fda-meeting-package")
    assert code == 0, text
    rows, footnotes = _rows(out, "t-14-2-1")
    assert rows["Deaths, n (%)"][1] == "0"
    assert rows["Hazard ratio (95% CI)"][1] == "NE (NE, NE)"
    assert rows["Median survival, days (95% CI)"][1] == "NE (NE, NE)"
    assert any("no events in ARM_IL2" in f for f in footnotes), footnotes
    assert (out / "deliverables/documents/fda-meeting-package.pdf").is_file()
    assert "inf" not in (out / "records/results/t_14_2_1.json").read_text()


def test_all_subjects_censored(study, tmp_path, capsys):
    _edit(study, "adtte", lambda f: f.assign(CNSR=1))
    out = tmp_path / "out"
    code, text = _build(study, out, capsys, "14.2.1")
    assert code == 0, text
    rows, footnotes = _rows(out, "t-14-2-1")
    assert rows["Log-rank test, p-value"][2] == "NE"
    assert any("no events" in f for f in footnotes)


def test_arm_with_no_subjects_in_the_population(study, tmp_path, capsys):
    def drop_il2(frame):
        frame.loc[frame["TRT01P"] == "IL-2LD", "ITTFL"] = "N"
        return frame

    _edit(study, "adsl", drop_il2)
    out = tmp_path / "out"
    code, text = _build(study, out, capsys, "14.1.3", "14.2.1")
    assert code == 0, text
    rows, footnotes = _rows(out, "t-14-2-1")
    assert rows["Subjects analysed, n"][1] == "0"
    assert rows["Log-rank test, p-value"][2] == "NE"
    assert any("fewer than two arms" in f for f in footnotes), footnotes
    demo = json.loads((out / "records/tables/t-14-1-3.json").read_text())
    assert [c["n"] for c in demo["columns"]] == [110, 0, 110]


def test_stratum_with_one_arm_and_a_single_subject(study, tmp_path, capsys):
    """COUNTRY = 'BEL' holds one subject: its stratum has one arm and the covariate level has
    one subject; the stratified test and the adjusted model still report."""
    _edit(study, "adsl", lambda f: f.assign(COUNTRY=f["COUNTRY"].where(f.index != 0, "BEL")))
    out = tmp_path / "out"
    code, text = _build(study, out, capsys, "14.2.1")
    assert code == 0, text
    rows, _ = _rows(out, "t-14-2-1")
    assert rows["Log-rank test stratified by country and site of onset, p-value"][2] != ""


def test_empty_population_is_an_error_naming_it(study, tmp_path, capsys):
    _edit(study, "adsl", lambda f: f.assign(ITTFL="N"))
    out = tmp_path / "out"
    code, text = _build(study, out, capsys)
    assert code == 2
    assert "no subject has ITTFL = 'Y' (population ITT)" in text and "Placebo" in text
    assert "Traceback" not in text and not out.exists()
