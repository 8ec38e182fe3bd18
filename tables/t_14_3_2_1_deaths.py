"""Listing 14.3.2.1 — Deaths: every subject of the population with DTHFL = 'Y' (ADSL, so a
death without a fatal adverse event record is listed too).

study.toml (defaults shown; `dataset = "adae"` with `where = [{ var = "AEOUT", in =
["FATAL"] }]` lists fatal adverse events instead):
    [tables."14.3.2.1"]
    population = "SAF"
    treatment_var = "TRT01A"
    columns = [{ var = "USUBJID", label = "Subject" }, { var = "AGE", label = "Age" },
               { var = "SEX", label = "Sex" }, { var = "TRTSDT", label = "First dose" },
               { var = "DTHDT", label = "Date of death" },
               { var = "DTHDY", label = "Study day", day_of = "DTHDT" }]
    where = [{ var = "DTHFL", in = ["Y"] }]
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

TITLE = "Listing of Deaths"


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    return listing_analyse(frames, ctx, TITLE)


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    return listing_layout(shown, ctx, TITLE, SPEC.name)


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_3_2_1_deaths",
    title=TITLE,
    params=listing_params(
        "adsl",
        columns=[{"var": "USUBJID", "label": "Subject"},
                 {"var": "AGE", "label": "Age"},
                 {"var": "SEX", "label": "Sex"},
                 {"var": "TRTSDT", "label": "First dose"},
                 {"var": "DTHDT", "label": "Date of death"},
                 {"var": "DTHDY", "label": "Study day", "day_of": "DTHDT"}],
        where=[{"var": "DTHFL", "in": ["Y"]}],
    ),
    needs=listing_needs,
    analyse=_analyse,
    layout=_layout,
)
