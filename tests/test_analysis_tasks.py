"""Analyses run as tasks on worker processes (--jobs, --executor): the same results, to the
bit, as in the building process; only the declared data travel; the worker runs the spec
from the text it was sent; a UserError raised there arrives whole. (The whole demo built
with --jobs 2 against --jobs 1, byte for byte: tests/test_build.py; on a Dask cluster:
tests/test_executor.py.)"""

from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from submission_kit.analysis_tasks import analysis_task, run_analyses
from submission_kit.build import declared_needs, load_specs
from submission_kit.cli import DEMO_STUDY
from submission_kit.data.load import load_study_data
from submission_kit.errors import UserError
from submission_kit.executors import steps as analysis_steps
from submission_kit.locations import find_spec_file
from submission_kit.study import load_study

FAILING_SPEC = '''
from submission_kit.errors import UserError
from submission_kit.executors import steps as analysis_steps
from submission_kit.tables.spec import OutputSpec


def analyse(frames, ctx):
    raise UserError(f"{ctx.config.where}: cannot be estimated", ("first reason",))


SPEC = OutputSpec(name="t_fails", title="Fails", params={}, needs=lambda ctx: (),
                  layout=lambda shown, ctx: None, analyse=analyse)
'''


@pytest.fixture(scope="module")
def demo():
    study = load_study(DEMO_STUDY)
    tables = {c.id: (c, s) for c, s in load_specs(study) if c.kind == "table"}
    specs = [tables[i] for i in ("14.1.3", "14.1.2", "14.3.1.1")]
    data = load_study_data(study, declared_needs(study, specs))
    tasks = [analysis_task(find_spec_file(c, study), c, s, study, data.frames, data.sha256)
             for c, s in specs]
    expected = [s.analyse(data.frames, s.context(c, study, data.sha256)) for c, s in specs]
    return tasks, expected


def test_worker_results_equal_the_building_process_results(demo):
    tasks, expected = demo
    messages: list[str] = []
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = run_analyses(tasks, pool, messages.append)
    assert [r.output_id for r in results] == ["14.1.3", "14.1.2", "14.3.1.1"]  # task order
    assert results == expected  # every statistic at full precision, method and note
    assert messages == ["Analysing 3 outputs in parallel"]
    assert analysis_steps(3, pool) == 1 and analysis_steps(1, pool) == 1


def test_one_task_or_no_pool_runs_here_with_a_message_each(demo):
    tasks, expected = demo
    messages: list[str] = []
    assert run_analyses(tasks, None, messages.append) == expected
    assert messages == ["Analysing table 14.1.3", "Analysing table 14.1.2",
                        "Analysing table 14.3.1.1"]
    assert analysis_steps(3, None) == 3


def test_a_task_carries_only_the_datasets_its_spec_declares(demo):
    tasks, _ = demo
    assert {t.config.id: sorted(t.frames) for t in tasks} == {
        "14.1.2": ["adsl"], "14.1.3": ["adsl"], "14.3.1.1": ["adae", "adsl"]}


def test_the_worker_runs_the_spec_text_it_was_sent_not_the_file(demo):
    tasks, expected = demo
    elsewhere = [replace(t, spec_path=Path("/not/on/this/worker") / t.spec_path.name)
                 for t in tasks]
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert run_analyses(elsewhere, pool, lambda message: None) == expected


def test_a_user_error_in_a_worker_arrives_whole(demo):
    tasks, _ = demo
    failing = replace(tasks[0], spec_path=Path("/study/specs/t_fails.py"),
                      spec_source=FAILING_SPEC)
    with ProcessPoolExecutor(max_workers=2) as pool, pytest.raises(UserError) as caught:
        run_analyses([tasks[1], failing, tasks[2]], pool, lambda message: None)
    assert caught.value.message == '[tables."14.1.3"]: cannot be estimated'
    assert caught.value.details == ("first reason",)
