"""The contract machinery itself: a scenario leaves no trace in MLflow's global state."""

from __future__ import annotations

import os
from typing import Any


def _leaves_a_mess(ctx: Any) -> Any:
    """Sets an experiment and leaves a run (and a nested one) active."""
    ctx.mlflow.set_experiment(ctx.name("messy"))
    ctx.mlflow.start_run(run_name="left-open")
    ctx.mlflow.start_run(run_name="left-open-child", nested=True)
    return {"active": ctx.mlflow.active_run().info.run_name}


def _global_state() -> dict[str, Any]:
    import mlflow
    from mlflow.tracking import fluent
    from mlflow.tracking._tracking_service import utils as tracking_utils

    return {
        "cwd": os.getcwd(),
        "tracking_uri": tracking_utils._tracking_uri,
        "active_experiment": fluent._active_experiment_id,
        "active_run": mlflow.active_run(),
        "env": {
            k: os.environ.get(k)
            for k in (
                "MLFLOW_TRACKING_URI",
                "MLFLOW_TRACKING_TOKEN",
                "MLFLOW_EXPERIMENT_ID",
                "MLFLOW_EXPERIMENT_NAME",
                "MLFLOW_RUN_ID",
            )
        },
    }


def test_a_scenario_leaves_no_trace(contract: Any, contract_tracking_uri: str) -> None:
    before = _global_state()
    observed = contract.run(_leaves_a_mess, contract_tracking_uri, "hygiene")
    assert observed == {"active": "left-open-child"}
    assert _global_state() == before


def test_the_observation_normaliser(contract: Any, contract_tracking_uri: str) -> None:
    """IDs become placeholders in order of appearance; names lose their token; times go."""

    def scenario(ctx: Any) -> Any:
        exp_id = ctx.new_experiment("norm")
        run = ctx.client.create_run(exp_id, run_name="n")
        other = ctx.client.create_run(exp_id)
        return {
            "ids": [other.info.run_id, run.info.run_id, other.info.run_id],
            "run": ctx.run_info(run.info),
            "nan": float("nan"),
            "ctx_name": ctx.name("x"),
            "start_time": 123,
        }

    observed = contract.run(scenario, contract_tracking_uri, "normaliser")
    assert observed["ids"] == ["<run1>", "<run2>", "<run1>"]
    assert observed["run"]["experiment_id"] == "<exp1>"
    assert observed["run"]["artifact_uri"] == "mlflow-artifacts:/<exp1>/<run2>/artifacts"
    assert "start_time" not in observed["run"]
    assert "start_time" not in observed
    assert observed["nan"] == "NaN"
    assert observed["ctx_name"] == "ct-<T>-x"
