"""What changed in the inputs: dataset rows by key, study.toml keys, template hunks."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from submission_kit.diff.inputs import (
    cell_text,
    config_changes,
    dataset_changes,
    flatten,
    source_changes,
)
from submission_kit.diff.load import load_build
from submission_kit.errors import UserError


def rows(changes):
    return [(c.kind, c.location, c.old, c.new) for c in changes]


def test_dataset_rows_by_record_key_with_repeated_keys_in_order():
    old = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S3"], "AESEQ": [1, 2, 1, 1],
                        "AEDECOD": ["Headache", "Nausea", "Pyrexia", "Fatigue"],
                        "AESER": ["N", "N", "N", "N"]})
    new = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S4"], "AESEQ": [1, 2, 1, 1],
                        "AEDECOD": ["Headache", "Nausea", "Pyrexia", "Rash"],
                        "AESER": ["N", "Y", "N", "N"]})
    assert rows(dataset_changes("Dataset ADAE", old, new)) == [
        ("row-changed", ("USUBJID=S1, AESEQ=2",), "AESER=N", "AESER=Y"),
        ("row-removed", ("USUBJID=S3, AESEQ=1",), "USUBJID=S3; AESEQ=1; AEDECOD=Fatigue; AESER=N",
         ""),
        ("row-added", ("USUBJID=S4, AESEQ=1",), "",
         "USUBJID=S4; AESEQ=1; AEDECOD=Rash; AESER=N"),
    ]
    # Without AESEQ, records sharing USUBJID are matched in file order (#1, #2).
    dup_old, dup_new = old.drop(columns="AESEQ"), new.drop(columns="AESEQ")
    assert ("row-changed", ("USUBJID=S1 #2",), "AESER=N", "AESER=Y") in rows(
        dataset_changes("Dataset ADAE", dup_old, dup_new))


def test_dataset_variables_added_and_removed():
    old = pd.DataFrame({"USUBJID": ["S1"], "AGE": [50.0]})
    new = pd.DataFrame({"USUBJID": ["S1"], "SEX": ["F"]})
    assert rows(dataset_changes("Dataset ADSL", old, new)) == [
        ("variable-removed", ("AGE",), "AGE", ""), ("variable-added", ("SEX",), "", "SEX")]


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (float("nan"), ""), (pd.NaT, ""), (3.0, "3"), (2.5, "2.5"),
    (pd.Timestamp("2021-09-30"), "2021-09-30"), (dt.date(2021, 9, 30), "2021-09-30"),
    ("Y", "Y"), (7, "7"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_config_keys():
    old = {"study": {"version": "1.0", "data_cutoff": dt.date(2021, 9, 30)},
           "tables": {"14.2.1": {"title": "Overall Survival", "strata": ["COUNTRY"]}},
           "regulatory": {"questions": [{"question": "Q1?"}, {"question": "Q2?"}]}}
    new = json.loads(json.dumps(old, default=str))
    new["study"]["data_cutoff"] = dt.date(2022, 3, 31)
    new["tables"]["14.2.1"]["strata"] = ["COUNTRY", "ONSET"]
    new["regulatory"]["questions"][1]["question"] = "Q2, reworded?"
    new["paths"] = {"templates": "templates"}
    assert flatten(old)["study.data_cutoff"] == "2021-09-30"
    assert rows(config_changes(old, new)) == [
        ("key", ("study.data_cutoff",), "2021-09-30", "2022-03-31"),
        ("key", ('tables."14.2.1".strata',), '["COUNTRY"]', '["COUNTRY", "ONSET"]'),
        ("key", ("regulatory.questions[1].question",), "Q2?", "Q2, reworded?"),
        ("key-added", ("paths.templates",), "", "templates"),
    ]


def test_template_hunks_are_located_by_new_line_numbers():
    old = {"doc.md.j2": "# Title\n\nFirst line.\nSecond line.\n", "gone.md.j2": "x"}
    new = {"doc.md.j2": "# Title\n\nFirst line.\nSecond line, edited.\n\nAdded.\n",
           "new.md.j2": "y"}
    assert rows(source_changes("Template", old, new)) == [
        ("lines", ("lines 4-6",), "Second line.", "Second line, edited.\n\nAdded."),
        ("template-removed", (), "x", ""),
        ("template-added", (), "", "y"),
    ]


def test_a_folder_that_is_not_a_build_is_refused_by_name(tmp_path):
    with pytest.raises(UserError, match=f"{tmp_path}/missing: no such folder"):
        load_build(tmp_path / "missing")
    with pytest.raises(UserError, match=f"{tmp_path}: not a submission-kit build .it has no"):
        load_build(tmp_path)
    (tmp_path / "records").mkdir()
    (tmp_path / "records/manifest.json").write_text('{"tool": {"name": "other"}}')
    with pytest.raises(UserError, match="does not name submission-kit"):
        load_build(tmp_path)
    (tmp_path / "records/manifest.json").write_text("{not json")
    with pytest.raises(UserError, match=r"manifest\.json: not valid JSON"):
        load_build(tmp_path)
    (tmp_path / "records/manifest.json").write_text(json.dumps({
        "tool": {"name": "submission-kit"},
        "outputs": [{"path": "records/tables/t-1.json", "sha256": "0"}]}))
    with pytest.raises(UserError, match=r"incomplete build: records/tables/t-1\.json is listed"):
        load_build(tmp_path)
