"""Strict configuration and "nothing changes N silently" (issue: safe by default, §4-§5).

Each case edits a copy of the demo study and runs the CLI: exit 2, a message naming the file
and key (with a suggestion for typos), no traceback, and nothing written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from submission_kit.cli import DEMO_STUDY, main
from submission_kit.data.io import read_dataset, write_dataset
from submission_kit.errors import UserError
from submission_kit.study import load_study


@pytest.fixture
def study(tmp_path) -> Path:
    target = tmp_path / "study"
    assert main(["init", str(target)]) == 0
    return target


def edit(study: Path, old: str, new: str) -> None:
    path = study / "study.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def validate(study: Path, capsys) -> tuple[int, str]:
    code = main(["validate", "--study", str(study / "study.toml")])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('timepoint = 640', 'timepiont = 640',
     '[tables."14.2.1"] timepiont: unknown key; did you mean \'timepoint\'?'),
    ('sponsor = "Demo Sponsor"', 'sponsr = "Demo Sponsor"',
     "study.sponsr: unknown key; did you mean 'sponsor'?"),
    ('body_pt = 11', 'body_pts = 11', "style.body_pts: unknown key; did you mean 'body_pt'?"),
    ('total = true', 'totl = true', "treatment.totl: unknown key; did you mean 'total'?"),
    ('{ value = "Placebo", label = "Placebo", key = "PBO" }',
     '{ value = "Placebo", lable = "Placebo", key = "PBO" }',
     "treatment.arms[0].lable: unknown key; did you mean 'label'?"),
    ('{ var = "AGE", label = "Age (years)" }', '{ var = "AGE", labl = "Age (years)" }',
     '[tables."14.1.3"] variables[0].labl: unknown key; did you mean \'label\'?'),
    ('tick_every = 3', 'tick_every = "3"', '[figures."14.2.1"] tick_every: expected number'),
    ('template = "fda-meeting-package/document.md.j2"',
     'templat = "fda-meeting-package/document.md.j2"',
     "documents.fda-meeting-package.templat: unknown key; did you mean 'template'?"),
    ('ITT = { flag = "ITTFL", label', 'ITT = { flg = "ITTFL", label',
     "populations.ITT.flg: unknown key; did you mean 'flag'?"),
])
def test_unknown_or_mistyped_keys_exit_2_with_a_suggestion(study, capsys, old, new, expected):
    edit(study, old, new)
    code, text = validate(study, capsys)
    assert code == 2, text
    assert expected in text and str(study / "study.toml") in text
    assert "Traceback" not in text


def test_control_character_in_configuration_text_is_named(study, capsys):
    edit(study, 'sponsor = "Demo Sponsor"', 'sponsor = "Demo\\u0007Sponsor"')
    code, text = validate(study, capsys)
    assert code == 2 and "study.sponsor" in text and "U+0007" in text


def test_error_text_with_brackets_prints_literally(study, capsys):
    """A USUBJID like "[/x]" once crashed the error printer (rich markup)."""
    path = study / "data/adtte.parquet"
    frame = read_dataset(path)
    frame.loc[0, "USUBJID"] = "[/x]"
    write_dataset(frame, path)
    code, text = validate(study, capsys)
    assert code == 2 and "'[/x]'" in text and "internal error" not in text


def _set_treatment(study: Path, rows: list[int], value: str) -> None:
    path = study / "data/adsl.parquet"
    frame = read_dataset(path)
    frame.loc[rows, "TRT01P"] = value
    write_dataset(frame, path)


def test_unconfigured_arm_value_is_an_error_naming_values_and_counts(study, capsys, tmp_path):
    _set_treatment(study, list(range(10)), "IL-2LD 1 MIU")
    out = tmp_path / "out"
    code = main(["build", "--study", str(study / "study.toml"), "--out", str(out)])
    text = "".join(capsys.readouterr())
    assert code == 2
    assert "10 subject(s) in the ITT population" in text
    assert "'IL-2LD 1 MIU': 10" in text and "[treatment].exclude" in text
    assert not out.exists()


def test_excluded_treatment_values_are_left_out_on_purpose(study, capsys, tmp_path):
    _set_treatment(study, list(range(10)), "Screen Failure")
    edit(study, "total = true", 'total = true\nexclude = ["Screen Failure"]')
    out = tmp_path / "out"
    assert main(["build", "--study", str(study / "study.toml"), "--out", str(out),
                 "--format", "pdf", "--only", "14.1.3"]) == 0
    table = (out / "records/tables/t-14-1-3.json").read_text()
    assert re.search(r'"n": 210', table), "Total N counts the 210 subjects in configured arms"


def test_population_subjects_without_an_endpoint_record_are_footnoted(study, capsys, tmp_path):
    path = study / "data/adtte.parquet"
    frame = read_dataset(path)
    os_rows = frame.index[frame["PARAMCD"] == "OS"][:3]
    write_dataset(frame.drop(index=os_rows), path)
    out = tmp_path / "out"
    assert main(["build", "--study", str(study / "study.toml"), "--out", str(out),
                 "--format", "pdf", "--only", "14.2.1"]) == 0
    import json
    table = json.loads((out / "records/tables/t-14-2-1.json").read_text())
    assert [c["n"] for c in table["columns"][:2]] == [110, 110], "header N stays the population"
    analysed = next(r for r in table["rows"] if r["label"] == "Subjects analysed, n")
    assert sum(int(c) for c in analysed["cells"][:2]) == 217
    assert any("3 subject(s) in the population have no record" in f for f in table["footnotes"])


def test_missing_covariate_uses_complete_cases_and_says_so(study, capsys, tmp_path):
    path = study / "data/adsl.parquet"
    frame = read_dataset(path)
    frame.loc[[0, 1, 2, 3], "SVCBL"] = float("nan")
    write_dataset(frame, path)
    out = tmp_path / "out"
    assert main(["build", "--study", str(study / "study.toml"), "--out", str(out),
                 "--format", "pdf", "--only", "14.2.1"]) == 0
    import json
    table = json.loads((out / "records/tables/t-14-2-1.json").read_text())
    note = [f for f in table["footnotes"] if f.startswith("Cox model, adjusted")]
    assert note and "4 subject(s) with a missing value" in note[0] and "216 analysed" in note[0]
    results = json.loads((out / "records/results/t_14_2_1.json").read_text())
    n = {r["key"]: r["value"] for r in results["records"]}
    assert n["cox.adjusted.IL2.n"] == 216 and n["cox.unadjusted.IL2.n"] == 220


def test_every_declared_dataset_is_checked(study, capsys):
    """ADLB is read by no output yet; a subject missing from ADSL is still an error."""
    path = study / "data/adlb.parquet"
    frame = read_dataset(path)
    frame.loc[0, "USUBJID"] = "NOBODY-0001"
    write_dataset(frame, path)
    code, text = validate(study, capsys)
    assert code == 2 and "ADLB" in text and "NOBODY-0001" in text


def test_unknown_caption_style_is_refused_naming_the_key(tmp_path):
    text = DEMO_STUDY.read_text(encoding="utf-8").replace(
        'dir = "data"', f'dir = "{(DEMO_STUDY.parent / "data").as_posix()}"').replace(
        'captions = "output"', 'captions = "roman"')
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=r"documents.*tlf-book.*captions.*'roman'.*'output'"):
        load_study(tmp_path / "study.toml")
