"""The time-to-event analysis of one endpoint: counts, Kaplan-Meier estimates, log-rank tests
and Cox hazard ratios by arm, as results records (ARD) — no rows, no formats.

Tables (14.2.1, 14.2.4), figures (Kaplan-Meier) and narrative all read these records by key,
so a figure's hazard ratio is the table's. Not-estimable statistics are NaN with a reason in
`notes`; subjects left out of a model (missing covariates) are counted and noted, never
dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from submission_kit.analysis.ard import Stat, stat
from submission_kit.analysis.cox import CoxResult, cox_regression, dummy_code
from submission_kit.analysis.descriptive import Group
from submission_kit.analysis.survival import (
    kaplan_meier,
    logrank,
    median_survival,
    survival_at,
)

METHODS = ("Kaplan-Meier with Greenwood variance; log(-log) 95% CIs; median CI by "
           "Brookmeyer-Crowley on the log(-log) scale",
           "Log-rank test (stratified: O-E and variance summed over strata)",
           "Cox proportional hazards, Efron ties, Wald 95% CI and p-value")


@dataclass(frozen=True, slots=True)
class TteDesign:
    """What the analysis compares; known from the configuration, before any data."""

    treatment: str  # the treatment variable, TRT01P
    arm_values: Mapping[str, str]  # arm key -> value in the data, in display order
    reference: str  # arm key of the comparator
    timepoint: float | None = None  # KM estimate shown at this time
    strata: tuple[str, ...] = ()  # stratified log-rank
    covariates: tuple[str, ...] = ()  # adjusted Cox model


@dataclass(frozen=True, slots=True)
class TteRecords:
    stats: tuple[Stat, ...]
    series: Mapping[str, tuple[float, ...]]
    notes: tuple[str, ...]


def tte_records(analysis: str, data: pd.DataFrame, groups: Sequence[Group],
                design: TteDesign) -> TteRecords:
    """`data`: one row per population subject with AVAL and EVENT (1 = event); subjects
    without a record for the endpoint have AVAL missing. `groups` split it by arm."""
    stats: list[Stat] = []
    series: dict[str, tuple[float, ...]] = {}
    notes: list[str] = []
    for key, label, rows in groups:
        analysed = rows.dropna(subset=["AVAL"])
        stats += _counts(analysis, key, rows, analysed)
        if design.timepoint is not None:  # follow-up that ended early: what "censored" hides
            early = (analysed["EVENT"] == 0) & (analysed["AVAL"] < design.timepoint)
            stats.append(stat(analysis, f"censored_early.{key}.n", int(early.sum()), "n",
                              f"Censored before {design.timepoint:g}", {"arm": key}))
        stats += _kaplan_meier(analysis, (key, label), analysed, design.timepoint, series,
                               notes)
    stats += _logrank(analysis, "unstratified", data, design, (), notes)
    if design.strata:
        stats += _logrank(analysis, "stratified", data, design, design.strata, notes)
    stats += _cox(analysis, "unadjusted", data, design, (), notes)
    if design.covariates:
        stats += _cox(analysis, "adjusted", data, design, design.covariates, notes)
    missing = int(data["AVAL"].isna().sum())
    if missing:
        notes.insert(0, f"{missing} subject(s) in the population have no record for this "
                        "endpoint and are not analysed.")
    return TteRecords(tuple(stats), series, tuple(notes))


def _counts(analysis: str, arm: str, rows: pd.DataFrame, analysed: pd.DataFrame) -> list[Stat]:
    where = {"arm": arm}
    events = int((analysed["EVENT"] == 1).sum())
    return [
        stat(analysis, f"N.{arm}", int(rows["USUBJID"].nunique()), "n", "Subjects", where),
        stat(analysis, f"n.{arm}.n", len(analysed), "n", "Subjects analysed", where),
        stat(analysis, f"events.{arm}.n", events, "n", "Events", where),
        stat(analysis, f"censored.{arm}.n", len(analysed) - events, "n", "Censored", where),
    ]


def _kaplan_meier(analysis: str, arm_label: tuple[str, str], rows: pd.DataFrame,
                  timepoint: float | None, series: dict[str, tuple[float, ...]],
                  notes: list[str]) -> list[Stat]:
    arm, label = arm_label
    curve = kaplan_meier(rows["AVAL"].to_numpy(), rows["EVENT"].to_numpy())
    for name in ("times", "survival", "lower", "upper", "at_risk", "events"):
        series[f"km.{arm}.{name}"] = tuple(getattr(curve, name))
    series[f"km.{arm}.censored_times"] = curve.censored_times
    where = {"arm": arm}
    out = []
    if timepoint is not None:
        at = survival_at(curve, timepoint)
        if at.note:
            notes.append(f"Kaplan-Meier estimate at {timepoint:g}, {label}: {at.note} (NE).")
        out += [stat(analysis, f"km.{arm}.{part}", value, "surv", f"KM survival at {timepoint:g}",
                     where) for part, value in (("surv", at.survival), ("lcl", at.lower),
                                                ("ucl", at.upper))]
    med = median_survival(curve)
    if med.note:
        notes.append(f"Kaplan-Meier median, {label}: {med.note} (NE).")
    out += [stat(analysis, f"median.{arm}.{part}", value, "time", "KM median", where)
            for part, value in (("est", med.median), ("lcl", med.lower), ("ucl", med.upper))]
    return out


def numbers_at_risk(time: np.ndarray, ticks: Sequence[float]) -> tuple[int, ...]:
    """Subjects still at risk (time >= t) at each tick, from the raw times."""
    return tuple(int((time >= t).sum()) for t in ticks)


def complete_cases(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Rows with every column present (an empty string is a missing SAS character value)."""
    kept = data.dropna(subset=["AVAL", *columns])
    for column in columns:
        if kept[column].dtype == object:
            kept = kept[kept[column].astype(str).str.strip() != ""]
    return kept


def _left_out(data: pd.DataFrame, used: pd.DataFrame, what: str, columns: Sequence[str],
              notes: list[str]) -> None:
    dropped = int(data["AVAL"].notna().sum()) - len(used)
    if dropped:
        notes.append(f"{what}: {dropped} subject(s) with a missing value of "
                     f"{', '.join(columns)} are left out (complete cases); {len(used)} analysed.")


def _logrank(analysis: str, key: str, data: pd.DataFrame, design: TteDesign,
             strata: Sequence[str], notes: list[str]) -> list[Stat]:
    used = complete_cases(data, [design.treatment, *strata])
    used = used[used[design.treatment].isin(list(design.arm_values.values()))]
    label = "Log-rank test" + (f" stratified by {', '.join(strata)}" if strata else "")
    _left_out(data, used, label, strata, notes)
    layers = used[list(strata)].astype(str).agg("|".join, axis=1).to_numpy() if strata else None
    result = logrank(used["AVAL"].to_numpy(), used["EVENT"].to_numpy(),
                     used[design.treatment].to_numpy(), layers,
                     groups=list(design.arm_values.values()))
    if result.note:
        notes.append(f"{label}: not estimable ({result.note}).")
    return [stat(analysis, f"logrank.{key}.chisq", result.chisq, "chisq", label),
            stat(analysis, f"logrank.{key}.df", result.df, "n", label),
            stat(analysis, f"logrank.{key}.p", result.p, "p", label),
            stat(analysis, f"logrank.{key}.n", len(used), "n", label)]


def _cox(analysis: str, key: str, data: pd.DataFrame, design: TteDesign,
         covariates: Sequence[str], notes: list[str]) -> list[Stat]:
    """One model with an indicator per non-reference arm (+ covariates): HR, CI, p per arm."""
    label = f"Cox model, {key}"
    used = complete_cases(data, [design.treatment, *covariates])
    _left_out(data, used, label, covariates, notes)
    result, arm_terms = arm_cox_model(used, design, covariates)
    if result.note:
        notes.append(f"{label}: {result.note}.")
    out = []
    for arm, term_name in arm_terms.items():
        term, where = result.term(term_name), {"arm": arm}
        if term.note and term.note != result.note:
            notes.append(f"{label}, {arm} vs {design.reference}: {term.note}.")
        out += [stat(analysis, f"cox.{key}.{arm}.{part}", value, kind, label, where)
                for part, value, kind in (("hr", term.hr, "hr"), ("lcl", term.lower, "hr"),
                                          ("ucl", term.upper, "hr"), ("p", term.p, "p"),
                                          ("n", result.n, "n"))]
    return out


def arm_cox_model(used: pd.DataFrame, design: TteDesign, covariates: Sequence[str] = ()
                  ) -> tuple[CoxResult, dict[str, str]]:
    """The Cox model of this analysis on complete cases `used`: an indicator per non-reference
    arm, then the covariates (categorical ones dummy-coded). Returns the fit and the term name
    of each arm. Subgroup analyses call it too, so their overall row is this table's."""
    frame, arm_terms = arm_indicators(used, design)
    terms = list(arm_terms.values())
    for var in covariates:
        if pd.api.types.is_numeric_dtype(frame[var]):
            terms.append(var)
        else:
            frame, names = dummy_code(frame, var)
            terms += names
    return cox_regression(frame, "AVAL", "EVENT", terms), arm_terms


def arm_indicators(data: pd.DataFrame, design: TteDesign
                   ) -> tuple[pd.DataFrame, dict[str, str]]:
    """A 0/1 column ARM_<key> per non-reference arm; returns the frame and arm -> column."""
    frame = data.copy()
    terms = {}
    for arm, value in design.arm_values.items():
        if arm != design.reference:
            terms[arm] = f"ARM_{arm}"
            frame[terms[arm]] = (frame[design.treatment] == value).astype(float)
    return frame, terms
