"""Time-to-event results by subgroup: events and hazard ratios within each level of a baseline
variable, the treatment-by-subgroup interaction test and the prognostic effect of the variable
itself, as results records (ARD) — no rows, no formats.

Conventions are those of the overall analysis (`analysis.time_to_event`, table 14.2.1): Cox
proportional hazards with Efron ties, one indicator per non-reference arm, Wald 95% CIs. The
overall row is that analysis's unadjusted model (`arm_cox_model`), so the two tables agree.

- Within a level: the Cox model with treatment alone, fitted to the subjects of that level.
- Interaction: likelihood-ratio test of the Cox model with treatment, subgroup and treatment x
  subgroup against the model without the interaction; df = (arms - 1)(levels - 1), counted as
  the rank the interaction adds to the design (a level without one of the arms adds less).
  Levels with no events carry no information on the treatment effect (their subjects drop out
  of both likelihoods as the level's coefficient tends to -inf) and are left out of the test.
  Where an arm has no events in a level the interaction coefficient is infinite: the
  likelihood-ratio statistic is then taken at the supremum of the likelihood (`CoxResult.loglik`)
  and a footnote says so.
- Prognostic effect: the hazard ratio of each level against the first (reference) level, from
  the Cox model with treatment and the variable (Wald CI and p).

Not estimable is a result: a level with no subjects or no events in an arm gives NaN with a
reason in `notes`, never a crash. Subjects with a missing value of the variable are in no level
and are counted in a note.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from submission_kit.analysis.ard import Stat, stat
from submission_kit.analysis.cox import CoxResult, CoxTerm, cox_regression, dummy_code
from submission_kit.analysis.descriptive import key_part, level_text, observed_levels
from submission_kit.analysis.time_to_event import (
    TteDesign,
    arm_cox_model,
    arm_indicators,
    complete_cases,
)

LEVEL = "_LEVEL"  # the subgroup value, as text, in the model frames
METHODS = ("Cox proportional hazards within each subgroup level, Efron ties, Wald 95% CI",
           "Treatment-by-subgroup interaction: likelihood-ratio test, Cox model with treatment, "
           "subgroup and interaction vs without the interaction",
           "Prognostic effect: Cox model with treatment and the subgroup variable, Wald 95% CI "
           "and p-value, each level vs the first")


@dataclass(frozen=True, slots=True)
class Subgroup:
    """One subgroup variable, as configured."""

    var: str  # ADSL variable
    label: str
    levels: tuple[str, ...] = ()  # order; the first is the prognostic reference level
    display: Mapping[str, str] = field(default_factory=dict)  # level -> text, for notes
    prognostic: bool = False

    def shown(self, level: str) -> str:
        return self.display.get(level, level)


@dataclass(frozen=True, slots=True)
class SubgroupRecords:
    stats: tuple[Stat, ...]
    levels: Mapping[str, tuple[str, ...]]  # var -> levels, in display order
    notes: tuple[str, ...]


def subgroup_records(analysis: str, data: pd.DataFrame, design: TteDesign,
                     subgroups: Sequence[Subgroup], arm_labels: Mapping[str, str]
                     ) -> SubgroupRecords:
    """`data`: one row per population subject with AVAL, EVENT (1 = event), the treatment and
    the subgroup variables; AVAL missing where the subject has no record for the endpoint."""
    notes: list[str] = []
    used = complete_cases(data, [design.treatment])
    out = _big_n(analysis, data, design) + _overall(analysis, used, design, arm_labels, notes)
    levels: dict[str, tuple[str, ...]] = {}
    for sg in subgroups:
        values = _level_values(used[sg.var])
        missing = int(values.isna().sum())
        if missing:
            notes.append(f"{sg.label}: {missing} subject(s) with a missing value are in no "
                         "level and not in the interaction test.")
        rows = used[values.notna()].assign(**{LEVEL: values[values.notna()]})
        levels[sg.var] = _levels(rows[LEVEL], sg.levels)
        for level in levels[sg.var]:
            out += _level(analysis, sg, level, rows[rows[LEVEL] == level], design, arm_labels,
                          notes)
        out += _interaction(analysis, sg, rows, levels[sg.var], design, notes)
        if sg.prognostic:
            out += _prognostic(analysis, sg, rows, levels[sg.var], design, notes)
    missing = int(data["AVAL"].isna().sum())
    if missing:
        notes.insert(0, f"{missing} subject(s) in the population have no record for this "
                        "endpoint and are not analysed.")
    return SubgroupRecords(tuple(out), levels, tuple(notes))


def _level_values(column: pd.Series) -> pd.Series:
    """Levels as text ('1' for 1.0); an empty string is a missing SAS character value."""
    text = level_text(column)
    return text.where(text.str.strip() != "")


def _levels(values: pd.Series, configured: Sequence[str]) -> tuple[str, ...]:
    """The configured order, then any level in the data the configuration does not list (it
    would otherwise vanish from the table silently)."""
    observed = observed_levels(values)
    return (*configured, *sorted(set(observed) - set(configured)))


def _big_n(analysis: str, data: pd.DataFrame, design: TteDesign) -> list[Stat]:
    return [stat(analysis, f"N.{arm}", int((data[design.treatment] == value).sum()), "n",
                 "Subjects", {"arm": arm}) for arm, value in design.arm_values.items()]


def _counts(analysis: str, base: str, rows: pd.DataFrame, design: TteDesign,
            where: Mapping[str, str]) -> tuple[list[Stat], dict[str, tuple[int, int]]]:
    """Subjects analysed and events per arm: records and {arm: (n, events)}."""
    out: list[Stat] = []
    counts: dict[str, tuple[int, int]] = {}
    for arm, value in design.arm_values.items():
        in_arm = rows[rows[design.treatment] == value]
        counts[arm] = (len(in_arm), int((in_arm["EVENT"] == 1).sum()))
        out += [stat(analysis, f"{base}.{arm}.n", counts[arm][0], "n", "Subjects analysed",
                     {**where, "arm": arm}),
                stat(analysis, f"{base}.{arm}.events", counts[arm][1], "n", "Events",
                     {**where, "arm": arm})]
    return out, counts


def _overall(analysis: str, used: pd.DataFrame, design: TteDesign,
             arm_labels: Mapping[str, str], notes: list[str]) -> list[Stat]:
    """All subjects: the overall analysis's unadjusted Cox model, by the same function."""
    out, counts = _counts(analysis, "overall", used, design, {})
    result, arm_terms = arm_cox_model(used, design)
    for arm, term_name in arm_terms.items():
        term = result.term(term_name)
        reason = _reason(counts, arm, design.reference, arm_labels, term, result)
        if reason:
            notes.append(f"All subjects, {arm_labels[arm]} vs "
                         f"{arm_labels[design.reference]}: {reason} (NE).")
        out += _hr_stats(analysis, f"overall.{arm}", term, "All subjects", {"arm": arm})
    return out


def _level(analysis: str, sg: Subgroup, level: str, rows: pd.DataFrame, design: TteDesign,
           arm_labels: Mapping[str, str], notes: list[str]) -> list[Stat]:
    base = f"subgroup.{sg.var}.{key_part(level)}"
    where = {"subgroup": sg.var, "level": level}
    out, counts = _counts(analysis, base, rows, design, where)
    result, arm_terms = arm_cox_model(rows, design)
    for arm, term_name in arm_terms.items():
        term = result.term(term_name)
        reason = _reason(counts, arm, design.reference, arm_labels, term, result)
        if reason:
            notes.append(f"{sg.label} = {sg.shown(level)}, {arm_labels[arm]} vs "
                         f"{arm_labels[design.reference]}: {reason} (NE).")
        out += _hr_stats(analysis, f"{base}.{arm}", term, f"{sg.label}: {level}",
                         {**where, "arm": arm})
    return out


def _reason(counts: Mapping[str, tuple[int, int]], arm: str, reference: str,
            arm_labels: Mapping[str, str], term: CoxTerm, result: CoxResult) -> str:
    """Why a hazard ratio is not estimable, in the reader's words ('' when it is)."""
    if math.isfinite(term.hr):
        return ""
    for what, i in (("subjects", 0), ("events", 1)):
        lacking = [arm_labels[key] for key in (arm, reference) if counts[key][i] == 0]
        if lacking:
            return f"no {what} in {' or '.join(lacking)}"
    return term.note or result.note or "not estimable"


def _hr_stats(analysis: str, base: str, term: CoxTerm, label: str,
              where: Mapping[str, str]) -> list[Stat]:
    return [stat(analysis, f"{base}.{part}", value, kind, label, where)
            for part, value, kind in (("hr", term.hr, "hr"), ("lcl", term.lower, "hr"),
                                      ("ucl", term.upper, "hr"), ("p", term.p, "p"))]


def _model_frame(rows: pd.DataFrame, levels: Sequence[str], design: TteDesign,
                 interaction: bool) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Arm indicators, level indicators (first level the reference) and, with `interaction`,
    their products: (frame, main-effect terms, interaction terms)."""
    frame, arm_terms = arm_indicators(rows, design)
    frame, level_terms = dummy_code(frame, LEVEL, levels)
    products = []
    if interaction:
        for arm_term in arm_terms.values():
            for level_term in level_terms:
                products.append(f"{arm_term}:{level_term}")
                frame[products[-1]] = frame[arm_term] * frame[level_term]
    return frame, [*arm_terms.values(), *level_terms], products


def _interaction(analysis: str, sg: Subgroup, rows: pd.DataFrame, levels: Sequence[str],
                 design: TteDesign, notes: list[str]) -> list[Stat]:
    evented = [lv for lv in levels if (rows.loc[rows[LEVEL] == lv, "EVENT"] == 1).any()]
    unused = [sg.shown(lv) for lv in levels if lv not in evented and (rows[LEVEL] == lv).any()]
    label = f"Interaction test, {sg.label}"
    if unused:
        notes.append(f"{label}: level(s) with no events do not contribute "
                     f"({', '.join(unused)}).")
    fit_rows = rows[rows[LEVEL].isin(evented)]
    frame, main, products = _model_frame(fit_rows, evented, design, interaction=True)
    df = _rank(frame, [*main, *products]) - _rank(frame, main)
    chisq = p = math.nan
    if df > 0:
        reduced = cox_regression(frame, "AVAL", "EVENT", main)
        full = cox_regression(frame, "AVAL", "EVENT", [*main, *products])
        chisq = 2 * (full.loglik - reduced.loglik)  # NaN if either did not converge
        if math.isfinite(chisq):
            chisq = max(chisq, 0.0)  # rounding can leave -1e-13 where the fits coincide
            p = float(stats.chi2.sf(chisq, df))
        _interaction_notes(label, full, reduced, chisq, notes)
        planned = (len(design.arm_values) - 1) * (len(evented) - 1)
        if df < planned:
            notes.append(f"{label}: {df} df instead of (arms - 1) x (levels - 1) = {planned}, "
                         "as not every level holds every arm.")
    else:
        notes.append(f"{label}: not estimable (no treatment comparison is available in two "
                     "or more levels with events).")
    where = {"subgroup": sg.var}
    return [stat(analysis, f"interaction.{sg.var}.chisq", chisq, "chisq", label, where),
            stat(analysis, f"interaction.{sg.var}.df", df, "n", label, where),
            stat(analysis, f"interaction.{sg.var}.p", p, "p", label, where),
            stat(analysis, f"interaction.{sg.var}.n", len(fit_rows), "n", label, where)]


def _interaction_notes(label: str, full: CoxResult, reduced: CoxResult, chisq: float,
                       notes: list[str]) -> None:
    if not math.isfinite(chisq):
        notes.append(f"{label}: not estimable "
                     f"({full.note or reduced.note or 'model did not converge'}).")
    elif any("monotone likelihood" in r.note for r in (full, reduced)):
        notes.append(f"{label}: an arm has no events in a level (monotone likelihood); the "
                     "likelihood-ratio statistic is taken at the supremum of the likelihood.")


def _rank(frame: pd.DataFrame, terms: Sequence[str]) -> int:
    """Rank of the centred design: the number of coefficients the data identify (a Cox
    model has no intercept, so centring removes what the baseline hazard absorbs)."""
    if not terms or frame.empty:
        return 0
    x = frame[list(terms)].to_numpy(float)
    return int(np.linalg.matrix_rank(x - x.mean(axis=0)))


def _prognostic(analysis: str, sg: Subgroup, rows: pd.DataFrame, levels: Sequence[str],
                design: TteDesign, notes: list[str]) -> list[Stat]:
    """Hazard ratio of each level vs the first, adjusted for treatment."""
    frame, main, _ = _model_frame(rows, levels, design, interaction=False)
    result = cox_regression(frame, "AVAL", "EVENT", main)
    reference, out = levels[0], list[Stat]()
    for level in levels[1:]:
        term = result.term(f"{LEVEL}={level}")
        if not math.isfinite(term.hr):
            notes.append(f"Prognostic effect of {sg.label}, {sg.shown(level)} vs "
                         f"{sg.shown(reference)}: {_level_reason(rows, level, reference, sg)}"
                         f" (NE).")
        out += _hr_stats(analysis, f"prognostic.{sg.var}.{key_part(level)}", term,
                         f"{sg.label}: {level} vs {reference}",
                         {"subgroup": sg.var, "level": level})
    return out


def _level_reason(rows: pd.DataFrame, level: str, reference: str, sg: Subgroup) -> str:
    for value in (level, reference):
        if not (rows[LEVEL] == value).any():
            return f"no subjects in {sg.shown(value)}"
    for value in (level, reference):
        if not (rows.loc[rows[LEVEL] == value, "EVENT"] == 1).any():
            return f"no events in {sg.shown(value)}"
    return "model not estimable"
