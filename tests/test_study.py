"""study.toml parsing: valid configs load into frozen dataclasses; every mistake is reported
with the file and the TOML key."""

import dataclasses
from pathlib import Path

import pytest

from submission_kit.errors import UserError
from submission_kit.study import load_study

MINIMAL = """
[study]
id = "S1"
title = "Study one"
sponsor = "Sponsor"
product = "Drug"
indication = "Disease"
data_cutoff = 2021-09-30

[data]
dir = "data"
[data.datasets]
adsl = "adsl.csv"

[treatment]
variable = "TRT01P"
arms = [{ value = "Placebo", key = "PBO" }, { value = "Drug", label = "Drug 10 mg", key = "D10" }]

[populations]
ITT = { flag = "ITTFL", label = "ITT Population" }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_study_loads(tmp_path):
    study = load_study(write(tmp_path, MINIMAL))
    assert study.id == "S1"
    assert study.data_cutoff.isoformat() == "2021-09-30"
    assert study.dataset("adsl").path == tmp_path / "data" / "adsl.csv"
    assert [(a.value, a.label, a.key) for a in study.treatment.arms] == [
        ("Placebo", "Placebo", "PBO"), ("Drug", "Drug 10 mg", "D10")]
    assert study.rounding == "sas"
    assert study.style.page.paper == "letter"
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.identity.id = "other"  # type: ignore[misc]


def test_bundled_demo_study_loads():
    from submission_kit.cli import DEMO_STUDY

    study = load_study(DEMO_STUDY)
    assert study.identity.synthetic
    tables = [o.id for o in study.outputs if o.kind == "table"]
    assert tables[:2] == ["14.1.3", "14.2.1"] and {"14.1.1", "14.3.1.2", "16.2.7"} <= set(tables)
    assert study.documents[0].id == "fda-meeting-package"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('sponsor = "Sponsor"\n', ""), r"\[study\]\.sponsor|study\.sponsor"),
        (lambda t: t.replace("data_cutoff = 2021-09-30", 'data_cutoff = "30/09/2021"'),
         "data_cutoff: '30/09/2021' is not a date"),
        (lambda t: t.replace('key = "PBO"', 'key = "P-1"'), "arms\\[0\\].key"),
        (lambda t: t.replace('key = "D10"', 'key = "PBO"'), "arm keys must be unique"),
        (lambda t: t + '\n[style]\nbody_pt = 8\n', "body_pt: 8.0 pt"),
        (lambda t: t + '\n[style]\nmargin_left_in = 0.5\n', "3/4 inch"),
        (lambda t: t + '\n[style]\nrounding = "up"\n', "rounding: 'up'"),
        (lambda t: t + '\n[documents.FDA_Package]\ntitle = "x"\n', "lowercase letters"),
        (lambda t: t + '\n[tables.demog]\npopulation = "ITT"\n', "ICH E3 numbers"),
        (lambda t: t + "\n[extra]\nx = 1\n", "extra: unknown key"),
        (lambda t: t.replace("[populations]", "[populations]\nBAD = 3"), "populations.BAD"),
        (lambda t: t + "\n[[", "not valid TOML"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, change, message):
    path = write(tmp_path, change(MINIMAL))
    with pytest.raises(UserError, match=message) as info:
        load_study(path)
    assert str(path) in str(info.value)


def test_missing_study_file(tmp_path):
    with pytest.raises(UserError, match="study file not found"):
        load_study(tmp_path / "nope.toml")


def test_unknown_population_is_reported_with_output_key(tmp_path):
    study = load_study(write(tmp_path, MINIMAL))
    with pytest.raises(UserError, match=r'\[tables."14.1.3"\] population = \'SAF\''):
        study.population("SAF", '[tables."14.1.3"]')
