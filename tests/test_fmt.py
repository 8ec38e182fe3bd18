"""Formatters, table-driven. Expected strings follow SAS ROUND (half away from zero) unless a
row says half-even; '2.675' is the classic case where binary round() gives 2.67."""

import pytest

from submission_kit import fmt


@pytest.mark.parametrize(
    ("value", "digits", "mode", "expected"),
    [
        (2.675, 2, "sas", "2.68"),
        (2.675, 2, "half-even", "2.68"),  # decimal half-even: 2.675 -> 2.68 (8 is even)
        (2.665, 2, "half-even", "2.66"),
        (2.665, 2, "sas", "2.67"),
        (42.65, 1, "sas", "42.7"),  # CDISC pilot DURDIS placebo mean; SAS prints 42.7
        (-0.04, 1, "sas", "0.0"),  # never "-0.0"
        (-1.25, 1, "sas", "-1.3"),  # half away from zero
        (0.5, 0, "sas", "1"),
        (1.5, 0, "half-even", "2"),
        (2.5, 0, "half-even", "2"),
        (123.0, 0, "sas", "123"),
        (None, 1, "sas", "NE"),
        (float("nan"), 2, "sas", "NE"),
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


def test_unknown_rounding_mode_is_rejected():
    with pytest.raises(ValueError, match="unknown rounding mode"):
        fmt.round_half(1.0, 1, "bankers")  # type: ignore[arg-type]
