"""Data checks run before any analysis: each failure names the file, dataset, variable and a
few offending rows."""

from pathlib import Path

import pandas as pd
import pytest

from submission_kit.data.contracts import (
    merge_needs,
    needs,
    require_dataset,
    require_subjects_in_adsl,
)
from submission_kit.errors import UserError

PATH = Path("/data/adtte.xpt")


def adtte(**changes):
    frame = pd.DataFrame({
        "USUBJID": ["S-1", "S-2", "S-3"],
        "PARAMCD": ["OS", "OS", "OS"],
        "AVAL": [10.0, 20.0, 30.0],
        "CNSR": [0.0, 1.0, 0.0],
        "ADT": ["2020-01-02", "2020-02-03", None],
    })
    for key, value in changes.items():
        frame[key] = value
    return frame


TTE = needs("adtte", "USUBJID:char", "AVAL:num", "CNSR:num", "ADT:date", time_to_event=True)


def test_valid_dataset_passes_and_dates_are_parsed():
    checked = require_dataset(adtte(), TTE, PATH)
    assert pd.api.types.is_datetime64_any_dtype(checked["ADT"])
    assert checked["ADT"].isna().tolist() == [False, False, True]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (adtte().drop(columns="CNSR"), "variable CNSR is missing"),
        (adtte(CNSR=[0.0, 2.0, 0.0]),
         r"CNSR must be 0 \(event\) or 1 \(censored\); found row 2: 2.0"),
        (adtte(AVAL=[10.0, -1.0, 30.0]),
         r"AVAL \(time to event\) must be present and >= 0; found row 2: -1.0"),
        (adtte(AVAL=["10", "x", "30"]), "AVAL must be numeric; found row 2: 'x'"),
        (adtte(ADT=["2020-01-02", "02/03/2020", None]),
         r"ADT must hold dates .*row 2: '02/03/2020'"),
    ],
)
def test_failures_name_file_dataset_variable_and_rows(frame, message):
    with pytest.raises(UserError, match=message) as info:
        require_dataset(frame, TTE, PATH)
    text = str(info.value)
    assert "/data/adtte.xpt (dataset ADTTE)" in text


def test_all_problems_reported_at_once():
    frame = adtte(CNSR=[0.0, 2.0, 0.0]).drop(columns="ADT")
    with pytest.raises(UserError) as info:
        require_dataset(frame, TTE, PATH)
    assert "variable ADT is missing" in str(info.value)


def test_subject_level_dataset_must_have_unique_usubjid():
    adsl = pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-2"]})
    need = needs("adsl", "USUBJID:char", subject_level=True)
    with pytest.raises(UserError, match=r"USUBJID must be unique .*'S-2'"):
        require_dataset(adsl, need, Path("adsl.csv"))


def test_subjects_must_be_in_adsl():
    frames = {"adsl": pd.DataFrame({"USUBJID": ["S-1", "S-2"]}),
              "adtte": adtte()}
    expected = r"adtte.xpt \(dataset ADTTE\): 1 USUBJID value\(s\) not in ADSL"
    with pytest.raises(UserError, match=expected) as info:
        require_subjects_in_adsl(frames, {"adsl": Path("adsl.xpt"), "adtte": PATH})
    assert "'S-3'" in str(info.value)


def test_numeric_codes_become_text_for_character_variables():
    frame = pd.DataFrame({"SITEID": [701, 702.0]})
    checked = require_dataset(frame, needs("adsl", "SITEID:char"), Path("adsl.csv"))
    assert checked["SITEID"].tolist() == ["701", "702"]


def test_merge_needs_unions_variables_and_flags():
    merged = merge_needs([needs("adsl", "USUBJID", "AGE:num"),
                          needs("adsl", "USUBJID:char", "SEX", subject_level=True)])
    need = merged["adsl"]
    assert {v.name: v.kind for v in need.variables} == {
        "USUBJID": "char", "AGE": "num", "SEX": "any"}
    assert need.subject_level
