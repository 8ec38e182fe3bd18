"""Figure 14.2.3 — Mean change from baseline (± SE) by visit and arm, for the repeated
continuous endpoint of Table 14.2.3 (ALSFRS-R total score in the demo, ADAS-Cog in the CDISC
pilot).

Every number drawn is a result of the change-from-baseline table (`table`, default the table
with the figure's own id), read by key: by default its by-visit summaries (mean change and
its SE, `chg.<visit>.<arm>.mean/.se`, the table's "Change from baseline" rows), or with
`estimate = "lsmean"` the MMRM least-squares means and their model-based SEs
(`mmrm.lsmean.<visit>.<arm>.est/.se`). The numbers of subjects under the axis are the table's
n of change at each visit. Nothing is re-estimated, so the figure cannot disagree with its
table; the footnote says which estimate is plotted.

study.toml:
    [figures."14.2.3"]
    population = "ITT"          # must be the table's population
    table = "14.2.3"            # the table whose results the figure draws (default: same id)
    estimate = "mean"           # or "lsmean": MMRM LS means at the table's model visits
    y_label = ""                # default: "Change from baseline in <endpoint_label> (...)"
    x_label = "Visit"
    counts = true               # subjects per visit and arm under the axis
"""

from __future__ import annotations

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.longitudinal import visit_key
from submission_kit.data.contracts import DatasetNeed
from submission_kit.figures.model import FigureModel
from submission_kit.figures.trajectory import (
    Keys,
    Trajectory,
    alt_text,
    read_series,
    render_trajectory,
    values_at,
)
from submission_kit.tables.cells import Shown
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    OutputSpec,
    Param,
    population_rule,
    table_analysis_id,
    table_context,
    title_lines,
)
from submission_kit.tables.typography import typeset
from submission_kit.writers.print_css import content_box

TITLE = "Mean Change from Baseline (± SE) by Visit and Arm"
ESTIMATES = ("mean", "lsmean")


# ---- configuration: the table's, checked before any data are read ----------------------------

def _table_id(ctx: OutputContext) -> str:
    return ctx.param("table") or ctx.id


def _lsmean(ctx: OutputContext) -> bool:
    return bool(ctx.param("estimate") == "lsmean")


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    """No data of its own; the configuration is checked here, before any data are read."""
    table = table_context(ctx, _table_id(ctx))
    if ctx.param("estimate") not in ESTIMATES:
        raise ctx.error("estimate", f"{ctx.param('estimate')!r}: use {' or '.join(ESTIMATES)}")
    if "visits" not in table.params or "mmrm" not in table.params:
        raise ctx.error("table", f"{_table_id(ctx)!r} is not a change-from-baseline table "
                                 "(t_14_2_3: by-visit summaries and an MMRM)")
    if "baseline" in table.params and not table.param("baseline"):
        raise ctx.error("table", f"{table.config.where} sets baseline = false: it has no "
                                 "change from baseline to plot")
    if _lsmean(ctx) and not table.param("mmrm"):
        raise ctx.error("estimate", f"'lsmean' needs the MMRM of {table.config.where}, "
                                    "which sets mmrm = false")
    return []


def _reads(ctx: OutputContext) -> tuple[str, ...]:
    return (table_analysis_id(_table_id(ctx)),)


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    """Nothing to estimate: the figure's record says where its numbers come from."""
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx), datasets=(), stats=(),
        methods=(f"Every number drawn is a result of Table {_table_id(ctx)} "
                 f"({table_analysis_id(_table_id(ctx))}); nothing is re-estimated",),
    )


# ---- layout ----------------------------------------------------------------------------------

def _visits(table: Shown, table_ctx: OutputContext, lsmean: bool) -> tuple[str, ...]:
    """The table's visits in their scheduled order (the MMRM's for LS means)."""
    visits = tuple(str(v) for v in table_ctx.param("visits"))
    if lsmean:
        model = tuple(str(v) for v in table_ctx.param("model_visits")) or visits
        return table.levels("model_visit", model)
    return table.levels("visit", visits)


def _keys(lsmean: bool) -> Keys:
    def key(arm: str, visit: str, part: str) -> str:
        v = visit_key(visit)
        if part == "n":  # subjects with a change at the visit: the table's summary n
            return f"chg.{v}.{arm}.n"
        if lsmean:
            return f"mmrm.lsmean.{v}.{arm}.{part}"
        return f"chg.{v}.{arm}.{'mean' if part == 'est' else part}"
    return key


def _endpoint(table_ctx: OutputContext) -> str:
    return typeset(table_ctx.param("endpoint_label") or table_ctx.param("paramcd"))


def plot(shown: Shown, ctx: OutputContext) -> Trajectory:
    """The plot's description, every number from the table's results (tests read it)."""
    table_ctx = table_context(ctx, _table_id(ctx))
    table = shown.other(table_analysis_id(_table_id(ctx)), ctx.config.where)
    lsmean = _lsmean(ctx)
    visits = _visits(table, table_ctx, lsmean)
    key = _keys(lsmean)
    statistic = "LS mean ± SE" if lsmean else "mean ± SE"
    style = ctx.study.style
    return Trajectory(
        visits=visits,
        series=tuple(read_series(table, a.key, f"{typeset(a.label)} (N={table.big_n(a.key)})",
                                 typeset(a.label), visits, key, ctx.param("counts"))
                     for a in ctx.arms),
        y_label=ctx.param("y_label") or
        f"Change from baseline in {_endpoint(table_ctx)}\n({statistic})",
        x_label=ctx.param("x_label"), n_label="Subjects with a change from baseline (n)",
        reference=0.0, width_in=content_box(style.page, "portrait")[0], font=style.font,
        font_pt=style.table_pt, marking=ctx.study.identity.marking,
    )


def _what(table_ctx: OutputContext, lsmean: bool) -> str:
    which = "least-squares (LS) mean" if lsmean else "mean"
    return f"{which} change from baseline in {_endpoint(table_ctx)}"


def _footnotes(ctx: OutputContext, table: Shown, table_ctx: OutputContext,
               trajectory: Trajectory) -> tuple[str, ...]:
    tid = _table_id(ctx)
    if _lsmean(ctx):
        plotted = (f"Plotted: LS mean change from baseline at each visit with ± 1 model-based "
                   f"standard error (SE), from the MMRM of Table {tid} (observed values only; "
                   "the model and covariance structure are given there).")
        notes = tuple(n for n in table.notes() if n.startswith("MMRM"))
    else:
        imputed = table_ctx.param("imputed_var")
        records = (" (including records imputed as the dataset defines them: "
                   f"{table_ctx.param('imputation_label') or table_ctx.param('imputed_var')})"
                   if imputed else " (observed values)")
        plotted = (f"Plotted: arithmetic mean change from baseline at each visit with ± 1 "
                   f"standard error (SE = SD/sqrt(n)), the by-visit summaries of Table {tid}"
                   f"{records}; not a model-based estimate.")
        notes = ()
    counts = (f" n = subjects with a change from baseline at the visit, as in Table {tid}."
              if any(s.n for s in trajectory.series) else "")
    return (f"{plotted} N = subjects in the {ctx.population.label}. Arms are drawn slightly "
            f"apart at each visit so that their error bars stay visible.{counts}",
            *notes, *ctx.param("footnotes"))


def _layout(shown: Shown, ctx: OutputContext) -> FigureModel:
    trajectory = plot(shown, ctx)
    table_ctx = table_context(ctx, _table_id(ctx))
    table = shown.other(table_analysis_id(_table_id(ctx)), ctx.config.where)
    svg, png, width, height = render_trajectory(trajectory)
    default = f"{_endpoint(table_ctx)}: {'LS ' if _lsmean(ctx) else ''}{TITLE}"
    title = title_lines(ctx, "Figure", default)
    last = (values_at(table, [(a.key, typeset(a.label)) for a in ctx.arms],
                      trajectory.visits[-1], _keys(_lsmean(ctx)))
            if trajectory.visits else "")
    return FigureModel(
        id=ctx.id, title=title, svg=svg, png=png, width_in=width, height_in=height,
        footnotes=_footnotes(ctx, table, table_ctx, trajectory),
        source=f"ADSL, {table_ctx.param('dataset').upper()} (PARAMCD = "
               f"{table_ctx.param('paramcd')}); program {SPEC.name}.py; "
               f"{'LS means' if _lsmean(ctx) else 'means'} and SEs from Table {_table_id(ctx)}",
        population=ctx.population.label,
        alt_text=alt_text(title[1], _what(table_ctx, _lsmean(ctx)), trajectory, last),
    )


SPEC: OutputSpec[FigureModel] = OutputSpec(
    name="f_14_2_3_alsfrs_trajectory",
    title=TITLE,
    params={
        "table": Param(str, ""),
        "estimate": Param(str, "mean"),
        "y_label": Param(str, ""),
        "x_label": Param(str, "Visit"),
        "counts": Param(bool, True),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
    reads=_reads,
)
