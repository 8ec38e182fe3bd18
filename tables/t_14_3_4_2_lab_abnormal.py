"""Table 14.3.4.2 — Abnormal laboratory values of clinical importance: subjects with any
post-baseline value beyond a configured threshold, n (%) per arm.

study.toml (one item per criterion; items of one parameter are shown together, in the
order first listed):
    [tables."14.3.4.2"]
    population = "SAF"
    treatment_var = "TRT01A"
    dataset = "adlb"
    criteria = [
      { paramcd = "ALT", label = "Alanine aminotransferase (U/L)", above_uln = 3 },  # > 3 x ULN
      { paramcd = "ALT", above_uln = 5 },
      { paramcd = "NEUT", label = "Neutrophils (10^9/L)", below = 1.0 },   # absolute limit
      { paramcd = "LYM", below_lln = 0.5, criterion_label = "< 0.5 x LLN" },
    ]
    range_low = "ANRLO"     # lower / upper limit of normal (pilot: A1LO / A1HI)
    range_high = "ANRHI"
    post_baseline = [{ var = "AVISITN", above = 0 }]

Denominator: subjects in the arm with at least one post-baseline value of the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from submission_kit.analysis.ard import AnalysisResults, Stat
from submission_kit.analysis.descriptive import big_n_records, key_part
from submission_kit.analysis.laboratory import (
    CRITERIA,
    AbnormalParameter,
    Criterion,
    LabDesign,
    abnormal_records,
    parameter_records,
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

TITLE = "Abnormal Laboratory Values of Clinical Importance"
CRITERION_KEYS = ("paramcd", "label", "dataset", *CRITERIA, "criterion_label")
STRINGS = (list, tuple)


def _criterion(ctx: OutputContext, where: str, item: Mapping[str, Any]) -> Criterion:
    given = [k for k in CRITERIA if k in item]
    if len(given) != 1:
        raise ctx.error(where, f"give exactly one of {', '.join(CRITERIA)}")
    value = item[given[0]]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ctx.error(f"{where}.{given[0]}", f"expected a positive number, got {value!r}")
    return Criterion(given[0], float(value))


def _parameters(ctx: OutputContext) -> list[AbnormalParameter]:
    found: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(ctx.param("criteria")):
        where = f"criteria[{i}]"
        if "paramcd" not in item:
            raise ctx.error(where, 'expected { paramcd = "ALT", above_uln = 3 }')
        entry = found.setdefault(str(item["paramcd"]), {
            "dataset": str(item.get("dataset", ctx.param("dataset"))), "label": "",
            "criteria": [], "texts": []})
        if entry["dataset"] != str(item.get("dataset", entry["dataset"])):
            raise ctx.error(f"{where}.dataset", "a parameter is read from one dataset")
        criterion = _criterion(ctx, where, item)
        if criterion in entry["criteria"]:
            raise ctx.error(where, f"{item['paramcd']} {criterion.text} is listed twice")
        entry["label"] = entry["label"] or str(item.get("label", ""))
        entry["criteria"].append(criterion)
        entry["texts"].append(str(item.get("criterion_label", criterion.text)))
    if not found:
        raise ctx.error("criteria", "list at least one criterion")
    return [AbnormalParameter(e["dataset"], p, e["label"] or p, tuple(e["criteria"]),
                              tuple(e["texts"])) for p, e in found.items()]


def _design(ctx: OutputContext) -> LabDesign:
    return LabDesign(
        baseline_flag=ctx.param("baseline_flag"),
        post_baseline=parse_filters(ctx.param("post_baseline"), "post_baseline", ctx.error),
        value=ctx.param("value"),
        range_low=ctx.param("range_low"),
        range_high=ctx.param("range_high"),
    )


def _variables(design: LabDesign, param: AbnormalParameter) -> list[str]:
    """Spelled as `needs` wants them ("AVAL:num"); only the limits its criteria use."""
    kinds = {c.kind for c in param.criteria}
    return list(dict.fromkeys([
        "USUBJID:char", "PARAMCD:char", f"{design.value}:num", f"{design.baseline_flag}:char",
        *(f.var for f in design.post_baseline),
        *([f"{design.range_high}:num"] if "above_uln" in kinds else []),
        *([f"{design.range_low}:num"] if "below_lln" in kinds else [])]))


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    design = _design(ctx)
    per_dataset: dict[str, dict[str, None]] = {}
    for param in _parameters(ctx):
        per_dataset.setdefault(param.dataset, {}).update(
            dict.fromkeys(_variables(design, param)))
    return [*(needs(d, *v) for d, v in per_dataset.items()),
            needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
                  f"{ctx.population.flag}:char", subject_level=True)]


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    design = _design(ctx)
    adsl = select_population(frames["adsl"], ctx)
    groups = arm_groups(adsl, ctx)
    stats: list[Stat] = big_n_records(ctx.analysis_id, groups)
    notes: list[str] = []
    params = _parameters(ctx)
    # only the variables used, once per dataset: each parameter's selection copies less
    used: dict[str, list[str]] = {}
    for param in params:
        names = [v.split(":")[0] for v in _variables(design, param)]
        used[param.dataset] = list(dict.fromkeys([*used.get(param.dataset, []), *names]))
    narrow = {d: frames[d][names] for d, names in used.items()}
    for param in params:
        records = parameter_records(narrow[param.dataset], param.paramcd, param.dataset,
                                    f"{ctx.study.path}: {ctx.config.where} criteria")
        found, noted = abnormal_records(ctx.analysis_id, param.paramcd, param.criteria,
                                        groups, records, design)
        stats += found
        notes += noted
    datasets = dict.fromkeys(["adsl", *(p.dataset for p in params)])
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx), datasets=ctx.datasets_used(list(datasets)),
        stats=tuple(stats), subjects=len(adsl), notes=tuple(notes),
        methods=("Subjects with any post-baseline value strictly beyond the threshold; "
                 "denominator: subjects with a post-baseline value of the parameter",),
    )


def _rows(shown: Shown, param: AbnormalParameter, keys: list[str]) -> list[Row]:
    prefix = key_part(param.paramcd)
    out = [group_row(param.label, len(keys)),
           row("n", [shown.count(f"{prefix}.{k}.n") for k in keys], 1)]
    for criterion, text in zip(param.criteria, param.texts, strict=True):
        out.append(row(text, [
            shown.n_pct(f"{prefix}.{criterion.key}.{k}.n",
                        "xx" if shown.mock else int(shown.value(f"{prefix}.{k}.n")))  # type: ignore[arg-type]
            for k in keys], 1))
    return out


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    columns = arm_column_keys(ctx)
    keys = [k for k, _ in columns]
    params = _parameters(ctx)
    design = _design(ctx)
    datasets = dict.fromkeys(p.dataset.upper() for p in params)
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", TITLE),
        columns=arm_columns(shown, columns),
        rows=tuple(r for p in params for r in _rows(shown, p, keys)),
        footnotes=(
            "N = number of subjects in the population; n = subjects with at least one "
            "post-baseline value of the parameter; percentages are based on n.",
            "A subject is counted once under a criterion when any post-baseline value is "
            f"strictly beyond it. ULN = upper limit of normal ({design.range_high}); LLN = "
            f"lower limit of normal ({design.range_low}); each value is compared with its own "
            "limits.",
            f"Post-baseline: records with {describe_filters(design.post_baseline)}, "
            "baseline record excluded." if design.post_baseline else
            "Post-baseline: every record except the baseline record.",
            *shown.notes(), *ctx.param("footnotes")),
        source=f"ADSL, {', '.join(datasets)}; program {SPEC.name}.py",
        stub_header="Parameter",
        population=ctx.population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_3_4_2_lab_abnormal",
    title=TITLE,
    params={
        "dataset": Param(str, "adlb"),
        "criteria": Param(STRINGS, items=CRITERION_KEYS),
        "value": Param(str, "AVAL"),
        "range_low": Param(str, "ANRLO"),
        "range_high": Param(str, "ANRHI"),
        "baseline_flag": Param(str, "ABLFL"),
        "post_baseline": Param(STRINGS, ({"var": "AVISITN", "above": 0},), items=FILTER_KEYS),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
