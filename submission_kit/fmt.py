"""The one formatting module: every number shown in a table, figure or sentence passes here.

Rounding is decimal, from the shortest repr of the float, so 2.675 rounds as a reader (and SAS's
ROUND function) expects: half away from zero ("sas", the default) gives 2.68, where Python's
binary `round(2.675, 2)` gives 2.67. "half-even" is available for outputs compared against R.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Literal

Rounding = Literal["sas", "half-even"]
MISSING = "NE"  # not estimable: shown where a statistic cannot be computed
_MODES = {"sas": ROUND_HALF_UP, "half-even": ROUND_HALF_EVEN}


def is_missing(value: float | int | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def round_half(value: float, digits: int, mode: Rounding = "sas") -> Decimal:
    """Round to `digits` decimals. "sas": half away from zero; "half-even": banker's."""
    if mode not in _MODES:
        raise ValueError(f"unknown rounding mode {mode!r}; use 'sas' or 'half-even'")
    quantum = Decimal(1).scaleb(-digits)
    return Decimal(repr(float(value))).quantize(quantum, rounding=_MODES[mode])


def fmt_num(value: float | int | None, digits: int, mode: Rounding = "sas") -> str:
    """A number with exactly `digits` decimals; never '-0.0'."""
    if is_missing(value):
        return MISSING
    text = f"{round_half(float(value), digits, mode):f}"  # type: ignore[arg-type]
    if text.startswith("-") and text.strip("-0.") == "":
        text = text[1:]
    return text


def fmt_int(value: float | int | None) -> str:
    return MISSING if is_missing(value) else str(round(float(value)))  # type: ignore[arg-type]


def fmt_pct(numerator: int, denominator: int, digits: int = 1, mode: Rounding = "sas") -> str:
    """Percentage with one decimal by default; '100' and '0' shown without decimals."""
    if denominator <= 0:
        return MISSING
    if numerator == denominator:
        return "100"
    if numerator == 0:
        return "0"
    return fmt_num(100.0 * numerator / denominator, digits, mode)


def fmt_n_pct(numerator: int, denominator: int, digits: int = 1, mode: Rounding = "sas") -> str:
    """'12 (5.1)' — a zero count is shown as '0' alone, the usual TLF convention."""
    if numerator == 0:
        return "0"
    return f"{numerator} ({fmt_pct(numerator, denominator, digits, mode)})"


def fmt_mean_sd(mean: float | None, sd: float | None, digits: int, mode: Rounding = "sas") -> str:
    """Mean to `digits`, SD to one more decimal: '59.8 (10.12)'."""
    return f"{fmt_num(mean, digits, mode)} ({fmt_num(sd, digits + 1, mode)})"


def fmt_range(low: float | None, high: float | None, digits: int, mode: Rounding = "sas") -> str:
    return f"{fmt_num(low, digits, mode)}, {fmt_num(high, digits, mode)}"


def fmt_ci(low: float | None, high: float | None, digits: int, mode: Rounding = "sas") -> str:
    """'(0.55, 1.19)'."""
    return f"({fmt_num(low, digits, mode)}, {fmt_num(high, digits, mode)})"


def fmt_estimate_ci(
    estimate: float | None, low: float | None, high: float | None, digits: int,
    mode: Rounding = "sas",
) -> str:
    """'0.81 (0.55, 1.19)'."""
    return f"{fmt_num(estimate, digits, mode)} {fmt_ci(low, high, digits, mode)}"


def fmt_pvalue(p: float | None, digits: int = 3, mode: Rounding = "sas") -> str:
    """p-values to three decimals; '<0.001' below, '>0.999' above (never '0.000' or '1.000')."""
    if is_missing(p):
        return MISSING
    floor = 10.0 ** -digits
    if p < floor:  # type: ignore[operator]
        return f"<{fmt_num(floor, digits)}"
    shown = fmt_num(p, digits, mode)
    if float(shown) >= 1.0:
        return f">{fmt_num(1 - floor, digits)}"
    if float(shown) < floor:  # e.g. 0.0004999 -> '0.000' would hide significance
        return f"<{fmt_num(floor, digits)}"
    return shown


def decimals_of(values: list[float]) -> int:
    """The precision data were collected at: the most decimals any value shows (max 3).

    Summary statistics follow the usual rule: min/max at this precision, mean and median one
    more, SD two more."""
    most = 0
    for value in values:
        if is_missing(value):
            continue
        text = repr(float(value))
        if "e" in text:
            return 3
        decimals = len(text.split(".")[1].rstrip("0")) if "." in text else 0
        most = max(most, decimals)
        if most >= 3:
            return 3
    return most
