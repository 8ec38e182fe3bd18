"""Figure 14.3.1 — Adverse events dot plot: incidence by arm for the most frequent preferred
terms, with each arm's risk difference against the reference and its 95% CI alongside.

Every number is a result of the common-TEAE table (`table`, default 14.3.1.5): its preferred
terms in its order (descending frequency), the incidence per arm and the Newcombe risk
differences, read by key. The figure selects and orders rows; it estimates nothing, so it can
never disagree with its table.

study.toml:
    [figures."14.3.1"]
    population = "SAF"              # must be the table's population
    table = "14.3.1.5"              # the table whose results the figure draws
    top = 20                        # the most frequent terms (the table's first rows)
    order = "risk_difference"       # or "incidence" (default): the table's order
    # order_arm = "IL2"             # an arm key: whose risk difference orders the rows
                                    # (default: the first arm compared with the reference)
"""

from __future__ import annotations

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import key_part
from submission_kit.data.contracts import DatasetNeed
from submission_kit.figures.dotplot import Difference, DotPlot, DotTerm, render_dotplot
from submission_kit.figures.model import FigureModel
from submission_kit.fmt import fmt_estimate_ci, fmt_num, is_missing
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

TITLE = "Dot Plot of Common Treatment-Emergent Adverse Events: Incidence and Risk Difference"
ORDERS = ("incidence", "risk_difference")


# ---- configuration: the table's, checked before any data are read ----------------------------

def _table_id(ctx: OutputContext) -> str:
    return str(ctx.param("table"))


def _reference(table: OutputContext) -> str:
    return table.param("reference") or table.arms[0].key


def _compared(ctx: OutputContext, table: OutputContext) -> tuple[str, ...]:
    return tuple(a.key for a in ctx.arms if a.key != _reference(table))


def _order_arm(ctx: OutputContext, table: OutputContext) -> str:
    compared = _compared(ctx, table)
    arm = ctx.param("order_arm") or (compared[0] if compared else "")
    if arm not in compared:
        raise ctx.error("order_arm", f"{arm!r}: use an arm compared with the reference "
                                     f"({', '.join(compared)})")
    return str(arm)


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    """No data of its own; the configuration is checked here, before any data are read."""
    table = table_context(ctx, _table_id(ctx))
    if ctx.param("order") not in ORDERS:
        raise ctx.error("order", f"{ctx.param('order')!r}: use {' or '.join(ORDERS)}")
    if ctx.param("top") < 1:
        raise ctx.error("top", f"{ctx.param('top')!r}: at least 1 preferred term")
    _order_arm(ctx, table)
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

def _number(table: Shown, key: str, scale: float = 1.0) -> float | None:
    if table.mock or not table.has(key):
        return None
    value = table.value(key)
    if isinstance(value, str) or is_missing(value):
        return None
    return float(value) * scale  # type: ignore[arg-type]


def _terms(table: Shown, ctx: OutputContext, table_ctx: OutputContext) -> list[str]:
    """The table's first `top` terms (its frequency order), then ordered as configured:
    by descending risk difference (not estimable last), ties in the table's order."""
    terms = list(table.levels("pt"))[: ctx.param("top")]
    if ctx.param("order") == "risk_difference" and not table.mock:
        arm = _order_arm(ctx, table_ctx)

        def rd(pt: str) -> float:
            value = _number(table, f"pt.{key_part(pt)}.rd.{arm}.est")
            return float("inf") if value is None else -value

        terms.sort(key=rd)
    return terms


def _term(table: Shown, pt: str, arms: tuple[str, ...], compared: tuple[str, ...]) -> DotTerm:
    key = f"pt.{key_part(pt)}"
    return DotTerm(
        label=typeset(pt),
        incidence=tuple(_number(table, f"{key}.{a}.pct") for a in arms),
        differences=tuple(Difference(*(_number(table, f"{key}.rd.{a}.{s}", 100)
                                       for s in ("est", "lcl", "ucl"))) for a in compared))


def plot(shown: Shown, ctx: OutputContext) -> DotPlot:
    """The plot's description, every number from the table's results (tests read it)."""
    table_ctx = table_context(ctx, _table_id(ctx))
    table = shown.other(table_analysis_id(_table_id(ctx)), ctx.config.where)
    arms = tuple(a.key for a in ctx.arms)
    compared = _compared(ctx, table_ctx)
    reference = next(typeset(a.label) for a in ctx.arms if a.key == _reference(table_ctx))
    style = ctx.study.style
    return DotPlot(
        terms=tuple(_term(table, pt, arms, compared)
                    for pt in _terms(table, ctx, table_ctx)),
        arms=tuple(f"{typeset(a.label)} (N={table.count(f'N.{a.key}').text})"
                   for a in ctx.arms),
        comparisons=tuple(arms.index(a) for a in compared),
        difference_label=f"Risk difference vs {reference}\n(percentage points, 95% CI)",
        width_in=content_box(style.page, "portrait")[0], font=style.font,
        font_pt=style.table_pt, marking=ctx.study.identity.marking,
    )


def _footnotes(ctx: OutputContext, table: Shown, dots: DotPlot) -> tuple[str, ...]:
    table_ctx = table_context(ctx, _table_id(ctx))
    labels = {a.key: a.label for a in ctx.arms}
    reference = labels[_reference(table_ctx)]
    sort_by = table_ctx.param("sort_by") or "TOTAL"
    column = "all arms together" if sort_by == "TOTAL" else labels.get(sort_by, sort_by)
    order = ("ordered by incidence" if ctx.param("order") == "incidence" else
             f"ordered by the risk difference {labels[_order_arm(ctx, table_ctx)]} - "
             f"{reference}, largest first")
    n, tid = len(dots.terms), _table_id(ctx)
    shown = (f"No preferred term of Table {tid} to show." if not n else
             f"All {n} preferred terms of Table {tid}, {order}."
             if n == len(table.levels("pt")) else
             f"The {n} most frequent preferred terms of Table {tid} (incidence in {column}), "
             f"{order}.")
    return (
        f"{shown} Left: incidence = subjects with the treatment-emergent adverse event / N, "
        f"in percent, N = subjects in the {ctx.population.label} by treatment "
        f"({table_ctx.treatment_var}).",
        f"Right: risk difference (arm minus {reference}, percentage points) with Newcombe's "
        "hybrid score 95% CI, drawn with the arm's marker; the line at 0 marks no difference.",
        *table.notes(), *ctx.param("footnotes"),
    )


def _layout(shown: Shown, ctx: OutputContext) -> FigureModel:
    dots = plot(shown, ctx)
    table = shown.other(table_analysis_id(_table_id(ctx)), ctx.config.where)
    table_ctx = table_context(ctx, _table_id(ctx))
    svg, png, width, height = render_dotplot(dots)
    title = ctx.param("title") or TITLE
    return FigureModel(
        id=ctx.id, title=title_lines(ctx, "Figure", TITLE), svg=svg, png=png,
        width_in=width, height_in=height, footnotes=_footnotes(ctx, table, dots),
        source=f"ADSL, {table_ctx.param('dataset').upper()}; program {SPEC.name}.py; "
               f"incidence and risk differences from Table {_table_id(ctx)}",
        population=ctx.population.label,
        alt_text=_alt_text(ctx, title, dots),
    )


def _alt_text(ctx: OutputContext, title: str, dots: DotPlot) -> str:
    """What is plotted, for which arms, and the first row's numbers, from the plot's own
    numbers formatted as the table prints them (one decimal)."""
    table_ctx = table_context(ctx, _table_id(ctx))
    labels = [typeset(a.label) for a in ctx.arms]
    reference = next(typeset(a.label) for a in ctx.arms if a.key == _reference(table_ctx))
    compared = [labels[i] for i in dots.comparisons]
    order = ("ordered by incidence" if ctx.param("order") == "incidence" else
             "ordered by risk difference, largest first")
    text = (f"{title}. Dot plot of {len(dots.terms)} preferred terms ({order}). Left panel: "
            f"incidence (%) in each arm: {', '.join(dots.arms)}. Right panel: risk difference "
            f"({', '.join(compared)} minus {reference}, percentage points) with 95% "
            "confidence interval.")
    first = dots.terms[0] if dots.terms else None
    if first is None or any(v is None for v in first.incidence):  # none, or a mock shell
        return text
    incidence = ", ".join(f"{label} {fmt_num(v, 1, ctx.rounding)}%"
                          for label, v in zip(labels, first.incidence, strict=True))
    differences = ", ".join(
        f"{label} {fmt_estimate_ci(d.estimate, d.lower, d.upper, 1, ctx.rounding)}"
        for label, d in zip(compared, first.differences, strict=True))
    return f"{text} Top row, {first.label}: incidence {incidence}; risk difference {differences}."


SPEC: OutputSpec[FigureModel] = OutputSpec(
    name="f_14_3_1_ae_dotplot",
    title=TITLE,
    params={
        "table": Param(str, "14.3.1.5"),
        "top": Param(int, 20),
        "order": Param(str, "incidence"),
        "order_arm": Param(str, ""),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
    reads=_reads,
)
