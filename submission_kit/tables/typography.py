"""Typography of table text: what a typesetter would do to a spec author's ASCII.

Two pure functions, used by both writers through the table model:

- `typeset(label)`: ">=" / "<=" become "≥" / "≤", and exponents in units become superscripts
  ("kg/m^2", "kg/m2" -> "kg/m²"; "10^9/L" -> "10⁹/L"). Applied to labels (row labels, column
  and spanner labels, the stub header) when the model is built, so the DOCX, the PDF, the
  JSON and the text snapshots all show the same characters. Idempotent.
- `align_decimals(cells)`: the cells of one column, padded with figure spaces (U+2007, as wide
  as a digit in every font that has it) so that the units digit of each number lines up,
  "104 (94.5)" over "··4 (·3.6)". The padding is text, so the alignment is the same in DOCX and
  PDF and survives copy and paste; a writer only left-aligns the padded text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FIGURE_SPACE = "\u2007"
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_COMPARISON = ((">=", "≥"), ("<=", "≤"), ("=>", "≥"), ("=<", "≤"))
# "m^2", "10^9", "s^-1": a caret right after a letter, digit or ")" introduces an exponent.
_CARET = re.compile(r"(?<=[A-Za-z0-9)])\^(-?\d{1,2})(?![0-9])")
# "kg/m2", "mL/min/1.73 m2": a bare 2 or 3 after a length unit that follows a "/"; never a
# digit inside a word or number ("Arm 2", "Visit m2x" stay as they are).
_BARE_UNIT = re.compile(r"(?<=/)((?:\d+(?:\.\d+)?\s?)?(?:mm|cm|dm|km|m))([23])(?![0-9A-Za-z])")


def typeset(text: str) -> str:
    """Comparison signs and unit exponents as real characters; everything else unchanged."""
    for ascii_form, symbol in _COMPARISON:
        text = text.replace(ascii_form, symbol)
    text = _CARET.sub(lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    return _BARE_UNIT.sub(lambda m: m.group(1) + m.group(2).translate(_SUPERSCRIPT), text)


# A number as tables print it: optional comparison sign or minus, digits (grouped by thousands
# or not: "30,329" is one number), optional decimals;
# "NE" / "NA" stand where a number could not be estimated and align like one.
_NUMBER = re.compile(r"[<>≤≥]?-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[<>≤≥]?-?\d+(?:\.\d+)?|\bN[EA]\b")


def _int_width(number: str) -> int:
    """Characters left of the decimal point (sign included): what the padding equalises."""
    return len(number.split(".", 1)[0])


def _shape(text: str) -> tuple[str, ...]:
    """The text between the numbers: cells of one shape ("x (x)", "x, x") align number by
    number; cells of different shapes align on their first number only."""
    return tuple(_NUMBER.split(text))


# A date or time ("2021-03-04", "12:30", "3/4"): text, however many digits it holds.
_DATE_LIKE = re.compile(r"\d[-/:]\d")


def is_numeric(text: str) -> bool:
    """Does the cell start with a number (after optional spaces) and is it no date?"""
    match = _NUMBER.search(text)
    return (match is not None and not text[: match.start()].strip()
            and not _DATE_LIKE.search(text))


def align_decimals(cells: Sequence[str]) -> tuple[str, ...]:
    """One column's cells with figure spaces before each number, so that numbers at the same
    position line up on their units digit; a column that is not all numbers (a listing's text)
    comes back unchanged, and so do empty cells."""
    filled = [c for c in cells if c.strip()]
    if not filled or not all(is_numeric(c) for c in filled):
        return tuple(cells)
    first = max(_int_width(_NUMBER.findall(c)[0]) for c in filled)
    widths: dict[tuple[str, ...], list[int]] = {}
    for cell in filled:
        numbers = _NUMBER.findall(cell)
        current = widths.setdefault(_shape(cell), [0] * len(numbers))
        for i, number in enumerate(numbers):
            current[i] = max(current[i], _int_width(number))
    return tuple(_pad(c, first, widths[_shape(c)]) if c.strip() else c for c in cells)


def _pad(cell: str, first: int, widths: list[int]) -> str:
    out, last, i = [], 0, 0
    for i, match in enumerate(_NUMBER.finditer(cell)):
        target = first if i == 0 else widths[i]
        out.append(cell[last:match.start()])
        out.append(FIGURE_SPACE * (target - _int_width(match.group())) + match.group())
        last = match.end()
    out.append(cell[last:])
    return "".join(out).strip(" ")
