"""Analyses as tasks for the build's executor (--jobs, --executor).

An analysis is a pure function of its data, so it can run in any worker: the task carries
the spec's program text, its configuration, the study and only the data frames the spec
declares, and the worker sends the results back. The worker never reads the study folder,
so a Dask worker on another machine computes the same results, to the bit, as this process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.study import OutputConfig, Study
from submission_kit.tables.spec import OutputSpec, spec_from_source


@dataclass(frozen=True, slots=True)
class AnalysisTask:
    spec_path: Path
    spec_source: str
    config: OutputConfig
    study: Study
    frames: Mapping[str, pd.DataFrame]  # the datasets the spec declares, nothing more
    data_sha256: Mapping[str, str]


def analysis_task(spec_path: Path, config: OutputConfig, spec: OutputSpec[Any], study: Study,
                  frames: Mapping[str, pd.DataFrame], data_sha256: Mapping[str, str]
                  ) -> AnalysisTask:
    ctx = spec.context(config, study, data_sha256)
    declared = sorted({need.dataset for need in spec.needs(ctx)})
    return AnalysisTask(spec_path, spec_path.read_text(encoding="utf-8"), config, study,
                        {name: frames[name] for name in declared if name in frames},
                        data_sha256)


# Each worker process compiles a spec once, however many of its analyses it runs.
_SPECS: dict[tuple[str, str], OutputSpec[Any]] = {}


def run_analysis(task: AnalysisTask) -> AnalysisResults:
    key = (str(task.spec_path), hashlib.sha256(task.spec_source.encode()).hexdigest())
    spec = _SPECS.get(key)
    if spec is None:
        spec = _SPECS[key] = spec_from_source(task.spec_path, task.spec_source)
    assert spec.analyse is not None
    ctx = spec.context(task.config, task.study, task.data_sha256)
    return spec.analyse(task.frames, ctx)


def run_analyses(tasks: Sequence[AnalysisTask], pool: Executor | None,
                 progress: Callable[[str], None]) -> list[AnalysisResults]:
    """Results in the order of `tasks`: on the pool's workers when there is more than one
    (one runs here: sending it data would cost more than it saves). A UserError raised by an
    analysis in a worker reaches the caller as it would here."""
    if pool is None or len(tasks) <= 1:
        out = []
        for task in tasks:
            progress(f"Analysing {task.config.kind} {task.config.id}")
            out.append(run_analysis(task))
        return out
    progress(f"Analysing {len(tasks)} outputs in parallel")
    futures = [pool.submit(run_analysis, task) for task in tasks]
    try:
        return [future.result() for future in futures]
    except BaseException:
        for future in futures:  # the build stops at its first error: no work after it
            future.cancel()
        raise
