"""Table 14.2.6 — An ordered categorical endpoint by visit (CIBIC+): n and the distribution of
the categories per arm at each visit, with Cochran-Mantel-Haenszel row mean scores tests,
stratified (site group): across all arms, and optionally arm against arm.

study.toml:
    [tables."14.2.6"]
    population = "EFF"
    dataset = "adcibc"
    paramcd = "CIBICVAL"
    endpoint_label = "CIBIC+"
    visits = ["Week 8", "Week 16", "Week 24"]   # AVISIT values, in order
    record_flag = "ANL01FL"             # only records flagged "Y" (optional)
    imputed_var = "DTYPE"               # non-blank: an imputed (LOCF) record, counted in a
    imputation_label = "LOCF"           #   footnote (optional)
    categories = [                      # every AVAL value, in order
      { value = 1, label = "Marked improvement" },
      { value = 2, label = "Moderate improvement" },
      { value = 3, label = "Minimal improvement" },
      { value = 4, label = "No Change" },
      { value = 5, label = "Minimal worsening" },
      { value = 6, label = "Moderate worsening" },
      { value = 7, label = "Marked worsening" },
    ]
    strata = ["SITEGR1"]                # ADSL variables; their combinations are the strata
    strata_label = "site group"
    scores = "table"                    # table | rank | ridit | modridit (SAS SCORES=)
    overall = true                      # the test across all arms, in a p-value column
    comparisons = [{ arm = "XANL", versus = "PBO" }]  # pairwise tests (optional)
    pct_digits = 1                      # decimals of the percentages
    p_digits = 3                        # decimals of the p-values

Every AVAL value at a shown visit must be a configured category (an unlisted value is an
error, never dropped); a record with no AVAL is left out and counted in a footnote.
Percentages are of the arm's n at the visit. Table scores are the category values.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from submission_kit.analysis import cmh
from submission_kit.analysis.ard import AnalysisResults, Stat, stat
from submission_kit.analysis.descriptive import big_n_records, key_part
from submission_kit.analysis.longitudinal import comparison_key, visit_key
from submission_kit.data.contracts import DatasetNeed, needs
from submission_kit.errors import UserError
from submission_kit.tables.cells import BLANK, Shown
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.tables.spec import (
    Frames,
    OutputContext,
    OutputSpec,
    Param,
    arm_column_keys,
    arm_groups,
    population_rule,
    title_lines,
)
from submission_kit.tables.summary import arm_columns, group_row, row
from submission_kit.tables.survival_rows import P_COLUMN
from submission_kit.tables.visit_data import STRINGS, population_subjects

TITLE = "Categorical Analysis by Visit"
SOFTWARE = ("submission-kit submission_kit.analysis.cmh (generalized CMH statistics as SAS "
            "PROC FREQ CMH computes them; checked against SAS PROC FREQ and R vcdExtra values "
            "in its tests)")


def _list(ctx: OutputContext, key: str) -> list[str]:
    return [str(v) for v in ctx.param(key)]


def _categories(ctx: OutputContext) -> tuple[tuple[float, str], ...]:
    out: list[tuple[float, str]] = []
    for i, item in enumerate(ctx.param("categories")):
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ctx.error(f"categories[{i}].value", f"expected a number, got {value!r}")
        out.append((float(value), str(item.get("label", _value_text(float(value))))))
    if len({v for v, _ in out}) != len(out) or not out:
        raise ctx.error("categories", "list each AVAL value once (at least one)")
    return tuple(out)


def _value_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _category_key(value: float) -> str:
    return "c" + key_part(_value_text(value))


def _comparisons(ctx: OutputContext) -> tuple[tuple[str, str], ...]:
    keys = [a.key for a in ctx.arms]
    pairs = tuple((str(i.get("arm", "")), str(i.get("versus", "")))
                  for i in ctx.param("comparisons"))
    for i, (arm, versus) in enumerate(pairs):
        for value, what in ((arm, "arm"), (versus, "versus")):
            if value not in keys:
                raise ctx.error(f"comparisons[{i}].{what}",
                                f"{value!r} is not an arm key ({', '.join(keys)})")
        if arm == versus:
            raise ctx.error(f"comparisons[{i}]", "an arm cannot be compared with itself")
    return pairs


def _scores(ctx: OutputContext) -> cmh.Scores:
    scores = ctx.param("scores")
    if scores not in cmh.SCORES:
        raise ctx.error("scores", f"{scores!r}: use one of {', '.join(cmh.SCORES)}")
    return scores


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    flags = [f"{ctx.param(k)}:char" for k in ("record_flag", "imputed_var") if ctx.param(k)]
    return [
        needs(ctx.param("dataset"), "USUBJID:char", "PARAMCD:char",
              f"{ctx.param('visit_var')}:char", "AVAL:num", *flags),
        needs("adsl", "USUBJID:char", f"{ctx.treatment_var}:char",
              f"{ctx.population.flag}:char", *_list(ctx, "strata"), subject_level=True),
    ]


# ---- analysis -------------------------------------------------------------------------------

def _records(frames: Frames, ctx: OutputContext, subjects: pd.DataFrame) -> pd.DataFrame:
    """One row per population subject and shown visit that has a record: USUBJID, ARM,
    VISIT, AVAL, IMPUTED and the strata variables."""
    dataset, paramcd = ctx.param("dataset"), ctx.param("paramcd")
    source = frames[dataset]
    rows = source[source["PARAMCD"] == paramcd]
    if rows.empty:
        found = ", ".join(sorted(source["PARAMCD"].dropna().astype(str).unique())[:12])
        raise ctx.error("paramcd", f"{paramcd!r} not found in {dataset.upper()} "
                                   f"(PARAMCD values: {found})")
    flag, imputed_var = ctx.param("record_flag"), ctx.param("imputed_var")
    if flag:
        rows = rows[rows[flag].astype(str).str.upper() == "Y"]
    visits = _list(ctx, "visits")
    found_visits = rows[ctx.param("visit_var")].astype(str)
    missing = [v for v in visits if v not in set(found_visits)]
    if missing:
        raise ctx.error("visits", f"visit {missing[0]!r} is not in the data "
                                  f"({ctx.param('visit_var')} values: "
                                  f"{', '.join(sorted(set(found_visits))[:25])})")
    imputed = (rows[imputed_var].fillna("").astype(str).str.strip() != "" if imputed_var
               else pd.Series(False, index=rows.index))
    long = pd.DataFrame({"USUBJID": rows["USUBJID"], "VISIT": found_visits,
                         "AVAL": rows["AVAL"].astype(float), "IMPUTED": imputed.to_numpy(bool)})
    long = long[long["VISIT"].isin(visits)].merge(subjects, on="USUBJID", how="inner")
    dup = long[long.duplicated(["USUBJID", "VISIT"])]
    if len(dup):
        hint = (f"check {flag}" if flag else
                "set record_flag (e.g. \"ANL01FL\") to choose the analysed record")
        raise UserError(f"{dataset.upper()} (PARAMCD {paramcd!r}): {len(dup)} duplicate "
                        f"record(s), e.g. USUBJID {dup.iloc[0]['USUBJID']!r} at "
                        f"{dup.iloc[0]['VISIT']!r}; {hint}")
    return long.reset_index(drop=True)


def _require_categories(long: pd.DataFrame, ctx: OutputContext,
                        categories: Sequence[tuple[float, str]]) -> None:
    values = {v for v, _ in categories}
    unknown = sorted({float(x) for x in long["AVAL"].dropna() if float(x) not in values})
    if unknown:
        raise ctx.error("categories", f"AVAL value(s) {', '.join(map(_value_text, unknown))} "
                                      f"of {ctx.param('paramcd')} are not configured")


def _count_records(analysis: str, data: pd.DataFrame, arms: Sequence[str], visit: str,
                   categories: Sequence[tuple[float, str]]) -> list[Stat]:
    vk, out = visit_key(visit), []
    for arm in arms:
        rows = data[data["ARM"] == arm]
        group = {"arm": arm, "visit": visit}
        out.append(stat(analysis, f"{vk}.{arm}.n", len(rows), "n",
                        f"{visit}: subjects assessed", group))
        out.append(stat(analysis, f"{vk}.{arm}.imputed.n", int(rows["IMPUTED"].sum()), "n",
                        f"{visit}: imputed records", group))
        for value, label in categories:
            out.append(stat(analysis, f"{vk}.{arm}.{_category_key(value)}.n",
                            int((rows["AVAL"] == value).sum()), "n", f"{visit}: {label}",
                            {**group, "level": label}))
    return out


def _strata(data: pd.DataFrame, variables: Sequence[str]) -> pd.Series:
    """The stratum of each record ('' for one stratum); NaN where a variable is missing."""
    if not variables:
        return pd.Series("", index=data.index, dtype=object)
    parts = data[list(variables)]
    text = parts.astype(str).agg(" / ".join, axis=1)
    return text.where(parts.notna().all(axis=1))


def _test_records(analysis: str, data: pd.DataFrame, ctx: OutputContext, visit: str,
                  categories: Sequence[tuple[float, str]]) -> tuple[list[Stat], list[str]]:
    arms = [a.key for a in ctx.arms]
    labels = {a.key: a.label for a in ctx.arms}
    values = [v for v, _ in categories]
    table = cmh.stratified_table(data["ARM"].tolist(), data["AVAL"].tolist(),
                                 data["STRATUM"].tolist(), arms, values)
    tests: list[tuple[str, str, list[str]]] = []
    if ctx.param("overall"):
        tests.append(("overall", f"{visit}: all arms", arms))
    tests += [(comparison_key(a, b), f"{visit}: {labels[a]} vs {labels[b]}", [a, b])
              for a, b in _comparisons(ctx)]
    records: list[Stat] = []
    notes: list[str] = []
    for key, label, groups in tests:
        result = cmh.row_mean_scores(table.rows(groups), _scores(ctx), values)
        found, why = cmh.cmh_records(analysis, f"cmh.{visit_key(visit)}.{key}", label, result)
        records += found
        notes += why
    return records, notes


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    strata = _list(ctx, "strata")
    categories = _categories(ctx)
    subjects = population_subjects(frames, ctx, strata)
    long = _records(frames, ctx, subjects)
    _require_categories(long, ctx, categories)
    long["STRATUM"] = _strata(long, strata)
    arms = [a.key for a in ctx.arms]
    records = big_n_records(ctx.analysis_id, arm_groups(subjects, ctx, total=False))
    notes: list[str] = []
    for visit in _list(ctx, "visits"):
        at_visit = long[long["VISIT"] == visit]
        no_value = at_visit["AVAL"].isna()
        if no_value.any():
            notes.append(f"{visit}: {int(no_value.sum())} record(s) without a value, "
                         "not counted.")
        assessed = at_visit[~no_value]
        records += _count_records(ctx.analysis_id, assessed, arms, visit, categories)
        unstratified = assessed["STRATUM"].isna()
        if unstratified.any():
            notes.append(f"{visit}: {int(unstratified.sum())} subject(s) with a missing "
                         f"{', '.join(strata)} left out of the CMH tests.")
        found, why = _test_records(ctx.analysis_id, assessed[~unstratified], ctx, visit,
                                   categories)
        records += found
        notes += why
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population_rule(ctx),
        datasets=ctx.datasets_used(["adsl", ctx.param("dataset")]),
        stats=tuple(records), subjects=len(subjects), notes=tuple(notes),
        levels={"visit": tuple(_list(ctx, "visits")),
                "category": tuple(label for _, label in categories)},
        methods=(_method(ctx), f"Software: {SOFTWARE}"))


def _method(ctx: OutputContext) -> str:
    strata = ctx.param("strata_label") or ", ".join(_list(ctx, "strata"))
    controlling = f", controlling for {strata}" if strata else ""
    return (f"Cochran-Mantel-Haenszel row mean scores test (SAS PROC FREQ CMH, 'Row Mean "
            f"Scores Differ') with {cmh.SCORE_NAMES[_scores(ctx)]} (SCORES="
            f"{_scores(ctx).upper()}; table scores are the {ctx.param('paramcd')} values)"
            f"{controlling}")


# ---- layout ---------------------------------------------------------------------------------

def _visit_rows(shown: Shown, ctx: OutputContext, visit: str) -> list[Row]:
    arms = [a.key for a in ctx.arms]
    labels = {a.key: a.label for a in ctx.arms}
    vk, overall = visit_key(visit), ctx.param("overall")
    p_digits, pct = ctx.param("p_digits"), ctx.param("pct_digits")
    extra = [shown.pvalue(f"cmh.{vk}.overall.p", p_digits)] if overall else []
    rows = [group_row(visit, len(arms) + len(extra)),
            row("n", [shown.count(f"{vk}.{a}.n") for a in arms] + extra, 1)]
    for value, label in _categories(ctx):
        rows.append(row(label, [
            shown.n_pct(f"{vk}.{a}.{_category_key(value)}.n", _visit_n(shown, vk, a), pct)
            for a in arms] + [BLANK] * len(extra), 1))
    pairs = _comparisons(ctx)
    for versus in dict.fromkeys(b for _, b in pairs):
        compared = {a for a, b in pairs if b == versus}
        rows.append(row(f"p-value vs {labels[versus]}", [
            shown.pvalue(f"cmh.{vk}.{comparison_key(a, versus)}.p", p_digits)
            if a in compared else BLANK for a in arms] + [BLANK] * len(extra), 1))
    return rows


def _visit_n(shown: Shown, vk: str, arm: str) -> int | str:
    return "xx" if shown.mock else _count(shown, f"{vk}.{arm}.n")


def _count(shown: Shown, key: str) -> int:
    value = shown.value(key)
    return int(value) if isinstance(value, (int, float)) else 0


def _footnotes(shown: Shown, ctx: OutputContext) -> list[str]:
    notes = ["N = subjects in the population; n = subjects with an assessment at the visit; "
             "percentages are of n."]
    method = _method(ctx)
    if ctx.param("overall"):
        notes.append(f"p-value: overall comparison of the {len(ctx.arms)} arms "
                     f"({len(ctx.arms) - 1} df): {method}.")
    if _comparisons(ctx):
        notes.append("p-value vs an arm: the same test on the two arms only (1 df; scores "
                     "computed from those arms), without adjustment for multiple comparisons."
                     + ("" if ctx.param("overall") else f" {method}."))
    notes += _imputed_notes(shown, ctx)
    notes.append(f"Software: {SOFTWARE}.")
    return notes


def _imputed_notes(shown: Shown, ctx: OutputContext) -> list[str]:
    if not ctx.param("imputed_var"):
        return []
    what = ctx.param("imputation_label") or "imputed"
    rule = f"{ctx.param('imputed_var')} non-blank"
    if shown.mock:
        return [f"Includes {what} values ({rule}): xx at <visit>."]
    counts = []
    for visit in _list(ctx, "visits"):
        vk = visit_key(visit)
        n = sum(_count(shown, f"{vk}.{a.key}.imputed.n") for a in ctx.arms)
        if n:
            counts.append(f"{n} at {visit}")
    if not counts:
        return [f"No {what} values ({rule}) at the visits shown."]
    return [f"Includes {what} values ({rule}): {', '.join(counts)}."]


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    _scores(ctx)  # configuration errors surface in a mock shell too
    _comparisons(ctx)
    label = ctx.param("endpoint_label") or ctx.param("paramcd")
    with_p = ctx.param("overall")
    rows = [r for visit in _list(ctx, "visits") for r in _visit_rows(shown, ctx, visit)]
    return TableModel(
        id=ctx.id,
        title=title_lines(ctx, "Table", f"{label}: {TITLE}"),
        columns=(*arm_columns(shown, arm_column_keys(ctx, total=False)),
                 *((Column(*P_COLUMN),) if with_p else ())),
        rows=tuple(rows),
        footnotes=(*_footnotes(shown, ctx), *shown.notes(), *ctx.param("footnotes")),
        source=f"ADSL, {ctx.param('dataset').upper()} (PARAMCD = {ctx.param('paramcd')}); "
               f"program {SPEC.name}.py",
        stub_header="Assessment",
        population=ctx.population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_14_2_6_cibic",
    title=TITLE,
    params={
        "dataset": Param(str),
        "paramcd": Param(str),
        "endpoint_label": Param(str, ""),
        "visits": Param(STRINGS),
        "visit_var": Param(str, "AVISIT"),
        "record_flag": Param(str, ""),
        "imputed_var": Param(str, ""),
        "imputation_label": Param(str, ""),
        "categories": Param(STRINGS, items=("value", "label")),
        "strata": Param(STRINGS, ()),
        "strata_label": Param(str, ""),
        "scores": Param(str, "table"),
        "overall": Param(bool, True),
        "comparisons": Param(STRINGS, (), items=("arm", "versus")),
        "pct_digits": Param(int, 1),
        "p_digits": Param(int, 3),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
