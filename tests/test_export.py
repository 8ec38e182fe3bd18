"""`submission-kit export OUT DEST --ectd`: the build's PDFs in eCTD module folders, with
eCTD-valid names, byte for byte the files the manifest lists, and a listing of what went
where; refused for a build that is altered or stale, and into a folder that holds files."""

import json
import re
import shutil
import subprocess

from submission_kit.cli import main
from submission_kit.export import ECTD_NAME, placement, slug

REPORT = "m5/53-clin-stud-rep/535-rep-effic-safety-stud/als/5351-stud-rep-contr/mirocals-sim"


def _copy(small_study, small_build, tmp_path):
    shutil.copytree(small_study, tmp_path / "study")
    shutil.copytree(small_build, tmp_path / "output")
    return tmp_path / "output"


def test_export_places_the_deliverables_in_ectd_folders(small_study, small_build, tmp_path,
                                                        capsys):
    out = _copy(small_study, small_build, tmp_path)
    dest = tmp_path / "submission"
    assert main(["export", str(out), str(dest), "--ectd", "--indication", "ALS"]) == 0
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert files == sorted([
        f"{REPORT}/t-14-1-3.pdf", f"{REPORT}/t-14-3-4-1.pdf",
        "m1/demography.pdf", "m1/laboratory.pdf",  # ids of no known region: Module 1 root
        "SHA256SUMS", "export-listing.txt"])
    manifest = {o["path"]: o["sha256"] for o in json.loads(
        (out / "records/manifest.json").read_text())["outputs"]}
    listing = (dest / "export-listing.txt").read_text().splitlines()
    rows = [line.split("  ") for line in listing if not line.startswith("#")]
    assert {target: source for _, target, _, source in rows} == {
        f"{REPORT}/t-14-1-3.pdf": "deliverables/tables/t-14-1-3.pdf",
        f"{REPORT}/t-14-3-4-1.pdf": "deliverables/tables/t-14-3-4-1.pdf",
        "m1/demography.pdf": "deliverables/documents/demography.pdf",
        "m1/laboratory.pdf": "deliverables/documents/laboratory.pdf"}
    for sha, target, _, source in rows:
        assert sha == manifest[source]
        assert (dest / target).read_bytes() == (out / source).read_bytes()
    assert "eCTD XML backbone is not built" in listing[2]
    done = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=dest,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert all(ECTD_NAME.fullmatch(p.rsplit("/", 1)[-1]) for p in files if p.endswith(".pdf"))


def test_regions_follow_the_document_and_docx_stays_behind():
    report = "m5/x"
    assert placement("deliverables/documents/fda-meeting-package.pdf", report) == \
        "m1/us/fda-meeting-package.pdf"
    assert placement("deliverables/documents/ema-scientific-advice.pdf", report) == \
        "m1/eu/ema-scientific-advice.pdf"
    assert placement("deliverables/documents/eu-orphan-designation.pdf", report) == \
        "m1/eu/eu-orphan-designation.pdf"
    assert placement("deliverables/documents/csr-synopsis.pdf", report) == "m5/x/csr-synopsis.pdf"
    assert placement("deliverables/figures/f-14-2-1.pdf", report) == "m5/x/f-14-2-1.pdf"
    assert placement("deliverables/tables/t-16-2-7.pdf", report) == "m5/x/t-16-2-7.pdf"
    for not_ectd in ("deliverables/documents/fda-meeting-package.docx",
                     "deliverables/tables/t-8-1.pdf",  # a prevalence table: in its documents
                     "records/figures/f-14-2-1.png",
                     "records/results/t_14_1_3.json", "records/tables/t-14-1-3.json"):
        assert placement(not_ectd, report) is None
    assert slug("Treatment of amyotrophic lateral sclerosis (ALS)") == \
        "treatment-of-amyotrophic-lateral"
    assert re.fullmatch(r"[a-z0-9-]+", slug("MIROCALS-SIM"))


def test_export_refuses_an_altered_or_stale_build_and_a_folder_with_files(
        small_study, small_build, tmp_path, capsys):
    out = _copy(small_study, small_build, tmp_path)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep me")
    assert main(["export", str(out), str(taken), "--ectd"]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert (taken / "mine.txt").read_text() == "keep me"
    (out / "deliverables/tables/t-14-1-3.pdf").write_bytes(b"%PDF-edited")
    assert main(["export", str(out), str(tmp_path / "dest"), "--ectd"]) == 2
    assert "1 altered" in capsys.readouterr().err
    assert not (tmp_path / "dest").exists()
    assert main(["export", str(out), str(tmp_path / "dest")]) == 2  # --ectd is required
