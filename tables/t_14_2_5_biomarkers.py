"""Table 14.2.5 — Biomarkers by visit: value and change from baseline by visit and arm, with
geometric means, geometric CVs and geometric mean ratios to baseline for parameters declared
log-normal; biomarkers measured at baseline only (ADSL variables) are summarised as such.

study.toml:
    [tables."14.2.5"]
    population = "ITT"
    dataset = "adlb"
    visits = ["Month 3", "Month 6", "Month 12", "Month 18"]
    parameters = [
      { paramcd = "TREG", label = "Regulatory T cells (% of CD4+)", log_normal = true },
    ]
    baseline_variables = [                       # ADSL, baseline only (optional)
      { var = "PNFHBL", label = "CSF pNFH at baseline (pg/mL)", log_normal = true, by = "PNFHGR1" },
    ]
`digits` (per item) fixes the data precision (default: detected); `record_flag`,
`baseline_flag` and the visit variables are as in 14.2.3.

`by` (a character ADSL variable, at most 10 levels; optional, with `by_label` and `levels`)
adds the same summary within each of its levels (configured `levels` order first, then any
other level in the data), with Q1, Q3
shown for the item: results '<VAR>.by.<BY>.<level>.<arm>.<stat>' and the level order under
levels[<BY>]; Figure 14.2.5 draws them as box plots (`baseline_panel`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from submission_kit.analysis.ard import AnalysisResults, Stat
from submission_kit.analysis.descriptive import (
    big_n_records,
    category_levels,
    key_part,
    level_text,
)
from submission_kit.analysis.longitudinal import (
    VisitSummaryDesign,
    stratum_prefix,
    stratum_summary_records,
    summary_records,
    visit_key,
    visit_summary_records,
    visit_times,
)
from submission_kit.data.contracts import DatasetNeed
from submission_kit.fmt import decimals_of
from submission_kit.tables.cells import Shown
from submission_kit.tables.model import Row, TableModel
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    OutputSpec,
    Param,
    arm_column_keys,
    arm_groups,
    population_rule,
    title_lines,
)
from submission_kit.tables.summary import arm_columns, group_row
from submission_kit.tables.visit_data import (
    STRINGS,
    VISIT_PARAMS,
    population_subjects,
    visit_needs,
    visit_records,
)
from submission_kit.tables.visit_rows import (
    GEOMETRIC_STATS,
    VISIT_STATS,
    VisitLayout,
    ratio_rows,
    summary_rows,
)

TITLE = "Biomarkers by Visit"
PARAMETER_KEYS = ("paramcd", "label", "log_normal", "digits")
BASELINE_KEYS = ("var", "label", "log_normal", "digits", "by", "by_label", "levels")
MAX_LEVELS = 10  # a stratum variable is categorical: a box per level and arm must stay legible


def _items(ctx: OutputContext, key: str, required: str) -> list[Mapping[str, Any]]:
    items = list(ctx.param(key))
    for i, item in enumerate(items):
        if required not in item:
            raise ctx.error(f"{key}[{i}]", f"expected {{ {required} = \"...\", label = ... }}")
        if not isinstance(item.get("log_normal", False), bool):
            raise ctx.error(f"{key}[{i}].log_normal", "expected true or false")
    return items


def _baseline_items(ctx: OutputContext) -> list[Mapping[str, Any]]:
    """The baseline variables, their `by` options checked (no data needed)."""
    items = _items(ctx, "baseline_variables", "var")
    for i, item in enumerate(items):
        where = f"baseline_variables[{i}]"
        by = item.get("by")
        if by is None:
            for key in ("by_label", "levels"):
                if key in item:
                    raise ctx.error(f"{where}.{key}", "needs `by`: the ADSL variable whose "
                                                      "levels it describes")
            continue
        if not isinstance(by, str) or not by.strip():
            raise ctx.error(f"{where}.by", "expected the name of a character ADSL variable, "
                                           "e.g. by = \"PNFHGR1\"")
        if by == item["var"]:
            raise ctx.error(f"{where}.by", f"{by!r} is the summarised variable itself")
        if by in (ctx.treatment_var, ctx.population.flag):
            raise ctx.error(f"{where}.by", f"{by!r} is the treatment or population variable; "
                                           "the arms are the table's columns already")
        levels = item.get("levels", ())
        if not isinstance(levels, (list, tuple)) or not all(isinstance(v, str) for v in levels):
            raise ctx.error(f"{where}.levels", "expected a list of level texts")
    return items


def _baseline_vars(ctx: OutputContext) -> list[str]:
    """The ADSL variables read: each summarised variable and its `by` variable."""
    names = [str(i["var"]) for i in _baseline_items(ctx)]
    names += [str(i["by"]) for i in _baseline_items(ctx) if i.get("by")]
    return list(dict.fromkeys(names))


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    return visit_needs(ctx, _baseline_vars(ctx))


def by_prefix(item: Mapping[str, Any]) -> str:
    """Results-key prefix of an item's per-level summaries (Figure 14.2.5 reads them)."""
    return stratum_prefix(str(item["var"]), str(item["by"]))


def _strata(ctx: OutputContext, subjects: pd.DataFrame, i: int, item: Mapping[str, Any]
            ) -> tuple[tuple[str, ...], list[str]]:
    """The levels of the item's `by` variable (configured order first) and notes; a variable
    that is not categorical is refused, naming the key."""
    by, where = str(item["by"]), f"baseline_variables[{i}].by"
    column = subjects[by]
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        raise ctx.error(where, f"ADSL {by} is numeric: a stratum variable must be character "
                               "(its text grouping, e.g. PNFHGR1 rather than PNFHGR1N)")
    groups = [("all", "", subjects)]
    levels = category_levels(groups, by, [str(v) for v in item.get("levels", ())])
    if len(levels) > MAX_LEVELS:
        raise ctx.error(where, f"ADSL {by} has {len(levels)} levels (at most {MAX_LEVELS}): "
                               "a stratum variable must be categorical")
    missing = int((level_text(column).isna() & subjects[str(item["var"])].notna()).sum())
    label = str(item.get("label", item["var"]))
    notes = ([f"{label}: {missing} subject(s) with no {item.get('by_label', by)} are in the "
              "overall summary only."] if missing else [])
    return levels, notes


def _digits(item: Mapping[str, Any], values: pd.Series) -> int:
    digits = item.get("digits")
    return int(digits) if digits is not None else decimals_of(values.dropna().tolist())


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    subjects = population_subjects(frames, ctx, _baseline_vars(ctx))
    arms = tuple(a.key for a in ctx.arms)
    visits = tuple(str(v) for v in ctx.param("visits"))
    records: list[Stat] = big_n_records(ctx.analysis_id, arm_groups(subjects, ctx, total=False))
    notes: list[str] = []
    times: tuple[float, ...] = ()
    for item in _items(ctx, "parameters", "paramcd"):
        paramcd = str(item["paramcd"])
        data = visit_records(frames, ctx, paramcd, subjects)
        times = times or visit_times(data, visits)
        design = VisitSummaryDesign(arms, visits, _digits(item, data["AVAL"]),
                                    bool(item.get("log_normal", False)), ctx.param("change"))
        found, more = visit_summary_records(ctx.analysis_id, f"{key_part(paramcd)}.", data,
                                            design)
        records += found
        notes += [f"{item.get('label', paramcd)}: {n}" for n in more]
    levels: dict[str, tuple[str, ...]] = {"visit": visits}
    for i, item in enumerate(_baseline_items(ctx)):
        var = str(item["var"])
        label, digits = str(item.get("label", var)), _digits(item, subjects[var])
        geometric = bool(item.get("log_normal", False))
        by_arm = {a: subjects.loc[subjects["ARM"] == a, var] for a in arms}
        records += summary_records(ctx.analysis_id, f"{key_part(var)}.baseline", label, by_arm,
                                   digits, geometric)
        if item.get("by"):
            by = str(item["by"])
            strata, more = _strata(ctx, subjects, i, item)
            levels.setdefault(by, strata)
            records += stratum_summary_records(ctx.analysis_id, by_prefix(item), label,
                                               subjects, var, by, levels[by], arms, digits,
                                               geometric)
            notes += more
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx),
        datasets=ctx.datasets_used(["adsl", ctx.param("dataset")]),
        stats=tuple(records), subjects=len(subjects), notes=tuple(notes),
        levels=levels, series={"visit.VISITN": times},
        methods=("By-visit summaries: n, mean, SD (n-1), SE, median, quartiles (SAS "
                 "PCTLDEF=5), range",
                 "Log-normal parameters: geometric mean exp(mean ln x), geometric CV "
                 "100 sqrt(exp(s^2) - 1), geometric mean ratio to baseline with t-based 95% "
                 "CI on the log scale"))


# ---- layout ---------------------------------------------------------------------------------

def _layout_for(shown: Shown, ctx: OutputContext, item: Mapping[str, Any], prefix: str
                ) -> VisitLayout:
    stats = [str(s) for s in ctx.param("stats")]
    bad = [s for s in stats if s not in VISIT_STATS]
    if bad:
        raise ctx.error("stats", f"unknown {bad[0]!r}; use {', '.join(VISIT_STATS)}")
    if item.get("by"):  # the box plot's statistics are all in the table: median, Q1-Q3, range
        stats = [s for s in VISIT_STATS if s in {*stats, "median", "q1_q3", "min_max"}]
    if item.get("log_normal"):
        stats += [s for s in ctx.param("geometric_stats") if s not in stats]
    arms = tuple(a.key for a in ctx.arms)
    digits = shown.digits(f"{prefix}.{arms[0]}.mean", int(item.get("digits") or 0))
    return VisitLayout(arms, {a.key: a.label for a in ctx.arms}, tuple(stats), digits)


def _parameter_rows(shown: Shown, ctx: OutputContext, item: Mapping[str, Any]) -> list[Row]:
    paramcd = key_part(str(item["paramcd"]))
    lay = _layout_for(shown, ctx, item, f"{paramcd}.aval.baseline")
    arithmetic = VisitLayout(lay.arms, lay.labels,
                             tuple(s for s in lay.stats if s not in GEOMETRIC_STATS),
                             lay.digits)
    rows = [group_row(str(item.get("label", paramcd)), len(lay.arms))]
    rows += summary_rows(shown, lay, f"{paramcd}.aval.baseline", ctx.param("baseline_label"), 1)
    for visit in ctx.param("visits"):
        key = visit_key(str(visit))
        rows.append(Row(str(visit), ("",) * len(lay.arms), 1))
        rows += summary_rows(shown, lay, f"{paramcd}.aval.{key}", "Value", 2)
        if ctx.param("change"):
            rows += summary_rows(shown, arithmetic, f"{paramcd}.chg.{key}",
                                 "Change from baseline", 2)
        if item.get("log_normal"):
            rows += ratio_rows(shown, lay, f"{paramcd}.ratio.{key}", 2)
    return rows


def _baseline_rows(shown: Shown, ctx: OutputContext, item: Mapping[str, Any]) -> list[Row]:
    var = key_part(str(item["var"]))
    lay = _layout_for(shown, ctx, item, f"{var}.baseline")
    rows = summary_rows(shown, lay, f"{var}.baseline", str(item.get("label", var)), 0)
    if item.get("by"):
        by = str(item["by"])
        name = str(item.get("by_label", by))
        for level in shown.levels(by, [str(v) for v in item.get("levels", ())]):
            rows += summary_rows(shown, lay, f"{by_prefix(item)}.{key_part(level)}",
                                 f"{name}: {level}", 1)
    return rows


def _by_text(item: Mapping[str, Any]) -> str:
    if not item.get("by"):
        return ""
    return (f", overall and within each level of {item.get('by_label', item['by'])} "
            f"(ADSL {item['by']}); Q1, Q3 = first and third quartiles")


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    rows: list[Row] = []
    for item in _items(ctx, "parameters", "paramcd"):
        rows += _parameter_rows(shown, ctx, item)
    for item in _baseline_items(ctx):
        rows += _baseline_rows(shown, ctx, item)
    geometric = any(i.get("log_normal") for i in ctx.param("parameters"))
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", TITLE),
        columns=arm_columns(shown, arm_column_keys(ctx, total=False)),
        rows=tuple(rows),
        footnotes=(
            "N = subjects in the population; n = subjects with a value. SD = standard "
            "deviation; CV = coefficient of variation; CI = confidence interval.",
            *(["Log-normal parameters: geometric mean = exp(mean of ln values); geometric CV% "
               "= 100 x sqrt(exp(s^2) - 1), s = SD of ln values; geometric mean ratio to "
               "baseline with a t-based 95% CI on the log scale (subjects with both values)."]
              if geometric else []),
            *[f"{i.get('label', i['var'])}: baseline value only (ADSL {i['var']}){_by_text(i)}; "
              "no post-baseline values are summarised." for i in _baseline_items(ctx)],
            *shown.notes(),
            *ctx.param("footnotes"),
        ),
        source=f"ADSL, {ctx.param('dataset').upper()}; program {SPEC.name}.py",
        stub_header="Parameter / visit",
        population=ctx.population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_2_5_biomarkers",
    title=TITLE,
    params={
        **VISIT_PARAMS,
        "dataset": Param(str, "adlb"),
        "parameters": Param(STRINGS, items=PARAMETER_KEYS),
        "baseline_variables": Param(STRINGS, (), items=BASELINE_KEYS),
        "geometric_stats": Param(STRINGS, ("gmean_gcv",)),
        "change": Param(bool, True),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
