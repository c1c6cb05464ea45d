"""Contract scenarios: metrics, histories, special float values, limits of keys and values."""

from __future__ import annotations

from typing import Any


def _run(ctx: Any) -> str:
    return str(ctx.client.create_run(ctx.new_experiment()).info.run_id)


def scenario_metric_history(ctx: Any) -> Any:
    run_id = _run(ctx)
    c = ctx.client
    # out of order steps and timestamps; the same step twice
    c.log_metric(run_id, "loss", 3.0, timestamp=3_000, step=2)
    c.log_metric(run_id, "loss", 1.0, timestamp=1_000, step=0)
    c.log_metric(run_id, "loss", 2.0, timestamp=2_000, step=1)
    c.log_metric(run_id, "loss", 2.5, timestamp=2_500, step=1)
    c.log_metric(run_id, "acc", 7, timestamp=5_000)
    c.log_metric(run_id, "neg_step", 1.5, timestamp=5_000, step=-3)
    history = c.get_metric_history(run_id, "loss")
    return {
        "loss": [ctx.metric(m) | {"ts": m.timestamp} for m in history],
        "acc": ctx.history(run_id, "acc"),
        "neg_step": ctx.history(run_id, "neg_step"),
        "unknown_key": ctx.history(run_id, "never-logged"),
        "latest": ctx.get_run(run_id)["metrics"],
    }


def scenario_latest_metric_value(ctx: Any) -> Any:
    """The run's metric is the one with the highest step, then timestamp, then value."""
    run_id = _run(ctx)
    c = ctx.client
    c.log_metric(run_id, "by_step", 10.0, timestamp=9_000, step=1)
    c.log_metric(run_id, "by_step", 20.0, timestamp=1_000, step=5)
    c.log_metric(run_id, "by_ts", 10.0, timestamp=9_000, step=0)
    c.log_metric(run_id, "by_ts", 20.0, timestamp=1_000, step=0)
    c.log_metric(run_id, "by_value", 10.0, timestamp=1_000, step=0)
    c.log_metric(run_id, "by_value", 5.0, timestamp=1_000, step=0)
    c.log_metric(run_id, "by_value", 30.0, timestamp=1_000, step=0)
    c.log_metric(run_id, "last_logged", 1.0, timestamp=1_000, step=3)
    c.log_metric(run_id, "last_logged", 2.0, timestamp=1_000, step=2)
    return {
        "metrics": ctx.get_run(run_id)["metrics"],
        "by_value_history": ctx.history(run_id, "by_value"),
    }


def scenario_special_float_values(ctx: Any) -> Any:
    run_id = _run(ctx)
    c = ctx.client
    for step, value in enumerate(
        [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1e308, -1e-308, 5e-324]
    ):
        c.log_metric(run_id, "special", value, step=step)
    c.log_metric(run_id, "nan_only", float("nan"))
    c.log_metric(run_id, "inf_only", float("inf"))
    c.log_metric(run_id, "ninf_only", float("-inf"))
    c.log_metric(run_id, "big_int", 2**53 + 1)
    c.log_metric(run_id, "bool", True)
    return {
        "history": [(m["step"], m["value"]) for m in ctx.history(run_id, "special")],
        "latest": ctx.get_run(run_id)["metrics"],
    }


def scenario_invalid_metric_values(ctx: Any) -> Any:
    from mlflow.entities import Metric

    run_id = _run(ctx)
    c = ctx.client
    return {
        "string": ctx.error(c.log_metric, run_id, "m", "not-a-number"),
        "numeric_string": ctx.error(c.log_metric, run_id, "ns", "1.5"),
        "none": ctx.error(c.log_metric, run_id, "m", None),
        "list": ctx.error(c.log_metric, run_id, "m", [1.0]),
        "batch_string": ctx.error(c.log_batch, run_id, metrics=[Metric("b", "x", 0, 0)]),
        "float_step": ctx.error(c.log_metric, run_id, "m", 1.0, step=1.5),
        "run": ctx.get_run(run_id)["metrics"],
    }


def scenario_key_and_value_limits(ctx: Any) -> Any:
    from mlflow.entities import Param, RunTag

    run_id = _run(ctx)
    c = ctx.client
    key250 = "k" * 250
    out = {
        "param_key_250": ctx.error(c.log_param, run_id, key250, "v"),
        "param_key_251": ctx.error(c.log_param, run_id, "p" * 251, "v"),
        "param_value_6000": ctx.error(c.log_param, run_id, "p6000", "v" * 6000),
        "param_value_6001": ctx.error(c.log_param, run_id, "p6001", "v" * 6001),
        "tag_key_250": ctx.error(c.set_tag, run_id, "t" * 250, "v"),
        "tag_key_251": ctx.error(c.set_tag, run_id, "t" * 251, "v"),
        "tag_value_8000": ctx.error(c.set_tag, run_id, "t8000", "v" * 8000),
        "tag_value_8001": ctx.error(c.set_tag, run_id, "t8001", "v" * 8001),
        "metric_key_250": ctx.error(c.log_metric, run_id, "m" * 250, 1.0),
        "metric_key_251": ctx.error(c.log_metric, run_id, "m" * 251, 1.0),
        "batch_param_6001": ctx.error(c.log_batch, run_id, params=[Param("bp", "v" * 6001)]),
        "batch_tag_8001": ctx.error(c.log_batch, run_id, tags=[RunTag("bt", "v" * 8001)]),
    }
    run = ctx.client.get_run(run_id)
    out["param_lengths"] = {k[:12]: len(v) for k, v in sorted(run.data.params.items())}
    out["tag_lengths"] = {
        k[:12]: len(v) for k, v in sorted(run.data.tags.items()) if k != "mlflow.runName"
    }
    out["metric_keys"] = sorted(len(k) for k in run.data.metrics)
    return out


def scenario_experiment_limits(ctx: Any) -> Any:
    c = ctx.client
    exp_id = ctx.new_experiment()
    pad = ctx.name("")  # the unique prefix, counted towards the 500 characters
    return {
        "name_500": ctx.error(c.create_experiment, pad + "n" * (500 - len(pad))),
        "name_501": ctx.error(c.create_experiment, pad + "n" * (501 - len(pad))),
        "tag_key_250": ctx.error(c.set_experiment_tag, exp_id, "k" * 250, "v"),
        "tag_key_251": ctx.error(c.set_experiment_tag, exp_id, "k" * 251, "v"),
        "tag_value_20000": ctx.error(c.set_experiment_tag, exp_id, "big", "v" * 20000),
        "tag_value_20001": ctx.error(c.set_experiment_tag, exp_id, "bigger", "v" * 20001),
        "tags": {k[:8]: len(v) for k, v in sorted(c.get_experiment(exp_id).tags.items())},
    }


def scenario_batch_limits(ctx: Any) -> Any:
    """The client splits big batches; the server sees them at its limits."""
    from mlflow.entities import Metric, Param, RunTag

    run_id = _run(ctx)
    c = ctx.client
    c.log_batch(
        run_id,
        metrics=[Metric("m", float(i), 1_000 + i, i) for i in range(1500)],
        params=[Param(f"p{i:03}", str(i)) for i in range(150)],
        tags=[RunTag(f"t{i:03}", str(i)) for i in range(120)],
    )
    run = ctx.client.get_run(run_id)
    history = ctx.client.get_metric_history(run_id, "m")
    return {
        "params": len(run.data.params),
        "tags": len(run.data.tags),
        "history_len": len(history),
        "history_steps_sorted": [m.step for m in history] == list(range(1500)),
        "latest": run.data.metrics,
    }


def test_scenario(contract: Any, scenario: Any) -> None:
    contract.check(scenario)
