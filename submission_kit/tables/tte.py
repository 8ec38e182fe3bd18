"""Time-to-event data shared by survival tables and Kaplan-Meier figures: one ADTTE
parameter joined to the ADSL population, with covariates taken from ADSL."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from submission_kit.data.contracts import DatasetNeed, needs
from submission_kit.errors import UserError
from submission_kit.tables.spec import Frames, OutputContext, select_population


def tte_needs(ctx: OutputContext, adsl_vars: Sequence[str]) -> list[DatasetNeed]:
    dataset = ctx.param("dataset", str, "adtte")
    return [
        needs(dataset, "USUBJID:char", "PARAMCD:char", "AVAL:num", "CNSR:num",
              time_to_event=True),
        needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
              f"{ctx.population.flag}:char", *adsl_vars, subject_level=True),
    ]


def tte_population(frames: Frames, ctx: OutputContext, adsl_vars: Sequence[str]
                   ) -> pd.DataFrame:
    """One row per subject in the population: AVAL, EVENT (1 = event) and ADSL variables.
    Treatment and population come from ADSL, the subject-level source of truth."""
    dataset = ctx.param("dataset", str, "adtte")
    paramcd = ctx.param("paramcd", str)
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
    merged = adsl.merge(rows[["USUBJID", "AVAL", "CNSR"]], on="USUBJID", how="inner")
    merged["EVENT"] = (merged["CNSR"] == 0).astype(int)
    return merged
