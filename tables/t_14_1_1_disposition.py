"""Table 14.1.1 — Subject disposition: subjects randomised and treated, completion status and
reasons for discontinuation, n (%) of each arm's N (+ Total), with optional Fisher's exact
tests across the arms, as the CDISC pilot's Table 14-1.02 "Summary of End of Study Data".

study.toml:
    [tables."14.1.1"]
    population = "ITT"                       # the column N
    subjects = [                             # rows of subjects counted (optional)
      { population = "ITT", label = "Randomised" },
      { population = "SAF", label = "Treated" },
    ]
    status_var = "EOSSTT"                    # completion status (ADSL)
    status_levels = ["COMPLETED", "DISCONTINUED"]          # row order (default: sorted)
    status_display = { COMPLETED = "Completed", DISCONTINUED = "Discontinued" }
    discontinued = "DISCONTINUED"            # the status whose reasons are shown
    reason_var = "DCSREAS"                   # "" for no reasons
    reasons = ["Adverse Event", "Death"]     # row order; levels not listed follow, sorted
    reason_display = { "Adverse Event" = "Adverse event" }
    fisher = true                            # p-value: status x arms, Fisher's exact test
    reason_tests = ["Adverse Event"]         # p-value on these reason rows (see below)

Reasons count the subjects with the `discontinued` status, as percentages of the column N; a
Missing row counts those among them without a reason. A reason test compares, across the
arms, the subjects with that reason against all other subjects of the population (how the
pilot's Table 14-1.02 tests "Adverse Event" and "Lack of Efficacy"). Statuses and reasons
are compared as text ignoring case; the Total column takes no part in any test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from submission_kit.analysis.ard import AnalysisResults, Stat
from submission_kit.analysis.descriptive import (
    Group,
    big_n_records,
    categorical_records,
    category_levels,
    count_levels,
    equals_text,
    fisher_records,
    indicator_records,
    key_part,
    level_text,
)
from submission_kit.data.contracts import DatasetNeed, needs
from submission_kit.tables.cells import BLANK, Shown
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    OutputSpec,
    Param,
    arm_column_keys,
    arm_groups,
    population_rule,
    select_population,
    title_lines,
)
from submission_kit.tables.summary import (
    SUBSET_KEYS,
    Subset,
    SummaryVariable,
    append_cells,
    arm_columns,
    categorical_rows,
    count_row,
    subset_of,
)
from submission_kit.tables.survival_rows import P_COLUMN

TITLE = "Subject Disposition"
LISTS = (list, tuple)
STATUS, REASON = "status", "reason"  # results key prefixes, whatever the variables are called


def _subsets(ctx: OutputContext) -> list[Subset]:
    out = []
    for i, item in enumerate(ctx.param("subjects")):
        if ("population" in item) == ("var" in item):
            raise ctx.error(f"subjects[{i}]", "give either population = \"SAF\" or "
                                              "var = \"...\" with value = \"...\"")
        out.append(subset_of(item, lambda key: ctx.study.population(key, ctx.config.where)))
    return out


def _variables(ctx: OutputContext) -> tuple[SummaryVariable, SummaryVariable | None]:
    status = SummaryVariable(
        STATUS, ctx.param("status_label"), True,
        tuple(str(v) for v in ctx.param("status_levels")),
        {str(k): str(v) for k, v in ctx.param("status_display").items()})
    if not ctx.param("reason_var"):
        return status, None
    return status, SummaryVariable(
        REASON, ctx.param("reason_label"), True, tuple(str(v) for v in ctx.param("reasons")),
        {str(k): str(v) for k, v in ctx.param("reason_display").items()})


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    variables = [s.var for s in _subsets(ctx)] + [ctx.param("status_var")]
    variables += [ctx.param("reason_var")] if ctx.param("reason_var") else []
    return [needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
                  f"{ctx.population.flag}:char", *dict.fromkeys(variables),
                  subject_level=True)]


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    adsl = select_population(frames["adsl"], ctx)
    data = adsl.assign(**{STATUS: adsl[ctx.param("status_var")]})
    if ctx.param("reason_var"):
        data[REASON] = adsl[ctx.param("reason_var")]
    groups, arms = arm_groups(data, ctx), arm_groups(data, ctx, total=False)
    records = big_n_records(ctx.analysis_id, groups)
    for subset in _subsets(ctx):
        records += indicator_records(ctx.analysis_id, subset.key, subset.label, groups,
                                     equals_text(data[subset.var], subset.value))
    status, reason = _variables(ctx)
    levels = {STATUS: category_levels(groups, STATUS, status.levels)}
    records += categorical_records(ctx.analysis_id, STATUS, status.label, groups,
                                   levels[STATUS])
    notes: list[str] = []
    if ctx.param("fisher"):
        found, why = fisher_records(ctx.analysis_id, STATUS, status.label,
                                    _counts(arms, STATUS, levels[STATUS]))
        records, notes = records + found, notes + why
    if reason is not None:
        stopped = equals_text(data[STATUS], ctx.param("discontinued"))
        levels[REASON] = category_levels([(k, lb, r[stopped[r.index]]) for k, lb, r in groups],
                                         REASON, reason.levels)
        records += categorical_records(ctx.analysis_id, REASON, reason.label, groups,
                                       levels[REASON], among=stopped)
        found, why = _reason_tests(ctx, arms)
        records, notes = records + found, notes + why
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx), datasets=ctx.datasets_used(["adsl"]),
        stats=tuple(records), subjects=len(adsl), levels=levels, notes=tuple(notes),
        methods=("Subjects per status and reason; percentages of N in the column",
                 *(("Fisher's exact test (r x c, exact enumeration) across the arms",)
                   if ctx.param("fisher") or ctx.param("reason_tests") else ())),
    )


def _counts(arms: Sequence[Group], var: str, levels: Sequence[str]) -> np.ndarray:
    """Levels x arms table of subjects (missing values left out)."""
    return np.array([[c.n for c in count_levels(level_text(rows[var]), levels, len(rows))]
                     for _, _, rows in arms]).T


def _reason_tests(ctx: OutputContext, arms: Sequence[Group]) -> tuple[list[Stat], list[str]]:
    """Each tested reason: with it / without it (all subjects of the population) x arms."""
    records: list[Stat] = []
    notes: list[str] = []
    for level in (str(v) for v in ctx.param("reason_tests")):
        having = [int(equals_text(rows[REASON], level).sum()) for _, _, rows in arms]
        table = np.array([having, [len(rows) - n for (_, _, rows), n in zip(arms, having,
                                                                            strict=True)]])
        found, why = fisher_records(ctx.analysis_id, f"{REASON}.{key_part(level)}", level,
                                    table)
        records, notes = records + found, notes + why
    return records, notes


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    columns = arm_column_keys(ctx)
    keys = [key for key, _ in columns]
    with_p = bool(ctx.param("fisher") or ctx.param("reason_tests"))
    status, reason = _variables(ctx)
    subject_rows = [count_row(shown, s.label, s.key, keys) for s in _subsets(ctx)]
    status_rows = categorical_rows(shown, status, keys,
                                   pvalue=f"{STATUS}.p" if ctx.param("fisher") else "")
    if with_p:
        subject_rows = append_cells(subject_rows, [BLANK] * len(subject_rows))
        if not ctx.param("fisher"):
            status_rows = append_cells(status_rows, [BLANK] * len(status_rows))
    rows = subject_rows + status_rows
    if reason is not None:
        rows += _reason_rows(shown, ctx, reason, keys, with_p)
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", TITLE),
        columns=(*arm_columns(shown, columns), *((Column(*P_COLUMN),) if with_p else ())),
        rows=tuple(rows),
        footnotes=(*_footnotes(ctx, reason is not None), *shown.notes(),
                   *ctx.param("footnotes")),
        source=f"ADSL; program {SPEC.name}.py",
        stub_header="Subjects",
        population=ctx.population.label,
    )


def _reason_rows(shown: Shown, ctx: OutputContext, reason: SummaryVariable,
                 keys: Sequence[str], with_p: bool) -> list[Row]:
    """Reasons, with each tested reason's p-value on its own row."""
    rows = categorical_rows(shown, reason, keys)
    if not with_p:
        return rows
    tested = {str(v).upper(): str(v) for v in ctx.param("reason_tests")}  # as configured
    cells = [shown.pvalue(f"{REASON}.{key_part(tested[level.upper()])}.p")
             if level.upper() in tested else BLANK
             for level in shown.levels(REASON, reason.levels)]
    return append_cells(rows, [BLANK, *cells, *[BLANK] * (len(rows) - 1 - len(cells))])


def _footnotes(ctx: OutputContext, reasons: bool) -> list[str]:
    out = [f"N = number of subjects in the {ctx.population.label} ({ctx.population.rule}); "
           "percentages are based on N."]
    if reasons:
        out.append(f"Reasons are given for the subjects whose {ctx.param('status_var')} is "
                   f"{ctx.param('discontinued')} ({ctx.param('reason_var')}).")
    if ctx.param("fisher"):
        out.append(f"p-value: Fisher's exact test of {ctx.param('status_var')} across the "
                   "arms.")
    if ctx.param("reason_tests"):
        out.append("p-value on a reason: Fisher's exact test across the arms of the subjects "
                   "with that reason against all other subjects.")
    return out


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_1_1_disposition",
    title=TITLE,
    params={
        "subjects": Param(LISTS, (), items=SUBSET_KEYS),
        "status_var": Param(str, "EOSSTT"),
        "status_label": Param(str, "Completion status, n (%)"),
        "status_levels": Param(LISTS, ()),
        "status_display": Param(Mapping, {}),
        "discontinued": Param(str, "DISCONTINUED"),
        "reason_var": Param(str, "DCSREAS"),
        "reason_label": Param(str, "Reason for discontinuation, n (%)"),
        "reasons": Param(LISTS, ()),
        "reason_display": Param(Mapping, {}),
        "fisher": Param(bool, False),
        "reason_tests": Param(LISTS, ()),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
