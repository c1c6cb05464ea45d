"""The documented example: an MLflow task that runs unchanged on a laptop, in Studio and on CE.

The docs include :func:`train_task` (between the ``<train_task>`` markers).
``orq-mlflow demo`` runs this module in a fresh process per environment::

    python -m orquestra_mlflow.demo_task WORKSPACE_ID [--config NAME]

which calls the task once and prints one JSON line: the run ID, the tracking
URI the library chose, and what the task logged, computed from :data:`LEARNING_RATE` and :data:`EPOCHS`
without asking the server (so the demo can check what the server received).
Needs ``mlflow`` (``mlflow-skinny`` is enough).
"""

from __future__ import annotations

# <train_task>
import os

import mlflow

import orquestra_mlflow

LEARNING_RATE = 0.1
EPOCHS = 5


def train_task(workspace_id: str, config_name: str | None = None) -> str:
    """Train a toy model, tracking it in the workspace's MLflow server; return the run ID.

    ``config_name`` (a config made by `orq login`) is used on a local machine
    only; in Studio and on Compute Engine the cluster-local server is used.
    """
    # Set these inside every task: a CE worker keeps no global state between tasks.
    os.environ["MLFLOW_TRACKING_URI"] = orquestra_mlflow.get_tracking_uri(
        workspace_id, config_name=config_name
    )
    os.environ["MLFLOW_TRACKING_TOKEN"] = orquestra_mlflow.get_tracking_token(
        config_name=config_name
    )

    mlflow.set_experiment("orquestra-mlflow-demo")
    with mlflow.start_run() as run:
        mlflow.log_params({"learning_rate": LEARNING_RATE, "epochs": EPOCHS})
        loss = 1.0
        for epoch in range(EPOCHS):
            loss *= 1 - LEARNING_RATE
            mlflow.log_metric("loss", loss, step=epoch)

        # Artifacts are uploaded from files: write them where every environment allows.
        report = orquestra_mlflow.get_temp_artifacts_dir() / f"report-{run.info.run_id}.txt"
        report.write_text(f"final loss: {loss:.4f}\n", encoding="utf-8")
        mlflow.log_artifact(str(report), artifact_path="reports")
        report.unlink()
    run_id: str = run.info.run_id
    return run_id


# </train_task>


def expected_record(run_id: str) -> dict[str, object]:
    """What :func:`train_task` logs in the run ``run_id``, computed from :data:`LEARNING_RATE` and :data:`EPOCHS` alone.

    ``params`` as the server stores them (strings), the ``loss`` history as
    ``[step, value]`` pairs, and each artifact's path and text.
    """
    history = []
    loss = 1.0
    for epoch in range(EPOCHS):
        loss *= 1 - LEARNING_RATE
        history.append([epoch, loss])
    return {
        "params": {"learning_rate": str(LEARNING_RATE), "epochs": str(EPOCHS)},
        "metrics": {"loss": history},
        "artifacts": {f"reports/report-{run_id}.txt": f"final loss: {loss:.4f}\n"},
    }


def main(argv: list[str] | None = None) -> int:
    """Run :func:`train_task` once and print one JSON line about the run (never the token)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m orquestra_mlflow.demo_task")
    parser.add_argument("workspace_id")
    parser.add_argument("--config", default=None, help="the `orq login` config (local only)")
    args = parser.parse_args(argv)
    run_id = train_task(args.workspace_id, config_name=args.config)
    report = {
        "run_id": run_id,
        "tracking_uri": os.environ["MLFLOW_TRACKING_URI"],
        "environment": orquestra_mlflow.detect_environment().kind,
        "expected": expected_record(run_id),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
