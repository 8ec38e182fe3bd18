"""Visit-based data shared by the by-visit tables (14.2.3, 14.2.5): one BDS dataset (ADQS,
ADLB, ADADAS) joined to the ADSL population, as the long frame `analysis.longitudinal.RECORD`.

Treatment and population come from ADSL, the subject-level source of truth. Which records
count is configured, never guessed: `record_flag` keeps records flagged "Y" (ANL01FL),
`imputed_var` marks derived records (DTYPE = "LOCF"), `baseline_flag` marks the baseline record
(ABLFL). More than one record per subject, parameter and visit after that selection is an
error that says which variable would choose among them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from submission_kit.analysis.longitudinal import visit_key
from submission_kit.data.contracts import DatasetNeed, needs
from submission_kit.errors import UserError
from submission_kit.tables.spec import Frames, OutputContext, Param, select_population

STRINGS = (list, tuple)
VISIT_PARAMS = {
    "dataset": Param(str),
    "visits": Param(STRINGS),  # post-baseline visits shown, in order (AVISIT values)
    "visit_var": Param(str, "AVISIT"),
    "visit_order_var": Param(str, "AVISITN"),  # numeric: orders visits; time in slope models
    "baseline_flag": Param(str, "ABLFL"),
    "baseline_label": Param(str, "Baseline"),
    "record_flag": Param(str, ""),  # e.g. "ANL01FL": only records with this flag = "Y"
    "imputed_var": Param(str, ""),  # e.g. "DTYPE": a non-blank value marks an imputed record
    "stats": Param(STRINGS, ("n", "mean_sd", "median", "min_max")),
}


def visit_needs(ctx: OutputContext, adsl_vars: Sequence[str]) -> list[DatasetNeed]:
    flags = [f"{ctx.param(k)}:char" for k in ("record_flag", "imputed_var") if ctx.param(k)]
    return [
        needs(ctx.param("dataset"), "USUBJID:char", "PARAMCD:char",
              f"{ctx.param('visit_var')}:char", f"{ctx.param('visit_order_var')}:num",
              "AVAL:num", "BASE:num", "CHG:num", f"{ctx.param('baseline_flag')}:char", *flags),
        needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
              f"{ctx.population.flag}:char", *adsl_vars, subject_level=True),
    ]


def population_subjects(frames: Frames, ctx: OutputContext, adsl_vars: Sequence[str]
                        ) -> pd.DataFrame:
    """USUBJID, ARM (arm key) and the ADSL variables asked for, one row per subject."""
    columns = ["USUBJID", ctx.treatment_var, ctx.population.flag,
               *[v for v in adsl_vars if v not in (ctx.treatment_var, ctx.population.flag)]]
    adsl = select_population(frames["adsl"][list(dict.fromkeys(columns))], ctx)
    adsl["ARM"] = adsl[ctx.treatment_var].map({a.value: a.key for a in ctx.arms})
    return adsl.reset_index(drop=True)


def visit_records(frames: Frames, ctx: OutputContext, paramcd: str,
                  subjects: pd.DataFrame) -> pd.DataFrame:
    """The long frame of one parameter for the population subjects, with their ADSL
    variables; checked: the parameter exists, shown visits exist, one record per visit."""
    dataset = ctx.param("dataset")
    source = frames[dataset]
    rows = source[source["PARAMCD"] == paramcd]
    if rows.empty:
        found = ", ".join(sorted(source["PARAMCD"].dropna().astype(str).unique())[:12])
        raise ctx.error("paramcd", f"{paramcd!r} not found in {dataset.upper()} "
                                   f"(PARAMCD values: {found})")
    flag = ctx.param("record_flag")
    if flag:
        rows = rows[rows[flag].astype(str).str.upper() == "Y"]
    long = _standard(rows, ctx).merge(subjects, on="USUBJID", how="inner")
    _require_visits(long, ctx)
    _require_unique(long, ctx, paramcd)
    return long


def _standard(rows: pd.DataFrame, ctx: OutputContext) -> pd.DataFrame:
    imputed_var = ctx.param("imputed_var")
    imputed = (rows[imputed_var].fillna("").astype(str).str.strip() != "" if imputed_var
               else pd.Series(False, index=rows.index))
    return pd.DataFrame({
        "USUBJID": rows["USUBJID"],
        "VISIT": rows[ctx.param("visit_var")].astype(str),
        "VISITN": rows[ctx.param("visit_order_var")].astype(float),
        "AVAL": rows["AVAL"].astype(float),
        "BASE": rows["BASE"].astype(float),
        "CHG": rows["CHG"].astype(float),
        "BASELINE": rows[ctx.param("baseline_flag")].fillna("").astype(str).str.upper() == "Y",
        "IMPUTED": imputed.to_numpy(bool),
    }).reset_index(drop=True)


def _require_visits(long: pd.DataFrame, ctx: OutputContext) -> None:
    found = long.drop_duplicates("VISIT").sort_values("VISITN")["VISIT"].tolist()
    for key in ("visits", "model_visits"):
        if key not in ctx.params:
            continue
        missing = [str(v) for v in ctx.param(key) if str(v) not in found]
        if missing:
            raise ctx.error(key, f"visit {missing[0]!r} is not in the data "
                                 f"({ctx.param('visit_var')} values: {', '.join(found[:25])})")
    keys: dict[str, str] = {}
    for visit in found:
        if keys.setdefault(visit_key(visit), visit) != visit:
            raise UserError(f"{ctx.param('dataset').upper()}: visits {keys[visit_key(visit)]!r}"
                            f" and {visit!r} give the same results key; rename one")
    orders = long.groupby("VISIT")["VISITN"].nunique()
    if (orders > 1).any():
        raise UserError(f"{ctx.param('dataset').upper()}: visit {orders[orders > 1].index[0]!r}"
                        f" has more than one {ctx.param('visit_order_var')} value")


def _require_unique(long: pd.DataFrame, ctx: OutputContext, paramcd: str) -> None:
    """One baseline record per subject, one post-baseline record per subject and visit."""
    base = long[long["BASELINE"]]
    post = long[~long["BASELINE"]]
    dup = pd.concat([base[base["USUBJID"].duplicated()],
                     post[post.duplicated(["USUBJID", "VISIT"])]])
    if len(dup):
        first = dup.iloc[0]
        hint = ("set record_flag (e.g. \"ANL01FL\") to choose the analysed record"
                if not ctx.param("record_flag") else f"check {ctx.param('record_flag')}")
        raise UserError(f"{ctx.param('dataset').upper()} (PARAMCD {paramcd!r}): "
                        f"{len(dup)} duplicate record(s), e.g. USUBJID {first['USUBJID']!r} at "
                        f"{first['VISIT']!r}; {hint}")

