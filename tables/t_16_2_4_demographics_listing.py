"""Listing 16.2.4 — Demographic data: one row per subject of the population, with the
configured ADSL variables.

study.toml (defaults shown):
    [tables."16.2.4"]
    population = "ITT"
    columns = [{ var = "USUBJID", label = "Subject" }, { var = "AGE", label = "Age (years)" },
               { var = "SEX", label = "Sex" }, { var = "RACE", label = "Race" },
               { var = "ETHNIC", label = "Ethnicity" }]
    sort = ["USUBJID"]
Keys shared by every listing are described in `submission_kit/tables/listing_rows.py`.
"""

from __future__ import annotations

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.tables.cells import Shown
from submission_kit.tables.listing_rows import (
    listing_analyse,
    listing_layout,
    listing_needs,
    listing_params,
)
from submission_kit.tables.model import TableModel
from submission_kit.tables.spec import Frames, OutputContext, OutputSpec

TITLE = "Demographic Data"


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    return listing_analyse(frames, ctx, TITLE)


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    return listing_layout(shown, ctx, TITLE, SPEC.name)


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_16_2_4_demographics_listing",
    title=TITLE,
    params=listing_params(
        "adsl",
        columns=[{"var": "USUBJID", "label": "Subject"},
                 {"var": "AGE", "label": "Age (years)"},
                 {"var": "SEX", "label": "Sex"},
                 {"var": "RACE", "label": "Race"},
                 {"var": "ETHNIC", "label": "Ethnicity"}],
    ),
    needs=listing_needs,
    analyse=_analyse,
    layout=_layout,
)
