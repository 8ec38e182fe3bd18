"""Exact tests on contingency tables, at full precision.

`fisher_exact_rxc` is Fisher's exact test for an r x c table (the Freeman-Halton extension):
the p-value of R's `fisher.test` and of SAS PROC FREQ's EXACT FISHER. scipy.stats.fisher_exact
is exact for 2 x 2 tables only (from scipy 1.15 larger tables are resampled), while a
comparison of arms has one row per arm: arms x (completed / discontinued) is 3 x 2 in the
CDISC pilot (Table 14-1.02), arms x (with / without an adverse event) likewise, and a
categorical outcome across arms is r x c.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import gammaln

# R's fisher.test counts a table as "as extreme" when its probability is within a relative
# 1e-7 of the observed one, so ties computed along different floating-point paths still tie.
RELATIVE_TOLERANCE = 1e-7
# Partial sums of log-probabilities are merged when they agree to 1e-9 (far below the
# tolerance above): one entry per distinct value, however the path reached it.
_KEY_SCALE = 1e9
MAX_PATHS = 5_000_000  # partial tables held at once before FisherTableTooLarge

# Row totals still to fill (sorted) -> the distinct sums of -log x_ij! over the columns filled
# so far, and how many partial tables reach each.
Paths = dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]]


class FisherTableTooLarge(ValueError):
    """The table has too many possible arrangements to enumerate (more than MAX_PATHS)."""


def fisher_exact_rxc(table: Sequence[Sequence[int]] | np.ndarray) -> float:
    """Two-sided p-value of Fisher's exact test of independence in an r x c table.

    Given both margins, a table's probability is multivariate hypergeometric:
    P(x) = prod(row totals!) prod(column totals!) / (N! prod(x_ij!)). The p-value is the sum
    of P over every table with the observed margins whose probability does not exceed the
    observed table's (times 1 + 1e-7, as R does). For 2 x 2 tables this is
    scipy.stats.fisher_exact's two-sided p-value.

    A table with fewer than two rows or columns, or a row or column total of zero (an arm
    with no subjects, an outcome no subject had), leaves nothing to test: the result is NaN,
    for the caller to report as not estimable (drop an empty row or column first to test the
    rest). Raises ValueError for a table that is
    not two-dimensional or holds negative or non-integer counts, and FisherTableTooLarge
    when more than MAX_PATHS partial tables would have to be held at once.

    Tables are enumerated column by column, after transposing so there are no more rows than
    columns: the nodes of Mehta & Patel's network algorithm (JASA 1983). After each column
    only the multiset of row totals still to fill matters for what can follow, so partial
    tables reaching the same sorted totals with the same probability so far are merged and
    counted once with their multiplicity. A partial table whose every completion is as
    extreme (or none is), by simple bounds on the completions, is settled at once with the
    closed-form total probability of its completions; the last two columns are evaluated as
    vectors. That is fast for the tables of clinical summaries: a few arms and levels,
    hundreds to thousands of subjects.
    """
    x = _as_counts(table)
    if min(x.shape) < 2 or (x.sum(axis=0) == 0).any() or (x.sum(axis=1) == 0).any():
        return math.nan
    if x.shape[0] > x.shape[1]:
        x = x.T
    # Small columns first keep the early stages narrow; the two largest are then evaluated
    # as vectors. The p-value does not depend on the order of rows or columns.
    x = x[:, np.argsort(x.sum(axis=0), kind="stable")]
    rows = tuple(sorted(int(v) for v in x.sum(axis=1)))
    net = _Network.of(x)
    paths: Paths = {rows: (np.zeros(1), np.ones(1))}
    p = 0.0
    for k in range(len(net.columns) - 1):
        settled, paths = net.settle(paths, k)
        p += settled
        if paths and k < len(net.columns) - 2:
            paths = net.fill_column(paths, k)
    for remaining, (past, count) in paths.items():
        p += net.last_two_columns(remaining, past, count)
    return min(1.0, p)


@dataclass(frozen=True, slots=True)
class _Network:
    columns: tuple[int, ...]
    log_f: np.ndarray  # log(n!) for n = 0..N
    log_constant: float  # log(prod row totals! prod column totals! / N!)
    threshold: float  # sum of -log x_ij! of the observed table, plus the tolerance

    @classmethod
    def of(cls, x: np.ndarray) -> _Network:
        columns = tuple(int(v) for v in x.sum(axis=0))
        log_f = gammaln(np.arange(int(x.sum()) + 1) + 1.0)
        log_constant = float(log_f[x.sum(axis=1)].sum() + log_f[list(columns)].sum()
                             - log_f[-1])
        threshold = -float(log_f[x].sum()) + math.log1p(RELATIVE_TOLERANCE)
        return cls(columns, log_f, log_constant, threshold)

    def settle(self, paths: Paths, k: int) -> tuple[float, Paths]:
        """With k columns filled: the probability of the partial tables all of whose
        completions are at most as likely as the observed table, and the partial tables
        some but not all of whose completions may be (only those are expanded further)."""
        settled, undecided = 0.0, {}
        later = list(self.columns[k:])
        for remaining, (past, count) in paths.items():
            rows_left = max(1, sum(1 for v in remaining if v > 0))
            # Bounds on the sum of -log x_ij! over the later columns: at most that of an
            # even split of each column (ignoring the row totals), at least -log(column!).
            most = sum(self._even_split(c, rows_left) for c in later)
            least = -float(self.log_f[later].sum())
            every = past + most <= self.threshold
            # sum over completions of prod 1/x_ij! = M! / (prod m_i! prod c_j!)
            log_mass = float(self.log_f[sum(remaining)] - self.log_f[list(remaining)].sum()
                             + least)
            settled += float((count[every] * np.exp(self.log_constant + log_mass
                                                    + past[every])).sum())
            some = ~every & (past + least <= self.threshold)
            if some.any():
                undecided[remaining] = (past[some], count[some])
        return settled, undecided

    def _even_split(self, total: int, parts: int) -> float:
        q, extra = divmod(total, parts)
        return -float(extra * self.log_f[q + 1] + (parts - extra) * self.log_f[q])

    def fill_column(self, paths: Paths, k: int) -> Paths:
        """Every way to fill column k, merging equivalent partial tables."""
        lefts, values, counts = [], [], []
        held = 0
        for remaining, (past, count) in paths.items():
            cells = _compositions(remaining, self.columns[k])
            held += len(cells) * past.size
            if held > MAX_PATHS:
                raise FisherTableTooLarge(
                    f"Fisher's exact test: more than {MAX_PATHS:,} partial tables to "
                    "enumerate; the table is too large for exact enumeration")
            steps = -self.log_f[cells].sum(axis=1)
            lefts.append(np.repeat(np.sort(np.subtract(remaining, cells), axis=1), past.size,
                                   axis=0))
            values.append((steps[:, None] + past).ravel())
            counts.append(np.tile(count, steps.size))
        return _merged(np.vstack(lefts), np.concatenate(values), np.concatenate(counts))

    def last_two_columns(self, remaining: tuple[int, ...], past: np.ndarray,
                         count: np.ndarray) -> float:
        """Probability of the completed tables at most as likely as the observed one, over
        every way to fill the last two columns: with the completions sorted by probability,
        each partial table adds a cumulative sum up to its own cut-off."""
        cells = _compositions(remaining, self.columns[-2])
        rest = np.subtract(remaining, cells)
        future = np.sort(-(self.log_f[cells].sum(axis=1) + self.log_f[rest].sum(axis=1)))
        top = float(future[-1])
        mass = np.concatenate([[0.0], np.cumsum(np.exp(future - top))])
        within = np.searchsorted(future, self.threshold - past, side="right")
        return float((count * np.exp(self.log_constant + top + past) * mass[within]).sum())


def _merged(lefts: np.ndarray, values: np.ndarray, counts: np.ndarray) -> Paths:
    """Partial tables grouped by the row totals they leave, one entry per distinct partial
    sum, with the number of partial tables giving it."""
    left_id = _row_ids(lefts)
    keys = np.round(values * _KEY_SCALE)
    order = np.lexsort((keys, left_id))
    left_id, keys, values, counts = left_id[order], keys[order], values[order], counts[order]
    new = np.flatnonzero(np.r_[True, (np.diff(left_id) != 0) | (np.diff(keys) != 0)])
    left_id, values, counts = left_id[new], values[new], np.add.reduceat(counts, new)
    first_rows = lefts[order[new]]
    return {tuple(int(v) for v in first_rows[start]): (values[start:stop], counts[start:stop])
            for start, stop in _runs(left_id)}


def _row_ids(rows: np.ndarray) -> np.ndarray:
    """An integer per row, equal for equal rows: the row read as digits in base max + 1 when
    that fits in 62 bits (sorting integers is far faster than sorting rows)."""
    base = int(rows.max(initial=0)) + 1
    if rows.shape[1] * math.log2(base) < 62:
        return rows @ (base ** np.arange(rows.shape[1], dtype=np.int64))
    return np.unique(rows, axis=0, return_inverse=True)[1].ravel()


def _runs(ids: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of equal values in a sorted array."""
    edges = [*np.flatnonzero(np.diff(ids) != 0) + 1]
    return list(zip([0, *edges], [*edges, ids.size], strict=True))


@lru_cache(maxsize=16_384)
def _compositions(bounds: tuple[int, ...], total: int) -> np.ndarray:
    """Every vector of non-negative integers x with x_i <= bounds[i] and sum(x) = total, one
    per row (read-only: the result is cached)."""
    if len(bounds) == 1:
        out = np.array([[total]] if total <= bounds[0] else np.empty((0, 1)), dtype=np.int64)
    elif len(bounds) == 2:
        low = np.arange(max(0, total - bounds[1]), min(bounds[0], total) + 1)
        out = np.column_stack([low, total - low])
    else:
        room_after = sum(bounds[1:])
        parts = [np.empty((0, len(bounds)), dtype=np.int64)]
        for first in range(max(0, total - room_after), min(bounds[0], total) + 1):
            rest = _compositions(bounds[1:], total - first)
            parts.append(np.column_stack([np.full(len(rest), first), rest]))
        out = np.vstack(parts)
    out = out.astype(np.int64)
    out.flags.writeable = False
    return out


def _as_counts(table: Sequence[Sequence[int]] | np.ndarray) -> np.ndarray:
    x = np.asarray(table, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"Fisher's exact test needs a two-dimensional table, got {x.ndim} "
                         "dimension(s)")
    if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("Fisher's exact test needs non-negative integer counts")
    return x.astype(np.int64)
