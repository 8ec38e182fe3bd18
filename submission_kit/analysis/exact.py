"""Fisher's exact test for an r x 2 (or 2 x c) contingency table.

Arms x (with / without an event) and arms x (completed / discontinued) are r x 2 tables; scipy
has the 2 x 2 case only. The p-value is R `fisher.test`'s and SAS PROC FREQ EXACT FISHER's:
the total probability, under fixed margins (multivariate hypergeometric), of every table no
more probable than the observed one, with R's relative tolerance of 1e-7 for ties.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import gammaln

_TOLERANCE = 1 + 1e-7  # R fisher.test: tables within this factor of the observed one count


def fisher_exact_rxc(table: Sequence[Sequence[int]]) -> float:
    """Two-sided exact p-value; NaN when a margin is zero (the test is not defined)."""
    t = np.asarray(table, dtype=np.int64)
    if t.ndim != 2:
        raise ValueError("a contingency table is two-dimensional")
    if t.shape[1] != 2 and t.shape[0] == 2:
        t = t.T
    if t.shape[1] != 2:
        raise ValueError(f"only r x 2 tables are supported, got {t.shape[0]} x {t.shape[1]}")
    rows, first = t.sum(axis=1), int(t[:, 0].sum())
    total = int(rows.sum())
    if (rows == 0).any() or first in (0, total):
        return math.nan
    # log P(table) = sum_i log C(R_i, x_i) - log C(N, C1); the constant cancels in the ratio
    norm = float(_log_choose(total, first))
    observed = float(_log_weight(rows, t[:, 0]).sum()) - norm
    return min(1.0, _mass_at_or_below(rows, first, observed + math.log(_TOLERANCE), norm))


def _log_choose(n: Any, k: Any) -> Any:
    """log C(n, k) for numbers or arrays."""
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def _log_weight(rows: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.asarray(_log_choose(rows.astype(float), x.astype(float)))


def _mass_at_or_below(rows: np.ndarray, first: int, limit: float, norm: float) -> float:
    """Total probability of the tables with column-1 total `first` whose log probability is at
    most `limit` (probabilities in log space: the binomial coefficients overflow a float).
    The last two rows are enumerated as vectors, the others recursively."""
    def recurse(i: int, remaining: int, log_so_far: float) -> float:
        if i == len(rows) - 2:
            a, b = int(rows[i]), int(rows[i + 1])
            x = np.arange(max(0, remaining - b), min(a, remaining) + 1)
            if x.size == 0:
                return 0.0
            logs = log_so_far + _log_choose(a, x) + _log_choose(b, remaining - x)
            kept = logs[logs <= limit]
            return float(np.exp(kept).sum()) if kept.size else 0.0
        out = 0.0
        rest = int(rows[i + 1:].sum())
        for count in range(max(0, remaining - rest), min(int(rows[i]), remaining) + 1):
            out += recurse(i + 1, remaining - count,
                           log_so_far + float(_log_choose(int(rows[i]), count)))
        return out

    return recurse(0, first, -norm)
