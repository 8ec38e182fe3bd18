"""Published CDISC pilot tables (Atorus replication) as test data, and the cell comparison rules.

The CSV files next to this module hold every table row of the published RTF outputs, cells as
printed (scripts/extract_atorus_rtf.py writes them; each file's header names the repository,
commit and file). Tests compare each published cell with our table model (the displayed text)
and with our results (the full-precision value behind the cell), after this normalisation and
nothing else:

- Whitespace: leading/trailing blanks and the blanks inside the published "( 2.3%)" are
  dropped, and so is the "%": " 2 ( 2.3%)" reads "2 (2.3)", " 0        " reads "0".
- Rounding: a published number with d decimals matches our full-precision value v when
  |v - published| <= 0.5 x 10^-d (so a tie may have been rounded either way: R's round() on the
  binary double, e.g. 42.65 -> 42.6, or half-up, 42.7). Where our table shows the same
  statistic with the same number of decimals, the displayed text must also be equal.
- p-values: a trailing "*" (the published flag for p < 0.15 in 14-5.01) is dropped and checked
  against our p; ">.99" matches p > 0.99 and "<.0001" p < 0.0001 (published ceilings and
  floors, whatever we print there); a blank published p-value, printed where neither arm had
  the event, matches our "NE" (not estimable) or an empty cell.
- "[12]" event counts read 12; a blank event count (no subject had the event) reads our "0".
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent


def rows(name: str) -> list[list[str]]:
    """Every table row of published table `name` ("14-5.01"), cells as printed."""
    with (HERE / f"atorus-{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(line for line in handle if not line.startswith("#")))


def source(name: str) -> str:
    """The CSV's header: repository, file and commit, for messages."""
    with (HERE / f"atorus-{name}.csv").open(encoding="utf-8") as handle:
        return " ".join(line[2:].strip() for line in handle if line.startswith("#"))


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _close(value: float, published: str) -> bool:
    """The published number is `value` rounded to the published decimals (either way at a
    tie)."""
    shown = float(published)
    return abs(value - shown) <= 0.5 * 10 ** -_decimals(published) + 1e-9 * max(1.0, abs(shown))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def check_number(published: str, shown: str, value: float | int | None) -> str | None:
    """A published number against our value; `shown` is our displayed text of the same
    statistic ("" when our table does not show it on its own)."""
    text = published.strip()
    if _missing(value):
        return "ours is missing"
    assert value is not None
    if not _close(float(value), text):
        return f"value {value!r} does not round to {text}"
    if shown and _decimals(shown) == _decimals(text) and shown != text:
        return f"displayed {shown!r}"
    return None


COUNT_PCT = re.compile(r"(\d+)(?:\s*\(\s*(<?)\s*([\d.]+)\s*%\))?")


def normalise_count(published: str) -> str:
    """'  2 ( 2.3%)' -> '2 (2.3)'; ' 0        ' -> '0'; '1 ( <1%)' -> '1 (<1)'."""
    match = COUNT_PCT.fullmatch(published.strip())
    if match is None:
        raise ValueError(f"not a count: {published!r}")
    n, less, pct = match.groups()
    return n if pct is None else f"{n} ({less}{pct})"


def check_count(published: str, shown: str, n: int | None, pct: float | None) -> str | None:
    """A published 'n (pct%)' cell against our count and full-precision percentage."""
    match = COUNT_PCT.fullmatch(published.strip())
    if match is None:
        return "published cell is not a count"
    text_n, less, text_pct = match.groups()
    if n != int(text_n):
        return f"n {n!r} != {text_n}"
    if text_pct is not None:
        if pct is None:
            return "ours has no percentage"
        if less and not 0 < pct < float(text_pct):
            return f"percentage {pct!r} is not below {text_pct}"
        if not less and not _close(pct, text_pct):
            return f"percentage {pct!r} does not round to {text_pct}"
    ours = re.fullmatch(r"(\d+)(?: \(([\d.]+)\))?", shown)
    if ours is None:
        return f"displayed {shown!r} is not a count"
    same_form = (ours.group(2) is None) == (text_pct is None) and (
        text_pct is None or (not less and _decimals(ours.group(2)) == _decimals(text_pct)))
    if same_form and shown != normalise_count(published):
        return f"displayed {shown!r}"
    if int(ours.group(1)) != n:
        return f"displayed n {shown!r}"
    return None


def check_events(published: str, shown: str, events: int | None) -> str | None:
    """A published '[n]' event count (blank where nobody had the event) against ours."""
    text = published.strip()
    expected = 0 if text == "" else int(text.strip("[]"))
    if events != expected:
        return f"events {events!r} != {expected}"
    if shown != str(expected):
        return f"displayed {shown!r}"
    return None


def check_pvalue(published: str, shown: str, p: float | None,
                 star: float | None = None) -> str | None:
    """A published p-value against our full-precision p and our displayed cell. `star`: the
    threshold below which the published table appends '*'."""
    text = published.strip()
    flagged = text.endswith("*")
    text = text.rstrip("*").strip()
    if text == "":
        if not _missing(p) or shown not in ("", "NE"):
            return f"published blank, ours p = {p!r} shown {shown!r}"
        return None
    if _missing(p):
        return "ours is not estimable"
    assert p is not None
    if star is not None and flagged != (p < star):
        return f"'*' flag (p < {star}) disagrees with p = {p!r}"
    if text == ">.99":
        return None if p > 0.99 else f"p = {p!r} is not above 0.99"
    if text.startswith("<"):
        bound = float(text[1:])
        return None if p < bound else f"p = {p!r} is not below {bound}"
    if not _close(p, text):
        return f"p = {p!r} does not round to {text}"
    if re.fullmatch(r"\d\.\d+", shown) and _decimals(shown) == _decimals(text) and shown != text:
        return f"displayed {shown!r}"
    return None


def report(mismatches: list[str], name: str, compared: int) -> str:
    return (f"{len(mismatches)} of {compared} published cells differ ({source(name)}):\n"
            + "\n".join(mismatches))
