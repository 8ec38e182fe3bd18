"""Table 14.1.4 — Extent of exposure and compliance: continuous summaries of exposure
parameters and the subjects reaching configured durations, by actual treatment, n (%) of each
arm's N (+ Total).

study.toml:
    [tables."14.1.4"]
    population = "SAF"
    treatment_var = "TRT01A"
    dataset = "adex"                 # the BDS dataset a `paramcd` item reads (AVAL)
    parameters = [
      { paramcd = "NCYCLES", label = "Cycles received", digits = 0, at_least = { ">= 6" = 6 } },
      { paramcd = "COMPL", label = "Compliance (%)" },
      # { var = "TRTDURD", label = "Duration (days)", at_least = { ">= 4 weeks" = 28 } },
    ]
An item reads one ADSL variable (`var`) or one parameter of `dataset` (`paramcd`, one AVAL
per subject); `stats` and `digits` work as in 14.1.3. Each `at_least` entry adds a row: the
subjects whose value is at least the threshold, as n (%) of the column N. A population
subject with no record of a parameter keeps the column N (n shows who has data) and is
counted in a footnote.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import pandas as pd

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import (
    big_n_records,
    continuous_records,
    indicator_records,
    key_part,
)
from submission_kit.data.contracts import DatasetNeed, needs
from submission_kit.errors import UserError
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
    CONTINUOUS_STATS,
    SummaryVariable,
    arm_columns,
    continuous_rows,
    count_row,
)

TITLE = "Extent of Exposure and Compliance"
PARAMETER_KEYS = ("var", "paramcd", "label", "stats", "digits", "at_least")


class Exposure(NamedTuple):
    """One configured parameter: where its values come from and how it is shown (a
    NamedTuple: a spec is loaded by path, outside sys.modules, where dataclasses fail)."""

    key: str  # the ADSL variable or the PARAMCD: results key segment and frame column
    from_adsl: bool
    summary: SummaryVariable
    at_least: tuple[tuple[str, float], ...]  # (row label, threshold)

    def threshold_key(self, threshold: float) -> str:
        return f"{self.key}.at_least_{key_part(f'{threshold:g}')}"


def _parameters(ctx: OutputContext) -> list[Exposure]:
    out = []
    for i, item in enumerate(ctx.param("parameters")):
        where = f"parameters[{i}]"
        if ("var" in item) == ("paramcd" in item):
            raise ctx.error(where, "give either var = \"TRTDURD\" (ADSL) or "
                                   "paramcd = \"...\" (the dataset's PARAMCD)")
        bad = [s for s in item.get("stats", ()) if s not in CONTINUOUS_STATS]
        if bad:
            raise ctx.error(f"{where}.stats", f"unknown {bad[0]!r}; use "
                                              f"{', '.join(CONTINUOUS_STATS)}")
        out.append(_exposure(ctx, where, item))
    keys = [e.key for e in out]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ctx.error("parameters", f"{', '.join(repeated)} summarised twice")
    return out


def _exposure(ctx: OutputContext, where: str, item: Mapping[str, Any]) -> Exposure:
    key = str(item.get("var", item.get("paramcd")))
    at_least = item.get("at_least", {})
    if not isinstance(at_least, Mapping) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in at_least.values()):
        raise ctx.error(f"{where}.at_least", "expected { \">= 4 weeks\" = 28, ... } "
                                             "(row label = threshold)")
    return Exposure(
        key=key, from_adsl="var" in item,
        summary=SummaryVariable(var=key, label=str(item.get("label", key)), categorical=False,
                                stats=tuple(item.get("stats", CONTINUOUS_STATS)),
                                digits=item.get("digits")),
        at_least=tuple((str(label), float(v)) for label, v in at_least.items()))


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    parameters = _parameters(ctx)
    adsl_vars = [e.key for e in parameters if e.from_adsl]
    out = [needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
                 f"{ctx.population.flag}:char", *(f"{v}:num" for v in adsl_vars),
                 subject_level=True)]
    if any(not e.from_adsl for e in parameters):
        out.append(needs(ctx.param("dataset"), "USUBJID:char", "PARAMCD:char", "AVAL:num"))
    return out


def _values(frames: Frames, ctx: OutputContext, adsl: pd.DataFrame
            ) -> tuple[pd.DataFrame, list[str]]:
    """One row per population subject (treatment and parameters as columns), and a note for
    each parameter some subjects have no record of."""
    data = adsl[["USUBJID", ctx.treatment_var]].copy()
    notes = []
    for e in _parameters(ctx):
        if e.from_adsl:
            data[e.key] = pd.to_numeric(adsl[e.key], errors="coerce")
            continue
        name = ctx.param("dataset")
        records = frames[name][frames[name]["PARAMCD"] == e.key]
        records = records[records["USUBJID"].isin(data["USUBJID"])]
        doubled = records["USUBJID"][records["USUBJID"].duplicated()].unique()
        if len(doubled):
            raise UserError(f"{name.upper()}: PARAMCD = {e.key!r} has more than one record "
                            f"for {len(doubled)} subject(s) (e.g. {doubled[0]}); "
                            f"{ctx.config.where} needs one value per subject")
        value = pd.to_numeric(records.set_index("USUBJID")["AVAL"], errors="coerce")
        data[e.key] = data["USUBJID"].map(value)
        absent = int((~data["USUBJID"].isin(records["USUBJID"])).sum())
        if absent:
            notes.append(f"{e.summary.label}: {absent} subject(s) of the population have no "
                         f"{name.upper()} record (PARAMCD = {e.key}).")
    return data, notes


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    adsl = select_population(frames["adsl"], ctx)
    data, notes = _values(frames, ctx, adsl)
    groups = arm_groups(data, ctx)
    records = big_n_records(ctx.analysis_id, groups)
    parameters = _parameters(ctx)
    for e in parameters:
        records += continuous_records(ctx.analysis_id, e.key, e.summary.label, groups,
                                      e.summary.digits)
        for label, threshold in e.at_least:
            records += indicator_records(ctx.analysis_id, e.threshold_key(threshold),
                                         f"{e.summary.label}: {label}", groups,
                                         data[e.key] >= threshold)
    used = ["adsl"] + ([ctx.param("dataset")] if any(not e.from_adsl for e in parameters)
                       else [])
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx), datasets=ctx.datasets_used(used),
        stats=tuple(records), subjects=len(adsl), notes=tuple(notes),
        methods=("Continuous: n, mean, SD (n-1), median, Q1/Q3 (SAS PCTLDEF=5), min, max",
                 "Thresholds: subjects with a value at least the threshold; percentages "
                 "of N in the column"),
    )


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    columns = arm_column_keys(ctx)
    keys = [key for key, _ in columns]
    parameters = _parameters(ctx)
    rows = []
    for e in parameters:
        rows += continuous_rows(shown, e.summary, keys)
        rows += [count_row(shown, label, e.threshold_key(threshold), keys, indent=1)
                 for label, threshold in e.at_least]
    sources = ["ADSL"] + ([ctx.param("dataset").upper()]
                          if any(not e.from_adsl for e in parameters) else [])
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", TITLE),
        columns=arm_columns(shown, columns),
        rows=tuple(rows),
        footnotes=(
            f"N = number of subjects in the {ctx.population.label}, by {ctx.treatment_var}; "
            "n = number of subjects with data; percentages are based on N.",
            "SD = standard deviation; Q1, Q3 = first and third quartiles.",
            *shown.notes(),
            *ctx.param("footnotes"),
        ),
        source=f"{', '.join(sources)}; program {SPEC.name}.py",
        stub_header="Parameter",
        population=ctx.population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_1_4_exposure",
    title=TITLE,
    params={
        "dataset": Param(str, "adex"),
        "parameters": Param((list, tuple), items=PARAMETER_KEYS),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
