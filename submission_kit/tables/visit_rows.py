"""Rows of by-visit tables (14.2.3, 14.2.5), laid out over `analysis.longitudinal` and
`analysis.visit_models` records. Comparisons sit in the column of the arm compared, one block
per comparator; the comparator's own column is blank. Runs the same on a mock shell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from submission_kit.analysis.longitudinal import comparison_key
from submission_kit.tables.cells import BLANK, Cell, Shown, placeholder
from submission_kit.tables.model import Row
from submission_kit.tables.summary import row

VISIT_STATS = ("n", "mean_sd", "se", "median", "q1_q3", "min_max", "gmean_gcv", "gmean_ci")
_LABELS = {"n": "n", "mean_sd": "Mean (SD)", "se": "SE of mean", "median": "Median",
           "q1_q3": "Q1, Q3", "min_max": "Min, Max",
           "gmean_gcv": "Geometric mean (geometric CV%)",
           "gmean_ci": "Geometric mean (95% CI)"}
GEOMETRIC_STATS = ("gmean_gcv", "gmean_ci")


@dataclass(frozen=True, slots=True)
class VisitLayout:
    arms: tuple[str, ...]  # arm keys, in column order
    labels: dict[str, str]  # arm key -> label
    stats: tuple[str, ...]  # rows under each summary, from VISIT_STATS
    digits: int = 0  # data precision (a mock shell's; real results carry their own)


def _two(shown: Shown, first: str, second: str, d1: int, d2: int, paren: bool = True) -> Cell:
    """'12.3 (45.6)' or '12.3 (10.1, 14.6)' with each number's own precision."""
    if shown.mock:
        a, b = placeholder(d1), placeholder(d2)
    else:
        a, b = shown.num(first, d1).text, shown.num(second, d2).text
    return Cell(f"{a} ({b})" if paren else f"{a}, {b}", f"{shown.analysis}:{first}")


def summary_cells(shown: Shown, stat: str, key: str, digits: int) -> Cell:
    """One statistic of `<key>.<stat>` (key = 'aval.Month_3.PBO')."""
    d = shown.digits(f"{key}.mean", digits)
    if stat == "n":
        return shown.count(f"{key}.n")
    if stat == "mean_sd":
        return shown.mean_sd(f"{key}.mean", f"{key}.sd", d + 1)
    if stat == "se":
        return shown.num(f"{key}.se", d + 2)
    if stat == "median":
        return shown.num(f"{key}.median", d + 1)
    if stat == "q1_q3":
        return shown.pair(f"{key}.q1", f"{key}.q3", d + 1)
    if stat == "min_max":
        return shown.pair(f"{key}.min", f"{key}.max", d)
    if stat == "gmean_gcv":
        return _two(shown, f"{key}.gmean", f"{key}.gcv", d + 1, 1)
    ci = _two(shown, f"{key}.glcl", f"{key}.gucl", d + 1, d + 1, paren=False)
    return Cell(f"{shown.num(f'{key}.gmean', d + 1).text} ({ci.text})", ci.key)


def summary_rows(shown: Shown, lay: VisitLayout, prefix: str, label: str, indent: int,
                 stats: Sequence[str] | None = None) -> list[Row]:
    """A label row, then one row per statistic: cells `<prefix>.<arm>.<stat>`."""
    out = [row(label, [BLANK] * len(lay.arms), indent)] if label else []
    for stat in lay.stats if stats is None else stats:
        out.append(row(_LABELS[stat], [summary_cells(shown, stat, f"{prefix}.{a}", lay.digits)
                                        for a in lay.arms], indent + (1 if label else 0)))
    return out


def ratio_rows(shown: Shown, lay: VisitLayout, prefix: str, indent: int,
               digits: int = 2) -> list[Row]:
    """Geometric mean ratio to baseline (95% CI): a ratio has no data precision, so it is
    shown to `digits` decimals."""
    def cell(arm: str) -> Cell:
        key = f"{prefix}.{arm}"
        ci = _two(shown, f"{key}.lcl", f"{key}.ucl", digits, digits, paren=False)
        est = placeholder(digits) if shown.mock else shown.num(f"{key}.gmean", digits).text
        return Cell(f"{est} ({ci.text})", f"{shown.analysis}:{key}.gmean")

    return [row("Ratio to baseline", [BLANK] * len(lay.arms), indent),
            row("n", [shown.count(f"{prefix}.{a}.n") for a in lay.arms], indent + 1),
            row("Geometric mean ratio (95% CI)", [cell(a) for a in lay.arms], indent + 1)]


# ---- model estimates -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class EstimateFormat:
    est: int  # decimals of the estimate and CI
    se: int  # decimals of the SE


def estimate_se(shown: Shown, key: str, f: EstimateFormat) -> Cell:
    return _two(shown, f"{key}.est", f"{key}.se", f.est, f.se)


def ci_cell(shown: Shown, key: str, f: EstimateFormat) -> Cell:
    cell = _two(shown, f"{key}.lcl", f"{key}.ucl", f.est, f.est, paren=False)
    return Cell(f"({cell.text})", cell.key)


def per_arm_rows(shown: Shown, lay: VisitLayout, prefix: str, label: str,
                 f: EstimateFormat, indent: int, ci: bool = False) -> list[Row]:
    """'<label> (SE)' per arm from `<prefix>.<arm>.est/se` (+ a 95% CI row)."""
    out = [row(f"{label} (SE)", [estimate_se(shown, f"{prefix}.{a}", f) for a in lay.arms],
               indent)]
    if ci:
        out.append(row("95% CI", [ci_cell(shown, f"{prefix}.{a}", f) for a in lay.arms],
                       indent))
    return out


def comparison_rows(shown: Shown, lay: VisitLayout, prefix: str, label: str,
                    comparisons: Sequence[tuple[str, str]], f: EstimateFormat,
                    indent: int) -> list[Row]:
    """For each comparator: the difference (SE), its 95% CI and p-value in the column of
    each arm compared with it (`<prefix>.<arm>_vs_<versus>.*`)."""
    out: list[Row] = []
    for versus in dict.fromkeys(v for _, v in comparisons):
        compared = [a for a, v in comparisons if v == versus]

        def cells(make: str, compared: list[str] = compared, versus: str = versus
                  ) -> list[Cell]:
            got = []
            for arm in lay.arms:
                key = f"{prefix}.{comparison_key(arm, versus)}"
                if arm not in compared:
                    got.append(BLANK)
                elif make == "est":
                    got.append(estimate_se(shown, key, f))
                elif make == "ci":
                    got.append(ci_cell(shown, key, f))
                else:
                    got.append(shown.pvalue(f"{key}.p"))
            return got

        out += [row(f"{label} vs {lay.labels[versus]} (SE)", cells("est"), indent),
                row("95% CI", cells("ci"), indent + 1),
                row("p-value", cells("p"), indent + 1)]
    return out


def count_row(shown: Shown, lay: VisitLayout, prefix: str, label: str, indent: int) -> Row:
    return row(label, [shown.count(f"{prefix}.{a}") for a in lay.arms], indent)
