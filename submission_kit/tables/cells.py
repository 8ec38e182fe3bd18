"""Table cells from results, for layouts — or the shape of each number in a mock shell.

A layout asks for a cell by results key ("AGE.PBO.mean"); `Shown` looks the statistic up and
formats it through `fmt` (the one rounding rule), recording the key as the cell's provenance.
Without results (`submission-kit build --mock`) the same calls print placeholders ("xx.x",
"xx (xx.x)"), so a spec's layout is a shell before any data exist, as in rtables and tfrmt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from submission_kit import fmt
from submission_kit.analysis.ard import AnalysisResults, Value
from submission_kit.errors import UserError
from submission_kit.fmt import Rounding


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    key: str = ""  # "t_14_1_3:AGE.PBO.mean", or "" where no statistic is shown


BLANK = Cell("")


def placeholder(digits: int) -> str:
    """'xx', 'xx.x', 'xx.xx': the shape of a number in a mock shell."""
    return "xx" + ("." + "x" * digits if digits > 0 else "")


@dataclass(frozen=True, slots=True)
class Shown:
    """The results one layout reads. `results` is None in a mock shell."""

    analysis: str  # "t_14_1_3"
    results: AnalysisResults | None
    rounding: Rounding = "sas"
    everything: Mapping[str, AnalysisResults] = field(default_factory=dict)

    @property
    def mock(self) -> bool:
        return self.results is None

    def other(self, analysis: str, reader: str) -> Shown:
        """Another analysis's results (a figure reading its table's numbers, by key)."""
        if self.mock:
            return Shown(analysis, None, self.rounding)
        if analysis not in self.everything:
            raise UserError(f"{reader} reads the results of {analysis}, which this study does "
                            f"not build (built: {', '.join(sorted(self.everything)) or 'none'})")
        return Shown(analysis, self.everything[analysis], self.rounding, self.everything)

    # ---- raw access (real results only) --------------------------------------------------

    def value(self, key: str) -> Value:
        assert self.results is not None, "a mock shell has no values"
        return self.results.get(key).value

    def has(self, key: str) -> bool:
        return self.results is not None and self.results.has(key)

    def digits(self, key: str, default: int = 0) -> int:
        if self.results is None or not self.results.has(key):
            return default
        found = self.results.get(key).digits
        return default if found is None else found

    def levels(self, dimension: str, configured: Sequence[str] = ()) -> tuple[str, ...]:
        """Levels the analysis found (configured order first); a mock shows the configured
        ones, or one placeholder level."""
        if self.results is not None:
            return tuple(self.results.levels.get(dimension, configured))
        return tuple(configured) or ("<level>",)

    def has_levels(self, dimension: str) -> bool | None:
        """Whether the analysis counted levels of this variable (None: a mock shell)."""
        return None if self.results is None else dimension in self.results.levels

    def notes(self) -> tuple[str, ...]:
        return () if self.results is None else self.results.notes

    def series(self, name: str) -> tuple[float, ...]:
        assert self.results is not None, "a mock shell has no series"
        return tuple(self.results.series[name])

    def big_n(self, column: str) -> int | str:
        return "xx" if self.results is None else int(self.value(f"N.{column}"))  # type: ignore[arg-type]

    # ---- formatted cells ---------------------------------------------------------------

    def _ref(self, key: str) -> str:
        return f"{self.analysis}:{key}"

    def count(self, key: str, grouped: bool = False) -> Cell:
        if self.mock:
            return Cell("xx,xxx" if grouped else "xx", self._ref(key))
        return Cell(fmt.fmt_int(self.value(key), grouped), self._ref(key))  # type: ignore[arg-type]

    def n_pct(self, key: str, denominator: int | str, digits: int = 1) -> Cell:
        """'12 (5.1)' of the column N; '0' alone for zero; `digits` decimals of the %."""
        if self.mock or isinstance(denominator, str):
            return Cell(f"xx ({placeholder(digits)})", self._ref(key))
        n = int(self.value(key))  # type: ignore[arg-type]
        return Cell(fmt.fmt_n_pct(n, denominator, digits, self.rounding), self._ref(key))

    def num(self, key: str, digits: int, scale: float = 1.0) -> Cell:
        if self.mock:
            return Cell(placeholder(digits), self._ref(key))
        return Cell(fmt.fmt_num(_scaled(self.value(key), scale), digits, self.rounding),
                    self._ref(key))

    def mean_sd(self, mean: str, sd: str, digits: int) -> Cell:
        if self.mock:
            return Cell(f"{placeholder(digits)} ({placeholder(digits + 1)})", self._ref(mean))
        return Cell(fmt.fmt_mean_sd(_float(self.value(mean)), _float(self.value(sd)), digits,
                                    self.rounding), self._ref(mean))

    def pair(self, low: str, high: str, digits: int) -> Cell:
        """'25.0, 38.5' (quartiles, range)."""
        if self.mock:
            return Cell(f"{placeholder(digits)}, {placeholder(digits)}", self._ref(low))
        return Cell(fmt.fmt_range(_float(self.value(low)), _float(self.value(high)), digits,
                                  self.rounding), self._ref(low))

    def est_ci(self, est: str, lcl: str, ucl: str, digits: int, scale: float = 1.0) -> Cell:
        """'0.81 (0.53, 1.23)'."""
        if self.mock:
            p = placeholder(digits).replace("xx", "x", 1)
            return Cell(f"{p} ({p}, {p})", self._ref(est))
        low, high = (_scaled(self.value(k), scale) for k in (lcl, ucl))
        return Cell(fmt.fmt_estimate_ci(_scaled(self.value(est), scale), low, high, digits,
                                        self.rounding), self._ref(est))

    def pvalue(self, key: str, digits: int = 3) -> Cell:
        if self.mock:
            return Cell("x." + "x" * digits, self._ref(key))
        return Cell(fmt.fmt_pvalue(_float(self.value(key)), digits, self.rounding),
                    self._ref(key))


def _float(value: Value) -> float | None:
    return None if value is None or isinstance(value, str) else float(value)


def _scaled(value: Value, scale: float) -> float | None:
    number = _float(value)
    return None if number is None else number * scale
