"""The examples of the guide "Connecting without environment variables", run in all three environments.

Each snippet lives in a function; the tests call it under the plugin's
simulated environments and check what reached the fake tracking server. The
snippets use the literal workspace ``my-workspace`` and config ``prod-d``
(``conftest.py`` beside this file makes the simulated workspace match them).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable

import pytest


def tracking_block(train_one_epoch: Callable[[int], float]) -> None:
    # <tracking_block>
    import mlflow

    import orquestra_mlflow as om

    with om.tracking("my-workspace", config_name="prod-d"):
        mlflow.set_experiment("training")
        with mlflow.start_run():
            mlflow.log_param("learning_rate", 0.01)
            for epoch in range(3):
                loss = train_one_epoch(epoch)  # hours may pass: the token is re-read
                mlflow.log_metric("loss", loss, step=epoch)
    # Here MLflow's settings and variables are back to what they were.
    # </tracking_block>


def tracking_decorator() -> Callable[[], str]:
    # <tracking_decorator>
    import mlflow

    import orquestra_mlflow as om

    @om.tracking("my-workspace", config_name="prod-d")
    def train_model() -> str:
        mlflow.set_experiment("training")
        with mlflow.start_run() as run:
            mlflow.log_param("learning_rate", 0.01)
            mlflow.log_metric("loss", 0.3)
        return run.info.run_id

    # </tracking_decorator>
    return train_model


def auth_provider_only() -> None:
    # <auth_provider_only>
    import os

    import orquestra_mlflow as om

    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri("my-workspace", config_name="prod-d")
    os.environ["MLFLOW_TRACKING_AUTH"] = "orquestra"  # re-read the token for every request
    os.environ["ORQ_MLFLOW_CONFIG_NAME"] = "prod-d"  # on your machine: whose token to send
    # </auth_provider_only>


def disable_run_tags() -> None:
    # <disable_run_tags>
    import os

    os.environ["ORQ_MLFLOW_DISABLE_RUN_TAGS"] = "true"
    # </disable_run_tags>


def _config_name_warning(kind: str) -> contextlib.AbstractContextManager[object]:
    """Remotely the snippets' ``config_name`` is ignored with a UserWarning; locally, silence."""
    if kind == "local":
        return warnings.catch_warnings()
    return pytest.warns(UserWarning, match="config_name")


def test_tracking_block_logs_and_survives_a_token_rotation(orq_env, orq_mlflow) -> None:
    def train_one_epoch(epoch: int) -> float:
        if epoch == 1:
            orq_env.rotate_token()  # the passport rotates, or you run `orq login` again
        return [0.9, 0.5, 0.3][epoch]

    before = {
        name: os.environ.get(name) for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_AUTH")
    }
    with _config_name_warning(orq_env.kind):
        orq_env.run_task(tracking_block, train_one_epoch)

    run = orq_mlflow.only_run()
    assert (run.experiment_name, run.params, run.status) == (
        "training",
        {"learning_rate": "0.01"},
        "FINISHED",
    )
    assert run.metric_history("loss") == [(0, 0.9), (1, 0.5), (2, 0.3)]
    assert run.system_tags["mlflow.user"] == orq_env.user
    assert run.tags["orquestra.workspace"] == "my-workspace"
    orq_mlflow.assert_all_authenticated()
    assert {n: os.environ.get(n) for n in before} == before


def test_decorated_task_twice_on_a_reused_worker_leaves_nothing_behind(orq_env, orq_mlflow) -> None:
    train_model = tracking_decorator()

    def what_the_next_task_sees() -> dict[str, str | None]:
        names = ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_AUTH")
        return {name: os.environ.get(name) for name in names}

    worker = orq_env.worker("reused")  # Ray reusing one worker process for several tasks
    with _config_name_warning(orq_env.kind):
        first = worker.run_task(train_model)
    assert set(worker.run_task(what_the_next_task_sees).values()) == {None}
    with _config_name_warning(orq_env.kind):
        second = worker.run_task(train_model)
    assert set(worker.run_task(what_the_next_task_sees).values()) == {None}
    assert [r.run_id for r in orq_mlflow.runs] == [first, second]


def test_auth_provider_only_refreshes_the_token(orq_env, orq_mlflow) -> None:
    import mlflow

    with _config_name_warning(orq_env.kind):
        auth_provider_only()
    with mlflow.start_run():
        mlflow.log_param("before", "rotation")
        orq_env.rotate_token()
        mlflow.log_param("after", "rotation")
    assert orq_mlflow.only_run().params == {"before": "rotation", "after": "rotation"}
    orq_mlflow.assert_all_authenticated()


@pytest.mark.orq_env("studio", "ce")
def test_disable_run_tags_keeps_runs_untagged(orq_env, orq_mlflow) -> None:
    import mlflow

    import orquestra_mlflow as om

    disable_run_tags()
    with om.tracking("my-workspace"), mlflow.start_run():
        pass
    assert not [tag for tag in orq_mlflow.only_run().tags if tag.startswith("orquestra.")]
