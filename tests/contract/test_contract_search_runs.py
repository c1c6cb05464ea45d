"""Contract scenarios: ``search_runs`` filters, ordering, paging and errors."""

from __future__ import annotations

from typing import Any

# name, metrics, params, tags, status
_RUNS = [
    ("r-alpha", {"acc": 0.5, "loss": 3.0}, {"model": "cnn", "lr": "0.1"}, {"stage": "dev"}, None),
    ("r-beta", {"acc": 0.9, "loss": 1.0}, {"model": "rnn", "lr": "0.01"}, {"stage": "prod"}, "F"),
    ("r-gamma", {"acc": 0.7}, {"model": "cnn", "lr": "0.01"}, {"stage": "dev-2"}, "FAILED"),
    ("r-delta", {"acc": 0.7, "loss": 2.0}, {"model": "mlp"}, {}, None),
    ("other", {"loss": 0.5}, {}, {"stage": "Dev"}, "KILLED"),
]


def _populate(ctx: Any) -> list[str]:
    """Two experiments; runs created one after the other (with distinct start times)."""
    import time

    from mlflow.entities import Metric, Param, RunTag

    first = ctx.new_experiment("first")
    second = ctx.new_experiment("second")
    for i, (name, metrics, params, tags, status) in enumerate(_RUNS):
        exp_id = first if i < 4 else second
        run_id = ctx.client.create_run(exp_id, run_name=name, start_time=1_000 + i).info.run_id
        ctx.client.log_batch(
            run_id,
            metrics=[Metric(k, v, 1_000, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag(k, v) for k, v in tags.items()],
        )
        if status == "F":
            ctx.client.set_terminated(run_id, end_time=5_000)
        elif status:
            ctx.client.set_terminated(run_id, status=status, end_time=5_000 + i)
        time.sleep(0.002)
    return [first, second]


def scenario_search_runs_filters(ctx: Any) -> Any:
    exps = _populate(ctx)
    first = exps[:1]
    beta = ctx.client.search_runs(first, filter_string="run_name = 'r-beta'")[0].info.run_id

    def names(filter_string: str, exp_ids: list[str] = first) -> Any:
        found = ctx.outcome(ctx.search_runs, exp_ids, filter_string=filter_string)
        return sorted(found) if isinstance(found, list) else found

    return {
        "all": names(""),
        "both_experiments": names("", exps),
        "metric_gt": names("metrics.acc > 0.6"),
        "metric_eq": names("metrics.acc = 0.7"),
        "metric_and": names("metrics.acc >= 0.7 and metrics.loss < 2.5"),
        "metric_missing_excluded": names("metrics.loss != 2.0"),
        "param_eq": names("params.model = 'cnn'"),
        "param_ne": names("params.model != 'cnn'"),
        "param_like": names("params.lr LIKE '0.0%'"),
        "param_in": names("params.model IN ('rnn', 'mlp')"),
        "param_not_in": names("params.model NOT IN ('rnn', 'mlp')"),
        "tag_eq": names("tags.stage = 'dev'"),
        "tag_like": names("tags.stage LIKE 'dev%'", exps),
        "tag_ilike": names("tags.stage ILIKE 'dev%'", exps),
        "tag_quoted_key": names("tags.`stage` = 'prod'"),
        "status": names("attributes.status = 'FINISHED'", exps),
        "status_ne": names("attribute.status != 'RUNNING'", exps),
        "run_name": names("attributes.run_name = 'r-beta'"),
        "run_name_like": names("run_name LIKE 'r-%a'", exps),
        "run_name_ilike": names("attributes.run_name ILIKE 'R-G%'"),
        "start_time_filter": names("attributes.start_time >= 1002", exps),
        "end_time_filter": names("attributes.end_time > 5000", exps),
        "double_quotes": names('params.model = "mlp"'),
        "no_match": names("params.model = 'transformer'"),
        "run_id_in": names(f"attributes.run_id IN ('{beta}', '{'0' * 32}')", exps),
        "run_id_eq": names(f"attributes.run_id = '{beta}'", exps),
    }


def scenario_search_runs_ordering_and_paging(ctx: Any) -> Any:
    exps = _populate(ctx)

    def names(order_by: list[str], **kwargs: Any) -> list[str | None]:
        return ctx.search_runs(exps, order_by=order_by, **kwargs)

    pages = []
    token = None
    while True:
        page = ctx.client.search_runs(
            exps, order_by=["attributes.start_time ASC"], max_results=2, page_token=token
        )
        pages.append([r.info.run_name for r in page])
        token = page.token
        if not token:
            break
    return {
        "default_order": names([]),
        "metric_desc": names(["metrics.loss DESC"]),
        "metric_asc": names(["metrics.acc ASC", "attributes.run_name ASC"]),
        "param_asc": names(["params.lr", "run_name DESC"]),
        "tag_desc": names(["tags.stage DESC"]),
        "run_name_desc": names(["attributes.run_name DESC"]),
        "start_time_asc": names(["start_time ASC"]),
        "status": names(["status", "run_name"]),
        "max_results": names(["run_name"], max_results=3),
        "pages": pages,
    }


def scenario_search_runs_errors(ctx: Any) -> Any:
    from mlflow.entities import ViewType

    exp_id = ctx.new_experiment()
    ctx.client.create_run(exp_id)
    c = ctx.client

    def err(**kwargs: Any) -> Any:
        return ctx.error(c.search_runs, [exp_id], **kwargs)

    return {
        "bad_syntax": err(filter_string="metrics.acc >"),
        "bad_entity": err(filter_string="foo.acc > 1"),
        "bad_comparator": err(filter_string="metrics.acc LIKE '1'"),
        "string_for_metric": err(filter_string="metrics.acc > 'x'"),
        "number_for_param": err(filter_string="params.p = 1"),
        "unknown_attribute": err(filter_string="attributes.bogus = 'x'"),
        "or": err(filter_string="params.a = '1' OR params.b = '2'"),
        "bad_order_by": err(order_by=["metrics.acc SIDEWAYS"]),
        "bad_order_by_attr": err(order_by=["attributes.bogus"]),
        "max_results_too_big": err(max_results=50001),
        "missing_experiment": ctx.error(c.search_runs, ["987654321"]),
        "no_experiments": ctx.error(c.search_runs, []),
        "bad_page_token": err(page_token="not-a-token"),
        "deleted_only_empty": ctx.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY),
    }


def scenario_search_runs_ordering_ties_and_strings(ctx: Any) -> Any:
    """Params order as strings; ties fall back to the default order (newest first)."""
    from mlflow.entities import Metric, Param

    exp_id = ctx.new_experiment()
    for i, (param, metric) in enumerate([("9", 1.0), ("10", 2.0), ("100", 1.0), ("2", 2.0)]):
        run_id = ctx.client.create_run(exp_id, run_name=f"n{i}", start_time=1_000 + i).info.run_id
        ctx.client.log_batch(
            run_id, metrics=[Metric("m", metric, 1, 0)], params=[Param("p", param)]
        )

    def names(order_by: list[str], **kwargs: Any) -> Any:
        return ctx.outcome(ctx.search_runs, [exp_id], order_by=order_by, **kwargs)

    return {
        "param_as_string": names(["params.p ASC"]),
        "metric_ties": names(["metrics.m ASC"]),
        "metric_ties_desc": names(["metrics.m DESC"]),
        "two_keys": names(["metrics.m DESC", "params.p DESC"]),
        "order_by_unknown_key": names(["metrics.never_logged DESC"]),
    }


def scenario_search_runs_max_results_0(ctx: Any) -> Any:
    exp_id = ctx.new_experiment()
    ctx.client.create_run(exp_id, run_name="only")
    return ctx.error(ctx.client.search_runs, [exp_id], max_results=0)


def test_scenario(contract: Any, scenario: Any) -> None:
    contract.check(scenario)
