"""Word-level differences: edits, moves and what counts as a number change."""

from __future__ import annotations

import pytest

from submission_kit.diff.words import is_number, new_text, old_text, only_numbers, word_diff

CASES = [
    # (old, new, expected operations)
    ("12 (10.9%)", "13 (11.8%)", [("delete", "12 (10.9%)"), ("insert", "13 (11.8%)")]),
    ("and 65.5% of subjects were male.", "and 65.0% of subjects were male.",
     [("equal", "and "), ("delete", "65.5% "), ("insert", "65.0% "),
      ("equal", "of subjects were male.")]),
    ("summarised in the briefing package appendices.",
     "summarised in Appendix 2 of the briefing package.",
     [("equal", "summarised in "), ("insert", "Appendix 2 of "), ("equal", "the briefing "),
      ("delete", "package appendices."), ("insert", "package.")]),
    # A sentence moved inside a paragraph is a move, not a deletion plus an insertion.
    ("First point here. Second point there. End.", "Second point there. First point here. End.",
     [("move-to", "Second point there. "), ("equal", "First point here. "),
      ("move-from", "Second point there. "), ("equal", "End.")]),
    # One word reappearing elsewhere is coincidence, not a move.
    ("arm one two dose", "dose one two arm",
     [("delete", "arm "), ("insert", "dose "), ("equal", "one two "), ("delete", "dose"),
      ("insert", "arm")]),
    ("same text", "same text", [("equal", "same text")]),
]


@pytest.mark.parametrize(("old", "new", "expected"), CASES)
def test_word_diff(old, new, expected):
    ops = word_diff(old, new)
    assert [list(op) for op in ops] == [list(op) for op in expected]
    assert old_text(ops).split() == old.split()
    assert new_text(ops).split() == new.split()


@pytest.mark.parametrize(("token", "number"), [
    ("12", True), ("(10.9%)", True), ("<0.001", True), ("-1.25,", True), ("1,234.", True),
    ("\u22121.2", True), ("=", True), ("NE", True), ("(95%", True),
    ("male", False), ("IL-2LD", False), ("Q1,", False),
])
def test_is_number(token, number):
    assert is_number(token) is number


@pytest.mark.parametrize(("old", "new", "numbers"), [
    ("12 (10.9%)", "13 (11.8%)", True),
    ("p = 0.041", "p < 0.001", True),
    ("0.81 (95% CI: 0.53 to 1.23)", "0.79 (95% CI: 0.50 to 1.25)", True),
    ("65.5% of subjects were male", "65.0% of subjects were female", False),
    ("First point here. Second point.", "Second point. First point here.", False),
    ("same", "same", False),
])
def test_only_numbers(old, new, numbers):
    assert only_numbers(word_diff(old, new)) is numbers
