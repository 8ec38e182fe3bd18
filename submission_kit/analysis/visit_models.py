"""Models of change from baseline in a repeated endpoint, as results records (ARD): the MMRM
over the model visits with its covariance fallback, the ANCOVA at the landmark visit, and the
random intercept and slope model of the value over time. An outcome with no baseline
(`ChangeDesign.baseline` False, e.g. CIBIC+, itself a rating of change) has only the ANCOVA of
its value at the landmark (and the slope model, which needs no baseline).

Input: the long frame of `longitudinal.RECORD` (one row per subject and visit), with the
covariates and the dose column joined from ADSL. Imputed records (IMPUTED, e.g. LOCF) enter
the ANCOVA when the dataset defines the analysis that way, but never the MMRM or the slope
model: those model the observed values, missing at random.
"""

from __future__ import annotations

import importlib.metadata
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from submission_kit.analysis.ard import Stat, stat
from submission_kit.analysis.longitudinal import (
    NOT_ESTIMABLE,
    ancova,
    comparison_key,
    covariate_columns,
    visit_key,
)
from submission_kit.analysis.mmrm import STRUCTURES, Estimate, MmrmFit, contrast, fit_mmrm

DEFAULT_STRUCTURES = ("un", "toeph", "ar1", "cs")
_ESTIMATE_PARTS = ("est", "se", "df", "lcl", "ucl")


@dataclass(frozen=True, slots=True)
class ChangeDesign:
    """What the models compare; known from the configuration, before any data."""

    arms: tuple[str, ...]  # arm keys, in column order
    labels: tuple[str, ...]  # arm labels, for notes
    comparisons: tuple[tuple[str, str], ...]  # (arm, versus): arm - versus
    landmark: str  # visit of the primary comparison
    model_visits: tuple[str, ...]  # visits of the MMRM, in order
    covariates: tuple[str, ...] = ()
    baseline_by_visit: bool = False  # baseline x visit interaction in the MMRM
    structures: tuple[str, ...] = DEFAULT_STRUCTURES  # MMRM covariance, in order of preference
    dose: str = ""  # numeric dose column: dose-response test in the ANCOVA
    digits: int = 0  # data precision
    mmrm: bool = True
    ancova: bool = True
    slope: bool = True
    baseline: bool = True  # False: no baseline (CIBIC+); the ANCOVA models the value itself


@dataclass(frozen=True, slots=True)
class ModelRecords:
    stats: tuple[Stat, ...]
    notes: tuple[str, ...]
    methods: tuple[str, ...]


def software() -> str:
    versions = {name: importlib.metadata.version(name) for name in ("numpy", "scipy")}
    return ", ".join(f"{k} {v}" for k, v in versions.items())


def change_model_records(analysis: str, data: pd.DataFrame, subjects: pd.DataFrame,
                         design: ChangeDesign) -> ModelRecords:
    """`subjects`: the population (USUBJID, ARM), against which the subjects each model
    analyses are counted, so none is left out without a note."""
    if design.mmrm and not design.baseline:
        raise ValueError("the MMRM models change from baseline: it needs a baseline")
    stats: list[Stat] = []
    notes: list[str] = []
    methods: list[str] = []
    if design.mmrm:
        stats += _mmrm_records(analysis, data, subjects, design, notes, methods)
    if design.ancova:
        stats += _ancova_records(analysis, data, subjects, design, notes, methods)
    if design.slope:
        stats += _slope_records(analysis, data, subjects, design, notes, methods)
    return ModelRecords(tuple(stats), tuple(notes), tuple(methods))


def _complete(rows: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    kept = rows.dropna(subset=list(columns))
    for column in columns:
        if kept[column].dtype == object:
            kept = kept[kept[column].astype(str).str.strip() != ""]
    return kept


def _left_out(what: str, subjects: pd.DataFrame, rows: pd.DataFrame, design: ChangeDesign,
              reason: str, notes: list[str]) -> None:
    """A note when population subjects are not in the model: how many, and who is left."""
    lost = subjects["USUBJID"].nunique() - rows["USUBJID"].nunique()
    if lost:
        per_arm = ", ".join(f"{label} {rows.loc[rows['ARM'] == a, 'USUBJID'].nunique()}"
                            for a, label in zip(design.arms, design.labels, strict=True))
        notes.append(f"{what}: {lost} subject(s) in the population {reason} are not "
                     f"analysed (analysed: {per_arm}).")


def _estimate_records(analysis: str, key: str, label: str, found: Estimate, digits: int,
                      p: bool = False) -> list[Stat]:
    parts = _ESTIMATE_PARTS + (("p",) if p else ())
    values = {"est": found.estimate, "se": found.se, "df": found.df, "lcl": found.lower,
              "ucl": found.upper, "p": found.p}
    return [stat(analysis, f"{key}.{part}", values[part], "p" if part == "p" else part, label,
                 digits=digits) for part in parts]


def _counts(analysis: str, key: str, rows: pd.DataFrame, arms: Sequence[str]) -> list[Stat]:
    return [stat(analysis, f"{key}.{a}", int(rows.loc[rows["ARM"] == a, "USUBJID"].nunique()),
                 "n", "Subjects analysed", {"arm": a}) for a in arms]


# ---- MMRM ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Matrix:
    y: np.ndarray
    x: np.ndarray
    subject: np.ndarray
    visit: np.ndarray
    visits: tuple[str, ...]
    times: tuple[float, ...]
    names: tuple[str, ...]
    vector: Callable[[str, str], np.ndarray]  # (arm, visit) -> LS mean contrast


def mmrm_matrix(rows: pd.DataFrame, design: ChangeDesign) -> _Matrix:
    """CHG ~ visit + arm x visit (cell means by visit) + BASE [x visit] + covariates.
    LS means take BASE and numeric covariates at their mean over the rows analysed and
    weight factor levels equally (SAS PROC MIXED LSMEANS)."""
    visits = tuple(v for v in design.model_visits if (rows["VISIT"] == v).any())
    code = rows["VISIT"].map({v: i for i, v in enumerate(visits)}).to_numpy(int)
    onehot = np.eye(len(visits))[code]
    arms = design.arms
    blocks = [onehot] + [onehot * (rows["ARM"] == a).to_numpy(float)[:, None] for a in arms[1:]]
    names = [f"visit[{v}]" for v in visits]
    names += [f"arm[{a}]:visit[{v}]" for a in arms[1:] for v in visits]
    base = rows["BASE"].to_numpy(float)
    blocks.append(onehot * base[:, None] if design.baseline_by_visit else base[:, None])
    names += [f"BASE:visit[{v}]" for v in visits] if design.baseline_by_visit else ["BASE"]
    cov = covariate_columns(rows, design.covariates)
    x = np.hstack([*blocks, cov.x])
    names += list(cov.names)
    base_mean, t, k = float(base.mean()), len(visits), len(arms) - 1

    def vector(arm: str, visit: str) -> np.ndarray:
        c, v = np.zeros(x.shape[1]), visits.index(visit)
        c[v] = 1.0
        if arm != arms[0]:
            c[t * (1 + arms.index(arm) - 1) + v] = 1.0
        c[t * (1 + k) + (v if design.baseline_by_visit else 0)] = base_mean
        c[x.shape[1] - len(cov.at):] = cov.at
        return c

    times = rows.groupby("VISIT")["VISITN"].first()
    subject = pd.factorize(rows["USUBJID"])[0]
    return _Matrix(rows["CHG"].to_numpy(float), x, subject, code, visits,
                   tuple(float(times[v]) for v in visits), tuple(names), vector)


def _mmrm_records(analysis: str, data: pd.DataFrame, subjects: pd.DataFrame,
                  design: ChangeDesign, notes: list[str], methods: list[str]) -> list[Stat]:
    post = data[~data["BASELINE"] & ~data["IMPUTED"] & data["VISIT"].isin(design.model_visits)]
    rows = _complete(post, ["CHG", "BASE", *design.covariates]).reset_index(drop=True)
    _left_out("MMRM", subjects, rows, design, "with no observed change from baseline at the "
              "model visits (or a missing baseline or covariate)", notes)
    out = _counts(analysis, "mmrm.n", rows, design.arms)
    if rows.empty:
        notes.append("MMRM: no subject has an observed value at the model visits (NE).")
        return [*out, stat(analysis, "mmrm.structure", "", "text", "Covariance structure")]
    m = mmrm_matrix(rows, design)
    fit = fit_mmrm(m.y, m.x, m.subject, m.visit, m.times, m.names, design.structures,
                   visit_names=m.visits)
    _mmrm_notes(fit, design, notes)
    methods.append(_mmrm_method(fit, design))
    out.append(stat(analysis, "mmrm.structure", STRUCTURES.get(fit.structure, ""), "text",
                    "Covariance structure"))
    for visit in design.model_visits:
        out += _mmrm_visit(analysis, fit, m, visit, design, notes)
    return out


def _mmrm_visit(analysis: str, fit: MmrmFit, m: _Matrix, visit: str, design: ChangeDesign,
                notes: list[str]) -> list[Stat]:
    key, d = visit_key(visit), design.digits
    out: list[Stat] = []
    nan = NOT_ESTIMABLE

    def found(arm: str) -> Estimate:
        return contrast(fit, m.vector(arm, visit)) if visit in m.visits else nan

    for arm, label in zip(design.arms, design.labels, strict=True):
        est = found(arm)
        if fit.fit is not None and math.isnan(est.estimate) and visit in m.visits:
            notes.append(f"MMRM: no observed value for {label} at {visit}; its LS mean and "
                         "comparisons there are NE.")
        out += _estimate_records(analysis, f"mmrm.lsmean.{key}.{arm}", f"LS mean, {visit}",
                                 est, d)
    for arm, versus in design.comparisons:
        est = (contrast(fit, m.vector(arm, visit) - m.vector(versus, visit))
               if visit in m.visits else nan)
        out += _estimate_records(analysis, f"mmrm.diff.{key}.{comparison_key(arm, versus)}",
                                 f"LS mean difference, {visit}", est, d, p=True)
    return out


def _mmrm_notes(fit: MmrmFit, design: ChangeDesign, notes: list[str]) -> None:
    for tried in fit.tried:
        notes.append(f"MMRM, {tried}; the next structure in the pre-specified order was "
                     "tried.")
    if fit.fit is None:
        notes.append("MMRM: no covariance structure could be fitted; estimates are NE.")


def _mmrm_method(fit: MmrmFit, design: ChangeDesign) -> str:
    base = "baseline x visit" if design.baseline_by_visit else "baseline"
    terms = ", ".join(["treatment x visit", base, *design.covariates])
    used = STRUCTURES.get(fit.structure, "none")
    return (f"MMRM: change from baseline ~ {terms}; {used} covariance across visits "
            f"(order tried: {', '.join(STRUCTURES[s] for s in design.structures)}); REML; "
            "model-based SEs; Satterthwaite df")


# ---- ANCOVA at the landmark ----------------------------------------------------------------

def _ancova_records(analysis: str, data: pd.DataFrame, subjects: pd.DataFrame,
                    design: ChangeDesign, notes: list[str], methods: list[str]) -> list[Stat]:
    at = data[~data["BASELINE"] & (data["VISIT"] == design.landmark)]
    response, base = ("CHG", ["BASE"]) if design.baseline else ("AVAL", [])
    needed = [response, *base, *design.covariates, *([design.dose] if design.dose else [])]
    rows = _complete(at, needed).reset_index(drop=True)
    missing = ((f"with no change from baseline at {design.landmark} (or a missing baseline or "
                "covariate)") if design.baseline else
               f"with no value at {design.landmark} (or a missing covariate)")
    _left_out(f"ANCOVA at {design.landmark}", subjects, rows, design, missing, notes)
    result = ancova(rows, response, design.arms, design.comparisons, design.covariates,
                    design.dose, design.baseline)
    if result.note:
        notes.append(f"ANCOVA at {design.landmark}: {result.note}; its estimates are NE.")
    d = design.digits
    out = [stat(analysis, f"ancova.n.{a}", n, "n", "Subjects analysed", {"arm": a})
           for a, n in result.n.items()]
    for arm, est in result.lsmeans.items():
        out += _estimate_records(analysis, f"ancova.lsmean.{arm}", "LS mean", est, d)
    for (arm, versus), est in result.diffs.items():
        out += _estimate_records(analysis, f"ancova.diff.{comparison_key(arm, versus)}",
                                 "LS mean difference", est, d, p=True)
    out.append(stat(analysis, "ancova.dose.p", result.dose_p, "p", "Dose response"))
    imputed = int(rows["IMPUTED"].sum())
    what = "change from baseline" if design.baseline else "value (no baseline covariate)"
    terms = ["treatment", *(["baseline"] if design.baseline else []), *design.covariates]
    methods.append(f"ANCOVA at {design.landmark}: {what} ~ {', '.join(terms)}; residual df "
                   f"({result.df}); t-based CIs"
                   + (f"; {imputed} imputed value(s) as the dataset defines them"
                      if imputed else "; observed cases"))
    return out


# ---- random intercept and slope --------------------------------------------------------------

def _slope_records(analysis: str, data: pd.DataFrame, subjects: pd.DataFrame,
                   design: ChangeDesign, notes: list[str], methods: list[str]) -> list[Stat]:
    landmark = data.loc[data["VISIT"] == design.landmark, "VISITN"]
    limit = float(landmark.iloc[0]) if len(landmark) else math.inf
    rows = _complete(data[~data["IMPUTED"] & (data["VISITN"] <= limit)], ["AVAL"])
    rows = rows.sort_values(["USUBJID", "VISITN"]).reset_index(drop=True)
    _left_out("Slope model", subjects, rows, design, f"with no observed value up to "
              f"{design.landmark}", notes)
    out = _counts(analysis, "slope.n", rows, design.arms)
    fit, vector = _fit_slopes(rows, design.arms)
    if fit is not None and fit.fit is None:
        notes.append("Random intercept and slope model: " + "; ".join(fit.tried) + " (NE).")
    for arm in design.arms:
        est = contrast(fit, vector(arm)) if fit is not None else NOT_ESTIMABLE
        out += _estimate_records(analysis, f"slope.rate.{arm}", "Slope", est, design.digits)
    for arm, versus in design.comparisons:
        est = contrast(fit, vector(arm) - vector(versus)) if fit is not None else NOT_ESTIMABLE
        out += _estimate_records(analysis, f"slope.diff.{comparison_key(arm, versus)}",
                                 "Slope difference", est, design.digits, p=True)
    methods.append(f"Slopes: value ~ time x treatment, random intercept and slope per subject "
                   f"(unstructured 2 x 2), REML, Satterthwaite df; visits up to "
                   f"{design.landmark}, time = VISITN")
    return out


def _fit_slopes(rows: pd.DataFrame, arms: Sequence[str]
                ) -> tuple[MmrmFit | None, Callable[[str], np.ndarray]]:
    """AVAL ~ arm + time + arm x time; slope of an arm = time + its arm x time term."""
    time = rows["VISITN"].to_numpy(float)
    ind = [(rows["ARM"] == a).to_numpy(float) for a in arms[1:]]
    x = np.column_stack([np.ones(len(rows)), *ind, time, *[i * time for i in ind]])
    names = ["(Intercept)", *[f"arm[{a}]" for a in arms[1:]], "time",
             *[f"arm[{a}]:time" for a in arms[1:]]]

    def vector(arm: str) -> np.ndarray:
        c = np.zeros(len(names))
        c[names.index("time")] = 1.0
        if arm != arms[0]:
            c[names.index(f"arm[{arm}]:time")] = 1.0
        return c

    if rows.empty:
        return None, vector
    grid = np.sort(rows["VISITN"].unique())
    visit = np.searchsorted(grid, time)
    subject = pd.factorize(rows["USUBJID"])[0]
    return fit_mmrm(rows["AVAL"].to_numpy(float), x, subject, visit, grid, names,
                    ("rirs",)), vector
