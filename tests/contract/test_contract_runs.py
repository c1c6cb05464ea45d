"""Contract scenarios: runs (create, get, update, delete, restore, params, tags, batches)."""

from __future__ import annotations

from typing import Any


def scenario_create_and_get_run(ctx: Any) -> Any:
    exp_id = ctx.new_experiment()
    named = ctx.client.create_run(exp_id, run_name="named", tags={"t1": "v1", "t2": ""})
    unnamed = ctx.client.create_run(exp_id)
    return {
        "created": ctx.run(named),
        "fetched": ctx.get_run(named.info.run_id),
        "unnamed": ctx.get_run(unnamed.info.run_id),
        "run_id_len": len(named.info.run_id),
    }


def scenario_run_name_tag(ctx: Any) -> Any:
    exp_id = ctx.new_experiment()
    by_tag = ctx.client.create_run(exp_id, tags={"mlflow.runName": "from-tag"})
    both = ctx.client.create_run(exp_id, run_name="same", tags={"mlflow.runName": "same"})
    renamed = ctx.client.create_run(exp_id, run_name="first")
    ctx.client.update_run(renamed.info.run_id, name="second")
    tag_renamed = ctx.client.create_run(exp_id, run_name="one")
    ctx.client.set_tag(tag_renamed.info.run_id, "mlflow.runName", "two")
    return {
        "by_tag": ctx.get_run(by_tag.info.run_id),
        "both": ctx.get_run(both.info.run_id)["info"]["run_name"],
        "renamed": ctx.get_run(renamed.info.run_id),
        "tag_renamed": ctx.get_run(tag_renamed.info.run_id),
        "conflicting": ctx.error(
            ctx.client.create_run, exp_id, run_name="a", tags={"mlflow.runName": "b"}
        ),
    }


def scenario_update_run_status(ctx: Any) -> Any:
    exp_id = ctx.new_experiment()
    run_id = ctx.client.create_run(exp_id, run_name="r").info.run_id
    seen = []
    for status in ["SCHEDULED", "RUNNING", "FAILED", "KILLED", "RUNNING"]:
        ctx.client.update_run(run_id, status=status)
        seen.append(ctx.get_run(run_id)["info"])
    ctx.client.set_terminated(run_id)
    seen.append(ctx.get_run(run_id)["info"])
    ctx.client.set_terminated(run_id, status="FAILED", end_time=1_700_000_000_000)
    info = ctx.client.get_run(run_id).info
    return {"seen": seen, "explicit_end_time": info.end_time}


def scenario_missing_run(ctx: Any) -> Any:
    ghost = "0123456789abcdef0123456789abcdef"
    c = ctx.client
    return {
        "get": ctx.error(c.get_run, ghost),
        "update": ctx.error(c.update_run, ghost, status="FINISHED"),
        "delete": ctx.error(c.delete_run, ghost),
        "restore": ctx.error(c.restore_run, ghost),
        "log_metric": ctx.error(c.log_metric, ghost, "m", 1.0),
        "log_param": ctx.error(c.log_param, ghost, "p", "v"),
        "set_tag": ctx.error(c.set_tag, ghost, "t", "v"),
        "delete_tag": ctx.error(c.delete_tag, ghost, "t"),
        "log_batch": ctx.error(c.log_batch, ghost, params=[_param("p", "v")]),
        "history": ctx.error(c.get_metric_history, ghost, "m"),
        "create_in_missing_experiment": ctx.error(c.create_run, "987654321"),
    }


def _param(key: str, value: str) -> Any:
    from mlflow.entities import Param

    return Param(key, value)


def scenario_delete_and_restore_run(ctx: Any) -> Any:
    from mlflow.entities import ViewType

    exp_id = ctx.new_experiment()
    keep = ctx.client.create_run(exp_id, run_name="keep").info.run_id
    gone = ctx.client.create_run(exp_id, run_name="gone").info.run_id
    ctx.client.delete_run(gone)

    def names(view: int) -> list[str | None]:
        return sorted(ctx.search_runs([exp_id], run_view_type=view))

    deleted = {
        "gone": ctx.get_run(gone)["info"],
        "active": names(ViewType.ACTIVE_ONLY),
        "deleted": names(ViewType.DELETED_ONLY),
        "all": names(ViewType.ALL),
        "delete_again": ctx.error(ctx.client.delete_run, gone),
        "log_param_on_deleted": ctx.error(ctx.client.log_param, gone, "p", "v"),
        "set_tag_on_deleted": ctx.error(ctx.client.set_tag, gone, "t", "v"),
        "log_metric_on_deleted": ctx.error(ctx.client.log_metric, gone, "m", 1.0),
    }
    ctx.client.restore_run(gone)
    restored = {
        "gone": ctx.get_run(gone)["info"],
        "active": names(ViewType.ACTIVE_ONLY),
        "deleted": names(ViewType.DELETED_ONLY),
        "restore_active": ctx.error(ctx.client.restore_run, keep),
    }
    return {"deleted": deleted, "restored": restored}


def scenario_params(ctx: Any) -> Any:
    exp_id = ctx.new_experiment()
    run_id = ctx.client.create_run(exp_id).info.run_id
    c = ctx.client
    c.log_param(run_id, "str", "hello")
    c.log_param(run_id, "int", 3)
    c.log_param(run_id, "float", 0.1)
    c.log_param(run_id, "none", None)
    c.log_param(run_id, "list", [1, "a"])
    c.log_param(run_id, "empty", "")
    c.log_param(run_id, "spaces and/slash.-_", "x")
    c.log_param(run_id, "unicode", "ünïcødé ✓")
    return {
        "same_value_again": ctx.error(c.log_param, run_id, "str", "hello"),
        "different_value": ctx.error(c.log_param, run_id, "str", "bye"),
        "in_batch_different": ctx.error(c.log_batch, run_id, params=[_param("int", "4")]),
        "in_batch_same": ctx.error(c.log_batch, run_id, params=[_param("int", "3")]),
        "params": ctx.get_run(run_id)["params"],
    }


def scenario_invalid_keys(ctx: Any) -> Any:
    exp_id = ctx.new_experiment()
    run_id = ctx.client.create_run(exp_id).info.run_id
    c = ctx.client
    out = {}
    for key in ["bad~key", "../escape", "", "/leading", "a//b", "tab\tkey"]:
        out[repr(key)] = {
            "param": ctx.error(c.log_param, run_id, key, "v"),
            "metric": ctx.error(c.log_metric, run_id, key, 1.0),
            "tag": ctx.error(c.set_tag, run_id, key, "v"),
        }
    out["run"] = ctx.get_run(run_id)
    return out


def scenario_run_tags(ctx: Any) -> Any:
    exp_id = ctx.new_experiment()
    run_id = ctx.client.create_run(exp_id, run_name="tags", tags={"a": "1"}).info.run_id
    c = ctx.client
    c.set_tag(run_id, "b", "2")
    c.set_tag(run_id, "a", "overwritten")
    c.set_tag(run_id, "num", 4.5)
    c.set_tag(run_id, "mlflow.note.content", "# notes")
    after_set = ctx.get_run(run_id)["tags"]
    c.delete_tag(run_id, "b")
    return {
        "after_set": after_set,
        "after_delete": ctx.get_run(run_id)["tags"],
        "delete_missing": ctx.error(c.delete_tag, run_id, "b"),
    }


def scenario_log_batch(ctx: Any) -> Any:
    from mlflow.entities import Metric, RunTag

    exp_id = ctx.new_experiment()
    run_id = ctx.client.create_run(exp_id).info.run_id
    ctx.client.log_batch(
        run_id,
        metrics=[
            Metric("loss", 1.0, 1_000, 0),
            Metric("loss", 0.5, 2_000, 1),
            Metric("loss", 0.25, 3_000, 2),
            Metric("acc", 0.9, 1_000, 0),
        ],
        params=[_param("p1", "a"), _param("p2", "b")],
        tags=[RunTag("t1", "x"), RunTag("t2", "y")],
    )
    ctx.client.log_batch(run_id, tags=[RunTag("t1", "x2")])
    ctx.client.log_batch(run_id)  # empty: the client sends nothing
    return {
        "run": ctx.get_run(run_id),
        "loss": ctx.history(run_id, "loss"),
        "duplicate_param_in_batch": ctx.error(
            ctx.client.log_batch, run_id, params=[_param("p3", "a"), _param("p3", "b")]
        ),
        "after_duplicate": ctx.get_run(run_id)["params"],
    }


def scenario_nested_runs(ctx: Any) -> Any:
    from mlflow.entities import ViewType

    exp_id = ctx.new_experiment()
    parent = ctx.client.create_run(exp_id, run_name="parent").info.run_id
    child = ctx.client.create_run(
        exp_id, run_name="child", tags={"mlflow.parentRunId": parent}
    ).info.run_id
    ctx.client.create_run(exp_id, run_name="grandchild", tags={"mlflow.parentRunId": child})
    observed = {
        "child": ctx.get_run(child),
        "children_of_parent": ctx.search_runs(
            [exp_id], filter_string=f"tags.mlflow.parentRunId = '{parent}'"
        ),
        "all": sorted(ctx.search_runs([exp_id], run_view_type=ViewType.ALL)),
    }
    ctx.client.delete_run(parent)  # children are not deleted with their parent
    observed["after_deleting_parent"] = {
        "active": sorted(ctx.search_runs([exp_id], run_view_type=ViewType.ACTIVE_ONLY)),
        "deleted": sorted(ctx.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)),
    }
    return observed


def scenario_log_inputs(ctx: Any) -> Any:
    from mlflow.entities import Dataset, DatasetInput, InputTag

    exp_id = ctx.new_experiment()
    run_id = ctx.client.create_run(exp_id).info.run_id
    train = Dataset(
        name="train",
        digest="abc123",
        source_type="local",
        source='{"uri": "/data/train.csv"}',
        schema='{"mlflow_colspec": [{"type": "double", "name": "x"}]}',
        profile='{"num_rows": 10}',
    )
    evals = Dataset(name="eval", digest="def456", source_type="http", source='{"url": "x"}')
    ctx.client.log_inputs(
        run_id,
        datasets=[
            DatasetInput(train, tags=[InputTag("mlflow.data.context", "training")]),
            DatasetInput(evals, tags=[InputTag("mlflow.data.context", "eval")]),
        ],
    )
    # the same dataset again, with the same context: not duplicated
    ctx.client.log_inputs(
        run_id, datasets=[DatasetInput(train, tags=[InputTag("mlflow.data.context", "training")])]
    )
    inputs = ctx.get_run(run_id)["dataset_inputs"]
    return {"inputs": sorted(inputs, key=lambda d: d["dataset"]["name"])}


def _first_paragraph(message: str) -> str:
    """The message without the long usage advice the client appends to param errors."""
    return message.split("\n\n")[0]


def scenario_error_messages(ctx: Any) -> Any:
    """Messages users read, where the real server's are stable (first paragraph only)."""
    c = ctx.client
    exp_id = ctx.new_experiment("m")
    run_id = c.create_run(exp_id).info.run_id
    c.log_param(run_id, "p", "a")
    deleted = ctx.new_experiment("deleted")
    c.delete_experiment(deleted)

    def err(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return ctx.error(fn, *args, message=_first_paragraph, **kwargs)

    return {
        "missing_run": err(c.get_run, "0123456789abcdef0123456789abcdef"),
        "missing_experiment": err(c.get_experiment, "987654321"),
        "param_overwrite": err(c.log_param, run_id, "p", "b"),
        "bad_key": err(c.log_param, run_id, "bad~key", "b"),
        "long_key": err(c.log_param, run_id, "k" * 251, "b"),
        "long_metric_key": err(c.log_metric, run_id, "k" * 251, 1.0),
        "bad_filter": err(c.search_runs, [exp_id], "metrics.acc >"),
        "run_in_deleted_experiment": err(c.create_run, deleted),
        "delete_missing_tag": err(c.delete_tag, run_id, "nope"),
        "empty_experiment_name": err(c.create_experiment, ""),
    }


def test_scenario(contract: Any, scenario: Any) -> None:
    contract.check(scenario)
