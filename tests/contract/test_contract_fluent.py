"""Contract scenarios: the fluent API as a user's script drives it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Client-side context tags: identical for both targets within one process; kept.
_SOURCE_TAGS = ("mlflow.source.name", "mlflow.source.type", "mlflow.user")


def scenario_typical_fluent_run(ctx: Any) -> Any:
    """set_experiment, start_run, params/metrics/tags/artifacts, a nested run, read back."""
    mlflow = ctx.mlflow
    exp = mlflow.set_experiment(ctx.name("fluent"))
    (ctx.tmp / "report.txt").write_text("accuracy: 0.9\n")
    (ctx.tmp / "plots").mkdir()
    (ctx.tmp / "plots" / "loss.bin").write_bytes(bytes(range(200)))
    with mlflow.start_run(run_name="outer", description="the outer run") as outer:
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"epochs": 3, "optimizer": "adam"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=4)
        mlflow.set_tag("team", "quantum")
        mlflow.set_tags({"stage": "dev", "priority": 1})
        mlflow.log_artifact(str(ctx.tmp / "report.txt"))
        mlflow.log_artifacts(str(ctx.tmp / "plots"), artifact_path="plots")
        mlflow.log_text("some text", "texts/a.txt")
        mlflow.log_dict({"x": 1}, "config.json")
        with mlflow.start_run(run_name="inner", nested=True) as inner:
            mlflow.log_param("inner_param", "yes")
            mlflow.log_metric("inner_metric", 42)
        inner_status = mlflow.get_run(inner.info.run_id).info.status
        active_inside = mlflow.active_run().info.run_id == outer.info.run_id
    outer_run = ctx.client.get_run(outer.info.run_id)
    inner_run = ctx.client.get_run(inner.info.run_id)
    found = mlflow.search_runs(experiment_ids=[exp.experiment_id], order_by=["start_time ASC"])
    dl = Path(mlflow.artifacts.download_artifacts(run_id=outer.info.run_id, dst_path="dl"))
    return {
        "experiment": ctx.experiment(exp),
        "outer": _with_source_tags(ctx.run(outer_run)),
        "inner": _with_source_tags(ctx.run(inner_run)),
        "inner_status_after_block": inner_status,
        "outer_active_inside": active_inside,
        "active_after": mlflow.active_run(),
        "loss": ctx.history(outer.info.run_id, "loss"),
        "tree": ctx.artifact_tree(outer.info.run_id),
        "downloaded": ctx.files(dl),
        "search_runs_df": {
            "columns": sorted(found.columns),
            "names": list(found["tags.mlflow.runName"]),
            "params.lr": list(found["params.lr"].fillna("<missing>")),
        },
        "last_active_is_outer": mlflow.last_active_run().info.run_id == outer.info.run_id,
    }


def _with_source_tags(run: dict[str, Any]) -> dict[str, Any]:
    """Keep the client-side source tags' presence, not their values."""
    tags = run["tags"]
    for key in _SOURCE_TAGS:
        if key in tags:
            tags[key] = "<present>"
    return run


def scenario_fluent_failed_and_resumed_run(ctx: Any) -> Any:
    mlflow = ctx.mlflow
    mlflow.set_experiment(ctx.name("resume"))
    try:
        with mlflow.start_run(run_name="crashy") as run:
            mlflow.log_param("p", 1)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    failed = ctx.client.get_run(run.info.run_id).info.status
    with mlflow.start_run(run_id=run.info.run_id):
        mlflow.log_metric("after_resume", 1.0)
        resumed = mlflow.active_run().info.status
    mlflow.start_run(run_name="killed")
    killed_id = mlflow.active_run().info.run_id
    mlflow.end_run(status="KILLED")
    return {
        "failed_status": failed,
        "resumed_status": resumed,
        "final": _with_source_tags(ctx.get_run(run.info.run_id)),
        "killed": ctx.get_run(killed_id)["info"]["status"],
        "log_param_again_different": ctx.error(ctx.client.log_param, run.info.run_id, "p", 2),
    }


def scenario_fluent_set_experiment_variants(ctx: Any) -> Any:
    mlflow = ctx.mlflow
    created = mlflow.set_experiment(ctx.name("variant"))
    again = mlflow.set_experiment(ctx.name("variant"))
    by_id = mlflow.set_experiment(experiment_id=created.experiment_id)
    mlflow.set_experiment_tag("k", "v")
    deleted_id = ctx.new_experiment("deleted")
    ctx.client.delete_experiment(deleted_id)
    return {
        "same_id": created.experiment_id == again.experiment_id == by_id.experiment_id,
        "tags": dict(sorted(mlflow.get_experiment(created.experiment_id).tags.items())),
        "set_deleted_by_name": ctx.error(mlflow.set_experiment, ctx.name("deleted")),
        "set_deleted_by_id": ctx.error(mlflow.set_experiment, experiment_id=deleted_id),
        "set_missing_id": ctx.error(mlflow.set_experiment, experiment_id="987654321"),
        "get_by_name": ctx.experiment(mlflow.get_experiment_by_name(ctx.name("variant"))),
    }


def scenario_search_logged_models(ctx: Any) -> Any:
    """The typical fluent run also calls ``logged-models/search``: with no models, it is empty."""
    exp_id = ctx.new_experiment()
    with ctx.mlflow.start_run(experiment_id=exp_id):
        ctx.mlflow.log_param("p", 1)
    return {
        "client": list(ctx.client.search_logged_models(experiment_ids=[exp_id])),
        "fluent_len": len(ctx.mlflow.search_logged_models(experiment_ids=[exp_id])),
        "last_logged_model": ctx.mlflow.last_logged_model(),
    }


def scenario_fluent_async_logging(ctx: Any) -> Any:
    """``synchronous=False`` logging: the client batches in the background, then flushes."""
    mlflow = ctx.mlflow
    mlflow.set_experiment(ctx.name("async"))
    with mlflow.start_run(run_name="async") as run:
        ops = [mlflow.log_metric("m", float(i), step=i, synchronous=False) for i in range(20)]
        ops.append(mlflow.log_param("p", "v", synchronous=False))
        ops.append(mlflow.set_tag("t", "v", synchronous=False))
        for op in ops:
            op.wait()
    mlflow.flush_async_logging()
    return {
        "run": _with_source_tags(ctx.get_run(run.info.run_id)),
        "history": [(m["step"], m["value"]) for m in ctx.history(run.info.run_id, "m")],
    }


def scenario_fluent_tables_datasets_and_parents(ctx: Any) -> Any:
    """``log_table`` (an artifact plus a tag), ``log_input`` of a numpy dataset, parents.

    Numbers only: with pandas 3, mlflow's handling of string columns and pandas
    datasets trips pandas deprecation warnings (errors under ``filterwarnings``).
    """
    import numpy as np

    mlflow = ctx.mlflow
    mlflow.set_experiment(ctx.name("tables"))
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_table(data={"col": [1, 2], "val": [0.5, 1.5]}, artifact_file="tables/t.json")
        dataset = mlflow.data.from_numpy(
            np.arange(6.0).reshape(3, 2), source="https://example.invalid/data.npy", name="arr"
        )
        mlflow.log_input(dataset, context="training", tags={"split": "train"})
        with mlflow.start_run(run_name="child", nested=True) as child:
            pass
    found = mlflow.search_runs(
        experiment_ids=[parent.info.experiment_id],
        filter_string="tags.mlflow.runName = 'child'",
        output_format="list",
    )
    table = mlflow.load_table("tables/t.json", run_ids=[parent.info.run_id])
    return {
        "parent": _with_source_tags(ctx.get_run(parent.info.run_id)),
        "tree": ctx.artifact_tree(parent.info.run_id),
        "table_rows": table.to_dict("records"),
        "parent_of_child": mlflow.get_parent_run(child.info.run_id).info.run_name,
        "parent_of_parent": mlflow.get_parent_run(parent.info.run_id),
        "search_list": [r.info.run_name for r in found],
    }


def test_scenario(contract: Any, scenario: Any) -> None:
    contract.check(scenario)
