"""Analyses and rendering on a Dask cluster (`build --executor dask://HOST:PORT`) give the bytes
of a local build: a LocalCluster with worker processes stands in for a cluster (they run the
two tables' analyses from the spec text they are sent, unpickle the document models and
render them; only this process writes the output and the cache)."""

import shutil

import pytest

from submission_kit.build import BuildOptions, build
from submission_kit.cli import DEMO_STUDY, main
from submission_kit.study import load_study

distributed = pytest.importorskip("distributed")

STUDY_TOML = """
[study]
id = "EXEC-TEST"
title = "Executor test"
sponsor = "Demo Sponsor"
product = "IL-2LD"
indication = "ALS"
protocol = "EXEC-TEST"
version = "1.0"
data_cutoff = 2021-09-30
synthetic = true

[data]
dir = "data"
[data.datasets]
adsl = "adsl.parquet"

[treatment]
variable = "TRT01P"
arms = [
  { value = "Placebo", label = "Placebo", key = "PBO" },
  { value = "IL-2LD", label = "IL-2LD", key = "IL2" },
]

[populations]
ITT = { flag = "ITTFL", label = "Intent-to-Treat Population" }

[tables."14.1.3"]
population = "ITT"
variables = [{ var = "AGE", label = "Age (years)" }, { var = "SEX", label = "Sex, n (%)" }]

[tables."14.1.2"]

[documents.brief]
template = "brief.md.j2"
title = "Brief"

[paths]
templates = "templates"
"""


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".cache" not in p.relative_to(root).parts}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exec-study")
    (folder / "data").mkdir()
    shutil.copy(DEMO_STUDY.parent / "data/adsl.parquet", folder / "data")
    (folder / "templates").mkdir()
    (folder / "templates/brief.md.j2").write_text(
        "# Demography\n\n{{ table('14.1.3') }}\n\n# Populations\n\n{{ table('14.1.2') }}\n")
    (folder / "study.toml").write_text(STUDY_TOML)
    return folder / "study.toml"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_dask_cluster_renders_the_same_bytes_as_local_processes(study, tmp_path):
    local, remote = tmp_path / "local", tmp_path / "dask"
    build(load_study(study), BuildOptions(out_dir=local, jobs=2))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        report = build(load_study(study), BuildOptions(
            out_dir=remote, executor=f"dask://{cluster.scheduler_address.split('://')[1]}"))
    assert len(report.rebuilt) == len(report.nodes) == 4  # two tables, a document, the ARD
    assert _files(local) == _files(remote)


def test_unknown_executor_and_unreachable_scheduler_are_exit_2(study, tmp_path, capsys):
    out = str(tmp_path / "out")
    assert main(["build", "--study", str(study), "--out", out, "--executor", "spark"]) == 2
    assert "use local or dask://HOST:PORT" in capsys.readouterr().err
    assert main(["build", "--study", str(study), "--out", out,
                 "--executor", "dask://127.0.0.1:9"]) == 2
    assert "cannot reach the scheduler" in capsys.readouterr().err
