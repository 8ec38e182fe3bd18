"""Shared by the figure tests (imported by name: pytest puts this folder on sys.path): a study
cut down to the outputs a test module needs, and a figure spec module loaded by path, as the
build loads it."""

from __future__ import annotations

import importlib.util
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from types import ModuleType

from submission_kit.build import Computed, compute
from submission_kit.study import Study, load_study

ROOT = Path(__file__).resolve().parents[2]
PILOT = ROOT / "examples" / "cdiscpilot01" / "study.toml"


def only(study: Study, wanted: Collection[tuple[str, str]]) -> Study:
    """The study with only the `wanted` (kind, id) outputs and no documents."""
    return replace(study, outputs=tuple(o for o in study.outputs if (o.kind, o.id) in wanted),
                   documents=())


def computed(path: Path, wanted: Collection[tuple[str, str]]) -> tuple[Study, Computed]:
    study = only(load_study(path), wanted)
    return study, compute(study)


def spec_module(name: str) -> ModuleType:
    """A figure spec module (figures/<name>.py), loaded by path."""
    path = ROOT / "figures" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"test_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
