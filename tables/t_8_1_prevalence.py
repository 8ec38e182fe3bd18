"""Table 8.1 — Estimated prevalence of the condition against the orphan-designation threshold:
each published source projected onto the current reference population, the estimate (the
highest source) and the threshold, in persons and as a rate. No dataset: the inputs are
configured figures, each with its citation; the arithmetic is `analysis.prevalence`, so every
number is a traced result like any other (results/t_8_1.json).

Numbered after 21 CFR 316.20(b)(8), the prevalence item of a US orphan-drug designation
request; the EU application's prevalence table (section B) is the same program under its own
number (`spec = "t_8_1_prevalence"`, e.g. [tables."8.2"]) with the EU figures.

study.toml (the figures below are the demo's, for illustration):
    [tables."8.1"]
    title = "Estimated Prevalence of Amyotrophic Lateral Sclerosis in the United States"
    per = 100000                       # rates are shown per this many persons
    digits = 1                         # decimals of the rates
    [tables."8.1".reference_population]
    label = "United States resident population, 1 July 2021"
    persons = 331893745
    citation = "US Census Bureau, Vintage 2021 population estimates"
    [tables."8.1".threshold]           # EU: rate = 5, per = 10000, inclusive = true
    persons = 200000
    label = "Threshold: fewer than 200,000 persons (21 CFR 316.21(b))"
    [[tables."8.1".sources]]           # a rate per `per` persons (or per its own `per`)
    label = "National ALS Registry 2018, capture-recapture adjusted"
    rate = 9.1
    citation = "Mehta P, et al. Prevalence of ALS in the United States, 2018."
    [[tables."8.1".sources]]           # a count of persons, made in a population of `base`
    label = "National ALS Registry 2018, cases identified"
    cases = 21655
    base = 327167434                   # without base: counted in the reference population
    citation = "Mehta P, et al. Prevalence of ALS in the United States, 2018."
Each source may say `measure = "prevalence"` (the default); any other measure (incidence)
is refused: both agencies assess the prevalence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.prevalence import (
    METHODS,
    SOURCE_KEYS,
    ReferencePopulation,
    Source,
    Threshold,
    prevalence_records,
    read_prevalence,
)
from submission_kit.data.contracts import DatasetNeed
from submission_kit.tables.cells import BLANK, Cell, Shown
from submission_kit.tables.model import Column, Row, TableModel
from submission_kit.tables.spec import Frames, OutputContext, OutputSpec, Param

TITLE = "Estimated Prevalence of the Condition"
MILLION = 1e-6
COLUMNS = (("cases", "Persons counted"), ("rate", "Prevalence per {per}"),
           ("population", "Population (millions)"), ("persons", "Estimated persons"),
           ("share", "% of threshold"))


def _inputs(ctx: OutputContext
            ) -> tuple[tuple[Source, ...], ReferencePopulation, Threshold, float]:
    params: dict[str, Any] = {k: ctx.config.params[k] for k in
                              ("sources", "reference_population", "threshold", "per")
                              if k in ctx.config.params}
    return read_prevalence(params, ctx.error)


def _needs(ctx: OutputContext) -> list[DatasetNeed]:
    _inputs(ctx)  # the figures are checked before any data are read
    return []


def _analyse(frames: Frames, ctx: OutputContext) -> AnalysisResults:
    sources, population, threshold, per = _inputs(ctx)
    return AnalysisResults(
        id=ctx.analysis_id, output_id=ctx.id, title=ctx.param("title") or TITLE,
        population=population.label, datasets=(),
        stats=tuple(prevalence_records(ctx.analysis_id, sources, population, threshold, per)),
        methods=METHODS,
    )


def _columns(sources: tuple[Source, ...]) -> tuple[tuple[str, str], ...]:
    """The 'Persons counted' column only when a source is a count."""
    counts = any(s.cases is not None for s in sources)
    return tuple(c for c in COLUMNS if counts or c[0] != "cases")


def _row(label: str, cells: dict[str, Cell], columns: tuple[tuple[str, str], ...]) -> Row:
    ordered = [cells.get(key, BLANK) for key, _ in columns]
    return Row(label, tuple(c.text for c in ordered), 0, tuple(c.key for c in ordered))


def _persons(shown: Shown, key: str) -> Cell:
    """A number of persons, grouped by thousands ("30,329") as the document's prose prints it
    (_orphan_macros.md.j2 `persons`)."""
    return shown.count(key, grouped=True)


def _source_row(shown: Shown, i: int, source: Source, digits: int,
                columns: tuple[tuple[str, str], ...]) -> Row:
    cells = {"rate": shown.num(f"source.{i}.rate", digits),
             "population": shown.num("population.persons", 1, MILLION),
             "persons": _persons(shown, f"source.{i}.persons"),
             "share": shown.num(f"source.{i}.pct_of_threshold", 1)}
    if source.cases is not None:
        cells["cases"] = _persons(shown, f"source.{i}.cases")
    return _row(f"{source.label} [{i}]", cells, columns)


def _citation(shown: Shown, i: int, source: Source) -> str:
    """'[2] <citation>', and for a count made in another population, which one (the rows
    show the count and its projection, not the population it was counted in)."""
    note = f"[{i}] {source.citation}"
    if source.cases is not None and source.base is not None:
        base = shown.num(f"source.{i}.base", 1, MILLION).text
        note += f" Counted in a population of {base} million; scaled to the reference population."
    return note


def _layout(shown: Shown, ctx: OutputContext) -> TableModel:
    sources, population, threshold, per = _inputs(ctx)
    digits = ctx.param("digits")
    columns = _columns(sources)
    rows = [_source_row(shown, i, s, digits, columns) for i, s in enumerate(sources, start=1)]
    rows.append(_row("Estimate: the highest source", {
        "rate": shown.num("estimate.rate", digits),
        "population": shown.num("population.persons", 1, MILLION),
        "persons": _persons(shown, "estimate.persons"),
        "share": shown.num("estimate.pct_of_threshold", 1)}, columns))
    rows.append(_row(f"Threshold: {threshold.label}" if threshold.label else "Threshold", {
        "rate": shown.num("threshold.rate", digits),
        "population": shown.num("population.persons", 1, MILLION),
        "persons": _persons(shown, "threshold.persons")}, columns))
    verdict = ("x" if shown.mock else
               "yes" if shown.value("estimate.below_threshold") else "no")
    unit = f"{per:,.0f}"
    return TableModel(
        id=ctx.id,
        title=(f"Table {ctx.id}", ctx.param("title") or TITLE, population.label),
        columns=tuple(Column(key, label.format(per=unit)) for key, label in columns),
        rows=tuple(rows),
        footnotes=(
            "Estimated persons = prevalence per person \u00d7 the reference population; a count of "
            "persons made in another population is scaled to the reference population. "
            "Prevalence (persons living with the condition), not incidence.",
            f"The estimate is the highest of the sources (conservative). Within the threshold: "
            f"{verdict}.",
            *(_citation(shown, i, s) for i, s in enumerate(sources, start=1)),
            f"Reference population: {population.label} ({population.citation}).",
            *shown.notes(),
            *ctx.param("footnotes"),
        ),
        source=f"Published figures configured in study.toml [tables.\"{ctx.id}\"] (no "
               f"dataset); program {SPEC.name}.py",
        stub_header="Source",
        population=population.label,
    )


SPEC: OutputSpec[TableModel] = OutputSpec(
    name="t_8_1_prevalence",
    title=TITLE,
    params={
        "sources": Param((list, tuple), (), items=SOURCE_KEYS),
        "reference_population": Param(Mapping, None),
        "threshold": Param(Mapping, None),
        "per": Param((int, float), 100_000),
        "digits": Param(int, 1),
    },
    needs=_needs,
    analyse=_analyse,
    layout=_layout,
)
