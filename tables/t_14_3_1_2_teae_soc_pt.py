"""Table 14.3.1.2 — Treatment-emergent adverse events by system organ class and preferred
term: subjects with at least one TEAE, n (%) per arm (+ Total), optional events and
Fisher's exact p-values.

study.toml:
    [tables."14.3.1.2"]
    population = "SAF"
    treatment_var = "TRT01A"        # actual treatment, from ADSL
    soc_order = "frequency"         # or "alphabetical"; preferred terms always by frequency
    sort_by = "TOTAL"               # column whose counts sort the rows (an arm key or TOTAL)
    pvalue = "pairwise"             # "none" (default), "pairwise" (each arm vs reference) or
    reference = "PBO"               #   "global" (k x 2 test across the arms)
    events = true                   # an Events column beside each arm
    where = { AESER = "Y" }         # optional: only TEAEs meeting a condition
Also: dataset ("adae"), teae_flag ("TRTEMFL"), soc_var ("AEBODSYS"), pt_var ("AEDECOD"),
total (default [treatment].total), any_label.
"""

from __future__ import annotations

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.tables.ae_rows import SOC_PT_PARAMS, soc_pt_analyse, soc_pt_needs, soc_pt_table
from submission_kit.tables.cells import Shown
from submission_kit.tables.model import TableModel
from submission_kit.tables.spec import Frames, OutputContext, OutputSpec

TITLE = "Treatment-Emergent Adverse Events by System Organ Class and Preferred Term"


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    return soc_pt_analyse(frames, ctx, TITLE)


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    return soc_pt_table(shown, ctx, TITLE, SPEC.name)


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_3_1_2_teae_soc_pt",
    title=TITLE,
    params=SOC_PT_PARAMS,
    needs=soc_pt_needs,
    analyse=_analyse,
    layout=_layout,
)
