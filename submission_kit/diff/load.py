"""Read two build folders into plain data, and the study inputs behind them when they can be
found unchanged.

A build is a folder whose manifest.json names submission-kit as its tool; the JSON models it
lists (tables, results, document structures, traces) and its figure images are read, nothing
is rendered. The manifest records only hashes of the datasets and of study.toml, so to say
which rows or keys changed the study file itself is needed: it is looked for where the user
points (`--old-study`/`--new-study`), next to the output folder (`<study>/output`, as `init`
suggests) and as the bundled demo study, and used only when its sha256 is the one the manifest
recorded. A dataset is read only when its hash differs between the two builds and its file
still has the hash the build recorded. Templates and specs have no hash in the manifest: they
are read from the study's folders as they are now, and the report says so.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from submission_kit.errors import UserError
from submission_kit.outputs import manifest_path, parse

DEMO_STUDY = Path(__file__).resolve().parent.parent / "demo" / "study.toml"
# The model each kind of JSON record holds, by the field that names it.
_KEY_FIELD = {"tables": "id", "results": "analysis", "documents": "document",
              "trace": "document"}


@dataclass(frozen=True, slots=True)
class Build:
    root: Path
    manifest: Mapping[str, Any]
    manifest_sha256: str
    outputs: Mapping[str, str]  # output-relative path -> sha256 recorded in the manifest
    tables: Mapping[str, Mapping[str, Any]]  # table id ("14.1.3") -> table model JSON
    results: Mapping[str, Mapping[str, Any]]  # analysis id -> ARD JSON
    documents: Mapping[str, Mapping[str, Any]]  # document id -> structure JSON
    traces: Mapping[str, Mapping[str, Any]]  # document id -> trace JSON
    figures: Mapping[str, bytes]  # figure id ("14.2.1") -> PNG bytes
    notes: tuple[str, ...] = ()

    @property
    def study(self) -> Mapping[str, Any]:
        study = self.manifest.get("study", {})
        return study if isinstance(study, dict) else {}

    @property
    def tool_version(self) -> str:
        return str(self.manifest.get("tool", {}).get("version", ""))

    @property
    def data_cutoff(self) -> str:
        return str(self.study.get("data_cutoff", ""))

    @property
    def datasets(self) -> dict[str, Mapping[str, Any]]:
        return {str(e["dataset"]): e for e in self.manifest.get("inputs", [])
                if isinstance(e, dict) and "dataset" in e}


@dataclass(frozen=True, slots=True)
class StudyInputs:
    """The study behind a build, as found on disk (all empty when it was not found)."""

    path: Path | None = None
    config: Mapping[str, Any] = field(default_factory=dict)  # study.toml as parsed
    templates: Mapping[str, str] = field(default_factory=dict)  # template name -> text
    specs: Mapping[str, str] = field(default_factory=dict)  # "tables/t_14_1_3_x.py" -> text
    datasets: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # changed ones only
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Pair:
    old: Build
    new: Build
    old_inputs: StudyInputs = field(default_factory=StudyInputs)
    new_inputs: StudyInputs = field(default_factory=StudyInputs)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_pair(old_dir: Path, new_dir: Path, old_study: Path | None = None,
              new_study: Path | None = None) -> Pair:
    old, new = load_build(old_dir), load_build(new_dir)
    changed = sorted(name for name, entry in old.datasets.items()
                     if name in new.datasets and entry.get("sha256")
                     != new.datasets[name].get("sha256"))
    return Pair(old, new, load_inputs(old, old_study, changed),
                load_inputs(new, new_study, changed))


def load_build(folder: Path) -> Build:
    folder = Path(folder)
    manifest_file = manifest_path(folder)  # records/manifest.json, or a pre-split build's
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder (expected the output folder of a build)")
    if not manifest_file.is_file():
        raise UserError(f"{folder}: not a submission-kit build (it has no records/manifest.json)")
    raw = _read(manifest_file)
    manifest = _json(raw, manifest_file)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tool"), dict) \
            or manifest["tool"].get("name") != "submission-kit":
        raise UserError(f"{folder}: not a submission-kit build (its manifest.json does not "
                        "name submission-kit as the tool)")
    outputs = {str(o["path"]): str(o.get("sha256", "")) for o in manifest.get("outputs", [])
               if isinstance(o, dict) and "path" in o}
    files, notes = _read_outputs(folder, outputs)
    models = {p: _json(data, folder / p) for p, data in files.items() if p.endswith(".json")}
    for path in [p for p, m in models.items() if not _model_ok(p, m)]:
        del models[path]  # an edited or foreign JSON file: say so instead of failing
        notes.append(f"{path}: not a model this tool wrote (its key field is missing); "
                     "not compared")
    return Build(
        root=folder, manifest=manifest, manifest_sha256=sha256_bytes(raw), outputs=outputs,
        tables={str(m["id"]): m for p, m in models.items() if parse(p).kind == "tables"},
        results={str(m["analysis"]): m for p, m in models.items()
                 if parse(p).kind == "results"},
        documents={str(m["document"]): m for p, m in models.items()
                   if parse(p).kind == "documents"},
        traces={str(m["document"]): m for p, m in models.items() if parse(p).kind == "trace"},
        figures={_figure_id(p): data for p, data in files.items()
                 if parse(p).kind == "figures" and parse(p).ext == "png"},
        notes=tuple(notes))


def _model_ok(path: str, model: Any) -> bool:
    key = _KEY_FIELD.get(parse(path).kind)
    return key is None or (isinstance(model, dict) and key in model)


def _read_outputs(folder: Path, outputs: Mapping[str, str]
                  ) -> tuple[dict[str, bytes], list[str]]:
    """The files diff reads; a file whose bytes no longer match the manifest is noted (it was
    edited after the build), and a missing one makes the folder unusable."""
    files: dict[str, bytes] = {}
    notes = []
    for path, digest in sorted(outputs.items()):
        where = parse(path)
        wanted = (where.ext == "json" and where.kind in _KEY_FIELD) or (
            where.kind == "figures" and where.ext == "png")
        if not wanted:
            continue
        if not (folder / path).is_file():
            raise UserError(f"{folder}: incomplete build: {path} is listed in its manifest "
                            "but missing")
        files[path] = _read(folder / path)
        if digest and sha256_bytes(files[path]) != digest:
            notes.append(f"{folder / path} was changed after the build (its sha256 differs "
                         "from the manifest); it is compared as it is now")
    return files, notes


def _figure_id(path: str) -> str:
    """'records/figures/f-14-2-1.png' -> '14.2.1' (the reverse of figure_file_stem)."""
    return parse(path).stem.removeprefix("f-").replace("-", ".")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror or exc}") from None


def _json(data: bytes, path: Path) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid JSON: {exc}") from None


# --- the study behind a build ---

def find_study(build: Build, explicit: Path | None) -> tuple[Path | None, list[str]]:
    """The study.toml whose bytes are the ones the build recorded, or None with why."""
    config = build.study.get("config", {}) if isinstance(build.study.get("config"), dict) \
        else {}
    digest, name = str(config.get("sha256", "")), str(config.get("file", "study.toml"))
    recorded = [Path(str(config["path"]))] if config.get("path") else []
    candidates = [explicit] if explicit else [*recorded, build.root.parent / name, DEMO_STUDY]
    for candidate in candidates:
        if candidate.is_file() and sha256_bytes(candidate.read_bytes()) == digest:
            return candidate.resolve(), []
    if explicit:
        why = "does not exist" if not explicit.is_file() else (
            "is not the study.toml this build used (its sha256 differs from manifest.json)")
        return None, [f"{explicit} {why}; the inputs of {build.root} are compared by hash only"]
    return None, [f"the study.toml of {build.root} was not found unchanged (looked next to the "
                  "output folder and at the bundled demo; give it with --old-study/--new-study)"
                  "; its inputs are compared by hash only"]


def load_inputs(build: Build, explicit: Path | None, datasets: list[str]) -> StudyInputs:
    path, notes = find_study(build, explicit)
    if path is None:
        return StudyInputs(notes=tuple(notes))
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    from submission_kit.study import load_study

    try:
        study = load_study(path)
    except UserError as exc:
        return StudyInputs(path, config, notes=(f"{path} no longer loads ({exc}); templates, "
                                                "specs and datasets are not compared",))
    frames, data_notes = _datasets(build, study, datasets)
    return StudyInputs(path, config, _templates(study), _specs(study), frames,
                       tuple(data_notes))


def _templates(study: Any) -> dict[str, str]:
    """Every template the study can use (its own folders first, then the bundled ones)."""
    from submission_kit.locations import template_dirs

    found: dict[str, str] = {}
    for folder in template_dirs(study):
        for file in sorted(folder.rglob("*.j2")) if folder.is_dir() else ():
            found.setdefault(file.relative_to(folder).as_posix(), file.read_text("utf-8"))
    return found


def _specs(study: Any) -> dict[str, str]:
    """The spec file of each output, found as `load_spec` finds it (read, never imported)."""
    from submission_kit.locations import spec_dirs

    found: dict[str, str] = {}
    for output in study.outputs:
        for folder in spec_dirs(study, output.kind):
            exact = folder / f"{output.spec}.py"
            hits = [exact] if exact.is_file() else sorted(folder.glob(f"{output.spec}_*.py"))
            if hits:
                found[f"{output.kind}s/{hits[0].name}"] = hits[0].read_text("utf-8")
                break
    return found


def _datasets(build: Build, study: Any, names: list[str]
              ) -> tuple[dict[str, pd.DataFrame], list[str]]:
    from submission_kit.buildgraph import sha256_file
    from submission_kit.data.io import read_dataset

    frames, notes = {}, []
    for name in names:
        source = next((s for s in study.datasets if s.name == name), None)
        recorded = build.datasets[name].get("sha256")
        if source is None or not source.path.is_file():
            notes.append(f"dataset {name.upper()} of {build.root} is no longer configured or "
                         "found; its rows are not compared")
        elif sha256_file(source.path) != recorded:
            notes.append(f"{source.path} changed after {build.root} was built; the rows of "
                         f"{name.upper()} are not compared")
        else:
            frames[name] = read_dataset(source.path)
    return frames, notes
