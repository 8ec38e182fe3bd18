"""Figure 14.2.1 — Kaplan-Meier curves by arm with a numbers-at-risk table.

study.toml:
    [figures."14.2.1"]
    population = "ITT"
    paramcd = "OS"
    x_max = 640              # end of the time axis (default: last observed time)
    tick_every = 80          # numbers-at-risk times (default: about 8 ticks)
    time_unit = "days"
    y_label = "Probability of survival"
    annotate = true          # hazard ratio and log-rank p on the plot (two arms only)
"""

from __future__ import annotations

import math

import pandas as pd

from submission_kit import fmt
from submission_kit.analysis.ard import AnalysisResults, ArdBuilder
from submission_kit.analysis.survival import cox_regression, kaplan_meier, logrank
from submission_kit.data.contracts import DatasetNeed
from submission_kit.figures.km import KMPlot, KMSeries, numbers_at_risk, render_km
from submission_kit.figures.model import FigureModel
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    OutputSpec,
    arm_subsets,
    population_rule,
)
from submission_kit.tables.tte import tte_needs, tte_population

TITLE = "Kaplan-Meier Plot of Time to Event"


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    return tte_needs(ctx, [])


def _ticks(x_max: float, every: float | None) -> tuple[float, ...]:
    if every is None:
        raw = x_max / 8
        magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
        every = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw),
                    default=magnitude)
    return tuple(float(t) for t in range(0, int(x_max) + 1, max(int(every), 1)))


def _annotation(ard: ArdBuilder, data: pd.DataFrame, ctx: OutputContext) -> tuple[str, ...]:
    """HR and log-rank p for a two-arm comparison, formatted like the table."""
    if len(ctx.arms) != 2 or not ctx.param("annotate", bool, True):
        return ()
    reference, active = ctx.arms
    design = data.assign(ACTIVE=(data[ctx.treatment_var] == active.value).astype(float))
    term = cox_regression(design, "AVAL", "EVENT", ["ACTIVE"]).term("ACTIVE")
    test = logrank(data["AVAL"].to_numpy(), data["EVENT"].to_numpy(),
                   data[ctx.treatment_var].to_numpy())
    for key, value, stat in (("hr", term.hr, "hr"), ("lcl", term.lower, "hr"),
                             ("ucl", term.upper, "hr"), ("logrank_p", test.p, "p")):
        ard.add(f"comparison.{key}", value, stat, f"{active.label} vs {reference.label}")
    return (f"HR ({active.label} vs {reference.label}) "
            f"{fmt.fmt_estimate_ci(term.hr, term.lower, term.upper, 2, ctx.rounding)}",
            f"Log-rank p = {fmt.fmt_pvalue(test.p, 3, ctx.rounding)}")


def _main(frames: Frames, ctx: OutputContext) -> tuple[AnalysisResults, FigureModel]:
    data = tte_population(frames, ctx, [])
    x_max = float(ctx.param("x_max", (int, float), data["AVAL"].max()))
    ticks = _ticks(x_max, ctx.param("tick_every", (int, float), None))
    ard = ArdBuilder(ctx.analysis_id)
    series = []
    for arm, label, rows in arm_subsets(data, ctx, total=False):
        time = rows["AVAL"].to_numpy()
        curve = kaplan_meier(time, rows["EVENT"].to_numpy())
        at_risk = numbers_at_risk(ticks, time)
        for t, n in zip(ticks, at_risk, strict=True):
            ard.add(f"at_risk.{arm}.t{t:g}", n, "n", f"At risk at {t:g}", {"arm": arm})
        series.append(KMSeries(f"{label} (N={len(rows)})", label, curve, at_risk))
    unit = ctx.param("time_unit", str, "days")
    style = ctx.study.style
    plot = KMPlot(
        series=tuple(series), risk_times=ticks, x_label=f"Time ({unit})",
        y_label=ctx.param("y_label", str, "Probability of survival"), x_max=x_max,
        annotation=_annotation(ard, data, ctx), font=style.font, font_pt=style.table_pt,
        show_ci=ctx.param("show_ci", bool, False),
    )
    svg, png = render_km(plot)
    title = ctx.param("title", str, TITLE)
    results = AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=title, population=population_rule(ctx),
        datasets=ctx.datasets_used(["adsl", ctx.param("dataset", str, "adtte")]),
        stats=tuple(ard.stats), subjects=len(data),
        methods=("Kaplan-Meier product-limit estimates; + marks censored subjects",),
    )
    model = FigureModel(
        id=ctx.id, title=(f"Figure {ctx.id}", title, ctx.population.label), svg=svg, png=png,
        width_in=plot.width_in, height_in=plot.height_in,
        footnotes=("+ = censored observation. HR from an unadjusted Cox model (Efron ties); "
                   "p-value from the unstratified log-rank test.",
                   *ctx.param("footnotes", (list, tuple), ())),
        source=f"ADSL, {ctx.param('dataset', str, 'adtte').upper()} "
               f"(PARAMCD = {ctx.param('paramcd', str)}); program {SPEC.name}.py",
        population=ctx.population.label,
        alt_text=f"{title}: Kaplan-Meier curves by treatment arm with numbers at risk.",
    )
    return results, model


SPEC: OutputSpec[FigureModel] = OutputSpec(
    name="f_14_2_1_km_overall_survival",
    title=TITLE,
    needs=_needs,
    main=_main,
)
