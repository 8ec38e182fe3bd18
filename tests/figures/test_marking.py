"""A synthetic study's figure images carry the marking themselves (drawn in the image and in
its metadata), so a curve modelled on a real trial cannot circulate unmarked; a real study's
images carry none."""

from __future__ import annotations

import io
from dataclasses import replace

from PIL import Image

from submission_kit.build import compute
from submission_kit.cli import DEMO_STUDY
from submission_kit.study import SYNTHETIC_MARK, load_study


def test_synthetic_figures_are_marked_in_the_image_and_metadata():
    study = load_study(DEMO_STUDY)
    figure = compute(study).figures["14.2.1"]
    assert Image.open(io.BytesIO(figure.png)).text["Description"] == SYNTHETIC_MARK
    svg = figure.svg.decode()
    assert f"<dc:description>{SYNTHETIC_MARK}</dc:description>" in svg
    assert svg.count(SYNTHETIC_MARK) == 2  # the drawn text and the metadata


def test_real_study_figures_carry_no_marking():
    study = load_study(DEMO_STUDY)
    real = replace(study, identity=replace(study.identity, synthetic=False))
    figure = compute(real).figures["14.2.1"]
    assert "Description" not in Image.open(io.BytesIO(figure.png)).text
    assert SYNTHETIC_MARK not in figure.svg.decode()
