"""Table 14.3.4.1 — Laboratory shift tables: baseline reference-range category against the
worst post-baseline category, n (%) per arm, for each configured parameter.

study.toml:
    [tables."14.3.4.1"]
    population = "SAF"
    treatment_var = "TRT01A"
    dataset = "adlb"                           # default dataset of the parameters
    parameters = [
      { paramcd = "ALT", label = "Alanine aminotransferase (U/L)" },
      { paramcd = "HGB", label = "Hemoglobin (g/L)", dataset = "adlbh", worst = ["low"] },
    ]
    worst = ["high", "low"]                    # a block per direction (default both)
    indicator = "ANRIND"                       # reference-range indicator
    categories = ["LOW", "NORMAL", "HIGH"]     # its values, low to high
    baseline_flag = "ABLFL"
    post_baseline = [{ var = "AVISITN", above = 0 }]   # which records are post-baseline
    value = "AVAL"                             # records without a value are not counted

Baseline is the record with ABLFL = 'Y'. "Worst high" is the highest category any
post-baseline value reached (High if any is above the range, else Normal if any is within
it, else Low); "worst low" mirrors it. Percentages are of the subjects with both a baseline
and a post-baseline category in the arm (the `n` row), which the footnotes say.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from submission_kit.analysis.ard import AnalysisResults, Stat
from submission_kit.analysis.descriptive import big_n_records, key_part
from submission_kit.analysis.laboratory import (
    CATEGORIES,
    CATEGORY_LABELS,
    DIRECTIONS,
    LabDesign,
    ShiftParameter,
    missing_baseline_note,
    parameter_records,
    shift_records,
)
from submission_kit.analysis.listings import FILTER_KEYS, describe_filters, parse_filters
from submission_kit.data.contracts import DatasetNeed, needs
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
    select_population,
    title_lines,
)
from submission_kit.tables.summary import arm_columns, group_row, row

TITLE = "Laboratory Shift from Baseline to Worst Post-Baseline Reference-Range Category"
PARAMETER_KEYS = ("paramcd", "label", "dataset", "worst")
STRINGS = (list, tuple)


def _worst(ctx: OutputContext, value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, STRINGS) or not value or any(v not in DIRECTIONS for v in value):
        raise ctx.error(key, f"expected a list of {' and/or '.join(map(repr, DIRECTIONS))}, "
                             f"got {value!r}")
    return tuple(dict.fromkeys(value))


def _parameters(ctx: OutputContext) -> list[ShiftParameter]:
    default_worst = _worst(ctx, ctx.param("worst"), "worst")
    out: list[ShiftParameter] = []
    for i, item in enumerate(ctx.param("parameters")):
        if "paramcd" not in item:
            raise ctx.error(f"parameters[{i}]", 'expected { paramcd = "ALT", label = "..." }')
        paramcd = str(item["paramcd"])
        if paramcd in {p.paramcd for p in out}:
            raise ctx.error(f"parameters[{i}].paramcd", f"{paramcd!r} is listed twice")
        worst = _worst(ctx, item["worst"], f"parameters[{i}].worst") if "worst" in item \
            else default_worst
        out.append(ShiftParameter(str(item.get("dataset", ctx.param("dataset"))), paramcd,
                                  str(item.get("label", paramcd)), worst))
    if not out:
        raise ctx.error("parameters", "list at least one laboratory parameter")
    return out


def _design(ctx: OutputContext) -> LabDesign:
    codes = ctx.param("categories")
    if len(codes) != 3 or not all(isinstance(c, str) for c in codes):
        raise ctx.error("categories", "expected the three indicator values, low to high, "
                                      f'e.g. ["LOW", "NORMAL", "HIGH"]; got {codes!r}')
    return LabDesign(
        codes=(codes[0], codes[1], codes[2]),
        indicator=ctx.param("indicator"),
        baseline_flag=ctx.param("baseline_flag"),
        post_baseline=parse_filters(ctx.param("post_baseline"), "post_baseline", ctx.error),
        value=ctx.param("value"),
    )


def _variables(design: LabDesign) -> list[str]:
    return list(dict.fromkeys(["USUBJID", "PARAMCD", design.value, design.indicator,
                               design.baseline_flag, *(f.var for f in design.post_baseline)]))


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    design = _design(ctx)
    kinds = {"USUBJID": ":char", "PARAMCD": ":char", design.value: ":num",
             design.indicator: ":char", design.baseline_flag: ":char"}
    variables = [v + kinds.get(v, "") for v in _variables(design)]
    datasets = dict.fromkeys(p.dataset for p in _parameters(ctx))
    return [*(needs(d, *variables) for d in datasets),
            needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
                  f"{ctx.population.flag}:char", subject_level=True)]


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    design = _design(ctx)
    adsl = select_population(frames["adsl"], ctx)
    groups = arm_groups(adsl, ctx)
    stats: list[Stat] = big_n_records(ctx.analysis_id, groups)
    no_baseline: dict[str, int] = {}
    params = _parameters(ctx)
    # only the variables used, once per dataset: each parameter's selection copies less
    narrow = {d: frames[d][_variables(design)] for d in dict.fromkeys(p.dataset for p in params)}
    for i, param in enumerate(params):
        records = parameter_records(narrow[param.dataset], param.paramcd, param.dataset,
                                    f"{ctx.study.path}: {ctx.config.where} parameters[{i}]")
        found, no_baseline[param.paramcd] = shift_records(
            ctx.analysis_id, param.paramcd, param.worst, groups, records, design,
            param.dataset)
        stats += found
    datasets = dict.fromkeys(["adsl", *narrow])
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx), datasets=ctx.datasets_used(list(datasets)),
        stats=tuple(stats), subjects=len(adsl),
        notes=tuple(missing_baseline_note(no_baseline)),
        methods=(f"Baseline: {design.indicator} at {design.baseline_flag} = 'Y'; worst "
                 "post-baseline category per direction; subjects with both as denominator",),
    )


def _denominator(shown: Shown, key: str) -> int | str:
    return "xx" if shown.mock else int(shown.value(key))  # type: ignore[arg-type]


def _block(shown: Shown, param: ShiftParameter, direction: str, keys: list[str]
           ) -> list[Row]:
    prefix = f"shift.{key_part(param.paramcd)}.{direction}"
    out = [group_row(f"{param.label}: worst {direction}", len(keys)),
           row("n", [shown.count(f"{prefix}.{k}.n") for k in keys], 1)]
    for base in CATEGORIES:
        for worst in CATEGORIES:
            out.append(row(f"{CATEGORY_LABELS[base]} to {CATEGORY_LABELS[worst]}", [
                shown.n_pct(f"{prefix}.{k}.{base}.{worst}.n", _denominator(shown,
                                                                           f"{prefix}.{k}.n"))
                for k in keys], 1))
    return out


def _footnotes(ctx: OutputContext, directions: Mapping[str, None]) -> list[str]:
    design = _design(ctx)
    worst = {"high": "worst high = the highest category of any post-baseline value (High if "
                     "any value is above the reference range, else Normal if any is within "
                     "it, else Low)",
             "low": "worst low = the lowest category of any post-baseline value (Low if any "
                    "value is below the reference range, else Normal if any is within it, "
                    "else High)"}
    codes = ", ".join(f"{CATEGORY_LABELS[c]} = '{v}'" for c, v in zip(CATEGORIES, design.codes,
                                                                         strict=True))
    return [
        "N = number of subjects in the population; n = subjects with a baseline and at least "
        "one post-baseline category; percentages are based on n.",
        f"Categories from {design.indicator} ({codes}). Baseline: the record with "
        f"{design.baseline_flag} = 'Y'. Post-baseline: records with "
        f"{describe_filters(design.post_baseline) or 'any visit'}, baseline record excluded. "
        f"Only records with a value ({design.value}) count.",
        "Rows read baseline to worst post-baseline category; "
        + "; ".join(worst[d] for d in directions) + ".",
    ]


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    columns = arm_column_keys(ctx)
    keys = [k for k, _ in columns]
    params = _parameters(ctx)
    rows = [r for p in params for d in p.worst for r in _block(shown, p, d, keys)]
    datasets = dict.fromkeys(p.dataset.upper() for p in params)
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", TITLE),
        columns=arm_columns(shown, columns),
        rows=tuple(rows),
        footnotes=(*_footnotes(ctx, dict.fromkeys(d for p in params for d in p.worst)),
                   *shown.notes(), *ctx.param("footnotes")),
        source=f"ADSL, {', '.join(datasets)}; program {SPEC.name}.py",
        stub_header="Parameter: baseline to worst post-baseline",
        population=ctx.population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_3_4_1_lab_shift",
    title=TITLE,
    params={
        "dataset": Param(str, "adlb"),
        "parameters": Param(STRINGS, items=PARAMETER_KEYS),
        "worst": Param(STRINGS, ("high", "low")),
        "indicator": Param(str, "ANRIND"),
        "categories": Param(STRINGS, ("LOW", "NORMAL", "HIGH")),
        "baseline_flag": Param(str, "ABLFL"),
        "post_baseline": Param(STRINGS, ({"var": "AVISITN", "above": 0},), items=FILTER_KEYS),
        "value": Param(str, "AVAL"),  # a record without a value has no category to count
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
