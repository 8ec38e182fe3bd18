"""Figure 14.2.1 — Kaplan-Meier curves by arm with a numbers-at-risk table.

The curves, hazard ratios and log-rank p-value are the results of the time-to-event table
(`table`, default the table with the figure's own id): the figure refits nothing, so it can
never disagree with its table. Its own results are the numbers at risk it prints.

study.toml:
    [figures."14.2.1"]
    population = "ITT"
    paramcd = "OS"
    table = "14.2.1"         # the table whose results the figure draws (default: same id)
    x_max = 640              # end of the time axis (default: last observed time)
    tick_every = 80          # numbers-at-risk times (default: about 8 ticks)
    time_unit = "days"
    y_label = "Probability of survival"
    annotate = true          # hazard ratios and log-rank p on the plot
    show_ci = false          # pointwise 95% confidence bands
"""

from __future__ import annotations

import math

from submission_kit.analysis.ard import AnalysisResults, stat
from submission_kit.analysis.survival import KMCurve
from submission_kit.analysis.time_to_event import numbers_at_risk
from submission_kit.data.contracts import DatasetNeed
from submission_kit.figures.km import KMPlot, KMSeries, render_km
from submission_kit.figures.model import FigureModel
from submission_kit.tables.cells import Shown
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    OutputSpec,
    Param,
    arm_groups,
    population_rule,
    table_analysis_id,
    title_lines,
)
from submission_kit.tables.tte import TTE_PARAMS, tte_needs, tte_population

TITLE = "Kaplan-Meier Plot of Time to Event"


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    return tte_needs(ctx, [])


def _table_analysis(ctx: OutputContext) -> str:
    return table_analysis_id(ctx.param("table") or ctx.id)


def _reads(ctx: OutputContext) -> tuple[str, ...]:
    return (_table_analysis(ctx),)


def _ticks(x_max: float, every: float | None) -> tuple[float, ...]:
    if every is None:
        raw = x_max / 8
        magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
        every = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw),
                    default=magnitude)
    return tuple(float(t) for t in range(0, int(x_max) + 1, max(int(every), 1)))


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    """The numbers at risk under the axis, at the figure's own tick times."""
    data = tte_population(frames, ctx, []).dropna(subset=["AVAL"])
    x_max = float(ctx.param("x_max") or data["AVAL"].max())
    ticks = _ticks(x_max, ctx.param("tick_every"))
    records = [stat(ctx.analysis_id, "x_max", x_max, "time", "End of the time axis")]
    for arm, _label, rows in arm_groups(data, ctx, total=False):
        at_risk = numbers_at_risk(rows["AVAL"].to_numpy(), ticks)
        records += [stat(ctx.analysis_id, f"at_risk.{arm}.t{t:g}", n, "n", f"At risk at {t:g}",
                         {"arm": arm}) for t, n in zip(ticks, at_risk, strict=True)]
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx),
        datasets=ctx.datasets_used(["adsl", ctx.param("dataset")]), stats=tuple(records),
        subjects=len(data), series={"ticks": ticks},
        methods=("Numbers at risk: subjects with time >= t",),
    )


def _curve(table: Shown, arm: str) -> KMCurve:
    def series(name: str) -> tuple[float, ...]:
        return table.series(f"km.{arm}.{name}")

    at_risk, events = series("at_risk"), series("events")
    return KMCurve(times=series("times"), survival=series("survival"), lower=series("lower"),
                   upper=series("upper"), at_risk=tuple(int(n) for n in at_risk),
                   events=tuple(int(n) for n in events),
                   censored_times=series("censored_times"),
                   n=int(at_risk[0]) if at_risk else 0, n_events=int(sum(events)))


def _annotation(table: Shown, ctx: OutputContext) -> tuple[str, ...]:
    """Each arm's hazard ratio against the reference, and the log-rank p: the table's."""
    if not ctx.param("annotate"):
        return ()
    lines = []
    labels = {a.key: a.label for a in ctx.arms}
    for arm in labels:
        base = f"cox.unadjusted.{arm}"
        if table.has(f"{base}.hr"):
            reference = next(a for a in labels if not table.has(f"cox.unadjusted.{a}.hr"))
            hr = table.est_ci(f"{base}.hr", f"{base}.lcl", f"{base}.ucl", 2).text
            lines.append(f"HR ({labels[arm]} vs {labels[reference]}) {hr}")
    lines.append(f"Log-rank p = {table.pvalue('logrank.unstratified.p').text}")
    return tuple(lines)


def _layout(shown: Shown, ctx: OutputContext) -> FigureModel:
    table = shown.other(_table_analysis(ctx), f"{ctx.config.where}")
    ticks = shown.series("ticks")
    series = []
    for arm in ctx.arms:
        n = table.big_n(arm.key)
        at_risk = tuple(int(shown.value(f"at_risk.{arm.key}.t{t:g}")) for t in ticks)  # type: ignore[arg-type]
        series.append(KMSeries(f"{arm.label} (N={n})", arm.label, _curve(table, arm.key),
                               at_risk))
    style = ctx.study.style
    plot = KMPlot(
        series=tuple(series), risk_times=ticks, x_label=f"Time ({ctx.param('time_unit')})",
        y_label=ctx.param("y_label"), x_max=float(shown.value("x_max")),  # type: ignore[arg-type]
        annotation=_annotation(table, ctx), font=style.font, font_pt=style.table_pt,
        show_ci=ctx.param("show_ci"), marking=ctx.study.identity.marking,
    )
    svg, png = render_km(plot)
    title = ctx.param("title") or TITLE
    return FigureModel(
        id=ctx.id, title=title_lines(ctx, "Figure", TITLE), svg=svg, png=png,
        width_in=plot.width_in, height_in=plot.height_in,
        footnotes=("+ = censored observation. HR from an unadjusted Cox model (Efron ties); "
                   "p-value from the unstratified log-rank test across all arms.",
                   *ctx.param("footnotes")),
        source=f"ADSL, {ctx.param('dataset').upper()} (PARAMCD = {ctx.param('paramcd')}); "
               f"program {SPEC.name}.py; estimates from Table {ctx.param('table') or ctx.id}",
        population=ctx.population.label,
        alt_text=_alt_text(title, plot),
    )


def _alt_text(title: str, plot: KMPlot) -> str:
    """For a reader who cannot see the image: the arms with their N and events, where the
    numbers at risk are, and the table's hazard ratios and p-value, as the plot prints them."""
    arms = "; ".join(f"{s.short_label}, N={s.curve.n}, {s.curve.n_events} events"
                     for s in plot.series)
    ticks = ", ".join(f"{t:g}" for t in plot.risk_times)
    stats = (" " + "; ".join(plot.annotation) + ".") if plot.annotation else ""
    return (f"{title}. Kaplan-Meier step curves of {plot.y_label.lower()} against "
            f"{plot.x_label.lower()}, one per arm ({arms}); censored observations marked "
            f"with +. Numbers at risk at {ticks} are printed under the axis.{stats}")


SPEC: OutputSpec[FigureModel] = OutputSpec(
    name="f_14_2_1_km_overall_survival",
    title=TITLE,
    params={
        **TTE_PARAMS,
        "table": Param(str, ""),
        "x_max": Param((int, float), None),
        "tick_every": Param((int, float), None),
        "y_label": Param(str, "Probability of survival"),
        "annotate": Param(bool, True),
        "show_ci": Param(bool, False),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
    reads=_reads,
)
