"""Listing 16.2.1 — Discontinued subjects: who left the study early, when, and why.

study.toml (defaults shown; columns, where and sort may be replaced):
    [tables."16.2.1"]
    population = "ITT"
    columns = [{ var = "USUBJID", label = "Subject" },
               { var = "TRTSDT", label = "First dose" }, { var = "TRTEDT", label = "Last dose" },
               { var = "DCSREAS", label = "Reason for discontinuation" }]
    where = [{ var = "EOSSTT", in = ["DISCONTINUED"] }]
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

TITLE = "Discontinued Subjects"


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    return listing_analyse(frames, ctx, TITLE)


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    return listing_layout(shown, ctx, TITLE, SPEC.name)


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_16_2_1_discontinued",
    title=TITLE,
    params=listing_params(
        "adsl",
        columns=[{"var": "USUBJID", "label": "Subject"},
                 {"var": "TRTSDT", "label": "First dose"},
                 {"var": "TRTEDT", "label": "Last dose"},
                 {"var": "DCSREAS", "label": "Reason for discontinuation"}],
        where=[{"var": "EOSSTT", "in": ["DISCONTINUED"]}],
    ),
    needs=listing_needs,
    analyse=_analyse,
    layout=_layout,
)
