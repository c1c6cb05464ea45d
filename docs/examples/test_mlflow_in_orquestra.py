"""The examples of the guide "MLflow in Orquestra", run in all three environments.

Each snippet lives in a function; the tests call it under the plugin's
simulated environments and check what reached the fake tracking server.
The snippets use the literal workspace ``my-workspace`` and config ``prod-d``;
``conftest.py`` beside this file makes the simulated workspace match them.
"""

from __future__ import annotations

import contextlib
import warnings

import pytest


def tracking_uri_token() -> None:
    # <tracking_uri_token>
    import os

    import orquestra_mlflow as om

    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(
        workspace_id="my-workspace", config_name="prod-d"
    )
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token(config_name="prod-d")
    # </tracking_uri_token>


def tracking_task() -> str:
    # <tracking_task>
    import os

    import mlflow

    import orquestra_mlflow as om

    def train_model() -> str:
        # Inside the task: a CE worker does not see what your workflow file set.
        os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri("my-workspace", "prod-d")
        os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token("prod-d")

        mlflow.set_experiment("training")
        with mlflow.start_run() as run:
            mlflow.log_param("learning_rate", 0.01)
            for epoch, loss in enumerate([0.9, 0.5, 0.3]):
                mlflow.log_metric("loss", loss, step=epoch)
        return run.info.run_id

    # </tracking_task>
    return train_model()


def artifacts_dir() -> None:
    # <artifacts_dir>
    import mlflow

    import orquestra_mlflow as om

    with mlflow.start_run():
        path = om.get_temp_artifacts_dir() / "predictions.csv"
        with path.open("w") as f:
            f.write("id,prediction\n1,0.93\n2,0.12\n")
        mlflow.log_artifact(str(path))
    # </artifacts_dir>


def artifacts_dir_override(tmp_dir: str) -> str:
    # <artifacts_dir_override>
    import os

    import orquestra_mlflow as om

    os.environ["ORQ_MLFLOW_ARTIFACTS_DIR"] = tmp_dir
    artifacts = om.get_temp_artifacts_dir()  # == pathlib.Path(tmp_dir), created if missing
    # </artifacts_dir_override>
    return str(artifacts)


def _config_name_warning(kind: str) -> contextlib.AbstractContextManager[object]:
    """Remotely the snippets' ``config_name`` is ignored with a UserWarning; locally, silence."""
    if kind == "local":
        return warnings.catch_warnings()
    return pytest.warns(UserWarning, match="config_name")


def test_tracking_uri_token_sets_what_mlflow_reads(orq_env, orq_mlflow) -> None:
    import os

    with _config_name_warning(orq_env.kind):
        tracking_uri_token()  # in the test's process, which the fixture made local/studio/ce
    assert os.environ["MLFLOW_TRACKING_URI"] == orq_env.tracking_uri
    assert os.environ["MLFLOW_TRACKING_TOKEN"] == orq_env.token
    expected = {
        "local": "https://prod-d.orquestra.io/mlflow/my-workspace",
        "studio": "http://mlflow.my-workspace-ns:8080",
        "ce": "http://mlflow.my-workspace-ns:8080",
    }
    assert orq_env.tracking_uri == expected[orq_env.kind]


def test_tracking_task_logs_to_the_workspace_server(orq_env, orq_mlflow) -> None:
    with _config_name_warning(orq_env.kind):
        run_id = orq_env.run_task(tracking_task)
    run = orq_mlflow.only_run()
    assert run.run_id == run_id
    assert run.experiment_name == "training"
    assert run.params == {"learning_rate": "0.01"}
    assert run.metric_history("loss") == [(0, 0.9), (1, 0.5), (2, 0.3)]
    assert run.status == "FINISHED"
    orq_mlflow.assert_all_authenticated()


def test_artifacts_are_written_then_uploaded(orq_env, orq_mlflow) -> None:
    with _config_name_warning(orq_env.kind):
        orq_env.run_task(_connected(artifacts_dir))
    run = orq_mlflow.only_run()
    assert run.artifacts == {"predictions.csv": b"id,prediction\n1,0.93\n2,0.12\n"}


@pytest.mark.orq_env("local")
def test_artifacts_dir_override(orq_env, tmp_path) -> None:
    target = tmp_path / "my-artifacts"
    assert orq_env.run_task(artifacts_dir_override, str(target)) == str(target)
    assert target.is_dir()


def _connected(fn):  # type: ignore[no-untyped-def]
    """``fn`` preceded by the connection snippet (a CE task must connect inside itself)."""

    def task() -> None:
        tracking_uri_token()
        fn()

    return task
