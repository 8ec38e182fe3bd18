"""`submission-kit export OUT_DIR DEST --ectd`: a build's deliverables copied into the eCTD
module folders where ICH M4 and the FDA/EMA guidance place them, with a listing of what went
where and its checksum. The eCTD XML backbone (index.xml, regional XML, lifecycle operators)
is out of scope: a publishing tool builds it from this folder.

Only PDFs go (the eCTD format); the DOCX files stay in the build for authors. Placement:

    deliverables/documents/<id>.pdf
                              m1/us (FDA: meeting package, US orphan designation) or
                              m1/eu (EMA: scientific advice, EU orphan documents) by the
                              document's id; a CSR synopsis goes with the study report
    deliverables/tables/, deliverables/figures/ *.pdf (sections 14 and 16 only)
                              m5/53-clin-stud-rep/535-rep-effic-safety-stud/<indication>/
                              5351-stud-rep-contr/<study>/  (section 14 and 16.2 outputs of
                              the clinical study report)

The build must be intact and current (`verify`): exporting a stale or altered file to a
publisher is what this refuses to do. DEST must be new or empty.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from submission_kit.buildgraph import sha256_file
from submission_kit.errors import UserError
from submission_kit.outputs import manifest_path, parse
from submission_kit.publish import read_previous
from submission_kit.verify import Verdict, verify

ECTD_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\.pdf")
MAX_NAME = 64  # FDA: file names of at most 64 characters
STUDY_REPORTS = "m5/53-clin-stud-rep/535-rep-effic-safety-stud"
# Document id prefixes and the Module 1 region they belong to.
REGIONS = (("fda-", "m1/us"), ("us-", "m1/us"), ("ema-", "m1/eu"), ("eu-", "m1/eu"))
WITH_THE_REPORT = ("csr-", "synopsis")


@dataclass(frozen=True, slots=True)
class Placed:
    source: str  # build-relative path
    target: str  # DEST-relative path
    sha256: str


def slug(text: str, limit: int = 40) -> str:
    """Lowercase letters, digits and hyphens; cut at a hyphen to stay within `limit`."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(words) <= limit:
        return words
    return words[:limit].rsplit("-", 1)[0]


def placement(path: str, report_folder: str) -> str | None:
    """Where a build file goes in the eCTD tree (None: not an eCTD deliverable: a DOCX, or
    one of the build's records)."""
    where = parse(path)
    if where.ext != "pdf" or not where.deliverable:
        return None
    name = PurePosixPath(path).name
    if where.kind in ("tables", "figures"):
        # Sections 14 and 16 of the study report; other tables (a prevalence table, 8.x)
        # are part of the documents that place them, not of the report.
        clinical = where.stem.split("-")[1:2] in (["14"], ["16"])
        return f"{report_folder}/{name}" if clinical else None
    if where.kind == "documents":
        for prefix, region in REGIONS:
            if where.stem.startswith(prefix):
                return f"{region}/{name}"
        if where.stem.startswith(WITH_THE_REPORT):
            return f"{report_folder}/{name}"
        return f"m1/{name}"  # a regional document of no known region: Module 1's root
    return None


def plan_export(out_dir: Path, indication: str | None = None) -> list[Placed]:
    manifest = read_previous(out_dir)
    study = manifest.get("study", {})
    report_folder = (f"{STUDY_REPORTS}/{slug(indication or str(study.get('id', 'study')))}/"
                     f"5351-stud-rep-contr/{slug(str(study.get('id', 'study')))}")
    placed = []
    for entry in manifest.get("outputs", []):
        source = str(entry.get("path", ""))
        target = placement(source, report_folder)
        if target is not None:
            placed.append(Placed(source, target, str(entry.get("sha256", ""))))
    for item in placed:
        name = PurePosixPath(item.target).name
        if not ECTD_NAME.fullmatch(name) or len(name) > MAX_NAME:
            raise UserError(f"{item.source}: {name!r} is not an eCTD file name (lowercase "
                            f"letters, digits, hyphens, at most {MAX_NAME} characters)")
    return sorted(placed, key=lambda p: p.target)


def export_ectd(out_dir: Path, dest: Path, indication: str | None = None) -> list[Placed]:
    verdict = verify(out_dir)
    if not verdict.ok:
        raise UserError(f"{out_dir}: not exported: {_problems(verdict)}; rebuild, then export "
                        "(`submission-kit verify` lists them)")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UserError(f"{dest}: exists and is not an empty folder; export writes only into a "
                        "new or empty folder")
    placed = plan_export(out_dir, indication)
    staging = dest.parent / f".{dest.name}.export-partial"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for item in placed:
            target = staging / item.target
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out_dir / item.source, target)
            if sha256_file(target) != item.sha256:  # copied bytes are the verified ones
                raise UserError(f"{item.source}: changed while it was copied; export again")
        (staging / "SHA256SUMS").write_text(
            "".join(f"{p.sha256}  {p.target}\n" for p in placed), encoding="utf-8")
        (staging / "export-listing.txt").write_text(_listing(out_dir, placed), encoding="utf-8")
        if dest.exists():
            dest.rmdir()
        staging.rename(dest)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(f"{dest}: could not write the export ({exc.strerror or exc})") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return placed


def _problems(verdict: Verdict) -> str:
    parts = [f"{len(v)} {k}" for k, v in (("altered", verdict.altered),
                                          ("missing", verdict.missing),
                                          ("unlisted", verdict.unlisted),
                                          ("stale", verdict.stale)) if v]
    return ", ".join(parts)


def _listing(out_dir: Path, placed: list[Placed]) -> str:
    manifest = read_previous(out_dir)
    study = manifest.get("study", {})
    head = (f"# eCTD export of {study.get('id', '')} (data cutoff {study.get('data_cutoff', '')})"
            f"\n# from the build whose manifest has sha256 "
            f"{sha256_file(manifest_path(out_dir))}\n"
            "# The eCTD XML backbone is not built here: a publishing tool adds it.\n"
            "# sha256  eCTD path  <-  build file\n")
    return head + "".join(f"{p.sha256}  {p.target}  <-  {p.source}\n" for p in placed)
