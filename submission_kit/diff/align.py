"""Lining up two versions of a sequence (document blocks, table rows, footnotes) so that each
item is compared with its own counterpart, not with whatever sits at the same position.

`align` walks difflib's opcodes over stable keys: equal keys are the same item; an item whose
key appears on the other side out of order is a move; inside a changed stretch, items that are
`similar` (same kind of block, mostly the same words) are one item edited; the rest were
added or removed. The compare stage and the Word redline both use these steps, so they agree.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# same: identical; changed: edited in place; removed/added; moved-from/moved-to: the same
# item at another place (both steps carry both indices).
STEP_KINDS = ("same", "changed", "removed", "added", "moved-from", "moved-to")
SIMILAR = 0.5  # share of words two versions of one paragraph have in common, at least


@dataclass(frozen=True, slots=True)
class Step:
    kind: str
    old: int | None
    new: int | None


Pairing = Callable[[int, int], bool]


def align(old_keys: Sequence[Hashable], new_keys: Sequence[Hashable],
          similar: Pairing | None = None, fallback: Pairing | None = None) -> list[Step]:
    """Steps in reading order: a changed stretch lists what left before what arrived.

    `similar` pairs items within a changed stretch in order; when as many old as new items
    are left unpaired there, `fallback` may pair them by position (a date line rewritten in
    place is that line edited, even with few words in common)."""
    opcodes = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False).get_opcodes()
    gaps = [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in opcodes if tag != "equal"]
    moves = _moves(old_keys, new_keys, gaps)
    steps: list[Step] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            steps += [Step("same", i, j) for i, j in zip(range(i1, i2), range(j1, j2),
                                                          strict=True)]
        else:
            steps += _gap_steps(range(i1, i2), range(j1, j2), moves, similar, fallback)
    return steps


def _moves(old_keys: Sequence[Hashable], new_keys: Sequence[Hashable],
           gaps: list[tuple[int, int, int, int]]) -> dict[int, int]:
    """old index -> new index for items that left one gap and arrived in another place."""
    waiting: dict[Hashable, list[int]] = {}
    for _, _, j1, j2 in gaps:
        for j in range(j1, j2):
            waiting.setdefault(new_keys[j], []).append(j)
    moves = {}
    for i1, i2, _, _ in gaps:
        for i in range(i1, i2):
            if waiting.get(old_keys[i]):
                moves[i] = waiting[old_keys[i]].pop(0)
    return moves


def _gap_steps(olds: range, news: range, moves: Mapping[int, int],
               similar: Pairing | None, fallback: Pairing | None) -> list[Step]:
    moved_to = {j: i for i, j in moves.items()}
    left = [i for i in olds if i not in moves]
    pairs = _pairs(left, [j for j in news if j not in moved_to], similar)
    paired = set(pairs.values())
    rest_old = [i for i in left if i not in paired]
    rest_new = [j for j in news if j not in moved_to and j not in pairs]
    if fallback is not None and len(rest_old) == len(rest_new):
        pairs.update((j, i) for i, j in zip(rest_old, rest_new, strict=True) if fallback(i, j))
        paired = set(pairs.values())
    steps = [Step("moved-from", i, moves[i]) if i in moves else Step("removed", i, None)
             for i in olds if i not in paired]
    for j in news:
        if j in moved_to:
            steps.append(Step("moved-to", moved_to[j], j))
        elif j in pairs:
            steps.append(Step("changed", pairs[j], j))
        else:
            steps.append(Step("added", None, j))
    return steps


def _pairs(olds: list[int], news: list[int], similar: Pairing | None) -> dict[int, int]:
    """new -> old, greedily and in order on both sides."""
    pairs: dict[int, int] = {}
    start = 0
    for j in news if similar is not None else ():
        for k in range(start, len(olds)):
            if similar(olds[k], j):  # type: ignore[misc]
                pairs[j], start = olds[k], k + 1
                break
    return pairs


def word_similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


# --- document blocks (documents/<id>.json) ---

_NUMBERED = re.compile(r"^\d+(\.\d+)*\s+")


def block_text(block: Mapping[str, Any]) -> str:
    """The words of a block; a simple table reads one row per line, cells split by ' | '."""
    if block.get("kind") == "simple-table":
        return "\n".join(" | ".join(row) for row in block.get("rows", []))
    return str(block.get("text", ""))


def block_key(block: Mapping[str, Any]) -> tuple[str, str]:
    """Headings without their number: a section inserted earlier renumbers every later one,
    and that is one structural change, not one per heading."""
    text = block_text(block)
    if block.get("kind") == "heading":
        text = _NUMBERED.sub("", text)
    return str(block.get("kind", "")), text


def blocks_similar(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    if old.get("kind") != new.get("kind"):
        return False
    if old.get("kind") in ("table", "figure"):
        return bool(old.get("ref")) and old.get("ref") == new.get("ref")
    return word_similarity(block_key(old)[1], block_key(new)[1]) >= SIMILAR


def align_blocks(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
                 ) -> list[Step]:
    return align([block_key(b) for b in old], [block_key(b) for b in new],
                 lambda i, j: blocks_similar(old[i], new[j]),
                 lambda i, j: old[i].get("kind") == new[j].get("kind") != "heading")


def align_lines(old: Sequence[str], new: Sequence[str]) -> list[Step]:
    """Title lines or footnotes: by their words, else by position within an edited stretch."""
    return align(list(old), list(new), lambda i, j: word_similarity(old[i], new[j]) >= SIMILAR,
                 lambda i, j: True)


def block_location(block: Mapping[str, Any]) -> tuple[str, ...]:
    """('10 Data ... > 10.1 Data for Question 1', 'paragraph 2'): section, then the block's
    kind and its position in the section."""
    return (str(block.get("section") or "(before the first heading)"),
            f"{block.get('kind', 'block')} {block.get('index', '')}".strip())


# --- table rows (tables/<stem>.json) ---

def row_paths(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """Each row's label path: the labels of the rows above it with a smaller indent (its group
    labels), then its own. A path that repeats gets '#2', '#3' so every key is unique."""
    paths: list[tuple[str, ...]] = []
    stack: list[tuple[int, str]] = []
    seen: dict[tuple[str, ...], int] = {}
    for row in rows:
        indent = int(row.get("indent", 0))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = (*(label for _, label in stack), str(row.get("label", "")))
        stack.append((indent, str(row.get("label", ""))))
        seen[path] = seen.get(path, 0) + 1
        paths.append(path if seen[path] == 1 else (*path[:-1], f"{path[-1]} #{seen[path]}"))
    return paths


def align_rows(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
               ) -> list[Step]:
    """Rows are matched by label path; a row whose own label changed ("changed" step) is
    one under the same group labels, in the same stretch, showing the same results keys (or,
    without keys, the same cells)."""
    a, b = row_paths(old), row_paths(new)

    def relabelled(i: int, j: int) -> bool:
        same_keys = bool(old[i].get("keys")) and old[i].get("keys") == new[j].get("keys")
        return a[i][:-1] == b[j][:-1] and (same_keys or old[i].get("cells")
                                           == new[j].get("cells"))

    return align(a, b, relabelled)
