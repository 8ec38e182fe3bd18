"""The build graph: a rebuild redoes exactly the outputs whose recorded inputs changed, takes
the rest from the cache with the same bytes, says what it would do (--plan), never vouches
for a stale file (--only), and `verify` rechecks a folder against its manifest.

A small study keeps this fast (`small_study`, `small_build` in conftest.py): two tables that read
different datasets (14.1.3: ADSL; 14.3.4.1: ADSL and ADLB) and two documents, each placing one.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pandas as pd
import pytest

from submission_kit.build import BuildOptions, build
from submission_kit.cli import main
from submission_kit.diff.changes import SEP
from submission_kit.study import load_study


@pytest.fixture
def first(small_build: Path) -> Path:
    """The small study's cold build (session-wide; tests copy it, never change it)."""
    return small_build


def _copy(study_dir: Path, first: Path, tmp_path: Path) -> tuple[Path, Path]:
    study, out = tmp_path / "study", tmp_path / "output"
    shutil.copytree(study_dir, study)  # data and templates are relative to the study
    shutil.copytree(first, out)
    return study / "study.toml", out


def _outputs(out: Path) -> dict[str, bytes]:
    """The published files: everything but the cache."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and ".cache" not in p.relative_to(out).parts}


def _manifest(out: Path) -> dict:
    return json.loads((out / "records/manifest.json").read_text())


def _nodes_reading(out: Path, input_id: str) -> set[str]:
    return {n for n, e in _manifest(out)["nodes"].items() if input_id in e["inputs"]}


def test_manifest_records_each_nodes_inputs_and_programs(first):
    manifest = _manifest(first)
    nodes = manifest["nodes"]
    assert set(nodes) == {"table:14.1.3", "table:14.3.4.1", "document:demography",
                          "document:laboratory", "ard"}
    demo = nodes["table:14.1.3"]["inputs"]
    assert {"code", "env", "study:settings", 'study:tables.14.1.3', "data:adsl",
            "file:<bundled>/tables/t_14_1_3_demographics.py"} <= set(demo)
    assert "data:adlb" not in demo and "data:adlb" in nodes["table:14.3.4.1"]["inputs"]
    # A document records the template it loaded and the inputs of the table it placed.
    doc = nodes["document:demography"]["inputs"]
    assert "file:templates/demography.md.j2" in doc and "data:adsl" in doc
    assert "data:adlb" not in doc and "file:templates/laboratory.md.j2" not in doc
    programs = {p["file"] for p in manifest["programs"]}
    assert {"templates/demography.md.j2", "<bundled>/tables/t_14_3_4_1_lab_shift.py"} <= programs


def test_sha256sums_verifies_the_deliverables_with_sha256sum(first, tmp_path):
    """deliverables/SHA256SUMS lists every DOCX and PDF a publisher takes, relative to the
    folder, so a copy of deliverables/ alone checks itself."""
    listed = (first / "deliverables/SHA256SUMS").read_text().splitlines()
    deliverables = [o["path"] for o in _manifest(first)["outputs"]
                    if o["path"].startswith("deliverables/")]
    assert deliverables and all(p.endswith((".docx", ".pdf")) for p in deliverables)
    assert sorted(line.split("  ", 1)[1] for line in listed) == sorted(
        p.removeprefix("deliverables/") for p in deliverables)
    copy = tmp_path / "publisher"
    shutil.copytree(first / "deliverables", copy)
    done = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=copy,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    # Records stay apart: models, results, traces, images and the manifest.
    records = {p.relative_to(first / "records").parts[0]
               for p in (first / "records").rglob("*") if p.is_file()}
    assert records == {"manifest.json", "results", "tables", "documents", "trace"}


def test_no_change_rebuild_does_nothing_and_changes_no_byte(small_study, first, tmp_path,
                                                            capsys):
    study, out = _copy(small_study, first, tmp_path)
    before = _outputs(out)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert main(["build", "--study", str(study), "--out", str(out)]) == 0
    assert "is up to date" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == stamps  # nothing rewritten
    # The graph build itself, asked directly, also takes every node from the cache.
    report = build(load_study(study), BuildOptions(out_dir=out))
    assert report.rebuilt == ()
    assert _outputs(out) == before
    assert main(["verify", str(out)]) == 0  # finds the study next to the output by its hash


def test_changed_template_rebuilds_only_its_document(small_study, first, tmp_path, capsys):
    study, out = _copy(small_study, first, tmp_path)
    before = _outputs(out)
    template = study.parent / "templates/laboratory.md.j2"
    template.write_text(template.read_text() + "\nReviewed by the safety physician.\n")
    assert main(["build", "--study", str(study), "--out", str(out), "--plan"]) == 0
    plan = capsys.readouterr().out
    assert "rebuild  document:laboratory" in plan
    assert "file:templates/laboratory.md.j2 changed" in plan
    assert "current  document:demography" in plan and "current  table:14.1.3" in plan
    report = build(load_study(study), BuildOptions(out_dir=out))
    assert report.rebuilt == ("document:laboratory",)
    after = _outputs(out)
    changed = {p for p in after if after[p] != before.get(p)}
    assert changed == {"deliverables/documents/laboratory.pdf",
                       "records/documents/laboratory.json", "records/manifest.json",
                       "deliverables/SHA256SUMS"}


def _plan(study: Path, out: Path, capsys) -> dict[str, str]:
    assert main(["build", "--study", str(study), "--out", str(out), "--plan"]) == 0
    return {parts[1]: parts[0] for line in capsys.readouterr().out.splitlines()
            if len(parts := line.split()) >= 2 and parts[0] in ("rebuild", "current")}


def test_a_documents_config_inputs_are_the_blocks_it_read(small_study, first, tmp_path,
                                                          capsys):
    """A document depends on the study settings, its own [documents.<id>] block, and the
    output blocks and [regulatory] sections its templates read, not on the whole study.toml:
    a footnote edited in Table 14.1.3 rebuilds the brief that places it, not the other one."""
    study, out = _copy(small_study, first, tmp_path)
    text = study.read_text()
    study.write_text(text.replace('[tables."14.1.3"]\n',
                                  '[tables."14.1.3"]\nfootnotes = ["Age at informed consent."]\n'))
    plan = _plan(study, out, capsys)
    assert plan["table:14.1.3"] == plan["document:demography"] == "rebuild"
    assert plan["document:laboratory"] == plan["table:14.3.4.1"] == "current"

    template = study.parent / "templates/laboratory.md.j2"
    template.write_text(template.read_text() + "\nReviewed by {{ regulatory.lab.reviewer }} "
                        "(population: {{ table_params['14.3.4.1'].population }}).\n")
    study.write_text(text + '\n[regulatory.lab]\nreviewer = "the safety physician"\n'
                     '\n[regulatory.other]\nnote = "Not read by any template."\n')
    build(load_study(study), BuildOptions(out_dir=out))
    assert _nodes_reading(out, "study:regulatory.lab") == {"document:laboratory"}
    assert _nodes_reading(out, "study:tables.14.3.4.1") == {
        "table:14.3.4.1", "document:laboratory", "ard"}
    assert _nodes_reading(out, "study:regulatory.other") == set()
    assert _nodes_reading(out, "study:all") == set()

    study.write_text(study.read_text().replace("Not read by any template.", "Edited."))
    assert "rebuild" not in _plan(study, out, capsys).values()
    study.write_text(study.read_text().replace("the safety physician", "the medical monitor"))
    plan = _plan(study, out, capsys)
    assert plan["document:laboratory"] == "rebuild"
    assert {node for node, step in plan.items() if step == "rebuild"} == {"document:laboratory"}


def test_changed_dataset_rebuilds_exactly_the_outputs_that_read_it(small_study, first,
                                                                     tmp_path):
    study, out = _copy(small_study, first, tmp_path)
    before = _outputs(out)
    adlb_path = study.parent / "data/adlb.parquet"
    adlb = pd.read_parquet(adlb_path)
    adlb.loc[adlb.index[0], "AVAL"] = adlb["AVAL"].iloc[0] + 1
    adlb.to_parquet(adlb_path)
    readers = _nodes_reading(out, "data:adlb")
    assert readers == {"table:14.3.4.1", "document:laboratory", "ard"}
    report = build(load_study(study), BuildOptions(out_dir=out))
    assert set(report.rebuilt) == readers
    after = _outputs(out)
    for unchanged in ("deliverables/tables/t-14-1-3.pdf", "deliverables/tables/t-14-1-3.docx",
                      "records/results/t_14_1_3.json", "deliverables/documents/demography.pdf",
                      "deliverables/documents/demography.docx"):
        assert after[unchanged] == before[unchanged]
    data = {e["dataset"]: e for e in _manifest(out)["inputs"]}
    assert data["adlb"]["sha256"] != {e["dataset"]: e for e in json.loads(
        before["records/manifest.json"])["inputs"]}["adlb"]["sha256"]


def test_rebuild_from_cache_gives_the_bytes_of_a_cold_build(small_study, first, tmp_path):
    """Change a table parameter, build, change it back, build: the cache serves the first
    version again, byte for byte the cold build's files."""
    study, out = _copy(small_study, first, tmp_path)
    original = study.read_text()
    study.write_text(original.replace('[tables."14.1.3"]\npopulation = "ITT"',
                                      '[tables."14.1.3"]\npopulation = "ITT"\n'
                                      'footnotes = ["Edited footnote."]'))
    edited = build(load_study(study), BuildOptions(out_dir=out))
    assert "table:14.1.3" in edited.rebuilt and "table:14.3.4.1" not in edited.rebuilt
    # The build's digest names the change, as `submission-kit diff` would.
    assert any("Table 14.1.3" in line and "Edited footnote." in line
               for line in edited.changes), edited.changes
    study.write_text(original)
    report = build(load_study(study), BuildOptions(out_dir=out))
    assert report.rebuilt == ()
    again, cold = _outputs(out), _outputs(first)
    assert {p for p in cold if cold[p] != again.get(p)} == set()


def test_only_marks_outputs_it_left_out_of_date_as_stale(small_study, first, tmp_path, capsys):
    """After a data change, --only 14.1.3 rebuilds the table; the document that places it is
    kept but marked stale in the manifest, and verify says so (exit 1)."""
    study, out = _copy(small_study, first, tmp_path)
    adsl_path = study.parent / "data/adsl.parquet"
    adsl = pd.read_parquet(adsl_path)
    adsl.loc[adsl.index[0], "AGE"] = adsl["AGE"].iloc[0] + 1
    adsl.to_parquet(adsl_path)
    assert main(["build", "--study", str(study), "--out", str(out), "--only", "14.1.3"]) == 0
    err = capsys.readouterr().err
    assert "out of date" in err
    # The digest says which number moved, from what to what (mean age, one subject + 1 year).
    assert "Changed since the previous build" in err
    sep = re.escape(SEP)
    assert re.search(rf"Table 14\.1\.3{sep}Age \(years\) > Mean \(SD\){sep}.*→", err), err
    nodes = _manifest(out)["nodes"]
    assert "stale" not in nodes["table:14.1.3"]
    assert nodes["document:demography"]["stale"] == ["data:adsl changed"]
    assert main(["verify", str(out)]) == 1
    report = capsys.readouterr().out
    assert "stale" in report and "document:demography" in report
    assert main(["build", "--study", str(study), "--out", str(out)]) == 0
    assert main(["verify", str(out)]) == 0


def test_only_with_one_format_keeps_the_other_marked_stale(small_study, first, tmp_path,
                                                          capsys):
    """--only demography --format docx after a template edit: the DOCX is rebuilt, the PDF of
    the previous build is kept (not dropped), and the manifest says it is out of date."""
    study, out = _copy(small_study, first, tmp_path)
    old_pdf = (out / "deliverables/documents/demography.pdf").read_bytes()
    template = study.parent / "templates/demography.md.j2"
    template.write_text(template.read_text() + "\nReviewed by the medical monitor.\n")
    assert main(["build", "--study", str(study), "--out", str(out), "--only", "demography",
                 "--format", "docx"]) == 0
    capsys.readouterr()
    assert (out / "deliverables/documents/demography.pdf").read_bytes() == old_pdf
    assert "medical monitor" in _docx_text(out / "deliverables/documents/demography.docx")
    node = _manifest(out)["nodes"]["document:demography"]
    assert node["stale"] == ["deliverables/documents/demography.pdf not rebuilt (--format docx)",
                             "file:templates/demography.md.j2 changed"]
    assert {"deliverables/documents/demography.docx",
            "deliverables/documents/demography.pdf"} <= set(node["files"])
    assert main(["verify", str(out)]) == 1
    assert "document:demography" in capsys.readouterr().out
    # Neither the plan, nor the no-change check, nor another --only build takes it as current.
    assert main(["build", "--study", str(study), "--out", str(out), "--plan"]) == 0
    assert "rebuild  document:demography" in capsys.readouterr().out
    assert main(["build", "--study", str(study), "--out", str(out), "--only", "14.1.3",
                 "--format", "docx"]) == 0
    assert "not rebuilt" in _manifest(out)["nodes"]["document:demography"]["stale"][0]
    assert (out / "deliverables/documents/demography.pdf").read_bytes() == old_pdf
    # Asking for both formats again makes it current.
    assert main(["build", "--study", str(study), "--out", str(out), "--only", "demography"]) == 0
    assert "stale" not in _manifest(out)["nodes"]["document:demography"]
    assert main(["verify", str(out)]) == 0


def _docx_text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_verify_finds_altered_missing_and_unlisted_files(small_study, first, tmp_path, capsys):
    study, out = _copy(small_study, first, tmp_path)
    assert main(["verify", str(out), "--study", str(study)]) == 0
    assert "OK" in capsys.readouterr().out
    (out / "records/tables/t-14-1-3.json").write_text("{}")
    (out / "deliverables/documents/laboratory.pdf").unlink()
    (out / "notes.txt").write_text("mine")
    assert main(["verify", str(out), "--study", str(study), "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["altered"] == ["records/tables/t-14-1-3.json"]
    assert verdict["missing"] == ["deliverables/documents/laboratory.pdf"]
    assert verdict["unlisted"] == ["notes.txt"]
    assert main(["verify", str(tmp_path / "study")]) == 2


def test_a_damaged_cache_entry_is_rebuilt_not_trusted(small_study, first, tmp_path):
    study, out = _copy(small_study, first, tmp_path)
    record = json.loads((out / ".cache/nodes/table-14.1.3.json").read_text())[0]
    for sha in record["files"].values():
        (out / ".cache/blobs" / sha).write_bytes(b"tampered")
    # So the fast path cannot skip the build:
    (out / "records/tables/t-14-1-3.json").write_text("{}")
    report = build(load_study(study), BuildOptions(out_dir=out))
    assert "table:14.1.3" in report.rebuilt
    pdf = "deliverables/tables/t-14-1-3.pdf"
    assert _outputs(out)[pdf] == _outputs(first)[pdf]


def test_diff_reads_a_build_with_an_edited_model_file_and_says_so(first, tmp_path):
    from submission_kit.diff.load import load_build

    out = tmp_path / "output"
    shutil.copytree(first, out)
    (out / "records/tables/t-14-1-3.json").write_text("{}")
    build_read = load_build(out)
    assert "14.1.3" not in build_read.tables
    assert any("records/tables/t-14-1-3.json" in note for note in build_read.notes)
