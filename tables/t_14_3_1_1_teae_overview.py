"""Table 14.3.1.1 — Overview of treatment-emergent adverse events: subjects with any TEAE and
with a TEAE of each configured category, n (%) per arm (+ Total).

study.toml (each category is a condition on ADAE variables: studies code them differently):
    [tables."14.3.1.1"]
    population = "SAF"
    treatment_var = "TRT01A"
    categories = [
      { key = "related", label = "Any related TEAE", where = { AEREL = ["POSSIBLE", "PROBABLE"] } },
      { key = "severe", label = "Any severe TEAE", where = { AESEV = "SEVERE" } },
      { key = "serious", label = "Any serious TEAE", where = { AESER = "Y" } },
      { key = "fatal", label = "TEAE leading to death", where = { AEOUT = "FATAL" } },
      # either condition: where = [{ AEOUT = "FATAL" }, { AESDTH = "Y" }]
    ]
A category naming a variable the dataset lacks stops the build (exit 2, naming it); a
variable missing on some records is counted in a footnote. `key` names the results
(`cat.<key>.<ARM>.n`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from submission_kit.analysis.adverse_events import (
    Rule,
    missing_notes,
    overview_rows,
    rule_text,
    rule_variables,
)
from submission_kit.analysis.ard import AnalysisResults
from submission_kit.data.contracts import DatasetNeed
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
    parse_rule,
)
from submission_kit.tables.ae_rows import overview_rows as overview_table_rows
from submission_kit.tables.cells import Shown
from submission_kit.tables.model import TableModel
from submission_kit.tables.spec import Frames, OutputContext, OutputSpec, Param

TITLE = "Overview of Treatment-Emergent Adverse Events"
CATEGORY_ITEMS = ("key", "label", "where")
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _categories(ctx: OutputContext) -> list[tuple[str, str, Rule]]:
    out: list[tuple[str, str, Rule]] = []
    for i, item in enumerate(ctx.param("categories")):
        key = item.get("key")
        if not isinstance(key, str) or not KEY.fullmatch(key) or key == "any":
            raise ctx.error(f"categories[{i}].key", f"{key!r}: a name of letters, digits and "
                                                    "underscores (not 'any'), e.g. \"serious\"")
        if key in [k for k, _, _ in out]:
            raise ctx.error(f"categories[{i}].key", f"{key!r} is used twice")
        if "where" not in item:
            raise ctx.error(f"categories[{i}]", 'needs where = { VARIABLE = "value" }')
        label = item.get("label", key)
        if not isinstance(label, str):
            raise ctx.error(f"categories[{i}].label", f"expected text, got {label!r}")
        out.append((key, label, parse_rule(ctx, f"categories[{i}].where", item["where"])))
    return out


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    return ae_needs(ctx, *(v for _, _, rule in _categories(ctx) for v in rule_variables(rule)))


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    data = ae_data(frames, ctx)
    categories = _categories(ctx)
    rows = overview_rows(ctx.analysis_id, data.records, data.design, categories)
    notes: list[str] = []
    for _, label, rule in categories:
        notes += missing_notes(data.records, rule, f"'{label}'")
    return ae_results(ctx, TITLE, data, rows, counting_methods(data.design), notes)


def _definitions(categories: Sequence[tuple[str, str, Rule]]) -> str:
    return "Categories: " + "; ".join(f"{label}: {rule_text(rule)}"
                                      for _, label, rule in categories) + "."


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    lay = ae_layout(ctx)
    categories = _categories(ctx)
    rows = overview_table_rows(shown, lay, ctx.param("any_label"),
                               [(key, label) for key, label, _ in categories])
    notes = ae_footnotes(ctx, lay, shown, _definitions(categories))
    return ae_table(ctx, TITLE, ae_columns(shown, lay), rows, notes, SPEC.name, "")


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_3_1_1_teae_overview",
    title=TITLE,
    params={**AE_PARAMS, "categories": Param((list, tuple), items=CATEGORY_ITEMS)},
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
