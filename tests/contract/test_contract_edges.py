"""Contract scenarios: edge cases users meet (odd names, duplicates, extreme values, quoting)."""

from __future__ import annotations

import time
from typing import Any


def _run(ctx: Any, **kwargs: Any) -> str:
    return str(ctx.client.create_run(ctx.new_experiment(), **kwargs).info.run_id)


def scenario_metric_keys_with_slashes_and_duplicates(ctx: Any) -> Any:
    from mlflow.entities import Metric

    run_id = _run(ctx, run_name="keys")
    c = ctx.client
    for key in ["train/loss", "val.acc", "with space", "a:b", "x-y_z"]:
        c.log_metric(run_id, key, 1.0, timestamp=1_000, step=0)
    # the very same point twice, then again inside one batch
    c.log_metric(run_id, "dup", 1.0, timestamp=1_000, step=0)
    c.log_metric(run_id, "dup", 1.0, timestamp=1_000, step=0)
    c.log_batch(run_id, metrics=[Metric("dup2", 2.0, 1_000, 0), Metric("dup2", 2.0, 1_000, 0)])
    # same step and timestamp, different values
    c.log_metric(run_id, "clash", 1.0, timestamp=1_000, step=0)
    c.log_metric(run_id, "clash", 3.0, timestamp=1_000, step=0)
    c.log_metric(run_id, "clash", 2.0, timestamp=1_000, step=0)
    # extreme steps and timestamps
    c.log_metric(run_id, "steps", 1.0, timestamp=0, step=2**62)
    c.log_metric(run_id, "steps", 2.0, timestamp=2**62, step=-(2**62))
    return {
        "metrics": ctx.get_run(run_id)["metrics"],
        "slash_history": ctx.history(run_id, "train/loss"),
        "dup": ctx.history(run_id, "dup"),
        "dup2": ctx.history(run_id, "dup2"),
        "clash": sorted(m["value"] for m in ctx.history(run_id, "clash")),
        "steps": [(m.step, m.timestamp) for m in c.get_metric_history(run_id, "steps")],
        "search_backticks": ctx.outcome(
            ctx.search_runs,
            [ctx.client.get_run(run_id).info.experiment_id],
            filter_string="metrics.`train/loss` = 1.0 and metrics.`with space` >= 1",
        ),
    }


def scenario_odd_experiment_names(ctx: Any) -> Any:
    c = ctx.client
    names = {
        "unicode": ctx.name("ünïcødé ✓"),
        "quote": ctx.name("it's"),
        "percent": ctx.name("100%"),
        "underscore": ctx.name("a_b"),
        "slash": ctx.name("team/project"),
        "spaces": ctx.name("  padded  "),
    }
    ids = {}
    for label, name in names.items():
        ids[label] = ctx.outcome(c.create_experiment, name)
        time.sleep(0.002)
    found = {
        label: (e.name if (e := c.get_experiment_by_name(name)) else None)
        for label, name in names.items()
        if isinstance(ids[label], str)
    }

    def like(pattern: str) -> Any:
        return ctx.outcome(
            lambda: sorted(
                e.name
                for e in c.search_experiments(filter_string=f"name LIKE '{ctx.prefix}{pattern}'")
            )
        )

    return {
        "created": {k: isinstance(v, str) or v for k, v in ids.items()},
        "found": found,
        "like_underscore_wildcard": like("a_b"),
        "like_percent": like("%\\%%"),
        "like_unicode": like("ünï%"),
        "equals_with_quote": ctx.outcome(
            lambda: [
                e.name for e in c.search_experiments(filter_string=f'name = "{names["quote"]}"')
            ]
        ),
    }


def scenario_run_names(ctx: Any) -> Any:
    exp_id = ctx.new_experiment()
    c = ctx.client

    def create(name: str) -> Any:
        result = ctx.outcome(c.create_run, exp_id, run_name=name)
        if isinstance(result, dict):
            return result
        run_name = ctx.get_run(result.info.run_id)["info"]["run_name"]
        return {"run_name": run_name if len(run_name) < 50 else f"<{len(run_name)} chars>"}

    return {
        "unicode": create("rün ✓"),
        "long_250": create("r" * 250),
        "long_251": create("r" * 251),
        "long_1000": create("r" * 1000),
        "empty": create(""),
        "search_unicode": ctx.search_runs([exp_id], filter_string="run_name = 'rün ✓'"),
        "same_name_twice": len([create("twin"), create("twin")]),
        "twins": ctx.search_runs([exp_id], filter_string="run_name = 'twin'"),
    }


def scenario_search_runs_more_filters(ctx: Any) -> Any:
    from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag

    exp_id = ctx.new_experiment()
    c = ctx.client
    rows = [
        ("a", 1.0, "x", "t1", "train"),
        ("b", float("nan"), "y", "t2", "eval"),
        ("c", 3.0, "x", None, None),
        ("d", float("inf"), "z", "t1", "train"),
    ]
    for i, (name, value, param, tag, context) in enumerate(rows):
        run_id = c.create_run(exp_id, run_name=name, start_time=10_000 + i).info.run_id
        c.log_batch(
            run_id,
            metrics=[Metric("m", value, 1, 0)],
            params=[Param("p", param)],
            tags=[RunTag("t", tag)] if tag else [],
        )
        if context:
            ds = Dataset(name=f"ds-{context}", digest=f"dg{i}", source_type="local", source="{}")
            c.log_inputs(
                run_id, datasets=[DatasetInput(ds, [InputTag("mlflow.data.context", context)])]
            )

    def names(filter_string: str, order_by: list[str] | None = None) -> Any:
        found = ctx.outcome(
            ctx.search_runs, [exp_id], filter_string=filter_string, order_by=order_by
        )
        return found if order_by or not isinstance(found, list) else sorted(found)

    return {
        "metric_gt_with_nan_and_inf": names("metrics.m > 2"),
        "metric_lt": names("metrics.m < 2"),
        "metric_order_asc": names("", ["metrics.m ASC"]),
        "metric_order_desc": names("", ["metrics.m DESC"]),
        "param_and_tag": names("params.p = 'x' and tags.t = 't1'"),
        "tag_missing_ne": names("tags.t != 't1'"),
        "tag_is_null": names("tags.t IS NULL"),
        "tag_is_not_null": names("tags.t IS NOT NULL"),
        "param_like_case": names("params.p LIKE 'X'"),
        "param_ilike_case": names("params.p ILIKE 'X'"),
        "dataset_name": names("datasets.name = 'ds-train'"),
        "dataset_context": names("datasets.context = 'eval'"),
        "dataset_digest_in": names("datasets.digest IN ('dg0', 'dg1')"),
        "run_name_in": names("attributes.run_name IN ('a', 'c')"),
        "run_name_not_like": names("attributes.run_name NOT LIKE 'a%'"),
        "status_in": names("attributes.status IN ('RUNNING')"),
        "lifecycle": names("attributes.lifecycle_stage = 'active'"),
        "start_time_order": names("", ["attributes.start_time DESC"]),
        "artifact_uri": names("attributes.artifact_uri LIKE '%artifacts'"),
        "created": names("attributes.created > 0"),
        "user_id": names("attributes.user_id = 'unknown'"),
    }


def scenario_deleted_experiment_runs(ctx: Any) -> Any:
    from mlflow.entities import ViewType

    exp_id = ctx.new_experiment()
    c = ctx.client
    live = c.create_run(exp_id, run_name="live").info.run_id
    dead = c.create_run(exp_id, run_name="dead").info.run_id
    c.delete_run(dead)
    c.delete_experiment(exp_id)
    during = {
        "restore_run": ctx.error(c.restore_run, dead),
        "delete_run": ctx.error(c.delete_run, live),
        "set_terminated": ctx.error(c.set_terminated, live),
        "search_deleted": sorted(ctx.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)),
        "history": ctx.history(live, "x"),
        "list_artifacts": ctx.artifacts(live),
    }
    c.restore_experiment(exp_id)
    return {
        "during": during,
        "after": {
            "live": ctx.get_run(live)["info"],
            "dead": ctx.get_run(dead)["info"],
            "active": sorted(ctx.search_runs([exp_id], run_view_type=ViewType.ACTIVE_ONLY)),
        },
    }


def scenario_search_experiments_more(ctx: Any) -> Any:
    from mlflow.entities import ViewType

    c = ctx.client
    ids = []
    for label in ["one", "two", "three"]:
        ids.append(ctx.new_experiment(label, tags={"n": label}))
        time.sleep(0.003)
    c.set_experiment_tag(ids[0], "touched", "yes")  # updates last_update_time
    c.delete_experiment(ids[2])
    like = f"name LIKE '{ctx.prefix}%'"

    def names(**kwargs: Any) -> Any:
        return ctx.outcome(lambda: [e.name for e in c.search_experiments(**kwargs)])

    return {
        "last_update_desc": names(filter_string=like, order_by=["last_update_time DESC"]),
        "id_asc": names(filter_string=like, order_by=["experiment_id ASC"]),
        "all_views_by_name": names(
            filter_string=like, view_type=ViewType.ALL, order_by=["name DESC"]
        ),
        "created_after_0": names(
            filter_string=f"{like} AND attributes.creation_time > 0", order_by=["name"]
        ),
        "tag_in": names(filter_string=f"{like} AND tags.n IN ('one', 'two')", order_by=["name"]),
        "tag_ilike": names(filter_string=f"{like} AND tags.n ILIKE 'T%'", order_by=["name"]),
        "bad_page_token": ctx.error(c.search_experiments, page_token="garbage"),
    }


def scenario_negative_metric_timestamp(ctx: Any) -> Any:
    run_id = _run(ctx, run_name="neg")
    return {
        "log_metric": ctx.error(ctx.client.log_metric, run_id, "neg", 1.0, timestamp=-5),
        "metrics": ctx.get_run(run_id)["metrics"],
    }


def scenario_search_experiments_order_by_tag(ctx: Any) -> Any:
    ctx.new_experiment("tagged", tags={"n": "1"})
    return {
        "order_by_tag": ctx.error(ctx.client.search_experiments, order_by=["tags.n"]),
        "order_by_param": ctx.error(ctx.client.search_experiments, order_by=["params.n"]),
    }


def test_scenario(contract: Any, scenario: Any) -> None:
    contract.check(scenario)
