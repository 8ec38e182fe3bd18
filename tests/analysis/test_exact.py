"""Fisher's exact test for r x 2 tables, checked against independent computations:
- scipy.stats.fisher_exact (two-sided) for 2 x 2 tables;
- R's documented TeaTasting example (`?fisher.test`, R 4.x): p-value = 0.4857;
- a brute-force enumeration written independently here for 3 x 2 and 4 x 2 tables.
"""

from __future__ import annotations

import itertools
import math

import pytest
from scipy import stats

from submission_kit.analysis.exact import fisher_exact_rxc


def _brute_force(table: list[list[int]]) -> float:
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


@pytest.mark.parametrize("table", [[[3, 1], [1, 3]], [[10, 2], [3, 15]], [[0, 5], [6, 1]],
                                   [[20, 30], [25, 25]]])
def test_two_by_two_matches_scipy(table):
    assert fisher_exact_rxc(table) == pytest.approx(stats.fisher_exact(table)[1], rel=1e-9)


def test_r_tea_tasting_example():
    # R: fisher.test(matrix(c(3, 1, 1, 3), nrow = 2)) -> p-value = 0.4857
    assert round(fisher_exact_rxc([[3, 1], [1, 3]]), 4) == 0.4857


@pytest.mark.parametrize("table", [[[5, 10], [12, 3], [7, 8]], [[0, 9], [4, 4], [9, 0]],
                                   [[2, 7], [3, 6], [8, 1], [4, 4]], [[1, 1], [1, 1], [1, 1]]])
def test_r_by_two_matches_brute_force(table):
    assert fisher_exact_rxc(table) == pytest.approx(_brute_force(table), rel=1e-9)


def test_two_by_c_is_transposed():
    table = [[5, 12, 7], [10, 3, 8]]
    assert fisher_exact_rxc(table) == pytest.approx(
        fisher_exact_rxc([list(c) for c in zip(*table, strict=True)]), rel=1e-12)


def test_zero_margin_is_not_estimable():
    assert math.isnan(fisher_exact_rxc([[0, 5], [0, 7], [0, 2]]))
    assert math.isnan(fisher_exact_rxc([[0, 0], [3, 4]]))


def test_large_three_arm_table_is_fast():
    p = fisher_exact_rxc([[400, 4600], [450, 4550], [520, 4480]])
    assert 0 < p < 0.001
