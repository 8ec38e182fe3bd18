"""The Kaplan-Meier numbers-at-risk table: each arm's label ends a clear gap before its count
at time 0 (centred on the y axis), for short and long labels and three-digit counts."""

from __future__ import annotations

import pytest

from submission_kit.analysis.survival import KMCurve
from submission_kit.figures import km
from submission_kit.figures.km import LABEL_GAP_IN, KMPlot, KMSeries, render_km

CURVE = KMCurve((0.0, 1.0, 2.0, 3.0), (1.0, 0.8, 0.6, 0.5), (1.0, 0.7, 0.5, 0.4),
                (1.0, 0.9, 0.7, 0.6), (110, 80, 60, 50), (0, 2, 2, 1), (1.5, 2.5), 110, 5)


@pytest.mark.parametrize("labels", [("Placebo", "IL-2LD"),
                                    ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")])
def test_risk_labels_end_a_gap_before_the_first_count(labels, monkeypatch):
    rows: dict[float, list[tuple[str, float, float]]] = {}
    dpi = []
    original = km.as_images

    def capture(fig, marking=""):  # measured as drawn, before the images are saved
        renderer = fig.canvas.get_renderer()
        dpi.append(fig.dpi)
        for text in fig.texts:
            box = text.get_window_extent(renderer)
            rows.setdefault(text.get_position()[1], []).append((text.get_text(), box.x0,
                                                                box.x1))
        return original(fig, marking)

    monkeypatch.setattr(km, "as_images", capture)
    series = tuple(KMSeries(f"{label} (N=110)", label, CURVE, (110 - i, 80, 50))
                   for i, label in enumerate(labels))
    render_km(KMPlot(series, (0.0, 1.5, 3.0), "Months", "Survival probability", 3.0))
    arm_rows = [r for r in rows.values() if any(text in labels for text, _, _ in r)]
    assert len(arm_rows) == len(labels)
    for row in arm_rows:
        label = next(item for item in row if item[0] in labels)
        first = min((item for item in row if item[0].isdigit()), key=lambda item: item[1])
        assert first[0] in ("110", "109", "108")  # the count at time 0
        gap = first[1] - label[2]
        assert gap >= 0.9 * LABEL_GAP_IN * dpi[0], (label[0], gap)
        assert label[1] >= 0  # inside the image
