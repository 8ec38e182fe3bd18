"""Word-level differences between two texts, with moved words and sentences detected.

difflib on word tokens (each token keeps the white space after it, so the pieces join back
into the exact texts). A deleted and an inserted piece with the same words (at least two:
a lone "the" or "and" appearing elsewhere is coincidence, not a move) is a move. Pieces are
cut at sentence ends first, so a sentence moved inside a longer edit is still found.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from submission_kit.diff.changes import WordOp

_TOKEN = re.compile(r"\s*\S+\s*")
_SENTENCE_ENDS = (".", "!", "?", ";", ":")
# A number as tables and sentences print it: "12", "10.9%", "<0.001", "-1.25", "1,234".
_COMPARE = r"<>\u2264\u2265="  # <, >, less-or-equal, greater-or-equal, equals
_NUMBER = re.compile(rf"[{_COMPARE}]?[-\u2212+]?(\d[\d,]*(\.\d+)?|\.\d+)%?|[{_COMPARE}]|NE|NA")
_PUNCTUATION = "()[]{},;:"
MOVE_MIN_WORDS = 2


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> tuple[WordOp, ...]:
    a, b = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b],
                                      autojunk=False)
    ops: list[WordOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("equal", "".join(b[j1:j2])))
            continue
        ops.extend(("delete", piece) for piece in _sentences(a[i1:i2]))
        ops.extend(("insert", piece) for piece in _sentences(b[j1:j2]))
    return tuple(_merge(_mark_moves(ops)))


def _sentences(words: list[str]) -> list[str]:
    """Tokens joined into sentences; each keeps the space after its last word."""
    pieces: list[str] = []
    current = ""
    for word in words:
        current += word
        if word.rstrip().endswith(_SENTENCE_ENDS):
            pieces.append(current)
            current = ""
    return [*pieces, current] if current else pieces


def _norm(text: str) -> str:
    return " ".join(text.split())


def _mark_moves(ops: list[WordOp]) -> list[WordOp]:
    out = list(ops)
    inserts = [i for i, (tag, _) in enumerate(out) if tag == "insert"]
    for i, (tag, text) in enumerate(out):
        if tag != "delete" or len(text.split()) < MOVE_MIN_WORDS:
            continue
        match = next((j for j in inserts if _norm(out[j][1]) == _norm(text)), None)
        if match is not None:
            inserts.remove(match)
            out[i] = ("move-from", text)
            out[match] = ("move-to", out[match][1])
    return out


def _merge(ops: Iterable[WordOp]) -> list[WordOp]:
    merged: list[WordOp] = []
    for tag, text in ops:
        if merged and merged[-1][0] == tag:
            merged[-1] = (tag, merged[-1][1] + text)
        else:
            merged.append((tag, text))
    return merged


def old_text(ops: Iterable[WordOp]) -> str:
    return "".join(text for tag, text in ops if tag in ("equal", "delete", "move-from"))


def new_text(ops: Iterable[WordOp]) -> str:
    return "".join(text for tag, text in ops if tag in ("equal", "insert", "move-to"))


def changed(ops: Iterable[WordOp]) -> bool:
    return any(tag != "equal" for tag, _ in ops)


def is_number(token: str) -> bool:
    word = token.strip().strip(_PUNCTUATION).rstrip(".")
    return bool(_NUMBER.fullmatch(word.strip(_PUNCTUATION)))


def only_numbers(ops: Iterable[WordOp]) -> bool:
    """True when every inserted or deleted word is a number: the statistic moved, the prose
    did not. A move is never a number change."""
    edits = [(tag, text) for tag, text in ops if tag != "equal"]
    return bool(edits) and all(
        tag in ("delete", "insert") and all(is_number(t) for t in text.split())
        for tag, text in edits)
