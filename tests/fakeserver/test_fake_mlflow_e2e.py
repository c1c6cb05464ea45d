"""The real MLflow client against the fake, over each transport."""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import jwt
import pytest

TOKEN = "test-token-123"


def _tree(root: Path) -> None:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.json").write_text('{"b": 1}')
    (root / "sub" / "deeper" / "c.bin").write_bytes(bytes(range(256)) * 4)


def test_typical_run_is_seen_by_client_and_server(connected, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import mlflow
    from mlflow import MlflowClient

    server = connected.server
    src = tmp_path / "src"
    _tree(src)
    mlflow.set_experiment("exp")
    with mlflow.start_run(run_name="outer") as outer:
        mlflow.log_param("lr", 0.1)
        mlflow.log_params({"layers": 3, "opt": "adam"})
        for step, value in enumerate([1.0, 0.5, float("nan"), float("inf"), 0.25]):
            mlflow.log_metric("loss", value, step=step)
        mlflow.set_tag("team", "q")
        mlflow.log_artifact(str(src / "a.txt"))
        mlflow.log_artifacts(str(src), artifact_path="tree")
        with mlflow.start_run(run_name="inner", nested=True) as inner:
            mlflow.log_metric("acc", 0.9)
    client = MlflowClient()

    run = server.run(outer.info.run_id)
    assert run.experiment_name == "exp" and run.run_name == "outer"
    assert run.status == "FINISHED" and run.lifecycle_stage == "active"
    assert run.params == {"lr": "0.1", "layers": "3", "opt": "adam"}
    assert run.tags == {"team": "q"}
    assert run.system_tags["mlflow.runName"] == "outer"
    assert run.metrics == {"loss": 0.25}
    history = run.metric_history("loss")
    assert [s for s, _ in history] == [0, 1, 2, 3, 4]
    assert math.isnan(history[2][1]) and history[3][1] == sys.float_info.max
    assert run.artifacts["a.txt"] == b"alpha"
    assert run.artifacts["tree/sub/deeper/c.bin"] == bytes(range(256)) * 4
    assert set(run.artifacts) == {"a.txt", "tree/a.txt", "tree/sub/b.json", "tree/sub/deeper/c.bin"}
    assert server.run(inner.info.run_id).parent_run_id == outer.info.run_id
    assert run.start_time is not None and run.end_time is not None

    got = client.get_run(outer.info.run_id)
    assert got.data.params == run.params
    assert got.data.metrics == run.metrics
    assert {k: v for k, v in got.data.tags.items() if not k.startswith("mlflow.")} == run.tags
    assert got.info.artifact_uri == f"mlflow-artifacts:/{run.experiment_id}/{run.run_id}/artifacts"
    client_history = client.get_metric_history(outer.info.run_id, "loss")
    assert [(m.step, m.value) for m in client_history][:2] == history[:2]
    listed = client.list_artifacts(outer.info.run_id, "tree/sub")
    assert [(f.path, f.is_dir) for f in listed] == [
        ("tree/sub/b.json", False),
        ("tree/sub/deeper", True),
    ]
    out = Path(client.download_artifacts(outer.info.run_id, "tree", str(tmp_path / "dl")))
    assert (out / "sub" / "deeper" / "c.bin").read_bytes() == bytes(range(256)) * 4
    server.assert_no_unhandled()
    server.assert_all_authenticated()


def test_log_batch_and_search(connected) -> None:  # type: ignore[no-untyped-def]
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    client = MlflowClient()
    exp_id = client.create_experiment("search")
    ids = []
    for i, name in enumerate(["a", "b", "c"]):
        run = client.create_run(exp_id, run_name=name, start_time=1000 + i)
        now = int(time.time() * 1000)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("x", float(i), now, 0), Metric("x", float("nan"), now, 1)]
            if name == "c"
            else [Metric("x", float(i), now, 0)],
            params=[Param("p", "v" if name != "b" else "w")],
            tags=[RunTag("t", name.upper())],
        )
        ids.append(run.info.run_id)
    client.set_terminated(ids[0])
    found = client.search_runs([exp_id], "metrics.x > 0.5 AND params.p = 'w'")
    assert [r.info.run_name for r in found] == ["b"]
    ordered = client.search_runs([exp_id], order_by=["attributes.start_time ASC"])
    assert [r.info.run_name for r in ordered] == ["a", "b", "c"]
    finished = mlflow.search_runs(
        experiment_ids=[exp_id],
        filter_string="attributes.status = 'FINISHED'",
        output_format="list",
    )
    assert [r.info.run_name for r in finished] == ["a"]
    page = client.search_runs([exp_id], max_results=2)
    assert len(page) == 2 and page.token
    assert math.isnan(connected.server.run(ids[2]).metrics["x"])
    experiments = client.search_experiments(filter_string="name LIKE 'sea%'")
    assert [e.name for e in experiments] == ["search"]


def test_delete_and_restore(connected) -> None:  # type: ignore[no-untyped-def]
    from mlflow import MlflowClient
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    exp_id = client.create_experiment("lifecycle")
    run_id = client.create_run(exp_id).info.run_id
    client.delete_run(run_id)
    assert connected.server.run(run_id).lifecycle_stage == "deleted"
    assert client.search_runs([exp_id]) == []
    assert len(client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)) == 1
    client.restore_run(run_id)
    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    with pytest.raises(MlflowException, match="already exists") as exc:
        client.create_experiment("lifecycle")
    assert exc.value.error_code == "RESOURCE_ALREADY_EXISTS"
    client.restore_experiment(exp_id)
    assert [e.lifecycle_stage for e in connected.server.experiments if e.name == "lifecycle"] == [
        "active"
    ]
    client.log_param(run_id, "p", "v")
    with pytest.raises(MlflowException, match="Changing param values is not allowed"):
        client.log_param(run_id, "p", "w")


@pytest.mark.usefixtures("fail_fast")
def test_unhandled_endpoint_fails_once_without_retry(connected) -> None:  # type: ignore[no-untyped-def]
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException, match="not implemented by the fake server"):
        MlflowClient().create_registered_model("model")
    assert len(connected.server.unhandled) == 1
    assert len(connected.server.requests) == 1
    with pytest.raises(AssertionError, match="registered-models/create"):
        connected.server.assert_no_unhandled()


@pytest.mark.usefixtures("fail_fast")
@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (None, "no `Authorization: Bearer <token>` header"),
        ("wrong-token", "not accepted"),
        ("expired", "expired"),
    ],
)
def test_unauthenticated_clients_get_401(  # type: ignore[no-untyped-def]
    connected, monkeypatch: pytest.MonkeyPatch, token: str | None, expected: str
) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if token is None:
        monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
    elif token == "expired":
        token = jwt.encode({"exp": int(time.time()) - 10}, "s" * 32, algorithm="HS256")
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    else:
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    with pytest.raises(MlflowException, match=expected) as exc:
        MlflowClient().create_experiment("x")
    assert "orq login" in str(exc.value)
    if token:
        assert token not in str(exc.value)
    assert [r.status for r in connected.server.requests] == [401]
