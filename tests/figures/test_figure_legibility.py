"""No figure text prints below 8 pt once placed (the house style: legible at print size):
each writer shrinks a figure to fit its box, but never below the scale that keeps its
smallest text at 8 pt, and every placement in the demo and pilot documents keeps it."""

import pytest

from submission_kit.figures.model import LEGIBLE_PT, FigureModel
from submission_kit.writers.docx_ooxml import Geometry
from submission_kit.writers.docx_tlf import TWIPS_PER_INCH, figure_size
from submission_kit.writers.html_tlf import LINE_IN, _figure_size
from submission_kit.writers.print_css import content_box

EMU_PER_INCH = 914400


def _model(svg: bytes, width_in: float = 6.0, height_in: float = 4.0) -> FigureModel:
    return FigureModel(id="14.2.1", title=("Figure 14.2.1", "KM"), svg=svg, png=b"",
                       width_in=width_in, height_in=height_in)


# As matplotlib writes text with svg.fonttype = none (one user unit = one point).
SVG = (b'<svg width="432pt" viewBox="0 0 432 288"><text style="font-size: 10px; '
       b'font-family: \'Liberation Serif\'; text-anchor: middle" x="1" y="2">A</text>'
       b'<text style="font-size: 9px; font-family: \'Liberation Serif\'" x="3" y="4">B</text>'
       b'</svg>')


def test_smallest_text_is_read_from_the_svg():
    assert _model(SVG).min_text_pt == 9.0
    assert _model(b"<svg><path d='M0 0'/></svg>").min_text_pt == 0.0


def test_a_figure_shrinks_to_fit_but_not_below_legible_text():
    model = _model(SVG)  # 9 pt text: the floor is 8/9
    assert model.placed_scale(6.0, 4.0) == 1.0  # fits as drawn: never enlarged
    assert model.placed_scale(5.7, 4.0) == pytest.approx(0.95)  # shrunk to the width
    assert model.placed_scale(3.0, 4.0) == pytest.approx(8 / 9)  # legibility wins over fit
    assert _model(b"<svg/>").placed_scale(3.0, 4.0) == 0.5  # no text: fit only


def test_docx_and_pdf_sizes_follow_the_same_rule():
    model = _model(SVG, 8.0, 4.0)  # wider than a Letter page's 6.5 in of text
    geo = Geometry(12240, 15840, 1440, 1440, 1440, 1440)  # Letter, 1 in margins
    cx, _ = figure_size(model, geo.text_width("portrait"), geo.text_height("portrait"))
    assert cx / EMU_PER_INCH / 8.0 == pytest.approx(8 / 9, abs=1e-6)
    assert geo.text_width("portrait") / TWIPS_PER_INCH == 6.5


def _placements(computed):
    """(document, figure, writer, smallest text in pt as placed, fits its box)."""
    for rendered in computed.documents.values():
        doc = rendered.document
        geo = Geometry.from_page(doc.style.page)
        for model in doc.figures.values():
            box_w = geo.text_width(model.orientation) / TWIPS_PER_INCH
            box_h = 0.8 * geo.text_height(model.orientation) / TWIPS_PER_INCH
            cx, cy = figure_size(model, geo.text_width(model.orientation),
                                 geo.text_height(model.orientation))
            w, h = cx / EMU_PER_INCH, cy / EMU_PER_INCH
            yield (doc.id, model.id, "docx", model.min_text_pt * w / model.width_in,
                   w <= box_w + 1e-6 and h <= box_h + 1e-6)
            lines = 2 + len(model.footnotes) + bool(model.source)
            avail_w, avail_h = content_box(doc.style.page, model.orientation)
            w, h = _figure_size(model, doc.style.page, lines)
            yield (doc.id, model.id, "pdf", model.min_text_pt * w / model.width_in,
                   w <= avail_w + 1e-6 and h <= avail_h - LINE_IN * lines - 0.3 + 1e-6)


@pytest.mark.parametrize("study", ["demo", "pilot"])
def test_every_placed_figure_prints_its_text_at_8_pt_or_more(study, request):
    computed = request.getfixturevalue(f"{study}_computed")
    sizes = list(_placements(computed))
    assert sizes, "no figure placed in any document"
    small = [(doc, fig, writer, round(pt, 2)) for doc, fig, writer, pt, _ in sizes
             if pt < LEGIBLE_PT - 1e-9]
    assert small == []
    # ... and legibility never had to win over fit: every figure also fits its box
    assert [(doc, fig, writer) for doc, fig, writer, _, fits in sizes if not fits] == []
