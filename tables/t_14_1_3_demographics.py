"""Table 14.1.3 — Demographic and baseline characteristics, one column per arm (+ Total).

study.toml:
    [tables."14.1.3"]
    population = "ITT"
    variables = [
      { var = "AGE", label = "Age (years)" },                          # numeric: n, mean ...
      { var = "SEX", label = "Sex, n (%)", levels = ["M", "F"] },      # categorical: n (%)
      { var = "RACE", label = "Race, n (%)", display = { WHITE = "White", ASIAN = "Asian" } },
    ]
`levels` fixes the row order of a categorical variable (default: sorted) and `display` names
its values as shown.
A variable is summarised as continuous when its values are numeric, else as categorical;
`type = "categorical"` forces counts for numeric codes (and a mock shell, which has no data,
treats a variable as categorical when it has `levels` or that type). `stats` picks continuous
rows from n, mean_sd, median, q1_q3, min_max; `digits` fixes the data precision (default:
detected).

`pvalues = true` adds a p-value column comparing the arms (the Total column takes no part):
one-way ANOVA for a continuous variable, Pearson's chi-square test without continuity
correction for a categorical one (missing values left out of both), on the variable's first
statistic row, as the CDISC pilot's Table 14-2.01 shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import (
    anova_records,
    big_n_records,
    categorical_records,
    category_levels,
    chisq_records,
    continuous_records,
)
from submission_kit.data.contracts import DatasetNeed, needs
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
    select_population,
    title_lines,
)
from submission_kit.tables.summary import (
    CONTINUOUS_STATS,
    SummaryVariable,
    arm_columns,
    categorical_rows,
    continuous_rows,
)
from submission_kit.tables.survival_rows import P_COLUMN

TITLE = "Demographic and Baseline Characteristics"
VARIABLE_KEYS = ("var", "label", "type", "levels", "display", "stats", "digits")
PVALUE_METHODS = ("p-values compare the arms: one-way ANOVA for continuous variables, "
                  "Pearson's chi-square test (no continuity correction) for categorical "
                  "variables; missing values are left out.")


def _variables(ctx: OutputContext) -> list[Mapping[str, Any]]:
    items = ctx.param("variables")
    for i, item in enumerate(items):
        if "var" not in item:
            raise ctx.error(f"variables[{i}]", "expected { var = \"AGE\", label = \"...\" }")
        if item.get("type", "continuous") not in ("continuous", "categorical"):
            raise ctx.error(f"variables[{i}].type", f"{item['type']!r}: use 'continuous' or "
                                                    "'categorical'")
        bad = [s for s in item.get("stats", ()) if s not in CONTINUOUS_STATS]
        if bad:
            raise ctx.error(f"variables[{i}].stats",
                            f"unknown {bad[0]!r}; use {', '.join(CONTINUOUS_STATS)}")
    return list(items)


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    variables = [str(item["var"]) for item in _variables(ctx)]
    return [needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
                  f"{ctx.population.flag}:char", *variables, subject_level=True)]


def _summary_variable(item: Mapping[str, Any], numeric: bool | None) -> SummaryVariable:
    """`numeric` is None in a mock shell: the configuration decides alone."""
    kind = item.get("type", "")
    if kind:
        categorical = kind == "categorical"
    elif numeric is None:
        categorical = bool(item.get("levels"))
    else:
        categorical = not numeric
    return SummaryVariable(
        var=str(item["var"]),
        label=str(item.get("label", item["var"])),
        categorical=categorical,
        levels=tuple(str(v) for v in item.get("levels", ())),
        display={str(k): str(v) for k, v in item.get("display", {}).items()},
        stats=tuple(item.get("stats", CONTINUOUS_STATS)),
        digits=item.get("digits"),
    )


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    adsl = select_population(frames["adsl"], ctx)
    groups = arm_groups(adsl, ctx)
    arms = arm_groups(adsl, ctx, total=False)
    records = big_n_records(ctx.analysis_id, groups)
    levels = {}
    notes: list[str] = []
    for item in _variables(ctx):
        column = adsl[str(item["var"])]
        var = _summary_variable(item, pd.api.types.is_numeric_dtype(column))
        if var.categorical:
            levels[var.var] = category_levels(groups, var.var, var.levels)
            records += categorical_records(ctx.analysis_id, var.var, var.label, groups,
                                           levels[var.var])
        else:
            records += continuous_records(ctx.analysis_id, var.var, var.label, groups,
                                          var.digits)
        if ctx.param("pvalues"):
            found, why = (chisq_records(ctx.analysis_id, var.var, var.label, arms,
                                        levels[var.var]) if var.categorical
                          else anova_records(ctx.analysis_id, var.var, var.label, arms))
            records += found
            notes += why
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx), datasets=ctx.datasets_used(["adsl"]),
        stats=tuple(records), subjects=len(adsl), levels=levels, notes=tuple(notes),
        methods=("Continuous: n, mean, SD (n-1), median, Q1/Q3 (SAS PCTLDEF=5), min, max",
                 "Categorical: subjects per level; percentages of N in the column",
                 *((PVALUE_METHODS,) if ctx.param("pvalues") else ())),
    )


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    columns = arm_column_keys(ctx)
    keys = [key for key, _ in columns]
    pvalues = bool(ctx.param("pvalues"))
    rows = []
    for item in _variables(ctx):
        counted = shown.has_levels(str(item["var"]))  # None in a mock shell
        var = _summary_variable(item, None if counted is None else not counted)
        rows += (categorical_rows if var.categorical else continuous_rows)(
            shown, var, keys, pvalue=f"{var.var}.p" if pvalues else "")
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", TITLE),
        columns=(*arm_columns(shown, columns), *((Column(*P_COLUMN),) if pvalues else ())),
        rows=tuple(rows),
        footnotes=(
            "N = number of subjects in the population; n = number of subjects with data; "
            "percentages are based on N.",
            "SD = standard deviation; Q1, Q3 = first and third quartiles.",
            *((PVALUE_METHODS,) if pvalues else ()),
            *shown.notes(),
            *ctx.param("footnotes"),
        ),
        source=f"ADSL; program {SPEC.name}.py",
        stub_header="Characteristic",
        population=ctx.population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_1_3_demographics",
    title=TITLE,
    params={"variables": Param((list, tuple), items=VARIABLE_KEYS),
            "pvalues": Param(bool, False)},
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
