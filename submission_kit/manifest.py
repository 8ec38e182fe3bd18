"""manifest.json and SHA256SUMS: what went in (datasets, study.toml, spec and template files,
tool and library versions) and what came out (every file with its sha256), and for each node
of the build graph the inputs it was built from, so QA can verify a build by hash
(`submission-kit verify`) and the next build knows what is current."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from submission_kit import __version__
from submission_kit.buildgraph import (
    environment_versions,
    installed_fonts,
    label_path,
    sha256_bytes,
    sha256_file,
)
from submission_kit.study import Study

if TYPE_CHECKING:
    from submission_kit.incremental import Outcome

__all__ = ["as_manifest_json", "environment_versions", "sha256_bytes"]


def as_manifest_json(study: Study, outcome: Outcome, previous: Mapping[str, Any]) -> str:
    """Stable JSON (sorted keys). `previous` (the manifest being replaced) supplies dataset
    row counts when no analysis ran, for files whose hash it already vouched for."""
    from submission_kit.incremental import as_nodes_json

    payload: dict[str, Any] = {
        "tool": {"name": "submission-kit", "version": __version__},
        "study": {
            "id": study.id,
            "protocol": study.identity.protocol,
            "data_cutoff": study.data_cutoff.isoformat(),
            "synthetic": study.identity.synthetic,
            "config": {"file": study.path.name, "sha256": sha256_file(study.path)},
        },
        "build": {"formats": sorted(outcome.formats)},
        "inputs": _dataset_inputs(study, outcome, previous),
        "programs": _program_inputs(study, outcome),
        "outputs": [
            {"path": path, "sha256": sha256_bytes(content), "bytes": len(content)}
            for path, content in sorted(outcome.files.items())
        ],
        "nodes": as_nodes_json(outcome),
        "environment": {**environment_versions(), "fonts": installed_fonts(study.style)},
    }
    return json.dumps(payload, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _dataset_inputs(study: Study, outcome: Outcome, previous: Mapping[str, Any]
                    ) -> list[dict[str, Any]]:
    before = {(e.get("dataset"), e.get("sha256")): e.get("rows")
              for e in previous.get("inputs", []) if isinstance(e, dict)}
    entries = []
    for source in sorted(study.datasets, key=lambda d: d.name):
        sha = (outcome.data.sha256[source.name] if outcome.data is not None
               else sha256_file(source.path))
        rows = (len(outcome.data.frames[source.name]) if outcome.data is not None
                else before.get((source.name, sha)))
        entries.append({"dataset": source.name, "file": source.path.name, "sha256": sha,
                        "rows": rows})
    return entries


def _program_inputs(study: Study, outcome: Outcome) -> list[dict[str, str]]:
    """Every spec, template and stylesheet file a node was built from, with its hash."""
    labels = sorted({i[5:] for r in outcome.records.values() for i in r.inputs
                     if i.startswith("file:")})
    return [{"file": label, "sha256": sha256_file(label_path(label, study))}
            for label in labels if label_path(label, study).is_file()]
