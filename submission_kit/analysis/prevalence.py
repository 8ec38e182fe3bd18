"""Prevalence of a condition in a reference population, from published sources, against an
orphan-designation threshold — as results records (ARD), so that every number of a prevalence
section is traced like a hazard ratio.

The figures are configured (each source with its citation; the reference population with its
own); only the arithmetic happens here:

- A source gives a rate (cases per `per` persons) or a case count. A rate is applied to the
  reference population. A count is the persons counted; when it was counted in another
  population (`base`, e.g. the census of the registry's year) it is scaled to the reference
  population, so every source is projected to the same, current population (21 CFR 316.21(b):
  the estimate is current at the time of the request).
- The estimate is the highest of the sources' (the conservative reading: a threshold is met
  only if even the highest published figure is below it).
- The threshold is a number of persons (US: fewer than 200,000, 21 CFR 316.21(b)) or a rate
  (EU: not more than 5 in 10,000, Regulation (EC) No 141/2000 Article 3(1)(a)); each is also
  expressed in the other unit, so a table shows both side by side.

Prevalence, not incidence: a source whose `measure` is anything but "prevalence" is refused,
as both agencies assess prevalence. Bad figures (a negative rate, no reference population) are
errors naming the study.toml key (`read_prevalence`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from submission_kit.analysis.ard import Stat, stat
from submission_kit.errors import UserError

Error = Callable[[str, str], UserError]  # (study.toml key, problem) -> the error to raise
SOURCE_KEYS = ("label", "citation", "rate", "per", "cases", "base", "measure", "year")
POPULATION_KEYS = ("label", "persons", "citation")
THRESHOLD_KEYS = ("persons", "rate", "per", "inclusive", "label")
METHODS = ("Estimated persons = rate per person x reference population; a case count counted "
           "in another population is scaled to the reference population",
           "Estimate: the highest of the sources' estimates (conservative)",
           "Threshold expressed both as persons and as a rate in the reference population")


@dataclass(frozen=True, slots=True)
class Source:
    """One published figure: a rate per `per` persons, or a count of `cases` (counted in a
    population of `base` persons; None: in the reference population itself)."""

    label: str
    citation: str
    rate: float | None = None
    per: float = 100_000.0
    cases: float | None = None
    base: float | None = None

    def per_person(self, population: float) -> float:
        """Cases per person; a count without `base` was counted in `population` itself."""
        if self.rate is not None:
            return self.rate / self.per
        assert self.cases is not None
        return self.cases / (population if self.base is None else self.base)


@dataclass(frozen=True, slots=True)
class ReferencePopulation:
    label: str  # "United States resident population, 1 July 2021"
    persons: float
    citation: str


@dataclass(frozen=True, slots=True)
class Threshold:
    """`persons` (US) or `rate` per `per` (EU); `inclusive`: "not more than" (EU) rather
    than "fewer than" (US)."""

    persons: float | None = None
    rate: float | None = None
    per: float = 10_000.0
    inclusive: bool = False
    label: str = ""


@dataclass(frozen=True, slots=True)
class Prevalence:
    """Full precision: each source's rate (per `per` persons) and persons, the estimate."""

    per: float
    population: float
    rates: tuple[float, ...]
    persons: tuple[float, ...]
    highest: int  # index of the source giving the estimate (the first of equal ones)
    threshold_persons: float
    threshold_rate: float

    @property
    def estimate_persons(self) -> float:
        return self.persons[self.highest]

    @property
    def estimate_rate(self) -> float:
        return self.rates[self.highest]

    def below(self, threshold: Threshold) -> bool:
        if threshold.inclusive:
            return self.estimate_persons <= self.threshold_persons
        return self.estimate_persons < self.threshold_persons


def estimate(sources: Sequence[Source], population: ReferencePopulation, threshold: Threshold,
             per: float) -> Prevalence:
    """Each source projected onto the reference population, and the threshold in both units."""
    if not sources:
        raise ValueError("no prevalence source")  # read_prevalence refuses this first
    size = population.persons
    rates, persons = [], []
    for source in sources:
        per_person = source.per_person(size)
        rates.append(per_person * per)
        persons.append(per_person * size)
    highest = max(range(len(persons)), key=lambda i: (persons[i], -i))
    if threshold.persons is not None:
        t_persons = threshold.persons
    else:
        assert threshold.rate is not None
        t_persons = threshold.rate / threshold.per * size
    return Prevalence(per, size, tuple(rates), tuple(persons), highest, t_persons,
                      t_persons / size * per)


def prevalence_records(analysis: str, sources: Sequence[Source],
                       population: ReferencePopulation, threshold: Threshold, per: float
                       ) -> list[Stat]:
    """ARD records: `population.persons`; per source (numbered from 1) `source.<i>.rate`
    (per `per` persons), `.persons`, `.pct_of_threshold` and, for a count, `.cases` (and
    `.base`); `estimate.rate`, `.persons`, `.source` (the number of the source it comes
    from), `.pct_of_threshold`, `.below_threshold` (1 or 0); `threshold.persons` and
    `threshold.rate`."""
    result = estimate(sources, population, threshold, per)
    unit = f"per {per:,.0f} persons"
    out = [stat(analysis, "population.persons", population.persons, "n", population.label)]
    for i, source in enumerate(sources, start=1):
        group = {"source": str(i)}
        out.append(stat(analysis, f"source.{i}.rate", result.rates[i - 1], "rate",
                        f"{source.label}: prevalence {unit}", group))
        out.append(stat(analysis, f"source.{i}.persons", result.persons[i - 1], "n",
                        f"{source.label}: estimated persons", group))
        out.append(stat(analysis, f"source.{i}.pct_of_threshold",
                        100.0 * result.persons[i - 1] / result.threshold_persons, "pct",
                        f"{source.label}: percentage of the threshold", group))
        if source.cases is not None:
            out.append(stat(analysis, f"source.{i}.cases", source.cases, "n",
                            f"{source.label}: persons counted", group))
        if source.base is not None:
            out.append(stat(analysis, f"source.{i}.base", source.base, "n",
                            f"{source.label}: population counted in", group))
    out += [
        stat(analysis, "estimate.rate", result.estimate_rate, "rate",
             f"Estimated prevalence {unit} (highest source)"),
        stat(analysis, "estimate.persons", result.estimate_persons, "n",
             "Estimated persons (highest source)"),
        stat(analysis, "estimate.source", result.highest + 1, "index",
             "Number of the source giving the estimate"),
        stat(analysis, "estimate.pct_of_threshold",
             100.0 * result.estimate_persons / result.threshold_persons, "pct",
             "Estimate as a percentage of the threshold"),
        stat(analysis, "estimate.below_threshold", int(result.below(threshold)), "flag",
             "1: the estimate meets the threshold" + (" (at most)" if threshold.inclusive
                                                       else " (fewer than)")),
        stat(analysis, "threshold.persons", result.threshold_persons, "n",
             "Threshold, persons in the reference population"),
        stat(analysis, "threshold.rate", result.threshold_rate, "rate", f"Threshold {unit}"),
    ]
    return out


# --- configuration -> inputs, with errors naming the study.toml key ----------------------------

def read_prevalence(params: Mapping[str, Any], error: Error
                    ) -> tuple[tuple[Source, ...], ReferencePopulation, Threshold, float]:
    """The sources, reference population, threshold and rate unit of a prevalence output's
    parameters (`sources`, `reference_population`, `threshold`, `per`), checked."""
    per = _positive(params.get("per", 100_000), "per", error)
    population = _population(params.get("reference_population"), error)
    items = params.get("sources") or ()
    if not items:
        raise error("sources", "missing: give at least one published prevalence figure "
                               "({ label, citation, rate } or { label, citation, cases })")
    sources = tuple(_source(item, f"sources[{i}]", per, error) for i, item in enumerate(items))
    return sources, population, _threshold(params.get("threshold"), error), per


def _population(value: Any, error: Error) -> ReferencePopulation:
    where = "reference_population"
    if value is None:
        raise error(where, "missing: give { label, persons, citation } (the population the "
                           "prevalence is estimated in, e.g. the current census estimate)")
    table = _table(value, where, POPULATION_KEYS, error)
    return ReferencePopulation(_text(table, "label", where, error),
                               _positive(table.get("persons"), f"{where}.persons", error),
                               _text(table, "citation", where, error))


def _source(value: Any, where: str, per: float, error: Error) -> Source:
    table = _table(value, where, SOURCE_KEYS, error)
    measure = table.get("measure", "prevalence")
    if measure != "prevalence":
        raise error(f"{where}.measure", f"{measure!r}: only prevalence (persons living with "
                                        "the condition) is assessed for orphan designation, "
                                        "not incidence")
    if ("rate" in table) == ("cases" in table):
        raise error(where, "give either rate (per `per` persons) or cases, not both")
    if "base" in table and "cases" not in table:
        raise error(f"{where}.base", "base is the population a case count was counted in; "
                                     "it goes with cases, not with rate")
    return Source(
        label=_text(table, "label", where, error),
        citation=_text(table, "citation", where, error),
        rate=_non_negative(table["rate"], f"{where}.rate", error) if "rate" in table else None,
        per=_positive(table.get("per", per), f"{where}.per", error),
        cases=_non_negative(table["cases"], f"{where}.cases", error) if "cases" in table else None,
        base=_positive(table["base"], f"{where}.base", error) if "base" in table else None,
    )


def _threshold(value: Any, error: Error) -> Threshold:
    where = "threshold"
    if value is None:
        raise error(where, "missing: give { persons = 200000 } (US) or { rate = 5, per = "
                           "10000, inclusive = true } (EU)")
    table = _table(value, where, THRESHOLD_KEYS, error)
    if ("persons" in table) == ("rate" in table):
        raise error(where, "give either persons or rate (with per), not both")
    inclusive = table.get("inclusive", False)
    if not isinstance(inclusive, bool):
        raise error(f"{where}.inclusive", f"expected true or false, got {inclusive!r}")
    return Threshold(
        persons=(_positive(table["persons"], f"{where}.persons", error) if "persons" in table
                 else None),
        rate=_positive(table["rate"], f"{where}.rate", error) if "rate" in table else None,
        per=_positive(table.get("per", 10_000), f"{where}.per", error),
        inclusive=inclusive,
        label=str(table.get("label", "")),
    )


def _table(value: Any, where: str, keys: tuple[str, ...], error: Error) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise error(where, f"expected a table {{ {', '.join(keys[:3])}, ... }}, got {value!r}")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise error(f"{where}.{unknown[0]}", f"unknown key; use {', '.join(keys)}")
    return value


def _text(table: Mapping[str, Any], key: str, where: str, error: Error) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise error(f"{where}.{key}", "missing: every figure needs its " + key)
    return value


def _number(value: Any, key: str, error: Error) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value):
        raise error(key, f"expected a number, got {value!r}")
    return float(value)


def _non_negative(value: Any, key: str, error: Error) -> float:
    number = _number(value, key, error)
    if number < 0:
        raise error(key, f"{value!r} is negative: a prevalence figure is 0 or more")
    return number


def _positive(value: Any, key: str, error: Error) -> float:
    number = _number(value, key, error)
    if number <= 0:
        raise error(key, f"{value!r}: expected a number above 0")
    return number
