"""Table 14.3.1.5 — Common treatment-emergent adverse events: preferred terms reported by at
least `threshold` % of the subjects of any arm, n (%) per arm (+ Total), and the risk
difference (each arm minus the reference) with its 95% confidence interval.

study.toml:
    [tables."14.3.1.5"]
    population = "SAF"
    treatment_var = "TRT01A"
    threshold = 5            # percent of the arm's N, any arm (default 5)
    reference = "PBO"        # default: the first arm
The risk difference is in percentage points, with Newcombe's hybrid score interval (method
10 of Newcombe 1998; SAS PROC FREQ RISKDIFF(CL=NEWCOMBE); R DescTools BinomDiffCI
method = "score"), which stays inside [-100, 100] and is defined when an arm has no event.
Rows are sorted by descending frequency (sort_by, default Total), then alphabetically.
"""

from __future__ import annotations

from submission_kit.analysis.adverse_events import common_rows
from submission_kit.analysis.ard import AnalysisResults
from submission_kit.data.contracts import DatasetNeed
from submission_kit.fmt import fmt_num
from submission_kit.tables.ae_rows import (
    AE_PARAMS,
    ae_columns,
    ae_data,
    ae_footnotes,
    ae_layout,
    ae_needs,
    ae_results,
    ae_table,
    counting_methods,
    empty_note,
    risk_difference_columns,
    sort_footnote,
)
from submission_kit.tables.ae_rows import common_rows as common_table_rows
from submission_kit.tables.cells import Shown
from submission_kit.tables.model import TableModel
from submission_kit.tables.spec import Frames, OutputContext, OutputSpec, Param

TITLE = "Common Treatment-Emergent Adverse Events by Preferred Term"
RD_METHOD = ("Risk difference (RD) = arm minus {reference}, in percentage points, with "
             "Newcombe's hybrid score 95% CI (Newcombe 1998, method 10; SAS PROC FREQ "
             "RISKDIFF(CL=NEWCOMBE)).")


def _threshold(ctx: OutputContext) -> float:
    threshold = ctx.param("threshold")
    if not 0 <= threshold <= 100:
        raise ctx.error("threshold", f"{threshold!r}: a percentage between 0 and 100")
    return float(threshold)


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    return ae_needs(ctx, ctx.param("pt_var"))


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    pt = ctx.param("pt_var")
    data = ae_data(frames, ctx, coded=(pt,))
    rows = common_rows(ctx.analysis_id, data.records, data.design, pt, _threshold(ctx))
    methods = (*counting_methods(data.design),
               RD_METHOD.format(reference=data.design.reference))
    return ae_results(ctx, TITLE, data, rows, methods)


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    lay = ae_layout(ctx)
    columns = ae_columns(shown, lay, risk_difference_columns(lay))
    rows = common_table_rows(shown, lay) or empty_note(
        shown, "pt", "preferred term reaches the threshold", len(columns))
    threshold = fmt_num(_threshold(ctx), 1 if _threshold(ctx) % 1 else 0)
    notes = ae_footnotes(
        ctx, lay, shown,
        f"Preferred terms reported by at least {threshold}% of the subjects in any arm.",
        RD_METHOD.format(reference=lay.reference_label),
        sort_footnote(ctx, None))
    return ae_table(ctx, TITLE, columns, rows, notes, SPEC.name, "Preferred Term")


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_3_1_5_common_teae",
    title=TITLE,
    params={**AE_PARAMS, "threshold": Param((int, float), 5)},
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
