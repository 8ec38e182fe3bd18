"""Table 14.1.2 — Analysis populations: the subjects of each analysis population, n (%) of the
randomised subjects of each arm (+ Total), as the CDISC pilot's Table 14-1.01 "Summary of
Populations".

study.toml:
    [tables."14.1.2"]
    population = "ITT"            # the column N: randomised subjects, by planned treatment
    rows = [
      { population = "ITT", label = "Intent-to-treat" },        # a [populations] key
      { population = "SAF", label = "Safety" },
      { var = "EFFFL", label = "Efficacy" },                    # any ADSL flag (value "Y")
      { var = "EOSSTT", value = "COMPLETED", label = "Completed study" },
    ]
Without `rows`, every population of [populations] is counted, in that order. A subject of a
row's population who is not in the column population is not counted; a footnote says how
many there are, so no subject leaves the table unseen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import big_n_records, equals_text, indicator_records
from submission_kit.data.contracts import DatasetNeed, needs
from submission_kit.tables.cells import Shown
from submission_kit.tables.model import TableModel
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
    arm_columns,
    count_row,
    subset_of,
)

TITLE = "Summary of Analysis Populations"


def _subsets(ctx: OutputContext) -> list[Subset]:
    items: list[Mapping[str, Any]] = list(ctx.param("rows")) or [
        {"population": key} for key in ctx.study.populations]
    out = []
    for i, item in enumerate(items):
        if ("population" in item) == ("var" in item):
            raise ctx.error(f"rows[{i}]", "give either population = \"SAF\" or "
                                          "var = \"EFFFL\" (with value = \"Y\" by default)")
        out.append(subset_of(item, lambda key: ctx.study.population(key, ctx.config.where)))
    keys = [s.key for s in out]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ctx.error("rows", f"{', '.join(repeated)} counted twice")
    return out


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    variables = dict.fromkeys(s.var for s in _subsets(ctx))
    return [needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
                  f"{ctx.population.flag}:char", *variables, subject_level=True)]


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    adsl = select_population(frames["adsl"], ctx)
    groups = arm_groups(adsl, ctx)
    records = big_n_records(ctx.analysis_id, groups)
    notes = []
    everyone = frames["adsl"]
    outside = ~everyone["USUBJID"].isin(adsl["USUBJID"])
    for subset in _subsets(ctx):
        records += indicator_records(ctx.analysis_id, subset.key, subset.label, groups,
                                     equals_text(adsl[subset.var], subset.value))
        left_out = int((equals_text(everyone[subset.var], subset.value) & outside).sum())
        if left_out:
            notes.append(f"{subset.label}: {left_out} subject(s) not in the "
                         f"{ctx.population.label} are not counted.")
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx), datasets=ctx.datasets_used(["adsl"]),
        stats=tuple(records), subjects=len(adsl), notes=tuple(notes),
        methods=("Subjects in each population; percentages of N in the column",),
    )


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    columns = arm_column_keys(ctx)
    keys = [key for key, _ in columns]
    subsets = _subsets(ctx)
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", TITLE),
        columns=arm_columns(shown, columns),
        rows=tuple(count_row(shown, s.label, s.key, keys) for s in subsets),
        footnotes=(
            f"N = number of subjects in the {ctx.population.label} "
            f"({ctx.population.rule}); percentages are based on N.",
            "; ".join(f"{s.label}: {s.rule}" for s in subsets) + ".",
            *shown.notes(),
            *ctx.param("footnotes"),
        ),
        source=f"ADSL; program {SPEC.name}.py",
        stub_header="Population",
        population=ctx.population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_1_2_populations",
    title=TITLE,
    params={"rows": Param((list, tuple), (), items=SUBSET_KEYS)},
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
