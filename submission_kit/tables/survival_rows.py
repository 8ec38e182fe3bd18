"""Rows of a time-to-event table, laid out over `analysis.time_to_event` records.

Comparisons with the reference arm (hazard ratios) sit in the column of each other arm; the
reference column is blank on those rows. Global tests across all arms (the k-sample log-rank
test) sit in their own p-value column, so the layout holds for any number of arms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from submission_kit.tables.cells import BLANK, Cell, Shown
from submission_kit.tables.model import Row
from submission_kit.tables.summary import group_row, row

P_COLUMN = ("P", "p-value")  # key and label of the global-test column


@dataclass(frozen=True, slots=True)
class SurvivalLayout:
    arms: tuple[str, ...]  # arm keys, in column order
    reference: str  # arm key of the comparator
    reference_label: str
    event_label: str = "Events"
    median_label: str = "Median time to event"
    time_unit: str = "days"
    timepoint_label: str = ""  # "" when no KM estimate at a fixed time is shown

    def cells(self, cells: Sequence[Cell], global_test: Cell = BLANK) -> list[Cell]:
        """Arm cells, then the global-test column."""
        return [*cells, global_test]


def count_rows(shown: Shown, lay: SurvivalLayout) -> list[Row]:
    return [
        row("Subjects analysed, n", lay.cells([shown.count(f"n.{a}.n") for a in lay.arms])),
        row(f"{lay.event_label}, n (%)", lay.cells(
            [shown.n_pct(f"events.{a}.n", _analysed(shown, a)) for a in lay.arms])),
        row("Censored, n (%)", lay.cells(
            [shown.n_pct(f"censored.{a}.n", _analysed(shown, a)) for a in lay.arms])),
    ]


def _analysed(shown: Shown, arm: str) -> int | str:
    return "xx" if shown.mock else int(shown.value(f"n.{arm}.n"))  # type: ignore[arg-type]


def km_rows(shown: Shown, lay: SurvivalLayout) -> list[Row]:
    rows = []
    if lay.timepoint_label:
        rows += [group_row(f"Kaplan-Meier survival at {lay.timepoint_label}", len(lay.arms) + 1),
                 row("% (95% CI)", lay.cells([shown.est_ci(f"km.{a}.surv", f"km.{a}.lcl",
                                                           f"km.{a}.ucl", 1, scale=100)
                                              for a in lay.arms]), 1)]
    rows.append(row(f"{lay.median_label}, {lay.time_unit} (95% CI)", lay.cells(
        [shown.est_ci(f"median.{a}.est", f"median.{a}.lcl", f"median.{a}.ucl", 0)
         for a in lay.arms])))
    return rows


def logrank_row(shown: Shown, lay: SurvivalLayout, key: str, label: str) -> Row:
    blanks = [BLANK] * len(lay.arms)
    return row(label, lay.cells(blanks, shown.pvalue(f"logrank.{key}.p")))


def cox_rows(shown: Shown, lay: SurvivalLayout, key: str, label: str) -> list[Row]:
    def per_arm(make: str) -> list[Cell]:
        out = []
        for arm in lay.arms:
            base = f"cox.{key}.{arm}"
            if arm == lay.reference:
                out.append(BLANK)
            elif make == "hr":
                out.append(shown.est_ci(f"{base}.hr", f"{base}.lcl", f"{base}.ucl", 2))
            else:
                out.append(shown.pvalue(f"{base}.p"))
        return out

    return [group_row(f"{label} (vs {lay.reference_label})", len(lay.arms) + 1),
            row("Hazard ratio (95% CI)", lay.cells(per_arm("hr")), 1),
            row("p-value (Wald)", lay.cells(per_arm("p")), 1)]


def rmst_rows(shown: Shown, lay: SurvivalLayout, horizon_label: str) -> list[Row]:
    """Restricted mean survival time per arm, then each arm minus the reference."""
    def compared(make: str) -> list[Cell]:
        out = []
        for arm in lay.arms:
            base = f"rmst_diff.{arm}"
            if arm == lay.reference:
                out.append(BLANK)
            elif make == "diff":
                out.append(shown.est_ci(f"{base}.est", f"{base}.lcl", f"{base}.ucl", 1))
            else:
                out.append(shown.pvalue(f"{base}.p"))
        return out

    unit = lay.time_unit
    return [
        group_row(f"Restricted mean survival time to {horizon_label} (sensitivity analysis)",
                  len(lay.arms) + 1),
        row(f"RMST, {unit} (95% CI)", lay.cells(
            [shown.est_ci(f"rmst.{a}.est", f"rmst.{a}.lcl", f"rmst.{a}.ucl", 1)
             for a in lay.arms]), 1),
        row(f"Difference vs {lay.reference_label}, {unit} (95% CI)",
            lay.cells(compared("diff")), 1),
        row("p-value", lay.cells(compared("p")), 1),
    ]
