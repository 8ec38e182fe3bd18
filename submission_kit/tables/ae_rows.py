"""Adverse-event tables (ICH E3 14.3.1): what the TEAE specs share, like `tables/tte.py` for
time-to-event specs: parameters and conditions, data needs, the population and its TEAE
records, the SOC / PT program of Tables 14.3.1.2 and 14.3.1.4, and the rows every TEAE table
lays out over `analysis.adverse_events` results.

Conditions on ADAE variables (which TEAEs are related, serious, fatal ...) are configuration,
because studies code them differently:

    where = { AEREL = ["PROBABLE", "POSSIBLE"] }                 # AEREL is one of these
    where = { AESER = "Y", AESEV = "SEVERE" }                    # both hold
    where = [{ AEOUT = "FATAL" }, { AESDTH = "Y" }]              # either holds

Every variable named is declared as a data need, so a study whose ADAE lacks it stops before
any analysis with an error naming the variable and the output (exit 2), never a silent 0.
Layouts read results by key only; without results they print the shell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from submission_kit.analysis import adverse_events as ae
from submission_kit.analysis.adverse_events import (
    PVALUE_METHODS,
    TOTAL,
    AeDesign,
    AeRows,
    Rule,
    pt_dimension,
    pt_level_key,
    rule_variables,
    soc_level_key,
)
from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import key_part
from submission_kit.data.contracts import DatasetNeed, needs
from submission_kit.tables.cells import Cell, Shown
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    Param,
    arm_column_keys,
    population_rule,
    select_population,
    title_lines,
)
from submission_kit.tables.summary import group_row, row

WHERE_KINDS = (Mapping, list, tuple)
AE_PARAMS: Mapping[str, Param] = {
    "dataset": Param(str, "adae"),
    "teae_flag": Param(str, "TRTEMFL"),  # TEAE records: this ADAE flag = "Y"
    "soc_var": Param(str, "AEBODSYS"),
    "pt_var": Param(str, "AEDECOD"),
    "reference": Param(str, ""),  # arm key of the comparator; default: the first arm
    "total": Param(bool, None),  # Total column; default: [treatment].total
    "sort_by": Param(str, ""),  # arm key or "TOTAL" (default): descending frequency there
    "where": Param(WHERE_KINDS, None),  # only TEAEs meeting this condition
    "any_label": Param(str, "Subjects with at least one TEAE"),
}
SOC_PT_STUB = "System Organ Class / Preferred Term"
SOC_PT_PARAMS: Mapping[str, Param] = {
    **AE_PARAMS,
    "soc_order": Param(str, "frequency"),  # or "alphabetical" (the CDISC pilot's order)
    "pvalue": Param(str, "none"),  # "pairwise" (each arm vs reference) or "global"
    "events": Param(bool, False),  # a column of TEAE records beside each arm
}


# ---- configuration ----------------------------------------------------------------------------

def parse_rule(ctx: OutputContext, key: str, value: Any) -> Rule:
    """A `where` condition (see the module docstring) as a Rule; errors name the TOML key."""
    if value is None:
        return ()
    clauses = [value] if isinstance(value, Mapping) else list(value)
    if not clauses:
        raise ctx.error(key, "an empty list selects nothing; leave the key out instead")
    rule = []
    for i, clause in enumerate(clauses):
        where = key if isinstance(value, Mapping) else f"{key}[{i}]"
        if not isinstance(clause, Mapping) or not clause:
            raise ctx.error(where, 'expected a table such as { AESER = "Y" }')
        parsed = {}
        for var, accepted in clause.items():
            items = [accepted] if isinstance(accepted, str) else accepted
            if not isinstance(items, (list, tuple)) or not items or \
                    not all(isinstance(v, str) for v in items):
                raise ctx.error(f"{where}.{var}", f"expected a value or a list of values "
                                                 f"(text), got {accepted!r}")
            parsed[str(var)] = tuple(items)
        rule.append(parsed)
    return tuple(rule)


def where_rule(ctx: OutputContext) -> Rule:
    return parse_rule(ctx, "where", ctx.param("where"))


def reference_key(ctx: OutputContext) -> str:
    reference = ctx.param("reference") or ctx.arms[0].key
    if reference not in [a.key for a in ctx.arms]:
        raise ctx.error("reference", f"{reference!r} is not an arm key "
                                     f"({', '.join(a.key for a in ctx.arms)})")
    return reference


def sort_key(ctx: OutputContext) -> str:
    sort_by = ctx.param("sort_by") or TOTAL
    allowed = [a.key for a in ctx.arms] + [TOTAL]
    if sort_by not in allowed:
        raise ctx.error("sort_by", f"{sort_by!r}: use an arm key or TOTAL "
                                   f"({', '.join(allowed)})")
    return sort_by


def choice(ctx: OutputContext, key: str, allowed: Sequence[str]) -> str:
    value = ctx.param(key)
    if value not in allowed:
        raise ctx.error(key, f"{value!r}: use {' or '.join(repr(a) for a in allowed)}")
    return str(value)


def with_total(ctx: OutputContext) -> bool:
    total = ctx.param("total")
    return ctx.study.treatment.total if total is None else bool(total)


def ae_needs(ctx: OutputContext, *variables: str) -> list[DatasetNeed]:
    """ADAE with the flag, the classification and every variable a condition names (as
    text: conditions compare text values); ADSL for the population and arms."""
    wanted = [ctx.param("teae_flag"), *variables, *rule_variables(where_rule(ctx))]
    return [needs(ctx.param("dataset"), "USUBJID:char",
                  *[f"{v}:char" for v in dict.fromkeys(wanted)]),
            needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
                  f"{ctx.population.flag}:char", subject_level=True)]


# ---- data ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AeData:
    records: pd.DataFrame  # TEAE records of population subjects, with their arm key
    design: AeDesign
    notes: tuple[str, ...] = ()


def ae_data(frames: Frames, ctx: OutputContext, pvalue: str = "none",
            coded: Sequence[str] = ()) -> AeData:
    """The population from ADSL (its N per arm is every denominator) and its TEAEs that
    meet the output's `where` condition."""
    adsl = select_population(frames["adsl"], ctx)
    arm_keys = {a.value: a.key for a in ctx.arms}
    big_n = {a.key: int((adsl[ctx.treatment_var] == a.value).sum()) for a in ctx.arms}
    records = ae.teae_records(adsl, frames[ctx.param("dataset")], ctx.treatment_var, arm_keys,
                              ctx.param("teae_flag"))
    rule = where_rule(ctx)
    notes = ae.missing_notes(records, rule, "meeting this table's condition")
    records, uncoded = ae.fill_uncoded(records[ae.rule_mask(records, rule)], coded)
    design = AeDesign(arms=tuple(a.key for a in ctx.arms), big_n=big_n, total=with_total(ctx),
                      reference=reference_key(ctx), pvalue=pvalue,  # type: ignore[arg-type]
                      sort_by=sort_key(ctx))
    return AeData(records, design, (*notes, *uncoded))


def ae_results(ctx: OutputContext, title: str, data: AeData, rows: AeRows,
               methods: Sequence[str], notes: Sequence[str] = ()) -> AnalysisResults:
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or title,
        population=population_rule(ctx),
        datasets=ctx.datasets_used(["adsl", ctx.param("dataset")]),
        stats=(*ae.big_n_stats(ctx.analysis_id, data.design), *rows.stats),
        subjects=sum(data.design.big_n.values()), levels=rows.levels,
        notes=(*data.notes, *notes), methods=tuple(methods))


def counting_methods(design: AeDesign) -> tuple[str, ...]:
    out = ("Subjects with at least one TEAE in the row (each counted once); percentages of "
           "the subjects in the population per arm; events = TEAE records",)
    return out + ((PVALUE_METHODS[design.pvalue],) if design.pvalue in PVALUE_METHODS else ())


# ---- the SOC / PT tables (14.3.1.2, 14.3.1.4) ---------------------------------------------------

def soc_pt_needs(ctx: OutputContext) -> list[DatasetNeed]:
    return ae_needs(ctx, ctx.param("soc_var"), ctx.param("pt_var"))


def soc_pt_analyse(frames: Frames, ctx: OutputContext, title: str) -> AnalysisResults:
    pvalue = choice(ctx, "pvalue", ("none", "pairwise", "global"))
    soc_order = choice(ctx, "soc_order", ("frequency", "alphabetical"))
    soc, pt = ctx.param("soc_var"), ctx.param("pt_var")
    data = ae_data(frames, ctx, pvalue, coded=(soc, pt))
    rows = ae.soc_pt_rows(ctx.analysis_id, data.records, data.design, soc, pt,
                          soc_order)  # type: ignore[arg-type]
    return ae_results(ctx, title, data, rows, counting_methods(data.design))


def soc_pt_table(shown: Shown, ctx: OutputContext, title: str, name: str,
                 *specific: str) -> TableModel:
    lay = ae_layout(ctx, choice(ctx, "pvalue", ("none", "pairwise", "global")),
                    ctx.param("events"))
    columns = ae_columns(shown, lay)
    rows = soc_pt_rows(shown, lay, ctx.param("any_label"))
    soc_order = choice(ctx, "soc_order", ("frequency", "alphabetical"))
    notes = ae_footnotes(ctx, lay, shown, *specific, sort_footnote(ctx, soc_order))
    return ae_table(ctx, title, columns, rows, notes, name, SOC_PT_STUB)


# ---- layout -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AeLayout:
    """What an AE table shows, known from the configuration alone (so mocks print)."""

    columns: tuple[tuple[str, str], ...]  # (key, label) per arm (+ Total)
    reference: str
    comparisons: tuple[tuple[str, str], ...]  # (key, label) of each arm against reference
    reference_label: str
    pvalue: str = "none"
    events: bool = False


def ae_layout(ctx: OutputContext, pvalue: str = "none", events: bool = False) -> AeLayout:
    reference = reference_key(ctx)
    labels = {a.key: a.label for a in ctx.arms}
    return AeLayout(
        columns=tuple(arm_column_keys(ctx, with_total(ctx))),
        reference=reference,
        comparisons=tuple((a.key, a.label) for a in ctx.arms if a.key != reference),
        reference_label=labels[reference], pvalue=pvalue, events=events)


def ae_columns(shown: Shown, lay: AeLayout, extra: Sequence[Column] = ()) -> tuple[Column, ...]:
    out = []
    for key, label in lay.columns:
        out.append(Column(key, label, shown.big_n(key)))
        if lay.events:
            out.append(Column(f"{key}.events", "Events"))
    if lay.pvalue == "pairwise":
        out += [Column(f"P.{key}", f"p-value\n{label}\nvs {lay.reference_label}")
                for key, label in lay.comparisons]
    elif lay.pvalue == "global":
        out.append(Column("P", "p-value"))
    return (*out, *extra)


def incidence_cells(shown: Shown, key: str, lay: AeLayout) -> list[Cell]:
    """n (%) per column (and events), then the p-value cells of the row."""
    cells = []
    for col, _ in lay.columns:
        cells.append(shown.n_pct(f"{key}.{col}.n", shown.big_n(col)))
        if lay.events:
            cells.append(shown.count(f"{key}.{col}.events"))
    if lay.pvalue == "pairwise":
        cells += [shown.pvalue(f"{key}.p.{arm}") for arm, _ in lay.comparisons]
    elif lay.pvalue == "global":
        cells.append(shown.pvalue(f"{key}.p.all"))
    return cells


def soc_pt_rows(shown: Shown, lay: AeLayout, any_label: str) -> list[Row]:
    """'Any' row first; each system organ class, its preferred terms indented below."""
    rows = [row(any_label, incidence_cells(shown, "any", lay))]
    for soc in shown.levels("soc"):
        rows.append(row(soc, incidence_cells(shown, soc_level_key(soc), lay)))
        rows += [row(pt, incidence_cells(shown, pt_level_key(soc, pt), lay), 1)
                 for pt in shown.levels(pt_dimension(soc))]
    return rows


def severity_rows(shown: Shown, lay: AeLayout, any_label: str, configured: Sequence[str],
                  display: Mapping[str, str]) -> list[Row]:
    """Each row (any severity) with its subjects by worst severity indented below."""
    grades = shown.levels("severity", configured)

    def block(label: str, key: str, indent: int) -> list[Row]:
        out = [row(label, incidence_cells(shown, key, lay), indent)]
        return out + [row(display.get(g, g),
                          incidence_cells(shown, f"{key}.sev.{key_part(g)}", lay), indent + 1)
                      for g in grades]

    rows = block(any_label, "any", 0)
    for soc in shown.levels("soc"):
        rows += block(soc, soc_level_key(soc), 0)
        for pt in shown.levels(pt_dimension(soc)):
            rows += block(pt, pt_level_key(soc, pt), 1)
    return rows


def overview_rows(shown: Shown, lay: AeLayout, any_label: str,
                  categories: Sequence[tuple[str, str]]) -> list[Row]:
    return [row(any_label, incidence_cells(shown, "cat.any", lay)),
            *(row(label, incidence_cells(shown, f"cat.{key}", lay))
              for key, label in categories)]


def risk_difference_columns(lay: AeLayout) -> tuple[Column, ...]:
    return tuple(Column(f"RD.{key}", f"{label} - {lay.reference_label}\nRD (95% CI)")
                 for key, label in lay.comparisons)


def common_rows(shown: Shown, lay: AeLayout) -> list[Row]:
    """One row per preferred term: n (%) per column, then each risk difference in
    percentage points."""
    rows = []
    for pt in shown.levels("pt"):
        key = f"pt.{key_part(pt)}"
        diffs = [shown.est_ci(f"{key}.rd.{arm}.est", f"{key}.rd.{arm}.lcl",
                              f"{key}.rd.{arm}.ucl", 1, scale=100)
                 for arm, _ in lay.comparisons]
        rows.append(row(pt, [*incidence_cells(shown, key, lay), *diffs]))
    return rows


def empty_note(shown: Shown, dimension: str, what: str, width: int) -> list[Row]:
    """A table with no qualifying rows says so in a row (the levels are known only after
    analysis; a mock shows its placeholder level instead)."""
    if shown.mock or shown.levels(dimension):
        return []
    return [group_row(f"No {what}", width)]


# ---- titles and footnotes ---------------------------------------------------------------------

def ae_footnotes(ctx: OutputContext, lay: AeLayout, shown: Shown,
                 *specific: str) -> tuple[str, ...]:
    pop = ctx.population
    out = [f"TEAE = treatment-emergent adverse event ({ctx.param('dataset').upper()} "
           f"{ctx.param('teae_flag')} = 'Y'). A subject is counted once per row. N = subjects "
           f"in the {pop.label} ({pop.flag} = 'Y'), by actual treatment ({ctx.treatment_var}); "
           "percentages are based on N.", *specific]
    if lay.events:
        out.append("Events = number of TEAE records.")
    if lay.pvalue in PVALUE_METHODS:
        out.append(f"p-values: {PVALUE_METHODS[lay.pvalue]}. NE = not estimable: no "
                   "subject, or every subject, in the arms compared had the event (or an arm "
                   "has no subjects).")
    return (*out, *shown.notes(), *ctx.param("footnotes"))


def sort_footnote(ctx: OutputContext, soc_order: str | None) -> str:
    sort_by = sort_key(ctx)
    column = "Total" if sort_by == TOTAL else next(a.label for a in ctx.arms
                                                   if a.key == sort_by)
    frequency = f"by descending frequency ({column} column), then alphabetically"
    soc = ctx.param("soc_var")
    pt = ctx.param("pt_var")
    if soc_order is None:
        return f"Preferred terms ({pt}) sorted {frequency}."
    soc_sorted = frequency if soc_order == "frequency" else "alphabetically"
    return (f"System organ classes ({soc}) sorted {soc_sorted}; preferred terms ({pt}) "
            f"within each sorted {frequency}.")


def ae_table(ctx: OutputContext, default_title: str, columns: Sequence[Column],
             rows: Sequence[Row], footnotes: Sequence[str], name: str, stub: str
             ) -> TableModel:
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", default_title),
        columns=tuple(columns),
        rows=tuple(rows),
        footnotes=tuple(footnotes),
        source=f"ADSL, {ctx.param('dataset').upper()}; program {name}.py",
        stub_header=stub,
        orientation="landscape" if len(columns) > 5 else "portrait",
        population=ctx.population.label,
    )
