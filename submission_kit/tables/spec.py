"""Table and figure specs: one small file per output, results first.

A spec declares its parameters (strictly checked: an unknown key in study.toml is an error
with a suggestion), the data it needs (checked before anything runs), `analyse` (data ->
results, through the pure functions of `analysis/`) and `layout` (results -> table or figure
model). `layout` never computes a statistic: it reads results by key, so it also prints a mock
shell before any data exist, and a figure can read its table's very numbers (`reads`).
Specs live in the top-level `tables/` and `figures/` folders (bundled with the package) and in
a study's own spec folders; the study config says which outputs to build, with which
parameters.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import pandas as pd

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.analysis.descriptive import Group
from submission_kit.data.contracts import DatasetNeed
from submission_kit.errors import UserError
from submission_kit.fmt import Rounding
from submission_kit.locations import find_spec_file
from submission_kit.study import Arm, OutputConfig, Population, Study, reject_unknown
from submission_kit.tables.cells import Shown

Frames = Mapping[str, pd.DataFrame]
ModelT = TypeVar("ModelT")
REQUIRED: Any = ...


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter an output accepts in study.toml."""

    kind: type | tuple[type, ...]
    default: Any = REQUIRED
    # For a list of tables (`variables = [{ var = ... }]`): the keys each item may have.
    items: tuple[str, ...] = ()


# Every output accepts these; `spec` is read by study.py to pick the program.
COMMON_PARAMS: Mapping[str, Param] = {
    "population": Param(str, "ITT"),
    "title": Param(str, ""),
    "footnotes": Param((list, tuple), ()),
    "treatment_var": Param(str, ""),  # e.g. TRT01A for safety tables; default [treatment]
    "spec": Param(str, ""),
}


@dataclass(frozen=True, slots=True)
class OutputContext:
    """What a spec may know: its config, the study, and the data hashes for provenance."""

    config: OutputConfig
    study: Study
    data_sha256: Mapping[str, str]
    params: Mapping[str, Param] = field(default_factory=lambda: COMMON_PARAMS)

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def analysis_id(self) -> str:
        """Results file stem and key prefix: 't_14_1_3' / 'f_14_2_1'."""
        return self.config.kind[0] + "_" + self.config.id.replace(".", "_")

    @property
    def rounding(self) -> Rounding:
        return self.study.rounding

    @property
    def arms(self) -> tuple[Arm, ...]:
        return self.study.treatment.arms

    @property
    def treatment_var(self) -> str:
        """Planned (TRT01P) by default; safety outputs may set treatment_var = "TRT01A"."""
        return self.param("treatment_var", str) or self.study.treatment.variable

    @property
    def population(self) -> Population:
        return self.study.population(self.param("population", str), self.config.where)

    def error(self, key: str, problem: str) -> UserError:
        return UserError(f"{self.study.path}: {self.config.where} {key}: {problem}")

    def param(self, key: str, kind: type | tuple[type, ...] | None = None,
              default: Any = REQUIRED) -> Any:
        """A declared parameter, type-checked, with an error naming the TOML key."""
        declared = self.params.get(key)
        assert declared is not None, f"{self.config.where}: parameter {key!r} is not declared"
        kind = kind or declared.kind
        default = declared.default if default is REQUIRED else default
        if key not in self.config.params:
            if default is REQUIRED:
                raise self.error(key, "missing (required by this output)")
            return default
        value = self.config.params[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
            raise self.error(key, f"expected {_kind_names(kind)}, got {value!r}")
        return value

    def datasets_used(self, names: Sequence[str]) -> tuple[tuple[str, str], ...]:
        return tuple((n, self.data_sha256.get(n, "")) for n in names)

    def shown(self, results: AnalysisResults | None,
              everything: Mapping[str, AnalysisResults]) -> Shown:
        return Shown(self.analysis_id, results, self.rounding, everything)


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_names(kind: type | tuple[type, ...]) -> str:
    names = {"list": "list", "tuple": "list", "int": "number", "float": "number"}
    return " or ".join(dict.fromkeys(names.get(k.__name__, k.__name__) for k in _kinds(kind)))


def no_reads(ctx: OutputContext) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True, slots=True)
class OutputSpec(Generic[ModelT]):
    """One table or figure program."""

    name: str  # module name: "t_14_1_3_demographics"
    title: str  # default title line
    params: Mapping[str, Param]  # besides COMMON_PARAMS
    needs: Callable[[OutputContext], Sequence[DatasetNeed]]
    layout: Callable[[Shown, OutputContext], ModelT]
    analyse: Callable[[Frames, OutputContext], AnalysisResults] | None = None
    # Analyses (by id, "t_14_2_1") whose results the layout reads besides its own.
    reads: Callable[[OutputContext], tuple[str, ...]] = no_reads

    def context(self, config: OutputConfig, study: Study,
                data_sha256: Mapping[str, str]) -> OutputContext:
        return OutputContext(config, study, data_sha256, {**COMMON_PARAMS, **self.params})


def check_params(config: OutputConfig, study: Study, spec: OutputSpec[Any]) -> None:
    """Unknown keys (and unknown keys inside list items) are errors with a suggestion; every
    declared parameter given is type-checked now, before any data are read."""
    ctx = spec.context(config, study, {})

    def error(key: str, problem: str) -> UserError:
        return ctx.error(key, problem)

    reject_unknown(config.params, ctx.params, error)
    for key, declared in ctx.params.items():
        value = ctx.param(key) if key in config.params else None
        if declared.items and value is not None:
            for i, item in enumerate(value):
                where = f"{key}[{i}]"
                if not isinstance(item, Mapping):
                    raise error(where, f"expected a table {{ {declared.items[0]} = ... }}")
                reject_unknown(item, declared.items, _prefixed(error, where))


def _prefixed(error: Callable[[str, str], UserError], where: str
              ) -> Callable[[str, str], UserError]:
    def prefixed(key: str, problem: str) -> UserError:
        return error(f"{where}.{key}", problem)
    return prefixed


def load_spec(config: OutputConfig, study: Study) -> OutputSpec[Any]:
    """The output's program (found by `find_spec_file`), its parameters checked against it."""
    spec = _import_spec(find_spec_file(config, study))
    check_params(config, study, spec)
    return spec


def _import_spec(path: Path) -> OutputSpec[Any]:
    """Specs are loaded by path so a study folder can carry its own, like templates."""
    return spec_from_source(path, path.read_text(encoding="utf-8"))


def spec_from_source(path: Path, source: str) -> OutputSpec[Any]:
    """A spec from its program text (`path` names it in tracebacks and errors). A worker
    process or a Dask worker runs an analysis from the text it was sent, so the study's
    folder need not be reachable from there."""
    module = types.ModuleType(f"submission_kit_spec_{path.stem}")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, OutputSpec):
        raise UserError(f"{path}: defines no SPEC = OutputSpec(...)")
    return spec


# --- helpers shared by specs ---------------------------------------------------------------

def select_population(frame: pd.DataFrame, ctx: OutputContext) -> pd.DataFrame:
    """Subjects in the output's population. A population subject whose treatment value is
    not a configured arm is an error (N must never shrink silently), unless the study lists
    the value in [treatment].exclude."""
    pop = ctx.population
    if pop.flag not in frame.columns:
        raise UserError(f"population flag {pop.flag} ({pop.key}) is not in the dataset used "
                        f"by {ctx.config.where}")
    treatment = ctx.study.treatment
    in_population = frame[frame[pop.flag].astype(str).str.upper().eq("Y")]
    if in_population.empty:  # nothing to estimate at all: a question that cannot be asked
        raise UserError(f"{ctx.study.path}: {ctx.config.where}: no subject has {pop.rule} "
                        f"(population {pop.key}) in the data, in any arm "
                        f"({', '.join(a.label for a in ctx.arms)})")
    values = in_population[ctx.treatment_var]
    arm_values = [a.value for a in ctx.arms]
    unknown = values[~values.isin(arm_values) & ~values.isin(treatment.exclude)]
    if len(unknown):
        counts = unknown.fillna("(missing)").value_counts().sort_index()
        listed = ", ".join(f"{v!r}: {n}" for v, n in counts.items())
        raise UserError(
            f"{ctx.study.path}: {ctx.config.where}: {len(unknown)} subject(s) in the {pop.key} "
            f"population have a {ctx.treatment_var} value that is not a configured arm "
            f"({listed}); add the arm to [treatment].arms, or list the value in "
            "[treatment].exclude to leave those subjects out on purpose")
    return in_population[values.isin(arm_values)].copy()


def arm_groups(frame: pd.DataFrame, ctx: OutputContext, total: bool | None = None
               ) -> list[Group]:
    """(key, label, rows) per arm in configured order, plus Total when configured."""
    treatment = ctx.study.treatment
    out = [(a.key, a.label, frame[frame[ctx.treatment_var] == a.value]) for a in ctx.arms]
    if treatment.total if total is None else total:
        out.append(("TOTAL", treatment.total_label, frame))
    return out


def arm_column_keys(ctx: OutputContext, total: bool | None = None
                    ) -> list[tuple[str, str]]:
    """(key, label) of each column, known without data (for layouts and mock shells)."""
    treatment = ctx.study.treatment
    out = [(a.key, a.label) for a in ctx.arms]
    if treatment.total if total is None else total:
        out.append(("TOTAL", treatment.total_label))
    return out


def table_analysis_id(table_id: str) -> str:
    """'14.2.2' -> 't_14_2_2': the analysis id of a table, for figures that read its results."""
    return "t_" + table_id.replace(".", "_")


def table_context(ctx: OutputContext, table_id: str) -> OutputContext:
    """The context of the table a figure draws, with the table's parameters and defaults; the
    figure must describe the same population."""
    config = next((o for o in ctx.study.outputs if o.kind == "table" and o.id == table_id),
                  None)
    if config is None:
        raise ctx.error("table", f"{table_id!r}: the study configures no such table "
                                 "(the figure draws that table's results)")
    table = load_spec(config, ctx.study).context(config, ctx.study, {})
    if table.population.key != ctx.population.key:
        raise ctx.error("population", f"{ctx.population.key!r} differs from the population of "
                                       f"{config.where} ({table.population.key!r}), whose "
                                       "results the figure draws")
    return table


def population_rule(ctx: OutputContext) -> str:
    pop = ctx.population
    return f"{pop.key}: {pop.rule}"


def title_lines(ctx: OutputContext, kind: str, default: str) -> tuple[str, ...]:
    return (f"{kind} {ctx.id}", ctx.param("title") or default, ctx.population.label)
