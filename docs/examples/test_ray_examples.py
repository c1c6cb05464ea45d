"""The examples of the guide section "Running tasks on real Ray workers".

Each snippet is a test of its own; they need Ray (``pip install
"orquestra-mlflow[ray]"``) and are skipped without it.
"""

from __future__ import annotations

import functools
import os

import mlflow
import pytest

import orquestra_mlflow as om


# <ray_task_under_test>
def train(workspace_id: str, lr: float = 0.1) -> str:
    """A task: connect inside the task, log a run, upload an artifact."""
    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(workspace_id)
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token()
    with mlflow.start_run() as run:
        mlflow.log_param("lr", lr)
        for step, loss in enumerate([8 * lr, 4 * lr]):
            mlflow.log_metric("loss", loss, step=step)
        path = om.get_temp_artifacts_dir() / f"model-{run.info.run_id}.txt"
        path.write_text(f"weights {lr}")
        mlflow.log_artifact(str(path), artifact_path="model")
    return run.info.run_id


# </ray_task_under_test>


# <ray_run_task>
def test_train_on_ray(orq_ray, orq_mlflow):
    # The task runs in a fresh Ray worker process, with the CE platform's variables.
    run_id = orq_ray.run_task(train, orq_ray.workspace_id)

    # The same assertions as with orq_ce: orq_mlflow received what the worker sent.
    run = orq_mlflow.run(run_id)
    assert run.params == {"lr": "0.1"}
    assert run.metric_history("loss") == [(0, 0.8), (1, 0.4)]
    assert run.artifacts[f"model/model-{run_id}.txt"] == b"weights 0.1"
    orq_mlflow.assert_all_authenticated()


# </ray_run_task>


# <ray_many_tasks>
def test_many_tasks_at_once(orq_ray, orq_mlflow):
    rates = [round(0.01 * i, 2) for i in range(1, 51)]
    workers = orq_ray.worker("reused")  # Ray's pooled worker processes

    run_ids = workers.map(functools.partial(train, orq_ray.workspace_id), rates)

    assert len(set(run_ids)) == 50
    for run_id, lr in zip(run_ids, rates, strict=True):
        run = orq_mlflow.run(run_id)
        assert run.params == {"lr": str(lr)}
        assert run.metric_history("loss") == [(0, 8 * lr), (1, 4 * lr)]
    assert len(workers.processes) > 1  # several worker processes shared the tasks


# </ray_many_tasks>


# <ray_leaky_tasks>
def connect(workspace_id: str) -> None:
    """A task that sets the connection for the worker process and leaves it there."""
    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(workspace_id)
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token()


def log_loss(loss: float) -> str:
    """A buggy task: it uses MLflow but counts on an earlier task to have connected."""
    if not mlflow.tracking.is_tracking_uri_set():
        raise RuntimeError("not connected to a tracking server")
    with mlflow.start_run() as run:
        mlflow.log_metric("loss", loss)
    return run.info.run_id


# </ray_leaky_tasks>


# <ray_reuse_leak>
def test_the_leak_on_a_reused_worker(orq_ray, orq_mlflow):
    worker = orq_ray.worker("reused")  # consecutive tasks run in one process
    worker.run_task(connect, orq_ray.workspace_id)

    worker.run_task(log_loss, 0.5)  # works, by accident: the connection leaked

    assert orq_mlflow.only_run().metrics == {"loss": 0.5}
    assert len(worker.processes) == 1


def test_no_leak_on_fresh_workers(orq_ray):
    worker = orq_ray.worker("fresh")  # a new process per task
    worker.run_task(connect, orq_ray.workspace_id)

    with pytest.raises(RuntimeError, match="not connected"):
        worker.run_task(log_loss, 0.5)
    assert len(worker.processes) == 1  # the failed task's process is not recorded


# </ray_reuse_leak>


# <ray_leak_fixed>
def connect_for_a_scope(workspace_id: str) -> None:
    """The fix: om.tracking() puts back everything it changed when the task ends."""
    with om.tracking(workspace_id), mlflow.start_run():
        mlflow.log_metric("loss", 0.9)


def test_tracking_leaves_nothing_behind(orq_ray, orq_mlflow):
    worker = orq_ray.worker("reused")
    worker.run_task(connect_for_a_scope, orq_ray.workspace_id)

    with pytest.raises(RuntimeError, match="not connected"):
        worker.run_task(log_loss, 0.5)  # same process, but nothing leaked
    assert orq_mlflow.only_run().metrics == {"loss": 0.9}


# </ray_leak_fixed>
