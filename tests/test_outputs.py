"""The output layout (issue 12): deliverables a publisher takes and the build's records
apart; a build written before the split is still read (diff, verify, check), so a QA reviewer
can compare last month's build with today's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from submission_kit.cli import main
from submission_kit.outputs import (
    OutputPath,
    deliverables_sums,
    document_file,
    figure_image,
    manifest_path,
    parse,
    table_model_file,
)


def test_paths_of_either_layout_parse_to_the_same_output():
    assert parse(document_file("csr-synopsis", "pdf")) == parse("documents/csr-synopsis.pdf") \
        == OutputPath("documents", "csr-synopsis", "pdf")
    assert parse(table_model_file("t-14-1-3")) == OutputPath("tables", "t-14-1-3", "json")
    assert parse(document_file("x", "docx")).deliverable
    assert not parse(figure_image("f-14-2-1", "png")).deliverable
    assert parse("records/manifest.json").kind == "" and parse("SHA256SUMS").kind == ""


def test_deliverables_sums_lists_only_deliverables_relative_to_their_folder():
    sums = deliverables_sums({"deliverables/tables/t-1.pdf": "a" * 64,
                              "records/tables/t-1.json": "b" * 64,
                              "deliverables/documents/d.docx": "c" * 64})
    assert sums == f"{'c' * 64}  documents/d.docx\n{'a' * 64}  tables/t-1.pdf\n"


def _as_legacy(build: Path, target: Path) -> Path:
    """The same build as a pre-split version wrote it: everything at the top."""
    for path in sorted(build.rglob("*")):
        rel = path.relative_to(build)
        if not path.is_file() or rel.parts[0] == ".cache" or rel.name == "SHA256SUMS":
            continue
        dest = target / Path(*rel.parts[1:])
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    manifest = json.loads((target / "manifest.json").read_text())
    for entry in manifest["outputs"]:
        entry["path"] = entry["path"].split("/", 1)[1]
    for node in manifest["nodes"].values():
        node["files"] = [p.split("/", 1)[1] for p in node["files"]]
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def test_an_old_layout_build_diffs_against_a_new_one_as_the_same(small_build, tmp_path,
                                                                 capsys):
    old = _as_legacy(small_build, tmp_path / "old")
    assert manifest_path(old) == old / "manifest.json"
    assert main(["diff", str(old), str(small_build)]) == 0
    out = capsys.readouterr().out
    assert "file-added" not in out and "file-removed" not in out


def test_verify_finds_an_edited_deliverables_sums(small_study, small_build, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(small_build, out)
    study = str(small_study / "study.toml")
    assert main(["verify", str(out), "--study", study]) == 0
    sums = out / "deliverables/SHA256SUMS"
    sums.write_text(sums.read_text().replace("documents/", "documents/x", 1))
    capsys.readouterr()
    assert main(["verify", str(out), "--study", study]) == 1
    assert "deliverables/SHA256SUMS" in capsys.readouterr().out
