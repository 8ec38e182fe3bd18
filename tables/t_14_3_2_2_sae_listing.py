"""Listing 14.3.2.2 — Serious adverse events: the ADAE records with AESER = 'Y'.

study.toml (defaults shown):
    [tables."14.3.2.2"]
    population = "SAF"
    treatment_var = "TRT01A"
    dataset = "adae"
    columns = [{ var = "USUBJID", label = "Subject" },
               { var = "AEBODSYS", label = "System organ class" },
               { var = "AEDECOD", label = "Preferred term" },
               { var = "AETERM", label = "Reported term" },
               { var = "ASTDY", label = "Start day" }, { var = "AENDY", label = "End day" },
               { var = "AESEV", label = "Severity" }, { var = "AEREL", label = "Related" },
               { var = "AEOUT", label = "Outcome" }]
    where = [{ var = "AESER", in = ["Y"] }]
    sort = ["USUBJID", "ASTDT", "AESEQ"]
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

TITLE = "Listing of Serious Adverse Events"
SAE_COLUMNS = [
    {"var": "USUBJID", "label": "Subject"},
    {"var": "AEBODSYS", "label": "System organ class"},
    {"var": "AEDECOD", "label": "Preferred term"},
    {"var": "AETERM", "label": "Reported term"},
    {"var": "ASTDY", "label": "Start day"},
    {"var": "AENDY", "label": "End day"},
    {"var": "AESEV", "label": "Severity"},
    {"var": "AEREL", "label": "Related"},
    {"var": "AEOUT", "label": "Outcome"},
]


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    return listing_analyse(frames, ctx, TITLE)


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    return listing_layout(shown, ctx, TITLE, SPEC.name)


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_3_2_2_sae_listing",
    title=TITLE,
    params=listing_params("adae", columns=SAE_COLUMNS, where=[{"var": "AESER", "in": ["Y"]}],
                          sort=["USUBJID", "ASTDT", "AESEQ"]),
    needs=listing_needs,
    analyse=_analyse,
    layout=_layout,
)
