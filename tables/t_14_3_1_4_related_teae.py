"""Table 14.3.1.4 — Treatment-emergent adverse events related to study drug, by system organ
class and preferred term (the layout of Table 14.3.1.2, over the related TEAEs only).

study.toml:
    [tables."14.3.1.4"]
    population = "SAF"
    treatment_var = "TRT01A"
    where = { AEREL = ["POSSIBLE", "PROBABLE", "RELATED"] }   # required: the study's rule
Records whose relationship is missing do not meet the rule; the table says how many there
are. The other parameters are those of Table 14.3.1.2.
"""

from __future__ import annotations

from submission_kit.analysis.adverse_events import rule_text
from submission_kit.analysis.ard import AnalysisResults
from submission_kit.tables.ae_rows import (
    SOC_PT_PARAMS,
    WHERE_KINDS,
    soc_pt_analyse,
    soc_pt_needs,
    soc_pt_table,
    where_rule,
)
from submission_kit.tables.cells import Shown
from submission_kit.tables.model import TableModel
from submission_kit.tables.spec import Frames, OutputContext, OutputSpec, Param

TITLE = ("Treatment-Emergent Adverse Events Related to Study Drug by System Organ Class and "
         "Preferred Term")


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    return soc_pt_analyse(frames, ctx, TITLE)


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    rule = f"Related TEAE: {rule_text(where_rule(ctx))}."
    return soc_pt_table(shown, ctx, TITLE, SPEC.name, rule)


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_3_1_4_related_teae",
    title=TITLE,
    params={**SOC_PT_PARAMS,
            "where": Param(WHERE_KINDS),  # required: no default rule
            "any_label": Param(str, "Subjects with at least one related TEAE")},
    needs=soc_pt_needs,
    analyse=_analyse,
    layout=_layout,
)
