"""One pagination model for every format: which rows of a table go on which page.

A pure function of the table model, the page (content box of each orientation), the type
sizes and a text-measuring function (the study font's own advance widths, writers.font_metrics).
The DOCX and the PDF writer both lay out exactly the pages decided here, one small fixed-layout
table per page, so both formats break at the same rows, and the PDF renderer has no page
breaking left to do.

Rules, in order:
- Column widths: value columns as wide as their widest cell (never wrapped when it can be
  helped), numeric columns all equally wide; the stub (row labels) takes the rest and wraps.
  Orientation "auto" is portrait unless that leaves the stub less than a quarter of the width.
- Text wraps at spaces and after a hyphen or slash that joins two words ("RECOVERED/" +
  "RESOLVED"); columns are made no narrower than their widest piece that cannot break, when
  the page allows, and a piece is broken between characters only when it is wider than its
  column.
- Numbers are decimal-aligned per column (typography.align_decimals), and the padded block
  is centred in its column by a left inset that both writers apply.
- A group (a row followed by more-indented rows: a variable's label and its statistics, a SOC
  and its PTs) stays on one page when it fits on one; a group that does not fit is split
  between its sub-groups, never right after a label row. A page that continues a group starts
  with "(continued)" rows that repeat the labels of the groups it continues.
- Each `page_by` value starts a new page and is printed above the column headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from submission_kit.tables.model import Orientation, Row, TableModel, header_rows
from submission_kit.tables.typography import align_decimals, is_numeric

Measure = Callable[..., float]  # measure(text, bold=False) -> width in em
CONTINUED = "(continued)"


@dataclass(frozen=True, slots=True)
class Sizes:
    """Type sizes and spacing in points: what both writers draw with, so heights agree."""

    table_pt: float = 9.0
    title_pt: float = 11.0
    line: float = 1.2  # line height as a multiple of the type size (exact in both writers)
    pad_x: float = 3.6  # cell padding left and right
    pad_y: float = 1.0  # body cell padding top and bottom
    head_pad_y: float = 2.0  # header cell padding top and bottom
    rule: float = 0.75  # the horizontal rules
    indent: float = 10.8  # per indent level of a row label
    title_gap: float = 6.0  # below the title lines
    notes_gap: float = 3.0  # between the rule under the table and the first note
    page_by_gap: float = 3.0
    fill: float = 0.97  # share of a cell's text width a line may fill (measuring margin)
    slack: float = 6.0  # kept free at the foot of every page

    @property
    def table_line(self) -> float:
        return self.table_pt * self.line

    @property
    def title_line(self) -> float:
        return self.title_pt * self.line


@dataclass(frozen=True, slots=True)
class Frame:
    """What a page offers a table, in points: the content box of each orientation, and the
    title lines and notes drawn on every page of it."""

    portrait: tuple[float, float]  # width, height
    landscape: tuple[float, float]
    titles: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    reserve: float = 0.0  # further height taken on every page (a page-number line, a spacer)
    first_reserve: float = 0.0  # and on the first page only (headings that lead into it)


@dataclass(frozen=True, slots=True)
class Page:
    rows: tuple[Row, ...]  # as printed: "(continued)" rows first, then model rows
    start: int  # index in the model's rows of the first row of its own
    stop: int  # one past the last
    page_by: str = ""
    continued: int = 0  # how many leading rows are "(continued)" rows

    def model_index(self, k: int) -> int | None:
        """The model row printed k-th on this page; None for a "(continued)" row."""
        return None if k < self.continued else self.start + k - self.continued


@dataclass(frozen=True, slots=True)
class TableLayout:
    orientation: Orientation
    width: float  # content width, points
    height: float
    widths: tuple[float, ...]  # stub first, then one per column
    insets: tuple[float | None, ...]  # per column: left inset of decimal-aligned cells, or None
    cells: tuple[tuple[str, ...], ...]  # per model row, the cells as printed (aligned)
    titles: tuple[tuple[str, ...], ...]  # each title line wrapped to the width
    notes: tuple[tuple[str, ...], ...]
    title_h: float
    notes_h: float
    header_h: float
    pages: tuple[Page, ...] = field(default=())
    # How every text wraps in its cell, as the pages were filled: the lines the PDF writer
    # draws and the breaks the DOCX and HTML writers give their renderers (looked up, not
    # worked out again).
    wrapping: Wrapping | None = field(default=None, compare=False, repr=False)

    def printed(self, model: TableModel, page: Page) -> list[tuple[Row, tuple[str, ...]]]:
        """(row, cells as printed) for each row of a page."""
        out = [(r, r.cells) for r in page.rows[:page.continued]]
        out += [(model.rows[i], self.cells[i]) for i in range(page.start, page.stop)]
        return out


# ---- measuring ------------------------------------------------------------------------------

# A word may break after a hyphen or a slash that joins two words ("Treatment-emergent",
# "RECOVERED/RESOLVED", "Hypoaesthesia/paraesthesia"): three letters before it and three after,
# in a word without digits. So identifiers and numbers stay whole (subject ids
# "MIROCALS-SIM-101-0001", dates "2014-01-02", "COVID-19", "1/2"), and so do units and short
# pairs ("U/L", "mg/dL", "X-ray", "AND/OR"). Pango and LibreOffice (Unicode line breaking)
# would break at more of these, Word at others; the writers are given the model's lines. Never
# before "(": "term(s)" stays whole.
_JOINERS = frozenset("-/")
_MAY_BREAK = re.compile(r"[^\W\d_]{3}[-/][^\W\d_]{3}")  # a text where one might be (fast)


def _segments(word: str) -> list[str]:
    """`word` cut after each hyphen or slash it may break at; [word] when there is none."""
    if not _MAY_BREAK.search(word) or any(ch.isdigit() for ch in word):
        return [word]
    pieces, start = [], 0
    for i in range(3, len(word) - 3):
        if (word[i] in _JOINERS and word[i - 3:i].isalpha()
                and word[i + 1:i + 4].isalpha()):
            pieces.append(word[start:i + 1])
            start = i + 1
    pieces.append(word[start:])
    return pieces


def wrap(text: str, width: float, measure: Measure, size: float, bold: bool = False
         ) -> tuple[str, ...]:
    """Greedy line breaking, as Word and Pango break: at spaces, after a hyphen or slash that
    joins two words (_segments) and at explicit line breaks; only a piece wider than the line
    by itself is broken between characters."""
    if "\n" not in text and measure(text, bold) * size <= width:
        return (text,)
    lines: list[str] = []
    for para in text.split("\n"):
        current = ""
        for word in para.split(" "):
            for k, piece in enumerate(_segments(word)):
                # a word's first piece follows a space, the others their hyphen or slash
                trial = (piece if not current else current + piece if k
                         else f"{current} {piece}")
                if measure(trial, bold) * size <= width:
                    current = trial
                    continue
                if current:
                    lines.append(current)
                pieces = _break_word(piece, width, measure, size, bold)
                lines += pieces[:-1]
                current = pieces[-1]
        lines.append(current)
    return tuple(lines)


def _break_word(word: str, width: float, measure: Measure, size: float, bold: bool
                ) -> list[str]:
    pieces, current = [], ""
    for ch in word:
        if current and measure(current + ch, bold) * size > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    return [*pieces, current]


def _natural(text: str, measure: Measure, size: float) -> float:
    return max((measure(line) * size for line in text.split("\n")), default=0.0)


def _longest_word(text: str, measure: Measure, size: float) -> float:
    """The widest piece of `text` that `wrap` never breaks (a word, or the part of one up to
    and including a hyphen or slash it may break after): the narrowest a column can be
    without breaking inside a word."""
    words = text.replace("\n", " ").split(" ")
    if ("-" in text or "/" in text) and _MAY_BREAK.search(text):
        words = [piece for word in words for piece in _segments(word)]
    return max((measure(w) * size for w in words), default=0.0)


# ---- columns --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Column:
    """One value column as printed, worked out once per table: a long table repeats its texts
    (dates, terms, counts), and every rule below looks at the column's distinct texts."""

    cells: tuple[str, ...]  # per model row, decimal-aligned
    numeric: bool  # every filled cell a number: aligned, never wrapped, arm columns one width
    naturals: dict[str, float]  # each distinct cell text -> its widest line, points


def _columns(model: TableModel, measure: Measure, sizes: Sizes) -> list[_Column]:
    out = []
    for i in range(len(model.columns)):
        raw = [r.cells[i] if i < len(r.cells) else "" for r in model.rows]
        # align_decimals pads a cell by the widths of the column's distinct cells, whatever
        # their count: aligning the distinct texts gives every cell the same padding.
        distinct = list(dict.fromkeys(raw))
        aligned = dict(zip(distinct, align_decimals(distinct), strict=True))
        cells = tuple(map(aligned.__getitem__, raw))
        naturals = {t: _natural(t, measure, sizes.table_pt) for t in dict.fromkeys(cells)}
        out.append(_Column(cells, _is_numeric_column(list(naturals)), naturals))
    return out


def _value_widths(model: TableModel, columns: Sequence[_Column], measure: Measure,
                  sizes: Sizes) -> list[float]:
    """Per column: the widest cell unwrapped, or the header's longest word if wider."""
    size, pad = sizes.table_pt, 2 * sizes.pad_x
    out = []
    for col, column in zip(model.columns, columns, strict=True):
        widest = max(column.naturals.values(), default=0.0)
        head = _longest_word(col.header, measure, size)
        out.append(max(widest / sizes.fill, head / sizes.fill, 2 * size) + pad)
    numeric = [i for i, column in enumerate(columns) if column.numeric]
    if len(numeric) > 1:  # arm columns of one width, as a reader expects
        same = max(out[i] for i in numeric)
        out = [same if i in numeric else w for i, w in enumerate(out)]
    return out


def _is_numeric_column(cells: Sequence[str]) -> bool:
    filled = [c for c in cells if c.strip()]
    return bool(filled) and all(is_numeric(c) for c in filled)


def _labels(model: TableModel) -> dict[tuple[str, int], None]:
    """The distinct (label, indent) pairs of the rows, in order."""
    return dict.fromkeys((r.label, r.indent) for r in model.rows)


def _stub_natural(model: TableModel, measure: Measure, sizes: Sizes) -> float:
    labels = [measure(label) * sizes.table_pt + indent * sizes.indent
              for label, indent in _labels(model)]
    head = _natural(model.stub_header, measure, sizes.table_pt)
    return max([head, *labels, 0.0]) / sizes.fill + 2 * sizes.pad_x


def choose_orientation(model: TableModel, frame: Frame, measure: Measure, sizes: Sizes,
                       columns: Sequence[_Column] | None = None) -> Orientation:
    """The model's own orientation, or for "auto" portrait when the value columns leave the
    stub at least a quarter of a portrait page (`columns`: the table's, when already known)."""
    if model.orientation != "auto":
        return model.orientation
    if columns is None:
        columns = _columns(model, measure, sizes)
    values = sum(_value_widths(model, columns, measure, sizes))
    width = frame.portrait[0]
    stub = min(_stub_natural(model, measure, sizes), 0.25 * width)
    return "portrait" if values + stub <= width else "landscape"


def column_widths(stub: float, values: list[float], width: float,
                  minimums: Sequence[float] | None = None,
                  stub_minimum: float | None = None) -> list[float]:
    """Stub first. Space left over goes to the stub up to its natural width or 40 % of the
    page, whichever is more, then evenly to the value columns. When the columns do not fit,
    the stub keeps its natural width up to a quarter of the page (a listing's subject id needs
    no more), and every column gives up what it can above its minimum (`minimums`,
    `stub_minimum`: the longest word; text wraps between words, numbers and dates not at all),
    in proportion (_squeeze)."""
    if not values:
        return [width]
    floor = 0.25 * width
    rest = width - sum(values)
    if rest >= stub:
        stub = min(rest, max(stub, 0.4 * width))
        extra = (rest - stub) / len(values)
        return [stub, *(v + extra for v in values)]
    if rest >= min(stub, floor):
        return [rest, *values]
    stub = min(stub, floor)
    lowest = [min(stub, stub if stub_minimum is None else stub_minimum),
              *(values if minimums is None else minimums)]
    return _squeeze([stub, *values], lowest, width)


def _squeeze(naturals: Sequence[float], minimums: Sequence[float], room: float) -> list[float]:
    """Widths between each column's minimum and natural width that add up to `room`. When even
    the minimums do not fit, the columns that wrap (minimum below natural) are capped at one
    width, so only the longest words break, and the others (numbers, dates, codes) keep
    theirs; only when those alone fill the room does every column shrink."""
    low = sum(minimums)
    if low > room:
        pairs = list(zip(minimums, naturals, strict=True))
        rigid = sum(m for m, n in pairs if m >= n)
        if rigid >= room or low == rigid:
            return [m * room / low for m in minimums]
        cap = _water_level([m for m, n in pairs if m < n], room - rigid)
        return [m if m >= n else min(m, cap) for m, n in pairs]
    slack = [max(n - m, 0.0) for n, m in zip(naturals, minimums, strict=True)]
    give, total = room - low, sum(slack)
    if not total:
        return [m + give / len(minimums) for m in minimums]
    return [m + give * x / total for m, x in zip(minimums, slack, strict=True)]


def _water_level(widths: Sequence[float], total: float) -> float:
    """The cap c with sum(min(w, c)) == total (total below sum(widths))."""
    ordered = sorted(widths)
    below = 0.0
    for i, width in enumerate(ordered):
        level = (total - below) / (len(ordered) - i)
        if level <= width:
            return level
        below += width
    return ordered[-1]


def _stub_minimum(model: TableModel, measure: Measure, sizes: Sizes) -> float:
    """The stub's narrowest width that breaks no word of a label (or of its header)."""
    size = sizes.table_pt
    words = [_longest_word(label, measure, size) + indent * sizes.indent
             for label, indent in _labels(model)]
    head = _longest_word(model.stub_header, measure, size)
    return max([head, *words, 2 * size]) / sizes.fill + 2 * sizes.pad_x


def _value_minimums(model: TableModel, columns: Sequence[_Column], values: list[float],
                    measure: Measure, sizes: Sizes) -> list[float]:
    """Per column, the narrowest it may be without breaking a word: numeric columns keep their
    width (a wrapped number would lose its decimal alignment), text columns their longest
    word."""
    size, pad = sizes.table_pt, 2 * sizes.pad_x
    out = []
    for col, column, natural in zip(model.columns, columns, values, strict=True):
        if column.numeric:
            out.append(natural)
            continue
        word = max([_longest_word(c, measure, size) for c in column.naturals]
                   + [_longest_word(col.header, measure, size)])
        out.append(min(natural, max(word / sizes.fill, 2 * size) + pad))
    return out


def _insets(columns: Sequence[_Column], widths: Sequence[float], sizes: Sizes
            ) -> tuple[float | None, ...]:
    """Left inset (points, padding included) that centres a decimal-aligned column's block."""
    out: list[float | None] = []
    for column, width in zip(columns, widths, strict=True):
        if not column.numeric:
            out.append(None)
            continue
        block = max(w for c, w in column.naturals.items() if c.strip())
        out.append(max(sizes.pad_x, (width - block) / 2))
    return tuple(out)


# ---- heights ----------------------------------------------------------------------------------


def _lines_h(lines: int, sizes: Sizes) -> float:
    return lines * sizes.table_line


class Wrapping:
    """How each text of a table wraps in its cell, and so the height of every row: the lines
    the PDF writer draws and the heights the pages are filled with are the same numbers. The
    lines of each distinct (text, column) are worked out once: a listing repeats its texts."""

    def __init__(self, widths: Sequence[float], insets: Sequence[float | None],
                 measure: Measure, sizes: Sizes) -> None:
        self.widths, self.insets, self.measure, self.sizes = widths, insets, measure, sizes
        # indent -> label -> lines, column -> text -> lines
        self._labels: dict[int, dict[str, tuple[str, ...]]] = {}
        self._cells: dict[int, dict[str, tuple[str, ...]]] = {}

    def label_lines(self, row: Row) -> tuple[str, ...]:
        known = self._labels.setdefault(row.indent, {})
        found = known.get(row.label)
        if found is None:
            s = self.sizes
            stub = (self.widths[0] - 2 * s.pad_x - row.indent * s.indent) * s.fill
            found = wrap(row.label, stub, self.measure, s.table_pt) if row.label else ()
            known[row.label] = found
        return found

    def cell_lines(self, text: str, column: int) -> tuple[str, ...]:
        """Lines of a value cell (`column` counts from 0 after the stub). A decimal-aligned
        cell's inset already leaves its measuring margin to the right of the block."""
        known = self._cells.setdefault(column, {})
        found = known.get(text)
        if found is None:
            found = self._cell_lines(text, column)
            known[text] = found
        return found

    def _cell_lines(self, text: str, column: int) -> tuple[str, ...]:
        if not text:
            return ()
        s, inset, width = self.sizes, self.insets[column], self.widths[column + 1]
        usable = (width - 2 * s.pad_x) * s.fill if inset is None else width - inset - s.pad_x
        return wrap(text, usable, self.measure, s.table_pt)

    # The texts as a writer whose renderer wraps for itself gets them (Word, Pango): with the
    # model's line breaks written in ("\n"), so it breaks where the model and the PDF writer
    # do, not where its own rules and its few points more of room would.

    def label_text(self, row: Row) -> str:
        return "\n".join(self.label_lines(row))

    def cell_text(self, text: str, column: int) -> str:
        if column + 1 >= len(self.widths):  # past the columns: not drawn
            return text
        return "\n".join(self.cell_lines(text, column))

    def header_text(self, text: str, start: int, span: int = 1) -> str:
        return "\n".join(self.header_lines(text, start, span))

    def row_lines(self, row: Row, cells: Sequence[str]) -> list[tuple[str, ...]]:
        """The label's lines, then each value cell's (cells past the columns are not drawn)."""
        n = min(len(cells), len(self.widths) - 1)
        return [self.label_lines(row), *(self.cell_lines(cells[i], i) for i in range(n))]

    def lines(self, row: Row, cells: Sequence[str]) -> int:
        return max([1, *map(len, self.row_lines(row, cells))])

    def row(self, row: Row, cells: Sequence[str]) -> float:
        return _lines_h(self.lines(row, cells), self.sizes) + 2 * self.sizes.pad_y

    def rows(self, rows: Sequence[Row], columns: Sequence[Sequence[str]]) -> list[float]:
        """`row` of each row, its cells given a column at a time (`columns[i][k]` is cell i
        of row k, every column as long as `rows`): the line count of each distinct text of a
        column is looked up once."""
        lines = [len(self.label_lines(r)) or 1 for r in rows]
        for i, cells in enumerate(columns[:len(self.widths) - 1]):
            count = {t: len(self.cell_lines(t, i)) for t in dict.fromkeys(cells)}
            lines = [n if n >= (c := count[t]) else c for n, t in zip(lines, cells, strict=True)]
        s = self.sizes
        return [_lines_h(n, s) + 2 * s.pad_y for n in lines]

    def header_lines(self, text: str, start: int, span: int = 1) -> tuple[str, ...]:
        """Lines of a header cell over widths[start:start + span] (0 is the stub)."""
        s = self.sizes
        width = (sum(self.widths[start:start + span]) - 2 * s.pad_x) * s.fill
        return wrap(text, width, self.measure, s.table_pt)

    def spanner_rows(self, model: TableModel) -> list[list[tuple[int, int, tuple[str, ...]]]]:
        """Per spanner row, (first width index, span, lines) of each cell after the stub."""
        out = []
        for cells in header_rows(model):
            row, at = [], 1
            for text, span in cells:
                row.append((at, span, self.header_lines(text, at, span)))
                at += span
            out.append(row)
        return out

    def column_lines(self, model: TableModel) -> list[tuple[str, ...]]:
        texts = [model.stub_header, *(c.header for c in model.columns)]
        return [self.header_lines(t, i) for i, t in enumerate(texts[:len(self.widths)])]

    def header(self, model: TableModel) -> float:
        """Spanner rows (each ruled below its spanners) and the column label row, ruled above
        and below."""
        s, total = self.sizes, 2 * self.sizes.rule
        for cells in self.spanner_rows(model):
            lines = max([1, *(len(c[2]) for c in cells)])
            total += _lines_h(lines, s) + 2 * s.head_pad_y + s.rule
        lines = max(len(c) for c in self.column_lines(model))
        return total + _lines_h(lines, s) + 2 * s.head_pad_y


# ---- pages ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    index: int
    children: list[_Node]


def group_tree(rows: Sequence[Row], offset: int = 0) -> list[_Node]:
    """Rows as a forest: a row's children are the more-indented rows right below it."""
    roots: list[_Node] = []
    stack: list[tuple[int, _Node]] = []
    for i, row in enumerate(rows):
        node = _Node(offset + i, [])
        while stack and stack[-1][0] >= row.indent:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(node)
        stack.append((row.indent, node))
    return roots


def continued_row(row: Row, width: int) -> Row:
    """The label of a group a page continues, with no values: "Age (years) (continued)"."""
    return Row(f"{row.label} {CONTINUED}", ("",) * width, row.indent)


class _Packer:
    """Fills pages in order; knows each row's height and what a page holds."""

    def __init__(self, model: TableModel, heights: list[float], capacity: Callable[[str], float],
                 height_of: Callable[[Row], float], first: float = 0.0) -> None:
        self.model, self.h, self.capacity, self.height_of = model, heights, capacity, height_of
        self.first = first
        self.pages: list[Page] = []
        self.page_by = ""
        self.lead: list[Row] = []
        self.own: list[int] = []
        self.used = 0.0
        self.started = False

    def new_page(self, ancestors: Sequence[_Node], page_by: str | None = None) -> None:
        self.flush()
        self.page_by = self.page_by if page_by is None else page_by
        width = len(self.model.columns)
        self.lead = [continued_row(self.model.rows[a.index], width) for a in ancestors]
        self.used = sum(self.height_of(r) for r in self.lead)
        self.started = True

    def flush(self) -> None:
        if self.started:
            start = self.own[0] if self.own else (self.pages[-1].stop if self.pages else 0)
            self.pages.append(Page((*self.lead, *(self.model.rows[i] for i in self.own)),
                                   start, start + len(self.own), self.page_by, len(self.lead)))
        self.lead, self.own, self.used, self.started = [], [], 0.0, False

    def room(self) -> float:
        return self.capacity(self.page_by) - (self.first if not self.pages else 0.0)

    def fits(self, height: float) -> bool:
        return self.used + height <= self.room()

    def add(self, node: _Node, whole: bool) -> None:
        self.own.append(node.index)
        self.used += self.h[node.index]
        if whole:
            for child in node.children:
                self.add(child, True)

    def total(self, node: _Node) -> float:
        return self.h[node.index] + sum(self.total(c) for c in node.children)

    def minimal(self, node: _Node) -> float:
        """A label row and what must come with it: its first child (recursively)."""
        return self.h[node.index] + (self.minimal(node.children[0]) if node.children else 0.0)

    def place(self, nodes: Sequence[_Node], ancestors: list[_Node]) -> None:
        for node in nodes:
            total = self.total(node)
            if self.fits(total):
                self.add(node, True)
                continue
            fresh = sum(self.height_of(self.model.rows[a.index]) for a in ancestors)
            if self.own and total + fresh <= self.capacity(self.page_by):  # a later page
                self.new_page(ancestors)  # keep the group together on the next page
                self.add(node, True)
                continue
            if self.own and not self.fits(self.minimal(node)):
                self.new_page(ancestors)
            self.add(node, False)
            self.place(node.children, [*ancestors, node])


def _page_by_runs(rows: Sequence[Row]) -> list[tuple[str, int, int]]:
    """(value, start, stop) of each run of rows with the same page_by value."""
    runs: list[tuple[str, int, int]] = []
    for i, row in enumerate(rows):
        if runs and runs[-1][0] == row.page_by:
            runs[-1] = (row.page_by, runs[-1][1], i + 1)
        else:
            runs.append((row.page_by, i, i + 1))
    return runs


def paginate(model: TableModel, frame: Frame, measure: Measure, sizes: Sizes | None = None
             ) -> TableLayout:
    """Decide orientation, column widths, the printed (aligned) cells and the pages."""
    sizes = sizes or Sizes()
    columns = _columns(model, measure, sizes)
    orientation = choose_orientation(model, frame, measure, sizes, columns)
    width, height = getattr(frame, orientation)
    values = _value_widths(model, columns, measure, sizes)
    widths = column_widths(_stub_natural(model, measure, sizes), values, width,
                           _value_minimums(model, columns, values, measure, sizes),
                           _stub_minimum(model, measure, sizes))
    insets = _insets(columns, widths[1:], sizes)
    cells = (tuple(zip(*(c.cells for c in columns), strict=True)) if columns
             else ((),) * len(model.rows))
    heights = Wrapping(widths, insets, measure, sizes)
    titles = tuple(wrap(t, width * sizes.fill, measure, sizes.title_pt, bold=True)
                   for t in frame.titles)
    notes = tuple(wrap(n, width * sizes.fill, measure, sizes.table_pt) for n in frame.notes)
    n_titles, n_notes = sum(map(len, titles)), sum(map(len, notes))
    title_h = n_titles * sizes.title_line + (sizes.title_gap if n_titles else 0.0)
    notes_h = sizes.rule + (sizes.notes_gap + _lines_h(n_notes, sizes) if n_notes else 0.0)
    layout = TableLayout(orientation, width, height, tuple(widths), insets, cells, titles,
                         notes, title_h, notes_h, heights.header(model), wrapping=heights)
    row_h = heights.rows(model.rows, [c.cells for c in columns])
    return replace(layout, pages=_pages(model, layout, heights, row_h, sizes, frame))


def page_by_height(text: str, width: float, measure: Measure, sizes: Sizes) -> float:
    if not text:
        return 0.0
    lines = wrap(text, width * sizes.fill, measure, sizes.table_pt)
    return _lines_h(len(lines), sizes) + sizes.page_by_gap


def _pages(model: TableModel, layout: TableLayout, heights: Wrapping, row_h: list[float],
           sizes: Sizes, frame: Frame) -> tuple[Page, ...]:
    fixed = layout.height - layout.title_h - layout.notes_h - layout.header_h - frame.reserve
    fixed -= sizes.slack
    capacities: dict[str, float] = {}  # asked for at every row: the page_by text wrapped once

    def capacity(page_by: str) -> float:
        found = capacities.get(page_by)
        if found is None:
            found = fixed - page_by_height(page_by, layout.width, heights.measure, sizes)
            capacities[page_by] = found
        return found

    packer = _Packer(model, row_h, capacity, lambda r: heights.row(r, r.cells),
                     frame.first_reserve)
    for value, start, stop in _page_by_runs(model.rows) or [("", 0, 0)]:
        packer.new_page([], value)
        packer.place(group_tree(model.rows[start:stop], start), [])
    packer.flush()
    return tuple(packer.pages)
