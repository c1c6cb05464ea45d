"""The examples of the guide "Testing your tasks": each snippet is a test of its own.

The task under test, ``train``, is the kind of function a user writes; the
tests are what the guide recommends writing for it.
"""

from __future__ import annotations

import os
import pwd

import mlflow
import pytest

import orquestra_mlflow as om


# <task_under_test>
def train(workspace_id: str, config_name: str | None = None) -> str:
    """A task: connect inside the task, log a run, upload an artifact."""
    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(workspace_id, config_name)
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token(config_name)
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.1)
        for step, loss in enumerate([0.8, 0.4]):
            mlflow.log_metric("loss", loss, step=step)
        path = om.get_temp_artifacts_dir() / "model.txt"
        path.write_text("weights")
        mlflow.log_artifact(str(path))
    return run.info.run_id


# </task_under_test>


# <one_test_three_environments>
def test_train(orq_env, orq_mlflow):
    # Runs three times: ids [local], [studio] and [ce].
    orq_env.run_task(train, orq_env.workspace_id, orq_env.config_name)

    run = orq_mlflow.only_run()
    assert run.params == {"lr": "0.1"}
    assert run.artifacts["model.txt"] == b"weights"


# </one_test_three_environments>


# <asserting_what_arrived>
def test_what_reached_the_server(orq_ce, orq_mlflow):
    run_id = orq_ce.run_task(train, orq_ce.workspace_id)

    run = orq_mlflow.run(run_id)
    assert run.status == "FINISHED"
    assert run.metrics == {"loss": 0.4}  # the latest value of each metric
    assert run.metric_history("loss") == [(0, 0.8), (1, 0.4)]
    assert run.system_tags["mlflow.source.type"] == "LOCAL"

    # Every request is recorded, with its headers and body.
    orq_mlflow.assert_all_authenticated()
    upload = orq_mlflow.assert_requested("PUT", "/mlflow-artifacts/artifacts/")
    assert upload.body == b"weights"
    orq_mlflow.assert_no_unhandled()


# </asserting_what_arrived>


# <variables_outside_the_task>
def train_without_connecting() -> None:
    with mlflow.start_run():
        mlflow.log_param("lr", 0.1)


@pytest.mark.xfail(raises=AssertionError, reason="variables set outside the task", strict=True)
def test_variables_set_outside_the_task(orq_ce, orq_mlflow):
    # The workflow file connects once, at import time...
    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(orq_ce.workspace_id)
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token()

    # ...but a CE task starts in a fresh Ray worker that never saw them:
    orq_ce.run_task(train_without_connecting)
    assert orq_mlflow.runs, "the run never reached the tracking server"


# </variables_outside_the_task>


# <reused_worker>
def test_a_reused_worker_leaks_the_previous_tasks_variables(orq_ce, orq_mlflow):
    worker = orq_ce.worker("reused")  # Ray reusing one worker process for two tasks
    worker.run_task(train, orq_ce.workspace_id)
    worker.run_task(train_without_connecting)  # "works", by accident
    assert len(orq_mlflow.runs) == 2

    orq_ce.run_task(train_without_connecting)  # a fresh worker: it doesn't
    assert len(orq_mlflow.runs) == 2


# </reused_worker>


# <artifacts_under_pyfakefs>
def test_artifacts_under_pyfakefs(fs, orq_studio, orq_mlflow):
    # The sandbox (home, passport, artifacts directory) lives in the fake filesystem.
    orq_studio.run_task(train, orq_studio.workspace_id)

    assert orq_studio.artifacts_dir.exists()
    assert (orq_studio.artifacts_dir / "model.txt").read_text() == "weights"
    assert orq_mlflow.only_run().artifacts == {"model.txt": b"weights"}


# </artifacts_under_pyfakefs>


# <refused_token>
def test_an_expired_token_is_refused(orq_local, orq_mlflow):
    orq_local.expire_token()  # as if `orq login` was a long time ago

    with pytest.raises(mlflow.exceptions.MlflowException, match="expired"):
        orq_local.run_task(train, orq_local.workspace_id, orq_local.config_name)
    assert orq_mlflow.runs == []


# </refused_token>


# <missing_variable>
@pytest.mark.orq_env("studio", "ce")
def test_a_missing_platform_variable(orq_env):
    orq_env.remove_variable("ORQ_MLFLOW_PORT")

    with pytest.raises(OSError, match="ORQ_MLFLOW_PORT"):
        orq_env.run_task(train, orq_env.workspace_id)


# </missing_variable>


# <artifacts_dir_fixture>
def test_the_artifacts_directory_is_sandboxed(orq_artifacts_dir):
    assert om.get_temp_artifacts_dir() == orq_artifacts_dir
    real_home = pwd.getpwuid(os.getuid()).pw_dir  # HOME itself points into the sandbox
    assert not orq_artifacts_dir.is_relative_to(real_home)


# </artifacts_dir_fixture>
