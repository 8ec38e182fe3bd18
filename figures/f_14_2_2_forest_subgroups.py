"""Figure 14.2.2 — Forest plot of the hazard ratio by subgroup.

Every number is a result of the subgroup table (`table`, default the table with the figure's
own id): events/N per arm, the hazard ratio with its 95% CI (point, whisker and text) and the
interaction p-value, read by key and formatted as the table formats them. The figure refits
nothing, so it can never disagree with its table. Subgroups, their labels, level order and
level names are the table's configuration; the overall result comes first. One panel per
non-reference arm (a three-arm study gets two).

study.toml:
    [figures."14.2.2"]
    population = "ITT"           # must be the table's population
    table = "14.2.2"             # the table whose results the figure draws (default: same id)
    subgroups = ["PNFHGR1", "SEX"] # a selection of the table's subgroups (default: all)
    favours_arm = "below"        # the side of HR = 1 that favours the arm ("above" when the
                                 # event is a good outcome)
    hr_limits = [0.1, 10]        # log axis limits (default: from the intervals shown)
    x_label = "Hazard ratio (log scale)"
"""

from __future__ import annotations

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import key_part
from submission_kit.analysis.subgroups import Subgroup
from submission_kit.data.contracts import DatasetNeed
from submission_kit.figures.forest import Comparison, Estimate, ForestPlot, ForestRow, render_forest
from submission_kit.figures.model import FigureModel
from submission_kit.fmt import MISSING, is_missing
from submission_kit.tables.cells import Shown
from submission_kit.tables.model import Orientation
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

TITLE = "Forest Plot of the Hazard Ratio by Subgroup"
OVERALL = "All subjects"  # the table's label of the overall row


# ---- configuration: the table's, checked before any data are read ----------------------------

def _table_id(ctx: OutputContext) -> str:
    return ctx.param("table") or ctx.id


def _subgroups(ctx: OutputContext, table: OutputContext) -> list[Subgroup]:
    """The table's subgroups (label, level order, level names), or the selection named."""
    found = [Subgroup(var=str(item["var"]), label=str(item.get("label", item["var"])),
                      levels=tuple(str(v) for v in item.get("levels", ())),
                      display={str(k): str(v) for k, v in item.get("display", {}).items()})
             for item in table.param("subgroups")]
    chosen = [str(v) for v in ctx.param("subgroups")]
    unknown = [v for v in chosen if v not in {sg.var for sg in found}]
    if unknown:
        raise ctx.error("subgroups", f"{unknown[0]!r} is not a subgroup of "
                                     f"{table.config.where} "
                                     f"({', '.join(sg.var for sg in found)})")
    return [sg for v in chosen for sg in found if sg.var == v] if chosen else found


def _reference(table: OutputContext) -> str:
    return table.param("reference") or table.arms[0].key


def _limits(ctx: OutputContext) -> tuple[float, float] | None:
    limits = ctx.param("hr_limits")
    if not limits:
        return None
    if len(limits) != 2 or not all(isinstance(v, (int, float)) and v > 0 for v in limits) \
            or not limits[0] < 1 < limits[1]:
        raise ctx.error("hr_limits", f"{list(limits)!r}: two positive numbers either side of "
                                     "1, such as [0.1, 10]")
    return float(limits[0]), float(limits[1])


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    """No data of its own; the configuration is checked here, before any data are read."""
    _subgroups(ctx, table_context(ctx, _table_id(ctx)))
    _limits(ctx)
    if ctx.param("favours_arm") not in ("below", "above"):
        raise ctx.error("favours_arm", f"{ctx.param('favours_arm')!r}: use 'below' or 'above'")
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

def _number(table: Shown, key: str) -> float | None:
    if table.mock or not table.has(key):
        return None
    value = table.value(key)
    if isinstance(value, str) or is_missing(value):
        return None
    return float(value)  # type: ignore[arg-type]


def _estimate(table: Shown, base: str) -> Estimate:
    """The table's cell text: 'NE' alone where the hazard ratio is not estimable."""
    hr = _number(table, f"{base}.hr")
    if hr is None and not table.mock:
        return Estimate(None, None, None, MISSING)
    text = table.est_ci(f"{base}.hr", f"{base}.lcl", f"{base}.ucl", 2).text
    return Estimate(hr, _number(table, f"{base}.lcl"), _number(table, f"{base}.ucl"), text)


def _row(table: Shown, label: str, base: str, arms: tuple[str, ...],
         compared: tuple[str, ...], indent: int = 0) -> ForestRow:
    counts = tuple(f"{table.count(f'{base}.{a}.events').text}/"
                   f"{table.count(f'{base}.{a}.n').text}" for a in arms)
    return ForestRow(typeset(label), indent, counts,
                     tuple(_estimate(table, f"{base}.{a}") for a in compared),
                     overall=base == "overall")


def _comparisons(ctx: OutputContext, reference: str) -> tuple[Comparison, ...]:
    labels = {a.key: typeset(a.label) for a in ctx.arms}
    out = []
    for i, arm in enumerate(ctx.arms):
        if arm.key == reference:
            continue
        sides = (f"Favours {labels[arm.key]}", f"Favours {labels[reference]}")
        if ctx.param("favours_arm") == "above":
            sides = sides[::-1]
        out.append(Comparison(f"{labels[arm.key]} vs {labels[reference]}", *sides,
                              arm_index=i))
    return tuple(out)


def plot(shown: Shown, ctx: OutputContext) -> ForestPlot:
    """The plot's description, every number from the table's results (tests read it)."""
    table_ctx = table_context(ctx, _table_id(ctx))
    table = shown.other(table_analysis_id(_table_id(ctx)), ctx.config.where)
    reference = _reference(table_ctx)
    arms = tuple(a.key for a in ctx.arms)
    compared = tuple(a for a in arms if a != reference)
    rows = [_row(table, OVERALL, "overall", arms, compared)]
    for sg in _subgroups(ctx, table_ctx):
        rows.append(ForestRow(typeset(sg.label), heading=True,
                              p_text=table.pvalue(f"interaction.{sg.var}.p").text))
        rows += [_row(table, sg.shown(level), f"subgroup.{sg.var}.{key_part(level)}", arms,
                      compared, indent=1) for level in table.levels(sg.var, sg.levels)]
    style = ctx.study.style
    return ForestPlot(
        rows=tuple(rows), arms=tuple(typeset(a.label) for a in ctx.arms),
        comparisons=_comparisons(ctx, reference), x_label=ctx.param("x_label"),
        x_limits=_limits(ctx), max_width_in=content_box(style.page, _orientation(compared))[0],
        font=style.font, font_pt=style.table_pt, marking=ctx.study.identity.marking,
    )


def _orientation(compared: tuple[str, ...]) -> Orientation:
    """One panel fits a portrait page; two or more need a landscape one (as the table)."""
    return "landscape" if len(compared) > 1 else "portrait"


def _footnotes(ctx: OutputContext, table: Shown, table_ctx: OutputContext
               ) -> tuple[str, ...]:
    side = "below" if ctx.param("favours_arm") == "below" else "above"
    reference = next(typeset(a.label) for a in ctx.arms if a.key == _reference(table_ctx))
    return (
        "Events/N = subjects with an event / subjects analysed in the subgroup level. "
        "Hazard ratio (HR) from a Cox proportional hazards model (Efron ties) with treatment "
        "alone, fitted within each subgroup level, with Wald 95% CI (point and horizontal "
        f"line; an arrow: the interval runs past the axis); HR {side} 1 favours the arm over "
        f"{reference}. {OVERALL} (diamond): the unadjusted model of the overall analysis. "
        "NE = not estimable (no point drawn).",
        "Interaction p-value: likelihood-ratio test of the treatment-by-subgroup interaction "
        "in a Cox model with treatment, subgroup and their interaction.",
        *table.notes(), *ctx.param("footnotes"),
    )


def _layout(shown: Shown, ctx: OutputContext) -> FigureModel:
    forest = plot(shown, ctx)
    table_ctx = table_context(ctx, _table_id(ctx))
    table = shown.other(table_analysis_id(_table_id(ctx)), ctx.config.where)
    svg, png, width, height = render_forest(forest)
    title = ctx.param("title") or TITLE
    dataset = table_ctx.param("dataset").upper()
    return FigureModel(
        id=ctx.id, title=title_lines(ctx, "Figure", TITLE), svg=svg, png=png,
        width_in=width, height_in=height, footnotes=_footnotes(ctx, table, table_ctx),
        source=f"ADSL, {dataset} (PARAMCD = {table_ctx.param('paramcd')}); program "
               f"{SPEC.name}.py; estimates from Table {_table_id(ctx)}",
        orientation=_orientation(tuple(c.title for c in forest.comparisons)),
        population=ctx.population.label,
        alt_text=_alt_text(ctx, title, forest),
    )


def _alt_text(ctx: OutputContext, title: str, forest: ForestPlot) -> str:
    """What is plotted, for whom, and the overall result, from the plot's own numbers."""
    subgroups = [r.label for r in forest.rows if r.heading]
    levels = sum(1 for r in forest.rows[1:] if not r.heading)
    overall = "; ".join(f"{c.title} {e.text}" for c, e in
                        zip(forest.comparisons, forest.rows[0].estimates, strict=True))
    favours = "; ".join(f"{c.favours_left} to the left of 1, {c.favours_right} to the right"
                        for c in forest.comparisons)
    return (f"{title}. Forest plot of hazard ratios (HR) with 95% confidence intervals on a "
            f"log scale, {len(forest.comparisons)} comparison(s) "
            f"({'; '.join(c.title for c in forest.comparisons)}), for {OVERALL.lower()} and "
            f"for {levels} levels of {len(subgroups)} subgroups ({', '.join(subgroups)}). "
            f"{OVERALL}: HR (95% CI) {overall}. {favours}. Events/N per arm "
            f"({', '.join(forest.arms)}) and interaction p-values are printed beside the "
            f"plot.")


SPEC: OutputSpec[FigureModel] = OutputSpec(
    name="f_14_2_2_forest_subgroups",
    title=TITLE,
    params={
        "table": Param(str, ""),
        "subgroups": Param((list, tuple), ()),
        "favours_arm": Param(str, "below"),
        "hr_limits": Param((list, tuple), ()),
        "x_label": Param(str, "Hazard ratio (log scale)"),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
    reads=_reads,
)
