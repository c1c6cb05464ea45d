"""Contract scenarios: the REST API seen directly (JSON shapes, HTTP statuses, server-side checks).

The client validates or transforms some input before sending it (it
truncates long params, converts metric values to float); these scenarios
send what the client would not, so the server's own rules are compared.
"""

from __future__ import annotations

from typing import Any

API = "/api/2.0/mlflow"


def _sorted_entities(payload: Any) -> Any:
    """Sort ``[{key, value}, ...]`` lists (their order carries no meaning) recursively."""
    if isinstance(payload, dict):
        return {k: _sorted_entities(v) for k, v in payload.items()}
    if isinstance(payload, list):
        items = [_sorted_entities(v) for v in payload]
        if items and all(isinstance(i, dict) and "key" in i for i in items):
            return sorted(items, key=lambda i: (i["key"], str(i.get("value"))))
        return items
    return payload


def _new_run(ctx: Any, **body: Any) -> tuple[str, str]:
    exp_id = ctx.new_experiment()
    resp = ctx.http("POST", f"{API}/runs/create", json={"experiment_id": exp_id, **body})
    return exp_id, resp["body"]["run"]["info"]["run_id"]


def scenario_server_info(ctx: Any) -> Any:
    info = ctx.http("GET", "/api/3.0/mlflow/server-info")
    return {
        "info": info,
        "health": ctx.http("GET", "/health", body=False),
    }


def scenario_rest_json_shapes(ctx: Any) -> Any:
    exp = ctx.http(
        "POST",
        f"{API}/experiments/create",
        json={"name": ctx.name("shapes"), "tags": [{"key": "k", "value": "v"}]},
    )
    exp_id = exp["body"]["experiment_id"]
    run = ctx.http(
        "POST",
        f"{API}/runs/create",
        json={
            "experiment_id": exp_id,
            "run_name": "shaped",
            "start_time": 1_000,
            "tags": [{"key": "t", "value": "1"}],
        },
    )
    run_id = run["body"]["run"]["info"]["run_id"]
    logged = {
        "param": ctx.http(
            "POST", f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "p", "value": "1"}
        ),
        "metric": ctx.http(
            "POST",
            f"{API}/runs/log-metric",
            json={"run_id": run_id, "key": "m", "value": 0.5, "timestamp": 2_000, "step": 3},
        ),
        "tag": ctx.http(
            "POST", f"{API}/runs/set-tag", json={"run_id": run_id, "key": "t2", "value": "2"}
        ),
        "batch": ctx.http(
            "POST",
            f"{API}/runs/log-batch",
            json={"run_id": run_id, "params": [{"key": "q", "value": "2"}]},
        ),
        "update": ctx.http(
            "POST",
            f"{API}/runs/update",
            json={"run_id": run_id, "status": "FINISHED", "end_time": 3_000},
        ),
    }
    return _sorted_entities(
        {
            "create_experiment": exp,
            "get_experiment": ctx.http(
                "GET", f"{API}/experiments/get", params={"experiment_id": exp_id}
            ),
            "get_by_name": ctx.http(
                "GET",
                f"{API}/experiments/get-by-name",
                params={"experiment_name": ctx.name("shapes")},
            ),
            "create_run": run,
            "logged": logged,
            "get_run": ctx.http("GET", f"{API}/runs/get", params={"run_id": run_id}),
            "history": ctx.http(
                "GET", f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "m"}
            ),
            "search_runs": ctx.http(
                "POST", f"{API}/runs/search", json={"experiment_ids": [exp_id]}
            ),
            "search_experiments": ctx.http(
                "POST",
                f"{API}/experiments/search",
                json={"filter": f"name = '{ctx.name('shapes')}'", "max_results": 10},
            ),
        }
    )


def scenario_rest_http_statuses(ctx: Any) -> Any:
    ghost = "0123456789abcdef0123456789abcdef"
    exp_id, run_id = _new_run(ctx)
    return {
        "missing_run": ctx.http("GET", f"{API}/runs/get", params={"run_id": ghost}),
        "missing_experiment": ctx.http(
            "GET", f"{API}/experiments/get", params={"experiment_id": "987654321"}
        ),
        "missing_experiment_name": ctx.http(
            "GET", f"{API}/experiments/get-by-name", params={"experiment_name": ctx.name("none")}
        ),
        "duplicate_experiment": ctx.http(
            "POST",
            f"{API}/experiments/create",
            json={"name": ctx.client.get_experiment(exp_id).name},
        ),
        "missing_required_field": ctx.http("POST", f"{API}/experiments/create", json={}),
        "run_without_id": ctx.http("GET", f"{API}/runs/get"),
        "param_overwrite": [
            ctx.http(
                "POST", f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "p", "value": v}
            )
            for v in ("a", "a", "b")
        ],
        "unknown_endpoint": ctx.http("GET", f"{API}/runs/no-such-endpoint", body=False),
        "wrong_method": ctx.http("GET", f"{API}/runs/create", body=False),
        "malformed_json": ctx.http(
            "POST", f"{API}/runs/log-parameter", data=b"{not json", body=False
        ),
    }


def scenario_rest_server_side_limits(ctx: Any) -> Any:
    """What the client would truncate, sent as is: the server's own limits."""
    _, run_id = _new_run(ctx)

    def log(endpoint: str, **body: Any) -> Any:
        return ctx.http("POST", f"{API}/runs/{endpoint}", json={"run_id": run_id, **body})

    return {
        "param_6000": log("log-parameter", key="p6000", value="v" * 6000),
        "param_6001": log("log-parameter", key="p6001", value="v" * 6001),
        "tag_8000": log("set-tag", key="t8000", value="v" * 8000),
        "tag_8001": log("set-tag", key="t8001", value="v" * 8001),
        "batch_param_6001": log("log-batch", params=[{"key": "bp", "value": "v" * 6001}]),
        "batch_101_params": log(
            "log-batch", params=[{"key": f"p{i}", "value": "v"} for i in range(101)]
        ),
        "batch_1001_metrics": log(
            "log-batch",
            metrics=[{"key": "m", "value": 1.0, "timestamp": 1, "step": i} for i in range(1001)],
        ),
        "batch_101_tags": log(
            "log-batch", tags=[{"key": f"t{i}", "value": "v"} for i in range(101)]
        ),
        "params_after": {
            k: len(v) for k, v in sorted(ctx.client.get_run(run_id).data.params.items())
        },
        "tags_after": {
            k: len(v)
            for k, v in sorted(ctx.client.get_run(run_id).data.tags.items())
            if k != "mlflow.runName"
        },
    }


def scenario_rest_metric_values(ctx: Any) -> Any:
    _, run_id = _new_run(ctx)

    def log(value: Any, key: str = "m", **extra: Any) -> Any:
        body = {"run_id": run_id, "key": key, "value": value, "timestamp": 1_000, **extra}
        return ctx.http("POST", f"{API}/runs/log-metric", json=body)

    out = {
        "string_number": log("1.5", key="s"),
        "string_word": log("abc", key="w"),
        "string_nan": log("NaN", key="nan"),
        "string_inf": log("Infinity", key="inf"),
        "string_minus_inf": log("-Infinity", key="ninf"),
        "bool": log(True, key="b"),
        "null": log(None, key="n"),
        "missing_value": ctx.http(
            "POST", f"{API}/runs/log-metric", json={"run_id": run_id, "key": "x", "timestamp": 1}
        ),
        "missing_timestamp": ctx.http(
            "POST", f"{API}/runs/log-metric", json={"run_id": run_id, "key": "y", "value": 1}
        ),
    }
    out["metrics"] = dict(sorted(ctx.client.get_run(run_id).data.metrics.items()))
    return out


def scenario_rest_log_inputs(ctx: Any) -> Any:
    _, run_id = _new_run(ctx)
    dataset = {
        "name": "ds",
        "digest": "d1",
        "source_type": "local",
        "source": '{"uri": "x"}',
    }
    ok = ctx.http(
        "POST",
        f"{API}/runs/log-inputs",
        json={
            "run_id": run_id,
            "datasets": [
                {"tags": [{"key": "mlflow.data.context", "value": "train"}], "dataset": dataset}
            ],
        },
    )
    missing_digest = ctx.http(
        "POST",
        f"{API}/runs/log-inputs",
        json={"run_id": run_id, "datasets": [{"dataset": {"name": "bad", "source_type": "x"}}]},
    )
    return _sorted_entities(
        {
            "ok": ok,
            "missing_digest": missing_digest,
            "missing_run": ctx.http(
                "POST",
                f"{API}/runs/log-inputs",
                json={"run_id": "0" * 32, "datasets": [{"dataset": dataset}]},
            ),
            "run_inputs": ctx.http("GET", f"{API}/runs/get", params={"run_id": run_id})["body"][
                "run"
            ].get("inputs"),
        }
    )


def scenario_rest_paging(ctx: Any) -> Any:
    """Page tokens are opaque: only their presence and the pages' contents are compared."""
    exp_id, run_id = _new_run(ctx, run_name="base")
    for step in range(5):
        ctx.http(
            "POST",
            f"{API}/runs/log-metric",
            json={"run_id": run_id, "key": "m", "value": step / 10, "timestamp": 1, "step": step},
        )
    for i in range(3):
        ctx.http("POST", f"{API}/runs/create", json={"experiment_id": exp_id, "run_name": f"r{i}"})

    def pages(method: str, path: str, items: str, **request: Any) -> list[Any]:
        out, token = [], None
        for _ in range(10):
            if method == "GET":
                params = {**request, **({"page_token": token} if token else {})}
                resp = ctx.http("GET", path, params=params)
            else:
                resp = ctx.http("POST", path, json={**request, "page_token": token})
            body = resp["body"] if isinstance(resp.get("body"), dict) else {}
            token = body.get("next_page_token")
            out.append({"status": resp["status"], "items": body.get(items), "more": bool(token)})
            if not token:
                break
        return out

    history = pages(
        "GET", f"{API}/metrics/get-history", "metrics", run_id=run_id, metric_key="m", max_results=2
    )
    runs = pages(
        "POST",
        f"{API}/runs/search",
        "runs",
        experiment_ids=[exp_id],
        max_results=2,
        order_by=["attributes.run_name ASC"],
    )
    return {
        "history": [
            {**p, "items": [(m["step"], m["value"]) for m in p["items"] or []]} for p in history
        ],
        "runs": [{**p, "items": [r["info"]["run_name"] for r in p["items"] or []]} for p in runs],
        "history_without_key": ctx.http(
            "GET", f"{API}/metrics/get-history", params={"run_id": run_id}
        ),
    }


def scenario_rest_history_max_results_0(ctx: Any) -> Any:
    _, run_id = _new_run(ctx, run_name="h0")
    ctx.client.log_metric(run_id, "m", 1.0, timestamp=1, step=0)
    return ctx.http(
        "GET",
        f"{API}/metrics/get-history",
        params={"run_id": run_id, "metric_key": "m", "max_results": 0},
    )


def scenario_rest_batch_duplicate_param_same_value(ctx: Any) -> Any:
    _, run_id = _new_run(ctx, run_name="dup")
    return {
        "batch": ctx.http(
            "POST",
            f"{API}/runs/log-batch",
            json={"run_id": run_id, "params": [{"key": "d", "value": "x"}] * 2},
        ),
        "params": ctx.client.get_run(run_id).data.params,
    }


def scenario_rest_create_run_without_experiment(ctx: Any) -> Any:
    resp = ctx.http("POST", f"{API}/runs/create", json={"run_name": "nowhere"})
    body = resp.get("body") or {}
    return {
        "status": resp["status"],
        "error_code": body.get("error_code"),
        "experiment_id": body.get("run", {}).get("info", {}).get("experiment_id"),
    }


def scenario_rest_unknown_enum_values(ctx: Any) -> Any:
    """Protobuf-style parsing: an unknown enum value is dropped, not rejected."""
    exp_id, run_id = _new_run(ctx, run_name="enum")
    return {
        "update_bogus_status": ctx.http(
            "POST", f"{API}/runs/update", json={"run_id": run_id, "status": "BOGUS"}
        ),
        "search_bogus_view_type": ctx.http(
            "POST",
            f"{API}/runs/search",
            json={"experiment_ids": [exp_id], "run_view_type": "SOMETIMES"},
        ),
    }


def scenario_rest_batch_rules(ctx: Any) -> Any:
    """``log-batch`` validation: totals, duplicates, atomicity."""
    _, run_id = _new_run(ctx, run_name="batch")

    def batch(**body: Any) -> Any:
        return ctx.http("POST", f"{API}/runs/log-batch", json={"run_id": run_id, **body})

    def metric(step: int) -> dict[str, Any]:
        return {"key": "m", "value": 1.0, "timestamp": 1, "step": step}

    out = {
        "total_1000": batch(
            params=[{"key": f"a{i}", "value": "v"} for i in range(100)],
            metrics=[metric(i) for i in range(900)],
        ),
        "total_1001": batch(
            params=[{"key": f"b{i}", "value": "v"} for i in range(100)],
            metrics=[metric(i) for i in range(901)],
        ),
        "one_bad_key_among_good": batch(
            params=[{"key": "good1", "value": "v"}, {"key": "bad~key", "value": "v"}],
            tags=[{"key": "good_tag", "value": "v"}],
            metrics=[{"key": "good_metric", "value": 1.0, "timestamp": 1, "step": 0}],
        ),
        "metric_without_timestamp": batch(metrics=[{"key": "nots", "value": 1.0, "step": 0}]),
        "tag_without_value": batch(tags=[{"key": "novalue"}]),
        "param_without_value": batch(params=[{"key": "novalue"}]),
        "empty": batch(),
    }
    run = ctx.client.get_run(run_id)
    out["stored"] = {
        "params": sorted(k for k in run.data.params if not k.startswith(("a", "b"))),
        "param_count": len(run.data.params),
        "tags": dict(sorted(run.data.tags.items())),
        "metrics": sorted(run.data.metrics),
        "history_len": len(ctx.client.get_metric_history(run_id, "m")),
    }
    return out


def scenario_rest_odd_requests(ctx: Any) -> Any:
    exp_id, run_id = _new_run(ctx, run_name="odd")

    def post(endpoint: str, **body: Any) -> Any:
        return ctx.http("POST", f"{API}/{endpoint}", json=body)

    return {
        "rename_to_empty": post("experiments/update", experiment_id=exp_id, new_name=""),
        "tag_empty_value": post("runs/set-tag", run_id=run_id, key="empty", value=""),
        "tag_no_value": post("runs/set-tag", run_id=run_id, key="none"),
        "param_no_value": post("runs/log-parameter", run_id=run_id, key="none"),
        "experiment_tag_no_value": post(
            "experiments/set-experiment-tag", experiment_id=exp_id, key="k"
        ),
        "delete_run_twice": [post("runs/delete", run_id=run_id) for _ in range(2)],
        "restore_run_twice": [post("runs/restore", run_id=run_id) for _ in range(2)],
        "search_experiments_view_type": post(
            "experiments/search",
            view_type="DELETED_ONLY",
            filter=f"name LIKE '{ctx.prefix}%'",
            max_results=5,
        ),
        "tags_after": dict(sorted(ctx.client.get_run(run_id).data.tags.items())),
    }


def test_scenario(contract: Any, scenario: Any) -> None:
    contract.check(scenario)
