"""Where a build puts each file (the output contract, DESIGN.md §3).

Two folders under the build folder, apart:
- `deliverables/`: what a publisher takes as it is (documents, stand-alone tables and figures
  as DOCX and PDF) and `deliverables/SHA256SUMS`, so a copy of the folder checks itself;
- `records/`: what the build knows about them (manifest.json, results, table and document
  models, traces, the figures' images).

Every path here is relative to the build folder, with forward slashes, as the manifest lists
it. Readers classify a path with `parse`, which also reads a build written before the split
(everything at the top: `tables/t-14-1-3.json`, `documents/x.pdf`), so a QA reviewer can diff
an old build against a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

DELIVERABLES = "deliverables"
RECORDS = "records"
MANIFEST = f"{RECORDS}/manifest.json"
SUMS = f"{DELIVERABLES}/SHA256SUMS"
ARD_CSV = f"{RECORDS}/results/ard.csv"
LEGACY_MANIFEST = "manifest.json"  # builds before the split
LEGACY_SUMS = "SHA256SUMS"
# Files of the build that describe it rather than being one of its outputs.
BOOKKEEPING = frozenset({MANIFEST, SUMS, LEGACY_MANIFEST, LEGACY_SUMS})
RENDERED = ("docx", "pdf")


def results_file(analysis_id: str) -> str:
    return f"{RECORDS}/results/{analysis_id}.json"


def table_model_file(stem: str) -> str:
    return f"{RECORDS}/tables/{stem}.json"


def table_file(stem: str, fmt: str) -> str:
    return f"{DELIVERABLES}/tables/{stem}.{fmt}"


def figure_image(stem: str, ext: str) -> str:
    """The SVG and PNG a document embeds: records, the figure page is the deliverable."""
    return f"{RECORDS}/figures/{stem}.{ext}"


def figure_file(stem: str, fmt: str) -> str:
    return f"{DELIVERABLES}/figures/{stem}.{fmt}"


def document_file(doc_id: str, fmt: str) -> str:
    return f"{DELIVERABLES}/documents/{doc_id}.{fmt}"


def document_model_file(doc_id: str) -> str:
    return f"{RECORDS}/documents/{doc_id}.json"


def trace_file(doc_id: str) -> str:
    return f"{RECORDS}/trace/{doc_id}.json"


@dataclass(frozen=True, slots=True)
class OutputPath:
    """A build file as readers need it: its kind, the file stem, and its extension."""

    kind: str  # "documents" | "tables" | "figures" | "results" | "trace" | "" (bookkeeping)
    stem: str  # "t-14-1-3", "fda-meeting-package", "t_14_1_3", "ard"
    ext: str  # "pdf", "docx", "json", "png", "svg", "csv"

    @property
    def deliverable(self) -> bool:
        return self.kind in ("documents", "tables", "figures") and self.ext in RENDERED


def parse(path: str) -> OutputPath:
    """Classify a manifest path of either layout ('deliverables/tables/t-14-1-3.pdf' or
    'tables/t-14-1-3.pdf')."""
    parts = PurePosixPath(path).parts
    if parts and parts[0] in (DELIVERABLES, RECORDS):
        parts = parts[1:]
    if len(parts) != 2:
        return OutputPath("", PurePosixPath(path).stem, PurePosixPath(path).suffix[1:])
    name = PurePosixPath(parts[1])
    return OutputPath(parts[0], name.stem, name.suffix[1:])


def manifest_path(folder: Path) -> Path:
    """The build's manifest.json: records/manifest.json, or at the top for a build written
    before deliverables and records were apart."""
    current = folder / MANIFEST
    legacy = folder / LEGACY_MANIFEST
    return legacy if not current.is_file() and legacy.is_file() else current


def deliverables_sums(files: dict[str, str]) -> str:
    """deliverables/SHA256SUMS: `sha256sum -c SHA256SUMS` inside deliverables/ (or a copy of
    it) checks every file a publisher takes. `files`: build path -> sha256."""
    prefix = f"{DELIVERABLES}/"
    return "".join(f"{sha}  {path.removeprefix(prefix)}\n" for path, sha in sorted(files.items())
                   if path.startswith(prefix) and path != SUMS)
