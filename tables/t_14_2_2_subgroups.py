"""Table 14.2.2 — Time to event by subgroup: events and hazard ratios within each level of
baseline variables, the treatment-by-subgroup interaction test and, where configured, the
prognostic effect of a variable itself.

study.toml:
    [tables."14.2.2"]
    population = "ITT"
    paramcd = "OS"                      # ADTTE parameter
    reference = "PBO"                   # arm key of the comparator (default: first arm)
    subgroups = [                       # ADSL variables, in row order
      { var = "PNFHGR1", label = "CSF pNFH stratum", levels = ["Low", "High"] },
      { var = "SEX", label = "Sex", levels = ["M", "F"], display = { M = "Male", F = "Female" } },
    ]
    prognostic = ["PNFHGR1"]            # also show each level's HR vs the first level

Levels are shown in the configured order (the first is the reference of the prognostic
effect), then any other level in the data. One hazard-ratio column per non-reference arm; the
interaction p-value sits on each subgroup's label row. The overall row is the unadjusted
Cox model of the overall analysis (Table 14.2.1), by the same function. A forest plot reads
these results by key: subgroup.<VAR>.<level>.<ARM>.n / .events / .hr / .lcl / .ucl,
interaction.<VAR>.p, prognostic.<VAR>.<level>.hr.
"""

from __future__ import annotations

from submission_kit import fmt
from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import key_part
from submission_kit.analysis.subgroups import METHODS, Subgroup, subgroup_records
from submission_kit.data.contracts import DatasetNeed
from submission_kit.tables.cells import BLANK, Cell, Shown
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    OutputSpec,
    Param,
    arm_column_keys,
    population_rule,
    title_lines,
)
from submission_kit.tables.summary import arm_columns, group_row, row
from submission_kit.tables.tte import TTE_PARAMS, tte_design, tte_needs, tte_population

TITLE = "Time to Event by Subgroup"
SUBGROUP_KEYS = ("var", "label", "levels", "display")
P_COLUMN = ("P", "p-value")


def _subgroups(ctx: OutputContext) -> list[Subgroup]:
    prognostic = [str(v) for v in ctx.param("prognostic")]
    out = []
    for i, item in enumerate(ctx.param("subgroups")):
        if "var" not in item:
            raise ctx.error(f"subgroups[{i}]", "expected { var = \"SEX\", label = \"...\" }")
        var = str(item["var"])
        out.append(Subgroup(
            var=var, label=str(item.get("label", var)),
            levels=tuple(str(v) for v in item.get("levels", ())),
            display={str(k): str(v) for k, v in item.get("display", {}).items()},
            prognostic=var in prognostic))
    unknown = sorted(set(prognostic) - {sg.var for sg in out})
    if unknown:
        raise ctx.error("prognostic", f"{unknown[0]!r} is not one of the subgroups "
                                      f"({', '.join(sg.var for sg in out)})")
    return out


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    return tte_needs(ctx, [sg.var for sg in _subgroups(ctx)])


def _reference(ctx: OutputContext) -> str:
    return ctx.param("reference") or ctx.arms[0].key


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    subgroups = _subgroups(ctx)
    data = tte_population(frames, ctx, [sg.var for sg in subgroups])
    found = subgroup_records(ctx.analysis_id, data, tte_design(ctx, _reference(ctx)),
                             subgroups, {a.key: a.label for a in ctx.arms})
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx),
        datasets=ctx.datasets_used(["adsl", ctx.param("dataset")]),
        stats=found.stats, subjects=len(data), levels=found.levels, notes=found.notes,
        methods=METHODS,
    )


# ---- layout ------------------------------------------------------------------------------

def _events_n(shown: Shown, base: str) -> Cell:
    """'18/83': subjects with an event / subjects analysed."""
    key = f"{shown.analysis}:{base}.events"
    if shown.mock:
        return Cell("xx/xx", key)
    return Cell(f"{fmt.fmt_int(shown.value(f'{base}.events'))}/"  # type: ignore[arg-type]
                f"{fmt.fmt_int(shown.value(f'{base}.n'))}", key)  # type: ignore[arg-type]


def _hr(shown: Shown, base: str) -> Cell:
    """'0.58 (0.32, 1.04)', or 'NE' alone where the hazard ratio is not estimable."""
    if not shown.mock and fmt.is_missing(shown.value(f"{base}.hr")):  # type: ignore[arg-type]
        return Cell(fmt.MISSING, f"{shown.analysis}:{base}.hr")
    return shown.est_ci(f"{base}.hr", f"{base}.lcl", f"{base}.ucl", 2)


def _comparison_row(shown: Shown, label: str, base: str, arms: tuple[str, ...],
                    compared: tuple[str, ...], indent: int) -> Row:
    cells = [_events_n(shown, f"{base}.{a}") for a in arms]
    cells += [_hr(shown, f"{base}.{a}") for a in compared]
    return row(label, [*cells, BLANK], indent)


def _subgroup_rows(shown: Shown, sg: Subgroup, arms: tuple[str, ...],
                   compared: tuple[str, ...]) -> list[Row]:
    width = len(arms) + len(compared)
    head = row(sg.label, [*[BLANK] * width, shown.pvalue(f"interaction.{sg.var}.p")])
    return [head] + [
        _comparison_row(shown, sg.shown(level), f"subgroup.{sg.var}.{key_part(level)}", arms,
                        compared, 1)
        for level in shown.levels(sg.var, sg.levels)]


def _prognostic_rows(shown: Shown, sg: Subgroup, arms: tuple[str, ...],
                     compared: tuple[str, ...]) -> list[Row]:
    """Each level vs the first, in the first hazard-ratio column; Wald p in the p column."""
    levels = shown.levels(sg.var, sg.levels)
    reference = levels[0]
    rows = [group_row(f"Prognostic effect of {sg.label}, adjusted for treatment",
                      len(arms) + len(compared) + 1)]
    for level in levels[1:]:
        base = f"prognostic.{sg.var}.{key_part(level)}"
        rest = [BLANK] * (len(compared) - 1)
        rows.append(row(f"{sg.shown(level)} vs {sg.shown(reference)}",
                        [*[BLANK] * len(arms), _hr(shown, base), *rest,
                         shown.pvalue(f"{base}.p")], 1))
    return rows


def _columns(shown: Shown, ctx: OutputContext, compared: tuple[str, ...]
             ) -> tuple[Column, ...]:
    labels = {a.key: a.label for a in ctx.arms}
    reference = labels[_reference(ctx)]
    return (*arm_columns(shown, arm_column_keys(ctx, total=False)),
            *(Column(f"HR_{a}", f"{labels[a]} vs {reference}\nHR (95% CI)") for a in compared),
            Column(*P_COLUMN))


def _footnotes(ctx: OutputContext, subgroups: list[Subgroup]) -> tuple[str, ...]:
    reference = next(a.label for a in ctx.arms if a.key == _reference(ctx))
    out = [
        "Events/n = subjects with an event / subjects analysed in the subgroup; N = subjects "
        "in the population. NE = not estimable.",
        "Hazard ratio (HR) from a Cox proportional hazards model (Efron ties) with treatment "
        f"alone, fitted within each subgroup level, with Wald 95% CI; HR < 1 favours the arm "
        f"over {reference}. All subjects: the unadjusted model of the overall analysis.",
        "p-value on a subgroup's row: treatment-by-subgroup interaction, likelihood-ratio test "
        "of the Cox model with treatment, subgroup and their interaction against the model "
        "without the interaction (df = (arms - 1) x (levels - 1)).",
    ]
    if any(sg.prognostic for sg in subgroups):
        out.append("Prognostic effect: HR of each level against the first level listed, from "
                   "a Cox model with treatment and the factor (all arms together), with Wald "
                   "95% CI and p-value.")
    return tuple(out)


def _table(shown: Shown, ctx: OutputContext) -> TableModel:
    subgroups = _subgroups(ctx)
    arms = tuple(a.key for a in ctx.arms)
    compared = tuple(a for a in arms if a != _reference(ctx))
    rows = [_comparison_row(shown, "All subjects", "overall", arms, compared, 0)]
    for sg in subgroups:
        rows += _subgroup_rows(shown, sg, arms, compared)
    for sg in subgroups:
        if sg.prognostic:
            rows += _prognostic_rows(shown, sg, arms, compared)
    dataset = ctx.param("dataset").upper()
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", TITLE),
        columns=_columns(shown, ctx, compared),
        rows=tuple(rows),
        footnotes=(*_footnotes(ctx, subgroups), *shown.notes(), *ctx.param("footnotes")),
        source=f"ADSL, {dataset} (PARAMCD = {ctx.param('paramcd')}); program {SPEC.name}.py",
        stub_header="Subgroup",
        orientation="landscape" if len(arms) > 2 else "portrait",
        population=ctx.population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_2_2_subgroups",
    title=TITLE,
    params={
        **TTE_PARAMS,
        "subgroups": Param((list, tuple), items=SUBGROUP_KEYS),
        "prognostic": Param((list, tuple), ()),
        "reference": Param(str, ""),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_table,
)
