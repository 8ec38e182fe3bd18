"""`submission-kit check`: each rule passes on real builds (the small study, the demo) and
catches a deliberately broken copy, naming the file. Broken PDFs are written with pypdf;
`pdffonts` (poppler), an independent reader, confirms the unembedded font the check reports.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject

from submission_kit import check
from submission_kit.build import MOCK_BANNER, BuildOptions, build
from submission_kit.check import (
    Build,
    FigureText,
    check_build,
    citations,
    cross_reference_rule,
    figure_text,
    figure_title_findings,
    heading_number,
    orphan_sections_rule,
    placeholder_rule,
    same_statistic_rule,
    titles_rule,
)
from submission_kit.check_pdf import file_name_findings, paper, pdf_findings, size_findings
from submission_kit.cli import main
from submission_kit.study import load_study


@pytest.fixture(scope="module")
def demo(demo_build) -> Path:
    """The demo build (conftest: once per session, read-only); tests copy what they edit."""
    return demo_build


@pytest.fixture
def small(small_build, tmp_path) -> Path:
    """An editable copy of the small study's build (conftest's build is never changed)."""
    return Path(shutil.copytree(small_build, tmp_path / "small",
                                ignore=shutil.ignore_patterns(".cache")))


@pytest.fixture
def demo_copy(demo, tmp_path) -> Path:
    return Path(shutil.copytree(demo, tmp_path / "demo", ignore=shutil.ignore_patterns(".cache")))


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def rewrite_pdf(path: Path, change) -> None:
    """The PDF through pypdf, changed; keeps its 1.7 header (pypdf writes 1.3 by default)."""
    writer = PdfWriter(clone_from=path)
    writer.pdf_header = b"%PDF-1.7"
    change(writer)
    with path.open("wb") as out:
        writer.write(out)


def rules_of(report) -> list[tuple[str, str]]:
    return [(f.rule, f.artifact) for f in report.findings]


# ---- whole builds --------------------------------------------------------------------------

def test_the_demo_build_passes_every_rule(demo):
    report = check_build(demo)
    assert report.findings == (), "\n".join(f"{f.artifact}: {f.message}" for f in
                                            report.findings)
    assert report.ok and not report.mock
    assert report.checked["figures"] == len(list(demo.glob("deliverables/figures/*.pdf"))) >= 5
    assert report.checked["documents"] == len(list(demo.glob("records/documents/*.json"))) >= 2
    assert report.checked["pdfs"] == len(list(demo.glob("deliverables/*/*.pdf")))


def test_the_small_build_passes_every_rule(small):
    report = check_build(small)
    assert report.findings == () and report.ok
    assert report.checked == {"pdfs": 4, "tables": 2, "figures": 0, "documents": 2,
                              "traces": 2}


def test_a_folder_that_is_not_a_build_is_a_user_error(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 2
    assert f"{tmp_path}: not a submission-kit build" in capsys.readouterr().err
    (tmp_path / "records").mkdir()
    (tmp_path / "records/manifest.json").write_text('{"tool": {"name": "other"}}')
    assert main(["check", str(tmp_path), "--json"]) == 2


# ---- rule 1: PDFs --------------------------------------------------------------------------

def test_pdf_version_above_1_7_fails(small):
    path = small / "deliverables/tables/t-14-1-3.pdf"
    data = path.read_bytes()
    assert data.startswith(b"%PDF-1.7")
    path.write_bytes(b"%PDF-2.0" + data[8:])
    assert rules_of(check_build(small)) == [("pdf-version", "deliverables/tables/t-14-1-3.pdf")]
    assert "PDF 2.0; FDA accepts PDF 1.4 to 1.7" in check_build(small).findings[0].message


def test_catalog_version_overrides_the_header(small):
    path = small / "deliverables/tables/t-14-1-3.pdf"
    rewrite_pdf(path, lambda w: w._root_object.__setitem__(NameObject("/Version"),
                                                            NameObject("/2.0")))
    assert rules_of(check_build(small)) == [("pdf-version", "deliverables/tables/t-14-1-3.pdf")]


@pytest.mark.parametrize("user", ["secret", ""])  # a password to open, or an owner one only
def test_encrypted_pdf_fails(small, user):
    path = small / "deliverables/documents/laboratory.pdf"
    rewrite_pdf(path, lambda w: w.encrypt(user, "owner", algorithm="RC4-128"))
    found = check_build(small).findings
    assert [(f.rule, f.artifact) for f in found] == [
        ("pdf-security", "deliverables/documents/laboratory.pdf")]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda w: w.add_open_action(JavaScript("app.alert('hi');")), "contains JavaScript"),
    (lambda w: w.add_attachment("data.csv", b"a,b\n"), "contains an embedded file"),
    (lambda w: w.pages[0].__setitem__(NameObject("/AA"), DictionaryObject()),
     "contains additional actions (/AA)"),
    (lambda w: w._root_object.__setitem__(NameObject("/OpenAction"), DictionaryObject({
        NameObject("/S"): NameObject("/Launch")})), "/OpenAction runs a Launch action"),
])
def test_javascript_attachments_and_launching_actions_fail(small, change, expected):
    rewrite_pdf(small / "deliverables/documents/demography.pdf", change)
    found = check_build(small).findings
    assert {f.artifact for f in found} == {"deliverables/documents/demography.pdf"}
    assert {f.rule for f in found} == {"pdf-active-content"}
    assert any(expected in f.message for f in found), [f.message for f in found]


def test_an_open_action_that_goes_to_a_page_is_allowed(small):
    def go_to_first_page(writer):
        target = ArrayObject([writer.pages[0].indirect_reference, NameObject("/Fit")])
        writer._root_object[NameObject("/OpenAction")] = target

    rewrite_pdf(small / "deliverables/documents/demography.pdf", go_to_first_page)
    assert check_build(small).findings == ()


def _add_font(writer, name: str, font: dict) -> None:
    fonts = writer.pages[0]["/Resources"]["/Font"]
    fonts[NameObject(name)] = writer._add_object(DictionaryObject(
        {NameObject(k): NameObject(v) for k, v in font.items()}))


def test_unembedded_font_fails_with_its_name_and_pdffonts_agrees(small):
    path = small / "deliverables/tables/t-14-3-4-1.pdf"
    rewrite_pdf(path, lambda w: _add_font(w, "/F9", {"/Type": "/Font", "/Subtype": "/Type1",
                                                     "/BaseFont": "/Helvetica"}))
    found = check_build(small).findings
    assert [(f.rule, f.artifact) for f in found] == [
        ("pdf-fonts", "deliverables/tables/t-14-3-4-1.pdf")]
    assert found[0].message.startswith("font Helvetica is not embedded (pages 1")
    if shutil.which("pdffonts"):
        listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                                 check=True).stdout
        helvetica = next(line for line in listing.splitlines() if line.startswith("Helvetica"))
        assert helvetica.split()[-5] == "no"  # the "emb" column


def test_type3_fonts_count_as_embedded(small):
    rewrite_pdf(small / "deliverables/tables/t-14-3-4-1.pdf",
                lambda w: _add_font(w, "/F8", {"/Type": "/Font", "/Subtype": "/Type3"}))
    assert check_build(small).findings == ()


def test_page_size_must_be_letter_or_a4(small):
    def odd_and_a4_landscape(writer):
        writer.pages[0].mediabox.upper_right = (FloatObject(500), FloatObject(700))
        if len(writer.pages) > 1:
            writer.pages[1].mediabox.upper_right = (FloatObject(841.89), FloatObject(595.28))

    rewrite_pdf(small / "deliverables/tables/t-14-1-3.pdf", odd_and_a4_landscape)
    found = check_build(small).findings
    assert [(f.rule, f.artifact) for f in found] == [
        ("pdf-page-size", "deliverables/tables/t-14-1-3.pdf")]
    assert found[0].message.startswith("pages 1: 500 x 700 pt")
    assert [paper(612, 792), paper(792, 612), paper(595, 842), paper(842, 595.28),
            paper(600, 800)] == ["Letter", "Letter", "A4", "A4", None]


def test_documents_need_bookmarks_and_open_on_them(small):
    def no_outline(writer):
        del writer._root_object["/PageMode"]
        writer._root_object[NameObject("/Outlines")] = writer._add_object(DictionaryObject(
            {NameObject("/Type"): NameObject("/Outlines")}))

    rewrite_pdf(small / "deliverables/documents/demography.pdf", no_outline)
    rewrite_pdf(small / "deliverables/tables/t-14-1-3.pdf", no_outline)  # a TLF need not have them
    found = check_build(small).findings
    assert [(f.rule, f.artifact) for f in found] == [
        ("pdf-bookmarks", "deliverables/documents/demography.pdf")] * 2
    assert "no bookmarks" in found[0].message and "/UseOutlines" in found[1].message


def test_file_names_follow_the_ectd_rule(small):
    documents = small / "deliverables/documents"
    (documents / "demography.pdf").rename(documents / "Demography_Brief.pdf")
    found = check_build(small).findings
    assert [(f.rule, f.artifact) for f in found] == [
        ("pdf-file-name", "deliverables/documents/Demography_Brief.pdf")]
    assert file_name_findings("deliverables/tables/t-14-1-3.pdf") == []
    assert file_name_findings("tables/" + "a" * 60 + ".pdf") == []  # 64 with the extension
    long = file_name_findings("tables/" + "a" * 61 + ".pdf")
    assert [f.message for f in long] == ["file name has 65 characters; eCTD allows 64 with "
                                         "the extension"]


def test_size_limit(small):
    assert size_findings("x.pdf", 400_000_000) == []
    assert [f.rule for f in size_findings("x.pdf", 400_000_001)] == ["pdf-size"]
    path = small / "deliverables/documents/laboratory.pdf"
    found = pdf_findings(path, "deliverables/documents/laboratory.pdf",
                         max_bytes=path.stat().st_size - 1)
    assert [f.rule for f in found] == ["pdf-size"]


def test_a_damaged_pdf_is_reported_not_raised(small):
    (small / "deliverables/tables/t-14-1-3.pdf").write_bytes(b"%PDF-1.7\nnot really\n")
    assert ("pdf-readable", "deliverables/tables/t-14-1-3.pdf") in rules_of(check_build(small))


# ---- rule 2: title, population, source -----------------------------------------------------

@pytest.mark.parametrize(("change", "rules"), [
    (lambda t: t.__setitem__("source", ""), ["source"]),
    (lambda t: t.pop("source"), ["source"]),
    (lambda t: t.__setitem__("population", ""), ["population"]),
    (lambda t: t.__setitem__("title", t["title"][:1]), ["title", "population"]),  # not shown
])
def test_table_without_title_population_or_source_fails(small, change, rules):
    edit_json(small / "records/tables/t-14-3-4-1.json", change)
    assert rules_of(check_build(small)) == [(r, "records/tables/t-14-3-4-1.json") for r in rules]


def test_population_must_be_shown_among_the_title_lines(small):
    edit_json(small / "records/tables/t-14-1-3.json",
              lambda t: t.__setitem__("title", t["title"][:2]))
    found = check_build(small).findings
    assert [(f.rule, f.artifact) for f in found] == [("population", "records/tables/t-14-1-3.json")]
    assert "not among the title lines" in found[0].message


def test_figures_show_title_population_and_source(demo):
    """From the figure's PDF (Subject metadata + page text) or, without a PDF, its DOCX."""
    for ext in ("pdf", "docx"):
        figure = figure_text(demo / f"deliverables/figures/f-14-2-1.{ext}")
        assert figure.caption == "Kaplan-Meier Plot of Overall Survival — Intent-to-Treat " \
                                 "Population"
        assert "Source: ADSL, ADTTE" in figure.text
        assert figure_title_findings(f"deliverables/figures/f-14-2-1.{ext}", figure) == []


def test_figure_without_population_or_source_fails(demo_copy):
    path = demo_copy / "deliverables/figures/f-14-2-2.pdf"
    rewrite_pdf(path, lambda w: w.add_metadata({"/Subject": "Forest Plot of Overall Survival"}))
    build = Build(demo_copy, {}, figures=("f-14-2-2",),
                  files=("deliverables/figures/f-14-2-2.pdf",))
    assert [(f.rule, f.artifact) for f in titles_rule(build)] == [
        ("population", "deliverables/figures/f-14-2-2.pdf")]
    text = FigureText("KM Plot — ITT Population", "Figure 14.2.1\nKM Plot\nITT Population\n")
    assert [f.rule for f in figure_title_findings("deliverables/figures/f.pdf", text)] == ["source"]
    shown_nowhere = FigureText("KM Plot — ITT Population", "Figure 14.2.1\nSource: ADSL")
    assert [f.rule for f in figure_title_findings("f.pdf", shown_nowhere)] == [
        "title", "population"]


# ---- rule 3: placeholders ------------------------------------------------------------------

def test_mock_cells_in_a_real_build_fail_naming_row_and_column(small):
    def mock_cells(table):
        table["rows"][2]["cells"][0] = "xx.x (xx.xx)"
        table["rows"][3]["cells"][1] = "x.xxx"
    edit_json(small / "records/tables/t-14-1-3.json", mock_cells)
    found = check_build(small).findings
    assert {(f.rule, f.artifact) for f in found} == {
        ("placeholder", "records/tables/t-14-1-3.json")}
    messages = sorted(f.message for f in found)
    assert messages[0].startswith("unresolved placeholder 'x.xxx' in row 'Median', "
                                  "column 'IL-2LD'")
    assert messages[1].startswith("unresolved placeholder 'xx.x' in row 'Mean (SD)', "
                                  "column 'Placebo'")


@pytest.mark.parametrize("text", ["Median survival was TBD months.", "See TODO.",
                                  "HR {{ hr }}", "the [[ref]]", "left }} over"])
def test_unresolved_text_in_a_document_fails(small, text):
    edit_json(small / "records/documents/demography.json",
              lambda d: d["blocks"][1].__setitem__("text", text))
    found = check_build(small).findings  # "{{ hr }}": one finding for {{, one for }}
    assert {(f.rule, f.artifact) for f in found} == {
        ("placeholder", "records/documents/demography.json")}
    assert "paragraph 2 in '1 Demography'" in found[0].message


def test_words_that_only_look_like_placeholders_pass():
    build = Build(Path("."), {}, documents={"records/documents/d.json": {"blocks": [
        {"kind": "paragraph", "text": "2 x 2 table; Dates are shown as YYYY-MM-DD; xxl; Box"
                                      " TBDx; {x}; [1]"}]}})
    assert placeholder_rule(build) == []


def test_a_mock_build_is_one_warning_not_errors(small_study, tmp_path, capsys):
    out = tmp_path / "mock"
    build(load_study(small_study / "study.toml"), BuildOptions(out_dir=out, mock=True))
    report = check_build(out)
    assert report.mock and report.ok
    assert [(f.rule, f.severity) for f in report.findings] == [("mock-build", "warning")]
    assert main(["check", str(out)]) == 0
    assert "MOCK BUILD: shells for review, not for submission" in capsys.readouterr().out
    # The manifest's marks gone, the TLF files' running header still says so.
    edit_json(out / "records/manifest.json", lambda m: m.__setitem__("nodes", {"x": {}}))
    assert [f.rule for f in check_build(out).findings] == ["mock-build"]


def test_the_mock_mark_is_the_banner_build_writes():
    assert MOCK_BANNER.startswith(check.MOCK_MARK)


# ---- rule 4: cross-references --------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("(Tables 14.2.1 and 14.2.2).", [("Table", "14.2.1"), ("Table", "14.2.2")]),
    ("Figures 14.2.1\u201314.2.3",  # an en dash
     [("Figure", "14.2.1"), ("Figure", "14.2.3")]),
    ("Sections 9.1, 9.2 and 10", [("Section", "9.1"), ("Section", "9.2"), ("Section", "10")]),
    ("Table 14.1.3 and 2 subjects", [("Table", "14.1.3")]),  # a list needs a plural
    ("provided in Appendix 1.", [("Appendix", "1")]),
    ("see Annex II", [("Appendix", "II")]),
    ("Listing 16.2.7 lists", [("Table", "16.2.7")]),
    ("background in Section III.", [("Section", "III")]),
    ("section 351(a) of the Public Health Service Act", []),  # another text's section
    ("Table 2 of the guideline", []),
    ("Table 3 of this document", [("Table", "3")]),
    ("Tables and figures follow", []),
])
def test_citations(text, expected):
    assert [(kind, number) for kind, number, _ in citations(text)] == expected


@pytest.mark.parametrize(("heading", "number"), [
    ("10.1 Data for Question 1", "10.1"), ("III. Background Information", "III"),
    ("A. Quality", "A"), ("Item 5 Clinical superiority", "5"), ("Applicant's Position", None),
    ("List of Abbreviations", None), ("Appendix 1: Protocol Synopsis", None)])
def test_heading_number(heading, number):
    assert heading_number(heading) == number


def test_cited_appendix_table_and_section_must_exist(small):
    edit_json(small / "records/documents/demography.json", lambda d: d["blocks"][1].__setitem__(
        "text", "A synopsis is provided in Appendix 1. Shifts: Table 14.3.4.1 (built, not "
                "placed here); Table 1 is above; see Section 1 and Section 4; Table 14.9.9."))
    found = check_build(small).findings
    assert {(f.rule, f.artifact) for f in found} == {("cross-reference",
                                                      "records/documents/demography.json")}
    assert sorted(f.message.split(",")[0] for f in found) == [
        "cites Appendix 1", "cites Section 4", "cites Table 14.9.9"]


def test_an_appendix_heading_resolves_its_citations(small):
    def add_appendix(document):
        document["blocks"][1]["text"] = "A synopsis is provided in Appendix 1."
        document["blocks"].append({"index": 4, "kind": "heading", "level": 1,
                                   "section": "Appendix 1", "text": "Appendix 1: Synopsis"})
    edit_json(small / "records/documents/demography.json", add_appendix)
    assert cross_reference_rule(check.load_build(small)[0]) == []


# ---- rule 5: one statistic, one text -------------------------------------------------------

def test_the_demo_quotes_shared_statistics_alike(demo):
    traces = [json.loads(p.read_text()) for p in sorted((demo / "records/trace").glob("*.json"))]
    refs = [{e["ref"] for e in t["numbers"]} for t in traces]
    assert len(traces) >= 2 and refs[0] & refs[1]  # the rule has something to compare
    assert same_statistic_rule(check.load_build(demo)[0]) == []


def test_a_statistic_quoted_differently_fails_naming_both_documents(demo_copy):
    ema, fda = demo_copy / "records/trace/ema-scientific-advice.json", demo_copy / \
        "records/trace/fda-meeting-package.json"
    shared = sorted({e["ref"] for e in json.loads(ema.read_text())["numbers"]}
                    & {e["ref"] for e in json.loads(fda.read_text())["numbers"]}
                    - {""})
    ref = next(r for r in shared if not r.startswith("config:"))

    def requote(trace):
        entry = next(e for e in trace["numbers"] if e["ref"] == ref)
        entry["text"] += "0"
    edit_json(fda, requote)
    found = [f for f in check_build(demo_copy).findings]
    # Every document quoting that statistic is named (the CSR synopsis and the orphan request
    # may quote it too), the two edited and compared here among them.
    quoting = sorted(f"records/trace/{p.name}"
                     for p in (demo_copy / "records/trace").glob("*.json")
                     if any(e["ref"] == ref for e in json.loads(p.read_text())["numbers"]))
    assert {"records/trace/ema-scientific-advice.json",
            "records/trace/fda-meeting-package.json"} <= set(quoting)
    assert [(f.rule, f.artifact) for f in found] == [("same-statistic", ", ".join(quoting))]
    assert found[0].message.startswith(f"{ref} is quoted differently: ")


# ---- rule 6: orphan designation content ----------------------------------------------------

FDA_HEADINGS = ["Abbreviations", "1 Request for Orphan-Drug Designation",
                "2 Sponsor, Contact and US Resident Agent", "3 The Disease and the Proposed Use",
                "4 Description of the Drug and Scientific Rationale",
                "4.1 Nonclinical Data", "5 Clinical Superiority", "6 Orphan Subset",
                "7 Regulatory Status and Marketing History", "8 Prevalence in the US",
                "9 Real Party in Interest", "References"]
EU_HEADINGS = ["A. Description of the Condition", "A.1 Details of the Condition",
               "B. Prevalence of the Condition", "C. Potential for Return on Investment",
               "D. Other Methods of Treatment", "E. Description of the Stage of Development"]


def orphan_document(doc_id: str, headings: list[str]) -> dict:
    return {"document": doc_id, "blocks": [
        {"index": i, "kind": "heading", "level": 1, "section": h, "text": h}
        for i, h in enumerate(headings, 1)]}


def add_document(out: Path, doc_id: str, headings: list[str]) -> None:
    (out / f"records/documents/{doc_id}.json").write_text(
        json.dumps(orphan_document(doc_id, headings)))


def test_orphan_documents_with_every_item_pass(small, demo):
    assert orphan_sections_rule(check.load_build(demo)[0]) == []  # none built: nothing checked
    add_document(small, "fda-orphan-designation-request", FDA_HEADINGS)
    add_document(small, "eu-orphan-designation-application", EU_HEADINGS)
    assert check_build(small).findings == ()


def test_fda_orphan_request_missing_an_item_fails(small):
    headings = [h for h in FDA_HEADINGS if not h.startswith(("5 ", "9 "))]
    headings[headings.index("6 Orphan Subset")] = "5 Orphan Subset"  # renumbered
    add_document(small, "fda-orphan-designation-request", headings)
    found = check_build(small).findings
    assert {(f.rule, f.artifact) for f in found} == {
        ("orphan-content", "records/documents/fda-orphan-designation-request.json")}
    assert [f.message for f in found] == [
        "no heading for 21 CFR 316.20(b) item 5: Clinical superiority over an approved orphan "
        "drug for the same condition",
        "no heading for 21 CFR 316.20(b) item 6: Medical plausibility of a subset of the "
        "disease; closest heading: '5 Orphan Subset' (numbered otherwise)",
        "no heading for 21 CFR 316.20(b) item 9: Statement whether the sponsor is the real "
        "party in interest"]


def test_eu_orphan_application_missing_a_section_fails(small):
    add_document(small, "eu-orphan-designation-application",
                 [h for h in EU_HEADINGS if not h.startswith("C.")])
    found = check_build(small).findings
    assert [(f.rule, f.artifact, f.message) for f in found] == [
        ("orphan-content", "records/documents/eu-orphan-designation-application.json",
         "no heading for EU application section C: Potential for return on investment")]


# ---- the command ---------------------------------------------------------------------------

def test_check_command_text_and_json(small, capsys):
    assert main(["check", str(small)]) == 0
    assert capsys.readouterr().out.startswith("READY: no rule fails (4 pdfs, 2 tables")
    edit_json(small / "records/tables/t-14-1-3.json", lambda t: t.__setitem__("source", ""))
    assert main(["check", str(small)]) == 1
    out = capsys.readouterr().out
    assert "  error    source             records/tables/t-14-1-3.json: no source" in out
    assert "NOT READY: 1 error (4 pdfs" in out
    assert main(["-q", "check", str(small), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["command"] == "check" and document["ok"] is False
    assert document["ready"] is False and document["errors"] == 1
    assert document["findings"] == [{"rule": "source", "artifact": "records/tables/t-14-1-3.json",
                                     "message": "no source (datasets and program)",
                                     "severity": "error"}]


def test_check_defaults_to_output_in_the_current_folder(small, monkeypatch, capsys):
    monkeypatch.chdir(small.parent)
    small.rename(small.parent / "output")
    assert main(["check"]) == 0
    assert "checked in output" in capsys.readouterr().out
