"""Figure text the fonts cannot draw stops the build naming the character (as for the PDF's
own text); CJK and Greek labels are drawn with the fallback fonts, not as empty boxes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from submission_kit.errors import UserError
from submission_kit.figures.render import as_images, figure_style


def _render(label: str) -> bytes:
    with figure_style("Liberation Serif", 9):
        fig = plt.figure(figsize=(2, 1))
        fig.text(0.1, 0.5, label)
        try:
            svg, _png = as_images(fig)
        finally:
            plt.close(fig)
    return svg


def test_cjk_and_greek_labels_are_drawn():
    label = "安慰剂 \u03b1-blocker"  # CJK and Greek
    assert label in _render(label).decode()


def test_a_character_in_no_font_is_named():
    with pytest.raises(UserError, match=r"U\+F0000"):
        _render("Arm \U000F0000")
