"""Figure 14.2.5 — A biomarker by visit and arm (mean ± SE): regulatory T cells (% of CD4+)
in the demo.

Every number drawn is a result of the biomarker table (`table`, default the table with the
figure's own id), read by key: the by-visit summaries of one of its parameters (`paramcd`,
default the first), either the value (`<PARAMCD>.aval.<visit>.<arm>.mean/.se`, baseline first)
or the change from baseline (`<PARAMCD>.chg...`). The numbers of subjects under the axis are
the table's n at each visit. Nothing is re-estimated, so the figure cannot disagree with its
table. The table's baseline-only variables (ADSL, e.g. CSF pNFH) have no visits and no
strata in its results, so they are not drawn here.

study.toml:
    [figures."14.2.5"]
    population = "ITT"          # must be the table's population
    table = "14.2.5"            # the table whose results the figure draws (default: same id)
    paramcd = "TREG"            # one of the table's parameters (default: its first)
    measure = "value"           # or "change": change from baseline (the table's change rows)
    baseline = true             # the baseline value as the first point (measure = "value")
    y_label = ""                # default: "<parameter label> (mean ± SE)"
    x_label = "Visit"
    counts = true               # subjects per visit and arm under the axis
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import key_part
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

TITLE = "Biomarker by Visit and Arm (Mean ± SE)"
MEASURES = ("value", "change")


# ---- configuration: the table's, checked before any data are read ----------------------------

def _table_id(ctx: OutputContext) -> str:
    return ctx.param("table") or ctx.id


def _parameter(ctx: OutputContext, table: OutputContext) -> Mapping[str, Any]:
    """The table's parameter item ({paramcd, label, log_normal}) the figure draws."""
    if "parameters" not in table.params:
        raise ctx.error("table", f"{_table_id(ctx)!r} is not a biomarker-by-visit table "
                                 "(t_14_2_5: `parameters` by visit)")
    items = list(table.param("parameters"))
    wanted = ctx.param("paramcd") or (str(items[0].get("paramcd", "")) if items else "")
    found = next((i for i in items if str(i.get("paramcd", "")) == wanted), None)
    if found is None:
        codes = ", ".join(str(i.get("paramcd", "")) for i in items) or "none"
        raise ctx.error("paramcd", f"{wanted!r} is not a parameter of {table.config.where} "
                                   f"({codes})")
    return found


def _change(ctx: OutputContext) -> bool:
    return bool(ctx.param("measure") == "change")


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    """No data of its own; the configuration is checked here, before any data are read."""
    table = table_context(ctx, _table_id(ctx))
    _parameter(ctx, table)
    if ctx.param("measure") not in MEASURES:
        raise ctx.error("measure", f"{ctx.param('measure')!r}: use {' or '.join(MEASURES)}")
    if _change(ctx) and not table.param("change"):
        raise ctx.error("measure", f"'change' needs the change rows of {table.config.where}, "
                                   "which sets change = false")
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

def _visits(ctx: OutputContext, table: Shown, table_ctx: OutputContext) -> tuple[str, ...]:
    """Baseline (for values), then the table's visits in their scheduled order."""
    visits = table.levels("visit", tuple(str(v) for v in table_ctx.param("visits")))
    if _change(ctx) or not ctx.param("baseline"):
        return visits
    return (table_ctx.param("baseline_label"), *visits)


def _keys(ctx: OutputContext, table_ctx: OutputContext, paramcd: str) -> Keys:
    baseline = table_ctx.param("baseline_label")
    what = "chg" if _change(ctx) else "aval"

    def key(arm: str, visit: str, part: str) -> str:
        at = "baseline" if visit == baseline and not _change(ctx) else visit_key(visit)
        return f"{key_part(paramcd)}.{what}.{at}.{arm}.{'mean' if part == 'est' else part}"
    return key


def _label(item: Mapping[str, Any]) -> str:
    return typeset(str(item.get("label", item["paramcd"])))


def plot(shown: Shown, ctx: OutputContext) -> Trajectory:
    """The plot's description, every number from the table's results (tests read it)."""
    table_ctx = table_context(ctx, _table_id(ctx))
    table = shown.other(table_analysis_id(_table_id(ctx)), ctx.config.where)
    item = _parameter(ctx, table_ctx)
    visits = _visits(ctx, table, table_ctx)
    key = _keys(ctx, table_ctx, str(item["paramcd"]))
    default_y = (f"Change from baseline in {_label(item)}\n(mean ± SE)" if _change(ctx)
                 else f"{_label(item)}\n(mean ± SE)")
    style = ctx.study.style
    return Trajectory(
        visits=visits,
        series=tuple(read_series(table, a.key, f"{typeset(a.label)} (N={table.big_n(a.key)})",
                                 typeset(a.label), visits, key, ctx.param("counts"))
                     for a in ctx.arms),
        y_label=ctx.param("y_label") or default_y, x_label=ctx.param("x_label"),
        n_label="Subjects with a value (n)", reference=0.0 if _change(ctx) else None,
        width_in=content_box(style.page, "portrait")[0], font=style.font,
        font_pt=style.table_pt, marking=ctx.study.identity.marking,
    )


def _footnotes(ctx: OutputContext, table: Shown, item: Mapping[str, Any],
               trajectory: Trajectory) -> tuple[str, ...]:
    tid = _table_id(ctx)
    what = "change from baseline" if _change(ctx) else "value"
    geometric = (" The table also gives geometric means and geometric mean ratios to baseline "
                 "(log-normal parameter); the figure shows arithmetic means."
                 if item.get("log_normal") else "")
    counts = (f" n = subjects with a {'change from baseline' if _change(ctx) else 'value'} at "
              f"the visit, as in Table {tid}." if any(s.n for s in trajectory.series) else "")
    label = str(item.get("label", item["paramcd"]))
    return (f"Plotted: arithmetic mean {what} of {label} at each visit with ± 1 standard error "
            f"(SE = SD/sqrt(n)), the by-visit summaries of Table {tid}; not a model-based "
            f"estimate. N = subjects in the {ctx.population.label}. Arms are drawn slightly "
            f"apart at each visit so that their error bars stay visible.{counts}{geometric}",
            *(n for n in table.notes() if n.startswith(f"{label}:")),
            *ctx.param("footnotes"))


def _layout(shown: Shown, ctx: OutputContext) -> FigureModel:
    trajectory = plot(shown, ctx)
    table_ctx = table_context(ctx, _table_id(ctx))
    table = shown.other(table_analysis_id(_table_id(ctx)), ctx.config.where)
    item = _parameter(ctx, table_ctx)
    svg, png, width, height = render_trajectory(trajectory)
    title = title_lines(ctx, "Figure", f"{_label(item)} by Visit and Arm (Mean ± SE)")
    key = _keys(ctx, table_ctx, str(item["paramcd"]))
    last = (values_at(table, [(a.key, typeset(a.label)) for a in ctx.arms],
                      trajectory.visits[-1], key) if trajectory.visits else "")
    what = (f"mean change from baseline in {_label(item)}" if _change(ctx)
            else f"mean {_label(item)}")
    return FigureModel(
        id=ctx.id, title=title, svg=svg, png=png, width_in=width, height_in=height,
        footnotes=_footnotes(ctx, table, item, trajectory),
        source=f"ADSL, {table_ctx.param('dataset').upper()} (PARAMCD = {item['paramcd']}); "
               f"program {SPEC.name}.py; means and SEs from Table {_table_id(ctx)}",
        population=ctx.population.label,
        alt_text=alt_text(title[1], what, trajectory, last),
    )


SPEC: OutputSpec[FigureModel] = OutputSpec(
    name="f_14_2_5_treg_trajectory",
    title=TITLE,
    params={
        "table": Param(str, ""),
        "paramcd": Param(str, ""),
        "measure": Param(str, "value"),
        "baseline": Param(bool, True),
        "y_label": Param(str, ""),
        "x_label": Param(str, "Visit"),
        "counts": Param(bool, True),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
    reads=_reads,
)
