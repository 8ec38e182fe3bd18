"""Time-to-event data shared by survival tables and Kaplan-Meier figures: one ADTTE
parameter joined to the ADSL population, with covariates taken from ADSL."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from submission_kit.analysis.time_to_event import TteDesign
from submission_kit.data.contracts import DatasetNeed, needs
from submission_kit.errors import UserError
from submission_kit.tables.spec import Frames, OutputContext, Param, select_population

# Parameters every time-to-event output accepts.
TTE_PARAMS = {
    "dataset": Param(str, "adtte"),
    "paramcd": Param(str),
    "time_unit": Param(str, "days"),
}


def tte_needs(ctx: OutputContext, adsl_vars: Sequence[str]) -> list[DatasetNeed]:
    return [
        needs(ctx.param("dataset"), "USUBJID:char", "PARAMCD:char", "AVAL:num", "CNSR:num",
              time_to_event=True),
        needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
              f"{ctx.population.flag}:char", *adsl_vars, subject_level=True),
    ]


def tte_population(frames: Frames, ctx: OutputContext, adsl_vars: Sequence[str]
                   ) -> pd.DataFrame:
    """One row per subject in the population: AVAL, EVENT (1 = event) and ADSL variables.
    Treatment and population come from ADSL, the subject-level source of truth; a population
    subject with no record for the parameter keeps a row with AVAL missing, so the analysis
    can count and report it instead of shrinking N silently."""
    dataset, paramcd = ctx.param("dataset"), ctx.param("paramcd")
    tte = frames[dataset]
    rows = tte[tte["PARAMCD"] == paramcd]
    if rows.empty:
        found = ", ".join(sorted(tte["PARAMCD"].dropna().unique())[:10])
        raise ctx.error("paramcd", f"{paramcd!r} not found in {dataset.upper()} "
                                   f"(PARAMCD values: {found})")
    duplicated = rows["USUBJID"][rows["USUBJID"].duplicated()]
    if len(duplicated):
        raise UserError(f"{dataset.upper()}: PARAMCD {paramcd!r} has more than one row for "
                        f"USUBJID {duplicated.iloc[0]!r}")
    adsl_cols = ["USUBJID", ctx.treatment_var, ctx.population.flag,
                 *[v for v in adsl_vars if v not in (ctx.treatment_var, ctx.population.flag)]]
    adsl = select_population(frames["adsl"][list(dict.fromkeys(adsl_cols))], ctx)
    merged = adsl.merge(rows[["USUBJID", "AVAL", "CNSR"]], on="USUBJID", how="left")
    merged["EVENT"] = (merged["CNSR"] == 0).astype(int)
    return merged


def tte_design(ctx: OutputContext, reference: str, timepoint: float | None = None,
               strata: Sequence[str] = (), covariates: Sequence[str] = ()) -> TteDesign:
    if reference not in [a.key for a in ctx.arms]:
        raise ctx.error("reference", f"{reference!r} is not an arm key "
                                     f"({', '.join(a.key for a in ctx.arms)})")
    return TteDesign(
        treatment=ctx.treatment_var,
        arm_values={a.key: a.value for a in ctx.arms},
        reference=reference,
        timepoint=timepoint,
        strata=tuple(strata),
        covariates=tuple(covariates),
    )
