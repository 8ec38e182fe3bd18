"""Table 14.1.3 — Demographic and baseline characteristics, one column per arm (+ Total).

study.toml:
    [tables."14.1.3"]
    population = "ITT"
    variables = [
      { var = "AGE", label = "Age (years)" },                          # numeric: n, mean ...
      { var = "SEX", label = "Sex, n (%)", levels = ["M", "F"],
        display = { M = "Male", F = "Female" } },
    ]
A variable is summarised as continuous when its values are numeric, else as categorical;
`type = "categorical"` forces counts for numeric codes. `stats` picks continuous rows from
n, mean_sd, median, q1_q3, min_max; `digits` fixes the data precision (default: detected).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from submission_kit.analysis.ard import AnalysisResults, ArdBuilder
from submission_kit.data.contracts import DatasetNeed, needs
from submission_kit.tables.model import TableModel
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    OutputSpec,
    arm_subsets,
    population_rule,
    select_population,
)
from submission_kit.tables.summary import (
    CONTINUOUS_STATS,
    SummaryVariable,
    arm_columns,
    categorical_rows,
    continuous_rows,
    record_big_n,
)

TITLE = "Demographic and Baseline Characteristics"


def _variables(ctx: OutputContext) -> list[Mapping[str, Any]]:
    items = ctx.param("variables", (list, tuple))
    for i, item in enumerate(items):
        if not isinstance(item, Mapping) or "var" not in item:
            raise ctx.error(f"variables[{i}]", "expected { var = \"AGE\", label = \"...\" }")
        bad = [s for s in item.get("stats", ()) if s not in CONTINUOUS_STATS]
        if bad:
            raise ctx.error(f"variables[{i}].stats",
                            f"unknown {bad[0]!r}; use {', '.join(CONTINUOUS_STATS)}")
    return list(items)


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    variables = [str(item["var"]) for item in _variables(ctx)]
    return [needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
                  f"{ctx.population.flag}:char", *variables, subject_level=True)]


def _summary_variable(item: Mapping[str, Any], column: pd.Series) -> SummaryVariable:
    kind = item.get("type", "")
    categorical = kind == "categorical" or (
        kind != "continuous" and not pd.api.types.is_numeric_dtype(column))
    return SummaryVariable(
        var=str(item["var"]),
        label=str(item.get("label", item["var"])),
        categorical=categorical,
        levels=tuple(str(v) for v in item.get("levels", ())),
        display={str(k): str(v) for k, v in item.get("display", {}).items()},
        stats=tuple(item.get("stats", CONTINUOUS_STATS)),
        digits=item.get("digits"),
    )


def _main(frames: Frames, ctx: OutputContext) -> tuple[AnalysisResults, TableModel]:
    adsl = select_population(frames["adsl"], ctx)
    subsets = arm_subsets(adsl, ctx)
    ard = ArdBuilder(ctx.analysis_id)
    record_big_n(ard, subsets)
    rows = []
    for item in _variables(ctx):
        var = _summary_variable(item, adsl[str(item["var"])])
        layout = categorical_rows if var.categorical else continuous_rows
        rows += layout(ard, var, subsets, ctx.rounding)
    title = ctx.param("title", str, TITLE)
    results = AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=title, population=population_rule(ctx),
        datasets=ctx.datasets_used(["adsl"]), stats=tuple(ard.stats), subjects=len(adsl),
        methods=("Continuous: n, mean, SD (n-1), median, Q1/Q3 (SAS PCTLDEF=5), min, max",
                 "Categorical: subjects per level; percentages of N in the column"),
    )
    model = TableModel(
        id=ctx.id,
        title=(f"Table {ctx.id}", title, ctx.population.label),
        columns=arm_columns(subsets),
        rows=tuple(rows),
        footnotes=(
            "N = number of subjects in the population; n = number of subjects with data; "
            "percentages are based on N.",
            "SD = standard deviation; Q1, Q3 = first and third quartiles.",
            *ctx.param("footnotes", (list, tuple), ()),
        ),
        source=f"ADSL; program {SPEC.name}.py",
        stub_header="Characteristic",
        population=ctx.population.label,
    )
    return results, model


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_1_3_demographics",
    title=TITLE,
    needs=_needs,
    main=_main,
)
