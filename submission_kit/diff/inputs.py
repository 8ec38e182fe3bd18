"""What changed in the inputs (pure): tool and library versions, datasets row by row, study.toml
key by key, templates and spec files hunk by hunk. Reported first, so a reviewer sees why
the outputs moved before seeing that they did."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from submission_kit.diff.changes import Change
from submission_kit.diff.load import Build, Pair
from submission_kit.diff.words import word_diff

# Record keys, in this order, where a dataset has them: one subject, parameter, visit, event.
KEY_VARIABLES = ("USUBJID", "PARAMCD", "AVISIT", "AESEQ")


def compare_inputs(pair: Pair) -> tuple[list[Change], list[str]]:
    old, new = pair.old, pair.new
    changes = [*_tool(old, new), *_datasets(pair), *_config(pair)]
    notes = [*pair.old_inputs.notes, *pair.new_inputs.notes]
    if not (pair.old_inputs.path and pair.new_inputs.path):
        changes += _programs(old, new)  # by hash, when the sources are not there to compare
    else:
        changes += source_changes("Template", pair.old_inputs.templates,
                                  pair.new_inputs.templates)
        changes += source_changes("Spec", pair.old_inputs.specs, pair.new_inputs.specs)
        notes.append("Templates and spec files are compared as they are on disk now (their "
                     "hashes in the manifests say which ones changed between the builds).")
    return changes, notes


def _programs(old: Build, new: Build) -> Iterator[Change]:
    """Spec, template and stylesheet files by the hashes each manifest recorded."""
    def hashes(build: Build) -> dict[str, str]:
        return {str(e.get("file")): str(e.get("sha256")) for e in
                build.manifest.get("programs", []) if isinstance(e, dict)}

    before, after = hashes(old), hashes(new)
    if not before or not after:
        return  # a build from before program files were recorded
    for label in sorted(set(before) | set(after)):
        if before.get(label) != after.get(label):
            kind = ("program-added" if label not in before else "program-removed"
                    if label not in after else "program-changed")
            yield Change("inputs", kind, "Program file", (label,),
                         f"sha256 {before[label][:12]}" if label in before else "",
                         f"sha256 {after[label][:12]}" if label in after else "")


def _tool(old: Build, new: Build) -> Iterator[Change]:
    if old.tool_version != new.tool_version:
        yield Change("inputs", "tool", "Tool", ("submission-kit",), old.tool_version,
                     new.tool_version)
    old_env = _flat(old.manifest.get("environment", {}))
    new_env = _flat(new.manifest.get("environment", {}))
    for name in sorted(set(old_env) | set(new_env)):
        if old_env.get(name) != new_env.get(name):
            yield Change("inputs", "environment", "Environment", (name,),
                         str(old_env.get(name, "")), str(new_env.get(name, "")))


def _flat(environment: Mapping[str, Any]) -> dict[str, str]:
    """Library versions, and each installed font as its own entry ("fonts: Liberation Serif
    Regular"), so a font update reads as one line, not as the whole list."""
    flat = {}
    for name, value in environment.items():
        if isinstance(value, Mapping):
            flat.update({f"{name}: {inner}": str(v) for inner, v in value.items()})
        else:
            flat[name] = str(value)
    return flat


def _datasets(pair: Pair) -> Iterator[Change]:
    old, new = pair.old.datasets, pair.new.datasets
    for name in sorted(set(old) | set(new)):
        artifact = f"Dataset {name.upper()}"
        if name not in new or name not in old:
            kind = "dataset-removed" if name not in new else "dataset-added"
            entry = old.get(name) or new[name]
            text = f"{entry.get('file', '')} ({entry.get('rows', '?')} rows)"
            yield Change("inputs", kind, artifact, (), text if name in old else "",
                         text if name in new else "")
        elif old[name].get("sha256") != new[name].get("sha256"):
            frames = pair.old_inputs.datasets.get(name), pair.new_inputs.datasets.get(name)
            if frames[0] is not None and frames[1] is not None:
                yield from dataset_changes(artifact, frames[0], frames[1])
            else:
                yield Change("inputs", "dataset-changed", artifact, ("file",),
                             _file_text(old[name]), _file_text(new[name]),
                             detail="rows not compared: see the notes")


def _file_text(entry: Mapping[str, Any]) -> str:
    return (f"{entry.get('file', '')}: {entry.get('rows', '?')} rows, "
            f"sha256 {str(entry.get('sha256', ''))[:12]}")


def key_variables(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    return [k for k in KEY_VARIABLES if k in old.columns and k in new.columns]


def dataset_changes(artifact: str, old: pd.DataFrame, new: pd.DataFrame) -> Iterator[Change]:
    """Rows removed, added and changed, matched by the record keys (USUBJID, PARAMCD, AVISIT,
    AESEQ where present); records that share a key are matched in order (#2, #3)."""
    for column in [c for c in old.columns if c not in new.columns]:
        yield Change("inputs", "variable-removed", artifact, (column,), column, "")
    for column in [c for c in new.columns if c not in old.columns]:
        yield Change("inputs", "variable-added", artifact, (column,), "", column)
    keys = key_variables(old, new)
    common = [c for c in old.columns if c in new.columns]
    old_rows, new_rows = _records(old, keys, common), _records(new, keys, common)
    for key, row in old_rows.items():
        if key not in new_rows:
            yield Change("inputs", "row-removed", artifact, (key,), _record_text(row), "")
        elif row != new_rows[key]:
            names = [c for c in common if row[c] != new_rows[key][c]]
            yield Change("inputs", "row-changed", artifact, (key,),
                         "; ".join(f"{c}={row[c]}" for c in names),
                         "; ".join(f"{c}={new_rows[key][c]}" for c in names))
    for key, row in new_rows.items():
        if key not in old_rows:
            yield Change("inputs", "row-added", artifact, (key,), "", _record_text(row))


def _records(frame: pd.DataFrame, keys: Sequence[str], columns: Sequence[str]
             ) -> dict[str, dict[str, str]]:
    """'USUBJID=X, AESEQ=3' -> {variable: value as text}, in file order."""
    texts = {c: [cell_text(v) for v in frame[c].tolist()] for c in columns}
    labels = [", ".join(f"{k}={texts[k][i]}" for k in keys) if keys else f"row {i + 1}"
              for i in range(len(frame))]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    seen: dict[str, int] = {}
    out = {}
    for i, label in enumerate(labels):
        seen[label] = seen.get(label, 0) + 1
        name = label if counts[label] == 1 else f"{label} #{seen[label]}"
        out[name] = {c: texts[c][i] for c in columns}
    return out


def cell_text(value: Any) -> str:
    """A data value as text for comparing and showing: missing is '', dates ISO 8601, whole
    floats without '.0', other floats at full precision."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _record_text(row: Mapping[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in row.items() if v != "")


# --- study.toml ---

def _config(pair: Pair) -> Iterator[Change]:
    old_cfg, new_cfg = pair.old_inputs.config, pair.new_inputs.config
    old_sha = pair.old.study.get("config", {}).get("sha256")
    new_sha = pair.new.study.get("config", {}).get("sha256")
    if pair.old_inputs.path and pair.new_inputs.path:
        yield from config_changes(old_cfg, new_cfg)
    elif old_sha != new_sha:
        yield Change("inputs", "config-changed", "study.toml", ("sha256",), str(old_sha),
                     str(new_sha), detail="keys not compared: see the notes")


def config_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    a, b = flatten(old), flatten(new)
    for key in [*a, *(k for k in b if k not in a)]:
        if a.get(key) != b.get(key):
            kind = "key-added" if key not in a else "key-removed" if key not in b else "key"
            old_text, new_text = a.get(key, ""), b.get(key, "")
            yield Change("inputs", kind, "study.toml", (key,), old_text, new_text,
                         word_diff(old_text, new_text) if kind == "key" else ())


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Dotted TOML key paths -> values as text; arrays of tables are indexed ([0], [1])."""
    if isinstance(value, Mapping):
        out: dict[str, str] = {}
        for key, item in value.items():
            part = key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)
            out.update(flatten(item, f"{prefix}.{part}" if prefix else part))
        return out
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
        return out
    if isinstance(value, str):
        return {prefix: value}
    if isinstance(value, dt.date | dt.time):  # TOML dates: 2021-09-30, not "2021-09-30"
        return {prefix: value.isoformat()}
    return {prefix: json.dumps(value, ensure_ascii=False, default=str)}


# --- templates and specs ---

def source_changes(kind: str, old: Mapping[str, str], new: Mapping[str, str]
                   ) -> Iterator[Change]:
    """One change per edited stretch of lines (a hunk), located by the new line numbers."""
    for name in sorted(set(old) | set(new)):
        artifact = f"{kind} {name}"
        if name not in new or name not in old:
            yield Change("inputs", f"{kind.lower()}-{'removed' if name not in new else 'added'}",
                         artifact, (), old.get(name, ""), new.get(name, ""))
            continue
        a, b = old[name].splitlines(), new[name].splitlines()
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            lines = f"line {j1 + 1}" if j2 - j1 <= 1 else f"lines {j1 + 1}-{j2}"
            old_text, new_text = "\n".join(a[i1:i2]), "\n".join(b[j1:j2])
            yield Change("inputs", "lines", artifact, (lines,), old_text, new_text,
                         word_diff(old_text, new_text))
