"""`submission-kit verify DIR`: is this build folder what its manifest says, and is it still
current? Every output against its recorded sha256 (missing, altered, or a file the manifest
does not list), and every node's recorded inputs (datasets, study.toml parts, spec and
template files, tool and library versions) against the files on disk now.

Exit 0: intact and current; 1: something altered, missing, unlisted or stale; 2: the folder
is not a build, or its study cannot be read. Imports nothing heavy: it runs in well under a
second on the demo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from submission_kit.buildgraph import Inputs, files_on_disk, read_records, sha256_file
from submission_kit.errors import UserError
from submission_kit.outputs import SUMS, deliverables_sums
from submission_kit.publish import TOOL_NAME, is_bookkeeping, read_previous
from submission_kit.study import Study, load_study


@dataclass
class Verdict:
    folder: Path
    altered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    stale: dict[str, list[str]] = field(default_factory=dict)  # node -> why
    outputs: int = 0

    @property
    def ok(self) -> bool:
        return not (self.altered or self.missing or self.unlisted or self.stale)

    def as_json(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "ok": self.ok, "outputs": self.outputs,
                "altered": self.altered, "missing": self.missing, "unlisted": self.unlisted,
                "stale": self.stale}


def verify(folder: Path, study_path: Path | None = None) -> Verdict:
    manifest = read_previous(folder)
    if manifest.get("tool", {}).get("name") != TOOL_NAME:
        raise UserError(f"{folder}: not a submission-kit build (no records/manifest.json of "
                        "ours)")
    verdict = Verdict(folder)
    on_disk = files_on_disk(folder, manifest)
    listed = {str(e.get("path")): str(e.get("sha256")) for e in manifest.get("outputs", [])}
    verdict.outputs = len(listed)
    for path, sha in sorted(listed.items()):
        if on_disk.get(path) is None:
            verdict.missing.append(path)
        elif on_disk[path] != sha:
            verdict.altered.append(path)
    verdict.unlisted = [p for p in _files(folder) if p not in listed]
    sums = folder / SUMS  # derived from the manifest: it must say the same
    if sums.is_file() and sums.read_text(encoding="utf-8") != deliverables_sums(listed):
        verdict.altered.append(SUMS)
    study = _study(manifest, folder, study_path)
    now = Inputs(study)
    marked = {n: "; ".join(map(str, e["stale"])) for n, e in (manifest.get("nodes") or {}).items()
              if isinstance(e, dict) and e.get("stale")}
    for node, record in sorted(read_records(manifest).items()):
        why = record.reasons(now)
        if node in marked:
            why = [f"marked stale by the build (--only): {marked[node]}", *why]
        if why:
            verdict.stale[node] = why
    return verdict


def _files(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not is_bookkeeping(rel):
            found.append(rel)
    return found


def _study(manifest: dict[str, Any], folder: Path, given: Path | None) -> Study:
    """The study to check inputs against: --study, or the study.toml whose bytes the manifest
    recorded, looked for next to the build folder, in folders beside it, in the current
    folder and in the bundled demo (no path is recorded: two builds of one study into two
    folders stay byte-identical)."""
    if given is not None:
        path = given / "study.toml" if given.is_dir() else given
        if not path.is_file():
            raise UserError(f"--study {given}: no study.toml there")
        return load_study(path)
    config = manifest.get("study", {}).get("config", {})
    name, sha = str(config.get("file", "study.toml")), config.get("sha256")
    from submission_kit.cli import DEMO_STUDY

    beside = folder.resolve().parent
    for candidate in (beside / name, *sorted(beside.glob(f"*/{name}")), Path.cwd() / name,
                      DEMO_STUDY):
        if candidate.is_file() and sha256_file(candidate) == sha:
            return load_study(candidate)
    raise UserError(f"{folder}: cannot find the {name} this build was made from (looked next "
                    "to the folder, in the folders beside it, in the current folder and the "
                    "bundled demo); give --study")
