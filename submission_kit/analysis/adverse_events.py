"""Treatment-emergent adverse events: subject incidence by row (any TEAE, category, system
organ class, preferred term, worst severity), Fisher's exact tests between arms and risk
differences with Newcombe confidence intervals. Full precision; rounding happens in `fmt`.

Conventions (ICH E3 14.3.1; CDISC pilot Table 14-5.01):
- a subject counts once per row, however many records meet the row; events count records;
- the denominator of every percentage is the number of subjects in the arm's population
  (from ADSL, the subject-level source of truth), not the number with an AE record;
- the Total column is the sum of the arms (each subject belongs to one arm).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd
from scipy.stats import norm

from submission_kit.analysis.ard import Stat, stat
from submission_kit.analysis.descriptive import key_part
from submission_kit.analysis.exact import fisher_exact_rxc

ARM = "_ARM"  # column holding the arm key of each AE record (from ADSL)
TOTAL = "TOTAL"
MISSING_SEVERITY = "Missing"
Clause = Mapping[str, tuple[str, ...]]  # variable -> accepted values; all must hold
Rule = tuple[Clause, ...]  # any clause may hold; () selects every record
PValue = Literal["none", "pairwise", "global"]
Order = Literal["frequency", "alphabetical"]
PVALUE_METHODS = {
    "pairwise": "Fisher's exact test (two-sided) of each arm against the reference arm",
    "global": "Fisher's exact test (two-sided) across all arms (k x 2 table)",
}


# ---- which records ----------------------------------------------------------------------------

def rule_variables(rule: Rule) -> tuple[str, ...]:
    return tuple(dict.fromkeys(var for clause in rule for var in clause))


def rule_mask(frame: pd.DataFrame, rule: Rule) -> pd.Series:
    """Records meeting the rule: any clause, each clause all of its variables."""
    if not rule:
        return pd.Series(True, index=frame.index)
    out = pd.Series(False, index=frame.index)
    for clause in rule:
        hit = pd.Series(True, index=frame.index)
        for var, values in clause.items():
            hit &= frame[var].isin(values)
        out |= hit
    return out


def rule_text(rule: Rule) -> str:
    """'AEOUT = FATAL or AESDTH = Y', for footnotes."""
    def one(var: str, values: tuple[str, ...]) -> str:
        return f"{var} = {values[0]}" if len(values) == 1 else f"{var} in ({', '.join(values)})"
    return " or ".join(" and ".join(one(v, vals) for v, vals in c.items()) for c in rule)


def missing_notes(records: pd.DataFrame, rule: Rule, what: str) -> list[str]:
    """Records whose rule variable is missing do not meet the rule: say how many, so a
    missing relationship or outcome is never counted as 'no' silently."""
    out = []
    for var in rule_variables(rule):
        missing = int(records[var].isna().sum())
        if missing and missing == len(records):
            out.append(f"{var} is missing on all {missing} TEAE records: none can count as "
                       f"{what} ({rule_text(rule)}).")
        elif missing:
            out.append(f"{var} is missing on {missing} TEAE record(s); they do not count as "
                       f"{what} ({rule_text(rule)}).")
    return out


def teae_records(population: pd.DataFrame, adae: pd.DataFrame, treatment_var: str,
                 arm_keys: Mapping[str, str], flag: str) -> pd.DataFrame:
    """TEAE records (flag = 'Y') of the population's subjects, each with the arm key of its
    subject taken from ADSL (`population`: one row per subject, already restricted to the
    population and the configured arms)."""
    arms = population[["USUBJID"]].assign(**{ARM: population[treatment_var].map(arm_keys)})
    teae = adae[adae[flag].astype("string").str.upper().eq("Y").fillna(False)]
    return teae.merge(arms, on="USUBJID", how="inner", validate="many_to_one")


def fill_uncoded(records: pd.DataFrame, variables: Sequence[str], label: str = "Uncoded"
                 ) -> tuple[pd.DataFrame, list[str]]:
    """A record without a SOC or preferred term is kept under `label` (with a note), so the
    'any' row and the rows below it always add up."""
    notes = []
    out = records.copy()
    for var in variables:
        missing = int(out[var].isna().sum())
        if missing:
            out[var] = out[var].fillna(label)
            notes.append(f"{missing} TEAE record(s) with {var} missing are shown as {label}.")
    return out, notes


# ---- counting ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RowCounts:
    """Subjects with at least one record, and records, per arm key."""

    subjects: Mapping[str, int]
    events: Mapping[str, int]

    def n(self, arm: str) -> int:
        if arm == TOTAL:
            return sum(self.subjects.values())
        return int(self.subjects.get(arm, 0))

    def e(self, arm: str) -> int:
        if arm == TOTAL:
            return sum(self.events.values())
        return int(self.events.get(arm, 0))


EMPTY = RowCounts({}, {})


def count_rows(records: pd.DataFrame, by: Sequence[str]) -> dict[tuple[str, ...], RowCounts]:
    """Subject and record counts per level of `by` (() gives one row: every record)."""
    if records.empty:
        return {}
    keys = [*by, ARM]
    grouped = records.groupby(keys, dropna=False)["USUBJID"].agg(["nunique", "size"])
    out: dict[tuple[str, ...], dict[str, dict[str, int]]] = {}
    for index, (subjects, events) in grouped.iterrows():
        level = tuple(str(v) for v in (index if isinstance(index, tuple) else (index,)))
        row = out.setdefault(level[:-1], {"subjects": {}, "events": {}})
        row["subjects"][level[-1]] = int(subjects)
        row["events"][level[-1]] = int(events)
    return {k: RowCounts(v["subjects"], v["events"]) for k, v in out.items()}


def worst_severity(records: pd.DataFrame, by: Sequence[str], var: str,
                   levels: Sequence[str]) -> pd.DataFrame:
    """One record per subject and level of `by`, holding the subject's worst severity there
    (`levels` from mildest to worst; a missing severity ranks below every level, so it shows
    only for a subject with no graded record in the row)."""
    rank = records[var].map({level: i for i, level in enumerate(levels)}).fillna(-1)
    ranked = records.assign(_RANK=rank)
    worst = ranked.groupby([*by, ARM, "USUBJID"], dropna=False)["_RANK"].max().reset_index()
    worst[var] = worst["_RANK"].map(lambda r: levels[int(r)] if r >= 0 else MISSING_SEVERITY)
    return worst.drop(columns="_RANK")


def frequency_order(counts: Mapping[str, RowCounts], sort_by: str) -> tuple[str, ...]:
    """Levels by descending subject count in `sort_by` (an arm key, or TOTAL), then
    alphabetically (case-insensitive, as a reader scans a list)."""
    return tuple(sorted(counts, key=lambda level: (-counts[level].n(sort_by), level.casefold(),
                                                   level)))


def alphabetical_order(levels: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(levels, key=lambda level: (level.casefold(), level)))


# ---- statistics -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AeDesign:
    """Columns and comparisons of an AE table, known before any counting."""

    arms: tuple[str, ...]  # arm keys, in column order
    big_n: Mapping[str, int]  # subjects in the population per arm key
    total: bool = True  # a Total column
    reference: str = ""  # arm key of the comparator (pairwise tests, risk differences)
    pvalue: PValue = "none"
    sort_by: str = TOTAL

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.arms, TOTAL) if self.total else self.arms

    @property
    def comparisons(self) -> tuple[str, ...]:
        return tuple(a for a in self.arms if a != self.reference)

    def denominator(self, column: str) -> int:
        return sum(self.big_n.values()) if column == TOTAL else int(self.big_n.get(column, 0))


def big_n_stats(analysis: str, design: AeDesign) -> list[Stat]:
    return [stat(analysis, f"N.{c}", design.denominator(c), "n", f"Subjects, {c}", {"arm": c})
            for c in design.columns]


def incidence_stats(analysis: str, key: str, label: str, counts: RowCounts,
                    design: AeDesign, events: bool = True) -> list[Stat]:
    """n, % of the column N and (optionally) events per column; p-values as designed."""
    out = []
    for col in design.columns:
        n, big_n = counts.n(col), design.denominator(col)
        where = {"arm": col}
        out += [stat(analysis, f"{key}.{col}.n", n, "n", label, where),
                stat(analysis, f"{key}.{col}.pct", 100 * n / big_n if big_n else math.nan,
                     "pct", label, where, 1)]
        if events:
            out.append(stat(analysis, f"{key}.{col}.events", counts.e(col), "events", label,
                            where))
    return out + pvalue_stats(analysis, key, label, counts, design)


def pvalue_stats(analysis: str, key: str, label: str, counts: RowCounts,
                 design: AeDesign) -> list[Stat]:
    """NaN (shown NE) where the test is undefined: no subject with the event, or none
    without it, in the arms compared; or an arm with no subjects."""
    def table(arms: Sequence[str]) -> list[list[int]]:
        return [[counts.n(a), design.denominator(a) - counts.n(a)] for a in arms]

    if design.pvalue == "global":
        return [stat(analysis, f"{key}.p.all", _fisher(table(design.arms)), "p",
                     f"{label}: {PVALUE_METHODS['global']}")]
    if design.pvalue == "pairwise":
        return [stat(analysis, f"{key}.p.{arm}",
                     _fisher(table((design.reference, arm))), "p",
                     f"{label}: {arm} vs {design.reference}", {"arm": arm})
                for arm in design.comparisons]
    return []


def _fisher(table: list[list[int]]) -> float:
    """The counts are subjects of the arm's population, so the table is valid by
    construction; the ValueError left is the exact test's refusal of a table with too many
    arrangements to enumerate: not estimable, as the footnote says."""
    assert all(min(row) >= 0 for row in table), table
    try:
        return fisher_exact_rxc(table)
    except ValueError:
        return math.nan


def wilson_interval(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (no continuity correction)."""
    z = float(norm.ppf(0.5 + level / 2))
    p = x / n
    centre = (x + z * z / 2) / (n + z * z)
    half = z * math.sqrt(n) / (n + z * z) * math.sqrt(p * (1 - p) + z * z / (4 * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class RiskDifference:
    estimate: float
    lower: float
    upper: float


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, level: float = 0.95
                        ) -> RiskDifference:
    """p1 - p2 with Newcombe's hybrid score interval (Newcombe 1998, method 10; SAS PROC FREQ
    RISKDIFF(CL=NEWCOMBE), R DescTools BinomDiffCI(method = "score")). NaN when an arm has
    no subjects."""
    if n1 <= 0 or n2 <= 0:
        return RiskDifference(math.nan, math.nan, math.nan)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, level)
    l2, u2 = wilson_interval(x2, n2, level)
    d = p1 - p2
    return RiskDifference(d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
                          d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def risk_difference_stats(analysis: str, key: str, label: str, counts: RowCounts,
                          design: AeDesign) -> list[Stat]:
    """Each arm minus the reference, as proportions (layouts scale to percentage points)."""
    ref = design.reference
    out = []
    for arm in design.comparisons:
        rd = newcombe_difference(counts.n(arm), design.denominator(arm), counts.n(ref),
                                 design.denominator(ref))
        where = {"arm": arm, "reference": ref}
        out += [stat(analysis, f"{key}.rd.{arm}.{name}", value, kind,
                     f"{label}: {arm} - {ref}", where)
                for name, value, kind in (("est", rd.estimate, "rd"), ("lcl", rd.lower, "lcl"),
                                          ("ucl", rd.upper, "ucl"))]
    return out


# ---- tables of rows ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AeRows:
    stats: tuple[Stat, ...]
    levels: Mapping[str, tuple[str, ...]]


def soc_level_key(soc: str) -> str:
    return f"soc.{key_part(soc)}"


def pt_level_key(soc: str, pt: str) -> str:
    return f"{soc_level_key(soc)}.pt.{key_part(pt)}"


def pt_dimension(soc: str) -> str:
    """Name of the levels entry listing a SOC's preferred terms, in row order."""
    return f"pt.{soc}"


def soc_pt_rows(analysis: str, records: pd.DataFrame, design: AeDesign, soc: str, pt: str,
                soc_order: Order = "frequency", events: bool = True) -> AeRows:
    """'any' row, then each SOC and the preferred terms within it."""
    stats = incidence_stats(analysis, "any", "Any TEAE", count_rows(records, ()).get((), EMPTY),
                            design, events)
    by_soc = {k[0]: v for k, v in count_rows(records, [soc]).items()}
    by_pt = count_rows(records, [soc, pt])
    socs = (frequency_order(by_soc, design.sort_by) if soc_order == "frequency"
            else alphabetical_order(list(by_soc)))
    levels: dict[str, tuple[str, ...]] = {"soc": socs}
    for s in socs:
        stats += incidence_stats(analysis, soc_level_key(s), s, by_soc[s], design, events)
        terms = {k[1]: v for k, v in by_pt.items() if k[0] == s}
        levels[pt_dimension(s)] = frequency_order(terms, design.sort_by)
        for p in levels[pt_dimension(s)]:
            stats += incidence_stats(analysis, pt_level_key(s, p), f"{s} / {p}", terms[p],
                                     design, events)
    return AeRows(tuple(stats), levels)


def _row_keys(levels: Mapping[str, tuple[str, ...]], depth: int
              ) -> list[tuple[tuple[str, ...], str, str]]:
    """(row level values, results key, label) of every row at one depth: 0 the 'any' row,
    1 the SOC rows, 2 the preferred-term rows."""
    socs = levels.get("soc", ())
    if depth == 0:
        return [((), "any", "Any TEAE")]
    if depth == 1:
        return [((s,), soc_level_key(s), s) for s in socs]
    return [((s, p), pt_level_key(s, p), f"{s} / {p}")
            for s in socs for p in levels.get(pt_dimension(s), ())]


def unknown_values(records: pd.DataFrame, var: str, allowed: Sequence[str]) -> tuple[str, ...]:
    """Values of `var` that are neither missing nor listed: a severity scale that does not
    cover the data would drop subjects from the table."""
    values = records[var].dropna().astype(str)
    return tuple(sorted(set(values) - set(allowed)))


def severity_rows(analysis: str, records: pd.DataFrame, design: AeDesign, soc: str, pt: str,
                  var: str, levels: Sequence[str], soc_order: Order = "frequency") -> AeRows:
    """The SOC / PT rows (any severity), and under each the subjects by worst severity.
    Each subject counts once per row, at the worst severity of their records in that row."""
    plain = AeDesign(design.arms, design.big_n, design.total, sort_by=design.sort_by)
    rows = soc_pt_rows(analysis, records, plain, soc, pt, soc_order, events=False)
    grades = (*levels, MISSING_SEVERITY) if records[var].isna().any() else tuple(levels)
    stats = list(rows.stats)
    for depth, by in enumerate(((), (soc,), (soc, pt))):
        counts = count_rows(worst_severity(records, by, var, levels), [*by, var])
        for values, key, label in _row_keys(rows.levels, depth):
            for grade in grades:
                stats += incidence_stats(analysis, f"{key}.sev.{key_part(grade)}",
                                         f"{label}: {grade}",
                                         counts.get((*values, grade), EMPTY), plain, False)
    return AeRows(tuple(stats), {**rows.levels, "severity": grades})


def overview_rows(analysis: str, records: pd.DataFrame, design: AeDesign,
                  categories: Sequence[tuple[str, str, Rule]]) -> AeRows:
    """Subjects with any TEAE, then with a TEAE of each category (key, label, rule)."""
    stats = incidence_stats(analysis, "cat.any", "Any TEAE",
                            count_rows(records, ()).get((), EMPTY), design)
    for key, label, rule in categories:
        hits = count_rows(records[rule_mask(records, rule)], ()).get((), EMPTY)
        stats += incidence_stats(analysis, f"cat.{key}", label, hits, design)
    return AeRows(tuple(stats), {"category": ("any", *(key for key, _, _ in categories))})


def common_rows(analysis: str, records: pd.DataFrame, design: AeDesign, pt: str,
                threshold: float) -> AeRows:
    """Preferred terms reported by at least `threshold` % of the subjects of any arm (the
    exact incidence, not the rounded one), with risk differences against the reference."""
    by_pt = {k[0]: v for k, v in count_rows(records, [pt]).items()}

    def common(counts: RowCounts) -> bool:
        return any(design.denominator(a) > 0
                   and 100 * counts.n(a) >= threshold * design.denominator(a)
                   for a in design.arms)

    order = frequency_order({p: c for p, c in by_pt.items() if common(c)}, design.sort_by)
    stats: list[Stat] = []
    for p in order:
        key = f"pt.{key_part(p)}"
        stats += incidence_stats(analysis, key, p, by_pt[p], design, events=False)
        stats += risk_difference_stats(analysis, key, p, by_pt[p], design)
    return AeRows(tuple(stats), {"pt": order})
