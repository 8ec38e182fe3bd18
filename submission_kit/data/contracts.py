"""What an output needs from the data, and the checks that run before any analysis.

Each table or figure spec declares `DatasetNeed`s; `require_data` merges them, reads only the
datasets that are needed, and reports every problem at once: file, dataset, variable and a few
offending rows. Analyses can then trust their inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from submission_kit.errors import UserError

Kind = Literal["num", "char", "date", "any"]
_SHOW_ROWS = 5


@dataclass(frozen=True, slots=True)
class VariableNeed:
    name: str
    kind: Kind = "any"


@dataclass(frozen=True, slots=True)
class DatasetNeed:
    dataset: str  # lower-case name as in study.toml [data.datasets]
    variables: tuple[VariableNeed, ...]
    subject_level: bool = False  # one row per USUBJID (ADSL)
    time_to_event: bool = False  # CNSR in {0, 1}, AVAL >= 0 (ADTTE)
    declared_by: tuple[str, ...] = field(default=())  # outputs that need it, for messages


def needs(dataset: str, *variables: str, subject_level: bool = False,
          time_to_event: bool = False) -> DatasetNeed:
    """Shorthand: needs('adsl', 'USUBJID:char', 'AGE:num', 'TRTSDT:date', 'SEX')."""
    parsed = []
    for item in variables:
        name, _, kind = item.partition(":")
        parsed.append(VariableNeed(name, kind or "any"))  # type: ignore[arg-type]
    return DatasetNeed(dataset, tuple(parsed), subject_level, time_to_event)


def merge_needs(items: Iterable[DatasetNeed]) -> dict[str, DatasetNeed]:
    """One need per dataset: the union of variables; the strictest kind wins."""
    merged: dict[str, DatasetNeed] = {}
    for need in items:
        old = merged.get(need.dataset)
        if old is None:
            merged[need.dataset] = need
            continue
        kinds = {v.name: v.kind for v in old.variables}
        for v in need.variables:
            if kinds.get(v.name, "any") == "any":
                kinds[v.name] = v.kind
        merged[need.dataset] = DatasetNeed(
            need.dataset,
            tuple(VariableNeed(n, k) for n, k in kinds.items()),
            old.subject_level or need.subject_level,
            old.time_to_event or need.time_to_event,
            tuple(dict.fromkeys(old.declared_by + need.declared_by)),
        )
    return merged


def require_dataset(frame: pd.DataFrame, need: DatasetNeed, path: Path) -> pd.DataFrame:
    """Check one dataset against what its outputs need; return it with dates parsed and
    character variables as strings. Raises UserError listing every problem found."""
    problems: list[str] = []
    frame = frame.copy()
    where = f"{path} (dataset {need.dataset.upper()})"
    for var in need.variables:
        if var.name not in frame.columns:
            problems.append(f"variable {var.name} is missing"
                            + _needed_by(need))
            continue
        frame[var.name], problem = _coerce(frame[var.name], var)
        if problem:
            problems.append(problem)
    if not problems:
        problems += _check_rows(frame, need)
    if problems:
        raise UserError(f"{where}: {len(problems)} problem(s) found", problems)
    return frame


def _needed_by(need: DatasetNeed) -> str:
    return f" (needed by {', '.join(need.declared_by)})" if need.declared_by else ""


def _coerce(col: pd.Series, var: VariableNeed) -> tuple[pd.Series, str]:
    if var.kind == "num":
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            bad = col[pd.to_numeric(col, errors="coerce").isna() & col.notna()]
            if len(bad):
                return col, (f"variable {var.name} must be numeric; found {_sample(bad)}")
            return pd.to_numeric(col), ""
        return col.astype(float), ""
    if var.kind == "char":
        if pd.api.types.is_numeric_dtype(col):  # CSV readers guess numbers for codes like SITEID
            return col.map(_number_text, na_action="ignore").astype(object), ""
        return col.astype(object).where(col.notna(), None), ""
    if var.kind == "date":
        return _as_dates(col, var.name)
    return col, ""


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _as_dates(col: pd.Series, name: str) -> tuple[pd.Series, str]:
    if pd.api.types.is_datetime64_any_dtype(col):
        return col, ""
    if pd.api.types.is_numeric_dtype(col):  # SAS date values exported without a format
        return pd.to_datetime(col, unit="D", origin="1960-01-01"), ""
    parsed = pd.to_datetime(col, format="ISO8601", errors="coerce")
    bad = col[parsed.isna() & col.notna()]
    if len(bad):
        return col, f"variable {name} must hold dates (YYYY-MM-DD); found {_sample(bad)}"
    return parsed, ""


def _check_rows(frame: pd.DataFrame, need: DatasetNeed) -> list[str]:
    problems = []
    if need.subject_level and "USUBJID" in frame.columns:
        dup = frame["USUBJID"][frame["USUBJID"].duplicated(keep=False)]
        if len(dup):
            problems.append(f"USUBJID must be unique (one row per subject); duplicated: "
                            f"{_sample(dup.drop_duplicates())}")
    if need.time_to_event:
        if "CNSR" in frame.columns:
            bad = frame["CNSR"][~frame["CNSR"].isin([0, 1])]
            if len(bad):
                problems.append(f"CNSR must be 0 (event) or 1 (censored); found {_sample(bad)}")
        if "AVAL" in frame.columns:
            bad = frame["AVAL"][(frame["AVAL"] < 0) | frame["AVAL"].isna()]
            if len(bad):
                problems.append("AVAL (time to event) must be present and >= 0; found "
                                f"{_sample(bad)}")
    return problems


def _sample(values: pd.Series) -> str:
    """'row 3: -2.0; row 17: nan (2 more)' — row numbers are 1-based data rows."""
    shown = [f"row {i + 1}: {v!r}" for i, v in list(values.items())[:_SHOW_ROWS]]
    more = len(values) - _SHOW_ROWS
    return "; ".join(shown) + (f" ({more} more)" if more > 0 else "")


def require_subjects_in_adsl(
    frames: Mapping[str, pd.DataFrame], paths: Mapping[str, Path]
) -> None:
    """Every USUBJID in a non-ADSL dataset must be in ADSL."""
    if "adsl" not in frames:
        return
    known = set(frames["adsl"]["USUBJID"])
    for name, frame in frames.items():
        if name == "adsl" or "USUBJID" not in frame.columns:
            continue
        orphans = frame["USUBJID"][~frame["USUBJID"].isin(known)]
        if len(orphans):
            raise UserError(
                f"{paths[name]} (dataset {name.upper()}): {orphans.nunique()} USUBJID value(s) "
                "not in ADSL",
                [_sample(orphans.drop_duplicates())],
            )
