"""Rows of a time-to-event table: counts, Kaplan-Meier estimates, log-rank and Cox results.

Comparisons (hazard ratios) sit in the column of each non-reference arm; the reference
column is blank on those rows, the usual layout in efficacy TLFs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from submission_kit import fmt
from submission_kit.analysis.ard import ArdBuilder
from submission_kit.analysis.survival import (
    cox_regression,
    dummy_code,
    kaplan_meier,
    logrank,
    median_survival,
    survival_at,
)
from submission_kit.fmt import Rounding
from submission_kit.tables.model import Row
from submission_kit.tables.summary import ArmSubset


@dataclass(frozen=True, slots=True)
class SurvivalLayout:
    reference: str  # arm key of the comparator
    event_label: str = "Events"
    median_label: str = "Median time to event"
    time_unit: str = "days"
    timepoint: float | None = None
    timepoint_label: str = ""
    mode: Rounding = "sas"


def count_rows(ard: ArdBuilder, subsets: Sequence[ArmSubset], lay: SurvivalLayout) -> list[Row]:
    rows = []
    for label, key, pick in (("Subjects analysed, n", "n", None),
                             (f"{lay.event_label}, n (%)", "events", 1),
                             ("Censored, n (%)", "censored", 0)):
        cells, keys = [], []
        for arm, _lab, data in subsets:
            n = len(data) if pick is None else int((data["EVENT"] == pick).sum())
            ref = ard.add(f"{key}.{arm}.n", n, "n", label, {"arm": arm})
            cells.append(str(n) if pick is None else fmt.fmt_n_pct(n, len(data), 1, lay.mode))
            keys.append(ref)
        rows.append(Row(label, tuple(cells), 0, tuple(keys)))
    return rows


def km_rows(ard: ArdBuilder, subsets: Sequence[ArmSubset], lay: SurvivalLayout) -> list[Row]:
    estimate, median = [], []
    for arm, _lab, data in subsets:
        curve = kaplan_meier(data["AVAL"].to_numpy(), data["EVENT"].to_numpy())
        if lay.timepoint is not None:
            at = survival_at(curve, lay.timepoint)
            refs = [ard.add(f"km.{arm}.{part}", value, "surv",
                            f"KM survival at {lay.timepoint_label}", {"arm": arm})
                    for part, value in (("surv", at.survival), ("lcl", at.lower),
                                        ("ucl", at.upper))]
            estimate.append((fmt.fmt_estimate_ci(*_pct(at.survival, at.lower, at.upper), 1,
                                                 lay.mode), refs[0]))
        med = median_survival(curve)
        ref = ard.add(f"median.{arm}.est", med.median, "time", "KM median", {"arm": arm})
        ard.add(f"median.{arm}.lcl", med.lower, "time", "KM median lower CL", {"arm": arm})
        ard.add(f"median.{arm}.ucl", med.upper, "time", "KM median upper CL", {"arm": arm})
        median.append((fmt.fmt_estimate_ci(med.median, med.lower, med.upper, 0, lay.mode), ref))
    rows = []
    if estimate:
        rows += [Row(f"Kaplan-Meier survival at {lay.timepoint_label}", ("",) * len(subsets)),
                 Row("% (95% CI)", tuple(c for c, _ in estimate), 1,
                     tuple(k for _, k in estimate))]
    rows.append(Row(f"{lay.median_label}, {lay.time_unit} (95% CI)", tuple(c for c, _ in median),
                    0, tuple(k for _, k in median)))
    return rows


def _pct(estimate: float, lower: float, upper: float) -> tuple[float, float, float]:
    """Survival proportions shown as percentages (NaN stays NaN: not estimable)."""
    return (100 * estimate, 100 * lower, 100 * upper)


def logrank_row(ard: ArdBuilder, data: pd.DataFrame, subsets: Sequence[ArmSubset],
                treatment: str, strata: Sequence[str], label: str, key: str,
                mode: Rounding) -> Row:
    strata_values = data[list(strata)].astype(str).agg("|".join, axis=1) if strata else None
    result = logrank(data["AVAL"].to_numpy(), data["EVENT"].to_numpy(),
                     data[treatment].to_numpy(),
                     None if strata_values is None else strata_values.to_numpy())
    ard.add(f"logrank.{key}.chisq", result.chisq, "chisq", label)
    ard.add(f"logrank.{key}.df", result.df, "n", label)
    ref = ard.add(f"logrank.{key}.p", result.p, "p", label)
    cells = ("",) * (len(subsets) - 1) + (fmt.fmt_pvalue(result.p, 3, mode),)
    keys = ("",) * (len(subsets) - 1) + (ref,)
    return Row(label, cells, 0, keys)


def cox_rows(ard: ArdBuilder, data: pd.DataFrame, subsets: Sequence[ArmSubset],
             treatment: str, arm_values: dict[str, str], covariates: Sequence[str],
             label: str, key: str, lay: SurvivalLayout) -> list[Row]:
    """One Cox model with an indicator per non-reference arm (+ covariates): HR, CI, p."""
    design, arm_terms = _arm_indicators(data, treatment, arm_values, lay.reference)
    covariate_terms: list[str] = []
    for var in covariates:
        if pd.api.types.is_numeric_dtype(design[var]):
            covariate_terms.append(var)
        else:
            design, names = dummy_code(design, var)
            covariate_terms += names
    terms = list(arm_terms.values()) + covariate_terms
    clean = design[["AVAL", "EVENT", *terms]].dropna()
    result = cox_regression(clean, "AVAL", "EVENT", terms)
    hr_cells, p_cells, hr_keys, p_keys = [], [], [], []
    for arm, _lab, _data in subsets:
        if arm not in arm_terms:
            hr_cells.append("")
            p_cells.append("")
            hr_keys.append("")
            p_keys.append("")
            continue
        term = result.term(arm_terms[arm])
        base = f"cox.{key}.{arm}"
        hr_keys.append(ard.add(f"{base}.hr", term.hr, "hr", label, {"arm": arm}))
        ard.add(f"{base}.lcl", term.lower, "hr", label, {"arm": arm})
        ard.add(f"{base}.ucl", term.upper, "hr", label, {"arm": arm})
        p_keys.append(ard.add(f"{base}.p", term.p, "p", label, {"arm": arm}))
        ard.add(f"{base}.n", result.n, "n", label, {"arm": arm})
        hr_cells.append(fmt.fmt_estimate_ci(term.hr, term.lower, term.upper, 2, lay.mode))
        p_cells.append(fmt.fmt_pvalue(term.p, 3, lay.mode))
    return [Row(label, ("",) * len(subsets)),
            Row("Hazard ratio (95% CI)", tuple(hr_cells), 1, tuple(hr_keys)),
            Row("p-value (Wald)", tuple(p_cells), 1, tuple(p_keys))]


def _arm_indicators(data: pd.DataFrame, treatment: str, arm_values: dict[str, str],
                    reference: str) -> tuple[pd.DataFrame, dict[str, str]]:
    design = data.copy()
    terms = {}
    for arm, value in arm_values.items():
        if arm == reference:
            continue
        name = f"ARM_{arm}"
        design[name] = (design[treatment] == value).astype(float)
        terms[arm] = name
    return design, terms
