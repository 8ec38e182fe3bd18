"""Listings (ICH E3 16.2.x, 14.3.2.x): which records are listed, in which order, as text.

A listing is results first like any table: this module selects the records (population,
configured filters such as AESER = 'Y'), derives study days, sorts, and turns each value
into its text form (dates ISO 8601, missing blank, never rounded). The layout only places
the rows. Record filters are shared with the laboratory analyses (post-baseline records).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from submission_kit.analysis.ard import Listing, ListingGroup, Stat, stat
from submission_kit.analysis.descriptive import Group, big_n_records

FILTER_KEYS = ("var", "in", "not_in", "above", "below", "missing", "from")
Error = Callable[[str, str], Exception]  # (TOML key, problem) -> the error to raise


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """One condition on a record; a listing keeps the records meeting all of them."""

    var: str
    isin: tuple[Any, ...] | None = None
    not_in: tuple[Any, ...] | None = None
    above: float | None = None  # strictly greater than
    below: float | None = None  # strictly less than
    missing: bool | None = None  # True: value missing; False: value present
    source: str = ""  # dataset the variable is read from ("": the records' own dataset)


@dataclass(frozen=True, slots=True)
class ListColumn:
    var: str
    label: str
    source: str = ""  # "adsl" to read a subject-level variable beside each record
    kind: str = "any"  # "date" (shown YYYY-MM-DD), "day" (derived study day) or "any"
    day_of: str = ""  # for kind "day": the date variable the study day is derived from


@dataclass(frozen=True, slots=True)
class ListingDesign:
    dataset: str  # "adae"; "adsl" lists subjects
    columns: tuple[ListColumn, ...]
    where: tuple[RecordFilter, ...] = ()
    sort: tuple[str, ...] = ("USUBJID",)
    day_reference: str = "TRTSDT"  # ADSL date of study day 1


# ---- configuration -> design (plain mappings from study.toml) ------------------------------

def parse_filters(items: Sequence[Mapping[str, Any]], key: str, error: Error
                  ) -> tuple[RecordFilter, ...]:
    """`[{ var = "AESER", in = ["Y"] }, { var = "AVISITN", above = 0 }]`."""
    out = []
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        if "var" not in item or len(item) < 2:
            raise error(where, 'expected { var = "AESER", in = ["Y"] } (or not_in, above, '
                               "below, missing)")
        for name in ("in", "not_in"):
            if name in item and not isinstance(item[name], (list, tuple)):
                raise error(f"{where}.{name}", f"expected a list, got {item[name]!r}")
        for name in ("above", "below"):
            if name in item and (isinstance(item[name], bool)
                                 or not isinstance(item[name], (int, float))):
                raise error(f"{where}.{name}", f"expected a number, got {item[name]!r}")
        if "missing" in item and not isinstance(item["missing"], bool):
            raise error(f"{where}.missing", "expected true or false")
        out.append(RecordFilter(
            var=str(item["var"]),
            isin=tuple(item["in"]) if "in" in item else None,
            not_in=tuple(item["not_in"]) if "not_in" in item else None,
            above=item.get("above"), below=item.get("below"), missing=item.get("missing"),
            source=str(item.get("from", ""))))
    return tuple(out)


def column_kind(var: str, kind: str, day_of: str) -> str:
    """"day" (derived from `day_of`), "date" or "any". `kind` is the configured type ("date",
    "text" or ""); ADaM names dates *DT (ADaMIG timing conventions), so those print as dates
    unless the configuration says "text"."""
    if day_of:
        return "day"
    if kind == "text":
        return "any"
    if kind:
        return kind
    return "date" if var.upper().endswith("DT") else "any"


# ---- selection ------------------------------------------------------------------------------

def filter_mask(frame: pd.DataFrame, condition: RecordFilter,
                values: pd.Series | None = None) -> pd.Series:
    """Records meeting one condition. Numeric variables compare as numbers, others as text;
    a missing value meets only `not_in` and `missing = true`."""
    column = frame[condition.var] if values is None else values
    numeric = pd.api.types.is_numeric_dtype(column)
    mask = pd.Series(True, index=frame.index)
    if condition.isin is not None:
        mask &= column.isin(_as_kind(condition.isin, numeric))
    if condition.not_in is not None:
        mask &= ~column.isin(_as_kind(condition.not_in, numeric))
    if condition.above is not None:
        mask &= pd.to_numeric(column, errors="coerce") > condition.above
    if condition.below is not None:
        mask &= pd.to_numeric(column, errors="coerce") < condition.below
    if condition.missing is not None:
        mask &= column.isna() == condition.missing
    return mask


def _as_kind(values: Sequence[Any], numeric: bool) -> list[Any]:
    if numeric:
        return [float(v) for v in values if _is_number(v)]
    return [str(v) for v in values]


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def describe_filters(filters: Sequence[RecordFilter]) -> str:
    """"AESER = 'Y' and AVISITN > 0": the selection, for footnotes."""
    parts = []
    for f in filters:
        if f.isin is not None:
            parts.append(f"{f.var} = {_quoted(f.isin[0])}" if len(f.isin) == 1
                         else f"{f.var} in ({', '.join(_quoted(v) for v in f.isin)})")
        if f.not_in is not None:
            parts.append(f"{f.var} not in ({', '.join(_quoted(v) for v in f.not_in)})")
        if f.above is not None:
            parts.append(f"{f.var} > {f.above:g}")
        if f.below is not None:
            parts.append(f"{f.var} < {f.below:g}")
        if f.missing is not None:
            parts.append(f"{f.var} is {'missing' if f.missing else 'not missing'}")
    return " and ".join(parts)


def _quoted(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else f"{value:g}"


def study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """ADaM study day: date - reference + 1 on or after the reference date, date - reference
    before it (there is no day 0). Missing when either date is missing."""
    days = (pd.to_datetime(dates) - pd.to_datetime(reference)).dt.days
    return days.where(days < 0, days + 1).astype("Float64")


# ---- the listing ----------------------------------------------------------------------------

class _Resolver:
    """Values of a variable beside each record: from the records, or from ADSL by subject."""

    def __init__(self, records: pd.DataFrame, adsl: pd.DataFrame, dataset: str) -> None:
        self.records, self.adsl, self.dataset = records, adsl.set_index("USUBJID"), dataset

    def values(self, var: str, source: str = "") -> pd.Series:
        if source == "adsl" and self.dataset != "adsl":
            return self.records["USUBJID"].map(self.adsl[var])
        return self.records[var]


def listing_frame(records: pd.DataFrame, adsl: pd.DataFrame, design: ListingDesign,
                  treatment: str) -> pd.DataFrame:
    """The listed records of population subjects (`adsl` is the population), filtered and
    sorted, one column per listed variable plus the subject's treatment value (`_ARM`) and
    USUBJID (`_SUBJECT`)."""
    records = records[records["USUBJID"].isin(adsl["USUBJID"])].reset_index(drop=True)
    get = _Resolver(records, adsl, design.dataset)
    keep = pd.Series(True, index=records.index)
    for condition in design.where:
        keep &= filter_mask(records, condition, get.values(condition.var, condition.source))
    out = pd.DataFrame(index=records.index)
    for col in design.columns:
        if col.kind == "day":
            out[col.var] = study_day(get.values(col.day_of, col.source),
                                     get.values(design.day_reference, "adsl"))
        else:
            out[col.var] = get.values(col.var, col.source)
    out["_ARM"] = get.values(treatment, "adsl")
    out["_SUBJECT"] = records["USUBJID"]
    keys = pd.DataFrame({f"_k{i}": out[v] if v in out.columns else get.values(v)
                         for i, v in enumerate(design.sort)}, index=records.index)
    order = keys[keep].sort_values(list(keys.columns), kind="mergesort",
                                   na_position="last").index
    return out.loc[order].reset_index(drop=True)


def listing_of(frame: pd.DataFrame, groups: Sequence[Group], columns: Sequence[str],
               arm_values: Mapping[str, str]) -> Listing:
    """Rows as text, split by arm in configured order; an arm with no record keeps an empty
    group (the layout says so, it does not vanish)."""
    out = []
    for key, _label, _rows in groups:
        part = frame[frame["_ARM"] == arm_values[key]]
        rows = tuple(zip(*(part[c].map(value_text) for c in columns), strict=True)) \
            if len(part) else ()
        out.append(ListingGroup(key, tuple(tuple(r) for r in rows)))
    return Listing(tuple(columns), tuple(out))


def value_text(value: Any) -> str:
    """A datum as listed: dates YYYY-MM-DD, 12.0 -> '12', other numbers in full (a listing
    shows data as collected, never rounded), missing -> ''."""
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def listing_records(analysis: str, frame: pd.DataFrame, groups: Sequence[Group],
                    arm_values: Mapping[str, str]) -> list[Stat]:
    """Population N, records listed and subjects listed per arm (for narrative and checks)."""
    out = big_n_records(analysis, groups)
    for key, label, _rows in groups:
        part = frame[frame["_ARM"] == arm_values[key]]
        where = {"arm": key}
        out += [stat(analysis, f"records.{key}.n", len(part), "n", f"Records listed, {label}",
                     where),
                stat(analysis, f"subjects.{key}.n", int(part["_SUBJECT"].nunique()), "n",
                     f"Subjects listed, {label}", where)]
    return out
