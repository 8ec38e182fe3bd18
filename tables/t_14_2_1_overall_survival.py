"""Table 14.2.1 — Primary time-to-event endpoint: events, Kaplan-Meier estimates, log-rank
tests (unadjusted and stratified) and Cox hazard ratios (unadjusted and adjusted).

study.toml:
    [tables."14.2.1"]
    population = "ITT"
    paramcd = "OS"                      # ADTTE parameter
    timepoint = 640                     # KM estimate shown at this time (optional)
    timepoint_label = "Day 640"
    event_label = "Deaths"
    median_label = "Median survival"    # row label of the KM median (default: time to event)
    strata = ["COUNTRY", "ONSET"]       # ADSL variables of the stratified log-rank (optional)
    covariates = ["COUNTRY", "ONSET", "AGE"]   # adjusted Cox model (optional)
    strata_label = "country and site of onset"          # how the rows name them (optional;
    covariates_label = "country, site of onset and age" # default: the variable names)
    reference = "PBO"                   # arm key of the comparator (default: first arm)
"""

from __future__ import annotations

from submission_kit.analysis.ard import AnalysisResults, ArdBuilder
from submission_kit.data.contracts import DatasetNeed
from submission_kit.tables.model import TableModel
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    OutputSpec,
    arm_subsets,
    population_rule,
)
from submission_kit.tables.summary import arm_columns, record_big_n
from submission_kit.tables.survival_rows import (
    SurvivalLayout,
    count_rows,
    cox_rows,
    km_rows,
    logrank_row,
)
from submission_kit.tables.tte import tte_needs, tte_population

TITLE = "Primary Endpoint: Time to Event"


def _list(ctx: OutputContext, key: str) -> list[str]:
    return [str(v) for v in ctx.param(key, (list, tuple), ())]


def _adsl_vars(ctx: OutputContext) -> list[str]:
    return list(dict.fromkeys(_list(ctx, "strata") + _list(ctx, "covariates")))


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    return tte_needs(ctx, _adsl_vars(ctx))


def _layout(ctx: OutputContext) -> SurvivalLayout:
    reference = ctx.param("reference", str, ctx.arms[0].key)
    if reference not in [a.key for a in ctx.arms]:
        raise ctx.error("reference", f"{reference!r} is not an arm key "
                                     f"({', '.join(a.key for a in ctx.arms)})")
    timepoint = ctx.param("timepoint", (int, float), None)
    unit = ctx.param("time_unit", str, "days")
    return SurvivalLayout(
        reference=reference,
        event_label=ctx.param("event_label", str, "Events"),
        median_label=ctx.param("median_label", str, "Median time to event"),
        time_unit=unit,
        timepoint=timepoint,
        timepoint_label=ctx.param("timepoint_label", str, f"{timepoint:g} {unit}"
                                  if timepoint is not None else ""),
        mode=ctx.rounding,
    )


def _main(frames: Frames, ctx: OutputContext) -> tuple[AnalysisResults, TableModel]:
    data = tte_population(frames, ctx, _adsl_vars(ctx))
    subsets = arm_subsets(data, ctx, total=False)
    lay = _layout(ctx)
    ard = ArdBuilder(ctx.analysis_id)
    record_big_n(ard, subsets)
    treat = ctx.treatment_var
    arm_values = {a.key: a.value for a in ctx.arms}
    rows = count_rows(ard, subsets, lay) + km_rows(ard, subsets, lay)
    rows.append(logrank_row(ard, data, subsets, treat, (), "Log-rank test, p-value",
                            "unstratified", lay.mode))
    strata = _list(ctx, "strata")
    if strata:
        named = ctx.param("strata_label", str, ", ".join(strata))
        rows.append(logrank_row(ard, data, subsets, treat, strata,
                                f"Log-rank test stratified by {named}, p-value",
                                "stratified", lay.mode))
    reference_label = next(a.label for a in ctx.arms if a.key == lay.reference)
    rows += cox_rows(ard, data, subsets, treat, arm_values, (),
                     f"Cox model, unadjusted (vs {reference_label})", "unadjusted", lay)
    covariates = _list(ctx, "covariates")
    if covariates:
        named = ctx.param("covariates_label", str, ", ".join(covariates))
        rows += cox_rows(ard, data, subsets, treat, arm_values, covariates,
                         f"Cox model adjusted for {named} (vs {reference_label})", "adjusted",
                         lay)
    return _results(ctx, ard, len(data)), _model(ctx, subsets, rows, lay)


def _results(ctx: OutputContext, ard: ArdBuilder, subjects: int) -> AnalysisResults:
    dataset = ctx.param("dataset", str, "adtte")
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title", str, TITLE),
        population=population_rule(ctx), datasets=ctx.datasets_used(["adsl", dataset]),
        stats=tuple(ard.stats), subjects=subjects,
        methods=("Kaplan-Meier with Greenwood variance; log(-log) 95% CIs",
                 "Log-rank test (stratified: O-E and variance summed over strata)",
                 "Cox proportional hazards, Efron ties, Wald 95% CI and p-value"),
    )


def _model(ctx: OutputContext, subsets: list, rows: list, lay: SurvivalLayout) -> TableModel:
    dataset = ctx.param("dataset", str, "adtte").upper()
    return TableModel(
        id=ctx.id,
        title=(f"Table {ctx.id}", ctx.param("title", str, TITLE), ctx.population.label),
        columns=arm_columns(subsets),
        rows=tuple(rows),
        footnotes=(
            "Kaplan-Meier estimates with 95% CIs from Greenwood's variance on the log(-log) "
            "scale. NE = not estimable.",
            "Hazard ratios < 1 favour the treatment arm; Cox proportional hazards model "
            "(Efron ties) with Wald 95% CI.",
            *ctx.param("footnotes", (list, tuple), ()),
        ),
        source=f"ADSL, {dataset} (PARAMCD = {ctx.param('paramcd', str)}); "
               f"program {SPEC.name}.py",
        stub_header="",
        population=ctx.population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_2_1_overall_survival",
    title=TITLE,
    needs=_needs,
    main=_main,
)
