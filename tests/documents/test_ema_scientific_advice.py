"""The EMA scientific advice briefing document, read back as a SAWP assessor would read it:
the sections of the CHMP briefing template are there in the DOCX and the PDF, every table and
figure the text cites is in the document, every number in the prose is a traced result that
rounds like its table (and the key ones agree with an independent computation from the raw
ADaM data), statements that are not statistics are marked as configured text, and the DOCX
opens in LibreOffice.

One build of the demo with `--only ema-scientific-advice fda-meeting-package` (the FDA package
is built too, to check the shared macros' typography there).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import docx
import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from office_convert import libreoffice_pdfs
from pypdf import PdfReader

from submission_kit.cli import DEMO_STUDY
from submission_kit.documents.render import render_document
from submission_kit.documents.results_view import AuthoredText, Tracer, make_filters
from submission_kit.errors import UserError
from submission_kit.study import Study, load_study
from submission_kit.tables.typography import typeset

DOC = "ema-scientific-advice"
DATA = DEMO_STUDY.parent / "data"
# The CHMP briefing document template (reference/regulatory.md §4), as headings.
REQUIRED = ["Product and Procedure", "List of Abbreviations", "I. Summary",
            "II. Questions and Applicant's Positions", "A. Quality", "B. Non-clinical",
            "C. Clinical", "D. Significant Benefit", "III. Background Information",
            "The Condition", "The Product", "Quality Development", "Non-clinical Development",
            "Clinical Development", "Regulatory Status", "References"]


@pytest.fixture(scope="module")
def study() -> Study:
    return load_study(DEMO_STUDY)


@pytest.fixture(scope="module")
def out(demo_build: Path) -> Path:
    return demo_build  # conftest: the whole demo, built once per session, read-only


@pytest.fixture(scope="module")
def blocks(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / f"records/documents/{DOC}.json").read_text())["blocks"]


@pytest.fixture(scope="module")
def trace(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / f"records/trace/{DOC}.json").read_text())["numbers"]


def _prose(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"] for b in blocks if b["kind"] in ("paragraph", "list-item")]


def _questions(study: Study) -> list[Mapping[str, Any]]:
    """In document order: by area as the CHMP template orders them."""
    order = ["quality", "non-clinical", "clinical", "significant-benefit"]
    return sorted(study.regulatory["ema"]["questions"], key=lambda q: order.index(q["area"]))


def _expected_headings(study: Study) -> list[str]:
    questions = [f"Question {i}: {q['title']}" for i, q in enumerate(_questions(study), 1)]
    return REQUIRED + questions


# ---- structure: DOCX and PDF -----------------------------------------------------------------

def test_docx_has_every_section_as_a_word_heading(out: Path, study: Study) -> None:
    document = docx.Document(str(out / f"deliverables/documents/{DOC}.docx"))
    headings = {p.text.strip() for p in document.paragraphs
                if p.style is not None and p.style.name.startswith("Heading")}
    missing = [h for h in _expected_headings(study) if h not in headings]
    assert not missing, missing
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Table of Contents" in text and "List of Tables" in text and "List of Figures" in text
    # Each question has the applicant's position and the data behind it.
    assert sum(h == "Applicant's Position" for h in
               (p.text.strip() for p in document.paragraphs)) == len(_questions(study))


def test_pdf_has_every_section_in_text_and_bookmarks(out: Path, study: Study) -> None:
    reader = PdfReader(str(out / f"deliverables/documents/{DOC}.pdf"))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))

    def titles(items: list[Any]) -> Iterator[str]:
        for item in items:
            if isinstance(item, list):
                yield from titles(item)
            else:
                yield str(item.title).strip()

    bookmarks = set(titles(reader.outline))
    for heading in _expected_headings(study):
        assert heading in text, heading
        assert heading in bookmarks, heading
    assert "Synthetic data — for demonstration only" in text


def test_pages_are_a4_as_the_ema_uses(out: Path) -> None:
    """[documents.ema-scientific-advice] paper = "a4", while the FDA package stays on Letter."""
    a4, letter = (595.28, 841.89), (612.0, 792.0)
    for doc_id, size in ((DOC, a4), ("fda-meeting-package", letter)):
        page = PdfReader(str(out / f"deliverables/documents/{doc_id}.pdf")).pages[0]
        assert (float(page.mediabox.width), float(page.mediabox.height)) == \
            pytest.approx(size, abs=0.5)
    section = docx.Document(str(out / f"deliverables/documents/{DOC}.docx")).sections[0]
    width, height = section.page_width, section.page_height
    assert width is not None and height is not None
    assert (width.pt, height.pt) == pytest.approx(a4, abs=0.5)


def test_libreoffice_opens_the_docx(out: Path, tmp_path: Path) -> None:
    converted = libreoffice_pdfs([out / f"deliverables/documents/{DOC}.docx"], tmp_path)[DOC]
    text = " ".join(page.extract_text() for page in converted.pages)
    assert len(converted.pages) > 10
    assert "II. Questions and Applicant's Positions" in text and "Question 1" in text


# ---- cross-references ------------------------------------------------------------------------

def test_every_cited_table_and_figure_is_in_the_document(blocks: list[dict[str, Any]],
                                                         study: Study) -> None:
    text = " ".join(_prose(blocks))
    included = {(b["kind"], b["ref"]) for b in blocks if b["kind"] in ("table", "figure")}
    cited = {("table", t) for t in re.findall(r"Table (14(?:\.\d+)+)", text)}
    cited |= {("figure", f) for f in re.findall(r"Figure (14(?:\.\d+)+)", text)}
    assert cited and cited <= included, cited - included
    for q in _questions(study):
        assert {("table", t) for t in q["tables"]} <= included
        assert {("figure", f) for f in q["figures"]} <= included
    # A table cited by two questions is shown once; the second question points to it.
    shown = [b["ref"] for b in blocks if b["kind"] == "table"]
    assert len(shown) == len(set(shown))
    assert "The full results are in Table 14.2.1, shown with Question 1." in text
    assert not re.search(r"\b(Appendix|Annex|appendices|annexes)\b", text)


def test_question_numbers_in_summary_and_section_ii_agree(blocks: list[dict[str, Any]],
                                                          study: Study) -> None:
    items = [b["text"] for b in blocks if b["kind"] == "list-item"
             and b["section"] == "I. Summary"]
    expected = [f"{q['title']} ({q['area']})." for q in _questions(study)]
    assert items[-len(expected):] == expected
    titles = [b["text"] for b in blocks if b["kind"] == "heading"
              and b["text"].startswith("Question ")]
    assert titles == [f"Question {i}: {q['title']}" for i, q in enumerate(_questions(study), 1)]


# ---- numbers ---------------------------------------------------------------------------------

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _strings(value: Any) -> Iterator[str]:
    """Every string in configured table parameters (labels, visits, display names), keys too."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def _labels(study: Study, out: Path) -> list[str]:
    """Text that may hold digits without being a statistic: configured labels and titles, data
    levels, study identity, arm labels, and references to tables, figures and questions."""
    labels = [s for o in study.outputs for s in _strings(o.params)]
    for path in (out / "records/results").glob("t_*.json"):
        labels += [lv for levels in json.loads(path.read_text())["levels"].values()
                   for lv in levels]
    ident = study.identity
    labels += [ident.title, ident.protocol, ident.nct, ident.product, ident.inn, ident.version]
    labels += [a.label for a in study.treatment.arms]
    labels = [typeset(x) for x in labels] + labels
    labels += [x[:1].lower() + x[1:] for x in labels]
    return sorted({x for x in labels if NUMBER.search(x)}, key=len, reverse=True)


def test_every_number_in_the_prose_is_a_traced_result(blocks: list[dict[str, Any]],
                                                      trace: list[dict[str, Any]],
                                                      study: Study, out: Path) -> None:
    configured = sorted({e["text"] for e in trace if e["ref"].startswith("config:")},
                        key=len, reverse=True)
    computed = {n for e in trace if not e["ref"].startswith("config:")
                for n in NUMBER.findall(e["text"])}
    labels = _labels(study, out)
    references = re.compile(r"\b(?:Table|Figure) 14(?:\.\d+)+|\bQuestion \d+|95% CI|"
                            r"\d{1,2} \w+ \d{4}")  # the data cutoff date
    stray = []
    for text in _prose(blocks):
        text = references.sub(" ", text)
        for known in configured + labels:
            text = text.replace(known, " ")
        stray += [(n, text) for n in NUMBER.findall(text) if n not in computed]
    assert not stray, stray[:5]


def _rounds_to(text: str, value: float) -> bool:
    """'54.8' shows 0.5476... (x100) or 54.76...; 'p < 0.001' a value below 0.001."""
    if text.startswith("p < "):
        return value < float(text[4:])
    shown = NUMBER.search(text)
    assert shown, text
    digits = len(shown.group().partition(".")[2])
    half = 0.5 * 10 ** -digits + 1e-9
    return any(abs(float(shown.group()) - value * scale) <= half for scale in (1, 100))


def test_traced_numbers_are_the_results_rounded_as_the_tables_round(
        trace: list[dict[str, Any]], out: Path) -> None:
    records: dict[str, dict[str, Any]] = {}
    computed = [e for e in trace if not e["ref"].startswith("config:")]
    assert len(computed) > 150
    for entry in computed:
        analysis, key = entry["ref"].split(":", 1)
        if analysis not in records:
            data = json.loads((out / f"records/results/{analysis}.json").read_text())
            records[analysis] = {r["key"]: r["value"] for r in data["records"]}
        value = records[analysis][key]
        assert entry["value"] == value, entry
        if value is None:
            assert entry["text"] == "NE", entry
        else:
            assert _rounds_to(entry["text"], float(value)), entry
        assert entry["population"] and entry["datasets"], entry


def _row(out: Path, stem: str, label: str) -> list[str]:
    table = json.loads((out / f"records/tables/{stem}.json").read_text())
    return next(r["cells"] for r in table["rows"] if r["label"].startswith(label))


def _as_prose(cell: str) -> str:
    """A table's '0.58 (0.32, 1.04)' as the prose writes it: '0.58 (95% CI: 0.32 to 1.04)'."""
    est, low, high = re.fullmatch(r"\s*(\S+) \(\s*(\S+),\s*(\S+)\)", cell).groups()  # type: ignore[union-attr]
    return f"{est} (95% CI: {low} to {high})"


def test_prose_quotes_the_tables(blocks: list[dict[str, Any]], out: Path) -> None:
    """The same statistic in a sentence and in its table cell (two separate formatting
    paths: the template filters and the table layout)."""
    text = " ".join(_prose(blocks))
    hr = _row(out, "t-14-2-1", "Hazard ratio")[1]
    assert f"versus Placebo was {_as_prose(hr)}" in text
    for label in ("Low/moderate (≤3700 pg/mL)", "High (>3700 pg/mL)"):
        assert f"{_as_prose(_row(out, 't-14-2-2', label)[2])} in the {label} subgroup" in text
    mmrm = _row(out, "t-14-2-3", "Difference in LS means")[1].split(" (")[0]  # "2.8 (0.91)"
    ci = _row(out, "t-14-2-3", "95% CI")[1]  # the first 95% CI row is the MMRM's: "(1.0, 4.6)"
    assert f"Placebo was {_as_prose(f'{mmrm} {ci}')}" in text
    twelve = _row(out, "t-14-1-4", "≥ 12 cycles")  # "80 (73.4)"
    n, pct = re.fullmatch(r"\s*(\d+) \(\s*(\S+)\)", twelve[1]).groups()  # type: ignore[union-attr]
    assert f"with ≥ 12 cycles: {twelve[0].strip().split(' (')[0]} (" in text
    assert f"{n} ({pct}%) on IL-2LD" in text


def test_key_numbers_agree_with_an_independent_computation(
        blocks: list[dict[str, Any]]) -> None:
    """Recomputed from the ADaM files with lifelines and pandas, not with submission-kit's
    own survival or descriptive code (which uses statsmodels PHReg and its own KM)."""
    text = " ".join(_prose(blocks))
    adsl = pd.read_parquet(DATA / "adsl.parquet")
    itt = adsl.loc[adsl["ITTFL"] == "Y", ["USUBJID", "TRT01P"]]
    os_ = pd.read_parquet(DATA / "adtte.parquet").query("PARAMCD == 'OS'").merge(itt)
    os_["event"] = (os_["CNSR"] == 0).astype(int)
    os_["il2"] = (os_["TRT01P"] == "IL-2LD").astype(int)
    deaths = os_.groupby("TRT01P")["event"].sum()
    assert (f"{deaths['Placebo']} of 110 subjects on Placebo and {deaths['IL-2LD']} of 110 "
            "subjects on IL-2LD were counted as deaths") in text
    cox = CoxPHFitter().fit(os_[["AVAL", "event", "il2"]], "AVAL", "event")  # Efron ties
    hr = math.exp(cox.params_["il2"])
    assert f"versus Placebo was {hr:.2f} (95% CI:" in text
    km = KaplanMeierFitter().fit(os_.loc[os_.il2 == 0, "AVAL"], os_.loc[os_.il2 == 0, "event"])
    assert f"Day 640 was {100 * km.survival_function_at_times(640).iloc[0]:.1f}% " in text

    safety = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRT01A"]]
    cycles = pd.read_parquet(DATA / "adex.parquet").query("PARAMCD == 'NCYCLES'").merge(safety)
    twelve = cycles[cycles["AVAL"] >= 12].groupby("TRT01A").size()
    assert f"with ≥ 12 cycles: {twelve['Placebo']} (" in text
    assert f"and {twelve['IL-2LD']} (" in text

    treg = pd.read_parquet(DATA / "adlb.parquet").query(
        "PARAMCD == 'TREG' and AVISIT == 'Month 18'").merge(itt)
    treg = treg[(treg["AVAL"] > 0) & (treg["BASE"] > 0)]
    gmr = treg.groupby("TRT01P").apply(
        lambda g: float(np.exp(np.log(g["AVAL"] / g["BASE"]).mean())), include_groups=False)
    assert f"{gmr['Placebo']:.2f} at Month 18; and on IL-2LD," in text
    assert f"{gmr['IL-2LD']:.2f} at Month 18 (Table 14.2.5)" in text


def test_statements_that_are_not_statistics_are_marked_configured(
        trace: list[dict[str, Any]], study: Study) -> None:
    configured = {e["ref"] for e in trace if e["ref"].startswith("config:")}
    expected = {"config:regulatory.ema.orphan_designation", "config:regulatory.ema.procedure",
                "config:regulatory.ema.significance.label", "config:regulatory.chemical_name"}
    for i in range(len(study.regulatory["ema"]["questions"])):
        expected |= {f"config:regulatory.ema.questions[{i}].question",
                     f"config:regulatory.ema.questions[{i}].position[0]"}
    assert expected <= configured, expected - configured
    computed = [e for e in trace if not e["ref"].startswith("config:")]
    assert {e["template"] for e in computed} == {"_macros.md.j2"}  # numbers only via macros


def test_significance_follows_the_configured_rule(blocks: list[dict[str, Any]]) -> None:
    summary = " ".join(b["text"] for b in blocks if b["section"] == "I. Summary")
    pairs = re.findall(r"p ([=<]) (\d\.\d+), (not )?statistically significant", summary)
    assert len(pairs) >= 3
    for sign, p, negated in pairs:
        assert (float(p) < 0.05 or sign == "<") == (not negated), (sign, p, negated)


# ---- typography of levels in prose (shared macros) ---------------------------------------------

def test_levels_in_prose_use_the_tables_typography(out: Path,
                                                   blocks: list[dict[str, Any]]) -> None:
    for doc_blocks in (blocks, json.loads(
            (out / "records/documents/fda-meeting-package.json").read_text())["blocks"]):
        text = " ".join(_prose(doc_blocks))
        assert "Low/moderate (≤3700 pg/mL)" in text
        assert "<=" not in text and ">=" not in text


def test_typeset_filter_keeps_configured_text_marked() -> None:
    typeset_filter = make_filters(Tracer(), "sas")["typeset"]
    assert typeset_filter("Low (<=3700 pg/mL)") == "Low (≤3700 pg/mL)"
    marked = typeset_filter(AuthoredText(">= 65 years", "regulatory.x"))
    assert marked == "≥ 65 years" and isinstance(marked, AuthoredText)
    assert marked.key == "regulatory.x"


def test_a_question_in_an_unknown_area_stops_the_build(study: Study) -> None:
    ema = dict(study.regulatory["ema"])
    ema["questions"] = [{**ema["questions"][0], "area": "pharmacovigilance"}]
    bad = replace(study, regulatory={**study.regulatory, "ema": ema})
    config = next(d for d in study.documents if d.id == DOC)
    with pytest.raises(UserError, match=r"ema-scientific-advice/document.md.j2 line \d+.*"
                                        r"question area pharmacovigilance"):
        render_document(bad, config, {}, {}, {})
