"""Formatters, table-driven.

Rounding rules (see submission_kit/fmt.py): "sas" is SAS ROUND (half away from zero, with a
1e-12 relative fuzz around halfway points); "half-even" is R >= 4.0.0 round() (the stored
double to nearest, exact ties to even). Sources of the expected strings:
- [SAS-Z] SAS 9.2 Language Reference: Dictionary, ROUNDZ function, "Comparing Results from the
  ROUNDZ and ROUND Functions": ROUND(2.5 - 1e-12) = 3, ROUND(2.5 - 1e-11) = 2.
- [SAS] SAS ROUND returns the multiple with the larger absolute value at (approximately) half
  (ROUND/ROUNDE/ROUNDZ "Comparisons"); the decimal value of the literal is what SAS rounds.
- [R] R's round() rounds the represented double (?Round: "the rounding rule applies to the
  represented number and not to the printed number"); the exact double is shown as
  Decimal(x) in the comment. Exact binary ties go to the even digit: round(2.5) = 2,
  round(-1.5) = -2 (?Round examples).
- [PILOT] CDISC pilot DURDIS placebo mean 3667.9 / 86 = 42.65: SAS prints 42.7, R 42.6
  (tests/tables/test_cdiscpilot.py).
"""

import pytest

from submission_kit import fmt


@pytest.mark.parametrize(
    ("value", "digits", "mode", "expected"),
    [
        (2.675, 2, "sas", "2.68"),  # [SAS] stored 2.67499999999999982236431605997495...
        (2.675, 2, "half-even", "2.67"),  # [R] the stored double is below the half
        (2.665, 2, "half-even", "2.67"),  # [R] stored 2.66500000000000003552713678800500...
        (2.665, 2, "sas", "2.67"),  # [SAS]
        ((73.1 + 39.6) / 2, 1, "sas", "56.4"),  # [SAS] 56.349999999999994 is noise off 56.35
        ((73.1 + 39.6) / 2, 1, "half-even", "56.3"),  # [R] the double is below 56.35
        (56.3499, 1, "sas", "56.3"),  # a genuine non-half is not fuzzed up
        (56.34999999, 1, "sas", "56.3"),  # 1e-8 below the half: far outside the fuzz
        (0.125, 2, "sas", "0.13"),  # [SAS] an exact binary half, away from zero
        (0.125, 2, "half-even", "0.12"),  # [R] exact tie: even digit
        (-2.5, 0, "sas", "-3"),  # [SAS] away from zero
        (-2.5, 0, "half-even", "-2"),  # [R] ?Round: round(-2.5) is -2
        (-1.5, 0, "half-even", "-2"),  # [R] ?Round example
        (2.5, 0, "half-even", "2"),  # [R] ?Round example
        (1.005, 2, "sas", "1.01"),  # [SAS] stored 1.00499999999999989341858963598497...
        (1.005, 2, "half-even", "1.00"),  # [R]
        (42.65, 1, "sas", "42.7"),  # [PILOT] SAS prints 42.7
        (42.65, 1, "half-even", "42.6"),  # [PILOT] R prints 42.6
        (2.5 - 1e-12, 0, "sas", "3"),  # [SAS-Z] within the fuzz: halfway, rounds up
        (2.5 - 1e-11, 0, "sas", "2"),  # [SAS-Z] outside the fuzz
        (-0.04, 1, "sas", "0.0"),  # never "-0.0"
        (-0.04, 1, "half-even", "0.0"),
        (-1.25, 1, "sas", "-1.3"),  # [SAS] half away from zero
        (0.5, 0, "sas", "1"),
        (1.5, 0, "half-even", "2"),
        (123.0, 0, "sas", "123"),
        (1000.0005, 3, "sas", "1000.001"),  # [SAS] stored 1000.000499999999988...
        (123456789.125, 2, "sas", "123456789.13"),  # large: an exact binary half
        (123456789.125, 2, "half-even", "123456789.12"),
        # 1e15 + 0.375 is 0.125 from the half: the fuzz (1e-12 relative = 1000 here) is
        # capped at 1e-9 of the unit, so large values keep their real digits
        (1e15 + 0.375, 0, "sas", "1000000000000000"),
        (4503599627370495.5, 0, "sas", "4503599627370496"),  # 2**52 - 0.5: exact half
        (2.5e-6, 6, "sas", "0.000003"),  # tiny: [SAS] stored 2.5000000000000000002e-06
        (2.5e-6, 6, "half-even", "0.000003"),  # [R] the double is above the half
        (1.5e-10, 3, "sas", "0.000"),
        (5e-324, 2, "sas", "0.00"),  # smallest double
        (None, 1, "sas", "NE"),
        (float("nan"), 2, "sas", "NE"),
        (float("inf"), 2, "sas", "NE"),  # never "inf" in a table
        (float("-inf"), 1, "half-even", "NE"),
    ],
)
def test_fmt_num(value, digits, mode, expected):
    assert fmt.fmt_num(value, digits, mode) == expected


@pytest.mark.parametrize(
    ("n", "denominator", "expected"),
    [(12, 235, "12 (5.1)"), (0, 110, "0"), (110, 110, "110 (100)"), (1, 3, "1 (33.3)"),
     (2, 3, "2 (66.7)"), (1, 800, "1 (0.1)"), (1, 2000, "1 (0.1)")],
)
def test_fmt_n_pct(n, denominator, expected):
    assert fmt.fmt_n_pct(n, denominator) == expected


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0.0004, "<0.001"), (0.00049999, "<0.001"), (0.0005, "<0.001"), (0.001, "0.001"),
     (0.00149, "0.001"), (0.04049, "0.040"), (0.0405, "0.041"),
     (0.9996, ">0.999"), (1.0, ">0.999"), (0.5, "0.500"), (None, "NE")],
)
def test_fmt_pvalue(p, expected):
    assert fmt.fmt_pvalue(p) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [((0.8123, 0.5349, 1.2337, 2), "0.81 (0.53, 1.23)"),
     ((float("nan"), 0.5, float("nan"), 2), "NE (0.50, NE)")],
)
def test_fmt_estimate_ci(args, expected):
    assert fmt.fmt_estimate_ci(*args) == expected


@pytest.mark.parametrize(
    ("mean", "sd", "digits", "expected"),
    [(75.209302, 8.590167, 1, "75.2 (8.59)"), (42.65, 30.241572, 2, "42.65 (30.242)")],
)
def test_fmt_mean_sd(mean, sd, digits, expected):
    assert fmt.fmt_mean_sd(mean, sd, digits) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1.0, 2.0, 3.0], 0), ([1.5, 2.25], 2), ([162.6, 170.0], 1), ([1e-7], 3),
     ([0.1234567], 3), ([float("nan"), 2.5], 1), ([], 0)],
)
def test_decimals_of(values, expected):
    assert fmt.decimals_of(values) == expected


def test_fuzz_is_relative_to_the_value():
    """56.35 computed with noise several ulps large still rounds up; a value 1e-12 relative
    below a half counts as the half ([SAS-Z] at a different magnitude), 1e-11 does not."""
    assert fmt.fmt_num(56.35 - 4 * 7.105427357601002e-15, 1) == "56.4"  # 4 ulps below
    assert fmt.fmt_num(56.35 * (1 - 0.9e-12), 1) == "56.4"
    assert fmt.fmt_num(56.35 * (1 - 1e-11), 1) == "56.3"


def test_unknown_rounding_mode_is_rejected():
    with pytest.raises(ValueError, match="unknown rounding mode"):
        fmt.round_half(1.0, 1, "bankers")  # type: ignore[arg-type]
