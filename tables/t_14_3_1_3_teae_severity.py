"""Table 14.3.1.3 — Treatment-emergent adverse events by system organ class, preferred term
and maximum severity: under each row (any TEAE, SOC, PT) the subjects by the worst severity
of their TEAEs in that row, each subject counted once per row.

study.toml:
    [tables."14.3.1.3"]
    population = "SAF"
    treatment_var = "TRT01A"
    severity_var = "AESEV"                                   # default
    severity_levels = ["MILD", "MODERATE", "SEVERE"]         # mildest first (default)
    severity_display = { MILD = "Mild", MODERATE = "Moderate", SEVERE = "Severe" }
A severity value the levels do not list is an error naming it (subjects would vanish from
the table); a missing severity ranks below every level and shows as "Missing", with a
footnote, for a subject with no graded TEAE in the row. Ordering parameters are those of
Table 14.3.1.2 (no p-values here).
"""

from __future__ import annotations

from collections.abc import Mapping

from submission_kit.analysis.adverse_events import (
    MISSING_SEVERITY,
    severity_rows,
    unknown_values,
)
from submission_kit.analysis.ard import AnalysisResults
from submission_kit.data.contracts import DatasetNeed
from submission_kit.tables.ae_rows import (
    AE_PARAMS,
    SOC_PT_STUB,
    ae_columns,
    ae_data,
    ae_footnotes,
    ae_layout,
    ae_needs,
    ae_results,
    ae_table,
    choice,
    counting_methods,
    sort_footnote,
)
from submission_kit.tables.ae_rows import severity_rows as severity_table_rows
from submission_kit.tables.cells import Shown
from submission_kit.tables.model import TableModel
from submission_kit.tables.spec import Frames, OutputContext, OutputSpec, Param

TITLE = ("Treatment-Emergent Adverse Events by System Organ Class, Preferred Term and "
         "Maximum Severity")
ORDERS = ("frequency", "alphabetical")


def _levels(ctx: OutputContext) -> tuple[str, ...]:
    levels = ctx.param("severity_levels")
    if not levels or not all(isinstance(v, str) for v in levels):
        raise ctx.error("severity_levels", f"expected a list of values, mildest first, got "
                                           f"{levels!r}")
    return tuple(levels)


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    return ae_needs(ctx, ctx.param("soc_var"), ctx.param("pt_var"), ctx.param("severity_var"))


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    soc, pt, var = ctx.param("soc_var"), ctx.param("pt_var"), ctx.param("severity_var")
    data = ae_data(frames, ctx, coded=(soc, pt))
    levels = _levels(ctx)
    unknown = unknown_values(data.records, var, levels)
    if unknown:
        raise ctx.error("severity_levels", f"{var} has value(s) {', '.join(map(repr, unknown))} "
                                           f"that the levels ({', '.join(levels)}) do not list")
    rows = severity_rows(ctx.analysis_id, data.records, data.design, soc, pt, var, levels,
                         choice(ctx, "soc_order", ORDERS))  # type: ignore[arg-type]
    notes = []
    if MISSING_SEVERITY in rows.levels["severity"]:
        missing = int(data.records[var].isna().sum())
        notes.append(f"{var} is missing on {missing} TEAE record(s); '{MISSING_SEVERITY}' "
                     "counts subjects whose TEAEs in the row all lack a severity.")
    methods = (*counting_methods(data.design),
               f"Maximum severity: each subject once per row, at the worst {var} of the "
               f"row's TEAEs ({' < '.join(levels)})")
    return ae_results(ctx, TITLE, data, rows, methods, notes)


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    lay = ae_layout(ctx)
    display = {str(k): str(v) for k, v in ctx.param("severity_display").items()}
    rows = severity_table_rows(shown, lay, ctx.param("any_label"), _levels(ctx), display)
    var = ctx.param("severity_var")
    notes = ae_footnotes(
        ctx, lay, shown,
        f"Subjects are counted once per row, at the maximum severity ({var}) of their TEAEs "
        "in that row; the row itself counts subjects with any severity.",
        sort_footnote(ctx, choice(ctx, "soc_order", ORDERS)))
    return ae_table(ctx, TITLE, ae_columns(shown, lay), rows, notes, SPEC.name,
                    SOC_PT_STUB)


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_3_1_3_teae_severity",
    title=TITLE,
    params={
        **AE_PARAMS,
        "soc_order": Param(str, "frequency"),
        "severity_var": Param(str, "AESEV"),
        "severity_levels": Param((list, tuple), ("MILD", "MODERATE", "SEVERE")),
        "severity_display": Param(Mapping, {}),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
