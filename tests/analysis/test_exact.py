"""Fisher's exact test for r x c tables, checked against published R output and independent
computations:

- R's reference output of the `?fisher.test` examples, r-devel/r-svn
  tests/Examples/stats-Ex.Rout.save @ 0eb92b7a033283042282f15fdf5125217e86b700
  (R's own regression check of `fisher.test`, network algorithm FEXACT):
  Agresti (2002, p. 57) job satisfaction, 4 x 4: p-value = 0.7827;
  Mehta & Patel (JASA 1983) 6th example, 5 x 7: p-value = 0.03929;
  Fisher's like-sex twins convictions, 2 x 2, two-sided: p-value = 0.0005367.
- R's TeaTasting example (`?fisher.test`; Agresti 2002, p. 91), two-sided: p-value = 0.4857.
- CDISC pilot Table 14-1.02, "Lack of Efficacy" p-value 0.3281 (R fisher.test on arms x
  reason, counts 3/86, 0/84, 1/84 shown in the same table):
  atorus-research/CDISC_pilot_replication outputs/14-1.02.rtf
  @ 17e3976a63e2d94c7c18e431aa5db8af9be5ba47.
- scipy.stats.fisher_exact (two-sided) for 2 x 2 tables;
- brute-force enumerations written independently here (every r x c table with the margins).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from submission_kit.analysis import exact
from submission_kit.analysis.exact import FisherTableTooLarge, fisher_exact_rxc

JOB = [[1, 3, 10, 6], [2, 3, 10, 7], [1, 6, 14, 12], [0, 1, 9, 11]]
MP6 = [[1, 2, 2, 1, 1, 0, 1], [2, 0, 0, 2, 3, 0, 0], [0, 1, 1, 1, 2, 7, 3],
       [1, 1, 2, 0, 0, 0, 1], [0, 1, 1, 1, 1, 0, 0]]


def _brute_force_r2(table: list[list[int]]) -> float:
    """r x 2: the first column decides the table; P = prod C(R_i, x_i) / C(N, C_1)."""
    rows = [sum(r) for r in table]
    first = sum(r[0] for r in table)
    total = sum(rows)

    def prob(xs: tuple[int, ...]) -> float:
        return math.prod(math.comb(r, x) for r, x in zip(rows, xs, strict=True)) / math.comb(
            total, first)

    observed = prob(tuple(r[0] for r in table))
    p = 0.0
    for xs in itertools.product(*(range(r + 1) for r in rows)):
        if sum(xs) == first and prob(xs) <= observed * (1 + 1e-7):
            p += prob(xs)
    return p


def _brute_force_rxc(table: list[list[int]]) -> float:
    """Every r x c table with the observed margins, in exact rational arithmetic (fractions
    of integers), by filling the free (r-1) x (c-1) cells."""
    from fractions import Fraction

    rows = [sum(r) for r in table]
    cols = [sum(c) for c in zip(*table, strict=True)]
    n = sum(rows)

    def prob(t: list[list[int]]) -> Fraction:
        num = math.prod(math.factorial(v) for v in rows + cols)
        return Fraction(num, math.factorial(n) * math.prod(
            math.factorial(v) for row in t for v in row))

    observed = prob(table)
    free = [range(min(rows[i], cols[j]) + 1) for i in range(len(rows) - 1)
            for j in range(len(cols) - 1)]
    p = Fraction(0)
    for cells in itertools.product(*free):
        t = [list(cells[i * (len(cols) - 1):(i + 1) * (len(cols) - 1)])
             for i in range(len(rows) - 1)]
        for i, row in enumerate(t):
            row.append(rows[i] - sum(row))
        t.append([cols[j] - sum(t[i][j] for i in range(len(rows) - 1))
                  for j in range(len(cols))])
        if min(min(row) for row in t) < 0:
            continue
        if prob(t) <= observed * Fraction(10**7 + 1, 10**7):
            p += prob(t)
    return float(p)


def test_r_job_satisfaction_four_by_four():
    assert round(fisher_exact_rxc(JOB), 4) == 0.7827


def test_r_mehta_patel_five_by_seven():
    assert round(fisher_exact_rxc(MP6), 5) == 0.03929


def test_r_convictions_two_sided():
    assert round(fisher_exact_rxc([[2, 15], [10, 3]]), 7) == 0.0005367


def test_r_tea_tasting_example():
    assert round(fisher_exact_rxc([[3, 1], [1, 3]]), 4) == 0.4857


def test_cdisc_pilot_lack_of_efficacy_three_arms():
    assert round(fisher_exact_rxc([[3, 83], [0, 84], [1, 83]]), 4) == 0.3281


@pytest.mark.parametrize("table", [[[3, 1], [1, 3]], [[10, 2], [3, 15]], [[0, 5], [6, 1]],
                                   [[20, 30], [25, 25]], [[2, 15], [10, 3]]])
def test_two_by_two_matches_scipy(table):
    assert fisher_exact_rxc(table) == pytest.approx(stats.fisher_exact(table)[1], rel=1e-9)


@pytest.mark.parametrize("table", [[[5, 10], [12, 3], [7, 8]], [[0, 9], [4, 4], [9, 0]],
                                   [[2, 7], [3, 6], [8, 1], [4, 4]], [[1, 1], [1, 1], [1, 1]]])
def test_r_by_two_matches_brute_force(table):
    assert fisher_exact_rxc(table) == pytest.approx(_brute_force_r2(table), rel=1e-9)


@pytest.mark.parametrize("table", [[[3, 0, 2], [1, 4, 1], [0, 2, 5]],
                                   [[2, 1, 0, 3], [1, 2, 4, 0], [0, 3, 1, 2]],
                                   [[4, 1, 1], [1, 1, 4]], [[1, 0], [0, 1], [2, 2], [1, 3]]])
def test_r_by_c_matches_brute_force(table):
    assert fisher_exact_rxc(table) == pytest.approx(_brute_force_rxc(table), rel=1e-9)


def test_invariant_to_transposing_and_reordering():
    p = fisher_exact_rxc(JOB)
    assert fisher_exact_rxc(np.array(JOB).T) == pytest.approx(p, rel=1e-12)
    shuffled = np.array(JOB)[[2, 0, 3, 1]][:, [1, 3, 0, 2]]
    assert fisher_exact_rxc(shuffled) == pytest.approx(p, rel=1e-12)


def test_two_by_c_is_transposed():
    table = [[5, 12, 7], [10, 3, 8]]
    assert fisher_exact_rxc(table) == pytest.approx(
        fisher_exact_rxc([list(c) for c in zip(*table, strict=True)]), rel=1e-12)


def test_zero_margin_is_not_estimable():
    assert math.isnan(fisher_exact_rxc([[0, 5], [0, 7], [0, 2]]))
    assert math.isnan(fisher_exact_rxc([[0, 0], [3, 4]]))
    assert math.isnan(fisher_exact_rxc([[3, 4]]))  # one row: nothing to compare


@pytest.mark.parametrize("table", [[1, 2, 3], [[1, -1], [2, 3]], [[1.5, 1], [2, 3]],
                                   [[np.nan, 1], [2, 3]]])
def test_invalid_tables_are_rejected(table):
    with pytest.raises(ValueError):
        fisher_exact_rxc(table)


def test_large_three_arm_table_is_fast():
    p = fisher_exact_rxc([[400, 4600], [450, 4550], [520, 4480]])
    assert 0 < p < 0.001


def test_too_large_a_table_stops_instead_of_running_for_hours(monkeypatch):
    monkeypatch.setattr(exact, "MAX_PATHS", 1_000)
    with pytest.raises(FisherTableTooLarge):
        fisher_exact_rxc(MP6)
