"""Listings as tables (16.2.1, 16.2.4, 16.2.7, 14.3.2.1, 14.3.2.2): one column per listed
variable (the first is the row stub), rows grouped by arm under a label row.

The listed records come from the results (`analysis.listings` chose and ordered them); the
layout only places them, so it also prints a mock shell: the column headers and one
placeholder row. Like `tables/tte.py` for survival outputs, this module also holds what
every listing spec shares: its parameters, data needs and the call of its analysis.

study.toml (every key has a default in the spec):
    [tables."16.2.7"]
    population = "SAF"
    treatment_var = "TRT01A"
    dataset = "adae"
    columns = [{ var = "USUBJID", label = "Subject" },
               { var = "AGE", label = "Age", from = "adsl" },
               { var = "ASTDT", label = "Start date" },            # *DT: shown YYYY-MM-DD
               { var = "AENDY", label = "End day", day_of = "AENDT" }]  # derived study day
    where = [{ var = "AESER", in = ["Y"] }]        # also not_in, above, below, missing
    sort = ["USUBJID", "ASTDT", "AESEQ"]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from submission_kit.analysis.ard import AnalysisResults, Listing
from submission_kit.analysis.listings import (
    FILTER_KEYS,
    ListColumn,
    ListingDesign,
    column_kind,
    describe_filters,
    listing_frame,
    listing_of,
    listing_records,
    parse_filters,
)
from submission_kit.data.contracts import DatasetNeed, needs
from submission_kit.tables.cells import Shown
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    Param,
    arm_column_keys,
    arm_groups,
    population_rule,
    select_population,
    title_lines,
)
from submission_kit.tables.summary import group_row

COLUMN_KEYS = ("var", "label", "from", "type", "day_of")
_TYPES = ("date", "text")
_PLACEHOLDERS = {"date": "YYYY-MM-DD", "day": "xx"}


def listing_params(dataset: str, columns: Sequence[Mapping[str, Any]],
                   where: Sequence[Mapping[str, Any]] = (), sort: Sequence[str] = ("USUBJID",)
                   ) -> dict[str, Param]:
    """The parameters of a listing spec, with that listing's defaults."""
    return {
        "dataset": Param(str, dataset),
        "columns": Param((list, tuple), tuple(columns), items=COLUMN_KEYS),
        "where": Param((list, tuple), tuple(where), items=FILTER_KEYS),
        "sort": Param((list, tuple), tuple(sort)),
        "day_reference": Param(str, "TRTSDT"),  # ADSL date of study day 1
        "empty_text": Param(str, "None"),  # shown under an arm with no record
        "orientation": Param(str, "auto"),  # auto: landscape when the columns need it
    }


def listing_design(ctx: OutputContext) -> ListingDesign:
    dataset = ctx.param("dataset")
    columns = tuple(_column(ctx, i, item, dataset) for i, item in enumerate(ctx.param("columns")))
    if not columns:
        raise ctx.error("columns", "a listing needs at least one column")
    sort = ctx.param("sort")
    if not all(isinstance(v, str) for v in sort):
        raise ctx.error("sort", f"expected variable names, got {list(sort)!r}")
    if ctx.param("orientation") not in ("auto", "portrait", "landscape"):
        raise ctx.error("orientation", "use 'auto', 'portrait' or 'landscape'")
    where = parse_filters(ctx.param("where"), "where", ctx.error)
    for i, condition in enumerate(where):
        if condition.source not in ("", "adsl", dataset):
            raise ctx.error(f"where[{i}].from", f"{condition.source!r}: use \"adsl\" (or leave "
                                                f"it out to read {dataset.upper()})")
    return ListingDesign(dataset, columns, where, tuple(sort), ctx.param("day_reference"))


def _column(ctx: OutputContext, i: int, item: Mapping[str, Any], dataset: str) -> ListColumn:
    where = f"columns[{i}]"
    if "var" not in item:
        raise ctx.error(where, 'expected { var = "USUBJID", label = "Subject" }')
    kind = str(item.get("type", ""))
    if kind and kind not in _TYPES:
        raise ctx.error(f"{where}.type", f"{kind!r}: use {' or '.join(_TYPES)}")
    source = str(item.get("from", ""))
    if source not in ("", "adsl", dataset):
        raise ctx.error(f"{where}.from", f"{source!r}: use \"adsl\" (or leave it out to read "
                                         f"{dataset.upper()})")
    var, day_of = str(item["var"]), str(item.get("day_of", ""))
    return ListColumn(var, str(item.get("label", var)), "" if source == dataset else source,
                      column_kind(var, kind, day_of), day_of)


def listing_needs(ctx: OutputContext) -> list[DatasetNeed]:
    design = listing_design(ctx)
    own: dict[str, str] = {"USUBJID": "char"}
    adsl: dict[str, str] = {"USUBJID": "char", ctx.treatment_var: "char",
                            ctx.population.flag: "char"}

    def add(var: str, kind: str, source: str) -> None:
        target = adsl if source == "adsl" or design.dataset == "adsl" else own
        if target.get(var, "any") == "any":
            target[var] = kind

    for col in design.columns:
        if col.kind == "day":
            add(col.day_of, "date", col.source)
            add(design.day_reference, "date", "adsl")
        else:
            add(col.var, "date" if col.kind == "date" else "any", col.source)
    for condition in design.where:
        add(condition.var, "any", condition.source)
    listed = {c.var for c in design.columns}
    for var in design.sort:
        if var not in listed:
            add(var, "any", "")
    out = [needs("adsl", *_spelled(adsl), subject_level=True)]
    if design.dataset != "adsl":
        out.insert(0, needs(design.dataset, *_spelled(own)))
    return out


def _spelled(variables: Mapping[str, str]) -> list[str]:
    return [f"{v}:{k}" if k != "any" else v for v, k in variables.items()]


def listing_analyse(frames: Frames, ctx: OutputContext, title: str) -> AnalysisResults:
    design = listing_design(ctx)
    adsl = select_population(frames["adsl"], ctx)
    groups = arm_groups(adsl, ctx, total=False)
    records = adsl if design.dataset == "adsl" else frames[design.dataset]
    frame = listing_frame(records, adsl, design, ctx.treatment_var)
    arm_values = {a.key: a.value for a in ctx.arms}
    selected = describe_filters(design.where) or "all records"
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or title,
        population=population_rule(ctx),
        datasets=ctx.datasets_used(list(dict.fromkeys(["adsl", design.dataset]))),
        stats=tuple(listing_records(ctx.analysis_id, frame, groups, arm_values)),
        subjects=len(adsl),
        methods=(f"{design.dataset.upper()}: {selected}; sorted by {', '.join(design.sort)}",),
        listing=listing_of(frame, groups, [c.var for c in design.columns], arm_values),
    )


def listing_layout(shown: Shown, ctx: OutputContext, title: str, program: str) -> TableModel:
    design = listing_design(ctx)
    stub, *rest = design.columns
    if shown.results is None or shown.results.listing is None:
        rows = [Row(_placeholder(stub), tuple(_placeholder(c) for c in rest))]
    else:
        rows = _data_rows(shown, ctx, shown.results.listing, len(rest))
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Listing", title),
        columns=tuple(Column(c.var, c.label) for c in rest),
        rows=tuple(rows),
        footnotes=(*_footnotes(ctx, design), *shown.notes(), *ctx.param("footnotes")),
        source=f"{', '.join(dict.fromkeys([design.dataset.upper(), 'ADSL']))}; "
               f"program {program}.py",
        stub_header=stub.label,
        orientation=ctx.param("orientation"),
        population=ctx.population.label,
    )


def _placeholder(column: ListColumn) -> str:
    """The shape of a value in a mock shell; ADaM names study days *DY."""
    if column.var.upper().endswith("DY"):
        return _PLACEHOLDERS["day"]
    return _PLACEHOLDERS.get(column.kind, "x" * 8)


def _data_rows(shown: Shown, ctx: OutputContext, listing: Listing, width: int) -> list[Row]:
    """A label row per arm, '(N=..)' of the population, then its records; an arm without
    records says so instead of vanishing."""
    rows = []
    for key, label in arm_column_keys(ctx, total=False):
        rows.append(group_row(f"{label} (N={shown.big_n(key)})", width))
        listed = listing.rows(key)
        if not listed:
            rows.append(Row(ctx.param("empty_text"), ("",) * width, 1))
        rows += [Row(values[0], tuple(values[1:]), 1) for values in listed]
    return rows


def _footnotes(ctx: OutputContext, design: ListingDesign) -> list[str]:
    selected = describe_filters(design.where)
    if design.dataset == "adsl":
        listed = f"Subjects listed: {f'those with {selected}' if selected else 'all'}"
    else:
        listed = (f"Records listed: {design.dataset.upper()} records with {selected}"
                  if selected else f"Records listed: all {design.dataset.upper()} records")
    out = [f"N = number of subjects in the {ctx.population.label}; subjects are grouped by "
           f"{ctx.treatment_var}.",
           f"{listed}; sorted by {', '.join(design.sort)}."]
    if any(c.kind == "day" for c in design.columns):
        out.append(f"Study day relative to {design.day_reference} (day 1); the day before "
                   "is day -1.")
    if any(c.kind in ("date", "day") for c in design.columns):
        out.append("Dates are shown as YYYY-MM-DD; a blank cell is a missing value.")
    else:
        out.append("A blank cell is a missing value.")
    return out
