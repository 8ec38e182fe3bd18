"""Laboratory analyses (ICH E3 14.3.4): shift from the baseline reference-range category to
the worst post-baseline category, and subjects with values beyond clinical thresholds.

Results records only (ARD), at full precision. Denominators are explicit records: the shift
table counts subjects with both a baseline and a post-baseline category; the abnormal-value
table counts subjects with at least one post-baseline value. Subjects left out of a
denominator for missing data are counted in `notes`, never dropped silently.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from submission_kit.analysis.ard import Stat, stat
from submission_kit.analysis.descriptive import Group, key_part
from submission_kit.analysis.listings import RecordFilter, filter_mask
from submission_kit.errors import UserError

CATEGORIES = ("low", "normal", "high")  # reference-range categories, low to high
CATEGORY_LABELS = {"low": "Low", "normal": "Normal", "high": "High"}
DIRECTIONS = ("high", "low")
CRITERIA = ("above_uln", "below_lln", "above", "below")
BASELINE = ("Y", "y")  # values of the baseline flag that mark the baseline record


@dataclass(frozen=True, slots=True)
class LabDesign:
    """How the lab data are read; known from the configuration, before any data."""

    codes: tuple[str, str, str] = ("LOW", "NORMAL", "HIGH")  # indicator values, low to high
    indicator: str = "ANRIND"
    baseline_flag: str = "ABLFL"
    post_baseline: tuple[RecordFilter, ...] = (RecordFilter("AVISITN", above=0),)
    value: str = "AVAL"
    range_low: str = "ANRLO"
    range_high: str = "ANRHI"


@dataclass(frozen=True, slots=True)
class Criterion:
    """A value of clinical importance: AVAL > 3 x ULN (`above_uln`, 3), AVAL < 0.5 x LLN,
    or beyond an absolute limit (`above`, `below`)."""

    kind: str  # one of CRITERIA
    threshold: float

    @property
    def key(self) -> str:
        return key_part(f"{self.kind}_{self.threshold:g}")

    @property
    def text(self) -> str:
        limit = {"above_uln": " x ULN", "below_lln": " x LLN"}.get(self.kind, "")
        sign = ">" if self.kind.startswith("above") else "<"
        return f"{sign} {self.threshold:g}{limit}"


@dataclass(frozen=True, slots=True)
class ShiftParameter:
    """One parameter of a shift table and the directions of its worst category."""

    dataset: str
    paramcd: str
    label: str
    worst: tuple[str, ...] = DIRECTIONS


@dataclass(frozen=True, slots=True)
class AbnormalParameter:
    """One parameter of the abnormal-values table and its criteria, in configured order."""

    dataset: str
    paramcd: str
    label: str
    criteria: tuple[Criterion, ...]
    texts: tuple[str, ...]  # row label of each criterion


def post_baseline(records: pd.DataFrame, design: LabDesign) -> pd.DataFrame:
    """Post-baseline values: records with a value (AVAL) that meet the configured filters
    (default AVISITN > 0), never the baseline record itself."""
    keep = ~records[design.baseline_flag].isin(BASELINE) & records[design.value].notna()
    for condition in design.post_baseline:
        keep &= filter_mask(records, condition)
    return records[keep]


def categories(values: pd.Series, design: LabDesign, where: str) -> pd.Series:
    """Indicator values -> 0 (low), 1 (normal), 2 (high); missing stays missing. A value
    that is none of the configured codes is an error: it would otherwise vanish."""
    found = pd.Index(design.codes).get_indexer(values)  # -1: missing or not a code
    unknown = values[(found < 0) & values.notna().to_numpy()]
    if len(unknown):
        listed = ", ".join(repr(v) for v in sorted(map(str, unknown.unique())))
        raise UserError(f"{where}: {design.indicator} has value(s) {listed} that are not "
                        f"configured categories ({', '.join(design.codes)})")
    return pd.Series(np.where(found < 0, np.nan, found), index=values.index)


def baseline_category(records: pd.DataFrame, design: LabDesign, where: str) -> pd.Series:
    """USUBJID -> baseline category (ABLFL = 'Y' record); a baseline record without a value
    or a category gives none (an indicator without a value is not a measurement)."""
    base = records[records[design.baseline_flag].isin(BASELINE)]
    twice = base["USUBJID"][base["USUBJID"].duplicated()]
    if len(twice):
        raise UserError(f"{where}: more than one baseline record ({design.baseline_flag} = "
                        f"'Y') for USUBJID {twice.iloc[0]!r}")
    found = categories(base[design.indicator], design, where).where(base[design.value].notna())
    return pd.Series(found.to_numpy(), index=base["USUBJID"]).dropna().astype(int)


def worst_categories(records: pd.DataFrame, design: LabDesign, where: str) -> pd.DataFrame:
    """USUBJID -> worst post-baseline category in each direction: "high" is the highest
    category any post-baseline value reached (high if any value is above the range, else
    normal if any is within it, else low); "low" the lowest. Each value is judged against
    its own reference range (the indicator), so a change of range between visits holds."""
    post = post_baseline(records, design)
    found = categories(post[design.indicator], design, where)
    by_subject = pd.Series(found.to_numpy(), index=post["USUBJID"]).dropna().groupby(level=0)
    return pd.DataFrame({"high": by_subject.max(), "low": by_subject.min()}).astype(int)


def shift_records(analysis: str, paramcd: str, directions: Sequence[str],
                  groups: Sequence[Group], records: pd.DataFrame, design: LabDesign,
                  source: str = "") -> tuple[list[Stat], int]:
    """Per direction and arm: subjects with both a baseline and a post-baseline category
    (`n`, the denominator) and, per baseline category, subjects per worst category (n, %).
    `records`: the parameter's records; `source` names their dataset in errors. Also
    returns how many population subjects have post-baseline values but no baseline
    category (not counted; see `missing_baseline_note`)."""
    where = f"{source.upper()} PARAMCD {paramcd!r}".strip()
    base = baseline_category(records, design, where)
    worst = worst_categories(records, design, where)
    out: list[Stat] = []
    for direction in directions:
        both = pd.DataFrame({"base": base, "worst": worst[direction]}).dropna().astype(int)
        out += _shift_stats(analysis, paramcd, direction, both, groups)
    population = {u for _, _, rows in groups for u in rows["USUBJID"]}
    no_base = [u for u in worst.index.difference(base.index) if u in population]
    return out, len(no_base)


def _shift_stats(analysis: str, paramcd: str, direction: str, both: pd.DataFrame,
                 groups: Sequence[Group]) -> list[Stat]:
    out: list[Stat] = []
    prefix = f"shift.{key_part(paramcd)}.{direction}"
    for arm, label, rows in groups:
        pairs = both[both.index.isin(rows["USUBJID"])]
        n = len(pairs)
        out.append(stat(analysis, f"{prefix}.{arm}.n", n, "n",
                        f"{paramcd} worst {direction}: subjects with baseline and "
                        f"post-baseline values, {label}", {"arm": arm}))
        counts = Counter(zip(pairs["base"], pairs["worst"], strict=True))
        for b, base_cat in enumerate(CATEGORIES):
            for w, worst_cat in enumerate(CATEGORIES):
                count = counts[(b, w)]
                group = {"arm": arm, "shift": f"{base_cat} to {worst_cat}"}
                text = f"{paramcd} worst {direction}: baseline {base_cat} to {worst_cat}"
                out += [stat(analysis, f"{prefix}.{arm}.{base_cat}.{worst_cat}.n", count, "n",
                             text, group),
                        stat(analysis, f"{prefix}.{arm}.{base_cat}.{worst_cat}.pct",
                             100 * count / n if n else math.nan, "pct", text, group, 1)]
    return out


def missing_baseline_note(counts: Mapping[str, int]) -> list[str]:
    """One footnote for every parameter with subjects left out for lack of a baseline."""
    listed = [f"{paramcd} {n}" for paramcd, n in counts.items() if n]
    if not listed:
        return []
    return ["Subjects with post-baseline values but no baseline category, not counted: "
            + ", ".join(listed) + "."]


def abnormal_records(analysis: str, paramcd: str, criteria: Sequence[Criterion],
                     groups: Sequence[Group], records: pd.DataFrame, design: LabDesign
                     ) -> tuple[list[Stat], list[str]]:
    """Per arm: subjects with at least one post-baseline value (`n`, the denominator) and,
    per criterion, subjects with at least one post-baseline value beyond it (n, %)."""
    post = post_baseline(records, design)
    met = {c.key: set(post["USUBJID"][criterion_mask(post, c, design)]) for c in criteria}
    out: list[Stat] = []
    prefix = key_part(paramcd)
    for arm, label, rows in groups:
        evaluated = set(post["USUBJID"]) & set(rows["USUBJID"])
        where = {"arm": arm}
        out.append(stat(analysis, f"{prefix}.{arm}.n", len(evaluated), "n",
                        f"{paramcd}: subjects with post-baseline values, {label}", where))
        for c in criteria:
            count = len(met[c.key] & evaluated)
            text = f"{paramcd} {c.text}"
            out += [stat(analysis, f"{prefix}.{c.key}.{arm}.n", count, "n", text, where),
                    stat(analysis, f"{prefix}.{c.key}.{arm}.pct",
                         100 * count / len(evaluated) if evaluated else math.nan, "pct",
                         text, where, 1)]
    return out, _no_limit_notes(paramcd, post, criteria, design)


def criterion_mask(records: pd.DataFrame, criterion: Criterion, design: LabDesign
                   ) -> pd.Series:
    """Strictly beyond the threshold; a record without the needed limit does not qualify."""
    value = pd.to_numeric(records[design.value], errors="coerce")
    if criterion.kind == "above_uln":
        return value > criterion.threshold * pd.to_numeric(records[design.range_high])
    if criterion.kind == "below_lln":
        return value < criterion.threshold * pd.to_numeric(records[design.range_low])
    if criterion.kind == "above":
        return value > criterion.threshold
    return value < criterion.threshold


def _no_limit_notes(paramcd: str, post: pd.DataFrame, criteria: Sequence[Criterion],
                    design: LabDesign) -> list[str]:
    notes = []
    for kind, var, name in (("above_uln", design.range_high, "upper"),
                            ("below_lln", design.range_low, "lower")):
        if any(c.kind == kind for c in criteria):
            missing = int(post[var].isna().sum())
            if missing:
                notes.append(f"{paramcd}: {missing} post-baseline value(s) have no {name} "
                             "limit of normal and cannot meet a limit-based criterion.")
    return notes


def parameter_records(frame: pd.DataFrame, paramcd: str, dataset: str, where: str = ""
                      ) -> pd.DataFrame:
    """The records of one parameter; a configured parameter absent from the data is an
    error (`where` names the configuration item) that lists what the dataset holds."""
    rows = frame[frame["PARAMCD"] == paramcd]
    if rows.empty:
        found = ", ".join(sorted(map(str, frame["PARAMCD"].dropna().unique()))[:30])
        raise UserError(f"{where + ': ' if where else ''}PARAMCD {paramcd!r} is not in "
                        f"{dataset.upper()} (PARAMCD values: {found})")
    return rows
