"""Helpers for the plugin's tests.

mlflow is imported here, once: ``pytester``'s in-process runs restore
``sys.modules`` afterwards, and a module first imported inside an inner run
would be dropped and re-imported by the next one (slow, and unsafe for mlflow).
"""

from __future__ import annotations

import textwrap

import mlflow  # noqa: F401  (see the module docstring)
import pytest

#: The test of the issue, used by several plugin tests.
EXAMPLE = textwrap.dedent(
    """
    import os

    import mlflow
    import orquestra_mlflow as om


    def train(workspace_id, config_name=None):
        os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(workspace_id=workspace_id, config_name=config_name)
        os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token(config_name=config_name)
        with mlflow.start_run():
            mlflow.log_param("lr", 0.1)
            path = om.get_temp_artifacts_dir() / "model.txt"; path.write_text("weights")
            mlflow.log_artifact(str(path))


    def test_train(orq_env, orq_mlflow):
        orq_env.run_task(train, orq_env.workspace_id, orq_env.config_name)
        run = orq_mlflow.only_run()
        assert run.params == {"lr": "0.1"} and run.artifacts["model.txt"] == b"weights"
    """
)

#: Options for inner runs: deterministic order, no cache dir in the pytester tree.
INNER = ("-p", "no:randomly", "-p", "no:cacheprovider", "-W", "error")


@pytest.fixture
def example_source() -> str:
    """The issue's example test module."""
    return EXAMPLE
