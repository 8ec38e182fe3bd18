"""Where the build graph's tasks run: worker processes on this machine (default) or a Dask
distributed cluster (`--executor dask://HOST:PORT`, the optional `dask` extra), both behind
`concurrent.futures.Executor`. A task is a pure function (an analysis: data to results,
`analysis_tasks.py`; a rendering: a document model to bytes), so any worker gives the same
result; results come back to this process, which alone writes the cache and the output (the
cluster needs the same submission-kit and fonts installed, not a shared folder).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from submission_kit.errors import UserError

LOCAL = "local"


def steps(count: int, pool: Executor | None) -> int:
    """How many progress messages `count` tasks give: one each here, one for the batch on a
    pool (analyses: analysis_tasks.run_analyses; files: build.render_files)."""
    return 1 if pool is not None and count > 1 else count


def check_executor(spec: str) -> None:
    if spec != LOCAL and not spec.startswith("dask://"):
        raise UserError(f"--executor {spec!r}: use local or dask://HOST:PORT")


@contextmanager
def open_executor(spec: str, jobs: int) -> Iterator[Executor | None]:
    """None: render in this process (one job, nothing to share)."""
    check_executor(spec)
    if spec == LOCAL:
        if jobs <= 1:
            yield None
            return
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            yield pool
        return
    with _dask_client(spec.removeprefix("dask://")) as client:
        yield client.get_executor()


@contextmanager
def _dask_client(address: str) -> Iterator[Any]:
    try:
        from distributed import Client
    except ImportError:
        raise UserError("--executor dask://...: Dask is not installed (pip install "
                        "'submission-kit[dask]')") from None
    try:
        client = Client(address, timeout="5s", set_as_default=False)
    except OSError as exc:
        raise UserError(f"--executor dask://{address}: cannot reach the scheduler ({exc})"
                        ) from None
    try:
        yield client
    finally:
        client.close()
