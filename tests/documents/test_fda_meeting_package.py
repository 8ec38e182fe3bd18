"""The FDA meeting package read as an FDA reviewer would: every claim about the data has its
number (computed from the same results as the tables), nothing cites content the package
does not contain, and study facts are typed once."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from submission_kit.build import compute
from submission_kit.cli import DEMO_STUDY
from submission_kit.documents.results_view import as_trace_json
from submission_kit.documents.structure import as_document_json
from submission_kit.study import load_study


@pytest.fixture(scope="module")
def built():
    study = load_study(DEMO_STUDY)
    study = replace(study, identity=replace(study.identity, sponsor="Renamed Pharma SAS"))
    computed = compute(study)
    rendered = computed.documents["fda-meeting-package"]
    blocks = json.loads(as_document_json(rendered.document))["blocks"]
    trace = json.loads(as_trace_json(rendered.document, rendered.trace,
                                     computed.results))["numbers"]
    return computed, blocks, trace


def _paragraphs(blocks, section_prefix: str) -> str:
    return " ".join(b["text"] for b in blocks
                    if b["kind"] == "paragraph" and b["section"].startswith(section_prefix))


def _cell(table, label: str, column: int) -> str:
    return next(r for r in table.rows if r.label.startswith(label)).cells[column]


def test_no_reference_to_content_the_package_lacks(built):
    _, blocks, _ = built
    text = " ".join(b.get("text", "") for b in blocks)
    assert not re.search(r"\bAppendix|\bappendices", text)
    assert "well tolerated" not in text and "similar between the arms" not in text
    cited = set(re.findall(r"Table (14\.[\d.]+\d)", text))
    included = {b["ref"] for b in blocks if b["kind"] == "table"}
    assert cited and cited <= included, cited - included


def test_subgroup_claim_has_its_numbers_from_table_14_2_2(built):
    computed, blocks, _ = built
    table = computed.tables["14.2.2"]
    text = _paragraphs(blocks, "10 Data Supporting the Questions > 10.1")
    for label in ("Low/moderate", "High"):
        hr = _cell(table, label, 2)  # "0.58 (0.32, 1.04)" -> "0.58 (95% CI: 0.32 to 1.04)"
        est, low, high = re.match(r"(\S+) \((\S+), (\S+)\)", hr).groups()
        assert f"{est} (95% CI: {low} to {high})" in text
    assert f"p = {_cell(table, 'CSF pNFH stratum', 3)}" in text


def test_safety_question_has_the_teae_overview(built):
    computed, blocks, _ = built
    table = computed.tables["14.3.1.1"]
    text = _paragraphs(blocks, "10 Data Supporting the Questions > 10.2")
    any_teae = _cell(table, "Subjects with at least one TEAE", 0)  # "107 (98.2)"
    n, pct = re.match(r"(\d+) \((\S+)\)", any_teae).groups()
    big_n = table.columns[0].n
    assert f"{n} of {big_n} subjects on Placebo ({pct}%)" in text
    assert any(b["kind"] == "table" and b["ref"] == "14.3.1.2" for b in blocks)


def test_early_censoring_is_stated_from_the_data(built):
    computed, blocks, _ = built
    early = computed.results["t_14_2_1"]
    text = _paragraphs(blocks, "10 Data Supporting the Questions > 10.1")
    n_pbo = early.get("censored_early.PBO.n").value
    expected = f"Follow-up ended before Day 640 without the event for {n_pbo} subjects on Placebo"
    assert expected in text


def test_sponsor_is_typed_once(built):
    _, blocks, _ = built
    attendees = next(b for b in blocks if b["kind"] == "simple-table"
                     and b["section"].endswith("Sponsor Attendees"))
    assert attendees["rows"][0] == ["Name", "Title", "Affiliation"]
    assert {row[2] for row in attendees["rows"][1:]} == {"Renamed Pharma SAS"}


def test_written_statements_are_marked_as_configured_text(built):
    _, _, trace = built
    configured = {e["ref"] for e in trace if e["ref"].startswith("config:")}
    assert {"config:regulatory.purpose", "config:regulatory.questions[0].context"} <= configured
    computed_refs = [e for e in trace if not e["ref"].startswith("config:")]
    assert computed_refs and all("population" in e for e in computed_refs)
