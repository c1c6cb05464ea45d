"""The ``orq_ray`` fixture: tasks on real Ray worker processes, seen through ``orq_mlflow``.

Needs Ray (``pip install "orquestra-mlflow[ray]"``); skipped without it, except
the test of the skip itself. The cluster is started once for the session.
"""

from __future__ import annotations

import os
import pickle
import sys
import textwrap
import time
from typing import Any

import pytest

from pytest_orq_mlflow.ray_cluster import (
    INSTALL_HINT,
    OrqRayEnvironment,
    RayWorkerReuseError,
    ray_available,
)

needs_ray = pytest.mark.skipif(not ray_available(), reason=f"needs Ray: {INSTALL_HINT}")

#: The variables Compute Engine gives a task (PLATFORM.md), plus the harness's.
CE_VARIABLES = (
    "ORQ_CURRENT_CLUSTER",
    "ORQ_CURRENT_WORKSPACE",
    "ORQ_CURRENT_PROJECT",
    "ORQ_CURRENT_USER",
    "ORQUESTRA_PASSPORT_FILE",
    "ORQ_MLFLOW_CR_NAME",
    "ORQ_MLFLOW_PORT",
    "ORQ_MLFLOW_ARTIFACTS_DIR",
    "MLFLOW_DISABLE_TELEMETRY",
    "HTTP_PROXY",
)


# -- tasks (module-level functions: pickled by value, this module is not importable in workers)


def describe_worker() -> dict[str, Any]:
    """What a worker process looks like from inside."""
    passport = os.environ.get("ORQUESTRA_PASSPORT_FILE")
    with open(passport or os.devnull, encoding="utf-8") as file:
        token = file.read().strip()
    return {
        "pid": os.getpid(),
        "cwd": os.getcwd(),
        "environ": dict(os.environ),
        "passport": token,
        "mlflow_imported": "mlflow" in sys.modules,
    }


def log_run(workspace_id: str, index: int, steps: int = 3) -> str:
    """Connect inside the task and log a run whose values are derived from ``index``."""
    import mlflow

    import orquestra_mlflow as om

    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(workspace_id)
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token()
    with mlflow.start_run(run_name=f"task-{index}") as run:
        mlflow.log_param("index", index)
        for step in range(steps):
            mlflow.log_metric("value", index * 1000 + step, step=step)
        mlflow.set_tag("pid", str(os.getpid()))
        path = om.get_temp_artifacts_dir() / f"out-{index}.txt"
        path.write_text(f"task {index}", encoding="utf-8")
        mlflow.log_artifact(str(path))
    return str(run.info.run_id)


def set_global(value: str) -> str | None:
    """Leave a variable behind in the worker process; return what was there."""
    before = os.environ.get("LEFT_BEHIND")
    os.environ["LEFT_BEHIND"] = value
    return before


def fail(message: str) -> None:
    """A task that raises."""
    raise ValueError(message)


def sleep(seconds: float) -> float:
    """A task that takes its time."""
    time.sleep(seconds)
    return seconds


# -- the fixture ---------------------------------------------------------------------------


@needs_ray
def test_a_task_runs_in_another_process_with_the_ce_variables(orq_ray: OrqRayEnvironment) -> None:
    seen = orq_ray.run_task(describe_worker)

    assert seen["pid"] != os.getpid()
    environ = seen["environ"]
    expected = orq_ray.variables
    for name in CE_VARIABLES:
        assert environ[name] == expected[name], name
    assert environ["ORQ_CURRENT_WORKSPACE"] == orq_ray.workspace_id
    assert environ["HOME"] == str(orq_ray.home)
    assert seen["passport"] == orq_ray.token  # a real file on disk, readable by the worker
    assert seen["cwd"].startswith(str(orq_ray.workers_dir))
    assert seen["mlflow_imported"] is False  # the task imports what it needs
    # The test's own process is the driver: it is not turned into a CE task.
    assert "ORQ_CURRENT_CLUSTER" not in os.environ


@needs_ray
def test_the_workers_run_with_a_scrubbed_environment(
    orq_ray: OrqRayEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Set after the cluster started: never seen by a worker (nor are the shell's MLFLOW_*).
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://should-not-leak")
    environ = orq_ray.run_task(describe_worker)["environ"]

    assert "MLFLOW_TRACKING_URI" not in environ
    assert environ["RAY_USAGE_STATS_ENABLED"] == "0"
    assert environ["MLFLOW_DISABLE_TELEMETRY"] == "true"


@needs_ray
def test_what_the_worker_logged_is_in_orq_mlflow(
    orq_ray: OrqRayEnvironment, orq_mlflow: Any
) -> None:
    run_id = orq_ray.run_task(log_run, orq_ray.workspace_id, 7)

    assert orq_ray.server is orq_mlflow
    run = orq_mlflow.only_run()
    assert run.run_id == run_id
    assert run.params == {"index": "7"}
    assert run.metric_history("value") == [(0, 7000.0), (1, 7001.0), (2, 7002.0)]
    assert run.artifacts == {"out-7.txt": b"task 7"}
    assert run.tags["pid"] != str(os.getpid())
    orq_mlflow.assert_all_authenticated()
    orq_mlflow.assert_no_unhandled()
    orq_mlflow.assert_requested("POST", "/api/2.0/mlflow/runs/create")
    # The namespace look-up went to the fake catalog through the loopback proxy.
    assert orq_ray.catalog.lookups(orq_ray.workspace_id)


@needs_ray
def test_fifty_tasks_at_once_arrive_intact(
    orq_ray: OrqRayEnvironment, orq_mlflow: Any, record_property: Any
) -> None:
    workers = orq_ray.worker("reused")
    began = time.perf_counter()
    tasks = [workers.submit(log_run, orq_ray.workspace_id, index) for index in range(50)]
    run_ids = [task.result() for task in tasks]
    elapsed = time.perf_counter() - began
    record_property("fifty_tasks_seconds", round(elapsed, 2))
    print(f"50 tasks on {len(workers.processes)} Ray workers: {elapsed:.2f} s")

    runs = {run.run_id: run for run in orq_mlflow.runs}
    assert len(runs) == 50
    assert set(run_ids) == set(runs)
    for index, run_id in enumerate(run_ids):
        run = runs[run_id]
        assert run.run_name == f"task-{index}"
        assert run.params == {"index": str(index)}
        assert run.metric_history("value") == [(s, float(index * 1000 + s)) for s in range(3)]
        assert run.artifacts == {f"out-{index}.txt": f"task {index}".encode()}
        assert run.status == "FINISHED"
    assert len(workers.processes) > 1
    assert {run.tags["pid"] for run in runs.values()} == {str(p) for p in workers.processes}


# -- worker reuse --------------------------------------------------------------------------


@needs_ray
def test_a_reused_worker_keeps_what_a_task_left_behind(orq_ray: OrqRayEnvironment) -> None:
    worker = orq_ray.worker("reused")

    assert worker.run_task(set_global, "first") is None
    assert worker.run_task(set_global, "second") == "first"
    assert len(worker.processes) == 1
    assert worker.tasks_run == 2


@needs_ray
def test_fresh_workers_keep_nothing(orq_ray: OrqRayEnvironment) -> None:
    worker = orq_ray.worker("fresh")

    assert worker.run_task(set_global, "first") is None
    assert worker.run_task(set_global, "second") is None
    assert len(worker.processes) == 2


@needs_ray
def test_run_task_uses_a_fresh_worker_like_orq_ce(orq_ray: OrqRayEnvironment) -> None:
    orq_ray.run_task(set_global, "first")

    assert orq_ray.run_task(set_global, "second") is None


@needs_ray
def test_two_reused_workers_do_not_share_a_process(orq_ray: OrqRayEnvironment) -> None:
    one, two = orq_ray.worker("reused"), orq_ray.worker("reused")
    one.run_task(set_global, "one")

    assert two.run_task(set_global, "two") is None
    assert set(one.processes).isdisjoint(two.processes)


@needs_ray
def test_a_reused_worker_that_was_replaced_fails_loudly(orq_ray: OrqRayEnvironment) -> None:
    worker = orq_ray.worker("reused")
    worker.run_task(set_global, "first")
    orq_ray.set_variable("EXTRA", "1")  # a new runtime environment: Ray starts a new process

    with pytest.raises(RayWorkerReuseError, match="Asked for a reused Ray worker"):
        worker.run_task(set_global, "second")


@needs_ray
def test_unknown_worker_modes_are_refused(orq_ray: OrqRayEnvironment) -> None:
    with pytest.raises(ValueError, match=r"'in_process'.*orq_ce\.worker"):
        orq_ray.worker("in_process")


# -- errors --------------------------------------------------------------------------------


@needs_ray
def test_a_task_exception_propagates_unchanged(orq_ray: OrqRayEnvironment) -> None:
    with pytest.raises(ValueError, match="boom") as info:
        orq_ray.worker("reused").run_task(fail, "boom")

    assert type(info.value) is ValueError
    assert "RayTaskError" in type(info.value.__cause__).__name__  # the worker's traceback


@needs_ray
def test_the_handle_cannot_travel_to_a_worker(orq_ray: OrqRayEnvironment) -> None:
    with pytest.raises(TypeError, match=r"orq_ray\.workspace_id"):
        pickle.dumps(orq_ray)


@needs_ray
def test_a_task_that_outlives_its_timeout_is_cancelled(orq_ray: OrqRayEnvironment) -> None:
    import ray

    task = orq_ray.worker("reused").submit(sleep, 30)
    with pytest.raises(ray.exceptions.GetTimeoutError):
        task.result(timeout=0.5)


@needs_ray
def test_a_finished_test_s_handle_refuses_tasks(orq_ray: OrqRayEnvironment) -> None:
    orq_ray.close()

    with pytest.raises(RuntimeError, match="request the orq_ray fixture"):
        orq_ray.run_task(set_global, "late")


# -- as users meet it: pytester in a user's repository ---------------------------------------


@pytest.fixture(autouse=True)
def _import_mlflow_outside_pytester() -> None:
    """Import MLflow in the outer session before an in-process ``pytester`` run.

    ``runpytest_inprocess`` removes the modules first imported during the inner
    run; MLflow imported there and then dropped leaves ``importlib.metadata``
    unable to find installed distributions, and the next inner run loads no
    entry-point plugins.
    """
    pytest.importorskip("mlflow")


USER_PYPROJECT = """
[tool.pytest.ini_options]
addopts = ["--strict-markers", "--import-mode=importlib", "-p", "no:randomly"]
filterwarnings = ["error"]
"""

USER_TASKS = '''
import os

import mlflow

import orquestra_mlflow as om

STEPS = 3


def train(workspace_id, lr):
    """The user's task, in the tests directory (not importable by the workers)."""
    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(workspace_id)
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token()
    with mlflow.start_run() as run:
        mlflow.log_param("lr", lr)
        for step in range(STEPS):
            mlflow.log_metric("loss", lr * (STEPS - step), step=step)
    return run.info.run_id


def test_train_on_ray(orq_ray, orq_mlflow):
    run_id = orq_ray.run_task(train, orq_ray.workspace_id, 0.5)

    run = orq_mlflow.only_run()
    assert run.run_id == run_id
    assert run.params == {"lr": "0.5"}
    assert run.metric_history("loss") == [(0, 1.5), (1, 1.0), (2, 0.5)]


def test_same_test_in_process(orq_ce, orq_mlflow):
    run_id = orq_ce.run_task(train, orq_ce.workspace_id, 0.5)

    assert orq_mlflow.only_run().run_id == run_id
'''


@needs_ray
def test_the_fixture_in_a_user_repository(pytester: pytest.Pytester, orq_ray_cluster: Any) -> None:
    pytester.makefile(".toml", pyproject=USER_PYPROJECT)
    pytester.mkpydir("src")
    tests = pytester.mkdir("tests")
    (tests / "test_user_tasks.py").write_text(textwrap.dedent(USER_TASKS), encoding="utf-8")

    result = pytester.runpytest_inprocess("-q")

    result.assert_outcomes(passed=2)


@needs_ray
def test_overriding_the_settings_reaches_the_workers(
    pytester: pytest.Pytester, orq_ray_cluster: Any
) -> None:
    pytester.makefile(".toml", pyproject=USER_PYPROJECT)
    pytester.makeconftest(
        """
        import pytest
        from pytest_orq_mlflow import OrqSettings

        @pytest.fixture
        def orq_settings():
            return OrqSettings(workspace_id="ws-custom", namespace="ns-custom", port=5005)
        """
    )
    pytester.makepyfile(
        test_custom="""
        import os

        def where():
            import orquestra_mlflow as om
            return om.get_tracking_uri(os.environ["ORQ_CURRENT_WORKSPACE"])

        def test_it(orq_ray):
            assert orq_ray.run_task(where) == "http://mlflow.ns-custom:5005"
        """
    )

    pytester.runpytest_inprocess("-q").assert_outcomes(passed=1)


def test_without_ray_the_tests_are_skipped_naming_the_extra(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if not installed
    pytester.makefile(".toml", pyproject=USER_PYPROJECT)
    pytester.makepyfile(
        test_needs_ray="""
        def test_one(orq_ray):
            raise AssertionError("not reached")

        def test_two(orq_ray, orq_mlflow):
            raise AssertionError("not reached")

        def test_without_ray(orq_ce):
            pass
        """
    )

    result = pytester.runpytest_inprocess("-rs")

    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*SKIPPED*Ray is not installed*orq_ray fixture*"])
    assert 'pip install "orquestra-mlflow[ray]"' in result.stdout.str()
