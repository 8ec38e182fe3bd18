"""Figure 14.2.1 — Kaplan-Meier curves by arm with a numbers-at-risk table.

The curves, hazard ratios and log-rank p-value are the results of the time-to-event table
(`table`, default the table with the figure's own id): the figure refits nothing, so it can
never disagree with its table. Its own results are the numbers at risk it prints.

study.toml:
    [figures."14.2.1"]
    population = "ITT"
    paramcd = "OS"
    table = "14.2.1"         # the table whose results the figure draws (default: same id)
    time_unit = "days"       # the unit of AVAL, as in the table (days, weeks, months, years)
    axis_unit = "months"     # the time axis' unit (default: time_unit, drawn as it is)
    x_max = 22               # end of the time axis, in axis_unit (default: last observed time)
    tick_every = 3           # numbers-at-risk times, in axis_unit (default: about 8 ticks)
    y_label = "Probability of survival"
    annotate = true          # hazard ratios and log-rank p on the plot
    show_ci = false          # pointwise 95% confidence bands (the table's log(-log) limits)

The analysis stays in the dataset's unit: the curves are the table's, in AVAL's unit, and only
the drawing divides the times by the length of one axis unit (a month is a twelfth of a
365.25-day year, 30.4375 days; a week 7 days; a year 365.25 days), and the footnote says so.
The numbers at risk are counted at each tick converted back to AVAL's unit (3 months = 91.3125
days, exactly representable), as subjects with a time >= the tick (R survival and SAS LIFETEST:
a subject whose time equals the tick is still at risk there).
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


# Length of one unit in days: a month is a twelfth of a Julian year.
DAYS_PER_UNIT = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}
MAX_TICKS = 25  # more numbers than fit legibly under a 6.5-inch axis


def _unit(ctx: OutputContext, key: str) -> str:
    """'days', 'Months', 'week' -> 'day', 'month', 'week'; an unknown unit names its key."""
    name = ctx.param(key).strip().lower()
    singular = name[:-1] if name.endswith("s") else name
    if singular not in DAYS_PER_UNIT:
        raise ctx.error(key, f"{ctx.param(key)!r} is not a time unit the axis can convert "
                             f"(use {', '.join(u + 's' for u in DAYS_PER_UNIT)})")
    return singular


def axis_unit(ctx: OutputContext) -> str:
    """The axis' unit as configured ("months"), or AVAL's unit when none is set."""
    return ctx.param("axis_unit") or ctx.param("time_unit")


def time_scale(ctx: OutputContext) -> float:
    """How many of AVAL's units one axis unit is (30.4375 for days -> months); 1 when the axis
    is drawn in AVAL's own unit, whatever that unit is called."""
    if not ctx.param("axis_unit") or ctx.param("axis_unit") == ctx.param("time_unit"):
        return 1.0
    return DAYS_PER_UNIT[_unit(ctx, "axis_unit")] / DAYS_PER_UNIT[_unit(ctx, "time_unit")]


def _check_axis(ctx: OutputContext) -> None:
    """x_max and tick_every, known before any data: positive, and not more ticks than fit."""
    x_max, every = ctx.param("x_max"), ctx.param("tick_every")
    for key, value in (("x_max", x_max), ("tick_every", every)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ctx.error(key, f"{value!r}: must be a positive number of {axis_unit(ctx)}")
    if x_max is not None and every is not None:
        if every > x_max:
            raise ctx.error("tick_every", f"{every:g} is beyond x_max = {x_max:g}: the axis "
                                          "would have no tick after 0")
        if len(_ticks(x_max, every)) > MAX_TICKS:
            raise ctx.error("tick_every", f"{every:g} gives {len(_ticks(x_max, every))} ticks "
                                          f"up to x_max = {x_max:g}; at most {MAX_TICKS} fit "
                                          "under the axis")


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    time_scale(ctx)  # an unknown unit is a configuration error, reported before any data
    _check_axis(ctx)
    return tte_needs(ctx, [])


def _table_analysis(ctx: OutputContext) -> str:
    return table_analysis_id(ctx.param("table") or ctx.id)


def _reads(ctx: OutputContext) -> tuple[str, ...]:
    return (_table_analysis(ctx),)


def _ticks(x_max: float, every: float | None) -> tuple[float, ...]:
    """0, every, 2 every, ... up to x_max (in axis units); about 8 round steps by default."""
    if every is None:
        raw = x_max / 8
        magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
        every = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw),
                    default=magnitude)
    count = math.floor(x_max / every + 1e-9)  # x_max itself is a tick when it is a multiple
    return tuple(float(every * i) for i in range(count + 1))


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    """The numbers at risk under the axis, at the figure's own tick times: ticks are in axis
    units, and counted at tick * scale in AVAL's unit."""
    data = tte_population(frames, ctx, []).dropna(subset=["AVAL"])
    scale, unit = time_scale(ctx), axis_unit(ctx)
    x_max = float(ctx.param("x_max") or data["AVAL"].max() / scale)
    ticks = _ticks(x_max, ctx.param("tick_every"))
    at_times = tuple(t * scale for t in ticks)
    records = [stat(ctx.analysis_id, "x_max", x_max, "time", f"End of the time axis, {unit}")]
    for arm, _label, rows in arm_groups(data, ctx, total=False):
        at_risk = numbers_at_risk(rows["AVAL"].to_numpy(), at_times)
        records += [stat(ctx.analysis_id, f"at_risk.{arm}.t{t:g}", n, "n",
                         f"At risk at {t:g} {unit}", {"arm": arm})
                    for t, n in zip(ticks, at_risk, strict=True)]
    converted = (f" (the tick in {unit} times {scale:g}, in {ctx.param('time_unit')})"
                 if scale != 1 else "")
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx),
        datasets=ctx.datasets_used(["adsl", ctx.param("dataset")]), stats=tuple(records),
        subjects=len(data), series={"ticks": ticks, "tick_times": at_times},
        methods=(f"Numbers at risk: subjects with time >= t{converted}",),
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
    p = table.pvalue("logrank.unstratified.p").text
    lines.append(f"Log-rank p {p}" if p[:1] in "<>" else f"Log-rank p = {p}")  # p <0.001
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
        series=tuple(series), risk_times=ticks, x_label=f"Time ({axis_unit(ctx)})",
        y_label=ctx.param("y_label"), x_max=float(shown.value("x_max")),  # type: ignore[arg-type]
        annotation=_annotation(table, ctx), font=style.font, font_pt=style.table_pt,
        show_ci=ctx.param("show_ci"), marking=ctx.study.identity.marking,
        time_scale=time_scale(ctx),
    )
    svg, png = render_km(plot)
    title = ctx.param("title") or TITLE
    return FigureModel(
        id=ctx.id, title=title_lines(ctx, "Figure", TITLE), svg=svg, png=png,
        width_in=plot.width_in, height_in=plot.height_in,
        footnotes=("+ = censored observation. HR from an unadjusted Cox model (Efron ties); "
                   "p-value from the unstratified log-rank test across all arms."
                   + _ci_note(ctx) + _unit_note(ctx), *ctx.param("footnotes")),
        source=f"ADSL, {ctx.param('dataset').upper()} (PARAMCD = {ctx.param('paramcd')}); "
               f"program {SPEC.name}.py; estimates from Table {ctx.param('table') or ctx.id}",
        population=ctx.population.label,
        alt_text=_alt_text(title, plot, axis_unit(ctx)),
    )


def _ci_note(ctx: OutputContext) -> str:
    return (" Shaded: pointwise 95% confidence bands (log(-log) transformation, Greenwood "
            "variance)." if ctx.param("show_ci") else "")


def _unit_note(ctx: OutputContext) -> str:
    """How the axis' times relate to the data's, when the drawing converts them."""
    scale = time_scale(ctx)
    if scale == 1:
        return ""
    data, one = ctx.param("time_unit"), _unit(ctx, "axis_unit")
    return (f" Time in {axis_unit(ctx)} = time in {data} / {scale:g} (1 {one} = {scale:g} "
            f"{data}); number at risk: subjects whose time to event or censoring is on or "
            "after the tick.")


def _alt_text(title: str, plot: KMPlot, unit: str) -> str:
    """For a reader who cannot see the image: the arms with their N and events, where the
    numbers at risk are, and the table's hazard ratios and p-value, as the plot prints them."""
    arms = "; ".join(f"{s.short_label}, N={s.curve.n}, {s.curve.n_events} events"
                     for s in plot.series)
    ticks = ", ".join(f"{t:g}" for t in plot.risk_times)
    stats = (" " + "; ".join(plot.annotation) + ".") if plot.annotation else ""
    return (f"{title}. Kaplan-Meier step curves of {plot.y_label.lower()} against "
            f"{plot.x_label.lower()}, one per arm ({arms}); censored observations marked "
            f"with +. Numbers at risk at {ticks} {unit} are printed under the "
            f"axis.{stats}")


SPEC: OutputSpec[FigureModel] = OutputSpec(
    name="f_14_2_1_km_overall_survival",
    title=TITLE,
    params={
        **TTE_PARAMS,
        "table": Param(str, ""),
        "axis_unit": Param(str, ""),
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
