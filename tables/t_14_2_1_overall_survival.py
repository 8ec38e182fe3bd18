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
    rmst_horizon = 640                  # restricted mean survival time to this time, as a
                                        # sensitivity analysis (optional)
    rmst_horizon_label = "Day 640"      # how the rows name it (default: "640 days")

The log-rank tests compare all arms at once (one p-value, in its own column); hazard ratios
compare each arm with the reference, in that arm's column. The Kaplan-Meier figure reads
these results (its hazard ratio and curves are this table's). The same spec serves any
time-to-event endpoint: `spec = "t_14_2_1_overall_survival"` under another output id (14.2.4)
with its own paramcd, title and labels.
"""

from __future__ import annotations

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.rmst import METHOD as RMST_METHOD
from submission_kit.analysis.rmst import rmst_records
from submission_kit.analysis.time_to_event import METHODS, tte_records
from submission_kit.data.contracts import DatasetNeed
from submission_kit.tables.cells import Shown
from submission_kit.tables.model import Column, TableModel
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    OutputSpec,
    Param,
    arm_column_keys,
    arm_groups,
    population_rule,
    title_lines,
)
from submission_kit.tables.summary import arm_columns
from submission_kit.tables.survival_rows import (
    P_COLUMN,
    SurvivalLayout,
    count_rows,
    cox_rows,
    km_rows,
    logrank_row,
    rmst_rows,
)
from submission_kit.tables.tte import TTE_PARAMS, tte_design, tte_needs, tte_population

TITLE = "Primary Endpoint: Time to Event"
STRINGS = (list, tuple)


def _list(ctx: OutputContext, key: str) -> list[str]:
    return [str(v) for v in ctx.param(key)]


def _adsl_vars(ctx: OutputContext) -> list[str]:
    return list(dict.fromkeys(_list(ctx, "strata") + _list(ctx, "covariates")))


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    return tte_needs(ctx, _adsl_vars(ctx))


def _reference(ctx: OutputContext) -> str:
    return ctx.param("reference") or ctx.arms[0].key


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    data = tte_population(frames, ctx, _adsl_vars(ctx))
    design = tte_design(ctx, _reference(ctx), ctx.param("timepoint"), _list(ctx, "strata"),
                        _list(ctx, "covariates"))
    groups = arm_groups(data, ctx, total=False)
    found = tte_records(ctx.analysis_id, data, groups, design)
    stats, notes = found.stats, found.notes
    methods: tuple[str, ...] = METHODS
    horizon = _rmst_horizon(ctx)
    if horizon is not None:  # only when configured: other outputs stay as they were
        more: list[str] = []
        stats += tuple(rmst_records(ctx.analysis_id, groups, design.reference, horizon, more))
        notes, methods = (*notes, *more), (*methods, RMST_METHOD)
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx),
        datasets=ctx.datasets_used(["adsl", ctx.param("dataset")]),
        stats=stats, subjects=len(data), series=found.series, notes=notes,
        methods=methods,
    )


def _rmst_horizon(ctx: OutputContext) -> float | None:
    horizon = ctx.param("rmst_horizon")
    if horizon is not None and not horizon > 0:
        raise ctx.error("rmst_horizon", f"expected a positive time, got {horizon!r}")
    return None if horizon is None else float(horizon)


def _rmst_label(ctx: OutputContext, horizon: float) -> str:
    return ctx.param("rmst_horizon_label") or f"{horizon:g} {ctx.param('time_unit')}"


def _layout(ctx: OutputContext) -> SurvivalLayout:
    reference = _reference(ctx)
    timepoint = ctx.param("timepoint")
    unit = ctx.param("time_unit")
    return SurvivalLayout(
        arms=tuple(a.key for a in ctx.arms),
        reference=reference,
        reference_label=next((a.label for a in ctx.arms if a.key == reference), reference),
        event_label=ctx.param("event_label"),
        median_label=ctx.param("median_label"),
        time_unit=unit,
        timepoint_label=ctx.param("timepoint_label") or (
            f"{timepoint:g} {unit}" if timepoint is not None else ""),
    )


def _table(shown: Shown, ctx: OutputContext) -> TableModel:
    lay = _layout(ctx)
    rows = count_rows(shown, lay) + km_rows(shown, lay)
    rows.append(logrank_row(shown, lay, "unstratified", "Log-rank test, p-value"))
    if ctx.param("strata"):
        named = ctx.param("strata_label") or ", ".join(_list(ctx, "strata"))
        rows.append(logrank_row(shown, lay, "stratified",
                                f"Log-rank test stratified by {named}, p-value"))
    rows += cox_rows(shown, lay, "unadjusted", "Cox model, unadjusted")
    if ctx.param("covariates"):
        named = ctx.param("covariates_label") or ", ".join(_list(ctx, "covariates"))
        rows += cox_rows(shown, lay, "adjusted", f"Cox model adjusted for {named}")
    horizon = _rmst_horizon(ctx)
    rmst_notes: tuple[str, ...] = ()
    if horizon is not None:
        rows += rmst_rows(shown, lay, _rmst_label(ctx, horizon))
        rmst_notes = (
            "RMST = restricted mean survival time: area under the Kaplan-Meier curve up to "
            f"{_rmst_label(ctx, horizon)}; standard errors from the Greenwood plug-in variance "
            f"(as R survRM2); difference = arm - {lay.reference_label}, with normal-"
            "approximation 95% CI and p-value.",)
    dataset = ctx.param("dataset").upper()
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", TITLE),
        columns=(*arm_columns(shown, arm_column_keys(ctx, total=False)), Column(*P_COLUMN)),
        rows=tuple(rows),
        footnotes=(
            "Kaplan-Meier estimates with 95% CIs from Greenwood's variance on the log(-log) "
            "scale; median CIs by the Brookmeyer-Crowley method on the same scale. "
            "NE = not estimable.",
            "Log-rank p-values compare all arms. Hazard ratios < 1 favour the arm over the "
            "reference; Cox proportional hazards model (Efron ties) with Wald 95% CI.",
            *rmst_notes,
            *shown.notes(),
            *ctx.param("footnotes"),
        ),
        source=f"ADSL, {dataset} (PARAMCD = {ctx.param('paramcd')}); program {SPEC.name}.py",
        population=ctx.population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_2_1_overall_survival",
    title=TITLE,
    params={
        **TTE_PARAMS,
        "timepoint": Param((int, float), None),
        "timepoint_label": Param(str, ""),
        "event_label": Param(str, "Events"),
        "median_label": Param(str, "Median time to event"),
        "strata": Param(STRINGS, ()),
        "covariates": Param(STRINGS, ()),
        "strata_label": Param(str, ""),
        "covariates_label": Param(str, ""),
        "reference": Param(str, ""),
        "rmst_horizon": Param((int, float), None),
        "rmst_horizon_label": Param(str, ""),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_table,
)
