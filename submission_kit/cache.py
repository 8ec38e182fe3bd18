"""The build cache: results, models and rendered files of earlier builds, by content hash.

Layout, under `<out>/.cache/` (published with the output, so it is swapped atomically too):

    blobs/<sha256>          a file's bytes, or a pickled results/model object
    nodes/<node>.json       the newest records of a node: {"inputs": {id: hash},
                            "files": {path: sha256}, "objects": {name: sha256}}

A record is reused only when every input it lists has the same hash now (`buildgraph`), and a
blob only when its bytes still hash to its name. Objects are pickled: the cache is trusted as
the study folder is (it is written by this tool into the user's own output folder); delete
`.cache/` to start cold. Each node keeps its newest `KEEP` records, so switching back to an
earlier data cut or template is also a cache hit; blobs no record names are dropped.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from submission_kit.buildgraph import Inputs, NodeRecord, sha256_bytes

KEEP = 4  # records per node


@dataclass(frozen=True, slots=True)
class CachedNode:
    record: NodeRecord
    objects: Mapping[str, str]  # "results" / "model" -> blob sha256


@dataclass
class Cache:
    """Reads the previous cache; collects this build's additions until `write_into`."""

    root: Path | None  # None: no cache (a first build, or --mock)
    new_blobs: dict[str, bytes] = field(default_factory=dict)
    new_records: dict[str, dict[str, Any]] = field(default_factory=dict)
    _seen: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _read: dict[str, bytes | None] = field(default_factory=dict)

    # --- reading -----------------------------------------------------------------------
    def records(self, node: str) -> list[dict[str, Any]]:
        if node not in self._seen:
            self._seen[node] = self._read_records(node)
        return self._seen[node]

    def _read_records(self, node: str) -> list[dict[str, Any]]:
        if self.root is None:
            return []
        path = self.root / "nodes" / f"{_slug(node)}.json"
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []  # no entry, or a damaged one: a miss, never an error
        return [e for e in entries if isinstance(e, dict) and isinstance(e.get("inputs"), dict)]

    def find(self, node: str, now: Inputs, formats: Iterable[str] = ()) -> CachedNode | None:
        """The newest record of `node` whose inputs all match now, that has a file in each
        of `formats` it renders, and whose blobs exist."""
        for entry in self.records(node):
            record = NodeRecord(entry["inputs"], entry.get("files", {}))
            objects = entry.get("objects", {})
            if record.changed_inputs(now) or record.missing_formats(formats):
                continue
            if all(self.has(sha) for sha in (*record.files.values(), *objects.values())):
                return CachedNode(record, objects)
        return None

    def has(self, sha: str) -> bool:
        """The blob exists and its bytes still hash to its name (read once, then kept)."""
        return self._load(sha) is not None

    def blob(self, sha: str) -> bytes:
        data = self._load(sha)
        if data is None:
            raise KeyError(f"cache blob {sha} is missing or damaged")
        return data

    def _load(self, sha: str) -> bytes | None:
        if sha in self.new_blobs:
            return self.new_blobs[sha]
        if sha not in self._read:
            data = None
            if self.root is not None:
                try:
                    data = (self.root / "blobs" / sha).read_bytes()
                except OSError:
                    data = None
            self._read[sha] = data if data is not None and sha256_bytes(data) == sha else None
        return self._read[sha]

    def object(self, sha: str) -> Any:
        return pickle.loads(self.blob(sha))  # our own cache: see the module note

    # --- this build's additions ---------------------------------------------------------
    def add(self, node: str, inputs: Mapping[str, str], files: Mapping[str, bytes],
            objects: Mapping[str, Any] | None = None) -> None:
        shas = {path: self._put(content) for path, content in files.items()}
        object_shas = {name: self._put(pickle.dumps(obj, protocol=5))
                       for name, obj in (objects or {}).items()}
        self.new_records[node] = {"inputs": dict(sorted(inputs.items())),
                                  "files": dict(sorted(shas.items())), "objects": object_shas}

    def _put(self, content: bytes) -> str:
        sha = sha256_bytes(content)
        self.new_blobs.setdefault(sha, content)
        return sha

    def write_into(self, target: Path) -> None:
        """The previous cache (hard links: no copy) plus this build's additions, pruned to
        KEEP records a node, into `target` (the staging folder's .cache)."""
        if self.root is not None and (self.root / "blobs").is_dir():
            # Blobs are never rewritten in place, so linking them is safe; records are.
            shutil.copytree(self.root / "blobs", target / "blobs", copy_function=_link_or_copy)
        if self.root is not None and (self.root / "nodes").is_dir():
            shutil.copytree(self.root / "nodes", target / "nodes")
        (target / "blobs").mkdir(parents=True, exist_ok=True)
        (target / "nodes").mkdir(parents=True, exist_ok=True)
        for node, entry in self.new_records.items():
            kept = [entry] + [e for e in self.records(node) if e.get("inputs") != entry["inputs"]]
            (target / "nodes" / f"{_slug(node)}.json").write_text(
                json.dumps(kept[:KEEP], sort_keys=True, indent=1), encoding="utf-8")
        for sha, content in self.new_blobs.items():
            path = target / "blobs" / sha
            if not path.exists():
                path.write_bytes(content)
        _drop_unreferenced(target)


def _slug(node: str) -> str:
    return node.replace(":", "-").replace("/", "-")


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _drop_unreferenced(root: Path) -> None:
    referenced: set[str] = set()
    for path in (root / "nodes").glob("*.json"):
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            path.unlink()
            continue
        for entry in entries:
            referenced |= set(entry.get("files", {}).values())
            referenced |= set(entry.get("objects", {}).values())
    for blob in (root / "blobs").iterdir():
        if blob.name not in referenced:
            blob.unlink()
