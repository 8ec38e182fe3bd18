"""Figure 14.2.5 — A biomarker by visit and arm (mean ± SE): regulatory T cells (% of CD4+)
in the demo.

Every number drawn is a result of the biomarker table (`table`, default the table with the
figure's own id), read by key: the by-visit summaries of one of its parameters (`paramcd`,
default the first), either the value (`<PARAMCD>.aval.<visit>.<arm>.mean/.se`, baseline first)
or the change from baseline (`<PARAMCD>.chg...`). The numbers of subjects under the axis are
the table's n at each visit. Nothing is re-estimated, so the figure cannot disagree with its
table.

`baseline_panel` names one of the table's baseline-only variables (ADSL, e.g. CSF pNFH) that
the table summarises by stratum (`by = "PNFHGR1"`): the figure then has two panels, A the
trajectory and B box plots of that variable by stratum and arm (median, Q1-Q3 box, whiskers
to the minimum and maximum, the arm's marker at the geometric mean of a log-normal variable,
else the mean; a log axis for a log-normal variable), every number the table's
'<VAR>.by.<BY>.<level>.<arm>.<stat>' result. Off unless configured.

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
    baseline_panel = "PNFHBL"   # optional panel B: that baseline variable by stratum
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import key_part
from submission_kit.analysis.longitudinal import stratum_prefix, visit_key
from submission_kit.data.contracts import DatasetNeed
from submission_kit.figures.boxplot import Box, BoxPlot, BoxSeries, draw_boxplot
from submission_kit.figures.model import FigureModel
from submission_kit.figures.panels import Panel, render_panels
from submission_kit.figures.trajectory import (
    Keys,
    Trajectory,
    alt_text,
    count_text,
    draw_trajectory,
    read_series,
    render_trajectory,
    result_number,
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
# Heights (inches) of the two panels; together with their headings they fit a portrait page
# with the title block and footnotes at full size.
TRAJECTORY_IN = 4.6  # alone
PANEL_A_IN = 3.2
PANEL_B_IN = 3.0
BOX_STATS = ("median", "q1", "q3", "min", "max")


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


def _panel_item(ctx: OutputContext, table: OutputContext) -> Mapping[str, Any] | None:
    """The table's baseline variable panel B draws ({var, label, by, ...}); None: no panel."""
    name = ctx.param("baseline_panel")
    if not name:
        return None
    items = list(table.param("baseline_variables"))
    found = next((i for i in items if str(i.get("var", "")) == name), None)
    if found is None:
        names = ", ".join(str(i.get("var", "")) for i in items) or "none"
        raise ctx.error("baseline_panel", f"{name!r} is not a baseline variable of "
                                          f"{table.config.where} ({names})")
    if not found.get("by"):
        raise ctx.error("baseline_panel", f"{name!r} has no `by` in {table.config.where}: "
                                          "the panel draws its summaries by stratum "
                                          "(e.g. by = \"PNFHGR1\")")
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
    _panel_item(ctx, table)
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
    """A parameter's or baseline variable's label (its code if it has none)."""
    return typeset(str(item.get("label", item.get("paramcd", item.get("var", "")))))


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
    panels = _panel_item(ctx, table_ctx) is not None
    return Trajectory(
        visits=visits,
        series=tuple(read_series(table, a.key, _arm_label(table, a.key, a.label),
                                 typeset(a.label), visits, key, ctx.param("counts"))
                     for a in ctx.arms),
        y_label=ctx.param("y_label") or default_y, x_label=ctx.param("x_label"),
        n_label="Subjects with a value (n)", reference=0.0 if _change(ctx) else None,
        width_in=content_box(style.page, "portrait")[0],
        height_in=PANEL_A_IN if panels else TRAJECTORY_IN, font=style.font,
        font_pt=style.table_pt,
        # with panels the marking goes under the last one (panel B keeps room for it)
        marking="" if panels else ctx.study.identity.marking,
    )


def _arm_label(table: Shown, arm: str, label: str) -> str:
    return f"{typeset(label)} (N={table.big_n(arm)})"


# ---- panel B: a baseline variable by stratum and arm -------------------------------------------

def _box_key(item: Mapping[str, Any], level: str, arm: str, stat: str) -> str:
    return f"{stratum_prefix(str(item['var']), str(item['by']))}.{key_part(level)}.{arm}.{stat}"


def _levels(table: Shown, item: Mapping[str, Any]) -> tuple[str, ...]:
    return table.levels(str(item["by"]), [str(v) for v in item.get("levels", ())])


def _centre(item: Mapping[str, Any]) -> str:
    """The marker's statistic: the geometric mean of a log-normal variable, else the mean."""
    return "gmean" if item.get("log_normal") else "mean"


def _box(table: Shown, item: Mapping[str, Any], level: str, arm: str) -> Box | None:
    """One box from the table's results; None where a statistic is missing (no subject)."""
    found = [result_number(table, _box_key(item, level, arm, s)) for s in BOX_STATS]
    numbers = [v for v in found if v is not None]
    if len(numbers) < len(BOX_STATS):
        return None
    median, q1, q3, low, high = numbers
    return Box(median, q1, q3, low, high,
               result_number(table, _box_key(item, level, arm, _centre(item))))


def box_plot(shown: Shown, ctx: OutputContext) -> BoxPlot | None:
    """Panel B's description, every number from the table's results (tests read it); None
    when no panel is configured."""
    table_ctx = table_context(ctx, _table_id(ctx))
    item = _panel_item(ctx, table_ctx)
    if item is None:
        return None
    table = shown.other(table_analysis_id(_table_id(ctx)), ctx.config.where)
    levels = _levels(table, item)
    style = ctx.study.style
    box = BoxPlot(
        categories=tuple(typeset(v) for v in levels),
        series=tuple(BoxSeries(
            label=_arm_label(table, a.key, a.label), short_label=typeset(a.label),
            boxes=tuple(_box(table, item, v, a.key) for v in levels),
            n=tuple(count_text(table, _box_key(item, v, a.key, "n")) for v in levels)
            if ctx.param("counts") else ())
            for a in ctx.arms),
        y_label=_label(item), x_label="",  # the panel's heading names the strata
        n_label="Subjects with a value (n)", log=bool(item.get("log_normal")),
        width_in=content_box(style.page, "portrait")[0], height_in=PANEL_B_IN,
        font=style.font, font_pt=style.table_pt, marking=ctx.study.identity.marking,
    )
    return replace(box, y_label=f"{box.y_label}\n(log scale)") if box.uses_log() else box


def _box_values(table: Shown, item: Mapping[str, Any], ctx: OutputContext) -> str:
    """'Low/moderate: Placebo median 1652.0 (Q1 1048.0, Q3 2435.0; range 320 to 3642), ...'
    formatted as the table formats them (median and quartiles to one decimal more than the
    data, the range to the data's precision): for alt text."""
    return "; ".join(
        f"{typeset(level)}: "
        + ", ".join(_arm_box_text(table, item, level, a.key, typeset(a.label)) for a in ctx.arms)
        for level in _levels(table, item))


def _arm_box_text(table: Shown, item: Mapping[str, Any], level: str, arm: str, label: str
                  ) -> str:
    if not table.mock and _box(table, item, level, arm) is None:
        return f"{label} no subject"
    d = table.digits(_box_key(item, level, arm, "mean"), int(item.get("digits") or 0))

    def num(stat: str, digits: int) -> str:
        return table.num(_box_key(item, level, arm, stat), digits).text
    return (f"{label} median {num('median', d + 1)} (Q1 {num('q1', d + 1)}, Q3 "
            f"{num('q3', d + 1)}; range {num('min', d)} to {num('max', d)})")


def _box_alt(table: Shown, item: Mapping[str, Any], box: BoxPlot, ctx: OutputContext) -> str:
    centre = "geometric mean" if _centre(item) == "gmean" else "mean"
    axis = ", logarithmic axis" if box.uses_log() else ""
    return (f"Panel B: box plots of {_label(item)} by {_by_label(item)} and arm{axis}: box from "
            f"the first to the third quartile with the median, whiskers from the minimum to the "
            f"maximum, marker at the {centre}. {_box_values(table, item, ctx)}.")


def _box_footnote(ctx: OutputContext, item: Mapping[str, Any], box: BoxPlot) -> str:
    centre = "geometric mean" if _centre(item) == "gmean" else "arithmetic mean"
    axis = "; logarithmic axis" if box.uses_log() else ""
    return (f"Panel B: ADSL {item['var']} by {item['by']}. Box: first to third quartile (SAS "
            f"PCTLDEF=5) with the median (thick line); whiskers: minimum to maximum; marker: "
            f"{centre}{axis}; n = subjects with a value. The statistics of Table "
            f"{_table_id(ctx)}.")


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
    plotted = "Panel A: plotted" if _panel_item(ctx, table_context(ctx, tid)) else "Plotted"
    return (f"{plotted}: arithmetic mean {what} of {label} at each visit with ± 1 standard "
            f"error (SE = SD/sqrt(n)), the by-visit summaries of Table {tid}; not a model-based "
            f"estimate. N = subjects in the {ctx.population.label}. Arms are drawn slightly "
            f"apart at each visit so that their error bars stay visible.{counts}{geometric}",
            *(n for n in table.notes() if n.startswith(f"{label}:")),
            *ctx.param("footnotes"))


def _by_label(item: Mapping[str, Any]) -> str:
    return typeset(str(item.get("by_label", item["by"])))


def _headings(item: Mapping[str, Any], box_item: Mapping[str, Any], change: bool
              ) -> tuple[str, str]:
    what = "change from baseline in " if change else ""
    return (f"A. Mean {what}{_label(item)} by visit (± SE)",
            f"B. {_label(box_item)} by {_by_label(box_item)}")


def _layout(shown: Shown, ctx: OutputContext) -> FigureModel:
    trajectory = plot(shown, ctx)
    box = box_plot(shown, ctx)
    table_ctx = table_context(ctx, _table_id(ctx))
    table = shown.other(table_analysis_id(_table_id(ctx)), ctx.config.where)
    item = _parameter(ctx, table_ctx)
    box_item = _panel_item(ctx, table_ctx)
    footnotes = _footnotes(ctx, table, item, trajectory)
    default = f"{_label(item)} by Visit and Arm (Mean ± SE)"
    if box is None or box_item is None:
        svg, png, width, height = render_trajectory(trajectory)
    else:
        a, b = _headings(item, box_item, _change(ctx))
        svg, png, width, height = render_panels(
            (Panel(a, trajectory.height_in, lambda fig, base: draw_trajectory(fig, trajectory,
                                                                              base)),
             Panel(b, box.height_in, lambda fig, base: draw_boxplot(fig, box, base))),
            box.width_in, box.font, box.font_pt, box.marking)
        footnotes = (*footnotes[:1], _box_footnote(ctx, box_item, box), *footnotes[1:])
        default += f", and {_label(box_item)} by {_by_label(box_item)} and Arm"
    title = title_lines(ctx, "Figure", default)
    key = _keys(ctx, table_ctx, str(item["paramcd"]))
    last = (values_at(table, [(a.key, typeset(a.label)) for a in ctx.arms],
                      trajectory.visits[-1], key) if trajectory.visits else "")
    what = (f"mean change from baseline in {_label(item)}" if _change(ctx)
            else f"mean {_label(item)}")
    alt = alt_text(title[1], what, trajectory, last, "Panel A" if box else "")
    if box is not None and box_item is not None:
        alt += " " + _box_alt(table, box_item, box, ctx)
    adsl = (f"ADSL ({box_item['var']}, {box_item['by']})" if box_item else "ADSL")
    numbers = "means, SEs and box statistics" if box_item else "means and SEs"
    return FigureModel(
        id=ctx.id, title=title, svg=svg, png=png, width_in=width, height_in=height,
        footnotes=footnotes,
        source=f"{adsl}, {table_ctx.param('dataset').upper()} (PARAMCD = {item['paramcd']}); "
               f"program {SPEC.name}.py; {numbers} from Table {_table_id(ctx)}",
        population=ctx.population.label,
        alt_text=alt,
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
        "baseline_panel": Param(str, ""),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
    reads=_reads,
)
