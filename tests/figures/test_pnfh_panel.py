"""Figure 14.2.5, panel B: baseline CSF pNFH by stratum and arm as box plots, drawn from the
per-stratum summaries of Table 14.2.5 (`baseline_variables` item with `by = "PNFHGR1"`) and
nothing else (DESIGN.md §1, results first).

What is checked:
- the plotted box statistics (median, Q1, Q3, minimum, maximum, geometric-mean marker, n)
  are the table's results, read here by keys spelled out independently of the specs, and
  so are the rectangles, lines and markers matplotlib draws;
- those results equal an independent computation on the demo ADSL in this file: pandas
  grouping of the ITT subjects by PNFHGR1 and TRT01P, quartiles by SAS's default definition
  (PCTLDEF=5, Hyndman-Fan type 2: at an exact boundary the average of the two order
  statistics, else the next one) written out below, the median as pandas' median, the
  geometric mean as scipy.stats.gmean;
- bad configuration stops with a UserError naming the key.
"""

from __future__ import annotations

import math
from dataclasses import replace
from types import MappingProxyType

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from figure_studies import PILOT, clashes, computed, on_save, only, spec_module, visible_texts
from matplotlib.patches import Rectangle
from scipy import stats

from submission_kit.build import compute
from submission_kit.cli import DEMO_STUDY
from submission_kit.data.io import read_dataset
from submission_kit.errors import UserError
from submission_kit.figures import render
from submission_kit.study import Study, load_study
from submission_kit.tables.spec import load_spec

WANTED = {("table", "14.2.5"), ("figure", "14.2.5")}
LEVELS = ("Low/moderate (<=3700 pg/mL)", "High (>3700 pg/mL)")  # the demo's PNFHGR1, in order
ARMS = (("PBO", "Placebo"), ("IL2", "IL-2LD"))


FIGURE = spec_module("f_14_2_5_treg_trajectory")




@pytest.fixture(scope="module")
def demo():
    return computed(DEMO_STUDY, WANTED)


@pytest.fixture(scope="module")
def adsl():
    study = load_study(DEMO_STUDY)
    frame = read_dataset(study.dataset("adsl").path)
    return frame[frame["ITTFL"] == "Y"]


def _with(study: Study, kind: str, output_id: str, **params: object) -> Study:
    outputs = tuple(replace(o, params=MappingProxyType({**o.params, **params}))
                    if (o.kind, o.id) == (kind, output_id) else o for o in study.outputs)
    return replace(study, outputs=outputs)


def _ctx(study: Study, kind: str = "figure"):
    config = next(o for o in study.outputs if (o.kind, o.id) == (kind, "14.2.5"))
    return load_spec(config, study).context(config, study, {})


def _box_plot(study: Study, results):
    ctx = _ctx(study)
    return FIGURE.box_plot(ctx.shown(results.get(ctx.analysis_id), results), ctx)


def _key(level: str, arm: str, stat: str) -> str:
    """Table 14.2.5's key of a per-stratum statistic (its docstring's scheme)."""
    return f"PNFHBL.by.PNFHGR1.{level}.{arm}.{stat}"


def sas_quantile(values: pd.Series, p: float) -> float:
    """SAS PCTLDEF=5 (the PROC MEANS / UNIVARIATE default): n p = j + g; the (j+1)-th order
    statistic if g > 0, else the average of the j-th and (j+1)-th."""
    x = np.sort(values.dropna().to_numpy(float))
    j, g = divmod(len(x) * p, 1)
    j = int(j)
    return float(x[j]) if g > 0 else float((x[j - 1] + x[j]) / 2)


# ---- the results, checked independently on the raw ADSL -----------------------------------

def test_per_stratum_results_match_pandas_and_the_sas_quartiles(demo, adsl):
    _, built = demo
    table = built.results["t_14_2_5"]
    assert table.levels["PNFHGR1"] == LEVELS
    for level in LEVELS:
        for arm, label in ARMS:
            values = adsl.loc[(adsl["PNFHGR1"] == level) & (adsl["TRT01P"] == label),
                              "PNFHBL"].dropna()
            assert len(values) > 10
            assert table.get(_key(level, arm, "n")).value == len(values)
            assert table.get(_key(level, arm, "median")).value == pytest.approx(
                values.median(), rel=1e-12)
            assert table.get(_key(level, arm, "q1")).value == pytest.approx(
                sas_quantile(values, 0.25), rel=1e-12)
            assert table.get(_key(level, arm, "q3")).value == pytest.approx(
                sas_quantile(values, 0.75), rel=1e-12)
            assert table.get(_key(level, arm, "min")).value == values.min()
            assert table.get(_key(level, arm, "max")).value == values.max()
            assert table.get(_key(level, arm, "gmean")).value == pytest.approx(
                stats.gmean(values), rel=1e-12)
    # every ITT subject is in one stratum: the strata add up to the overall n
    for arm, _ in ARMS:
        assert sum(table.get(_key(v, arm, "n")).value for v in LEVELS) == table.get(
            f"PNFHBL.baseline.{arm}.n").value


def test_the_table_shows_each_stratum(demo):
    _, built = demo
    rows = [(r.label, r.cells) for r in built.tables["14.2.5"].rows]
    labels = [label for label, _ in rows]
    low = labels.index("CSF pNFH stratum: Low/moderate (≤3700 pg/mL)")
    high = labels.index("CSF pNFH stratum: High (>3700 pg/mL)")
    assert labels.index("CSF pNFH at baseline (pg/mL)") < low < high
    block = dict(rows[high + 1:])
    assert set(block) >= {"n", "Median", "Q1, Q3", "Min, Max", "Geometric mean (geometric CV%)"}
    table = built.results["t_14_2_5"]
    q1 = table.get(_key(LEVELS[1], "IL2", "q1")).value
    assert block["Q1, Q3"][1].startswith(f"{q1:.1f}, ")


# ---- the plot draws those results -------------------------------------------------------------

def test_box_statistics_are_the_table_results(demo):
    study, built = demo
    box = _box_plot(study, built.results)
    table = built.results["t_14_2_5"]
    assert box.categories == ("Low/moderate (≤3700 pg/mL)", "High (>3700 pg/mL)")
    assert box.uses_log() and box.y_label.endswith("(log scale)")
    for series, (arm, label) in zip(box.series, ARMS, strict=True):
        assert series.label == f"{label} (N={table.get(f'N.{arm}').value})"
        for level, drawn, n in zip(LEVELS, series.boxes, series.n, strict=True):
            assert drawn is not None
            assert (drawn.median, drawn.q1, drawn.q3, drawn.low, drawn.high, drawn.centre) == (
                table.get(_key(level, arm, "median")).value,
                table.get(_key(level, arm, "q1")).value,
                table.get(_key(level, arm, "q3")).value,
                table.get(_key(level, arm, "min")).value,
                table.get(_key(level, arm, "max")).value,
                table.get(_key(level, arm, "gmean")).value)
            assert n == str(table.get(_key(level, arm, "n")).value)


def test_drawn_boxes_whiskers_and_markers_are_the_results(demo, monkeypatch):
    study, built = demo
    box = _box_plot(study, built.results)
    seen = on_save(monkeypatch, (render,), lambda fig: fig)
    ctx = _ctx(study)
    model = FIGURE.SPEC.layout(ctx.shown(built.results.get(ctx.analysis_id), built.results),
                               ctx)
    assert len(seen) == 1
    fig = seen[0]
    try:
        ax = fig.axes[1]  # panel B, under the trajectory
        assert ax.get_yscale() == "log"
        lo, hi = ax.get_ylim()
        for arm, series in enumerate(box.series):
            xs = box.x(arm)
            rects = {p.get_gid(): p for p in ax.patches if isinstance(p, Rectangle)}
            medians = next(c for c in ax.collections if c.get_gid() == f"median-{arm}")
            whiskers = next(c for c in ax.collections if c.get_gid() == f"whiskers-{arm}")
            centre = next(line for line in ax.lines if line.get_gid() == f"centre-{arm}")
            for i, (x, b) in enumerate(zip(xs, series.boxes, strict=True)):
                rect = rects[f"box-{arm}-{i}"]
                assert rect.get_y() == b.q1 and rect.get_y() + rect.get_height() == \
                    pytest.approx(b.q3)
                assert rect.get_x() + rect.get_width() / 2 == pytest.approx(x)
                assert [tuple(p) for p in medians.get_segments()[i]] == [
                    (pytest.approx(x - rect.get_width() / 2), b.median),
                    (pytest.approx(x + rect.get_width() / 2), b.median)]
                assert [tuple(p) for p in whiskers.get_segments()[2 * i]] == [(x, b.q1),
                                                                             (x, b.low)]
                assert [tuple(p) for p in whiskers.get_segments()[2 * i + 1]] == [
                    (x, b.q3), (x, b.high)]
                assert centre.get_ydata()[i] == b.centre
                assert lo < b.low and b.high < hi  # nothing clipped
        assert [t.get_text() for t in ax.get_xticklabels()] == list(box.categories)
        assert all(t.get_text().isdigit() for t in ax.get_yticklabels())  # plain numbers
    finally:
        plt.close(fig)
    assert model.footnotes[1].startswith("Panel B: ADSL PNFHBL by PNFHGR1. Box: first to "
                                         "third quartile (SAS PCTLDEF=5)")
    assert "whiskers: minimum to maximum; marker: geometric mean; logarithmic axis" in \
        model.footnotes[1]


def test_alt_text_gives_each_box_as_the_table_prints_it(demo):
    _, built = demo
    figure = built.figures["14.2.5"]
    table = built.tables["14.2.5"]
    labels = [r.label for r in table.rows]
    high = labels.index("CSF pNFH stratum: High (>3700 pg/mL)")
    cells = {r.label: r.cells for r in table.rows[high + 1:high + 8]}
    median, (q1, q3) = cells["Median"][0], cells["Q1, Q3"][0].split(", ")
    low, high_ = cells["Min, Max"][0].split(", ")
    assert (f"High (>3700 pg/mL): Placebo median {median} (Q1 {q1}, Q3 {q3}; range {low} to "
            f"{high_})") in figure.alt_text
    assert "Panel A: line chart of mean Regulatory T cells" in figure.alt_text
    assert "Panel B: box plots of CSF pNFH at baseline (pg/mL) by CSF pNFH stratum" in \
        figure.alt_text


def test_mock_shell_draws_the_configured_strata_without_boxes(demo):
    study, _ = demo
    ctx = _ctx(study)
    box = FIGURE.box_plot(ctx.shown(None, {}), ctx)
    assert box.categories == ("Low/moderate (≤3700 pg/mL)", "High (>3700 pg/mL)")
    assert all(b is None for s in box.series for b in s.boxes)
    assert all(n == "xx" for s in box.series for n in s.n)
    model = FIGURE.SPEC.layout(ctx.shown(None, {}), ctx)
    assert model.svg and "Panel B" in model.footnotes[1]


def test_without_the_option_the_figure_is_the_trajectory_alone(demo):
    study, built = demo
    plain = _with(study, "figure", "14.2.5", baseline_panel="")
    ctx = _ctx(plain)
    assert FIGURE.box_plot(ctx.shown(built.results.get(ctx.analysis_id), built.results),
                           ctx) is None
    model = FIGURE.SPEC.layout(ctx.shown(built.results.get(ctx.analysis_id), built.results),
                               ctx)
    assert model.height_in == pytest.approx(4.6)
    assert not any(n.startswith("Panel") for n in model.footnotes)


def test_no_text_overlaps_another_or_leaves_the_figure(demo, monkeypatch):
    study, built = demo
    seen = on_save(monkeypatch, (render,), lambda fig: clashes(fig, visible_texts(fig)))
    ctx = _ctx(study)
    FIGURE.SPEC.layout(ctx.shown(built.results.get(ctx.analysis_id), built.results), ctx)
    assert seen == [[]]


def test_the_pilot_configures_no_panel_and_its_table_has_no_stratum():
    """The option is off unless configured: the CDISC pilot has no Table 14.2.5 or figure
    14.2.5 and keeps building (tests/tables/test_cdiscpilot.py builds it)."""
    pilot = load_study(PILOT)
    assert not any(o.id == "14.2.5" and o.params.get("baseline_panel") for o in pilot.outputs)


# ---- bad configuration names the key ---------------------------------------------------------

@pytest.mark.parametrize(("params", "key", "message"), [
    ({"baseline_panel": "ALSFRSBL"}, "baseline_panel", "'ALSFRSBL' is not a baseline variable"),
    ({"baseline_panel": "PNFHBL"}, "baseline_panel", "'PNFHBL' has no `by`"),
])
def test_figure_configuration_errors_name_the_key(demo, params, key, message):
    study, _ = demo
    if "no `by`" in message:
        item = {"var": "PNFHBL", "label": "CSF pNFH", "log_normal": True}
        study = _with(study, "table", "14.2.5", baseline_variables=[item])
    study = _with(study, "figure", "14.2.5", **params)
    with pytest.raises(UserError, match=message) as error:
        FIGURE.SPEC.needs(_ctx(study))
    assert f'[figures."14.2.5"] {key}: ' in str(error.value)


ITEM = {"var": "PNFHBL", "label": "CSF pNFH at baseline (pg/mL)", "log_normal": True}


@pytest.mark.parametrize(("item", "key", "message"), [
    ({**ITEM, "levels": ["High"]}, "baseline_variables[0].levels", "needs `by`"),
    ({**ITEM, "by": ""}, "baseline_variables[0].by", "expected the name of a character"),
    ({**ITEM, "by": "PNFHBL"}, "baseline_variables[0].by", "the summarised variable itself"),
    ({**ITEM, "by": "TRT01P"}, "baseline_variables[0].by", "treatment or population"),
    ({**ITEM, "by": "PNFHGR1", "levels": "High"}, "baseline_variables[0].levels",
     "expected a list"),
])
def test_table_configuration_errors_name_the_key(item, key, message):
    study = _with(only(load_study(DEMO_STUDY), WANTED), "table", "14.2.5",
                  baseline_variables=[item])
    ctx = _ctx(study, "table")
    with pytest.raises(UserError, match=message) as error:
        load_spec(ctx.config, study).needs(ctx)
    assert f'[tables."14.2.5"] {key}: ' in str(error.value)


@pytest.mark.parametrize(("by", "message"), [
    ("PNFHGR1N", "ADSL PNFHGR1N is numeric: a stratum variable must be character"),
    ("SITEID", "ADSL SITEID has 17 levels \\(at most 10\\)"),
])
def test_a_stratum_variable_that_is_not_categorical_is_refused(by, message):
    study = _with(only(load_study(DEMO_STUDY), WANTED), "table", "14.2.5",
                  baseline_variables=[{**ITEM, "by": by}])
    study = replace(study, outputs=tuple(o for o in study.outputs if o.kind == "table"))
    with pytest.raises(UserError, match=message) as error:
        compute(study)
    assert '[tables."14.2.5"] baseline_variables[0].by: ' in str(error.value)


def test_an_unknown_stratum_variable_is_named_with_its_output():
    """A `by` variable ADSL lacks is found by the data contract, before any analysis: the
    message names the dataset file, the variable and the table that needs it."""
    study = _with(only(load_study(DEMO_STUDY), WANTED), "table", "14.2.5",
                  baseline_variables=[{**ITEM, "by": "PNFHSTRAT"}])
    with pytest.raises(UserError, match="adsl") as error:
        compute(study)
    assert "variable PNFHSTRAT is missing (needed by table 14.2.5)" in str(error.value)


def test_quantile_helper_is_sas_definition_5():
    """The test's own quartiles: n = 4, p = 0.25 -> n p = 1 exactly -> (x1 + x2) / 2; n = 5 ->
    1.25 -> x2 (SAS documentation, PCTLDEF=5)."""
    assert sas_quantile(pd.Series([1.0, 2.0, 3.0, 4.0]), 0.25) == 1.5
    assert sas_quantile(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0]), 0.25) == 2.0
    assert math.isclose(sas_quantile(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0]), 0.75), 4.0)
