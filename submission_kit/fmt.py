"""The one formatting module: every number shown in a table, figure or sentence passes here.

Two rounding modes, each one documented rule (`round_half`):

- "sas" (the default): half away from zero, with SAS ROUND's "fuzz". Rule: let h be the
  halfway point nearest to x at the requested decimals; if |x - h| <= min(1e-12 * |x|,
  1e-9 * unit), x is taken to be h and rounds away from zero; otherwise the exact binary value
  of x is rounded to nearest. So binary noise cannot turn a decimal half into a round-down:
  (73.1 + 39.6) / 2 is 56.349999999999994 as a double and is shown as 56.4, as SAS prints it,
  while 56.3499 still gives 56.3. Sources: SAS 9.2 Language Reference: Dictionary, ROUNDZ
  function, "Comparing Results from the ROUNDZ and ROUND Functions" (ROUND(2.5 - 1e-12) = 3,
  ROUND(2.5 - 1e-11) = 2, where ROUNDZ, without fuzz, gives 2); the ROUND function page tests
  approximate equality as abs(x-y) <= 1e-12*max(abs(x),abs(y)) and promises decimal results
  only for "no more than nine significant digits" -- hence the cap, which keeps the fuzz from
  ever swallowing a real digit of a large value.
- "half-even": R's round() (R >= 4.0.0, after PR#17668): the double as stored is rounded to
  the nearer of its two decimal neighbours, and only an exact tie (a double that is exactly
  halfway, such as 0.125 or 2.5) goes to the even digit. So 2.675 (stored as
  2.67499999999999982...) gives 2.67 and 42.65 gives 42.6, as R prints them; no fuzz.
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Literal

Rounding = Literal["sas", "half-even"]
MISSING = "NE"  # not estimable: shown where a statistic cannot be computed
_MODES = ("sas", "half-even")
SAS_FUZZ = 1e-12  # relative distance from a halfway point that still counts as halfway
_FUZZ_CAP = 1e-9  # ... but never more than this many rounding units
# Enough digits for any double's exact expansion, so Decimal arithmetic here is exact.
_EXACT = Context(prec=1100, Emax=999_999, Emin=-999_999)


def is_missing(value: float | int | None) -> bool:
    """None, NaN and ±inf are all shown as NE: none of them is a number a reader can use."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def round_half(value: float, digits: int, mode: Rounding = "sas") -> Decimal:
    """`value` rounded to `digits` decimals (see the module docstring for the two rules)."""
    if mode not in _MODES:
        raise ValueError(f"unknown rounding mode {mode!r}; use 'sas' or 'half-even'")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"cannot round {value!r}")
    with localcontext(_EXACT):
        if mode == "sas":
            return _round_sas(value, digits)
        return _round_r(value, digits)


def _round_sas(value: float, digits: int) -> Decimal:
    """Half away from zero on the exact binary value, after snapping values within the fuzz
    of a halfway point onto it."""
    unit = Decimal(1).scaleb(-digits)
    exact = abs(Decimal(value))  # the double's exact decimal expansion
    halfway = exact.quantize(unit, rounding=ROUND_FLOOR) + unit / 2
    fuzz = min(Decimal(SAS_FUZZ) * exact, Decimal(_FUZZ_CAP) * unit)
    if abs(exact - halfway) <= fuzz:
        exact = halfway
    return exact.quantize(unit, rounding=ROUND_HALF_UP).copy_sign(Decimal(value))


def _round_r(value: float, digits: int) -> Decimal:
    """The exact binary value, rounded to nearest; only an exact tie goes to the even digit.

    This is what R >= 4.0.0 round(x, d) computes ("r3" in Maechler's round package: the nearer
    of floor(x*10^d)/10^d and ceiling(x*10^d)/10^d, worked out in long double). Without long
    double (R on arm64 macOS) R can differ in the last digit for a double within an ulp of a
    half, e.g. round(0.45, 1)."""
    unit = Decimal(1).scaleb(-digits)
    return Decimal(value).quantize(unit, rounding=ROUND_HALF_EVEN)


def fmt_num(value: float | int | None, digits: int, mode: Rounding = "sas") -> str:
    """A number with exactly `digits` decimals; never '-0.0'."""
    if is_missing(value):
        return MISSING
    text = f"{round_half(float(value), digits, mode):f}"  # type: ignore[arg-type]
    if text.startswith("-") and text.strip("-0.") == "":
        text = text[1:]
    return text


def fmt_int(value: float | int | None, grouped: bool = False) -> str:
    """A whole number; `grouped`: with thousands separators ("30,329"), as regulations and
    reviewers write counts of persons ("fewer than 200,000 persons")."""
    if is_missing(value):
        return MISSING
    number = round(float(value))  # type: ignore[arg-type]
    return f"{number:,}" if grouped else str(number)


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
