"""The installed fonts are an input like a library version: a font update changes PDF and
figure bytes, so it makes every node out of date and the manifest names the files used."""

import json
import subprocess
from pathlib import Path

from submission_kit import buildgraph
from submission_kit.cli import DEMO_STUDY, main
from submission_kit.outputs import manifest_path
from submission_kit.study import load_study

LINES = [
    "Liberation Serif\tRegular\t{serif}\t137625\t0",
    "Liberation Serif\tBold\t/not/installed/LiberationSerif-Bold.ttf\t137625\t0",
    "Comic Neue,Comic Neue Regular\tRegular\t{serif}\t65536\t0",
    "Noto Serif CJK SC,Noto Serif CJK SC Regular\tRegular,Normal\t{serif}\t131137\t2",
]


def _fc_match(pattern: str) -> str:
    return subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True,
                          text=True, check=True).stdout


def test_the_demo_font_is_recorded_with_its_file_version_and_size():
    fonts = buildgraph.installed_fonts(load_study(DEMO_STUDY).style)
    regular = Path(_fc_match("Liberation Serif"))
    entry = fonts["Liberation Serif Regular"]
    assert entry.startswith(f"{regular.name}#0 version ")
    assert entry.endswith(f", {regular.stat().st_size} bytes")
    assert all(not label.startswith("Comic") for label in fonts)


def test_only_the_study_stacks_families_that_are_installed_count(monkeypatch, tmp_path):
    serif = tmp_path / "serif.ttf"
    serif.write_bytes(b"x" * 1234)
    monkeypatch.setattr(buildgraph, "_fc_list",
                        lambda: [line.format(serif=serif) for line in LINES])
    assert buildgraph.installed_fonts(load_study(DEMO_STUDY).style) == {
        # the bold file is listed by fontconfig but gone: not a font the build can use
        "Liberation Serif Regular": "serif.ttf#0 version 137625, 1234 bytes",
        "Noto Serif CJK SC Regular": "serif.ttf#2 version 131137, 1234 bytes",
    }


def test_a_font_update_makes_every_node_out_of_date(small_build, small_study, tmp_path,
                                                    monkeypatch, capsys):
    manifest = json.loads(manifest_path(small_build).read_text())
    assert manifest["environment"]["fonts"]["Liberation Serif Regular"].startswith(
        "LiberationSerif-Regular.ttf#0 version ")
    study = str(small_study / "study.toml")
    assert main(["build", "--study", study, "--out", str(small_build), "--plan"]) == 0
    assert "rebuild " not in capsys.readouterr().out

    installed = buildgraph._fc_list()
    updated = [line.replace("\t137625\t", "\t137626\t") if line.startswith(
        "Liberation Serif\tRegular") else line for line in installed]
    assert updated != installed
    monkeypatch.setattr(buildgraph, "_fc_list", lambda: updated)
    assert main(["build", "--study", study, "--out", str(small_build), "--plan"]) == 0
    plan = capsys.readouterr().out
    steps = [line for line in plan.splitlines() if line.strip().startswith(("rebuild",
                                                                             "current"))]
    assert steps and all(line.strip().startswith("rebuild") for line in steps)
    assert "env changed" in plan
