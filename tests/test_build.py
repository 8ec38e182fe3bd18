"""End-to-end: build the bundled demo study and read every output back.

DOCX files are read with python-docx and opened in LibreOffice (headless); PDFs are read with
pypdf. Two builds, one in another process, must give byte-identical files.
"""

import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from submission_kit.build import BuildOptions, build, compute, load_specs, needed_specs
from submission_kit.cli import DEMO_STUDY
from submission_kit.errors import UserError
from submission_kit.study import load_study


def expected_files() -> set[str]:
    """What the contract says a build of the demo writes, derived from its configuration."""
    study = load_study(DEMO_STUDY)
    files = {"records/manifest.json", "deliverables/SHA256SUMS", "records/results/ard.csv"}
    for output in study.outputs:
        stem = f"{output.kind[0]}-{output.id.replace('.', '-')}"
        files.add(f"records/results/{output.kind[0]}_{output.id.replace('.', '_')}.json")
        records = ("json",) if output.kind == "table" else ("svg", "png")
        files |= {f"records/{output.kind}s/{stem}.{ext}" for ext in records}
        files |= {f"deliverables/{output.kind}s/{stem}.{fmt}" for fmt in ("docx", "pdf")}
    for doc in study.documents:
        files |= {f"deliverables/documents/{doc.id}.{fmt}" for fmt in doc.formats}
        files |= {f"records/trace/{doc.id}.json", f"records/documents/{doc.id}.json"}
    return files


EXPECTED_FILES = expected_files()
HEADINGS = ["Product Name and Application Number", "Chemical Name and Structure",
            "Proposed Indication", "Dosage Form, Route of Administration and Dosing Regimen",
            "Sponsor Attendees", "Background", "Purpose of the Meeting", "Proposed Agenda",
            "Questions for the Agency", "Data Supporting the Questions"]


def files_of(root: Path) -> dict[str, bytes]:
    """The published files (the build cache under .cache/ is the tool's own)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".cache" not in p.relative_to(root).parts}


@pytest.fixture(scope="module")
def out(demo_build) -> Path:
    return demo_build  # conftest: built once per session, read-only


@pytest.fixture(scope="module")
def table_json(out):
    return {stem: json.loads((out / f"records/tables/{stem.replace('_', '-')}.json").read_text())
            for stem in ("t_14_1_3", "t_14_2_1")}


def test_output_layout_follows_the_contract(out):
    assert set(files_of(out)) == EXPECTED_FILES


def test_manifest_lists_inputs_and_outputs_with_checksums(out):
    manifest = json.loads((out / "records/manifest.json").read_text())
    assert manifest["study"]["id"] == "MIROCALS-SIM"
    assert manifest["study"]["data_cutoff"] == "2021-09-30"
    assert manifest["tool"]["name"] == "submission-kit"
    data_dir = DEMO_STUDY.parent / "data"
    for item in manifest["inputs"]:
        content = (data_dir / item["file"]).read_bytes()
        assert item["sha256"] == hashlib.sha256(content).hexdigest()
    listed = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    assert set(listed) == EXPECTED_FILES - {"records/manifest.json", "deliverables/SHA256SUMS"}
    for path, digest in listed.items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == digest


def test_table_json_follows_the_contract(table_json):
    demo = table_json["t_14_1_3"]
    assert demo["id"] == "14.1.3"
    assert demo["title"] == ["Table 14.1.3", "Demographic and Baseline Characteristics",
                             "Intent-to-Treat Population"]
    assert [(c["key"], c["label"], c["n"]) for c in demo["columns"]] == [
        ("PBO", "Placebo", 110), ("IL2", "IL-2LD", 110), ("TOTAL", "Total", 220)]
    for row in demo["rows"]:
        assert len(row["cells"]) == len(demo["columns"])
    assert demo["source"].startswith("ADSL; program t_14_1_3_demographics.py")


def test_every_table_cell_traces_to_a_result(out, table_json):
    results = {stem: json.loads((out / f"records/results/{stem}.json").read_text())
               for stem in ("t_14_1_3", "t_14_2_1")}
    for stem, table in table_json.items():
        known = {f"{stem}:{r['key']}" for r in results[stem]["records"]}
        keys = [k for row in table["rows"] for k in row["keys"] if k]
        assert keys and set(keys) <= known


def _docx_text(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    document = docx.Document(str(path))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    cells = [_plain(c.text) for t in document.tables for row in t.rows for c in row.cells]
    return paragraphs, cells


def _plain(text: str) -> str:
    """Writers pad numbers with figure spaces (U+2007) for decimal alignment."""
    return text.replace("\u2007", "")


def test_docx_has_word_headings_and_table_values(out, table_json):
    paragraphs, cells = _docx_text(out / "deliverables/documents/fda-meeting-package.docx")
    headings = [text for style, text in paragraphs if style == "Heading 1"]
    toc = [text.split("\t")[0] for style, text in paragraphs if style == "toc 1"]
    for i, title in enumerate(HEADINGS, start=1):
        assert title in headings  # Word numbers it (list numbering on Heading 1) ...
        assert f"{i} {title}" in toc  # ... and the TOC caches the number it shows
    hr_row = next(r for r in table_json["t_14_2_1"]["rows"]
                  if r["label"] == "Hazard ratio (95% CI)")
    assert hr_row["cells"][1] in cells
    age_mean = next(r for r in table_json["t_14_1_3"]["rows"] if r["label"] == "Mean (SD)")
    assert all(value in cells for value in age_mean["cells"])


def test_pdf_has_headings_and_table_values(out, table_json):
    reader = PdfReader(out / "deliverables/documents/fda-meeting-package.pdf")
    text = _plain("\n".join(page.extract_text() for page in reader.pages))
    for title in HEADINGS:
        assert title in text
    deaths = next(r for r in table_json["t_14_2_1"]["rows"] if r["label"] == "Deaths, n (%)")
    assert all(cell in text for cell in deaths["cells"])
    assert "Synthetic data — for demonstration only" in reader.pages[1].extract_text()
    assert reader.metadata.title == "Type B Meeting Package"


def test_narrative_numbers_match_results_and_tables(out, table_json):
    """The sentence and the table show the same hazard ratio: same result, same rounding."""
    trace = json.loads((out / "records/trace/fda-meeting-package.json").read_text())
    results = json.loads((out / "records/results/t_14_2_1.json").read_text())
    values = {f"t_14_2_1:{r['key']}": r["value"] for r in results["records"]}
    by_ref = {n["ref"]: n for n in trace["numbers"]}
    hr = by_ref["t_14_2_1:cox.unadjusted.IL2.hr"]
    assert hr["value"] == values["t_14_2_1:cox.unadjusted.IL2.hr"]
    lcl, ucl = by_ref["t_14_2_1:cox.unadjusted.IL2.lcl"], by_ref["t_14_2_1:cox.unadjusted.IL2.ucl"]
    hr_row = next(r for r in table_json["t_14_2_1"]["rows"]
                  if r["label"] == "Hazard ratio (95% CI)")
    assert hr_row["cells"][1] == f"{hr['text']} ({lcl['text']}, {ucl['text']})"
    pdf_text = " ".join(p.extract_text() for p in
                        PdfReader(out / "deliverables/documents/fda-meeting-package.pdf").pages)
    assert f"{hr['text']} (95% CI: {lcl['text']} to {ucl['text']})" in " ".join(pdf_text.split())
    for number in trace["numbers"]:
        assert number["template"] and number["line"] > 0
        if number["ref"].startswith("config:"):  # words the author owns, marked as such
            assert number["source"] == "configured text (study.toml)"
        else:
            assert number["datasets"]["adsl"]
    assert any(n["ref"] == "config:regulatory.purpose" for n in trace["numbers"])


def test_libreoffice_opens_the_docx(out, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed (scripts/install-system-deps.sh test installs it)"
    source = out / "deliverables/documents/fda-meeting-package.docx"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    converted = PdfReader(tmp_path / "fda-meeting-package.pdf")
    text = " ".join(page.extract_text() for page in converted.pages)
    assert "Purpose of the Meeting" in text
    assert len(converted.pages) >= 5


def test_two_builds_are_byte_identical(out, tmp_path):
    """The second build runs in a fresh process, with another hash seed and two worker
    processes running the analyses and rendering the DOCX/PDF files (--jobs 2)."""
    again = tmp_path / "again"
    env = {"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "submission_kit", "build", "--out", str(again),
                    "--jobs", "2"],
                   check=True, capture_output=True, env=env, timeout=300)
    first, second = files_of(out), files_of(again)
    assert set(first) == set(second)
    different = [path for path in first if first[path] != second[path]]
    assert different == []


def test_only_rewrites_selected_outputs_and_keeps_the_rest(out, tmp_path):
    target = tmp_path / "output"
    shutil.copytree(out, target)
    (target / "records/tables/t-14-1-3.json").write_text("stale")
    build(load_study(DEMO_STUDY), BuildOptions(out_dir=target, only=("14.1.3",),
                                               formats=("docx",)))
    files = files_of(target)
    table = "records/tables/t-14-1-3.json"
    assert files[table] == (out / table).read_bytes()
    assert files["deliverables/documents/fda-meeting-package.pdf"] == (
        out / "deliverables/documents/fda-meeting-package.pdf").read_bytes()
    manifest = json.loads(files["records/manifest.json"])
    assert {o["path"] for o in manifest["outputs"]} == EXPECTED_FILES - {
        "records/manifest.json", "deliverables/SHA256SUMS"}


def test_failed_build_leaves_previous_output_untouched(out, tmp_path):
    study_dir = tmp_path / "study"
    shutil.copytree(DEMO_STUDY.parent, study_dir)
    (study_dir / "templates/fda-meeting-package").mkdir(parents=True)
    (study_dir / "templates/fda-meeting-package/document.md.j2").write_text(
        "# Title\n\nHR {{ results.t_14_2_1.cox.unadjusted.IL2.hr | num(2) }}\n"
        "Missing {{ results.t_14_2_1.cox.nonexistent.hr | num(2) }}\n")
    with (study_dir / "study.toml").open("a") as handle:
        handle.write('\n[paths]\ntemplates = "templates"\n')
    target = tmp_path / "output"
    shutil.copytree(out, target)
    before = files_of(target)
    with pytest.raises(UserError, match=r"fda-meeting-package/document.md.j2 line 4.*nonexistent"):
        build(load_study(study_dir / "study.toml"), BuildOptions(out_dir=target))
    assert files_of(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output", "study"]


def test_standalone_tlf_pdf_and_docx_carry_title_and_values(out, table_json):
    reader = PdfReader(out / "deliverables/tables/t-14-2-1.pdf")
    text = reader.pages[0].extract_text()
    assert "Table 14.2.1" in text
    assert "Page 1 of" in text
    document = docx.Document(io.BytesIO((out / "deliverables/tables/t-14-2-1.docx").read_bytes()))
    cells = [_plain(c.text) for t in document.tables for row in t.rows for c in row.cells]
    censored = next(r for r in table_json["t_14_2_1"]["rows"] if r["label"] == "Censored, n (%)")
    assert all(cell in cells for cell in censored["cells"])


def test_only_computes_just_what_the_named_outputs_need():
    """--only f-14-2-2 runs the forest plot's own analysis and the table it reads, nothing
    else; naming a document needs everything."""
    study = load_study(DEMO_STUDY)
    computed = compute(study, only=("f-14-2-2",))
    assert set(computed.results) == {"f_14_2_2", "t_14_2_2"}
    assert set(computed.figures) == {"14.2.2"} and set(computed.tables) == {"14.2.2"}
    assert computed.documents == {}
    specs = load_specs(study)
    assert needed_specs(study, specs, ("fda-meeting-package",)) == specs
