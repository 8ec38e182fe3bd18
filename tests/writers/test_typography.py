"""Typography of table text (tables/typography.py) and the model fields it feeds: table-driven.

Expected strings are written out by hand from the Unicode charts (U+2265 ≥, U+2264 ≤, U+00B2 ²,
U+2079 ⁹, U+207B ⁻, U+2007 figure space)."""

from __future__ import annotations

import json

import pytest

from submission_kit.tables.model import Column, Row, Spanner, TableModel, as_json, from_dict
from submission_kit.tables.typography import align_decimals, typeset

F = "\u2007"  # figure space: as wide as a digit


@pytest.mark.parametrize(("text", "expected"), [
    (">= 12 months", "≥ 12 months"),
    (">=30", "≥30"),
    ("<=5 mg", "≤5 mg"),
    ("Baseline BMI (kg/m^2)", "Baseline BMI (kg/m²)"),
    ("Baseline BMI (kg/m2)", "Baseline BMI (kg/m²)"),
    ("eGFR (mL/min/1.73 m2)", "eGFR (mL/min/1.73 m²)"),
    ("Volume (cm^3)", "Volume (cm³)"),
    ("Platelets (10^9/L)", "Platelets (10⁹/L)"),
    ("Rate (s^-1)", "Rate (s⁻¹)"),
    # left alone: no comparison, no unit exponent
    ("<65", "<65"),
    ("25-<30", "25-<30"),
    ("Arm 2", "Arm 2"),
    ("Visit m2", "Visit m2"),
    ("m2 at week 4", "m2 at week 4"),
    ("x^", "x^"),
    ("", ""),
])
def test_typeset(text: str, expected: str) -> None:
    assert typeset(text) == expected
    assert typeset(expected) == expected  # idempotent: a JSON round trip changes nothing


@pytest.mark.parametrize(("cells", "expected"), [
    # n (%): the opening parentheses and the decimal points line up
    (["104 (94.5)", "4 (3.6)"], ["104 (94.5)", f"{F}{F}4 ({F}3.6)"]),
    # different shapes align on the first number's units digit only
    (["86", "75.2 (8.59)", "52, 89"], ["86", "75.2 (8.59)", "52, 89"]),
    (["254", "75.2 (8.59)", "0"], ["254", f"{F}75.2 (8.59)", f"{F}{F}0"]),
    # p-values: the comparison sign counts as a character of the integer part
    (["0.326", "<0.001"], [f"{F}0.326", "<0.001"]),
    # empty cells stay empty; a text column (a listing's) is left alone
    (["", "12 (5.1)", ""], ["", "12 (5.1)", ""]),
    (["Headache", "12 (5.1)"], ["Headache", "12 (5.1)"]),
    (["2021-03-04", "2021-12-31"], ["2021-03-04", "2021-12-31"]),
    (["54.8 (44.7, 63.8)", "NE (596, NE)"], [f"54.8 ({F}44.7, 63.8)", "NE (596, NE)"]),
    (["2021-03-04", "12"], ["2021-03-04", "12"]),
])
def test_align_decimals(cells: list[str], expected: list[str]) -> None:
    assert list(align_decimals(cells)) == expected
    # padding only: the text without figure spaces is the cell
    assert [c.replace(F, "") for c in align_decimals(cells)] == cells


def test_model_labels_are_typeset_and_round_trip() -> None:
    model = TableModel(
        "14.1.3", ("Table 14.1.3", "Demographics"),
        (Column("PBO", "Placebo", 86), Column("XL", "Low Dose", 84),
         Column("XH", "High Dose", 84)),
        (Row("BMI (kg/m^2)", ("", "", "")), Row(">=30", ("6 (7.0)", "10 (11.9)", "12 (14.3)"), 1,
                                                page_by="Parameter: BMI")),
        stub_header="Characteristic >= 18", spanners=(Spanner("Xanomeline", ("XL", "XH")),))
    assert [r.label for r in model.rows] == ["BMI (kg/m²)", "≥30"]
    assert model.stub_header == "Characteristic ≥ 18"
    data = json.loads(as_json(model))
    assert data["spanners"] == [{"label": "Xanomeline", "keys": ["XL", "XH"], "level": 1}]
    assert [c["key"] for c in data["columns"]] == ["PBO", "XL", "XH"]
    assert data["rows"][1]["page_by"] == "Parameter: BMI" and "page_by" not in data["rows"][0]
    assert from_dict(data) == model


@pytest.mark.parametrize("keys", [("XL", "PBO"), ("PBO", "XH"), ("XX",), ()])
def test_spanners_must_cover_adjacent_known_columns(keys: tuple[str, ...]) -> None:
    columns = (Column("PBO", "Placebo"), Column("XL", "Low"), Column("XH", "High"))
    with pytest.raises(ValueError, match="spanner"):
        TableModel("1", ("T",), columns, (), spanners=(Spanner("S", keys),))


def test_spanners_of_one_level_may_not_overlap() -> None:
    columns = (Column("PBO", "Placebo"), Column("XL", "Low"), Column("XH", "High"))
    with pytest.raises(ValueError, match="overlaps"):
        TableModel("1", ("T",), columns, (), spanners=(Spanner("A", ("PBO", "XL")),
                                                       Spanner("B", ("XL", "XH"))))
    TableModel("1", ("T",), columns, (), spanners=(Spanner("A", ("XL", "XH")),
                                                   Spanner("All", ("PBO", "XL", "XH"), 2)))
