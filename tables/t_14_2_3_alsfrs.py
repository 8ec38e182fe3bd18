"""Table 14.2.3 — A repeated continuous endpoint (ALSFRS-R total score): value and change
from baseline by visit and arm; the treatment difference at the landmark visit by MMRM and by
ANCOVA; and the rate of change by a random intercept and slope model.

study.toml:
    [tables."14.2.3"]
    population = "ITT"
    dataset = "adqs"
    paramcd = "ALSFRST"
    endpoint_label = "ALSFRS-R total score"
    visits = ["Month 3", "Month 6", "Month 9", "Month 12", "Month 15", "Month 18"]
    landmark = "Month 18"               # the primary comparison (a visit in `visits`)
    # model_visits = ["Month 6", "Month 12", "Month 18"]   # MMRM visits (default: `visits`)
    # covariates = ["ONSET"]            # ADSL variables, besides baseline (optional)
    baseline_by_visit = false           # baseline x visit interaction in the MMRM
    covariance = ["un", "toeph", "ar1", "cs"]  # MMRM structures, in order of preference
    reference = "PBO"                   # comparator (default: first arm), or instead:
    # comparisons = [{ arm = "XANH", versus = "XANL" }]
    # dose_var = "TRT01PN"              # ADSL numeric dose: dose-response test (optional)
    # record_flag = "ANL01FL"           # only records flagged "Y" (optional)
    # imputed_var = "DTYPE"             # non-blank: an imputed record (LOCF), used by the
    #                                   # summaries and the ANCOVA, never by the MMRM/slopes
    mmrm = true
    ancova = true
    slope = true
    time_unit = "month"
    # baseline = false                  # an outcome with no baseline (CIBIC+, itself a rating
    #                                   # of change): values by visit, no baseline or change
    #                                   # rows, ANCOVA of the value without a baseline
    #                                   # covariate; needs mmrm = false; BASE, CHG and ABLFL
    #                                   # are then not read

Imputed records are shown and analysed as the dataset defines them (ANL01FL, DTYPE); the MMRM
and the slope model use observed values only (missing at random).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import big_n_records
from submission_kit.analysis.longitudinal import (
    VisitSummaryDesign,
    visit_key,
    visit_summary_records,
    visit_times,
)
from submission_kit.analysis.mmrm import STRUCTURES
from submission_kit.analysis.visit_models import (
    DEFAULT_STRUCTURES,
    ChangeDesign,
    change_model_records,
    software,
)
from submission_kit.data.contracts import DatasetNeed
from submission_kit.fmt import decimals_of
from submission_kit.tables.cells import BLANK, Shown
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
from submission_kit.tables.summary import arm_columns, group_row, row
from submission_kit.tables.visit_data import (
    STRINGS,
    VISIT_PARAMS,
    population_subjects,
    visit_needs,
    visit_records,
)
from submission_kit.tables.visit_rows import (
    VISIT_STATS,
    EstimateFormat,
    VisitLayout,
    comparison_rows,
    count_row,
    per_arm_rows,
    summary_rows,
)

TITLE = "Change from Baseline by Visit"
TITLE_NO_BASELINE = "Summary by Visit"
# Keys that only mean something when the endpoint has a baseline.
_BASELINE_KEYS = ("baseline_by_visit", "baseline_flag", "baseline_label")


def _list(ctx: OutputContext, key: str) -> list[str]:
    return [str(v) for v in ctx.param(key)]


def _adsl_vars(ctx: OutputContext) -> list[str]:
    dose = [ctx.param("dose_var")] if ctx.param("dose_var") else []
    return list(dict.fromkeys(_list(ctx, "covariates") + dose))


def _baseline(ctx: OutputContext) -> bool:
    """`baseline = false`: checked against the keys that need a baseline, so a configuration
    that asks for both is refused rather than silently half-applied."""
    if ctx.param("baseline"):
        return True
    for key in _BASELINE_KEYS:
        if key in ctx.config.params:
            raise ctx.error(key, "has no meaning with baseline = false (an endpoint with no "
                                 "baseline); remove it")
    if ctx.param("mmrm"):
        raise ctx.error("mmrm", "the MMRM models change from baseline; with baseline = false "
                                "set mmrm = false")
    return False


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    found = visit_needs(ctx, _adsl_vars(ctx))
    if _baseline(ctx):
        return found
    unread = {"BASE", "CHG", ctx.param("baseline_flag")}
    return [replace(n, variables=tuple(v for v in n.variables if v.name not in unread))
            if n.dataset == ctx.param("dataset") else n for n in found]


def _frames(frames: Frames, ctx: OutputContext) -> Frames:
    """With no baseline the dataset need not carry BASE, CHG or a baseline flag: the long
    frame gets them empty (a flag the dataset does have still marks its baseline records,
    which are then left out of every visit)."""
    if _baseline(ctx):
        return frames
    name = ctx.param("dataset")
    empty = {"BASE": np.nan, "CHG": np.nan, ctx.param("baseline_flag"): ""}
    added = {k: v for k, v in empty.items() if k not in frames[name].columns}
    return {**frames, name: frames[name].assign(**added)} if added else frames


def _comparisons(ctx: OutputContext) -> tuple[tuple[str, str], ...]:
    keys = [a.key for a in ctx.arms]
    reference = ctx.param("reference") or keys[0]
    items = ctx.param("comparisons")
    pairs = ([(str(i.get("arm", "")), str(i.get("versus", ""))) for i in items] if items
             else [(k, reference) for k in keys if k != reference])
    for i, (arm, versus) in enumerate(pairs):
        for value, what in ((arm, "arm"), (versus, "versus")):
            if value not in keys:
                where = f"comparisons[{i}].{what}" if items else "reference"
                raise ctx.error(where, f"{value!r} is not an arm key ({', '.join(keys)})")
    return tuple(pairs)


def _design(ctx: OutputContext, digits: int) -> ChangeDesign:
    visits = _list(ctx, "visits")
    landmark = ctx.param("landmark")
    if landmark not in visits:
        raise ctx.error("landmark", f"{landmark!r} is not one of visits ({', '.join(visits)})")
    model_visits = _list(ctx, "model_visits") or visits
    if ctx.param("mmrm") and landmark not in model_visits:
        raise ctx.error("model_visits", f"must include the landmark {landmark!r}")
    structures = _list(ctx, "covariance")
    unknown = [s for s in structures if s not in STRUCTURES or s == "rirs"]
    if unknown or not structures:
        raise ctx.error("covariance", f"{unknown[0] if unknown else '[]'!r}: use one or more "
                                      "of un, toeph, toep, ar1, cs")
    return ChangeDesign(
        arms=tuple(a.key for a in ctx.arms), labels=tuple(a.label for a in ctx.arms),
        comparisons=_comparisons(ctx), landmark=landmark,
        model_visits=tuple(model_visits),
        covariates=tuple(_list(ctx, "covariates")),
        baseline_by_visit=ctx.param("baseline_by_visit"), structures=tuple(structures),
        dose=ctx.param("dose_var"), digits=digits, mmrm=ctx.param("mmrm"),
        ancova=ctx.param("ancova"), slope=ctx.param("slope"), baseline=_baseline(ctx))


def _digits(ctx: OutputContext, data_values: list[float] | None = None) -> int:
    configured = ctx.param("digits")
    if configured is not None or data_values is None:
        return configured or 0
    return decimals_of(data_values)


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    subjects = population_subjects(frames, ctx, _adsl_vars(ctx))
    data = visit_records(_frames(frames, ctx), ctx, ctx.param("paramcd"), subjects)
    digits = _digits(ctx, data["AVAL"].dropna().tolist())
    design = _design(ctx, digits)
    visits = tuple(_list(ctx, "visits"))
    summary, notes = visit_summary_records(ctx.analysis_id, "", data, VisitSummaryDesign(
        design.arms, visits, digits, baseline=design.baseline))
    models = change_model_records(ctx.analysis_id, data, subjects, design)
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or _title(ctx),
        population=population_rule(ctx),
        datasets=ctx.datasets_used(["adsl", ctx.param("dataset")]),
        stats=tuple(big_n_records(ctx.analysis_id, arm_groups(subjects, ctx, total=False))
                    + summary + list(models.stats)),
        subjects=len(subjects), notes=tuple(notes) + models.notes,
        levels={"visit": visits, "model_visit": design.model_visits},
        series={"visit.VISITN": visit_times(data, visits),
                "model_visit.VISITN": visit_times(data, design.model_visits)},
        methods=("By-visit summaries: n, mean, SD (n-1), SE, median, quartiles (SAS "
                 "PCTLDEF=5), range", *models.methods, f"Software: {software()}"))


# ---- layout ---------------------------------------------------------------------------------

def _visit_layout(shown: Shown, ctx: OutputContext) -> VisitLayout:
    arms = tuple(a.key for a in ctx.arms)
    stats = tuple(_list(ctx, "stats"))
    bad = [s for s in stats if s not in VISIT_STATS[:6]]
    if bad:
        raise ctx.error("stats", f"unknown {bad[0]!r}; use {', '.join(VISIT_STATS[:6])}")
    first = "baseline" if ctx.param("baseline") else visit_key(_list(ctx, "visits")[0])
    digits = shown.digits(f"aval.{first}.{arms[0]}.mean", _digits(ctx))
    return VisitLayout(arms, {a.key: a.label for a in ctx.arms}, stats, digits)


def _summary_rows(shown: Shown, ctx: OutputContext, lay: VisitLayout) -> list[Row]:
    if not ctx.param("baseline"):  # the value at each visit, straight under the visit
        return [r for visit in _list(ctx, "visits") for r in (
            group_row(visit, len(lay.arms)),
            *summary_rows(shown, lay, f"aval.{visit_key(visit)}", "", 1))]
    rows = summary_rows(shown, lay, "aval.baseline", ctx.param("baseline_label"), 0)
    for visit in _list(ctx, "visits"):
        key = visit_key(visit)
        rows.append(group_row(visit, len(lay.arms)))
        rows += summary_rows(shown, lay, f"aval.{key}", "Value", 1)
        rows += summary_rows(shown, lay, f"chg.{key}", "Change from baseline", 1)
    return rows


def _model_rows(shown: Shown, ctx: OutputContext, lay: VisitLayout) -> list[Row]:
    landmark, width = ctx.param("landmark"), len(lay.arms)
    key, pairs = visit_key(landmark), _comparisons(ctx)
    est = EstimateFormat(lay.digits + 1, lay.digits + 2)
    rows: list[Row] = []
    if ctx.param("mmrm"):
        rows += [group_row(f"MMRM, change from baseline at {landmark} ({_structure(shown)})",
                           width),
                 count_row(shown, lay, "mmrm.n", "Subjects analysed, n", 1),
                 *per_arm_rows(shown, lay, f"mmrm.lsmean.{key}", "LS mean", est, 1),
                 *comparison_rows(shown, lay, f"mmrm.diff.{key}", "Difference in LS means",
                                  pairs, est, 1)]
    if ctx.param("ancova"):
        rows += [group_row(f"ANCOVA, {_modelled(ctx)} at {landmark} ({_records(ctx)})", width),
                 count_row(shown, lay, "ancova.n", "Subjects analysed, n", 1),
                 *per_arm_rows(shown, lay, "ancova.lsmean", "LS mean", est, 1),
                 *comparison_rows(shown, lay, "ancova.diff", "Difference in LS means", pairs,
                                  est, 1)]
        if ctx.param("dose_var"):
            rows.append(row("p-value, linear dose response",
                            [BLANK] * (width - 1) + [shown.pvalue("ancova.dose.p")], 1))
    if ctx.param("slope"):
        rate = EstimateFormat(lay.digits + 2, lay.digits + 3)
        unit = ctx.param("time_unit")
        rows += [group_row(f"Rate of change per {unit} to {landmark} (random intercept and "
                           "slope model)", width),
                 count_row(shown, lay, "slope.n", "Subjects analysed, n", 1),
                 *per_arm_rows(shown, lay, "slope.rate", f"Slope per {unit}", rate, 1),
                 *comparison_rows(shown, lay, "slope.diff", "Difference in slope", pairs,
                                  rate, 1)]
    return rows


def _structure(shown: Shown) -> str:
    """The covariance the MMRM used, as the analysis recorded it (its row label)."""
    if shown.mock or not shown.has("mmrm.structure"):
        return "<structure> covariance"
    used = str(shown.value("mmrm.structure"))
    return f"{used} covariance" if used else "no covariance structure could be fitted"


def _modelled(ctx: OutputContext) -> str:
    return "change from baseline" if ctx.param("baseline") else "value"


def _title(ctx: OutputContext) -> str:
    return TITLE if ctx.param("baseline") else TITLE_NO_BASELINE


def _records(ctx: OutputContext) -> str:
    if not ctx.param("imputed_var"):
        return "observed cases"
    return ctx.param("imputation_label") or "with imputed values as the dataset defines them"


def _footnotes(ctx: OutputContext) -> list[str]:
    landmark, unit = ctx.param("landmark"), ctx.param("time_unit")
    covariates = ctx.param("covariates_label") or ", ".join(_list(ctx, "covariates"))
    extra = f", {covariates}" if covariates else ""
    base = "baseline x visit" if ctx.param("baseline_by_visit") else "baseline"
    order = ", ".join(STRUCTURES[s] for s in _list(ctx, "covariance") if s in STRUCTURES)
    notes = ["N = subjects in the population; n = subjects with a value. SD = standard "
             "deviation; SE = standard error; LS = least squares; CI = confidence interval; "
             "NE = not estimable."]
    if ctx.param("mmrm"):
        visits = ", ".join(_list(ctx, "model_visits") or _list(ctx, "visits"))
        notes.append(
            f"MMRM: change from baseline at {visits} on treatment x visit, {base}{extra}; "
            f"covariance across visits pre-specified in the order {order} (the first that "
            "converges to a positive definite matrix is used and named above); REML; LS means "
            "at the mean baseline (factor levels weighted equally); model-based SEs and "
            "Satterthwaite degrees of freedom (no Kenward-Roger adjustment); observed values.")
    if ctx.param("ancova"):
        dose = (f" Dose response: the same model with {ctx.param('dose_var')} as a numeric "
                "covariate instead of treatment." if ctx.param("dose_var") else "")
        model = (f"change from baseline at {landmark} on treatment, baseline{extra} "
                 f"({_records(ctx)})" if ctx.param("baseline") else
                 f"value at {landmark} ({_records(ctx)}) on treatment{extra}, with no baseline "
                 "covariate (the endpoint has no baseline)")
        notes.append(f"ANCOVA: {model}; t-based CIs and p-values on the residual degrees of "
                     f"freedom.{dose}")
    if ctx.param("slope"):
        span = "baseline" if ctx.param("baseline") else "first visit"
        notes.append(
            f"Slopes: value on time ({ctx.param('visit_order_var')}, in {unit}s) x treatment, "
            f"with a random intercept and slope per subject (unstructured 2 x 2) and "
            f"independent errors; {span} to {landmark}, observed values; REML; Satterthwaite "
            "degrees of freedom.")
    notes.append(_software(ctx))
    return notes


def _software(ctx: OutputContext) -> str:
    if ctx.param("mmrm") or ctx.param("slope"):
        return (f"Software: submission-kit (MMRM and slopes: its own GLS/REML fit on "
                f"{software()}, checked in its test suite against statsmodels MixedLM and "
                "published SAS PROC MIXED results; ANCOVA: ordinary least squares).")
    return (f"Software: submission-kit (ANCOVA: ordinary least squares on {software()}, checked "
            "in its test suite against statsmodels OLS).")


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    _design(ctx, 0)  # configuration errors surface in a mock shell too
    lay = _visit_layout(shown, ctx)
    label = ctx.param("endpoint_label") or ctx.param("paramcd")
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", f"{label}: {_title(ctx)}"),
        columns=arm_columns(shown, arm_column_keys(ctx, total=False)),
        rows=tuple(_summary_rows(shown, ctx, lay) + _model_rows(shown, ctx, lay)),
        footnotes=(*_footnotes(ctx), *shown.notes(), *ctx.param("footnotes")),
        source=f"ADSL, {ctx.param('dataset').upper()} (PARAMCD = {ctx.param('paramcd')}); "
               f"program {SPEC.name}.py",
        stub_header="Visit",
        population=ctx.population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_2_3_alsfrs",
    title=TITLE,
    params={
        **VISIT_PARAMS,
        "dataset": Param(str, "adqs"),
        "paramcd": Param(str),
        "endpoint_label": Param(str, ""),
        "landmark": Param(str),
        "model_visits": Param(STRINGS, ()),
        "covariates": Param(STRINGS, ()),
        "covariates_label": Param(str, ""),
        "baseline_by_visit": Param(bool, False),
        "covariance": Param(STRINGS, DEFAULT_STRUCTURES),
        "reference": Param(str, ""),
        "comparisons": Param(STRINGS, (), items=("arm", "versus")),
        "dose_var": Param(str, ""),
        "imputation_label": Param(str, ""),
        "mmrm": Param(bool, True),
        "ancova": Param(bool, True),
        "slope": Param(bool, True),
        "time_unit": Param(str, "month"),
        "baseline": Param(bool, True),
        "digits": Param(int, None),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
