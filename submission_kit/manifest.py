"""manifest.json: what went in (data checksums, config, tool versions) and what came out
(every file with its sha256), so QA can verify a build by hash."""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from submission_kit import __version__
from submission_kit.data.load import StudyData
from submission_kit.study import Study

# Libraries whose version can change rendered bytes or numbers.
_RECORDED = ("pandas", "numpy", "scipy", "lifelines", "statsmodels", "matplotlib",
             "python-docx", "weasyprint", "jinja2", "markdown-it-py", "pyreadstat")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def environment_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _RECORDED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def as_manifest_json(study: Study, data: StudyData, files: Mapping[str, bytes]) -> str:
    """Stable JSON (sorted keys); `files` maps output-relative paths to their bytes."""
    config = study.path.read_bytes()
    payload: dict[str, Any] = {
        "tool": {"name": "submission-kit", "version": __version__},
        "study": {
            "id": study.id,
            "protocol": study.identity.protocol,
            "data_cutoff": study.data_cutoff.isoformat(),
            "synthetic": study.identity.synthetic,
            "config": {"file": study.path.name, "sha256": sha256_bytes(config)},
        },
        "inputs": [
            {"dataset": name, "file": data.paths[name].name, "sha256": data.sha256[name],
             "rows": len(data.frames[name])}
            for name in sorted(data.paths)
        ],
        "outputs": [
            {"path": path, "sha256": sha256_bytes(content), "bytes": len(content)}
            for path, content in sorted(files.items())
        ],
        "environment": environment_versions(),
    }
    return json.dumps(payload, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
