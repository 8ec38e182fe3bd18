"""Shared by the figure tests (imported by name: pytest puts this folder on sys.path): a study
cut down to the outputs a test module needs, a figure spec module loaded by path, as the
build loads it, the matplotlib figure a renderer saves, and the texts that clash on it."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

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


def on_save(monkeypatch: Any, modules: Collection[ModuleType],
            read: Callable[[Any], Any]) -> list[Any]:
    """What `read(fig)` gives for each figure the renderers of `modules` save (their
    `as_images`), read after the images are written and before the figure is closed."""
    seen: list[Any] = []
    for module in modules:
        original = module.as_images

        def keep(fig: Any, marking: str = "", original: Any = original) -> Any:
            images = original(fig, marking)
            seen.append(read(fig))
            return images

        monkeypatch.setattr(module, "as_images", keep)
    return seen


def visible_texts(fig: Any) -> list[Any]:
    """The figure's own texts and its axes' visible tick labels."""
    texts = [t for t in fig.texts if t.get_text()]
    for ax in fig.axes:
        texts += [t for t in (*ax.get_xticklabels(), *ax.get_yticklabels())
                  if t.get_text() and t.get_visible()]
    return texts


def clashes(fig: Any, texts: Collection[Any], extra: Collection[tuple[str, Any]] = ()
            ) -> list[tuple[str, str]]:
    """Texts (and `extra` (name, box) pairs) outside the figure, then pairs whose drawn boxes
    intersect; the figure is drawn first, at its own dpi."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer).shrunk(0.98, 0.9)) for t in texts]
    boxes += list(extra)
    bad = [(a, "outside the figure") for a, box in boxes
           if box.x0 < 0 or box.y0 < 0 or box.x1 > fig.bbox.x1 or box.y1 > fig.bbox.y1]
    for i, (a, box_a) in enumerate(boxes):
        bad += [(a, b) for b, box_b in boxes[i + 1:] if box_a.overlaps(box_b)]
    return bad
