"""The orphan designation documents of the demo, read back as OOPD and COMP reviewers read them:
the US request carries the nine items of 21 CFR 316.20(b) numbered as the regulation numbers
them, with all the trial's data under item 4 and a prevalence computed from the configured
sources under item 8; the EU application carries sections A-E with the prevalence per 10,000
and the significant benefit argued with the results; the maintenance report reviews the
criteria. Every number is traced to its result; the prevalence ones equal hand arithmetic on
the published figures; every cited table and figure is in the document; the DOCX open in
LibreOffice; `check` finds nothing wrong with them.

The documents are part of the demo, so the session's one demo build (conftest `demo_build`)
carries them: no build of its own here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import docx
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from office_convert import libreoffice_pdfs
from pypdf import PdfReader

from submission_kit.check import (
    EU_ORPHAN_SECTIONS,
    FDA_ORPHAN_ITEMS,
    RULES,
    heading_number,
    load_build,
    orphan_sections_rule,
)
from submission_kit.cli import DEMO_STUDY
from submission_kit.study import Study, load_study

FDA, EU, MAINTENANCE = ("fda-orphan-designation-request", "eu-orphan-designation-application",
                        "eu-orphan-maintenance-report")
DATA = DEMO_STUDY.parent / "data"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def study() -> Study:
    return load_study(DEMO_STUDY)


@pytest.fixture(scope="module")
def out(demo_build: Path) -> Path:
    return demo_build  # conftest: the whole demo, built once per session, read-only


def blocks(out: Path, doc: str) -> list[dict[str, Any]]:
    return json.loads((out / f"records/documents/{doc}.json").read_text())["blocks"]


def trace(out: Path, doc: str) -> list[dict[str, Any]]:
    return json.loads((out / f"records/trace/{doc}.json").read_text())["numbers"]


def prose(items: list[dict[str, Any]], section: str = "") -> list[str]:
    return [b["text"] for b in items if b["kind"] in ("paragraph", "list-item")
            and b["section"].startswith(section)]


def orphan(study: Study) -> Mapping[str, Any]:
    return study.regulatory["orphan"]


# ---- structure ---------------------------------------------------------------------------------

def test_us_items_are_numbered_as_316_20_b_numbers_them(out: Path) -> None:
    headings = [b["text"] for b in blocks(out, FDA) if b["kind"] == "heading" and b["level"] == 1]
    items = [h for h in headings if heading_number(h)]
    assert [heading_number(h) for h in items] == [str(i) for i in range(1, 10)]
    for heading, (number, _, words) in zip(items, FDA_ORPHAN_ITEMS, strict=True):
        assert heading.endswith(f"(21 CFR 316.20(b)({number}))"), heading
        assert any(w in heading.lower() for w in words), heading
    # Front matter before item 1; references and the appendix after item 9.
    assert headings[0] == "Abbreviations"
    assert headings[-2:] == ["References",
                             "Appendix 1: Listings of Deaths and Serious Adverse Events"]


def test_eu_sections_a_to_e_in_order(out: Path) -> None:
    headings = [b["text"] for b in blocks(out, EU) if b["kind"] == "heading"]
    top = [h for h in headings if heading_number(h) in tuple("ABCDE")]
    assert [heading_number(h) for h in top] == list("ABCDE")
    for heading, (_, _, words) in zip(top, EU_ORPHAN_SECTIONS, strict=True):
        assert any(w in heading.lower() for w in words), heading
    subs = [heading_number(h) for h in headings if re.match(r"[A-E]\.\d ", h)]
    assert subs == ["A.1", "A.2", "A.3", "A.4", "B.1", "B.2", "B.3", "D.1", "D.2", "D.3",
                    "E.1", "E.2"]


def test_maintenance_report_reviews_each_criterion(out: Path) -> None:
    headings = [b["text"] for b in blocks(out, MAINTENANCE) if b["kind"] == "heading"]
    assert headings[1:4] == ["1 Product and Administrative Information",
                             "2 Grounds for the COMP Opinion at Designation",
                             "3 Review of the Designation Criteria at Marketing Authorisation"]
    assert [h.split(" ", 1)[1] for h in headings if h.startswith("3.")] == [
        "The Condition and the Therapeutic Indication",
        "Life-Threatening or Chronically Debilitating Nature", "Current Prevalence",
        "Existing Methods of Treatment", "Significant Benefit", "Conclusion"]


def test_docx_headings_are_word_headings(out: Path) -> None:
    for doc, numbered in ((FDA, True), (EU, False)):
        document = docx.Document(str(out / f"deliverables/documents/{doc}.docx"))
        headings = [p.text.strip() for p in document.paragraphs
                    if p.style is not None and p.style.name.startswith("Heading")]
        expected = [b["text"] for b in blocks(out, doc) if b["kind"] == "heading"]
        if numbered:  # Word numbers the headings through list numbering, not typed text
            expected = [re.sub(r"^\d+(\.\d+)* ", "", h) for h in expected]
        assert headings == expected


def test_pdf_bookmarks_pages_and_marking(out: Path) -> None:
    def titles(items: list[Any]) -> Iterator[str]:
        for item in items:
            if isinstance(item, list):
                yield from titles(item)
            else:
                yield str(item.title).strip()

    sizes = {FDA: (612.0, 792.0), EU: (595.28, 841.89), MAINTENANCE: (595.28, 841.89)}
    for doc, size in sizes.items():
        reader = PdfReader(str(out / f"deliverables/documents/{doc}.pdf"))
        page = reader.pages[0]
        assert "Synthetic data — for demonstration only" in page.extract_text()
        assert (float(page.mediabox.width), float(page.mediabox.height)) == \
            pytest.approx(size, abs=0.5)
        bookmarks = set(titles(reader.outline))
        headings = [b["text"] for b in blocks(out, doc) if b["kind"] == "heading"]
        assert set(headings) <= bookmarks, set(headings) - bookmarks


def test_libreoffice_opens_the_docx(out: Path, tmp_path: Path) -> None:
    converted = libreoffice_pdfs([out / f"deliverables/documents/{d}.docx" for d in (FDA, EU)],
                                 tmp_path)
    fda = " ".join(p.extract_text() for p in converted[FDA].pages)
    eu = " ".join(p.extract_text() for p in converted[EU].pages)
    assert "Real Party in Interest" in fda and "Documentation of Prevalence" in fda
    assert "B. Prevalence of the Condition" in eu and "D.3 Justification" in eu


def test_check_finds_nothing_wrong_with_the_orphan_documents(out: Path) -> None:
    """Every readiness rule (the PDF rules on our PDFs only: test_check runs them all on the
    demo), including 316.20(b) items 1-9 and sections A-E."""
    ours = (FDA, EU, MAINTENANCE, "t-8-1", "t-8-2", "t-8-3")
    build, found = load_build(out)
    build = replace(build, pdfs=tuple(p for p in build.pdfs if any(n in p for n in ours)))
    assert len(build.pdfs) == 6
    for rule in RULES:
        found += rule(build)
    errors = [f for f in found if f.severity == "error" and any(n in f.artifact for n in ours)]
    assert not errors, errors
    assert not orphan_sections_rule(build)


# ---- all the data: tables and figures -------------------------------------------------------

def test_item_4_carries_every_section_14_output_of_the_study(out: Path, study: Study) -> None:
    placed = {(b["kind"], b["ref"]) for b in blocks(out, FDA) if b["kind"] in ("table", "figure")}
    built = {(o.kind, o.id) for o in study.outputs if o.id.startswith("14.")}
    assert built <= placed, built - placed
    refs = [b["ref"] for b in blocks(out, FDA) if b["kind"] == "table"]
    assert len(refs) == len(set(refs))  # each placed once
    item4 = {(b["kind"], b["ref"]) for b in blocks(out, FDA) if b["kind"] in ("table", "figure")
             and b["section"].startswith("4 ")}
    fda = orphan(study)["fda"]
    for block in fda["clinical_data"]:
        assert {("table", t) for t in block.get("tables", ())} <= item4
        assert {("figure", f) for f in block.get("figures", ())} <= item4


@pytest.mark.parametrize("doc", [FDA, EU, MAINTENANCE])
def test_every_cited_table_and_figure_is_in_the_document(out: Path, doc: str) -> None:
    items = blocks(out, doc)
    text = " ".join(prose(items))
    included = {(b["kind"], b["ref"]) for b in items if b["kind"] in ("table", "figure")}
    cited = {("table", t) for t in re.findall(r"\bTable (\d+(?:\.\d+)+)", text)}
    cited |= {("figure", f) for f in re.findall(r"\bFigure (\d+(?:\.\d+)+)", text)}
    assert cited and cited <= included, cited - included
    appendices = {h["text"].split(":")[0] for h in items if h["kind"] == "heading"
                  and h["text"].startswith("Appendix")}
    assert set(re.findall(r"\bAppendix \d+", text)) <= appendices


# ---- prevalence: computed, traced, equal to hand arithmetic ------------------------------------

def traced(out: Path, doc: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for entry in trace(out, doc):
        found.setdefault(entry["ref"], set()).add(entry["text"])
    return found


def test_us_prevalence_is_traced_and_equals_hand_arithmetic(out: Path) -> None:
    t = traced(out, FDA)
    # 9.1 per 100,000 (National ALS Registry 2018, capture-recapture) x 333,287,557 (US Census
    # Bureau, 1 July 2022) = 9.1 x 3,332.87557 = 30,329.17 persons: 15.16% of 200,000.
    assert t["t_8_1:estimate.persons"] == {"30,329"}
    assert t["t_8_1:estimate.rate"] == {"9.1"}
    assert t["t_8_1:estimate.pct_of_threshold"] == {"15.2"}
    assert t["t_8_1:population.persons"] == {"333.3"}
    # 21,655 cases counted in 327,167,434 persons (2018): 6.62 per 100,000, and
    # 21,655 x 333,287,557 / 327,167,434 = 22,060.1 persons in 2022.
    assert t["t_8_1:source.2.rate"] == {"6.6"}
    assert t["t_8_1:source.2.persons"] == {"22,060"}
    assert t["t_8_1:source.2.cases"] == {"21,655"}
    assert t["t_8_1:estimate.source"] == {"1"}
    results = json.loads((out / "records/results/t_8_1.json").read_text())
    values = {r["key"]: r["value"] for r in results["records"]}
    assert values["estimate.persons"] == pytest.approx(9.1 * 3_332.87557)
    assert values["threshold.rate"] == pytest.approx(200_000 / 3_332.87557)
    assert values["estimate.below_threshold"] == 1
    assert results["datasets"] == []  # configured figures, no dataset
    assert results["population"] == "United States resident population, 1 July 2022"
    section = " ".join(prose(blocks(out, FDA), "8 "))
    assert ("It meets the prevalence criterion: fewer than 200,000 persons in the United "
            "States (21 CFR 316.21(b)).") in section
    table = json.loads((out / "records/tables/t-8-1.json").read_text())
    estimate = next(r for r in table["rows"] if r["label"].startswith("Estimate"))
    assert [c.strip() for c in estimate["cells"]] == ["", "9.1", "333.3", "30,329", "15.2"]


def test_eu_prevalence_per_10000_is_traced_and_equals_hand_arithmetic(out: Path) -> None:
    t = traced(out, EU)
    # 1 in 10,000 (COMP, EU/3/20/2256) x 447.2 million (Eurostat 2021) = 44,720 persons;
    # 5.4 per 100,000 (Chiò 2013) = 0.54 per 10,000 = 24,148.8 persons; threshold
    # 5 in 10,000 = 223,600 persons, of which 44,720 is 20.0%.
    assert t["t_8_2:estimate.rate"] == {"1.00"}
    assert t["t_8_2:estimate.persons"] == {"44,720"}
    assert t["t_8_2:source.1.rate"] == {"0.54"}
    assert t["t_8_2:source.1.persons"] == {"24,149"}
    assert t["t_8_2:estimate.pct_of_threshold"] == {"20.0"}
    table = json.loads((out / "records/tables/t-8-2.json").read_text())
    threshold = next(r for r in table["rows"] if r["label"].startswith("Threshold"))
    assert [c.strip() for c in threshold["cells"]] == ["5.00", "447.2", "223,600", ""]
    assert "Persons counted" not in [c["label"] for c in table["columns"]]  # rates only
    section = " ".join(prose(blocks(out, EU), "B. "))
    assert "It meets the prevalence criterion: not more than 5 in 10,000 persons" in section


def test_every_number_in_the_prevalence_sections_is_traced(out: Path, study: Study) -> None:
    """Besides the configured words (labels, citations, the threshold's wording) and the
    table number, every number of the prevalence prose is a traced result."""
    for doc, section, table_id in ((FDA, "8 ", "8.1"), (EU, "B. ", "8.2"),
                                   (MAINTENANCE, "3 Review of the Designation Criteria at "
                                                 "Marketing Authorisation > 3.3 ", "8.3")):
        params = next(o.params for o in study.outputs if o.id == table_id)
        words = [str(params["reference_population"]["label"]), str(params["threshold"]["label"])]
        words += [str(s[k]) for s in params["sources"] for k in ("label", "citation")]
        configured = [e["text"] for e in trace(out, doc) if e["ref"].startswith("config:")]
        computed = {n for e in trace(out, doc) if not e["ref"].startswith("config:")
                    for n in NUMBER.findall(e["text"])}
        units = re.compile(r"\bper 10(?:0)?,000\b|\bTable \d+(?:\.\d+)+|\[\d\]|^\d+\. |"
                           r"Section \d(?:\.\d)?")
        for text in prose(blocks(out, doc), section):
            for known in sorted(words + configured, key=len, reverse=True):
                text = text.replace(known, " ")
            text = units.sub(" ", text)
            stray = [n for n in NUMBER.findall(text) if n not in computed]
            assert not stray, (doc, stray, text)


# ---- the sentences: from results, verdicts by the configured rule -----------------------------

def test_placebo_course_agrees_with_the_raw_adam(out: Path, study: Study) -> None:
    """Independent computation with lifelines on ADTTE: deaths and Kaplan-Meier survival at
    day 640 on placebo, the numbers item 3 and section A.4 state."""
    adsl = pd.read_parquet(DATA / "adsl.parquet")
    adtte = pd.read_parquet(DATA / "adtte.parquet")
    itt = adsl.loc[(adsl["ITTFL"] == "Y") & (adsl["TRT01P"] == "Placebo"), "USUBJID"]
    os_ = adtte[(adtte["PARAMCD"] == "OS") & adtte["USUBJID"].isin(itt)]
    deaths = int((os_["CNSR"] == 0).sum())
    km = KaplanMeierFitter().fit(os_["AVAL"], os_["CNSR"] == 0)
    surv = float(km.survival_function_at_times(640).iloc[0])
    expected = (f"In the Phase 2b study, {deaths} of {len(itt)} subjects on Placebo were counted "
                f"as deaths, and the Kaplan-Meier estimate of survival at Day 640 on Placebo was "
                f"{100 * surv:.1f}%")
    for doc, section in ((FDA, "3 "), (EU, "A. ")):
        assert any(p.startswith(expected) for p in prose(blocks(out, doc), section)), doc


def test_verdicts_follow_the_configured_significance_rule(out: Path, study: Study) -> None:
    alpha = orphan(study)["significance"]["alpha"]
    items = [t for t in prose(blocks(out, FDA), "4 ") if "statistically significant" in t]
    items += [t for t in prose(blocks(out, EU), "D. ") if "statistically significant" in t]
    assert len(items) >= 8
    for text in items:
        for p, verdict in re.findall(r"p ([<=] \d\.\d+), (not )?statistically significant",
                                     text):
            value = float(p[2:])
            assert (verdict == "") == (value < alpha or p.startswith("<")), text


def test_facts_are_marked_as_configured_text(out: Path) -> None:
    refs = {e["ref"] for e in trace(out, FDA)}
    for key in ("config:regulatory.orphan.fda.real_party[0]",
                "config:regulatory.orphan.fda.us_agent.name",
                "config:regulatory.orphan.fda.subset[0]",
                "config:regulatory.orphan.disease[0]"):
        assert key in refs, key
    eu = {e["ref"] for e in trace(out, EU)}
    assert "config:regulatory.orphan.eu.condition[1]" in eu
    assert "config:regulatory.orphan.eu.significant_benefit[0]" in eu


def test_the_eu_condition_is_als_as_a_whole(out: Path) -> None:
    section = " ".join(prose(blocks(out, EU), "A. "))
    assert "The proposed orphan indication is: Treatment of amyotrophic lateral sclerosis." in \
        section
    assert "does not define a distinct condition" in section
    subset = " ".join(prose(blocks(out, FDA), "6 "))
    assert subset.startswith("Not applicable: designation is requested for ALS as a whole")


def test_the_sponsor_is_typed_once(demo_computed) -> None:
    """Issue 12: [study] sponsor names the sponsor everywhere; a changed name leaves no trace
    of the old one in the orphan documents (the real party in interest, the applicant)."""
    from submission_kit.documents.render import render_document
    from submission_kit.documents.structure import as_document_json

    demo = load_study(DEMO_STUDY)
    study = replace(demo, identity=replace(demo.identity, sponsor="Acme Neuro SAS"))
    c = demo_computed
    text = {}
    for doc_id in (FDA, "eu-orphan-maintenance-report", EU):
        config = next(d for d in study.documents if d.id == doc_id)
        rendered = render_document(study, config, c.results, c.tables, c.figures)
        text[doc_id] = as_document_json(rendered.document)
        assert demo.identity.sponsor not in text[doc_id], doc_id
    assert "Acme Neuro SAS is the real party in interest" in text[FDA]
    assert "Acme Neuro SAS, 1 Rue de l'Exemple" in text["eu-orphan-maintenance-report"]
