"""Table and figure specs: one small file per output, in the shape of an R chevron output.

A spec declares what data it needs (checked before anything runs), then `pre` (filter,
derive), `main` (analysis -> results + model) and `post` (sort, prune). Specs live in the
top-level `tables/` and `figures/` folders (bundled with the package) and in a study's own
spec folders; the study config says which outputs to build and with which parameters.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import pandas as pd

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.data.contracts import DatasetNeed
from submission_kit.errors import UserError
from submission_kit.fmt import Rounding
from submission_kit.study import Arm, OutputConfig, Population, Study

BUNDLED = Path(__file__).resolve().parent.parent / "bundled"
Frames = Mapping[str, pd.DataFrame]
ModelT = TypeVar("ModelT")


@dataclass(frozen=True, slots=True)
class OutputContext:
    """What a spec may know: its config, the study, and the data hashes for provenance."""

    config: OutputConfig
    study: Study
    data_sha256: Mapping[str, str]

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
        return self.study.treatment.variable

    @property
    def population(self) -> Population:
        return self.study.population(self.param("population", str, "ITT"), self.config.where)

    def error(self, key: str, problem: str) -> UserError:
        return UserError(f"{self.study.path}: {self.config.where} {key}: {problem}")

    def param(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        """A parameter from study.toml, type-checked, with an error naming the TOML key."""
        params = self.config.params
        if key not in params:
            if default is ...:
                raise self.error(key, "missing (required by this output)")
            return default
        value = params[key]
        if not isinstance(value, kind):
            name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.error(key, f"expected {name}, got {value!r}")
        return value

    def datasets_used(self, names: Sequence[str]) -> tuple[tuple[str, str], ...]:
        return tuple((n, self.data_sha256.get(n, "")) for n in names)


@dataclass(frozen=True, slots=True)
class OutputSpec(Generic[ModelT]):
    """One table or figure program. `needs` may depend on the parameters (e.g. the list of
    demographic variables), so it is a function of the context."""

    name: str  # module name: "t_14_1_3_demographics"
    title: str  # default title line
    needs: Callable[[OutputContext], Sequence[DatasetNeed]]
    main: Callable[[Frames, OutputContext], tuple[AnalysisResults, ModelT]]
    pre: Callable[[Frames, OutputContext], Frames] = lambda frames, ctx: frames
    post: Callable[[ModelT, OutputContext], ModelT] = lambda model, ctx: model

    def run(self, frames: Frames, ctx: OutputContext) -> tuple[AnalysisResults, ModelT]:
        results, model = self.main(self.pre(frames, ctx), ctx)
        return results, self.post(model, ctx)


def spec_dirs(study: Study, kind: str) -> tuple[Path, ...]:
    """The study's own spec folders first, then the bundled library."""
    return (*study.spec_dirs, BUNDLED / f"{kind}s")


def load_spec(config: OutputConfig, study: Study) -> OutputSpec[Any]:
    """`spec = "t_14_1_3"` finds t_14_1_3.py or the one t_14_1_3_<name>.py in a folder."""
    for folder in spec_dirs(study, config.kind):
        exact = folder / f"{config.spec}.py"
        candidates = [exact] if exact.is_file() else sorted(folder.glob(f"{config.spec}_*.py"))
        if len(candidates) > 1:
            raise UserError(f"{study.path}: {config.where}: spec {config.spec!r} is ambiguous "
                            f"in {folder}: {', '.join(p.name for p in candidates)}; "
                            "name one with spec = \"...\"")
        if candidates:
            return _import_spec(candidates[0])
    searched = ", ".join(str(d) for d in spec_dirs(study, config.kind))
    raise UserError(f"{study.path}: {config.where}: no spec {config.spec!r} "
                    f"(looked for {config.spec}.py in {searched})")


def _import_spec(path: Path) -> OutputSpec[Any]:
    """Specs are loaded by path so a study folder can carry its own, like templates."""
    name = f"submission_kit_spec_{path.stem}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, OutputSpec):
        raise UserError(f"{path}: defines no SPEC = OutputSpec(...)")
    return spec


# --- helpers shared by specs ---------------------------------------------------------------

def select_population(frame: pd.DataFrame, ctx: OutputContext) -> pd.DataFrame:
    """Subjects in the output's population and in one of the configured arms."""
    pop = ctx.population
    if pop.flag not in frame.columns:
        raise UserError(f"population flag {pop.flag} ({pop.key}) is not in the dataset used "
                        f"by {ctx.config.where}")
    keep = frame[pop.flag].astype(str).str.upper().eq("Y")
    keep &= frame[ctx.treatment_var].isin([a.value for a in ctx.arms])
    return frame.loc[keep].copy()


def arm_subsets(frame: pd.DataFrame, ctx: OutputContext, total: bool | None = None
                ) -> list[tuple[str, str, pd.DataFrame]]:
    """(key, label, rows) per arm in configured order, plus Total when configured."""
    treatment = ctx.study.treatment
    out = [(a.key, a.label, frame[frame[ctx.treatment_var] == a.value]) for a in ctx.arms]
    if treatment.total if total is None else total:
        out.append(("TOTAL", treatment.total_label, frame))
    return out


def population_rule(ctx: OutputContext) -> str:
    pop = ctx.population
    return f"{pop.key}: {pop.rule}"
