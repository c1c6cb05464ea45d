"""``run_task``: fresh CE workers, reused workers, the in_process runtime, Studio/local sessions."""

from __future__ import annotations

import os
from pathlib import Path

import mlflow
import pytest

import orquestra_mlflow as om
from pytest_orq_mlflow import OrqEnvironment


def configure(workspace_id: str, config_name: str | None) -> None:
    """What the guide tells a task to do first."""
    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(workspace_id, config_name)
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token(config_name)


def log_without_configuring() -> str:
    """A task that forgets to configure MLflow."""
    with mlflow.start_run():
        mlflow.log_param("forgot", "yes")
    return mlflow.get_tracking_uri()


def observe() -> dict[str, object]:
    return {
        "uri_env": os.environ.get("MLFLOW_TRACKING_URI"),
        "global_uri": mlflow.tracking._tracking_service.utils._tracking_uri,
        "active_run": mlflow.active_run(),
        "cwd": os.getcwd(),
        "marker": os.environ.get("TEST_MARKER"),
        "platform": os.environ.get("ORQ_CURRENT_WORKSPACE"),
    }


def test_ce_task_starts_from_the_platform_environment_only(orq_ce: OrqEnvironment) -> None:
    configure(orq_ce.workspace_id, None)
    mlflow.set_tracking_uri(orq_ce.tracking_uri)
    os.environ["TEST_MARKER"] = "set by the test"
    with mlflow.start_run():
        seen = orq_ce.run_task(observe)
        assert mlflow.active_run() is not None  # the test's run is back afterwards
    assert seen["uri_env"] is None and seen["global_uri"] is None
    assert seen["active_run"] is None and seen["marker"] is None
    assert seen["platform"] == orq_ce.workspace_id
    assert Path(str(seen["cwd"])).is_relative_to(orq_ce.sandbox.root)
    assert os.environ["TEST_MARKER"] == "set by the test"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # mlflow's local SQLite store
def test_ce_task_that_forgets_to_configure_mlflow_does_not_reach_the_server(
    orq_ce: OrqEnvironment, orq_mlflow: object
) -> None:
    configure(orq_ce.workspace_id, None)  # the test (the workflow driver) configured MLflow
    uri = orq_ce.run_task(log_without_configuring)
    assert orq_ce.server.runs == []
    assert not uri.startswith("http"), uri
    assert not Path("mlflow.db").exists()  # the default store landed in the worker's directory


def test_ce_tasks_do_not_see_each_other(orq_ce: OrqEnvironment) -> None:
    orq_ce.run_task(configure, orq_ce.workspace_id, None)
    assert orq_ce.run_task(observe)["uri_env"] is None
    first, second = orq_ce.run_task(os.getcwd), orq_ce.run_task(os.getcwd)
    assert first != second


def test_reused_worker_leaks_state_between_tasks(orq_ce: OrqEnvironment) -> None:
    worker = orq_ce.worker("reused")
    worker.run_task(configure, orq_ce.workspace_id, None)
    worker.run_task(log_without_configuring)  # works only thanks to the leak
    assert orq_ce.server.only_run().params == {"forgot": "yes"}
    assert worker.run_task(observe)["uri_env"] == orq_ce.tracking_uri
    assert "MLFLOW_TRACKING_URI" not in os.environ  # the test itself is untouched


def test_in_process_runtime_shares_the_test_process(orq_ce: OrqEnvironment) -> None:
    worker = orq_ce.worker("in_process")
    os.environ["TEST_MARKER"] = "visible"
    assert worker.run_task(observe)["marker"] == "visible"
    worker.run_task(configure, orq_ce.workspace_id, None)
    assert os.environ["MLFLOW_TRACKING_URI"] == orq_ce.tracking_uri


@pytest.mark.parametrize("fixture", ["orq_studio", "orq_local"])
def test_studio_and_local_tasks_run_in_the_session(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    env: OrqEnvironment = request.getfixturevalue(fixture)
    configure(env.workspace_id, env.config_name)
    mlflow.set_tracking_uri(env.tracking_uri)
    seen = env.run_task(observe)
    assert seen["uri_env"] == env.tracking_uri and seen["global_uri"] == env.tracking_uri
    assert Path(str(seen["cwd"])) == env.sandbox.work_dir
    # ...and what the task changes is undone afterwards
    env.run_task(os.environ.__setitem__, "TEST_MARKER", "from the task")
    assert "TEST_MARKER" not in os.environ
    assert os.getcwd() != str(env.sandbox.work_dir)


def test_run_task_returns_the_result_and_raises_the_exception(orq_env: OrqEnvironment) -> None:
    assert orq_env.run_task(lambda a, b=0: a + b, 1, b=2) == 3
    before = dict(os.environ)

    def fail() -> None:
        os.environ["TEST_MARKER"] = "dirty"
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        orq_env.run_task(fail)
    assert dict(os.environ) == before


def test_task_runs_left_open_do_not_leak_into_the_test(orq_ce: OrqEnvironment) -> None:
    def open_run() -> str:
        configure(orq_ce.workspace_id, None)
        return mlflow.start_run().info.run_id

    run_id = orq_ce.run_task(open_run)
    assert mlflow.active_run() is None
    assert orq_ce.server.run(run_id).status == "RUNNING"


def test_worker_mode_is_checked(orq_ce: OrqEnvironment) -> None:
    with pytest.raises(ValueError, match="fresh, reused"):
        orq_ce.worker("forked")  # type: ignore[arg-type]
