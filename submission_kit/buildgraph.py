"""The build graph's inputs, node keys and plan.

The build is a graph: dataset files -> analyses -> results -> tables and figures -> documents.
Each node (a table, a figure, a document, the ARD) records the inputs it was built from, each
with its hash, in manifest.json (and in the cache). A node is current when every input it
recorded still has that hash, so an output is either rebuilt or proven current by its key --
never carried over on trust. Inputs are named:

    code                 the tool's own program files and version
    env                  Python, the library versions and the installed fonts (version and
                         size) that can change numbers or bytes
    study:settings       study.toml without its outputs, documents and [regulatory]
    study:tables.14.1.3  one output's block (study:figures.<id>, study:documents.<id>)
    study:regulatory.fda one [regulatory] section (a document's templates read it)
    study:all            the whole study.toml
    data:adsl            a dataset file's bytes
    file:<path>          a spec, template or stylesheet file's bytes (bundled files as
                         <bundled>/tables/...; a study's own relative to its folder)

study.toml parts are hashed parsed, so an edited comment rebuilds nothing. Which datasets an
analysis reads comes from its spec's declared needs; which templates and analyses a document
used is recorded while it renders. This module imports no pandas: `build` asks it whether
anything is out of date before loading the heavy machinery.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from submission_kit import __version__
from submission_kit.locations import BUNDLED, reference_docx_path
from submission_kit.study import Study, Style

PACKAGE = Path(__file__).resolve().parent
BUNDLED_LABEL = "<bundled>"
STYLESHEET = f"file:{BUNDLED_LABEL}/templates/print.css"  # every PDF's house style
# Libraries whose version can change rendered bytes or numbers.
RECORDED_PACKAGES = ("pandas", "numpy", "scipy", "lifelines", "statsmodels", "matplotlib",
                     "python-docx", "weasyprint", "jinja2", "markdown-it-py", "pyreadstat",
                     "pypdf", "fonttools")
# Parts of study.toml that are their own inputs, not part of study:settings.
_OWN_PARTS = ("tables", "figures", "documents", "regulatory")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_hash(value: Any) -> str:
    """sha256 of stable JSON (sorted keys; dates and other scalars as text)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str,
                      separators=(",", ":"))
    return sha256_bytes(text.encode("utf-8"))


def node_key(inputs: Mapping[str, str]) -> str:
    return canonical_hash(dict(inputs))


def environment_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def installed_fonts(style: Style) -> dict[str, str]:
    """The font files the study's font stacks resolve to (`fc-list`), with their version and
    size: a font update changes PDF and figure bytes as a library update does, so it is part
    of the `env` input and of the manifest. Version and size, not a content hash: the CJK
    collections alone are hundreds of megabytes, read on every build."""
    from submission_kit.writers.print_css import font_families

    wanted = {family.casefold() for family in font_families(style)}
    fonts = {}
    for line in _fc_list():
        families, font_style, path, version, index = line.split("\t")
        names = [name.strip() for name in families.split(",")]
        if not any(name.casefold() in wanted for name in names):
            continue
        try:
            size = Path(path).stat().st_size
        except OSError:
            continue
        label = f"{names[0]} {font_style.split(',')[0]}"
        fonts[label] = f"{Path(path).name}#{index} version {version}, {size} bytes"
    return dict(sorted(fonts.items()))


def _fc_list() -> list[str]:
    """One line per installed face: families, style, file, version, index in the file."""
    try:
        done = subprocess.run(["fc-list", "-f", "%{family}\t%{style}\t%{file}\t"
                               "%{fontversion}\t%{index}\n"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted(line for line in done.stdout.splitlines() if line.count("\t") == 4)


def code_hash() -> str:
    """The tool's program: every file of the package except the bundled library (whose specs
    and templates are inputs of their own, so that editing one rebuilds only its outputs),
    the demo study (an input like any study) and byte-code caches."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE.rglob("*")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("bundled", "demo") or "__pycache__" in rel.parts or not path.is_file():
            continue
        digest.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def file_label(path: Path, study: Study) -> str:
    """How a program file is named in the manifest: portable, not an absolute path."""
    for root, prefix in ((BUNDLED, BUNDLED_LABEL), (study.root, "")):
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        return f"{prefix}/{rel.as_posix()}" if prefix else rel.as_posix()
    return path.as_posix()


def label_path(label: str, study: Study) -> Path:
    if label.startswith(BUNDLED_LABEL + "/"):
        return BUNDLED / label[len(BUNDLED_LABEL) + 1:]
    path = Path(label)
    return path if path.is_absolute() else study.root / path


class Inputs:
    """The current hash of each input, computed once per build on first use."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self._raw: dict[str, Any] | None = None
        self._memo: dict[str, str] = {}

    def raw_study(self) -> dict[str, Any]:
        if self._raw is None:
            self._raw = tomllib.loads(self.study.path.read_text(encoding="utf-8"))
        return self._raw

    def value(self, input_id: str) -> str:
        """The input's hash now; "" when it no longer exists (a removed file or block)."""
        if input_id not in self._memo:
            self._memo[input_id] = self._compute(input_id)
        return self._memo[input_id]

    def values(self, ids: Iterable[str]) -> dict[str, str]:
        return {i: self.value(i) for i in sorted(set(ids))}

    def _compute(self, input_id: str) -> str:
        kind, _, name = input_id.partition(":")
        if kind == "code":
            return code_hash()
        if kind == "env":
            return canonical_hash({**environment_versions(),
                                   "fonts": installed_fonts(self.study.style)})
        if kind == "study":
            return self._study_part(name)
        if kind == "data":
            return self._dataset(name)
        if kind == "file":
            path = label_path(name, self.study)
            return sha256_file(path) if path.is_file() else ""
        return ""  # an input this version does not know (an older cache): never current

    def _study_part(self, name: str) -> str:
        raw = self.raw_study()
        if name == "all":
            return canonical_hash(raw)
        if name == "settings":
            return canonical_hash({k: v for k, v in raw.items() if k not in _OWN_PARTS})
        section, _, key = name.partition(".")
        part = raw.get(section, {})
        if key:
            part = part.get(key) if isinstance(part, dict) else None
        return "" if part is None else canonical_hash(part)

    def _dataset(self, name: str) -> str:
        sources = {d.name: d.path for d in self.study.datasets}
        path = sources.get(name)
        return sha256_file(path) if path is not None and path.is_file() else ""


# --- node records and the plan ------------------------------------------------------------

def output_node(kind: str, output_id: str) -> str:
    return f"{kind}:{output_id}"


def document_node(document_id: str) -> str:
    return f"document:{document_id}"


ARD_NODE = "ard"  # results/ard.csv: every analysis in one file


def base_inputs(study: Study, kind: str, output_id: str) -> list[str]:
    """What every table or figure depends on besides its spec and data."""
    return ["code", "env", STYLESHEET, reference_input(study), "study:settings",
            f"study:{kind}s.{output_id}"]


def reference_input(study: Study) -> str:
    """The DOCX style source every DOCX is built from: the study's own reference.docx, or the
    shipped one (bundled, so outside the `code` hash)."""
    return "file:" + file_label(reference_docx_path(study), study)


def configured_nodes(study: Study) -> list[str]:
    """Node ids the study's configuration asks for (no spec is imported to know them)."""
    nodes = [output_node(c.kind, c.id) for c in study.outputs]
    nodes += [document_node(d.id) for d in study.documents]
    return nodes + ([ARD_NODE] if study.outputs else [])


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """A built node: the inputs it was built from (id -> hash) and its files (path -> hash)."""

    inputs: Mapping[str, str]
    files: Mapping[str, str] = field(default_factory=dict)
    # Why the manifest marks it out of date ("data:adsl changed", "x.pdf not rebuilt"): a
    # stale node is never current, even when its recorded inputs still match.
    stale: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return node_key(self.inputs)

    def changed_inputs(self, now: Inputs) -> list[str]:
        return [i for i, h in sorted(self.inputs.items()) if now.value(i) != h]

    def reasons(self, now: Inputs) -> list[str]:
        """Why the node is not current: "data:adsl changed", "file:... is gone"."""
        return [f"{i} changed" if now.value(i) else f"{i} is gone"
                for i in self.changed_inputs(now)]

    def missing_formats(self, formats: Iterable[str]) -> list[str]:
        """Formats asked for that this node renders but the record has no file of (a build
        with --format docx, then one with docx,pdf). Nodes without rendered files: none."""
        rendered = {p.rsplit(".", 1)[-1] for p in self.files} & {"docx", "pdf"}
        return [f for f in formats if rendered and f not in rendered]

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "inputs": dict(sorted(self.inputs.items())),
                "files": sorted(self.files)}


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a plan: a node and what happens to it, and why."""

    node: str
    action: str  # "current" | "build" (added) | "rebuild" (changed or altered) | "remove"
    why: tuple[str, ...] = ()


def plan(study: Study, previous: Mapping[str, NodeRecord], now: Inputs,
         files_on_disk: Mapping[str, str | None] | None = None,
         formats: Iterable[str] = ()) -> list[Step]:
    """What a build of `study` would do given the previous build's records. `files_on_disk`
    (path -> current sha256, None if missing) marks a node whose files were edited or removed
    since as needing a rebuild."""
    wanted = configured_nodes(study)
    steps = []
    for node in wanted:
        record = previous.get(node)
        if record is None:
            steps.append(Step(node, "build", ("not built before",)))
            continue
        why = record.reasons(now)
        why += [s for s in record.stale if s not in why]
        why += [f"no {f} file built before" for f in record.missing_formats(_formats_of(
            study, node, formats))]
        if files_on_disk is not None:
            why += [f"{p} " + ("is missing" if files_on_disk.get(p) is None else "was altered")
                    for p, h in sorted(record.files.items()) if files_on_disk.get(p) != h]
        steps.append(Step(node, "rebuild" if why else "current", tuple(why)))
    steps += [Step(node, "remove", ("no longer configured",))
              for node in sorted(set(previous) - set(wanted))]
    return _ard_follows(steps)


def _formats_of(study: Study, node: str, formats: Iterable[str]) -> list[str]:
    """The formats a node is asked to render: a document only those it is configured for."""
    asked = list(formats)
    for doc in study.documents:
        if node == document_node(doc.id):
            return [f for f in asked if f in doc.formats]
    return asked


def _ard_follows(steps: list[Step]) -> list[Step]:
    """The ARD holds every analysis: adding or removing an output rebuilds it too."""
    moved = [s.node for s in steps if s.action in ("build", "remove") and s.node != ARD_NODE
             and not s.node.startswith("document:")]
    if not moved:
        return steps
    return [Step(s.node, "rebuild", (*s.why, f"outputs added or removed: {', '.join(moved)}"))
            if s.node == ARD_NODE and s.action == "current" else s for s in steps]


def read_records(manifest: Mapping[str, Any]) -> dict[str, NodeRecord]:
    """The node records of a manifest.json payload ({} for a manifest without them)."""
    hashes = {o["path"]: o["sha256"] for o in manifest.get("outputs", [])
              if isinstance(o, dict) and "path" in o and "sha256" in o}
    records = {}
    for node, entry in (manifest.get("nodes") or {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("inputs"), dict):
            files = {p: hashes.get(p, "") for p in entry.get("files", [])}
            records[node] = NodeRecord(dict(entry["inputs"]), files,
                                       tuple(str(s) for s in entry.get("stale") or ()))
    return records


def files_on_disk(out_dir: Path, manifest: Mapping[str, Any]) -> dict[str, str | None]:
    """The sha256 of every output the manifest lists, as the folder holds it now."""
    found: dict[str, str | None] = {}
    for entry in manifest.get("outputs", []):
        path = out_dir / str(entry.get("path", ""))
        found[str(entry.get("path"))] = sha256_file(path) if path.is_file() else None
    return found


def plan_against(study: Study, out_dir: Path, manifest: Mapping[str, Any],
                 formats: Iterable[str]) -> list[Step]:
    """The plan for building `study` into `out_dir`, whose manifest is `manifest`: every
    node's recorded inputs against their hashes now, and its files against the folder. A
    declared dataset that changed is reported even when no output reads it (the build
    reads and checks every declared dataset)."""
    now = Inputs(study)
    steps = plan(study, read_records(manifest), now, files_on_disk(out_dir, manifest), formats)
    recorded = {e.get("dataset"): e.get("sha256") for e in manifest.get("inputs", [])
                if isinstance(e, dict)}
    checked = [f"data:{d.name} changed" for d in study.datasets
               if recorded.get(d.name) != now.value(f"data:{d.name}")]
    if checked:
        steps.append(Step("data", "check", tuple(checked)))
    return steps
