"""Change records: one difference between two builds, where it is and what kind it is.

A location is a path a reviewer can follow: document → section → paragraph, or table → row
label path (group label > row label) → column label. Text changes carry a word-level diff
(`words`), numbers carry the results keys they come from (`refs`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from submission_kit.errors import UserError

# In report order: what went in first, so a reviewer sees why the outputs moved.
CATEGORIES = ("inputs", "numbers", "text", "titles-footnotes", "structure", "figures",
              "pagination-only")
LABELS = {
    "inputs": "Inputs",
    "numbers": "Numbers",
    "text": "Text",
    "titles-footnotes": "Titles/footnotes",
    "structure": "Structure",
    "figures": "Figures",
    "pagination-only": "Pagination only",
}

SEP = " \u203a "  # between the parts of a location: "Table 14.1.3 > Sex > Placebo" reads worse

# (tag, text): tag is equal, delete, insert, move-from or move-to (see words.py).
WordOp = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Change:
    category: str  # one of CATEGORIES
    kind: str  # what changed: "cell", "row-added", "paragraph", "title", "row-changed", ...
    artifact: str  # "Table 14.1.3", "Document fda-meeting-package", "Dataset ADSL"
    location: tuple[str, ...] = ()  # path inside the artifact
    old: str = ""
    new: str = ""
    words: tuple[WordOp, ...] = ()  # word-level diff of old -> new (text-like changes)
    refs: tuple[str, ...] = ()  # results keys behind a number ("t_14_1_3:SEX.PBO.M.n")
    detail: str = ""  # e.g. full-precision values from the results

    @property
    def where(self) -> str:
        return SEP.join((self.artifact, *self.location))

    def summary(self, width: int = 160) -> str:
        """One line: where, then old -> new ("...Placebo (N=110): 74 (67.3) → 73 (66.4)")."""
        old, new = _one_line(self.old) or "(none)", _one_line(self.new) or "(none)"
        text = f"{_one_line(self.where)}: {old} → {new}"
        return text if len(text) <= width else text[: width - 1] + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """A change is ignored when `pattern` is found in its location or in its old or new text
    (only the texts when `texts_only`), for the listed categories (all when empty)."""

    pattern: re.Pattern[str]
    categories: frozenset[str] = frozenset()
    texts_only: bool = False

    def matches(self, change: Change) -> bool:
        if self.categories and change.category not in self.categories:
            return False
        fields = (change.old, change.new) if self.texts_only else (
            change.where, change.old, change.new)
        return any(self.pattern.search(text) for text in fields if text)


# --ignore-dates: the title-page lines that change with every data cut or version.
DATE_LINES = IgnoreRule(re.compile(r"^(Version|Data cutoff):"), frozenset({"titles-footnotes"}),
                        texts_only=True)


def ignore_rule(text: str) -> IgnoreRule:
    try:
        return IgnoreRule(re.compile(text))
    except re.error as exc:
        raise UserError(f"--ignore {text!r}: not a valid regular expression ({exc})") from None


def split_ignored(changes: Iterable[Change], rules: Iterable[IgnoreRule]
                  ) -> tuple[tuple[Change, ...], tuple[Change, ...]]:
    """(kept, ignored), each in the original order."""
    rules = tuple(rules)
    kept: list[Change] = []
    ignored: list[Change] = []
    for change in changes:
        (ignored if any(r.matches(change) for r in rules) else kept).append(change)
    return tuple(kept), tuple(ignored)
