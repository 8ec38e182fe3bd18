"""The HTML report on a small report made in memory: every value escaped, figures embedded,
nothing fetched."""

from __future__ import annotations

import base64
import json

from submission_kit.diff.changes import Change
from submission_kit.diff.compare import DiffReport, Identity
from submission_kit.diff.report_html import as_html
from submission_kit.diff.report_json import as_report_json
from submission_kit.diff.words import word_diff

OLD = Identity("/b/old", "a" * 64, "0.1.0", "2021-09-30", "S")
NEW = Identity("/b/new", "b" * 64, "0.2.0", "2022-03-31", "S")
PNG = b"\x89PNG\r\n\x1a\n fake image bytes"


def report() -> DiffReport:
    changes = (
        Change("inputs", "row-changed", "Dataset ADAE", ("USUBJID=<x>&1",), "AETERM=<b>",
               "AETERM=<i>"),
        Change("text", "paragraph", "Document csr", ("1 Safety", "paragraph 2"),
               "Events were <mild>.", "Events were <moderate>.",
               word_diff("Events were <mild>.", "Events were <moderate>.")),
        Change("figures", "image", "Figure 14.2.1", ("records/figures/f-14-2-1.png",), "PNG old",
               "PNG new"),
    )
    return DiffReport(OLD, NEW, changes, images={"Figure 14.2.1": (PNG, PNG + b"2")},
                      notes=("a note with <tags>",))


def test_values_are_escaped_and_figures_embedded():
    html = as_html(report())
    assert "<b>" not in html and "<i>" not in html and "<mild>" not in html
    assert "AETERM=&lt;b&gt;" in html and "USUBJID=&lt;x&gt;&amp;1" in html
    assert "<del>&lt;mild&gt;.</del>" in html and "<ins>&lt;moderate&gt;.</ins>" in html
    assert html.count("data:image/png;base64,") == 2
    assert base64.b64encode(PNG).decode() in html
    assert "a note with &lt;tags&gt;" in html
    for text in ("a" * 64, "b" * 64, "submission-kit 0.2.0", "2022-03-31"):
        assert text in html


def test_json_report_is_stable_and_complete():
    text = as_report_json(report())
    assert text == as_report_json(report())
    data = json.loads(text)
    assert data["summary"]["by_category"] == {
        "inputs": 1, "numbers": 0, "text": 1, "titles-footnotes": 0, "structure": 0,
        "figures": 1, "pagination-only": 0}
    assert data["changes"][1]["where"] == "Document csr \u203a 1 Safety \u203a paragraph 2"
    assert data["changes"][1]["words"][-2:] == [["delete", "<mild>."], ["insert", "<moderate>."]]
    assert data["old"]["manifest_sha256"] == "a" * 64
