"""The in-memory backend on its own: MLflow's rules without HTTP."""

from __future__ import annotations

import math
import re
import sys

import pytest

from pytest_orq_mlflow.fakeserver.backend import TrackingBackend, decode_page_token
from pytest_orq_mlflow.fakeserver.errors import MlflowApiError


@pytest.fixture
def backend() -> TrackingBackend:
    clock = iter(range(1000, 10**9, 10))
    return TrackingBackend(clock=lambda: next(clock))


def _code(exc: pytest.ExceptionInfo[MlflowApiError]) -> tuple[str, int]:
    return exc.value.error_code, exc.value.http_status


def test_default_experiment_exists(backend: TrackingBackend) -> None:
    exp = backend.get_experiment("0")
    assert exp["name"] == "Default"
    assert exp["artifact_location"] == "mlflow-artifacts:/0"
    assert exp["lifecycle_stage"] == "active"


def test_experiment_ids_increase_and_names_are_unique(backend: TrackingBackend) -> None:
    assert backend.create_experiment("a") == "1"
    assert backend.create_experiment("b") == "2"
    with pytest.raises(MlflowApiError) as exc:
        backend.create_experiment("a")
    assert _code(exc) == ("RESOURCE_ALREADY_EXISTS", 400)


def test_deleted_experiment_name_is_still_taken_and_restorable(backend: TrackingBackend) -> None:
    exp_id = backend.create_experiment("gone")
    backend.delete_experiment(exp_id)
    assert backend.get_experiment(exp_id)["lifecycle_stage"] == "deleted"
    with pytest.raises(MlflowApiError, match="already exists"):
        backend.create_experiment("gone")
    with pytest.raises(MlflowApiError, match="must be in the 'active' state"):
        backend.create_run(exp_id)
    backend.restore_experiment(exp_id)
    assert backend.get_experiment_by_name("gone")["lifecycle_stage"] == "active"


def test_unknown_and_malformed_experiment_ids(backend: TrackingBackend) -> None:
    with pytest.raises(MlflowApiError) as exc:
        backend.get_experiment("999")
    assert _code(exc) == ("RESOURCE_DOES_NOT_EXIST", 404)
    with pytest.raises(MlflowApiError) as exc:
        backend.get_experiment("abc")
    assert _code(exc) == ("INVALID_PARAMETER_VALUE", 400)
    with pytest.raises(MlflowApiError, match="Could not find experiment with name 'x'"):
        backend.get_experiment_by_name("x")


def test_run_shape_and_lifecycle(backend: TrackingBackend) -> None:
    run = backend.create_run("0", user_id="me", start_time=5, run_name="r")
    info = run["info"]
    assert re.fullmatch(r"[0-9a-f]{32}", info["run_id"])
    assert info["run_uuid"] == info["run_id"]
    assert info["artifact_uri"] == f"mlflow-artifacts:/0/{info['run_id']}/artifacts"
    assert info["status"] == "RUNNING" and info["lifecycle_stage"] == "active"
    assert run["data"]["tags"] == [{"key": "mlflow.runName", "value": "r"}]
    assert "outputs" not in run
    updated = backend.update_run(info["run_id"], status="FINISHED", end_time=9)
    assert updated["status"] == "FINISHED" and updated["end_time"] == 9
    backend.delete_run(info["run_id"])
    assert backend.get_run(info["run_id"])["info"]["lifecycle_stage"] == "deleted"
    with pytest.raises(MlflowApiError, match="must be in the 'active' state"):
        backend.log_param(info["run_id"], "k", "v")
    backend.restore_run(info["run_id"])
    backend.log_param(info["run_id"], "k", "v")


def test_unknown_run(backend: TrackingBackend) -> None:
    with pytest.raises(MlflowApiError) as exc:
        backend.get_run("abc")
    assert _code(exc) == ("RESOURCE_DOES_NOT_EXIST", 404)
    assert exc.value.message == "Run with id=abc not found"


def test_bad_status_is_rejected(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    with pytest.raises(MlflowApiError, match="status"):
        backend.update_run(run_id, status="DONE")


def test_params_are_immutable(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    backend.log_param(run_id, "p", "v")
    backend.log_param(run_id, "p", "v")
    with pytest.raises(MlflowApiError, match="Changing param values is not allowed") as exc:
        backend.log_param(run_id, "p", "w")
    assert _code(exc) == ("INVALID_PARAMETER_VALUE", 400)
    with pytest.raises(MlflowApiError, match="Params were already logged"):
        backend.log_batch(run_id, params=[{"key": "p", "value": "x"}])


def test_value_limits(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    backend.log_param(run_id, "long", "x" * 7000)
    backend.set_tag(run_id, "tag", "y" * 9000)
    data = backend.get_run(run_id)["data"]
    assert len(data["params"][0]["value"]) == 6000  # truncated, as the real server does
    assert len(next(t for t in data["tags"] if t["key"] == "tag")["value"]) == 8000
    with pytest.raises(MlflowApiError, match="maximum length of 250"):
        backend.log_param(run_id, "k" * 251, "v")
    with pytest.raises(MlflowApiError, match="Names may only contain"):
        backend.log_param(run_id, "bad key!", "v")
    with pytest.raises(MlflowApiError, match="must not resolve to other names"):
        backend.set_tag(run_id, "../x", "v")


def test_batch_limits(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    metric = {"key": "m", "value": 1, "timestamp": 1, "step": 0}
    with pytest.raises(MlflowApiError, match="at most 1000 metrics"):
        backend.log_batch(run_id, metrics=[metric] * 1001)
    with pytest.raises(MlflowApiError, match="at most 100 params"):
        backend.log_batch(run_id, params=[{"key": f"p{i}", "value": "v"} for i in range(101)])
    with pytest.raises(MlflowApiError, match="at most 100 tags"):
        backend.log_batch(run_id, tags=[{"key": f"t{i}", "value": "v"} for i in range(101)])
    with pytest.raises(MlflowApiError, match="total of 1000"):
        backend.log_batch(
            run_id,
            metrics=[metric] * 1000,
            params=[{"key": "p", "value": "v"}],
        )
    assert "params" not in backend.get_run(run_id)["data"]


def test_nan_and_inf_metrics(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    for step, value in enumerate(["NaN", "Infinity", "-Infinity", 2.5]):
        backend.log_metric(run_id, "m", value, timestamp=step, step=step)
    history = backend.get_metric_history(run_id, "m")["metrics"]
    assert [m["value"] for m in history] == [
        "NaN",
        sys.float_info.max,
        -sys.float_info.max,
        2.5,
    ]
    with pytest.raises(MlflowApiError, match="Invalid value"):
        backend.log_metric(run_id, "m", "x", timestamp=1)
    with pytest.raises(MlflowApiError, match="'timestamp'"):
        backend.log_metric(run_id, "m", 1, timestamp=None)


def test_latest_metric_is_max_step_then_timestamp(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    backend.log_metric(run_id, "m", 1.0, timestamp=100, step=5)
    backend.log_metric(run_id, "m", 2.0, timestamp=200, step=1)
    backend.log_metric(run_id, "m", 3.0, timestamp=50, step=5)
    [latest] = backend.get_run(run_id)["data"]["metrics"]
    assert latest == {"key": "m", "value": 1.0, "timestamp": 100, "step": 5}
    history = backend.get_metric_history(run_id, "m")["metrics"]
    assert [m["timestamp"] for m in history] == [50, 100, 200]


def test_metric_history_paging(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    backend.log_batch(
        run_id, metrics=[{"key": "m", "value": i, "timestamp": i, "step": i} for i in range(5)]
    )
    page = backend.get_metric_history(run_id, "m", max_results=2)
    assert [m["step"] for m in page["metrics"]] == [0, 1]
    page = backend.get_metric_history(run_id, "m", 2, page["next_page_token"])
    assert [m["step"] for m in page["metrics"]] == [2, 3]
    assert backend.get_metric_history(run_id, "nope") == {}


def _runs(backend: TrackingBackend) -> dict[str, str]:
    exp = backend.create_experiment("s")
    ids = {}
    for i, (name, x, p) in enumerate([("a", 0.5, "v"), ("b", 2.0, "w"), ("c", 3.0, "v")]):
        run_id = backend.create_run(exp, start_time=100 + i, run_name=name)["info"]["run_id"]
        backend.log_metric(run_id, "x", x, timestamp=1)
        backend.log_param(run_id, "p", p)
        backend.set_tag(run_id, "t", name.upper())
        ids[name] = run_id
    backend.update_run(ids["c"], status="FINISHED")
    return ids


def _names(result: dict[str, object]) -> list[str]:
    return [r["info"]["run_name"] for r in result.get("runs", [])]  # type: ignore[attr-defined]


def test_search_runs_filters(backend: TrackingBackend) -> None:
    _runs(backend)
    search = backend.search_runs
    assert _names(search(["1"])) == ["c", "b", "a"]  # start_time DESC
    assert _names(search(["1"], "metrics.x > 1")) == ["c", "b"]
    assert _names(search(["1"], "params.p = 'v'")) == ["c", "a"]
    assert _names(search(["1"], "tags.t = 'B'")) == ["b"]
    assert _names(search(["1"], "attributes.status = 'FINISHED'")) == ["c"]
    assert _names(search(["1"], "attributes.run_name = 'a'")) == ["a"]
    assert _names(search(["1"], "metrics.x > 1 AND params.p = 'v'")) == ["c"]
    assert _names(search(["1"], "tags.t LIKE 'A%'")) == ["a"]
    assert _names(search(["1"], "tags.t ILIKE 'a%'")) == ["a"]
    with pytest.raises(MlflowApiError, match="Invalid clause"):
        search(["1"], "metrics.x >")


def test_search_runs_order_paging_and_view_type(backend: TrackingBackend) -> None:
    ids = _runs(backend)
    search = backend.search_runs
    assert _names(search(["1"], order_by=["metrics.x DESC"])) == ["c", "b", "a"]
    assert _names(search(["1"], order_by=["metrics.x ASC"])) == ["a", "b", "c"]
    assert _names(search(["1"], order_by=["attributes.start_time"])) == ["a", "b", "c"]
    first = search(["1"], max_results=2, order_by=["attributes.run_name"])
    assert _names(first) == ["a", "b"]
    rest = search(
        ["1"], max_results=2, order_by=["attributes.run_name"], page_token=first["next_page_token"]
    )
    assert _names(rest) == ["c"] and "next_page_token" not in rest
    backend.delete_run(ids["b"])
    assert _names(search(["1"])) == ["c", "a"]
    assert _names(search(["1"], run_view_type="DELETED_ONLY")) == ["b"]
    assert _names(search(["1"], run_view_type="ALL")) == ["c", "b", "a"]
    with pytest.raises(MlflowApiError, match="Invalid page token"):
        search(["1"], page_token="garbage")


def test_search_experiments(backend: TrackingBackend) -> None:
    for name in ("alpha", "beta", "gamma"):
        backend.create_experiment(name)
    names = [e["name"] for e in backend.search_experiments()["experiments"]]
    assert names == ["gamma", "beta", "alpha", "Default"]
    found = backend.search_experiments(filter_string="name LIKE '%a'")["experiments"]
    assert [e["name"] for e in found] == ["gamma", "beta", "alpha"]
    ordered = backend.search_experiments(order_by=["name ASC"], max_results=2)
    assert [e["name"] for e in ordered["experiments"]] == ["Default", "alpha"]
    assert decode_page_token(ordered["next_page_token"]) == 2
    backend.delete_experiment("2")
    deleted = backend.search_experiments(view_type="DELETED_ONLY")["experiments"]
    assert [e["name"] for e in deleted] == ["beta"]


def test_tags_and_run_name(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0", run_name="first")["info"]["run_id"]
    backend.set_tag(run_id, "mlflow.runName", "second")
    assert backend.get_run(run_id)["info"]["run_name"] == "second"
    backend.set_tag(run_id, "t", "v")
    backend.delete_tag(run_id, "t")
    with pytest.raises(MlflowApiError) as exc:
        backend.delete_tag(run_id, "t")
    assert _code(exc) == ("RESOURCE_DOES_NOT_EXIST", 404)


def test_log_inputs(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    dataset = {"name": "d", "digest": "abc", "source_type": "local", "source": "{}"}
    tags = [{"key": "mlflow.data.context", "value": "train"}]
    backend.log_inputs(run_id, [{"dataset": dataset, "tags": tags}])
    inputs = backend.get_run(run_id)["inputs"]
    assert inputs == {"dataset_inputs": [{"tags": tags, "dataset": dataset}]}


def test_artifacts(backend: TrackingBackend) -> None:
    backend.put_artifact("0/r/artifacts/a.txt", b"A")
    backend.put_artifact("0/r/artifacts/sub/b.bin", b"\x00\x01")
    assert backend.list_artifacts("0/r/artifacts") == {
        "files": [
            {"path": "a.txt", "is_dir": False, "file_size": 1},
            {"path": "sub", "is_dir": True},
        ]
    }
    assert backend.get_artifact("0/r/artifacts/sub/b.bin") == b"\x00\x01"
    assert backend.list_artifacts("0/nope") == {}
    backend.delete_artifacts("0/r/artifacts/sub")
    with pytest.raises(MlflowApiError) as exc:
        backend.get_artifact("0/r/artifacts/sub/b.bin")
    assert _code(exc) == ("RESOURCE_DOES_NOT_EXIST", 404)
    with pytest.raises(MlflowApiError, match="Invalid path"):
        backend.put_artifact("../etc/passwd", b"")


def test_reset_keeps_only_default(backend: TrackingBackend) -> None:
    backend.create_experiment("x")
    backend.create_run("0")
    backend.put_artifact("0/a", b"")
    backend.reset()
    assert list(backend.experiments) == ["0"] and not backend.runs and not backend.artifacts
    assert backend.create_experiment("x") == "1"


def test_duplicate_metric_is_stored_once(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    backend.log_metric(run_id, "m", 1.0, timestamp=1, step=0)
    backend.log_metric(run_id, "m", 1.0, timestamp=1, step=0)
    assert len(backend.get_metric_history(run_id, "m")["metrics"]) == 1
    assert not math.isnan(1.0)


def test_negative_metric_timestamp_is_rejected(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    with pytest.raises(MlflowApiError, match="Timestamp must be a nonnegative long"):
        backend.log_metric(run_id, "m", 1.0, timestamp=-5)
    with pytest.raises(MlflowApiError, match=r"metrics\[0\]\.timestamp"):
        backend.log_batch(run_id, metrics=[{"key": "m", "value": 1, "timestamp": -1}])
    assert "metrics" not in backend.get_run(run_id)["data"]


def test_batch_duplicate_param_key_is_rejected_even_with_same_value(
    backend: TrackingBackend,
) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    with pytest.raises(MlflowApiError, match=r"Duplicate parameter keys .*\['d'\]") as exc:
        backend.log_batch(run_id, params=[{"key": "d", "value": "x"}] * 2)
    assert _code(exc) == ("INVALID_PARAMETER_VALUE", 400)
    assert "params" not in backend.get_run(run_id)["data"]


def test_create_run_without_experiment_is_bad_request(backend: TrackingBackend) -> None:
    for experiment_id in ("", None):
        with pytest.raises(MlflowApiError) as exc:
            backend.create_run(experiment_id)
        assert _code(exc) == ("BAD_REQUEST", 400)
    assert backend.runs == {}


def test_non_positive_max_results_is_rejected(backend: TrackingBackend) -> None:
    run_id = backend.create_run("0")["info"]["run_id"]
    backend.log_metric(run_id, "m", 1.0, timestamp=1)
    for max_results in (0, -1):
        with pytest.raises(MlflowApiError, match="must be a positive integer"):
            backend.get_metric_history(run_id, "m", max_results=max_results)
        with pytest.raises(MlflowApiError, match="must be a positive integer"):
            backend.search_runs(["0"], max_results=max_results)
        with pytest.raises(MlflowApiError, match="must be a positive integer"):
            backend.search_experiments(max_results=max_results)
    assert len(backend.get_metric_history(run_id, "m")["metrics"]) == 1


def test_search_experiments_cannot_order_by_tag(backend: TrackingBackend) -> None:
    with pytest.raises(MlflowApiError, match="Invalid order_by entity: tag") as exc:
        backend.search_experiments(order_by=["tags.n"])
    assert _code(exc) == ("INVALID_PARAMETER_VALUE", 400)


def test_get_artifact_of_a_directory_is_a_detail_error(backend: TrackingBackend) -> None:
    backend.put_artifact("1/r/artifacts/dir/inner/f.txt", b"x")
    for path in ("1/r/artifacts/dir", "1/r/artifacts/dir/", "1", ""):
        with pytest.raises(MlflowApiError) as exc:
            backend.get_artifact(path)
        assert exc.value.http_status == 400
        assert exc.value.to_json() == {
            "detail": f"Artifact path refers to a directory, not a file: '{path}'"
        }
    assert backend.get_artifact("1/r/artifacts/dir/inner/f.txt/") == b"x"
    with pytest.raises(MlflowApiError) as exc:
        backend.get_artifact("1/r/artifacts/absent")
    assert _code(exc) == ("RESOURCE_DOES_NOT_EXIST", 404)
    with pytest.raises(MlflowApiError, match="must include a filename"):
        backend.put_artifact("1/r/artifacts/newdir/", b"y")
